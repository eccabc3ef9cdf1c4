package commands_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/advisories"
	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
)

// benchImpactSeed fills a catalog of 6,000 repos (5,000 services, 60
// teams), each with a resolved graph of 150 dependencies (20 direct, the
// rest with a chain), a quarter with log4j-core at one of six versions
// (two thirds of them transitive, one version an unresolved property), a tenth
// with a declared-only graph and 1% with a file not read.
const benchImpactSeed = `
INSERT INTO teams (name) SELECT 'team' || t FROM generate_series(1, 60) t;
INSERT INTO repos (gitlab_id, path, web_url, descriptor_status, synced_at)
	SELECT g, 'acme/team' || (g % 60 + 1) || '/repo' || g, 'https://gitlab.example/acme/repo' || g, 'ok', now()
	FROM generate_series(1, 6000) g;
INSERT INTO services (name, team_id, source)
	SELECT 'svc' || r.gitlab_id, t.id, 'descriptor' FROM repos r JOIN teams t ON t.name = 'team' || (r.gitlab_id % 60 + 1)
	WHERE r.gitlab_id % 6 <> 0;
INSERT INTO service_repos (service_id, repo_id) SELECT s.id, r.id FROM services s JOIN repos r ON s.name = 'svc' || r.gitlab_id;
INSERT INTO dependencies (repo_id, ecosystem, name, version, file, source, line, direct, via)
	SELECT r.id, 'gradle', 'org.example:lib-' || i, '1.' || (i % 7) || '.' || (r.gitlab_id % 5), 'gradle.lockfile', 'gradle.lockfile', i, i <= 20,
	       CASE WHEN i > 20 THEN ARRAY['org.example:lib-' || (i % 20 + 1) || '@1.0.0'] ELSE '{}' END
	FROM repos r, generate_series(1, 150) i;
INSERT INTO dependencies (repo_id, ecosystem, name, version, file, source, line, direct, via)
	SELECT r.id, 'gradle', 'org.apache.logging.log4j:log4j-core',
	       (ARRAY['2.14.1', '2.17.1', '2.11.2', '2.16.0', '2.12.1', '${log4j.version}'])[(r.gitlab_id / 4) % 6 + 1],
	       'gradle.lockfile', 'gradle.lockfile', 200, r.gitlab_id % 3 = 0,
	       CASE WHEN r.gitlab_id % 3 = 0 THEN '{}' ELSE ARRAY['org.springframework.boot:spring-boot-starter-log4j2@2.6.1'] END
	FROM repos r WHERE r.gitlab_id % 4 = 0;
INSERT INTO dependency_files (repo_id, path, graph, problem)
	SELECT id, 'gradle.lockfile', CASE WHEN gitlab_id % 10 = 0 THEN 'declared' ELSE 'paths' END, '' FROM repos;
INSERT INTO dependency_files (repo_id, path, problem, error)
	SELECT id, 'api/pom.xml', 'not_found', '404' FROM repos WHERE gitlab_id % 100 = 1;
`

// BenchmarkImpact answers /impact CVE-2021-44228 and /impact log4j-core
// <2.17.1 over 6,000 repos of 150 dependencies each (900,000 rows):
// p50-ms and p99-ms of the whole command (queries, advisory checks,
// rendering). Run with -benchtime 200x for a p99 worth reading.
func BenchmarkImpact(b *testing.B) {
	ctx := context.Background()
	pool := pgtest.New(b)
	if _, err := pool.Exec(ctx, benchImpactSeed); err != nil {
		b.Fatal(err)
	}
	// The tables as autovacuum leaves them once a sync is over: vacuumed
	// (visibility map set) and analyzed. Done here, not left to
	// autovacuum, whose pass over 900,000 new rows would otherwise land
	// in the middle of the timed loop.
	if _, err := pool.Exec(ctx, `VACUUM (ANALYZE)`); err != nil {
		b.Fatal(err)
	}
	store := advisories.NewStore(pool)
	raw, err := os.ReadFile(filepath.Join("..", "advisories", "testdata", "GHSA-jfh8-c2jp-5v3q.json"))
	if err != nil {
		b.Fatal(err)
	}
	rec, err := advisories.Parse(raw)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := store.Put(ctx, []*advisories.Record{rec}); err != nil {
		b.Fatal(err)
	}
	// Wired as production wires it (cmd/switchboard/router.go): the
	// router's timeout, the advisories store behind a Finder.
	r := commands.NewRouter(nil, 10*time.Second)
	r.Register(commands.ImpactCommand(commands.ImpactConfig{Index: catalog.NewStore(pool, nil), Advisories: advisoryFinder{&advisories.Finder{Store: store}}}))
	for _, q := range []struct{ name, text, want string }{
		{"advisory", "CVE-2021-44228", "CVE-2021-44228: 750 repos"},
		{"package", "log4j-core <2.17.1", "log4j-core <2.17.1: 1000 repos"},
	} {
		b.Run(q.name, func(b *testing.B) {
			resp, err := r.Dispatch(ctx, commands.Request{Command: "/impact", Text: q.text})
			if err != nil || !strings.HasPrefix(resp.Text, q.want) {
				b.Fatalf("%s: %v %q, want %q", q.text, err, resp.Text, q.want)
			}
			b.Logf("%s", resp.Text)
			times := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for range b.N {
				start := time.Now()
				if _, err := r.Dispatch(ctx, commands.Request{Command: "/impact", Text: q.text}); err != nil {
					b.Fatal(err)
				}
				times = append(times, time.Since(start))
			}
			b.StopTimer()
			slices.Sort(times)
			b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(times[min(len(times)-1, len(times)*99/100)].Microseconds())/1000, "p99-ms")
		})
	}
}
