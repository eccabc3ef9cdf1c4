package reposync_test

import (
	"context"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/gitlab"
	"github.com/switchboard-dev/switchboard/gitlab/fakegitlab"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
	"github.com/switchboard-dev/switchboard/jobs/jobstest"
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
	pool := pgtest.New(b) // pgx's default size, as the sync had before River
	if n := envInt("SB_BENCH_CONNS", 0); n > 0 {
		pool = jobstest.NewReplica(b, pgtest.URL(b), int32(n)).Pool
	}
	return &benchEnv{fake: fake, client: client, store: catalog.NewStore(pool, nil)}
}

func (e *benchEnv) syncer(p reposync.Progress) *reposync.Syncer {
	return reposync.New(e.client, e.store, reposync.Options{Rules: standards.Default().Rules(), Progress: p, Workers: 48})
}

// tally counts the repos one replica finished, and hears of each.
type tally struct {
	done    atomic.Int64
	firstOK atomic.Int64 // unix ns of the first valid descriptor stored
	onDone  func()
}

func (t *tally) Listed(int) {}
func (t *tally) Done(_ string, o reposync.Outcome) {
	t.done.Add(1)
	if o == reposync.OutcomeOK {
		t.firstOK.CompareAndSwap(0, time.Now().UnixNano())
	}
	if t.onDone != nil {
		t.onDone()
	}
}

// clusterRun is what one sync run over a cluster of replicas did.
type clusterRun struct {
	run     catalog.SyncRun
	wall    time.Duration
	first   time.Duration
	shares  []float64 // each replica's part of the repo jobs
	ledger  int       // repos recorded by the run
	pgCPUms float64   // Postgres CPU per repo
}

// syncCluster runs one full sync over n replicas started on e (killing the
// last one once half the repos are done, when kill is set) and waits for
// the run to finish.
func syncCluster(b *testing.B, e *env, n int, kill bool, base replicaOpts) clusterRun {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	total := len(e.fake.Projects())
	tallies := make([]*tally, n)
	rs := make([]*replica, n)
	var killOnce sync.Once
	var doneAll atomic.Int64
	for i := range n {
		tallies[i] = &tally{}
		o := base
		o.progress, o.maxWorkers = tallies[i], envInt("SB_BENCH_WORKERS", 0)
		rs[i] = e.newReplica(b, string(rune('a'+i)), o)
	}
	for i := range n {
		tallies[i].onDone = func() {
			if kill && doneAll.Add(1) == int64(total/2) {
				killOnce.Do(func() { go rs[n-1].kill() })
			}
		}
	}
	cpuBefore := pgCPU()
	start := time.Now()
	for _, r := range rs {
		r.start(b)
	}
	res, err := rs[0].jobs.Insert(ctx, reposync.RunArgs{What: reposync.RunFull}, nil)
	if err != nil {
		b.Fatal(err)
	}
	run, err := rs[0].store.WaitSyncRun(ctx, res.Job.ID)
	if err != nil {
		b.Fatal(err)
	}
	out := clusterRun{run: run, wall: time.Since(start), pgCPUms: (pgCPU() - cpuBefore) * 1000 / float64(max(run.ReposSeen, 1))}
	var first int64
	var sum int64
	for _, t := range tallies {
		sum += t.done.Load()
		if f := t.firstOK.Load(); f != 0 && (first == 0 || f < first) {
			first = f
		}
	}
	for _, t := range tallies {
		out.shares = append(out.shares, float64(t.done.Load())/float64(max(sum, 1)))
	}
	out.first = time.Unix(0, first).Sub(start)
	if err := rs[0].store.Pool().QueryRow(ctx, `SELECT count(*) FROM sync_run_repos WHERE run_id = $1`, run.ID).Scan(&out.ledger); err != nil {
		b.Fatal(err)
	}
	if !run.Completed || run.Failed > 0 || out.ledger != run.Queued || run.Queued != run.ReposSeen {
		b.Fatalf("run: completed %v, failed %d, %d repos recorded of %d queued, %d listed: %s %v", run.Completed, run.Failed, out.ledger, run.Queued, run.ReposSeen, run.Error, run.Failures)
	}
	for _, r := range rs {
		r.stop()
	}
	return out
}

// BenchmarkSyncCold syncs a whole organisation into an empty catalog from
// the fake GitLab, as River jobs worked by one or two replicas (each its
// own pool, GitLab client and River client, as two processes):
//
//   - rate-bound: 6,000 repos at 50 ms a request, the fake allowing 300
//     requests a second, two replicas sharing the budget in Postgres:
//     floor-ratio is the wall time over the least time the allowance
//     permits (requests ÷ rate); 1.0 means the sync is limited by the
//     server alone; 429s counts the refusals;
//   - latency-bound: 3,000 repos at 50 ms, no limit, with one replica, two,
//     and two of which one is killed once half the repos are done: wall-s,
//     first-visible-s (the first service queryable), each replica's share
//     of the repo jobs (share-a, share-b); every repo is accounted for;
//   - cpu-bound: 3,000 repos at 0 ms, one replica: wall-s and the Postgres
//     server's CPU per repo (from /proc).
func BenchmarkSyncCold(b *testing.B) {
	cases := []struct {
		name     string
		repos    int
		latency  time.Duration
		rate     int
		replicas int
		kill     bool
	}{
		{"rate-bound-6000-2-replicas", 6000, 50 * time.Millisecond, 300, 2, false},
		{"latency-bound-3000-1-replica", 3000, 50 * time.Millisecond, 0, 1, false},
		{"latency-bound-3000-2-replicas", 3000, 50 * time.Millisecond, 0, 2, false},
		{"latency-bound-3000-2-replicas-1-killed", 3000, 50 * time.Millisecond, 0, 2, true},
		{"cpu-bound-3000-1-replica", 3000, 0, 0, 1, false},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				e := newEnv(b, c.repos, fakegitlab.Options{Latency: c.latency, RateLimit: c.rate, RateWindow: time.Second})
				var limiter func(*jobstest.Replica) gitlab.Limiter
				if c.rate > 0 {
					limiter = func(r *jobstest.Replica) gitlab.Limiter {
						return catalog.NewRateBudget(r.Pool, "gitlab", c.rate, time.Second)
					}
				}
				rssBefore := rssMiB("VmRSS")
				resetPeakRSS()
				out := syncCluster(b, e, c.replicas, c.kill, replicaOpts{limiter: limiter})
				run := out.run
				wall := out.wall.Seconds()
				b.ReportMetric(float64(run.ReposSeen)/wall, "repos/s")
				b.ReportMetric(float64(run.Requests)/float64(run.ReposSeen), "requests/repo")
				b.ReportMetric(wall, "wall-s")
				b.ReportMetric(out.first.Seconds(), "first-visible-s")
				b.ReportMetric(float64(run.RateLimited), "429s")
				b.ReportMetric(out.pgCPUms, "pg-cpu-ms/repo")
				for i, sh := range out.shares {
					b.ReportMetric(sh, "share-"+string(rune('a'+i)))
				}
				if c.rate > 0 {
					b.ReportMetric(wall/(float64(run.Requests)/float64(c.rate)), "floor-ratio")
				}
				b.ReportMetric(rssMiB("VmHWM")-rssBefore, "sync-peak-rss-MiB")
			}
		})
	}
}

// BenchmarkSyncColdInProcess is the sync without River (Syncer.Run, 48
// goroutines, one process): the reference the job-based runs are held to.
func BenchmarkSyncColdInProcess(b *testing.B) {
	for _, c := range []struct {
		name    string
		latency time.Duration
	}{{"latency-bound-3000", 50 * time.Millisecond}, {"cpu-bound-3000", 0}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				e := newBenchEnv(b, 3000, fakegitlab.Options{Latency: c.latency})
				cpuBefore := pgCPU()
				sum, err := e.syncer(nil).Run(context.Background(), time.Time{})
				if err != nil || sum.Failed > 0 {
					b.Fatalf("%+v %v", sum, err)
				}
				b.ReportMetric(sum.Duration.Seconds(), "wall-s")
				b.ReportMetric((pgCPU()-cpuBefore)*1000/float64(sum.Seen), "pg-cpu-ms/repo")
			}
		})
	}
}

// BenchmarkSyncWarm syncs 6,000 repos, then pushes to 1% of them and runs
// the incremental sync as a River run on one replica: requests and seconds
// of that second run.
func BenchmarkSyncWarm(b *testing.B) {
	e := newEnv(b, 6000, fakegitlab.Options{Latency: 50 * time.Millisecond})
	ctx := context.Background()
	r := e.newReplica(b, "a", replicaOpts{start: true})
	runOnce := func(what string) catalog.SyncRun {
		b.Helper()
		res, err := r.jobs.Insert(ctx, reposync.RunArgs{What: what}, nil)
		if err != nil {
			b.Fatal(err)
		}
		run, err := r.store.WaitSyncRun(ctx, res.Job.ID)
		if err != nil || !run.Completed {
			b.Fatalf("run: %+v %v", run, err)
		}
		return run
	}
	runOnce(reposync.RunFull)
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
		run := runOnce(reposync.RunIncremental)
		b.ReportMetric(float64(changed), "changed")
		b.ReportMetric(float64(run.Requests), "requests")
		b.ReportMetric(float64(run.Requests)/float64(changed), "requests/changed")
		b.ReportMetric(run.FinishedAt.Sub(run.StartedAt).Seconds(), "wall-s")
	}
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

// BenchmarkRateBudgetTake is the cost of the shared GitLab rate limit: one
// Take (a batch of requests from the budget in Postgres) as two replicas'
// clients call it, each from its own pool: wall time per Take and the
// Postgres server's CPU per Take.
func BenchmarkRateBudgetTake(b *testing.B) {
	url := pgtest.URL(b)
	var budgets []*catalog.RateBudget
	for range 2 {
		budgets = append(budgets, catalog.NewRateBudget(jobstest.NewReplica(b, url, 4).Pool, "gitlab", 1<<30, time.Second))
	}
	ctx := context.Background()
	cpuBefore := pgCPU()
	start := time.Now()
	var i atomic.Int64
	b.SetParallelism(2)
	b.RunParallel(func(pb *testing.PB) {
		bud := budgets[i.Add(1)%2]
		for pb.Next() {
			if n, _, err := bud.Take(ctx, 15); err != nil || n != 15 {
				b.Errorf("take: %d, %v", n, err)
				return
			}
		}
	})
	b.ReportMetric(float64(time.Since(start).Microseconds())/float64(b.N), "us/take")
	b.ReportMetric((pgCPU()-cpuBefore)*1e6/float64(b.N), "pg-cpu-us/take")
}
