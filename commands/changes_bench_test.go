package commands_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
)

// benchChangesSeed is 10,000 services in 100 teams, a repo each, each
// depending on three others (spec.dependsOn), and 1,000,000 changes over
// the last 90 days — a hundred a project: merged merge requests (each
// with its merge commit), pushes of which half are those merges' own
// (hidden) and half direct, deployments to production and staging, a
// tenth of them failed — plus 20,000 owner and tier changes.
const benchChangesSeed = `
INSERT INTO teams (name, slack_channel) SELECT 'team' || t, '#team' || t FROM generate_series(1, 100) t;
INSERT INTO repos (gitlab_id, path, web_url, descriptor_status, synced_at)
	SELECT g, 'acme/team' || (g % 100 + 1) || '/svc' || g, 'https://gitlab.example/svc' || g, 'ok', now()
	FROM generate_series(1, 10000) g;
INSERT INTO services (name, team_id, source)
	SELECT 'svc' || r.gitlab_id, t.id, 'descriptor' FROM repos r JOIN teams t ON t.name = 'team' || (r.gitlab_id % 100 + 1);
INSERT INTO service_repos (service_id, repo_id) SELECT s.id, r.id FROM services s JOIN repos r ON s.name = 'svc' || r.gitlab_id;
INSERT INTO service_relations (service_id, relation, target_kind, target_namespace, target_name, written, file)
	SELECT DISTINCT ON (s.id, t) s.id, 'dependsOn', 'component', 'default', 'svc' || t, 'component:svc' || t, 'catalog-info.yaml'
	FROM services s, generate_series(1, 3) k,
	     LATERAL (SELECT 1 + ((substr(s.name, 4)::bigint * 7919 + k * 104729) % 10000) AS t) x
	WHERE 'svc' || t <> s.name;
INSERT INTO changes (kind, project_id, ref, at, author_name, author_username, title, web_url, environment, status, sha, source)
	SELECT CASE i % 4 WHEN 0 THEN 'merge_request' WHEN 1 THEN 'push' ELSE 'deployment' END,
	       g, i::text,
	       now() - ((i * 2160 / 100 + g % 21) * interval '1 hour') - (g % 60) * interval '1 minute',
	       'Dev ' || (g * i % 600), 'dev' || (g * i % 600),
	       'Change ' || i || ' of svc' || g || ': ' || repeat('x', 40),
	       'https://gitlab.example/svc' || g || '/-/x/' || i,
	       CASE WHEN i % 4 = 2 THEN 'production' WHEN i % 4 = 3 THEN 'staging' ELSE '' END,
	       CASE WHEN i % 4 >= 2 THEN (CASE WHEN i % 10 = 3 THEN 'failed' ELSE 'success' END) ELSE '' END,
	       CASE WHEN i % 4 = 0 THEN 'm' || g || '-' || i
	            WHEN i % 4 = 1 AND i % 8 = 1 THEN 'm' || g || '-' || (i - 1)
	            WHEN i % 4 = 1 THEN 'p' || g || '-' || i
	            ELSE 'd' || g || '-' || i END,
	       CASE WHEN i % 3 = 0 THEN 'sync' ELSE 'webhook' END
	FROM generate_series(1, 10000) g, generate_series(1, 100) i;
INSERT INTO change_merge_commits (project_id, sha)
	SELECT g, 'm' || g || '-' || i FROM generate_series(1, 10000) g, generate_series(4, 100, 4) i;
INSERT INTO changes (kind, service_id, ref, at, title, source)
	SELECT 'catalog', s.id, CASE WHEN k = 1 THEN 'owner' ELSE 'tier' END, now() - (k * 500 + s.id % 1000) * interval '1 hour',
	       'tier: 2 → 1', 'catalog'
	FROM services s, generate_series(1, 2) k;
ANALYZE;
`

// BenchmarkChanges answers /changes through the router (name lookup and
// direct dependencies from a live catalog.Cache, as serve has; the change
// history from Postgres; rendering) over benchChangesSeed: p50-ms and
// p99-ms, warm, over services asked for the last 24 hours and the last
// 7 days (each service and its three dependencies: about 30 changes in
// 7d). The target is a p99 of 50 ms. Run with -benchtime 500x.
func BenchmarkChanges(b *testing.B) {
	ctx := context.Background()
	pool := pgtest.New(b)
	if _, err := pool.Exec(ctx, benchChangesSeed); err != nil {
		b.Fatal(err)
	}
	var rows int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM changes`).Scan(&rows); err != nil || rows < 1_000_000 {
		b.Fatalf("%d changes, %v", rows, err)
	}
	store := catalog.NewStore(pool, nil)
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cache := catalog.NewCache(store)
	go cache.Run(cctx)
	for deadline := time.Now().Add(30 * time.Second); !cache.Live(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatal("the cache never went live")
		}
	}
	r := commands.NewRouter(slog.New(slog.DiscardHandler), 10*time.Second)
	r.Register(commands.Changes(commands.ChangesConfig{Catalog: cache, History: store, Graph: cache}))
	var targets []string
	for i := range 50 {
		svc := fmt.Sprintf("svc%d", 1+(i*197)%10000)
		targets = append(targets, svc, svc+" --since 7d")
	}
	lines := 0
	run := func(text string) {
		resp, err := r.Dispatch(ctx, commands.Request{Command: "/changes", Text: text})
		if err != nil || len(resp.Blocks) < 2 {
			b.Fatalf("/changes %s: %v %+v", text, err, resp)
		}
		lines += len(resp.Blocks)
	}
	for _, t := range targets { // warm: the cache's graph, Postgres's pages
		run(t)
	}
	times := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		t0 := time.Now()
		run(targets[i%len(targets)])
		times = append(times, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(times[min(len(times)-1, len(times)*99/100)].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(rows), "changes")
}
