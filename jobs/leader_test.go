package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchboard-dev/switchboard/internal/pgtest"
	"github.com/switchboard-dev/switchboard/jobs"
	"github.com/switchboard-dev/switchboard/jobs/jobstest"
)

// BenchmarkLeaderFailover measures how long River's leadership (which
// inserts the cluster's periodic jobs and runs River's maintenance) takes
// to move when the leader is killed: replica A leads, is killed, and the
// time until replica B leads is reported. The rescue of a dead replica's
// jobs does not wait for it (every replica rescues; see liveness.go).
func BenchmarkLeaderFailover(b *testing.B) {
	ctx := context.Background()
	for b.Loop() {
		url := pgtest.URL(b)
		start := func(r *jobstest.Replica) *jobs.Client {
			return startReplica(b, ctx, r.Pool, &holdWorker{replica: "b", started: make(chan string, 1), finished: make(chan string, 1)}, 0)
		}
		a := jobstest.NewReplica(b, url, 0)
		ca := start(a)
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			b.Fatal(err)
		}
		leader := func() string {
			var id string
			_ = conn.QueryRow(ctx, `SELECT leader_id FROM river_leader`).Scan(&id)
			return id
		}
		for leader() != ca.ID() {
			time.Sleep(10 * time.Millisecond)
		}
		cb := start(jobstest.NewReplica(b, url, 0))
		killed := time.Now()
		a.Kill()
		for leader() != cb.ID() {
			time.Sleep(10 * time.Millisecond)
		}
		b.ReportMetric(time.Since(killed).Seconds(), "failover-s")
		conn.Close(ctx)
	}
}
