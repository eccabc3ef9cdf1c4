package jobs_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/riverqueue/river"

	"github.com/switchboard-dev/switchboard/internal/pgtest"
	"github.com/switchboard-dev/switchboard/jobs"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

type noteArgs struct{ N int }

func (noteArgs) Kind() string { return "test_note" }

// noteWorker records which replica worked which job.
type noteWorker struct {
	river.WorkerDefaults[noteArgs]
	replica string
	mu      *sync.Mutex
	seen    map[int]string
	done    chan struct{}
}

func (w *noteWorker) Work(ctx context.Context, job *river.Job[noteArgs]) error {
	w.mu.Lock()
	w.seen[job.Args.N] = w.replica
	w.mu.Unlock()
	w.done <- struct{}{}
	return nil
}

// TestTwoReplicasShareJobs: jobs inserted through one replica are worked
// once each, by both replicas (each on its own pool, as two processes), and
// the metrics count them by kind and state.
func TestTwoReplicasShareJobs(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	url := pgtest.URL(t)
	var mu sync.Mutex
	seen := map[int]string{}
	done := make(chan struct{}, 100)
	reg := prometheus.NewRegistry()
	var clients []*jobs.Client
	// Both replicas' completion events, in one channel.
	events := make(chan *river.Event, 2*40)
	for i, name := range []string{"a", "b"} {
		pool, err := pgxpool.New(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		workers := river.NewWorkers()
		river.AddWorker(workers, &noteWorker{replica: name, mu: &mu, seen: seen, done: done})
		cfg := jobs.Config{Workers: workers, MaxWorkers: 2}
		if i == 0 {
			cfg.Metrics = jobs.NewMetrics(reg, pool)
		}
		c, err := jobs.New(pool, cfg)
		if err != nil {
			t.Fatal(err)
		}
		sub, unsubscribe := c.Subscribe(river.EventKindJobCompleted)
		t.Cleanup(unsubscribe)
		go func() {
			for ev := range sub {
				events <- ev
			}
		}()
		if err := c.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer scancel()
			_ = c.Stop(sctx)
		})
		clients = append(clients, c)
	}
	const n = 40
	params := make([]river.InsertManyParams, n)
	for i := range params {
		params[i] = river.InsertManyParams{Args: noteArgs{N: i}}
	}
	if _, err := clients[0].InsertMany(ctx, params); err != nil {
		t.Fatal(err)
	}
	for range n {
		select {
		case <-done:
		case <-ctx.Done():
			t.Fatalf("only some of %d jobs were worked: %v", n, seen)
		}
	}
	mu.Lock()
	by := map[string]int{}
	for _, r := range seen {
		by[r]++
	}
	mu.Unlock()
	if len(seen) != n {
		t.Fatalf("worked %d distinct jobs, want %d", len(seen), n)
	}
	t.Logf("replica a worked %d jobs, b %d", by["a"], by["b"])

	// The counts come from the database: River records completions in
	// batches, and says so (an event) once each is recorded.
	for completed := 0; completed < n; {
		select {
		case ev := <-events:
			if ev.Kind == river.EventKindJobCompleted && ev.Job.Kind == (noteArgs{}).Kind() {
				completed++
			}
		case <-ctx.Done():
			t.Fatalf("River recorded %d completions of %d", completed, n)
		}
	}
	if got := completedCount(t, reg); got != n {
		t.Fatalf("switchboard_jobs{kind=test_note,state=completed}: got %v, want %d", got, n)
	}
	if c := testutil.CollectAndCount(reg, "switchboard_job_run_seconds"); c == 0 {
		t.Fatal("no job run time recorded")
	}
}

func completedCount(t *testing.T, reg *prometheus.Registry) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "switchboard_jobs" {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["kind"] == "test_note" && labels["state"] == "completed" {
				return m.GetGauge().GetValue()
			}
		}
	}
	return 0
}
