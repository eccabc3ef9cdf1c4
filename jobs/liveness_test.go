package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/switchboard-dev/switchboard/internal/pgtest"
	"github.com/switchboard-dev/switchboard/jobs"
	"github.com/switchboard-dev/switchboard/jobs/jobstest"
)

type holdArgs struct{}

func (holdArgs) Kind() string { return "test_hold" }

// holdWorker says when it starts; on replica "a" it then holds the job until
// its context ends, as a job waiting on GitLab would.
type holdWorker struct {
	river.WorkerDefaults[holdArgs]
	replica  string
	started  chan string
	finished chan string
}

func (w *holdWorker) Work(ctx context.Context, job *river.Job[holdArgs]) error {
	w.started <- w.replica
	if w.replica == "a" {
		<-ctx.Done()
		return ctx.Err()
	}
	w.finished <- w.replica
	return nil
}

// startReplica starts a client working w on pool, maxWorkers jobs at once
// (DefaultMaxWorkers when zero), stopped when the test ends.
func startReplica(t testing.TB, ctx context.Context, pool *pgxpool.Pool, w *holdWorker, maxWorkers int) *jobs.Client {
	t.Helper()
	workers := river.NewWorkers()
	river.AddWorker(workers, w)
	c, err := jobs.New(pool, jobs.Config{Workers: workers, MaxWorkers: maxWorkers})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = c.StopAndCancel(sctx)
	})
	return c
}

// TestDeadReplicaJobRescued: a job claimed by replica A, which then dies
// (every connection cut, its liveness lock gone with them), is worked by
// replica B within seconds, not after River's stuck-job rescue; while A
// lives, B's rescue leaves A's job alone.
func TestDeadReplicaJobRescued(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	url := pgtest.URL(t)
	started, finished := make(chan string, 4), make(chan string, 4)

	a := jobstest.NewReplica(t, url, 0)
	ca := startReplica(t, ctx, a.Pool, &holdWorker{replica: "a", started: started, finished: finished}, 2)
	res, err := ca.Insert(ctx, holdArgs{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-started:
		if r != "a" {
			t.Fatalf("started on %s, want a", r)
		}
	case <-ctx.Done():
		t.Fatal("replica a never took the job")
	}

	// A lives: nothing to rescue.
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if n, err := jobs.Rescue(ctx, pool); err != nil || n != 0 {
		t.Fatalf("rescue while a lives: %d jobs, %v; want 0", n, err)
	}

	// A dies; B starts and takes the job over.
	killed := time.Now()
	a.Kill()
	b := jobstest.NewReplica(t, url, 0)
	startReplica(t, ctx, b.Pool, &holdWorker{replica: "b", started: started, finished: finished}, 2)
	select {
	case r := <-finished:
		if r != "b" {
			t.Fatalf("finished on %s, want b", r)
		}
	case <-ctx.Done():
		t.Fatal("replica b never took over the dead replica's job")
	}
	t.Logf("the dead replica's job was finished by b %v after a was killed", time.Since(killed).Round(time.Millisecond))
	var errs []string
	if err := pool.QueryRow(ctx, `SELECT array(SELECT e->>'error' FROM unnest(errors) e) FROM river_job WHERE id = $1`, res.Job.ID).Scan(&errs); err != nil {
		t.Fatal(err)
	}
	if len(errs) != 1 || errs[0] != "the replica working it ("+ca.ID()+") died; rescued" {
		t.Fatalf("job errors %q, want one saying a died", errs)
	}
}

// BenchmarkRescue is one replica's rescue pass (every second) with 48 jobs
// running on a live replica and 10,000 finished ones in the table: wall
// time per pass and the Postgres server's CPU is what every replica pays
// each second.
func BenchmarkRescue(b *testing.B) {
	ctx := context.Background()
	url := pgtest.URL(b)
	r := jobstest.NewReplica(b, url, 0)
	workers := river.NewWorkers()
	hw := &holdWorker{replica: "a", started: make(chan string, 64), finished: make(chan string, 64)}
	river.AddWorker(workers, hw)
	c, err := jobs.New(r.Pool, jobs.Config{Workers: workers, MaxWorkers: 48, RescueEvery: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	if err := c.Start(ctx); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = c.StopAndCancel(sctx)
	})
	if _, err := r.Pool.Exec(ctx, `
		INSERT INTO river_job (args, kind, max_attempts, state, finalized_at, attempt, attempted_by, queue, priority)
		SELECT '{}', 'test_done', 25, 'completed', now(), 1, ARRAY['sb-gone-' || i], 'default', 1 FROM generate_series(1, 10000) i`); err != nil {
		b.Fatal(err)
	}
	params := make([]river.InsertManyParams, 48)
	for i := range params {
		params[i] = river.InsertManyParams{Args: holdArgs{}}
	}
	if _, err := c.InsertMany(ctx, params); err != nil {
		b.Fatal(err)
	}
	for range 48 {
		<-hw.started
	}
	b.ResetTimer()
	for b.Loop() {
		if n, err := jobs.Rescue(ctx, r.Pool); err != nil || n != 0 {
			b.Fatalf("rescue: %d, %v", n, err)
		}
	}
}
