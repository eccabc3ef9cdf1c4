package reposync_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/gitlab"
	"github.com/switchboard-dev/switchboard/gitlab/fakegitlab"
	"github.com/switchboard-dev/switchboard/jobs"
	"github.com/switchboard-dev/switchboard/jobs/jobstest"
	"github.com/switchboard-dev/switchboard/maven"
	"github.com/switchboard-dev/switchboard/reposync"
	"github.com/switchboard-dev/switchboard/standards"
)

// replica is one Switchboard process as far as the sync goes: a pool of
// its own (which kill cuts), a GitLab client, a River client working the
// sync's jobs, and the webhook endpoint.
type replica struct {
	name   string
	db     *jobstest.Replica
	store  *catalog.Store
	gitlab *gitlab.Client
	jobs   *jobs.Client
	hook   *httptest.Server
	events <-chan *river.Event

	mu      sync.Mutex
	started bool
	stopped chan struct{}
}

type replicaOpts struct {
	start      bool
	maxWorkers int
	progress   reposync.Progress
	// limiter, when set, gives the replica's GitLab client a shared limit.
	limiter func(*jobstest.Replica) gitlab.Limiter
	// maven, when set, gives the replica's sync a Maven resolver.
	maven func(*jobstest.Replica) *maven.Resolver
}

func (e *env) newReplica(t testing.TB, name string, o replicaOpts) *replica {
	t.Helper()
	db := jobstest.NewReplica(t, e.dbURL, int32(envInt("SB_BENCH_CONNS", 32)))
	store := catalog.NewStore(db.Pool, nil)
	var lim gitlab.Limiter
	if o.limiter != nil {
		lim = o.limiter(db)
	}
	gl, err := gitlab.New(gitlab.Config{BaseURL: e.gitlabURL, Token: token, RetryWaitMin: time.Millisecond,
		RetryWaitMax: 20 * time.Millisecond, RetryMax: 3, Limiter: lim, LimiterBatch: 15,
		Transport: replicaHeader{name: name, base: http.DefaultTransport}})
	if err != nil {
		t.Fatal(err)
	}
	var mvn *maven.Resolver
	if o.maven != nil {
		mvn = o.maven(db)
	}
	syncer := reposync.New(gl, store, reposync.Options{Rules: standards.Default().Rules(), Progress: o.progress, Maven: mvn})
	workers := river.NewWorkers()
	reposync.NewWorkers(syncer, store).Register(workers)
	jc, err := jobs.New(db.Pool, jobs.Config{Workers: workers, MaxWorkers: o.maxWorkers})
	if err != nil {
		t.Fatal(err)
	}
	hook, err := reposync.NewWebhook(hookSecret, jc, store, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(hook)
	t.Cleanup(srv.Close)
	events, cancel := jc.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed, river.EventKindJobCancelled, river.EventKindJobSnoozed)
	r := &replica{name: name, db: db, store: store, gitlab: gl, jobs: jc, hook: srv, events: events}
	t.Cleanup(func() {
		r.stop()
		cancel()
	})
	if o.start {
		r.start(t)
	}
	return r
}

func (r *replica) start(t testing.TB) {
	t.Helper()
	if err := r.jobs.Start(context.Background()); err != nil {
		t.Fatalf("replica %s: %v", r.name, err)
	}
	r.mu.Lock()
	r.started = true
	r.mu.Unlock()
}

// stop stops the replica gracefully (or waits for a killed one to be
// gone).
func (r *replica) stop() {
	r.mu.Lock()
	started, stopped := r.started, r.stopped
	r.started = false
	r.mu.Unlock()
	if stopped != nil {
		<-stopped
	}
	if !started {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_ = r.jobs.Stop(ctx)
}

// kill ends the replica as a killed process ends: its connections are cut
// at once (with them its liveness lock), and nothing it was doing reaches
// the database; its goroutines are then wound down in the background.
func (r *replica) kill() {
	r.db.Kill()
	r.mu.Lock()
	started := r.started
	r.started = false
	r.stopped = make(chan struct{})
	r.mu.Unlock()
	go func() {
		defer close(r.stopped)
		if started {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			_ = r.jobs.StopAndCancel(ctx)
		}
	}()
}

// send sends a hook to the replica's endpoint and wants 202.
func (r *replica) send(t testing.TB, h fakegitlab.Hook) {
	t.Helper()
	if code, err := h.Send(context.Background(), nil, r.hook.URL); err != nil || code != http.StatusAccepted {
		t.Fatalf("replica %s: hook answered %d, %v; want 202", r.name, code, err)
	}
}

// waitIdle waits, on the replica's job events, until no job of kind is
// left to work.
func (r *replica) waitIdle(t testing.TB, ctx context.Context, kind string) {
	t.Helper()
	for {
		var n int
		if err := r.store.Pool().QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = $1 AND finalized_at IS NULL`, kind).Scan(&n); err != nil {
			t.Fatalf("replica %s: %v", r.name, err)
		}
		if n == 0 {
			return
		}
		select {
		case <-r.events:
		case <-ctx.Done():
			t.Fatalf("replica %s: %d %s jobs still to work", r.name, n, kind)
		}
	}
}

// waitCompleted waits for the replica to complete a repo job of project.
func (r *replica) waitCompleted(t testing.TB, ctx context.Context, project int64) {
	t.Helper()
	for {
		select {
		case ev := <-r.events:
			var a reposync.RepoArgs
			if ev.Kind == river.EventKindJobCompleted && ev.Job.Kind == a.Kind() &&
				json.Unmarshal(ev.Job.EncodedArgs, &a) == nil && a.ProjectID == project {
				return
			}
		case <-ctx.Done():
			t.Fatalf("replica %s completed no sync of project %d", r.name, project)
		}
	}
}

func isProject(id int64) func(*http.Request) bool {
	prefix := "/api/v4/projects/" + strconv.FormatInt(id, 10)
	return func(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, prefix) }
}

// TestWebhookSurvivesKilledReplica: two replicas on one database; a push
// hook is answered 202 by replica A, which is then killed, before it took
// the job, or after, while its GitLab request is in flight. Each time the
// new owner is visible through replica B within 5 s.
func TestWebhookSurvivesKilledReplica(t *testing.T) {
	e := newEnv(t, 30, fakegitlab.Options{WebhookSecret: hookSecret})
	if _, err := e.syncer.Run(context.Background(), time.Time{}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		claimed bool
		team    string
	}{
		{"killed before claiming the job", false, "fulfilment"},
		{"killed with the job's GitLab request in flight", true, "payments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := killAfterHook(t, e, tt.claimed, tt.team)
			t.Logf("new owner visible through b %v after a was killed", d.Round(time.Millisecond))
		})
	}
}

// killAfterHook sends a push hook (the owner becomes team) to a replica A,
// kills A before it took the job or, when claimed, while the job's GitLab
// request is in flight, and returns how long after the kill the new owner
// was visible through replica B; it fails past 5 s.
func killAfterHook(t testing.TB, e *env, claimed bool, team string) time.Duration {
	t.Helper()
	p := checkoutProject(t, e)
	a := e.newReplica(t, "a", replicaOpts{start: claimed})
	b := e.newReplica(t, "b", replicaOpts{start: !claimed})
	defer b.stop() // before the next round's replicas start
	var arrived <-chan string
	release := func() {}
	if claimed {
		arrived, release = e.fake.Hold(isProject(p.ID))
		defer release()
	}
	hook, err := e.fake.Push(p.ID, fakegitlab.Change{Files: map[string][]byte{"catalog-info.yaml": withOwner(p.Files["catalog-info.yaml"], team)}})
	if err != nil {
		t.Fatal(err)
	}
	a.send(t, hook)
	if claimed {
		select {
		case <-arrived:
		case <-time.After(30 * time.Second):
			t.Fatal("replica a never asked GitLab")
		}
	}
	killed := time.Now()
	a.kill()
	release()
	if claimed {
		b.start(t)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	b.waitCompleted(t, ctx, p.ID)
	d := time.Since(killed)
	if got := owner(t, b.store, "checkout-api"); got != team {
		t.Fatalf("owner through b: %q, want %q", got, team)
	}
	return d
}

// BenchmarkKilledReplicaToVisible: how long after replica A is killed
// (having answered a push hook 202, before or after taking its job) the new
// owner is visible through replica B.
func BenchmarkKilledReplicaToVisible(b *testing.B) {
	for _, claimed := range []bool{false, true} {
		name := map[bool]string{false: "before-claim", true: "gitlab-request-in-flight"}[claimed]
		b.Run(name, func(b *testing.B) {
			e := newEnv(b, 30, fakegitlab.Options{WebhookSecret: hookSecret})
			if _, err := e.syncer.Run(context.Background(), time.Time{}); err != nil {
				b.Fatal(err)
			}
			var lat []time.Duration
			for i := 0; b.Loop(); i++ {
				lat = append(lat, killAfterHook(b, e, claimed, []string{"fulfilment", "payments"}[i%2]))
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Milliseconds()), "p50-ms")
			b.ReportMetric(float64(lat[len(lat)-1].Milliseconds()), "max-ms")
		})
	}
}

// TestPushBurstCoalesces: 50 pushes to one project over about a second
// cost few comparisons of it, and the catalog ends at the last one. Each
// job settles WebhookSettle after the push that queued it, and a push
// queues a new job only once the one before began, so a burst spanning d
// costs at most 1 + d/WebhookSettle comparisons: 2 when the pushes take
// under a second, more when a loaded machine stretches them (the bound is
// of the span measured, not of the pace asked for).
func TestPushBurstCoalesces(t *testing.T) {
	e := newEnv(t, 30, fakegitlab.Options{WebhookSecret: hookSecret})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := e.syncer.Run(ctx, time.Time{}); err != nil {
		t.Fatal(err)
	}
	e.fake.SetLatency(20 * time.Millisecond)
	r := e.newReplica(t, "a", replicaOpts{start: true})
	p := checkoutProject(t, e)
	before := e.fake.Stats().ByRoute[compareRoute]
	team := ""
	var first time.Time
	pace := time.NewTicker(20 * time.Millisecond) // 50 pushes over about a second
	defer pace.Stop()
	for i := range 50 {
		<-pace.C
		team = []string{"fulfilment", "payments", "search"}[i%3]
		hook, err := e.fake.Push(p.ID, fakegitlab.Change{Files: map[string][]byte{"catalog-info.yaml": withOwner(p.Files["catalog-info.yaml"], team)}})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = time.Now() // no job of the burst was queued before
		}
		r.send(t, hook)
	}
	span := time.Since(first) // every job of the burst was queued by now
	r.waitIdle(t, ctx, (reposync.RepoArgs{}).Kind())
	compares := e.fake.Stats().ByRoute[compareRoute] - before
	most := 1 + int64(span/reposync.WebhookSettle)
	if compares > most || compares < 1 {
		t.Fatalf("50 pushes over %v cost %d comparisons, want 1 to %d", span.Round(time.Millisecond), compares, most)
	}
	if got := owner(t, r.store, "checkout-api"); got != team {
		t.Fatalf("owner after the burst: %q, want the last push's %q", got, team)
	}
	t.Logf("50 pushes over %v: %d comparisons (at most %d)", span.Round(time.Millisecond), compares, most)
}

const compareRoute = "GET /api/v4/projects/{id}/repository/compare"

// envInt reads a benchmark knob from the environment: SB_BENCH_CONNS is
// each replica's pool size (32, catalog.DefaultMaxConns, when unset), to
// compare the jobs' Postgres CPU at the pool size the sync had before;
// SB_BENCH_WORKERS each replica's River workers (jobs.DefaultMaxWorkers).
func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return n
	}
	return def
}

// replicaHeader says which replica sends a request (X-Replica), so that the
// fake GitLab can hold one replica's requests.
type replicaHeader struct {
	name string
	base http.RoundTripper
}

func (h replicaHeader) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Replica", h.name)
	return h.base.RoundTrip(r)
}

// TestSyncRunSurvivesKilledReplica: a run's repo jobs are shared by two
// replicas; one is killed while a GitLab request of one of its jobs is in
// flight; the other finishes the run, and every repo listed is accounted
// for once.
func TestSyncRunSurvivesKilledReplica(t *testing.T) {
	e := newEnv(t, 80, fakegitlab.Options{Latency: 5 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	a := e.newReplica(t, "a", replicaOpts{start: true})
	b := e.newReplica(t, "b", replicaOpts{start: true})
	arrived, release := e.fake.Hold(func(r *http.Request) bool {
		return r.Header.Get("X-Replica") == "b" && strings.Contains(r.URL.Path, "/repository/")
	})
	defer release()
	res, err := a.jobs.Insert(ctx, reposync.RunArgs{What: reposync.RunFull}, nil)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-arrived:
	case <-ctx.Done():
		t.Fatal("replica b never worked a repo")
	}
	b.kill()
	release()
	run, err := a.store.WaitSyncRun(ctx, res.Job.ID)
	if err != nil {
		t.Fatal(err)
	}
	var ledger int
	if err := a.store.Pool().QueryRow(ctx, `SELECT count(DISTINCT gitlab_id) FROM sync_run_repos WHERE run_id = $1`, run.ID).Scan(&ledger); err != nil {
		t.Fatal(err)
	}
	want := len(e.fake.Projects())
	if !run.Completed || run.ReposSeen != want || run.Queued != want || ledger != want || run.Failed != 0 {
		t.Fatalf("run: completed %v, seen %d, queued %d, recorded %d, failed %d; want %d each, none failed (%s)",
			run.Completed, run.ReposSeen, run.Queued, ledger, run.Failed, want, run.Error)
	}
	if run.Reread != want || run.Catalogued == 0 {
		t.Fatalf("run: re-read %d of %d, catalogued %d", run.Reread, want, run.Catalogued)
	}
}
