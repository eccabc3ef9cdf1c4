package commands_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
	"github.com/switchboard-dev/switchboard/scorecard"
)

// TestDigestLevelChanges: the digest says which services dropped a level
// (with the failed checks) or rose one since the last digest, and a team's
// part only its own.
func TestDigestLevelChanges(t *testing.T) {
	e := newScoreEnv(t)
	ctx := context.Background()
	first := e.now.Add(-3 * time.Hour)
	drop := e.add(t, "checkout-api", "payments", nil)
	rise := e.add(t, "ledger", "identity", nil)
	same := e.add(t, "steady", "payments", nil)
	e.grade(t, drop, passing(e.card, nil), first)
	e.grade(t, rise, passing(e.card, scorecard.Values{"runbook": scorecard.Text("")}), first)
	e.grade(t, same, passing(e.card, nil), first)
	later := e.now.Add(-time.Hour)
	e.grade(t, drop, passing(e.card, scorecard.Values{"readme": scorecard.Bool(false)}), later)
	e.grade(t, rise, passing(e.card, nil), later)
	e.grade(t, same, passing(e.card, nil), later)

	var names []string
	for _, l := range e.card.Levels() {
		names = append(names, l.Name)
	}
	d, err := e.store.Digest(ctx, catalog.DigestOptions{Now: e.now, LevelNames: names})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		digest  *catalog.Digest
		want    []string
		notWant []string
	}{
		{"organisation", d, []string{"Scorecard levels since the last digest: 1 dropped, 1 rose (2)",
			"• ▼ checkout-api (team payments): gold → no level — failed: readme",
			"• ▲ ledger (team identity): bronze → gold"}, []string{"▼ steady", "▲ steady"}},
		{"team", d.ForTeam("payments"), []string{"1 dropped, 0 rose (1)", "• ▼ checkout-api: gold → no level"}, []string{"▲ ledger"}},
	}
	for _, tt := range tests {
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
