package maven_test

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/switchboard-dev/switchboard/internal/pgtest"
	"github.com/switchboard-dev/switchboard/maven"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// fixturePOMs are the fixture projects' pom.xml paths.
var fixturePOMs = []string{"starter/pom.xml", "parent-remote/pom.xml", "bom/pom.xml", "debian-bom/pom.xml",
	"exclusion/pom.xml", "mediation/pom.xml", "multimodule/pom.xml", "multimodule/service/pom.xml",
	"profiles/pom.xml", "reactor/app/pom.xml", "debian-maven/pom.xml"}

// resolveAll resolves every fixture project with each resolver at once
// and returns how many resolutions were made.
func resolveAll(t testing.TB, resolvers ...*maven.Resolver) int {
	t.Helper()
	ws := os.DirFS("testdata/projects")
	var wg sync.WaitGroup
	errs := make(chan error, len(resolvers)*len(fixturePOMs))
	for _, r := range resolvers {
		for _, p := range fixturePOMs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := r.Resolve(context.Background(), ws, p)
				if err == nil {
					err = res.Err()
				}
				if err != nil {
					errs <- err
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return len(resolvers) * len(fixturePOMs)
}

// pomRequests returns the POM requests the fake received and how many
// distinct POMs they were for.
func pomRequests(counts map[string]int) (requests, distinct int) {
	for p, n := range counts {
		if strings.HasSuffix(p, ".pom") {
			requests += n
			distinct++
		}
	}
	return requests, distinct
}

// TestCacheSharedByReplicas: two replicas resolving the same projects at
// once fetch each POM once; a later resolution fetches none.
func TestCacheSharedByReplicas(t *testing.T) {
	pool := pgtest.New(t)
	// The second replica has a pool of its own on the same database.
	pool2, err := pgxpool.New(context.Background(), pool.Config().ConnString())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool2.Close)
	fake, remote := newFake(t)
	fake.Latency = 20 * time.Millisecond
	replica := func(pool *pgxpool.Pool) *maven.Resolver {
		return &maven.Resolver{Repo: &maven.Cached{Repo: remote, Store: maven.NewStore(pool)}}
	}
	resolveAll(t, replica(pool), replica(pool2))
	for p, n := range fake.Requests() {
		if n != 1 {
			t.Errorf("%s: got %d requests, want 1", p, n)
		}
	}
	coords, fetches, err := maven.NewStore(pool).Fetches(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	_, distinct := pomRequests(fake.Requests())
	if coords != distinct || fetches != coords {
		t.Errorf("got %d coordinates fetched %d times, want %d once each", coords, fetches, distinct)
	}
	fake.Reset()
	resolveAll(t, replica(pool2))
	if n, _ := pomRequests(fake.Requests()); n != 0 {
		t.Errorf("warm cache: got %d POM requests, want 0", n)
	}
}

// TestCacheStaleClaim: a claim whose replica died (never filled) is
// taken over once it is older than ClaimTimeout; a fresh one is waited
// for.
func TestCacheStaleClaim(t *testing.T) {
	pool := pgtest.New(t)
	ctx := context.Background()
	fake, remote := newFake(t)
	c := maven.Coord{GroupID: "com.acme", ArtifactID: "lib-a", Version: "1.0"}
	if _, err := pool.Exec(ctx, `INSERT INTO pom_cache (coordinate, claimed_at) VALUES ($1, now() - interval '1 hour')`, c.String()); err != nil {
		t.Fatal(err)
	}
	store := maven.NewStore(pool)
	store.ClaimTimeout = time.Minute
	data, err := (&maven.Cached{Repo: remote, Store: store}).FetchPOM(ctx, c)
	if err != nil || !strings.Contains(string(data), "lib-a") {
		t.Fatalf("got %q, %v; want lib-a's POM", data, err)
	}
	// A fresh claim by another replica: wait for it rather than fetch.
	c2 := maven.Coord{GroupID: "com.acme", ArtifactID: "lib-b", Version: "1.0"}
	if _, err := pool.Exec(ctx, `INSERT INTO pom_cache (coordinate) VALUES ($1)`, c2.String()); err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 1)
	go func() {
		data, err := (&maven.Cached{Repo: remote, Store: store}).FetchPOM(ctx, c2)
		if err != nil {
			got <- err.Error()
		}
		got <- string(data)
	}()
	const other = "<project>fetched by the other replica</project>"
	if _, err := pool.Exec(ctx, `UPDATE pom_cache SET pom = $2, fetches = 1 WHERE coordinate = $1`, c2.String(), []byte(other)); err != nil {
		t.Fatal(err)
	}
	if g := <-got; g != other {
		t.Errorf("got %q, want the other replica's fetch", g)
	}
	if n := fake.Count(c2.Path()); n != 0 {
		t.Errorf("got %d requests for %s, want 0", n, c2.Path())
	}
}

// TestCacheFailureNotStored: a failed fetch is not cached; the next
// resolution fetches again and completes.
func TestCacheFailureNotStored(t *testing.T) {
	pool := pgtest.New(t)
	fake, remote := newFake(t)
	r := &maven.Resolver{Repo: &maven.Cached{Repo: remote, Store: maven.NewStore(pool)}}
	fake.FailAll(503)
	res, err := r.Resolve(context.Background(), os.DirFS("testdata/projects"), "starter/pom.xml")
	if err != nil || !res.Partial() {
		t.Fatalf("got %v partial %v, want partial", err, res != nil && res.Partial())
	}
	fake.FailAll(0)
	res, err = r.Resolve(context.Background(), os.DirFS("testdata/projects"), "starter/pom.xml")
	if err != nil || res.Partial() {
		t.Fatalf("got %v %v, want complete", err, res.Err())
	}
}

// BenchmarkResolve resolves the fixture projects against the fake
// repository at 50 ms a request, through the Postgres cache: cold (empty
// cache, two replicas at once), then warm.
func BenchmarkResolve(b *testing.B) {
	pool := pgtest.New(b)
	fake, remote := newFake(b)
	fake.Latency = 50 * time.Millisecond
	replica := func() *maven.Resolver {
		return &maven.Resolver{Repo: &maven.Cached{Repo: remote, Store: maven.NewStore(pool)}}
	}
	start := time.Now()
	resolveAll(b, replica(), replica())
	cold := time.Since(start)
	coldReq, distinct := pomRequests(fake.Requests())
	fake.Reset()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		n += resolveAll(b, replica())
	}
	b.StopTimer()
	req, _ := pomRequests(fake.Requests())
	// One replica resolving again: its in-process layer answers.
	long := replica()
	resolveAll(b, long)
	start = time.Now()
	memN := resolveAll(b, long)
	b.ReportMetric(float64(memN)/time.Since(start).Seconds(), "mem-warm-resolutions/s")
	// ResetTimer drops metrics reported before it: all are reported here.
	b.ReportMetric(float64(coldReq)/float64(distinct), "cold-fetches/coord")
	b.ReportMetric(cold.Seconds()*1000, "cold-ms")
	b.ReportMetric(float64(req)/float64(distinct), "warm-fetches/coord")
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "resolutions/s")
}
