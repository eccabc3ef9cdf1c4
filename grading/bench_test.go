package grading_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/switchboard-dev/switchboard/advisories"
	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/grading"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
	"github.com/switchboard-dev/switchboard/scorecard"
	"github.com/switchboard-dev/switchboard/standards"
)

// benchServices is the organisation of the benchmarks: 6,000 services,
// one repo each.
const benchServices = 6000

// benchCard is the embedded default card (13 checks) and 7 more, over
// every source of facts: 20 checks.
func benchCard(tb testing.TB) *scorecard.Card {
	tb.Helper()
	def := standards.Default().Scorecard
	checks := append(def.Checks(),
		scorecard.Check{ID: "description", Level: "bronze", Fact: "description", Op: scorecard.OpExists},
		scorecard.Check{ID: "dockerfile", Level: "silver", Fact: "file:Dockerfile"},
		scorecard.Check{ID: "active", Level: "silver", Fact: "last_activity_age", Op: scorecard.OpLe, Value: scorecard.Duration(180 * 24 * time.Hour)},
		scorecard.Check{ID: "docs-folder", Level: "gold", Fact: "file:docs/**/*.md"},
		scorecard.Check{ID: "lint-warnings", Level: "gold", Fact: "lint_warnings", Op: scorecard.OpLe, Value: scorecard.Number(3)},
		scorecard.Check{ID: "escalation", Level: "gold", Fact: "escalation_levels", Op: scorecard.OpGe, Value: scorecard.Number(2),
			AppliesTo: scorecard.AppliesTo{Tiers: []string{"tier-1"}}},
		scorecard.Check{ID: "graph-complete", Level: "gold", Fact: "dependency_graph_complete"},
	)
	card, err := scorecard.Compile(def.Levels(), checks)
	if err != nil {
		tb.Fatal(err)
	}
	if n := len(card.Checks()); n != 20 {
		tb.Fatalf("bench card has %d checks, want 20", n)
	}
	return card
}

// seedOrg writes n services in bulk, each with a repo of ~150 files, 40
// dependencies (log4j-core 2.14.1 in a tenth), two dependency files (a
// declared-only one in a twentieth), descriptors invalid in a twentieth
// and warned in a seventh, 100 teams of 6 people, PagerDuty facts for
// three fifths, and the advisories of ../advisories/testdata.
func seedOrg(tb testing.TB, store *catalog.Store, n int) {
	tb.Helper()
	ctx := context.Background()
	stmts := []string{
		`INSERT INTO teams (name, slack_channel, gitlab_group)
			SELECT 'team-' || t, '#team-' || t, 'acme/team-' || t FROM generate_series(0, 99) t`,
		`INSERT INTO people (name, email) SELECT 'Person ' || p, 'p' || p || '@acme.test' FROM generate_series(0, 599) p`,
		`INSERT INTO team_members (team_id, person_id, source)
			SELECT t.id, p.id, 'gitlab' FROM people p JOIN teams t ON t.name = 'team-' || (substr(p.email, 2, strpos(p.email, '@') - 2)::int % 100)`,
		fmt.Sprintf(`INSERT INTO repos (gitlab_id, path, default_branch, last_activity_at, last_commit, descriptor_status,
				descriptor_path, descriptor_errors, synced_at)
			SELECT r, 'acme/team-' || (r %% 100) || '/svc-' || r, 'main', now() - (r %% 400) * interval '1 day', 'c' || r,
				CASE WHEN r %% 20 = 5 THEN 'invalid' ELSE 'ok' END, 'catalog-info.yaml',
				CASE WHEN r %% 20 = 5 THEN '[{"path":"catalog-info.yaml","line":7,"col":3,"severity":"error","rule":"required","field":"spec.owner","message":"spec.owner is required"}]'::jsonb
				     WHEN r %% 7 = 0 THEN '[{"path":"catalog-info.yaml","line":3,"col":1,"severity":"warning","rule":"x","message":"w"}]'::jsonb
				     ELSE '[]'::jsonb END, now() - interval '1 hour'
			FROM generate_series(1, %d) r`, n),
		fmt.Sprintf(`INSERT INTO services (name, description, team_id, lifecycle, tier, type, language, tags, slack_channel,
				pagerduty_service_id, links, source)
			SELECT 'svc-' || r, CASE WHEN r %% 9 = 0 THEN '' ELSE 'Service ' || r END,
				(SELECT id FROM teams WHERE name = 'team-' || (r %% 100)),
				CASE WHEN r %% 6 = 0 THEN '' WHEN r %% 3 = 0 THEN 'experimental' ELSE 'production' END,
				'tier-' || (1 + r %% 4), 'service', 'java', ARRAY['java', 'team-' || (r %% 100)],
				CASE WHEN r %% 4 = 0 THEN '' ELSE '#svc-' || r END,
				CASE WHEN r %% 5 < 3 THEN 'P' || lpad(r::text, 6, '0') ELSE '' END,
				CASE WHEN r %% 10 < 7 THEN ('[{"kind":"runbook","title":"Runbook","url":"https://runbooks.acme.test/' || r || '"}]')::jsonb ELSE '[]'::jsonb END,
				'descriptor'
			FROM generate_series(1, %d) r`, n),
		`INSERT INTO service_repos (service_id, repo_id) SELECT s.id, r.id FROM services s JOIN repos r ON r.gitlab_id = substr(s.name, 5)::bigint`,
		`INSERT INTO repo_files (repo_id, path)
			SELECT r.id, f.path FROM repos r CROSS JOIN LATERAL (
				SELECT 'catalog-info.yaml' AS path
				UNION ALL SELECT 'README.md' WHERE r.gitlab_id % 5 <> 0
				UNION ALL SELECT '.gitlab-ci.yml' WHERE r.gitlab_id % 10 < 7
				UNION ALL SELECT 'Dockerfile' WHERE r.gitlab_id % 2 = 0
				UNION ALL SELECT 'docs/guide/page-' || d || '.md' FROM generate_series(1, 5) d WHERE r.gitlab_id % 3 = 0
				UNION ALL SELECT 'src/main/java/com/acme/pkg' || (j % 12) || '/Class' || j || '.java' FROM generate_series(1, 140) j
				UNION ALL SELECT 'src/main/resources/readme-' || j || '.txt' FROM generate_series(1, 3) j) f`,
		`INSERT INTO dependencies (repo_id, ecosystem, name, version, file, source, line, direct)
			SELECT r.id, 'maven', 'org.example:lib-' || ((j + r.gitlab_id) % 500), '1.' || (j % 7) || '.0', 'pom.xml', 'pom.xml', 10 + j, true
			FROM repos r, generate_series(1, 40) j`,
		`INSERT INTO dependencies (repo_id, ecosystem, name, version, file, source, line, direct)
			SELECT r.id, 'maven', 'org.apache.logging.log4j:log4j-core', CASE WHEN r.gitlab_id % 10 = 0 THEN '2.14.1' ELSE '2.17.1' END,
				'pom.xml', 'pom.xml', 60, true
			FROM repos r WHERE r.gitlab_id % 10 < 2`,
		`INSERT INTO dependency_files (repo_id, path, graph) SELECT id, 'pom.xml', 'paths' FROM repos`,
		`INSERT INTO dependency_files (repo_id, path, graph) SELECT id, 'build.gradle', 'declared' FROM repos WHERE gitlab_id % 20 = 0`,
		`ANALYZE`,
	}
	for _, q := range stmts {
		if _, err := store.Pool().Exec(ctx, q); err != nil {
			tb.Fatalf("seed: %v\n%s", err, q)
		}
	}
	paths, err := filepath.Glob("../advisories/testdata/*.json")
	if err != nil || len(paths) == 0 {
		tb.Fatalf("advisories: %v", err)
	}
	var recs []*advisories.Record
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		rec, err := advisories.Parse(raw)
		if err != nil {
			continue // not a record
		}
		recs = append(recs, rec)
	}
	if _, err := advisories.NewStore(store.Pool()).Put(ctx, recs); err != nil {
		tb.Fatal(err)
	}
	var facts []catalog.OnCallFact
	for r := 1; r <= n; r++ {
		if r%5 < 3 {
			facts = append(facts, catalog.OnCallFact{ServiceID: fmt.Sprintf("P%06d", r), PolicyID: fmt.Sprintf("E%03d", r%100), OnCallNow: r%11 != 0, Levels: 1 + r%3})
		}
	}
	if _, err := store.PutPagerDutyFacts(ctx, facts, time.Now()); err != nil {
		tb.Fatal(err)
	}
}

func benchStore(b *testing.B) *catalog.Store {
	b.Helper()
	cfg, err := pgxpool.ParseConfig(pgtest.URL(b))
	if err != nil {
		b.Fatal(err)
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	store := catalog.NewStore(pool, nil)
	seedOrg(b, store, benchServices)
	return store
}

// BenchmarkGradeAll: every one of 6,000 services graded with 20 checks:
// the facts collected from Postgres, the card evaluated, the grades
// stored with the day's history (target: 2 s in all).
func BenchmarkGradeAll(b *testing.B) {
	store := benchStore(b)
	g, err := grading.New(store, benchCard(b), nil)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if _, err := g.GradeAll(ctx); err != nil { // the first grades are inserts
		b.Fatal(err)
	}
	var collect, evaluate, put time.Duration
	var levels []int
	b.ResetTimer()
	for b.Loop() {
		res, err := g.GradeAll(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if res.Services != benchServices {
			b.Fatalf("graded %d services, want %d", res.Services, benchServices)
		}
		collect += res.Collect
		evaluate += res.Evaluate
		put += res.Store
	}
	n := float64(b.N)
	b.ReportMetric(float64(collect.Microseconds())/1000/n, "collect-ms")
	b.ReportMetric(float64(evaluate.Microseconds())/1000/n, "evaluate-ms")
	b.ReportMetric(float64(put.Microseconds())/1000/n, "store-ms")
	b.ReportMetric(float64((collect+evaluate+put).Microseconds())/1000/n, "total-ms")
	counts, err := store.LevelCounts(ctx, g.CardHash())
	if err != nil {
		b.Fatal(err)
	}
	levels = make([]int, 4)
	for _, c := range counts {
		levels[c.Level] += c.Services
	}
	b.Logf("services by level (none, bronze, silver, gold): %v", levels)
}

// BenchmarkGradeRepo: one changed repo's services graded again among
// 6,000 (target: 20 ms).
func BenchmarkGradeRepo(b *testing.B) {
	store := benchStore(b)
	g, err := grading.New(store, benchCard(b), nil)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if _, err := g.GradeAll(ctx); err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	b.ResetTimer()
	for b.Loop() {
		res, err := g.GradeProject(ctx, 1+rng.Int64N(benchServices))
		if err != nil || res.Services != 1 {
			b.Fatalf("graded %d services (%v), want 1", res.Services, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/repo")
}
