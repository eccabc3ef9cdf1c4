package commands_test

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
	"github.com/switchboard-dev/switchboard/internal/catalogtest"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
	"github.com/switchboard-dev/switchboard/scorecard"
	"github.com/switchboard-dev/switchboard/standards"
)

// BenchmarkScorecardTeam is /scorecard TEAM over 10,000 graded services,
// in ten teams of about 1,000 services, then twenty of about 500 (the size
// a team's answer is built for), then sixty of about 170 (as an
// organisation of that size is more likely made): the name looked up as a
// service first, then as a team, the team's grades read and decoded, the
// change that would lift most computed, the answer built. Grades are seeded through the catalog's
// PutGrades, made by the default card from random facts (some unknown).
// It reports p50-ms and p99-ms.
func BenchmarkScorecardTeam(b *testing.B) {
	ctx := context.Background()
	store := catalog.NewStore(pgtest.New(b), nil)
	if _, err := catalogtest.SeedServices(ctx, store, 10_000); err != nil {
		b.Fatal(err)
	}
	card := standards.Default().Scorecard
	hash, err := catalog.CardHash(card)
	if err != nil {
		b.Fatal(err)
	}
	rows, err := store.Pool().Query(ctx, `SELECT id FROM services ORDER BY id`)
	if err != nil {
		b.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	var grades []catalog.ServiceGrade
	for _, id := range ids {
		v := passing(card, nil)
		for _, ref := range card.Needs() {
			switch rng.IntN(6) {
			case 0:
				f, _ := scorecard.LookupFact(ref.Name)
				v[ref.Key()] = scorecard.UnknownValue(f.Kind, "PagerDuty did not answer")
			case 1:
				if x := v[ref.Key()]; x.Kind == scorecard.KindBool {
					v[ref.Key()] = scorecard.Bool(false).At("catalog-info.yaml", 1+rng.IntN(40))
				}
			}
		}
		g := card.Evaluate(scorecard.Service{Lifecycle: "production", Tier: "2"}, v)
		grades = append(grades, catalog.ServiceGrade{Service: catalog.Service{ID: id}, Grade: g, CardHash: hash})
	}
	for chunk := range slices.Chunk(grades, 1000) {
		if _, err := store.PutGrades(ctx, chunk, nil); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := store.Pool().Exec(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	router := commands.NewRouter(slog.New(slog.DiscardHandler), 0)
	router.Register(commands.Scorecard(commands.ScorecardConfig{
		Scorecards: commands.Scorecards{Grades: store, Card: card}, Services: store, Teams: store,
	}))
	teams := []string{"payments", "identity", "search", "platform", "data", "mobile", "storefront", "backoffice", "risk", "growth"}
	run := func(b *testing.B, teams []string, prefix string) {
		lat := make([]time.Duration, 0, b.N)
		i := 0
		for b.Loop() {
			team := teams[i%len(teams)]
			start := time.Now()
			resp, err := router.Dispatch(ctx, commands.Request{Command: "/scorecard", Text: prefix + team, User: commands.User{ID: "U1"}})
			lat = append(lat, time.Since(start))
			if err != nil {
				b.Fatal(err)
			}
			if !strings.HasPrefix(resp.Text, "Team "+team+":") {
				b.Fatalf("/scorecard %s: got %q", team, resp.Text)
			}
			i++
		}
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[min(len(lat)-1, len(lat)*99/100)].Microseconds())/1000, "p99-ms")
	}
	// "name" looks the name up as a service first (no service has it), as
	// typed, and as a team meanwhile; "@team" goes to the team.
	for _, c := range []struct{ name, prefix string }{{"name", ""}, {"@team", "@"}} {
		b.Run("1000-a-team/"+c.name, func(b *testing.B) { run(b, teams, c.prefix) })
	}
	// Then every other service of each team to a team of its own: twenty
	// teams of about 500.
	var halves []string
	for _, t := range teams {
		half, err := store.PutTeam(ctx, catalog.Team{Name: t + "-core"})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := store.Pool().Exec(ctx, `UPDATE services SET team_id = $1 WHERE id % 2 = 0 AND team_id = (SELECT id FROM teams WHERE name = $2)`, half.ID, t); err != nil {
			b.Fatal(err)
		}
		halves = append(halves, t, t+"-core")
	}
	if _, err := store.Pool().Exec(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct{ name, prefix string }{{"name", ""}, {"@team", "@"}} {
		b.Run("500-a-team/"+c.name, func(b *testing.B) { run(b, halves, c.prefix) })
	}
	// Then as an organisation of that size is more likely made: sixty
	// teams of about 170 (each of the ten split in six).
	var sixty []string
	var sixtyIDs []int64
	for _, t := range teams {
		for _, suffix := range []string{"", "-core", "-edge", "-ops", "-apps", "-infra"} {
			team, err := store.PutTeam(ctx, catalog.Team{Name: t + suffix})
			if err != nil {
				b.Fatal(err)
			}
			sixty, sixtyIDs = append(sixty, team.Name), append(sixtyIDs, team.ID)
		}
	}
	if _, err := store.Pool().Exec(ctx, `UPDATE services SET team_id = ($1::bigint[])[id % 60 + 1]`, sixtyIDs); err != nil {
		b.Fatal(err)
	}
	if _, err := store.Pool().Exec(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct{ name, prefix string }{{"name", ""}, {"@team", "@"}} {
		b.Run("170-a-team/"+c.name, func(b *testing.B) { run(b, sixty, c.prefix) })
	}
}
