package commands_test

import (
	"strings"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
)

// TestDigestOverdueCampaigns: the digest lists the overdue campaigns with
// the services left, by team in the whole digest; a team's part has only
// its own count; none, no part.
func TestDigestOverdueCampaigns(t *testing.T) {
	late := catalog.OverdueCampaign{Name: "log4shell", Title: "Log4Shell", Deadline: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC),
		Left: map[string]int{"payments": 2, "search": 1, "": 1}}
	for _, tt := range []struct {
		name    string
		digest  *catalog.Digest
		want    []string
		notWant []string
	}{
		{"organisation", &catalog.Digest{Coverage: catalog.Coverage{Active: 1}, OverdueCampaigns: []catalog.OverdueCampaign{late}},
			[]string{"Overdue campaigns (1)", "• log4shell Log4Shell, due Mon 30 Nov 2026: 4 services left (no team 1, payments 2, search 1)"}, nil},
		{"team", &catalog.Digest{Team: "payments", Coverage: catalog.Coverage{Active: 1},
			OverdueCampaigns: []catalog.OverdueCampaign{{Name: "log4shell", Title: "Log4Shell", Deadline: late.Deadline, Left: map[string]int{"payments": 2}}}},
			[]string{"• log4shell Log4Shell, due Mon 30 Nov 2026: 2 services left"}, []string{"(payments 2)"}},
		{"none", &catalog.Digest{Coverage: catalog.Coverage{Active: 1}}, nil, []string{"Overdue campaigns"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := flatten(commands.DigestResponse(tt.digest))
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("digest lacks %q; got:\n%s", w, got)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(got, w) {
					t.Errorf("digest has %q; got:\n%s", w, got)
				}
			}
		})
	}
}
