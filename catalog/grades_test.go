package catalog_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchboard-dev/switchboard/advisories"
	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/manifest"
	"github.com/switchboard-dev/switchboard/scorecard"
)

// scoreFacts is ScoreSubjects' values, by service id.
func scoreFacts(ctx context.Context, s *catalog.Store, card *scorecard.Card, serviceIDs []int64) (map[int64]scorecard.Values, error) {
	subs, err := s.ScoreSubjects(ctx, card, serviceIDs)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]scorecard.Values, len(subs))
	for _, sub := range subs {
		out[sub.Service.ID] = sub.Values
	}
	return out, nil
}

// testCard is a small card over facts of every source.
func testCard(t testing.TB, extra ...scorecard.Check) *scorecard.Card {
	t.Helper()
	checks := append([]scorecard.Check{
		{ID: "owner", Level: "bronze", Fact: "has_owner"},
		{ID: "readme", Level: "bronze", Fact: "readme"},
		{ID: "valid", Level: "bronze", Fact: "descriptor_valid"},
		{ID: "runbook", Level: "silver", Fact: "runbook", Op: scorecard.OpExists},
		{ID: "ci", Level: "silver", Fact: "ci_config"},
		{ID: "oncall", Level: "silver", Fact: "oncall_now"},
		{ID: "vulns", Level: "gold", Fact: "vulnerable_dependencies", Op: scorecard.OpEq, Value: scorecard.Number(0)},
		{ID: "docs-folder", Level: "gold", Fact: "file:docs/**/*.md"},
	}, extra...)
	card, err := scorecard.Compile([]scorecard.Level{{Name: "bronze"}, {Name: "silver"}, {Name: "gold"}}, checks)
	if err != nil {
		t.Fatal(err)
	}
	return card
}

func loadLog4Shell(t testing.TB, s *catalog.Store) {
	t.Helper()
	raw, err := os.ReadFile("../advisories/testdata/GHSA-jfh8-c2jp-5v3q.json")
	if err != nil {
		t.Fatal(err)
	}
	rec, err := advisories.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := advisories.NewStore(s.Pool()).Put(context.Background(), []*advisories.Record{rec}); err != nil {
		t.Fatal(err)
	}
}

func serviceID(t testing.TB, s *catalog.Store, name string) int64 {
	t.Helper()
	l, err := s.FindService(context.Background(), name)
	if err != nil || len(l.Services) != 1 {
		t.Fatalf("find %s: %+v, %v", name, l, err)
	}
	return l.Services[0].ID
}

func TestScoreSubjects(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	loadLog4Shell(t, s)

	pd := component("checkout-api", "group:payments")
	pd.PagerDutyServiceID = "PCHECK1"
	// A monorepo: the service's folder holds a README, the repo's root the CI file.
	mono := snapshot(1, "acme/payments/mono", catalog.DescriptorOK, pd)
	mono.DescriptorPath = "services/checkout/catalog-info.yaml"
	mono.Files = []string{"services/checkout/catalog-info.yaml", "services/checkout/README.md", ".gitlab-ci.yml",
		"services/checkout/docs/guide/intro.md", "README.md", "docs/top.md"}
	mono.Dependencies = []catalog.Dependency{
		{Ecosystem: "maven", Name: "org.apache.logging.log4j:log4j-core", Version: "2.14.1", File: "services/checkout/pom.xml", Line: 31},
		{Ecosystem: "maven", Name: "org.apache.logging.log4j:log4j-api", Version: "2.14.1", File: "services/checkout/pom.xml", Line: 25},
	}
	mustApply(t, s, mono)

	bare := component("ledger", "")
	bare.Links = manifest.Links{}
	plain := snapshot(2, "acme/payments/ledger", catalog.DescriptorOK, bare)
	plain.Files = []string{"catalog-info.yaml", "src/readme.txt", "docs/a.txt"}
	plain.Dependencies = []catalog.Dependency{{Ecosystem: "maven", Name: "org.apache.logging.log4j:log4j-core", Version: "2.17.1", File: "pom.xml", Line: 9}}
	plain.DependencySources = []catalog.DependencyFile{{Path: "build.gradle", Graph: catalog.GraphDeclared}}
	mustApply(t, s, plain)

	card := testCard(t,
		scorecard.Check{ID: "lint", Level: "gold", Fact: "lint_errors", Op: scorecard.OpEq, Value: scorecard.Number(0)},
		scorecard.Check{ID: "team", Level: "silver", Fact: "owner_is_team"},
		scorecard.Check{ID: "team-size", Level: "silver", Fact: "owner_team_size", Op: scorecard.OpGe, Value: scorecard.Number(2)},
		scorecard.Check{ID: "pd-annotation", Level: "silver", Fact: "annotation:pagerduty.com/service-id", Op: scorecard.OpExists},
		scorecard.Check{ID: "other-annotation", Level: "gold", Fact: "annotation:backstage.io/techdocs-ref", Op: scorecard.OpExists},
		scorecard.Check{ID: "merged", Level: "gold", Fact: "last_merge_age", Op: scorecard.OpLe, Value: scorecard.Duration(90 * 24 * time.Hour)},
		scorecard.Check{ID: "graph", Level: "gold", Fact: "dependency_graph_complete"},
	)
	subs, err := s.ScoreSubjects(ctx, card, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(subs) != 2 {
		t.Fatalf("got %d subjects, want 2", len(subs))
	}
	got := map[string]scorecard.Values{}
	for _, sub := range subs {
		got[sub.Service.Name] = sub.Values
	}
	where := func(v scorecard.Value) string {
		if v.Where == nil {
			return ""
		}
		return v.Where.String()
	}
	tests := []struct {
		service, fact string
		want          string // Value.String()
		where         string
	}{
		{"checkout-api", "has_owner", "true", "services/checkout/catalog-info.yaml"},
		{"checkout-api", "readme", "true", "services/checkout/README.md"},
		{"checkout-api", "ci_config", "true", ".gitlab-ci.yml"},
		{"checkout-api", "file:docs/**/*.md", "true", "services/checkout/docs/guide/intro.md"},
		{"checkout-api", "runbook", `"https://wiki/checkout-api"`, "services/checkout/catalog-info.yaml"},
		{"checkout-api", "vulnerable_dependencies", "1", "services/checkout/pom.xml:31"},
		{"checkout-api", "oncall_now", "unknown (PagerDuty has not been asked yet)", ""},
		{"checkout-api", "descriptor_valid", "true", "services/checkout/catalog-info.yaml"},
		{"checkout-api", "lint_errors", "0", "services/checkout/catalog-info.yaml"},
		{"ledger", "has_owner", "false", "catalog-info.yaml"},
		{"ledger", "readme", "false", ""},
		{"ledger", "ci_config", "false", ""},
		{"ledger", "file:docs/**/*.md", "false", ""},
		{"ledger", "runbook", `""`, "catalog-info.yaml"},
		// 2.17.1 is fixed, but build.gradle declares what it cannot resolve.
		{"ledger", "vulnerable_dependencies", "unknown (dependency graph incomplete: build.gradle declares direct dependencies only: transitive ones are not seen (no lockfile))", ""},
		{"ledger", "oncall_now", "false", "catalog-info.yaml"},
		{"checkout-api", "owner_is_team", "true", "services/checkout/catalog-info.yaml"},
		{"checkout-api", "owner_team_size", "unknown (the teams' rosters have not been read yet)", ""},
		{"checkout-api", "annotation:pagerduty.com/service-id", `"PCHECK1"`, "services/checkout/catalog-info.yaml"},
		{"checkout-api", "annotation:backstage.io/techdocs-ref", "unknown (the catalog keeps only the PagerDuty and Slack annotations)", ""},
		{"checkout-api", "last_merge_age", "unknown (the repo's merges have not been read from GitLab yet: its next sync reads them)", ""},
		{"checkout-api", "dependency_graph_complete", "true", ""},
		{"ledger", "owner_is_team", "false", "catalog-info.yaml"},
		{"ledger", "owner_team_size", "0", "catalog-info.yaml"},
		{"ledger", "dependency_graph_complete", "false", "build.gradle"},
	}
	for _, tc := range tests {
		v := got[tc.service][tc.fact]
		if v.String() != tc.want || where(v) != tc.where {
			t.Errorf("%s %s: got %s at %q, want %s at %q", tc.service, tc.fact, v, where(v), tc.want, tc.where)
		}
	}

	// Once a roster was read, a team's size is known.
	if _, err := s.PutPerson(ctx, catalog.Person{Name: "Ada", Email: "ada@acme.test"}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddMember(ctx, "payments", "ada@acme.test", "gitlab", ""); err != nil {
		t.Fatal(err)
	}
	vals, err := scoreFacts(ctx, s, card, []int64{serviceID(t, s, "checkout-api")})
	if err != nil {
		t.Fatal(err)
	}
	if g := vals[serviceID(t, s, "checkout-api")]["owner_team_size"].String(); g != "1" {
		t.Errorf("after a roster: owner_team_size %s, want 1", g)
	}

	// An invalid descriptor: the last good service stays, the facts say where.
	broken := snapshot(2, "acme/payments/ledger", catalog.DescriptorInvalid)
	broken.Findings = []manifest.Finding{{Path: "catalog-info.yaml", Line: 7, Col: 3, Severity: manifest.SeverityError, Rule: "required", Field: "spec.owner", Message: "spec.owner is required"}}
	mustApply(t, s, broken)
	vals, err = scoreFacts(ctx, s, card, []int64{serviceID(t, s, "ledger")})
	if err != nil {
		t.Fatal(err)
	}
	if len(vals) != 1 {
		t.Fatalf("got %d services, want 1", len(vals))
	}
	for _, v := range vals {
		for fact, want := range map[string]string{"descriptor_valid": "false at catalog-info.yaml:7", "lint_errors": "1 at catalog-info.yaml:7", "has_owner": "false at catalog-info.yaml:7"} {
			if g := v[fact].String() + " at " + where(v[fact]); g != want {
				t.Errorf("invalid descriptor %s: got %s, want %s", fact, g, want)
			}
		}
	}

	// PagerDuty answered: the service's facts are known; a service id
	// PagerDuty does not have is nobody on call.
	clock := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return clock }
	changed, err := s.PutPagerDutyFacts(ctx, []catalog.OnCallFact{{ServiceID: "PCHECK1", PolicyID: "PPOL", OnCallNow: true, Levels: 2}}, clock)
	if err != nil {
		t.Fatal(err)
	}
	if len(changed) != 1 || changed[0] != serviceID(t, s, "checkout-api") {
		t.Errorf("changed: got %v, want checkout-api's id", changed)
	}
	oncall := func() string {
		t.Helper()
		v, err := scoreFacts(ctx, s, card, []int64{serviceID(t, s, "checkout-api")})
		if err != nil {
			t.Fatal(err)
		}
		return v[serviceID(t, s, "checkout-api")]["oncall_now"].String()
	}
	if g := oncall(); g != "true" {
		t.Errorf("after a refresh: got %s, want true", g)
	}
	// The refresh then fails: the facts hold until stale, then are unknown.
	if err := s.PagerDutyRefreshFailed(ctx, clock.Add(5*time.Minute), "503 Service Unavailable"); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(10 * time.Minute)
	if g := oncall(); g != "true" {
		t.Errorf("10 minutes on: got %s, want true", g)
	}
	clock = clock.Add(10 * time.Minute)
	if g, want := oncall(), "unknown (PagerDuty not answered since 2026-03-02 10:00 UTC: 503 Service Unavailable)"; g != want {
		t.Errorf("20 minutes on: got %s, want %s", g, want)
	}
	// The same facts again change nothing.
	changed, err = s.PutPagerDutyFacts(ctx, []catalog.OnCallFact{{ServiceID: "PCHECK1", PolicyID: "PPOL", OnCallNow: true, Levels: 2}}, clock)
	if err != nil || len(changed) != 0 {
		t.Errorf("same facts: got %v, %v, want none changed", changed, err)
	}
}

func grade(level, ceiling int, failed ...string) scorecard.Grade {
	g := scorecard.Grade{Level: level, Ceiling: ceiling}
	for _, id := range failed {
		g.Results = append(g.Results, scorecard.Result{ID: id, Level: 1, Status: scorecard.Failed, Value: scorecard.Bool(false)})
	}
	return g
}

func TestPutGrades(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	mustApply(t, s, snapshot(1, "acme/payments/checkout", catalog.DescriptorOK, component("checkout-api", "group:payments")))
	id := serviceID(t, s, "checkout-api")
	if _, err := s.ServiceGrade(ctx, id); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("before grading: got %v, want ErrNotFound", err)
	}
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	put := func(at time.Time, hash string, g scorecard.Grade) []catalog.LevelChange {
		t.Helper()
		ch, err := s.PutGrades(ctx, []catalog.ServiceGrade{{Service: catalog.Service{ID: id}, Grade: g, CardHash: hash, GradedAt: at}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return ch
	}
	type step struct {
		name    string
		hash    string
		grade   scorecard.Grade
		want    string // "", "rise 1->2", "drop 2->0"
		settled int
	}
	steps := []step{
		{"first grade", "A", grade(2, 2), "", 2},
		{"unknown only", "A", grade(1, 2), "", 2},
		{"recovery is no rise", "A", grade(2, 2), "", 2},
		{"rise", "A", grade(3, 3), "rise 2->3", 3},
		{"drop", "A", grade(1, 1, "owner"), "drop 3->1", 1},
		{"same again", "A", grade(1, 1, "owner"), "", 1},
		{"new card: no change told", "B", grade(3, 3), "", 3},
		{"unknown and failed", "B", grade(0, 2, "readme"), "drop 3->0", 0},
	}
	for i, st := range steps {
		ch := put(start.Add(time.Duration(i)*time.Hour), st.hash, st.grade)
		got := ""
		if len(ch) > 1 {
			t.Fatalf("%s: got %d changes", st.name, len(ch))
		}
		if len(ch) == 1 {
			kind := "rise"
			if ch[0].Drop() {
				kind = "drop"
			}
			got = kind + " " + itoa(ch[0].From) + "->" + itoa(ch[0].To)
		}
		if got != st.want {
			t.Errorf("%s: got %q, want %q", st.name, got, st.want)
		}
		sg, err := s.ServiceGrade(ctx, id)
		if err != nil || sg.Grade.Level != st.grade.Level || sg.CardHash != st.hash || sg.Service.Name != "checkout-api" {
			t.Errorf("%s: stored %+v, %v", st.name, sg, err)
		}
	}
	// The digest's view: one net change since before the rise.
	net, err := s.LevelChanges(ctx, start.Add(2*time.Hour+30*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if len(net) != 1 || net[0].From != 2 || net[0].To != 0 || !net[0].Drop() || len(net[0].Failed) != 2 {
		t.Errorf("net changes: got %+v, want one drop 2->0 failing owner and readme", net)
	}
	// History: one row per day.
	days, err := s.LevelHistory(ctx, []int64{id}, start)
	if err != nil || len(days) != 1 || days[0].Level != 0 {
		t.Errorf("history: got %+v, %v, want one day at level 0", days, err)
	}

	// Drops are told once: two claimants, one wins; a failure releases.
	drops, err := s.PendingDrops(ctx, start)
	if err != nil || len(drops) != 2 {
		t.Fatalf("pending drops: got %d, %v, want 2", len(drops), err)
	}
	d := drops[0]
	if d.TeamChannel != "" || d.Service.Team != "payments" {
		t.Errorf("drop: got team %q channel %q", d.Service.Team, d.TeamChannel)
	}
	a, errA := s.ClaimDrop(ctx, d.ID, "a", time.Minute)
	b, errB := s.ClaimDrop(ctx, d.ID, "b", time.Minute)
	if errA != nil || errB != nil || !a || b {
		t.Fatalf("claims: got %v %v (%v, %v), want only a", a, b, errA, errB)
	}
	if err := s.DropNotTold(ctx, d.ID, "a", "slack down"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.ClaimDrop(ctx, d.ID, "b", time.Minute); !ok {
		t.Fatal("after a failure: b could not claim")
	}
	if err := s.DropTold(ctx, d.ID, "a", "#payments"); !errors.Is(err, catalog.ErrConflict) {
		t.Errorf("told by a former claimant: got %v, want ErrConflict", err)
	}
	if err := s.DropTold(ctx, d.ID, "b", "#payments"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.ClaimDrop(ctx, d.ID, "a", 0); ok {
		t.Error("a drop told was claimed again")
	}
	if left, _ := s.PendingDrops(ctx, start); len(left) != 1 {
		t.Errorf("pending after one told: got %d, want 1", len(left))
	}
}

func itoa(n int) string { return string(rune('0' + n)) }

// Replicas grading one service at once record one drop.
func TestPutGradesConcurrent(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	for i := range 20 {
		mustApply(t, s, snapshot(int64(i+1), "acme/payments/svc"+itoa(i%10)+itoa(i/10), catalog.DescriptorOK, component("svc-"+itoa(i%10)+itoa(i/10), "payments")))
	}
	subs, err := s.ScoreSubjects(ctx, testCard(t), nil)
	if err != nil || len(subs) != 20 {
		t.Fatalf("got %d services, %v", len(subs), err)
	}
	all := func(g scorecard.Grade) []catalog.ServiceGrade {
		out := make([]catalog.ServiceGrade, len(subs))
		for i, sub := range subs {
			out[i] = catalog.ServiceGrade{Service: sub.Service, Grade: g, CardHash: "A"}
		}
		return out
	}
	if _, err := s.PutGrades(ctx, all(grade(2, 2)), nil); err != nil {
		t.Fatal(err)
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		drops int
		inTx  int
	)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ch, err := s.PutGrades(ctx, all(grade(1, 1, "runbook")), func(ctx context.Context, tx pgx.Tx, d []catalog.LevelChange) error {
				mu.Lock()
				inTx += len(d)
				mu.Unlock()
				return nil
			})
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			drops += len(ch)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if drops != 20 || inTx != 20 {
		t.Errorf("got %d drops (%d in the transactions), want 20: one per service", drops, inTx)
	}
	pending, err := s.PendingDrops(ctx, time.Time{})
	if err != nil || len(pending) != 20 {
		t.Errorf("pending: got %d, %v, want 20", len(pending), err)
	}
	counts, err := s.LevelCounts(ctx, "A")
	if err != nil || len(counts) != 1 || counts[0].Team != "payments" || counts[0].Level != 1 || counts[0].Services != 20 || counts[0].Stale != 0 {
		t.Errorf("level counts: got %+v, %v", counts, err)
	}
	team, err := s.TeamGrades(ctx, "Payments")
	if err != nil || len(team) != 20 {
		t.Errorf("team grades: got %d, %v", len(team), err)
	}
	if _, err := s.TeamGrades(ctx, "nobody"); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("unknown team: got %v, want ErrNotFound", err)
	}
}

// Many grades at once (written by COPY) read back as written, with their
// changes.
func TestPutGradesMany(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	const n = 250
	var grades []catalog.ServiceGrade
	for i := range n {
		svc, err := s.PutService(ctx, catalog.Service{Name: fmt.Sprintf("svc-%03d", i), Team: "payments", Source: catalog.SourceImport, Status: catalog.StatusActive})
		if err != nil {
			t.Fatal(err)
		}
		g := grade(i%3, 2)
		g.Results = append(g.Results, scorecard.Result{ID: "runbook", Level: 2, Status: scorecard.Failed, Value: scorecard.Text("").At("catalog-info.yaml", i+1)})
		grades = append(grades, catalog.ServiceGrade{Service: svc, Grade: g, CardHash: "A"})
	}
	if _, err := s.PutGrades(ctx, grades, nil); err != nil {
		t.Fatal(err)
	}
	for i := range grades {
		grades[i].Grade.Level = 0
		grades[i].Grade.Ceiling = 0
	}
	changes, err := s.PutGrades(ctx, grades, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Those at 1 and 2 dropped to 0 with a check failed (ceiling 0).
	if want := n - (n+2)/3; len(changes) != want {
		t.Errorf("got %d changes, want %d", len(changes), want)
	}
	sg, err := s.ServiceGrade(ctx, grades[7].Service.ID)
	if err != nil {
		t.Fatal(err)
	}
	last := sg.Grade.Results[len(sg.Grade.Results)-1]
	if sg.Grade.Level != 0 || last.ID != "runbook" || last.Value.Where == nil || last.Value.Where.Line != 8 {
		t.Errorf("read back: got level %d, %+v", sg.Grade.Level, last)
	}
}
