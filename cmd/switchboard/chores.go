package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/jobs"
)

// choresArgs is the River job of the cluster's housekeeping: forgetting
// Slack deliveries old enough that Slack no longer retries them, and
// giving a merge-request job to a registration that has none. Unique while
// one waits or runs.
type choresArgs struct{}

// Kind implements river.JobArgs.
func (choresArgs) Kind() string { return "housekeeping" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (choresArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByState: jobs.WhileQueued}}
}

// choresWorker does the housekeeping.
type choresWorker struct {
	river.WorkerDefaults[choresArgs]
	store *catalog.Store
	log   *slog.Logger
}

// Work implements river.Worker.
func (w *choresWorker) Work(ctx context.Context, _ *river.Job[choresArgs]) error {
	n, err := w.store.ForgetDeliveries(ctx)
	if err != nil {
		return fmt.Errorf("forget old Slack deliveries: %w", err)
	}
	if n > 0 {
		w.log.Debug("forgot old Slack deliveries", "count", n)
	}
	// Merge requests are jobs on this replica (GitLab is configured).
	if w.store.RegistrationJobs != nil {
		if err := enqueuePendingRegistrations(ctx, w.store); err != nil {
			return err
		}
	}
	return nil
}

// addChores makes the replica do the cluster's housekeeping, hourly.
func addChores(w *work, store *catalog.Store, log *slog.Logger) {
	addWorker(w, &choresWorker{store: store, log: log})
	addPeriodic(w, choresArgs{}, time.Hour, false)
}
