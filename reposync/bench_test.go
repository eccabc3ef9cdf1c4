package reposync_test

import (
	"context"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/gitlab"
	"github.com/switchboard-dev/switchboard/gitlab/fakegitlab"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
	"github.com/switchboard-dev/switchboard/reposync"
	"github.com/switchboard-dev/switchboard/standards"
)

// firstOK records when the first repo with a valid descriptor was stored:
// from then on its services answer /whoowns.
type firstOK struct {
	mu    sync.Mutex
	start time.Time
	at    time.Duration
}

func (f *firstOK) Listed(int) {}
func (f *firstOK) Done(_ string, o reposync.Outcome) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if o == reposync.OutcomeOK && f.at == 0 {
		f.at = time.Since(f.start)
	}
}

type benchEnv struct {
	fake   *fakegitlab.Server
	client *gitlab.Client
	store  *catalog.Store
}

func newBenchEnv(b *testing.B, n int, opts fakegitlab.Options) *benchEnv {
	b.Helper()
	opts.Token = token
	fake := fakegitlab.New(fakegitlab.Generate(n, 1), opts)
	srv := httptest.NewServer(fake)
	b.Cleanup(srv.Close)
	fake.SetURL(srv.URL)
	client, err := gitlab.New(gitlab.Config{BaseURL: srv.URL, Token: token})
	if err != nil {
		b.Fatal(err)
	}
	return &benchEnv{fake: fake, client: client, store: catalog.NewStore(pgtest.New(b), nil)}
}

func (e *benchEnv) syncer(p reposync.Progress) *reposync.Syncer {
	return reposync.New(e.client, e.store, reposync.Options{Rules: standards.Default().Rules(), Progress: p, Workers: 48})
}

// BenchmarkSyncCold syncs a whole organisation into an empty catalog from
// the fake GitLab at 50 ms a request, in two settings:
//
//   - rate-bound: 6,000 repos, the fake allowing 300 requests a second:
//     floor-ratio is the wall time over the least time the allowance
//     permits (requests ÷ rate); 1.0 means the sync is limited by the
//     server alone.
//   - latency-bound: 3,000 repos, no limit: wall-s, first-visible-s (the
//     first service queryable) and the process's peak RSS growth over the
//     run (the fake GitLab lives in the same process and is built before).
func BenchmarkSyncCold(b *testing.B) {
	cases := []struct {
		name  string
		repos int
		rate  int
	}{
		{"rate-bound-6000", 6000, 300},
		{"latency-bound-3000", 3000, 0},
		{"cpu-bound-3000", 3000, -1},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				opts := fakegitlab.Options{Latency: 50 * time.Millisecond, RateLimit: max(c.rate, 0), RateWindow: time.Second}
				if c.rate < 0 {
					opts.Latency = 0
				}
				e := newBenchEnv(b, c.repos, opts)
				rssBefore := rssMiB("VmRSS")
				cpuBefore := pgCPU()
				resetPeakRSS()
				fo := &firstOK{start: time.Now()}
				sum, err := e.syncer(fo).Run(context.Background(), time.Time{})
				if err != nil {
					b.Fatal(err)
				}
				if sum.Failed > 0 {
					b.Fatalf("%d repos failed: %v", sum.Failed, sum.Failures[:min(3, len(sum.Failures))])
				}
				wall := sum.Duration.Seconds()
				b.ReportMetric(float64(sum.Seen)/wall, "repos/s")
				b.ReportMetric(float64(sum.Requests)/float64(sum.Seen), "requests/repo")
				b.ReportMetric(wall, "wall-s")
				b.ReportMetric(fo.at.Seconds(), "first-visible-s")
				b.ReportMetric(float64(sum.RateLimited), "429s")
				if c.rate > 0 {
					b.ReportMetric(wall/(float64(sum.Requests)/float64(c.rate)), "floor-ratio")
				}
				b.ReportMetric(rssMiB("VmHWM")-rssBefore, "sync-peak-rss-MiB")
				b.ReportMetric((pgCPU()-cpuBefore)*1000/float64(sum.Seen), "pg-cpu-ms/repo")
			}
		})
	}
}

// BenchmarkSyncWarm syncs 6,000 repos, then pushes to 1% of them and runs
// the incremental sync: requests and seconds of that second run.
func BenchmarkSyncWarm(b *testing.B) {
	e := newBenchEnv(b, 6000, fakegitlab.Options{Latency: 50 * time.Millisecond})
	ctx := context.Background()
	s := e.syncer(nil)
	if _, err := s.Once(ctx, e.store, syncLockFor(e.store), true); err != nil {
		b.Fatal(err)
	}
	projects := e.fake.Projects()
	round := 0
	for b.Loop() {
		round++
		changed := 0
		for i := round; i < len(projects); i += 100 {
			p := projects[i]
			if _, err := e.fake.Push(p.ID, fakegitlab.Change{Files: map[string][]byte{"README.md": []byte("round " + strconv.Itoa(round))}}); err != nil {
				b.Fatal(err)
			}
			changed++
		}
		time.Sleep(1100 * time.Millisecond) // last_activity_at moves in whole seconds
		sum, err := s.Once(ctx, e.store, syncLockFor(e.store), false)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(changed), "changed")
		b.ReportMetric(float64(sum.Requests), "requests")
		b.ReportMetric(float64(sum.Requests)/float64(changed), "requests/changed")
		b.ReportMetric(sum.Duration.Seconds(), "wall-s")
	}
}

func syncLockFor(s *catalog.Store) reposync.Locker {
	return func(ctx context.Context) (func(), bool, error) { return catalog.TryLock(ctx, s.Pool(), "sync") }
}

// BenchmarkImpact answers /impact log4j-core over 6,000 synced repos.
func BenchmarkImpact(b *testing.B) {
	e := newBenchEnv(b, 6000, fakegitlab.Options{})
	ctx := context.Background()
	if _, err := e.syncer(nil).Run(ctx, time.Time{}); err != nil {
		b.Fatal(err)
	}
	var lat []time.Duration
	for b.Loop() {
		start := time.Now()
		hits, err := e.store.DependentRepos(ctx, "log4j-core")
		lat = append(lat, time.Since(start))
		if err != nil || len(hits) == 0 {
			b.Fatalf("hits %d, %v", len(hits), err)
		}
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// rssMiB reads a memory figure of this process from /proc (VmRSS, VmHWM).
func rssMiB(field string) float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, field+":") {
			f := strings.Fields(line)
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// resetPeakRSS makes VmHWM start again from the current RSS (Linux).
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }
