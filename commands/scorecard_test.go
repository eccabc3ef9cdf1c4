package commands_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
	"github.com/switchboard-dev/switchboard/scorecard"
	"github.com/switchboard-dev/switchboard/standards"
)

// passing returns values with which a service passes every check of the
// card, then applies the changes.
func passing(card *scorecard.Card, changes scorecard.Values) scorecard.Values {
	v := scorecard.Values{}
	for _, ref := range card.Needs() {
		f, _ := scorecard.LookupFact(ref.Name)
		switch ref.Key() {
		case "owner_team_size":
			v[ref.Key()] = scorecard.Number(4)
		case "vulnerable_dependencies":
			v[ref.Key()] = scorecard.Number(0)
		case "last_merge_age":
			v[ref.Key()] = scorecard.Duration(3 * 24 * time.Hour)
		default:
			switch f.Kind {
			case scorecard.KindBool:
				v[ref.Key()] = scorecard.Bool(true)
			case scorecard.KindText:
				v[ref.Key()] = scorecard.Text("set")
			}
		}
	}
	for k, x := range changes {
		v[k] = x
	}
	return v
}

// scoreEnv is a catalog of services and teams, graded by the default card.
type scoreEnv struct {
	store *catalog.Store
	card  *scorecard.Card
	// graded are the grades the test made, by service id.
	graded map[int64]scorecard.Grade
	router *commands.Router
	home   commands.HomeView
	now    time.Time
}

func newScoreEnv(t *testing.T) *scoreEnv {
	t.Helper()
	store := catalog.NewStore(pgtest.New(t), nil)
	card := standards.Default().Scorecard
	if card == nil {
		t.Fatal("the default standards have no scorecard")
	}
	e := &scoreEnv{store: store, card: card, graded: map[int64]scorecard.Grade{}, now: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}
	for _, team := range []string{"payments", "identity"} {
		if _, err := store.PutTeam(context.Background(), catalog.Team{Name: team, SlackChannel: "#team-" + team}); err != nil {
			t.Fatal(err)
		}
	}
	e.router = commands.NewRouter(slog.New(slog.DiscardHandler), 0)
	sc := commands.Scorecards{Grades: store, Card: card, Now: func() time.Time { return e.now }}
	e.router.Register(commands.Scorecard(commands.ScorecardConfig{Scorecards: sc, Services: store, Teams: store}))
	e.router.Register(commands.WhoOwnsWith(commands.WhoOwnsConfig{Catalog: store, Scorecards: &sc}))
	e.home = commands.HomeView{Catalog: store, Scorecards: &sc}
	return e
}

// add puts a service in the catalog, with a repo, and grades it with
// values (nil: not graded).
func (e *scoreEnv) add(t *testing.T, name, team string, values scorecard.Values) catalog.Service {
	t.Helper()
	ctx := context.Background()
	svc, err := e.store.PutService(ctx, catalog.Service{Name: name, Team: team, Tier: "1", Lifecycle: "production", Type: "service", Source: catalog.SourceDescriptor})
	if err != nil {
		t.Fatal(err)
	}
	repo, err := e.store.PutRepo(ctx, catalog.Repo{GitLabID: svc.ID + 100, Path: "acme/" + team + "/" + name, DefaultBranch: "main", WebURL: "https://gitlab.acme.test/acme/" + team + "/" + name})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.AttachRepo(ctx, svc.ID, repo.ID, ""); err != nil {
		t.Fatal(err)
	}
	if values != nil {
		e.grade(t, svc, values, e.now.Add(-90*time.Minute))
	}
	return svc
}

// grade grades svc with values and stores the grade.
func (e *scoreEnv) grade(t *testing.T, svc catalog.Service, values scorecard.Values, at time.Time) {
	t.Helper()
	g := e.card.Evaluate(scorecard.Service{Tier: svc.Tier, Lifecycle: svc.Lifecycle, Type: svc.Type, Team: svc.Team}, values)
	hash, err := catalog.CardHash(e.card)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.PutGrades(context.Background(), []catalog.ServiceGrade{{Service: svc, Grade: g, GradedAt: at, CardHash: hash}}, nil); err != nil {
		t.Fatal(err)
	}
	e.graded[svc.ID] = g
}

func (e *scoreEnv) run(t *testing.T, text string) (commands.Response, string) {
	t.Helper()
	return e.dispatch(t, "/scorecard", text)
}

func (e *scoreEnv) dispatch(t *testing.T, command, text string) (commands.Response, string) {
	t.Helper()
	resp, err := e.router.Dispatch(context.Background(), commands.Request{Command: command, Text: text, User: commands.User{ID: "U1"}})
	if err != nil {
		t.Fatal(err)
	}
	return resp, flatten(resp)
}

func TestScorecardService(t *testing.T) {
	e := newScoreEnv(t)
	e.add(t, "checkout-api", "payments", passing(e.card, scorecard.Values{
		"runbook":    scorecard.Text("").At("catalog-info.yaml", 12),
		"oncall_now": scorecard.UnknownValue(scorecard.KindBool, "PagerDuty did not answer"),
	}))
	e.add(t, "ledger", "payments", passing(e.card, scorecard.Values{
		"oncall_now": scorecard.UnknownValue(scorecard.KindBool, "PagerDuty did not answer"),
	}))
	e.add(t, "top", "payments", passing(e.card, nil))
	e.add(t, "fresh", "payments", nil)
	tests := []struct {
		name, text string
		want       []string
		notWant    []string
		// before: each pair's first string comes before its second.
		before [][2]string
	}{
		{"failed and unknown", "checkout-api", []string{
			"H:Scorecard: checkout-api", "Bronze (level 1 of 3)",
			"To reach Silver:", "✗ Runbook — Add a link titled Runbook", "catalog-info.yaml:12",
			"? Someone on call now — unknown: PagerDuty did not answer. To pass: ",
			"Bronze: 5 of 5 passed", "✓ Has an owner", "Gold: 2 of 2 passed",
			"Graded 1h 30m ago", "button:/whoowns checkout-api", "button:/scorecard @payments",
		}, []string{"✗ Someone on call now"}, [][2]string{{"To reach Silver:", "Bronze: 5 of 5 passed"}, {"✗ Runbook", "? Someone on call now"}}},
		{"held back by unknown only", "ledger", []string{"Bronze", "Only unknown facts hold it below Silver: it would reach Gold if they passed."}, []string{"✗"}, nil},
		{"top", "top", []string{"Gold (level 3 of 3)", "At the top level"}, []string{"To reach"}, nil},
		{"not graded", "fresh", []string{"has not been graded yet"}, []string{"H:"}, nil},
		{"did you mean a service", "chekout-api", []string{"Did you mean", "button:/scorecard checkout-api"}, []string{"H:"}, nil},
		{"did you mean a team", "paymnts", []string{"No team named", "button:/scorecard @payments"}, []string{"H:"}, nil},
		{"nothing close", "qqqzzzx", []string{"No service or team named", "/scorecard @TEAM"}, []string{"H:", "Did you mean"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, got := e.run(t, tt.text)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("reply lacks %q; got:\n%s", w, got)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(got, w) {
					t.Errorf("reply has %q; got:\n%s", w, got)
				}
			}
			for _, b := range tt.before {
				if i, j := strings.Index(got, b[0]), strings.Index(got, b[1]); i < 0 || j < 0 || i > j {
					t.Errorf("%q should come before %q; got:\n%s", b[0], b[1], got)
				}
			}
		})
	}
}

func TestScorecardTeam(t *testing.T) {
	e := newScoreEnv(t)
	noRunbook := scorecard.Values{"runbook": scorecard.Text("")}
	// Three services miss only the runbook at silver: it lifts three.
	for _, name := range []string{"alpha", "bravo", "charlie"} {
		e.add(t, name, "payments", passing(e.card, noRunbook))
	}
	// One misses the runbook and CI: blocked, not lifted, by the runbook.
	e.add(t, "delta", "payments", passing(e.card, scorecard.Values{"runbook": scorecard.Text(""), "ci_config": scorecard.Bool(false)}))
	// One has no README: no level at all, listed first.
	e.add(t, "echo", "payments", passing(e.card, scorecard.Values{"readme": scorecard.Bool(false)}))
	e.add(t, "gold-one", "payments", passing(e.card, nil))
	e.add(t, "elsewhere", "identity", passing(e.card, noRunbook))

	_, got := e.run(t, "payments")
	want := []string{"H:Scorecard: team payments", "6 services: 1 Gold · 0 Silver · 4 Bronze · 1 no level",
		"The change that would lift most: Runbook — would lift 3 services a level (4 miss it at their next level).",
		"Add a link titled Runbook", "CI configuration (lifts 0, missed by 1)",
		"• echo — next Bronze: README", "• delta — next Silver: Runbook, CI configuration",
		"option:/scorecard gold-one Gold"}
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("reply lacks %q; got:\n%s", w, got)
		}
	}
	if strings.Contains(got, "elsewhere") {
		t.Errorf("another team's service is listed:\n%s", got)
	}
	order := []string{"No level (1)", "• echo", "Bronze (4)", "• delta", "• alpha", "Gold (1)", "• gold-one"}
	last := -1
	for _, o := range order {
		i := strings.Index(got, o)
		if i < last {
			t.Errorf("%q is out of order (worst first); got:\n%s", o, got)
		}
		last = i
	}
	// "@team" is a team even where a service has the name.
	e.add(t, "identity", "payments", passing(e.card, nil))
	if _, got := e.run(t, "@identity"); !strings.Contains(got, "H:Scorecard: team identity") {
		t.Errorf("@identity: got:\n%s", got)
	}
	if _, got := e.run(t, "identity"); !strings.Contains(got, "H:Scorecard: identity") {
		t.Errorf("identity (a service first): got:\n%s", got)
	}
	// So is a service's alias, and several services of the name are a
	// choice, not the team.
	ctx := context.Background()
	if _, err := e.store.PutService(ctx, catalog.Service{Name: "foxtrot", Team: "identity", Aliases: []string{"payments"}, Source: catalog.SourceDescriptor}); err != nil {
		t.Fatal(err)
	}
	if _, got := e.run(t, "Payments"); !strings.Contains(got, "foxtrot has not been graded yet") {
		t.Errorf("Payments (a service's alias first): got:\n%s", got)
	}
	if _, err := e.store.PutService(ctx, catalog.Service{Name: "identity", Namespace: "other", Team: "identity", Source: catalog.SourceDescriptor}); err != nil {
		t.Fatal(err)
	}
	if _, got := e.run(t, "identity"); !strings.Contains(got, "2 services are called identity") || strings.Contains(got, "H:") {
		t.Errorf("identity (two services): got:\n%s", got)
	}
}

func TestScorecardOrganisation(t *testing.T) {
	e := newScoreEnv(t)
	e.add(t, "a", "payments", passing(e.card, nil))
	e.add(t, "b", "payments", passing(e.card, scorecard.Values{"runbook": scorecard.Text("")}))
	e.add(t, "c", "identity", passing(e.card, scorecard.Values{"readme": scorecard.Bool(false)}))
	e.add(t, "d", "identity", passing(e.card, scorecard.Values{"readme": scorecard.Bool(false)}))
	e.add(t, "e", "", passing(e.card, scorecard.Values{"has_owner": scorecard.Bool(false)}))

	var grades []scorecard.Grade
	for _, g := range e.graded {
		grades = append(grades, g)
	}
	counts := e.card.ByLevel(grades)
	_, got := e.run(t, "")
	want := []string{"H:Scorecard: the organisation", "5 services graded:",
		fmt.Sprintf("• Gold: %d (%.0f%%)", counts[3], 100*float64(counts[3])/5),
		fmt.Sprintf("• No level: %d (%.0f%%)", counts[0], 100*float64(counts[0])/5),
		"By team (3), lowest mean level first:",
		"• identity (2): 0 Gold · 0 Silver · 0 Bronze · 2 no level",
		"• payments (2): 1 Gold · 0 Silver · 1 Bronze · 0 no level",
		"• (no owner) (1)", "option:/scorecard @payments 2 services"}
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("reply lacks %q; got:\n%s", w, got)
		}
	}
	if i, j := strings.Index(got, "• identity"), strings.Index(got, "• payments"); i > j {
		t.Errorf("identity (lower) should come before payments:\n%s", got)
	}
}

// TestScorecardLimits: a team of 500 services, each missing many checks,
// stays within Slack's limits: 50 blocks, 3,000 characters a section.
func TestScorecardLimits(t *testing.T) {
	e := newScoreEnv(t)
	ctx := context.Background()
	for i := range 500 {
		svc, err := e.store.PutService(ctx, catalog.Service{Name: fmt.Sprintf("service-with-a-rather-long-name-%03d", i), Team: "payments", Source: catalog.SourceImport})
		if err != nil {
			t.Fatal(err)
		}
		e.grade(t, svc, passing(e.card, scorecard.Values{
			"runbook": scorecard.Text(""), "ci_config": scorecard.Bool(false), "slack_channel": scorecard.Text(""),
			"owner_team_size": scorecard.Number(1), "oncall_now": scorecard.UnknownValue(scorecard.KindBool, "PagerDuty did not answer"),
		}), e.now)
	}
	for _, text := range []string{"payments", "", "service-with-a-rather-long-name-007"} {
		resp, got := e.run(t, text)
		if n := len(resp.Blocks); n > 47 {
			t.Errorf("%q: %d blocks, want at most 47 (the bot adds its own)", text, n)
		}
		for _, b := range resp.Blocks {
			if s, ok := b.(*commands.Section); ok {
				if n := textLen(s.Text); n > 3000 {
					t.Errorf("%q: a section of %d characters, want at most 3,000", text, n)
				}
			}
		}
		if text == "payments" && !strings.Contains(got, "switchboard scorecard --team payments") {
			t.Errorf("a cut list should say how to see it all; got:\n%s", got)
		}
	}
}

// textLen is what a text takes in Slack's mrkdwn, at least: its text,
// link addresses and their marks.
func textLen(t commands.Text) int {
	n := 0
	for _, s := range t {
		n += len(s.Text) + len(s.URL)
		if s.URL != "" || s.Style != "" {
			n += 4
		}
	}
	return n
}

// TestLevelLine: /whoowns and the App Home show a graded service's level
// with its next step, and nothing for one not graded.
func TestLevelLine(t *testing.T) {
	e := newScoreEnv(t)
	e.add(t, "checkout-api", "payments", passing(e.card, scorecard.Values{
		"runbook":   scorecard.Text("").At("catalog-info.yaml", 12),
		"ci_config": scorecard.Bool(false),
	}))
	e.add(t, "ledger", "payments", passing(e.card, scorecard.Values{"readme": scorecard.Bool(false)}))
	e.add(t, "top", "payments", passing(e.card, nil))
	e.add(t, "fresh", "payments", nil)
	tests := []struct {
		name, service string
		want          []string
	}{
		{"failed", "checkout-api", []string{"Scorecard: Bronze — next: add a link titled Runbook to metadata.links in catalog-info.yaml · catalog-info.yaml:12 · 1 more for Silver"}},
		{"top", "top", []string{"Scorecard: Gold — the top level"}},
		{"not graded", "fresh", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, got := e.dispatch(t, "/whoowns", tt.service)
			if !strings.Contains(got, "H:"+tt.service) {
				t.Fatalf("no card; got:\n%s", got)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("card lacks %q; got:\n%s", w, got)
				}
			}
			if tt.want == nil && strings.Contains(got, "Scorecard:") {
				t.Errorf("a service not graded shows a level; got:\n%s", got)
			}
		})
	}

	ctx := context.Background()
	if _, err := e.store.PutPerson(ctx, catalog.Person{Name: "Ada", Email: "ada@acme.test", SlackUserID: "U0ADA"}); err != nil {
		t.Fatal(err)
	}
	if err := e.store.AddMember(ctx, "payments", "ada@acme.test", "gitlab", ""); err != nil {
		t.Fatal(err)
	}
	resp, err := e.home.Build(ctx, commands.User{ID: "U0ADA"})
	if err != nil {
		t.Fatal(err)
	}
	got := flatten(resp)
	want := "Scorecard levels, worst first: ledger no level · checkout-api Bronze · top Gold — /scorecard @payments"
	if !strings.Contains(got, want) {
		t.Errorf("App Home lacks %q; got:\n%s", want, got)
	}
}
