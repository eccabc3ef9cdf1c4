package reposync_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchboard-dev/switchboard/gitlab/fakegitlab"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
	"github.com/switchboard-dev/switchboard/jobs/jobstest"
	"github.com/switchboard-dev/switchboard/maven"
	"github.com/switchboard-dev/switchboard/maven/fakemaven"
	"github.com/switchboard-dev/switchboard/reposync"
	"github.com/switchboard-dev/switchboard/standards"
)

// The Maven repository of BenchmarkSyncColdMaven: an organisation's
// parents (benchParents of them, all below one root POM that imports a
// BOM) and its shared libraries (benchLibs artifacts in benchLibVersions
// versions, each bringing two others in), about 200 coordinates in all.
const (
	benchParents     = 20
	benchLibs        = 60
	benchLibVersions = 3
	// benchBOMLibs are the libraries the BOM manages; the parents manage
	// the others, each parent its own versions.
	benchBOMLibs = 10
)

func pomXML(group, artifact, version, packaging, parent, body string) []byte {
	var b strings.Builder
	b.WriteString("<project>\n  <modelVersion>4.0.0</modelVersion>\n")
	if parent != "" {
		g, rest, _ := strings.Cut(parent, ":")
		a, v, _ := strings.Cut(rest, ":")
		fmt.Fprintf(&b, "  <parent>\n    <groupId>%s</groupId>\n    <artifactId>%s</artifactId>\n    <version>%s</version>\n    <relativePath/>\n  </parent>\n", g, a, v)
	}
	if group != "" {
		fmt.Fprintf(&b, "  <groupId>%s</groupId>\n", group)
	}
	fmt.Fprintf(&b, "  <artifactId>%s</artifactId>\n", artifact)
	if version != "" {
		fmt.Fprintf(&b, "  <version>%s</version>\n", version)
	}
	if packaging != "" {
		fmt.Fprintf(&b, "  <packaging>%s</packaging>\n", packaging)
	}
	b.WriteString(body)
	b.WriteString("</project>\n")
	return []byte(b.String())
}

func depXML(group, artifact, version, extra string) string {
	s := fmt.Sprintf("      <dependency>\n        <groupId>%s</groupId>\n        <artifactId>%s</artifactId>\n", group, artifact)
	if version != "" {
		s += fmt.Sprintf("        <version>%s</version>\n", version)
	}
	return s + extra + "      </dependency>\n"
}

func libName(j int) string    { return fmt.Sprintf("lib-%02d", j) }
func libVersion(v int) string { return fmt.Sprintf("1.%d", v) }
func parentName(k int) string { return fmt.Sprintf("parent-%02d", k) }
func managed(deps ...string) string {
	return "  <dependencyManagement>\n    <dependencies>\n" + strings.Join(deps, "") + "    </dependencies>\n  </dependencyManagement>\n"
}
func dependencies(deps ...string) string {
	return "  <dependencies>\n" + strings.Join(deps, "") + "  </dependencies>\n"
}

// benchMavenRepo is the Maven repository: its files in the repository
// layout.
func benchMavenRepo() fstest.MapFS {
	fsys := fstest.MapFS{}
	put := func(group, artifact, version string, data []byte) {
		fsys[maven.Coord{GroupID: group, ArtifactID: artifact, Version: version}.Path()] = &fstest.MapFile{Data: data}
	}
	var bom []string
	for j := range benchBOMLibs {
		bom = append(bom, depXML("com.acme.libs", libName(j), libVersion(0), ""))
	}
	put("com.acme", "acme-bom", "1.0", pomXML("com.acme", "acme-bom", "1.0", "pom", "", managed(bom...)))
	put("com.acme", "acme-root", "1.0", pomXML("com.acme", "acme-root", "1.0", "pom", "",
		managed(depXML("com.acme", "acme-bom", "1.0", "        <type>pom</type>\n        <scope>import</scope>\n"))))
	for k := range benchParents {
		var m []string
		for j := benchBOMLibs; j < benchLibs; j++ {
			m = append(m, depXML("com.acme.libs", libName(j), libVersion((k+j)%benchLibVersions), ""))
		}
		put("com.acme.parents", parentName(k), "1.0", pomXML("com.acme.parents", parentName(k), "1.0", "pom", "com.acme:acme-root:1.0", managed(m...)))
	}
	for j := range benchLibs {
		for v := range benchLibVersions {
			var deps []string
			for _, d := range []int{j / 2, j / 3} {
				if d != j && (len(deps) == 0 || d != j/2) {
					deps = append(deps, depXML("com.acme.libs", libName(d), libVersion(v), ""))
				}
			}
			body := ""
			if len(deps) > 0 {
				body = dependencies(deps...)
			}
			put("com.acme.libs", libName(j), libVersion(v), pomXML("com.acme.libs", libName(j), libVersion(v), "", "", body))
		}
	}
	return fsys
}

// benchServicePOM is the pom.xml of the i-th Maven project: a parent from
// the repository, four libraries whose versions the parent or the BOM
// manages.
func benchServicePOM(i int) []byte {
	libs := []int{(i * 7) % benchLibs, (i*13 + 5) % benchLibs, (i*11 + 29) % benchLibs, (i*3 + 1) % benchBOMLibs}
	var deps []string
	seen := map[int]bool{}
	for _, j := range libs {
		if !seen[j] {
			seen[j] = true
			deps = append(deps, depXML("com.acme.libs", libName(j), "", ""))
		}
	}
	parent := "com.acme.parents:" + parentName(i%benchParents) + ":1.0"
	return pomXML("com.acme.svc", fmt.Sprintf("svc-%d", i), "1.0.0", "", parent, dependencies(deps...))
}

// newMavenBenchEnv is newEnv's organisation of n projects in which every
// third is a Maven project whose parent is in the Maven repository only
// (other pom.xml files removed, so that every POM the sync asks for is
// the repository's), over a fresh database.
func newMavenBenchEnv(b *testing.B, n int, opts fakegitlab.Options) *env {
	b.Helper()
	org := fakegitlab.Generate(n, 1)
	for i, p := range org.Projects {
		for f := range p.Files {
			if path.Base(f) == "pom.xml" {
				delete(p.Files, f)
			}
		}
		if i%3 == 0 {
			p.Files["pom.xml"] = benchServicePOM(i / 3)
		}
		p.Commit = ""
	}
	return newOrgEnv(b, org, opts, reposync.Options{Rules: standards.Default().Rules()})
}

// mavenReplica gives each replica its own resolver, as a process has: the
// repository at url behind the POM cache in the replica's pool.
func mavenReplica(url string) func(*jobstest.Replica) *maven.Resolver {
	return func(r *jobstest.Replica) *maven.Resolver {
		client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
		remote, err := maven.NewRemote([]maven.RemoteRepo{{URL: url}}, client)
		if err != nil {
			panic(err)
		}
		return &maven.Resolver{Repo: &maven.Cached{Repo: remote, Store: maven.NewStore(r.Pool)}}
	}
}

// pomFetches returns the POM requests the repository received and the
// distinct coordinates they were for.
func pomFetches(m *fakemaven.Server) (fetches, coordinates int) {
	for p, n := range m.Requests() {
		if strings.HasSuffix(p, ".pom") {
			fetches += n
			coordinates++
		}
	}
	return fetches, coordinates
}

// copyPOMCache copies the POM cache of the database at from into the one
// at to.
func copyPOMCache(b *testing.B, from, to string) int {
	b.Helper()
	ctx := context.Background()
	src, err := pgx.Connect(ctx, from)
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close(ctx)
	dst, err := pgx.Connect(ctx, to)
	if err != nil {
		b.Fatal(err)
	}
	defer dst.Close(ctx)
	rows, err := src.Query(ctx, `SELECT coordinate, pom, claimed_at, fetched_at, fetches FROM pom_cache WHERE pom IS NOT NULL`)
	if err != nil {
		b.Fatal(err)
	}
	all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([]any, error) { return r.Values() })
	if err != nil {
		b.Fatal(err)
	}
	n, err := dst.CopyFrom(ctx, pgx.Identifier{"pom_cache"}, []string{"coordinate", "pom", "claimed_at", "fetched_at", "fetches"}, pgx.CopyFromRows(all))
	if err != nil {
		b.Fatal(err)
	}
	return int(n)
}

// BenchmarkSyncColdMaven is BenchmarkSyncCold's latency-bound case with
// Maven: 3,000 repos at 50 ms a GitLab request, a third of them Maven
// projects whose parent POM is in the Maven repository only (20 parents
// below one root that imports a BOM, 60 libraries in 3 versions each
// bringing others in: about 200 coordinates), the repository answering
// each request in 50 ms. Each case syncs twice into an empty catalog: with
// the POM cache cold, then warm (the first run's POM cache copied into a
// fresh database, the replicas' memory empty): wall-s of each; the POM
// fetches the repository received per distinct coordinate (goal: 1.0),
// and the fetches of the warm run (goal: 0).
func BenchmarkSyncColdMaven(b *testing.B) {
	for _, replicas := range []int{1, 2} {
		b.Run(fmt.Sprintf("latency-bound-3000-%d-replicas", replicas), func(b *testing.B) {
			for b.Loop() {
				mvn := fakemaven.New(benchMavenRepo())
				mvn.Latency = 50 * time.Millisecond
				mvnSrv := httptest.NewServer(mvn)
				b.Cleanup(mvnSrv.Close)
				opts := replicaOpts{maven: mavenReplica(mvnSrv.URL)}

				e := newMavenBenchEnv(b, 3000, fakegitlab.Options{Latency: 50 * time.Millisecond})
				cold := syncCluster(b, e, replicas, false, opts)
				fetches, coords := pomFetches(mvn)
				var partial int
				if err := e.store.Pool().QueryRow(context.Background(), `SELECT count(*) FROM dependency_files WHERE path = 'pom.xml' AND (note <> '' OR problem <> '')`).Scan(&partial); err != nil {
					b.Fatal(err)
				}
				if partial > 0 || coords == 0 {
					b.Fatalf("cold run: %d pom.xml partial or unread, %d coordinates fetched; want every graph complete", partial, coords)
				}

				// Warm: the POM cache populated, the catalog empty.
				mvn.Reset()
				warmEnv := *e
				warmEnv.dbURL = pgtest.URL(b)
				cached := copyPOMCache(b, e.dbURL, warmEnv.dbURL)
				warm := syncCluster(b, &warmEnv, replicas, false, opts)
				warmFetches, _ := pomFetches(mvn)

				b.ReportMetric(cold.wall.Seconds(), "cold-wall-s")
				b.ReportMetric(warm.wall.Seconds(), "warm-wall-s")
				b.ReportMetric(float64(fetches)/float64(coords), "fetches/coord")
				b.ReportMetric(float64(coords), "coords")
				b.ReportMetric(float64(cached), "cached-poms")
				b.ReportMetric(float64(warmFetches), "warm-fetches")
				b.ReportMetric(float64(cold.run.ReposSeen), "repos")
			}
		})
	}
}
