package campaigns_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/advisories"
	"github.com/switchboard-dev/switchboard/campaigns"
	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
	"github.com/switchboard-dev/switchboard/scorecard"
)

// seed writes n services in bulk, each with one repo (gitlab id r for
// service svc-r) of 10 teams: 20 dependencies each, log4j-core 2.14.1 in
// a tenth of the repos (r % 10 = 0) and 2.17.1 in another tenth (r % 10 =
// 1), a .gitlab-ci.yml in seven tenths (r % 10 < 7).
func seed(tb testing.TB, n int) *catalog.Store {
	tb.Helper()
	store := catalog.NewStore(pgtest.New(tb), nil)
	ctx := context.Background()
	for _, q := range []string{
		`INSERT INTO teams (name, slack_channel, gitlab_group) SELECT 'team-' || t, '#team-' || t, 'acme/team-' || t FROM generate_series(0, 9) t`,
		fmt.Sprintf(`INSERT INTO repos (gitlab_id, path, default_branch, descriptor_status, descriptor_path)
			SELECT r, 'acme/team-' || (r %% 10) || '/svc-' || r, 'main', 'ok', 'catalog-info.yaml' FROM generate_series(1, %d) r`, n),
		fmt.Sprintf(`INSERT INTO services (name, team_id, lifecycle, tier, type, source)
			SELECT 'svc-' || r, (SELECT id FROM teams WHERE name = 'team-' || (r %% 10)),
				CASE WHEN r %% 3 = 0 THEN 'experimental' ELSE 'production' END, 'tier-' || (1 + r %% 4), 'service', 'descriptor'
			FROM generate_series(1, %d) r`, n),
		`INSERT INTO service_repos (service_id, repo_id) SELECT s.id, r.id FROM services s JOIN repos r ON r.gitlab_id = substr(s.name, 5)::bigint`,
		`INSERT INTO repo_files (repo_id, path) SELECT id, 'catalog-info.yaml' FROM repos
			UNION ALL SELECT id, '.gitlab-ci.yml' FROM repos WHERE gitlab_id % 10 < 7`,
		`INSERT INTO dependencies (repo_id, ecosystem, name, version, file, source, line, direct)
			SELECT r.id, 'maven', 'org.example:lib-' || ((j + r.gitlab_id) % 500), '1.' || (j % 7) || '.0', 'pom.xml', 'pom.xml', 10 + j, true
			FROM repos r, generate_series(1, 20) j`,
		`INSERT INTO dependencies (repo_id, ecosystem, name, version, file, source, line, direct)
			SELECT r.id, 'maven', 'org.apache.logging.log4j:log4j-core', CASE WHEN r.gitlab_id % 10 = 0 THEN '2.14.1' ELSE '2.17.1' END,
				'pom.xml', 'pom.xml', 60, true
			FROM repos r WHERE r.gitlab_id % 10 < 2`,
		`ANALYZE`,
	} {
		if _, err := store.Pool().Exec(ctx, q); err != nil {
			tb.Fatalf("seed: %v\n%s", err, q)
		}
	}
	return store
}

var log4shell = catalog.CampaignCondition{Kind: catalog.ConditionPackage, Package: "log4j-core", Constraint: "<2.17.1"}

func campaign(name string, cond catalog.CampaignCondition) catalog.Campaign {
	return catalog.Campaign{Name: name, Title: cond.String(), Condition: cond, Deadline: time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC), CreatedBy: "U1"}
}

// seedGrades loads the advisories of ../advisories/testdata and grades
// svc-1 to svc-30 on the check runbook: failed (at catalog-info.yaml:3)
// for svc-3, svc-13 and svc-23, passed for the others; the rest are not
// graded.
func seedGrades(t *testing.T, store *catalog.Store) {
	t.Helper()
	ctx := context.Background()
	paths, err := filepath.Glob("../advisories/testdata/*.json")
	if err != nil || len(paths) == 0 {
		t.Fatalf("advisories: %v", err)
	}
	var recs []*advisories.Record
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if rec, err := advisories.Parse(raw); err == nil {
			recs = append(recs, rec)
		}
	}
	if _, err := advisories.NewStore(store.Pool()).Put(ctx, recs); err != nil {
		t.Fatal(err)
	}
	var grades []catalog.ServiceGrade
	for r := 1; r <= 30; r++ {
		l, err := store.MatchService(ctx, fmt.Sprintf("svc-%d", r))
		if err != nil || len(l.Services) != 1 {
			t.Fatalf("svc-%d: %v", r, err)
		}
		res := scorecard.Result{ID: "runbook", Level: 1, Status: scorecard.Passed, Value: scorecard.Value{Kind: scorecard.KindBool, Known: true, Bool: true}}
		if r%10 == 3 {
			res.Status, res.Value.Bool, res.Value.Where = scorecard.Failed, false, &scorecard.Where{Path: "catalog-info.yaml", Line: 3}
		}
		grades = append(grades, catalog.ServiceGrade{Service: l.Services[0], Grade: scorecard.Grade{Results: []scorecard.Result{res}},
			GradedAt: time.Now(), CardHash: "test"})
	}
	if _, err := store.PutGrades(ctx, grades, nil); err != nil {
		t.Fatal(err)
	}
}

func TestStart(t *testing.T) {
	store := seed(t, 100)
	seedGrades(t, store)
	e := &campaigns.Evaluator{Store: store, Advisories: advisories.NewStore(store.Pool())}
	ctx := context.Background()
	for _, tt := range []struct {
		name      string
		cond      catalog.CampaignCondition
		filter    catalog.CampaignFilter
		open      int
		firstOpen string
		where     string
		fixTo     string
	}{
		{"log4j", log4shell, catalog.CampaignFilter{}, 10, "svc-10", "pom.xml:60", "2.17.1"},
		{"log4j-range", catalog.CampaignCondition{Kind: "package", Package: "org.apache.logging.log4j:log4j-core", Constraint: ">=2.0, <2.15.0"},
			catalog.CampaignFilter{}, 10, "svc-10", "pom.xml:60", "2.15.0"},
		{"log4j-team-0-production", log4shell, catalog.CampaignFilter{Teams: []string{"TEAM-0"}, Lifecycles: []string{"production"}}, 7, "svc-10", "pom.xml:60", "2.17.1"},
		{"ci", catalog.CampaignCondition{Kind: "file", FileGlob: ".gitlab-ci.yml"}, catalog.CampaignFilter{}, 30, "svc-7", "add .gitlab-ci.yml", ""},
		{"cve", catalog.CampaignCondition{Kind: "advisory", Advisory: "CVE-2021-44228"}, catalog.CampaignFilter{}, 10, "svc-10", "pom.xml:60", "2.15.0"},
		{"runbook", catalog.CampaignCondition{Kind: "scorecard", Check: "runbook"}, catalog.CampaignFilter{}, 3, "svc-13", "catalog-info.yaml:3", ""},
		{"runbook-team-3", catalog.CampaignCondition{Kind: "scorecard", Check: "runbook"}, catalog.CampaignFilter{Teams: []string{"team-3"}}, 3, "svc-23", "catalog-info.yaml:3", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := campaign(tt.name, tt.cond)
			c.Filter = tt.filter
			p, err := e.Start(ctx, c)
			if err != nil {
				t.Fatal(err)
			}
			if p.Remaining() != tt.open || len(p.Services) != tt.open {
				t.Fatalf("open: got %d of %d, want %d", p.Remaining(), len(p.Services), tt.open)
			}
			var first catalog.CampaignService
			for _, cs := range p.Services {
				if cs.Service.Name == tt.firstOpen {
					first = cs
				}
			}
			if first.Status != catalog.CampaignOpen || first.Where != tt.where || first.FixTo != tt.fixTo {
				t.Errorf("%s: got %+v, want open at %s to %q", tt.firstOpen, first, tt.where, tt.fixTo)
			}
			if len(p.Days) != 1 || p.Days[0].Remaining != tt.open {
				t.Errorf("days: got %+v", p.Days)
			}
		})
	}
}

// repoOf is the catalog id of the repo of service svc-r.
func repoOf(t testing.TB, store *catalog.Store, r int64) int64 {
	t.Helper()
	id, err := store.RepoIDOfProject(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestProgress(t *testing.T) {
	store := seed(t, 100)
	ctx := context.Background()
	day := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	store.Now = func() time.Time { return day }
	e := &campaigns.Evaluator{Store: store}
	if _, err := e.Start(ctx, campaign("log4shell", log4shell)); err != nil {
		t.Fatal(err)
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := store.Pool().Exec(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	// The next day: svc-10 moves to 2.17.1, svc-20 won't fix, svc-101
	// appears with 2.14.1, svc-30 changes nothing that matters.
	day = day.Add(24 * time.Hour)
	exec(`UPDATE dependencies SET version = '2.17.1' WHERE repo_id = $1 AND name LIKE '%log4j-core'`, repoOf(t, store, 10))
	if err := store.WontFix(ctx, "log4shell", "svc-20", "decommissioned in January", "U2"); err != nil {
		t.Fatal(err)
	}
	exec(`INSERT INTO repos (gitlab_id, path, default_branch) VALUES (101, 'acme/team-1/svc-101', 'main')`)
	exec(`INSERT INTO services (name, team_id, lifecycle, tier, type, source) SELECT 'svc-101', id, 'production', 'tier-1', 'service', 'descriptor' FROM teams WHERE name = 'team-1'`)
	exec(`INSERT INTO service_repos (service_id, repo_id) SELECT s.id, r.id FROM services s, repos r WHERE s.name = 'svc-101' AND r.gitlab_id = 101`)
	exec(`INSERT INTO dependencies (repo_id, ecosystem, name, version, file, source, line, direct)
		SELECT id, 'maven', 'org.apache.logging.log4j:log4j-core', '2.14.1', 'build.gradle', 'build.gradle', 7, true FROM repos WHERE gitlab_id = 101`)
	for _, r := range []int64{10, 20, 30, 101, 55} {
		if _, err := e.ReevaluateProject(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	p, err := store.CampaignByName(ctx, "log4shell")
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]catalog.CampaignService{}
	for _, cs := range p.Services {
		status[cs.Service.Name] = cs
	}
	for _, tt := range []struct {
		svc, status, where string
	}{
		{"svc-10", "done", "pom.xml:60"},
		{"svc-20", "wontfix", "pom.xml:60"},
		{"svc-30", "open", "pom.xml:60"},
		{"svc-101", "open", "build.gradle:7"},
	} {
		if got := status[tt.svc]; got.Status != tt.status || got.Where != tt.where {
			t.Errorf("%s: got %+v, want %s at %s", tt.svc, got, tt.status, tt.where)
		}
	}
	if _, ok := status["svc-55"]; ok || len(p.Services) != 11 {
		t.Errorf("services: got %d (svc-55 in: %v), want the 10 first and svc-101", len(p.Services), ok)
	}
	// 10 open the first day; then 10 - svc-10 - svc-20 + svc-101.
	if len(p.Days) != 2 || p.Days[0].Remaining != 10 || p.Days[1].Remaining != 9 || p.Remaining() != 9 {
		t.Errorf("days: got %+v, remaining %d", p.Days, p.Remaining())
	}
	var team0, team1 catalog.CampaignTeam
	for _, tm := range p.ByTeam {
		switch tm.Team {
		case "team-0":
			team0 = tm
		case "team-1":
			team1 = tm
		}
	}
	if team0 != (catalog.CampaignTeam{Team: "team-0", Open: 8, Done: 1, WontFix: 1}) || team1 != (catalog.CampaignTeam{Team: "team-1", Open: 1}) {
		t.Errorf("by team: got %+v", p.ByTeam)
	}
	// A regression: svc-10 back on 2.14.1 is open again.
	exec(`UPDATE dependencies SET version = '2.14.1' WHERE repo_id = $1 AND name LIKE '%log4j-core'`, repoOf(t, store, 10))
	if _, err := e.ReevaluateProject(ctx, 10); err != nil {
		t.Fatal(err)
	}
	if p, err = store.CampaignByName(ctx, "log4shell"); err != nil || p.Remaining() != 10 {
		t.Errorf("after svc-10 regressed: remaining %d, %v; want 10", p.Remaining(), err)
	}
}

// TestConcurrentReevaluations: the jobs of many repos at once leave the
// day's count right (each writer counts after the others committed).
func TestConcurrentReevaluations(t *testing.T) {
	store := seed(t, 200)
	ctx := context.Background()
	e := &campaigns.Evaluator{Store: store}
	if _, err := e.Start(ctx, campaign("log4shell", log4shell)); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Pool().Exec(ctx, `UPDATE dependencies SET version = '2.17.1' WHERE name LIKE '%log4j-core'`); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 20)
	for r := int64(10); r <= 200; r += 10 {
		go func() {
			_, err := e.ReevaluateProject(ctx, r)
			errs <- err
		}()
	}
	for range 20 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	p, err := store.CampaignByName(ctx, "log4shell")
	if err != nil {
		t.Fatal(err)
	}
	if p.Remaining() != 0 || len(p.Days) != 1 || p.Days[0].Remaining != 0 {
		t.Errorf("remaining %d, days %+v; want 0 and one day at 0", p.Remaining(), p.Days)
	}
}
