package bot_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/bot/fakeslack"
	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
	"github.com/switchboard-dev/switchboard/scorecard"
)

// TestScorecardHostile: /scorecard and /whoowns's level line, through the
// bot to the fake Slack, never let a hostile team name, check title or
// message, unknown reason or file path become a mention, a link or
// formatting: every ack is checked by fakeslack.NewForTest, and the
// hostile values are forbidden as they are.
func TestScorecardHostile(t *testing.T) {
	h := newHarness(t, 5*time.Second)
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	var checks []scorecard.Check
	for i, x := range fakeslack.Hostile {
		checks = append(checks,
			scorecard.Check{ID: fmt.Sprintf("readme-%d", i), Level: "bronze", Name: x.Value, Fact: "readme", Message: x.Value},
			scorecard.Check{ID: fmt.Sprintf("oncall-%d", i), Level: "silver", Name: x.Value, Fact: "oncall_now", Message: x.Value})
	}
	card, err := scorecard.Compile([]scorecard.Level{{Name: "bronze"}, {Name: "silver"}}, checks)
	must(err)
	hash, err := catalog.CardHash(card)
	must(err)
	sc := commands.Scorecards{Grades: h.store, Card: card}
	h.router.Register(commands.Scorecard(commands.ScorecardConfig{Scorecards: sc, Services: h.store, Teams: h.store}))
	h.router.Register(commands.WhoOwnsWith(commands.WhoOwnsConfig{Catalog: h.store, Scorecards: &sc}))

	var lines []string
	for i, x := range fakeslack.Hostile {
		_, err := h.store.PutTeam(ctx, catalog.Team{Name: x.Value, Title: x.Value})
		must(err)
		for j, readme := range []bool{false, true} {
			svc, err := h.store.PutService(ctx, catalog.Service{Name: fmt.Sprintf("hsvc-%d-%d", i, j), Team: x.Value, Source: catalog.SourceImport})
			must(err)
			g := card.Evaluate(scorecard.Service{Team: x.Value}, scorecard.Values{
				"readme":     scorecard.Bool(readme).At(x.Value+"/README.md", 3),
				"oncall_now": scorecard.UnknownValue(scorecard.KindBool, x.Value),
			})
			_, err = h.store.PutGrades(ctx, []catalog.ServiceGrade{{Service: svc, Grade: g, CardHash: hash}}, nil)
			must(err)
			lines = append(lines, "/scorecard "+svc.Name, "/whoowns "+svc.Name)
		}
		lines = append(lines, "/scorecard @"+x.Value, "/scorecard "+x.Value)
		if strings.Contains(x.Value, "<") {
			h.slack.Forbid(x.Value)
		}
	}
	lines = append(lines, "/scorecard")
	for _, line := range lines {
		cmd, text, _ := strings.Cut(line, " ")
		body := fakeslack.SlashCommand(cmd, text, "U0ADA", "C1", h.slack.ResponseURL("r1"), "T1")
		code, resp := h.post("/slack/commands", body, fakeslack.Sign(secret, body, time.Now()))
		if code != http.StatusOK {
			t.Fatalf("%s: status %d %s", line, code, resp)
		}
		if strings.HasPrefix(line, "/scorecard hsvc") && !strings.Contains(resp, "Scorecard: hsvc") {
			t.Errorf("%s: no scorecard in %s", line, resp)
		}
	}
	if v := h.slack.Violations(); len(v) > 0 {
		t.Fatalf("hostile text reached Slack live:\n%s", strings.Join(v, "\n"))
	}
}
