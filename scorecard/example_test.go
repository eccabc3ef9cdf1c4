package scorecard_test

import (
	"fmt"

	"github.com/switchboard-dev/switchboard/scorecard"
)

// A collector reads Card.Needs, gathers each fact for each service, and
// the card grades the services; Lifts then names the change that would
// lift most of a team's services.
func Example() {
	card, err := scorecard.Compile(
		[]scorecard.Level{{Name: "bronze"}, {Name: "silver"}},
		[]scorecard.Check{
			{ID: "owner", Level: "bronze", Fact: "has_owner", Message: "Set spec.owner."},
			{ID: "readme", Level: "bronze", Fact: "file:README*", Message: "Add a README."},
			{ID: "oncall", Level: "silver", Fact: "oncall_now", Message: "Put someone on call."},
		})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, ref := range card.Needs() {
		fmt.Println("collect", ref.Key())
	}
	checkout := card.Evaluate(scorecard.Service{Team: "payments"}, scorecard.Values{
		"has_owner":    scorecard.Bool(true),
		"file:README*": scorecard.Bool(true).At("README.md", 0),
		"oncall_now":   scorecard.UnknownValue(scorecard.KindBool, "PagerDuty did not answer"),
	})
	ledger := card.Evaluate(scorecard.Service{Team: "payments"}, scorecard.Values{
		"has_owner":    scorecard.Bool(false).At("catalog-info.yaml", 6),
		"file:README*": scorecard.Bool(true),
		"oncall_now":   scorecard.Bool(true),
	})
	for _, g := range []scorecard.Grade{checkout, ledger} {
		fmt.Printf("level %q, next %q:", card.LevelName(g.Level), card.LevelName(g.Next))
		for _, m := range g.Missing {
			fmt.Printf(" %s %s %v", m.ID, m.Status, m.Value)
			if m.Value.Where != nil {
				fmt.Printf(" at %s", m.Value.Where)
			}
		}
		fmt.Println()
	}
	best := card.Lifts([]scorecard.Grade{checkout, ledger})[0]
	fmt.Printf("best change: %s lifts %d\n", best.ID, best.Lifts)
	// Output:
	// collect has_owner
	// collect file:README*
	// collect oncall_now
	// level "bronze", next "silver": oncall unknown unknown (PagerDuty did not answer)
	// level "", next "bronze": owner failed false at catalog-info.yaml:6
	// best change: owner lifts 1
}
