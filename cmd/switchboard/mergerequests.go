package main

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
	"github.com/switchboard-dev/switchboard/jobs"
)

// mergeRequestArgs is the River job that opens the merge request of a
// service registered in Slack: inserted in the registration's transaction,
// retried by River's policy up to commands.MaxMRAttempts times. The
// registration row stays the record (state, attempts, last error, link).
type mergeRequestArgs struct {
	Registration int64 `json:"registration"`
}

// Kind implements river.JobArgs.
func (mergeRequestArgs) Kind() string { return "merge_request" }

// InsertOpts implements river.JobArgsWithInsertOpts: one job per
// registration while it waits, runs or waits to retry.
func (mergeRequestArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: commands.MaxMRAttempts, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: jobs.WhileQueued}}
}

// mergeRequestWorker works the merge-request jobs with an MRWorker.
type mergeRequestWorker struct {
	river.WorkerDefaults[mergeRequestArgs]
	mr *commands.MRWorker
}

// Work implements river.Worker. The requester is told when River will try
// again (its retry policy's next time), or that it gave up on the last
// attempt.
func (w *mergeRequestWorker) Work(ctx context.Context, job *river.Job[mergeRequestArgs]) error {
	var retryAt time.Time
	if job.Attempt < job.MaxAttempts {
		retryAt = (&river.DefaultClientRetryPolicy{}).NextRetry(job.JobRow)
	}
	return w.mr.Open(ctx, job.Args.Registration, retryAt)
}

// addMergeRequests makes the replica open the merge requests of /service
// add as River jobs: store inserts a job in each registration's
// transaction.
func addMergeRequests(w *work, store *catalog.Store, mr *commands.MRWorker) {
	addWorker(w, &mergeRequestWorker{mr: mr})
	store.RegistrationJobs = func(ctx context.Context, tx pgx.Tx, reg catalog.Registration) error {
		c, err := w.Client()
		if err != nil {
			return err
		}
		if _, err := c.InsertTx(ctx, tx, mergeRequestArgs{Registration: reg.ID}, nil); err != nil {
			return fmt.Errorf("insert merge request job of registration %d: %w", reg.ID, err)
		}
		return nil
	}
}

// enqueuePendingRegistrations inserts a merge-request job for each
// registration still pending that no job has touched for an hour (made
// before merge requests were jobs, or while their job could not be
// inserted); a registration whose job is queued is skipped (unique).
func enqueuePendingRegistrations(ctx context.Context, store *catalog.Store) error {
	ids, err := store.PendingRegistrations(ctx, time.Hour)
	if err != nil || len(ids) == 0 {
		return err
	}
	c, err := river.ClientFromContextSafely[pgx.Tx](ctx)
	if err != nil {
		return fmt.Errorf("pending registrations: %w", err)
	}
	params := make([]river.InsertManyParams, len(ids))
	for i, id := range ids {
		params[i] = river.InsertManyParams{Args: mergeRequestArgs{Registration: id}}
	}
	if _, err := c.InsertMany(ctx, params); err != nil {
		return fmt.Errorf("pending registrations: %w", err)
	}
	return nil
}

var _ river.JobArgsWithInsertOpts = mergeRequestArgs{}
