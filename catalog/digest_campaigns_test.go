package catalog_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
)

// TestDigestOverdueCampaigns: an open campaign past its deadline with
// services left is in the digest, by team; one still running, one closed
// and one with nothing left are not.
func TestDigestOverdueCampaigns(t *testing.T) {
	s := seedDigestOrg(t)
	ctx := context.Background()
	now := digestNow()
	checkout, ledger, query := campaignService(t, s, "checkout-api"), campaignService(t, s, "ledger"), campaignService(t, s, "query")
	cond := catalog.CampaignCondition{Kind: catalog.ConditionFile, FileGlob: ".gitlab-ci.yml"}
	for _, c := range []struct {
		name     string
		deadline time.Time
		services []catalog.CampaignService
		close    bool
	}{
		{"late", now.Add(-48 * time.Hour), []catalog.CampaignService{
			{Service: checkout, Status: catalog.CampaignOpen}, {Service: ledger, Status: catalog.CampaignOpen}, {Service: query, Status: catalog.CampaignOpen}}, false},
		{"running", now.Add(48 * time.Hour), []catalog.CampaignService{{Service: checkout, Status: catalog.CampaignOpen}}, false},
		{"closed", now.Add(-48 * time.Hour), []catalog.CampaignService{{Service: checkout, Status: catalog.CampaignOpen}}, true},
		{"all-done", now.Add(-time.Hour), []catalog.CampaignService{{Service: checkout, Status: catalog.CampaignDone}}, false},
	} {
		if _, err := s.CreateCampaign(ctx, catalog.Campaign{Name: c.name, Title: "Title " + c.name, Condition: cond, Deadline: c.deadline, CreatedBy: "U1"}, c.services); err != nil {
			t.Fatal(err)
		}
		if c.close {
			if err := s.CloseCampaign(ctx, c.name, "U1"); err != nil {
				t.Fatal(err)
			}
		}
	}
	d, err := s.Digest(ctx, catalog.DigestOptions{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		scope string
		d     *catalog.Digest
		want  string
	}{
		{"all", d, "[late: map[payments:2 search:1] = 3]"},
		{"team payments", d.ForTeam("payments"), "[late: map[payments:2] = 2]"},
		{"team platform", d.ForTeam("platform"), "[]"},
	} {
		var got []string
		for _, o := range tt.d.OverdueCampaigns {
			got = append(got, fmt.Sprintf("%s: %v = %d", o.Name, o.Left, o.Total()))
		}
		if s := fmt.Sprint(got); s != tt.want {
			t.Errorf("%s: overdue %s, want %s", tt.scope, s, tt.want)
		}
	}
	g, err := s.Digest(ctx, catalog.DigestOptions{Now: now, Group: "acme/search"})
	if err != nil {
		t.Fatal(err)
	}
	if len(g.OverdueCampaigns) != 1 || fmt.Sprint(g.OverdueCampaigns[0].Left) != "map[search:1]" {
		t.Errorf("group acme/search: overdue %+v, want late with search's 1", g.OverdueCampaigns)
	}
}
