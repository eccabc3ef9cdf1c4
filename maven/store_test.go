package maven_test

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/internal/pgtest"
	"github.com/switchboard-dev/switchboard/maven"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// fixturePOMs are the fixture projects' pom.xml paths.
var fixturePOMs = []string{"starter/pom.xml", "parent-remote/pom.xml", "bom/pom.xml", "debian-bom/pom.xml",
	"exclusion/pom.xml", "mediation/pom.xml", "multimodule/pom.xml", "multimodule/service/pom.xml"}

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
	fake, remote := newFake(t)
	fake.Latency = 20 * time.Millisecond
	replica := func() *maven.Resolver {
		return &maven.Resolver{Repo: &maven.Cached{Repo: remote, Store: maven.NewStore(pool)}}
	}
	resolveAll(t, replica(), replica())
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
	resolveAll(t, replica())
	if n, _ := pomRequests(fake.Requests()); n != 0 {
		t.Errorf("warm cache: got %d POM requests, want 0", n)
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
	// ResetTimer drops metrics reported before it: all are reported here.
	b.ReportMetric(float64(coldReq)/float64(distinct), "cold-fetches/coord")
	b.ReportMetric(cold.Seconds()*1000, "cold-ms")
	b.ReportMetric(float64(req)/float64(distinct), "warm-fetches/coord")
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "resolutions/s")
}
