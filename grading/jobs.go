package grading

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/switchboard-dev/switchboard/jobs"
)

// Intervals and timeouts of the scorecard's jobs.
const (
	// RefreshInterval is how often PagerDuty is read and stale grades are
	// graded again.
	RefreshInterval = 5 * time.Minute
	// GradeAllHour is the hour (UTC) of the daily grading of every
	// service, after the sync's daily verification run (03:00).
	GradeAllHour = 4
	// gradeTimeout bounds a repo's grading; gradeAllTimeout every
	// service's.
	gradeTimeout    = time.Minute
	gradeAllTimeout = 10 * time.Minute
	// notifyTimeout bounds telling the pending drops.
	notifyTimeout = 2 * time.Minute
)

// uniqueWhileQueued makes a job unique by its args while it waits or runs.
var uniqueWhileQueued = river.UniqueOpts{ByArgs: true, ByState: jobs.WhileQueued}

// GradeArgs grades the services of one repo again: queued when its sync
// stored a change.
type GradeArgs struct {
	// ProjectID is the repo's GitLab project id.
	ProjectID int64 `json:"project_id" river:"unique"`
}

// Kind implements river.JobArgs.
func (GradeArgs) Kind() string { return "scorecard_grade" }

// InsertOpts implements river.JobArgsWithInsertOpts: one per repo while it
// waits or runs (a change stored while one runs is graded by the next
// refresh: the running grade is older than the sync).
func (GradeArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 5, UniqueOpts: uniqueWhileQueued}
}

// QueueGrade queues the grading of a repo's services from within a River
// job (the sync of the repo, once it stored a change): through the job's
// client, found in ctx.
func QueueGrade(ctx context.Context, gitlabID int64) error {
	client, err := river.ClientFromContextSafely[pgx.Tx](ctx)
	if err != nil {
		return fmt.Errorf("queue grading of project %d: %w", gitlabID, err)
	}
	if _, err := client.Insert(ctx, GradeArgs{ProjectID: gitlabID}, nil); err != nil {
		return fmt.Errorf("queue grading of project %d: %w", gitlabID, err)
	}
	return nil
}

// GradeAllArgs grades every service: daily, and when a leader starts.
type GradeAllArgs struct{}

// Kind implements river.JobArgs.
func (GradeAllArgs) Kind() string { return "scorecard_grade_all" }

// InsertOpts implements river.JobArgsWithInsertOpts: one at a time.
func (GradeAllArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 3, UniqueOpts: uniqueWhileQueued}
}

// RefreshArgs reads PagerDuty and grades what changed (Grader.Refresh).
type RefreshArgs struct{}

// Kind implements river.JobArgs.
func (RefreshArgs) Kind() string { return "scorecard_refresh" }

// InsertOpts implements river.JobArgsWithInsertOpts: one at a time, one
// attempt (the next comes within RefreshInterval).
func (RefreshArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 1, UniqueOpts: uniqueWhileQueued}
}

// NotifyArgs tells the teams of the drops not told yet.
type NotifyArgs struct{}

// Kind implements river.JobArgs.
func (NotifyArgs) Kind() string { return "scorecard_notify" }

// InsertOpts implements river.JobArgsWithInsertOpts: one at a time, up to
// 8 attempts when Slack fails (River's backoff: about 80 minutes in all).
func (NotifyArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 8, UniqueOpts: uniqueWhileQueued}
}

// GradeWorker works GradeArgs.
type GradeWorker struct {
	river.WorkerDefaults[GradeArgs]
	Grader *Grader
}

// Timeout implements river.Worker.
func (w *GradeWorker) Timeout(*river.Job[GradeArgs]) time.Duration { return gradeTimeout }

// Work implements river.Worker.
func (w *GradeWorker) Work(ctx context.Context, job *river.Job[GradeArgs]) error {
	_, err := w.Grader.GradeProject(ctx, job.Args.ProjectID)
	return err
}

// GradeAllWorker works GradeAllArgs.
type GradeAllWorker struct {
	river.WorkerDefaults[GradeAllArgs]
	Grader *Grader
}

// Timeout implements river.Worker.
func (w *GradeAllWorker) Timeout(*river.Job[GradeAllArgs]) time.Duration { return gradeAllTimeout }

// Work implements river.Worker.
func (w *GradeAllWorker) Work(ctx context.Context, _ *river.Job[GradeAllArgs]) error {
	res, err := w.Grader.GradeAll(ctx)
	if err != nil {
		return err
	}
	w.Grader.log.Info("scorecard: every service graded", "services", res.Services, "changes", len(res.Changes),
		"collect", res.Collect, "evaluate", res.Evaluate, "store", res.Store)
	return nil
}

// RefreshWorker works RefreshArgs.
type RefreshWorker struct {
	river.WorkerDefaults[RefreshArgs]
	Grader *Grader
}

// Work implements river.Worker. Drops still to tell queue a
// scorecard_notify (one recorded outside a job, or whose job gave up).
func (w *RefreshWorker) Work(ctx context.Context, _ *river.Job[RefreshArgs]) error {
	res, err := w.Grader.Refresh(ctx)
	if err != nil {
		return err
	}
	if res.PendingDrops > 0 {
		client, err := river.ClientFromContextSafely[pgx.Tx](ctx)
		if err != nil {
			return fmt.Errorf("queue the drops' notification: %w", err)
		}
		if _, err := client.Insert(ctx, NotifyArgs{}, nil); err != nil {
			return fmt.Errorf("queue the drops' notification: %w", err)
		}
	}
	return nil
}

// NotifyWorker works NotifyArgs.
type NotifyWorker struct {
	river.WorkerDefaults[NotifyArgs]
	Notifier *Notifier
}

// Timeout implements river.Worker.
func (w *NotifyWorker) Timeout(*river.Job[NotifyArgs]) time.Duration { return notifyTimeout }

// Work implements river.Worker: each drop is claimed by this attempt,
// told, and recorded told; a drop Slack refused is released and the job
// fails, to be tried again.
func (w *NotifyWorker) Work(ctx context.Context, job *river.Job[NotifyArgs]) error {
	client := ""
	if n := len(job.AttemptedBy); n > 0 {
		client = job.AttemptedBy[n-1]
	}
	by := fmt.Sprintf("%s/%d/%d", client, job.ID, job.Attempt)
	_, err := w.Notifier.TellDrops(ctx, by)
	return err
}

// Workers are the scorecard's kinds of job.
type Workers struct {
	Grade    *GradeWorker
	GradeAll *GradeAllWorker
	Refresh  *RefreshWorker
	Notify   *NotifyWorker
}

// NewWorkers returns the workers of the scorecard's jobs.
func NewWorkers(g *Grader, n *Notifier) *Workers {
	return &Workers{
		Grade: &GradeWorker{Grader: g}, GradeAll: &GradeAllWorker{Grader: g},
		Refresh: &RefreshWorker{Grader: g}, Notify: &NotifyWorker{Notifier: n},
	}
}

// Register adds the workers to w.
func (ws *Workers) Register(w *river.Workers) {
	river.AddWorker(w, ws.Grade)
	river.AddWorker(w, ws.GradeAll)
	river.AddWorker(w, ws.Refresh)
	river.AddWorker(w, ws.Notify)
}

// Periodic returns the scorecard's schedules: the refresh every
// RefreshInterval and the daily grading at GradeAllHour UTC, both also
// when a leader starts (a new card is graded at a deploy).
func Periodic() []*river.PeriodicJob {
	return []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(RefreshInterval), func() (river.JobArgs, *river.InsertOpts) {
			return RefreshArgs{}, nil
		}, &river.PeriodicJobOpts{ID: RefreshArgs{}.Kind(), RunOnStart: true}),
		river.NewPeriodicJob(dailyAt(GradeAllHour), func() (river.JobArgs, *river.InsertOpts) {
			return GradeAllArgs{}, nil
		}, &river.PeriodicJobOpts{ID: GradeAllArgs{}.Kind(), RunOnStart: true}),
	}
}

// dailyAt is a schedule at an hour of each day, UTC.
type dailyAt int

// Next implements river.PeriodicSchedule.
func (h dailyAt) Next(t time.Time) time.Time {
	t = t.UTC()
	next := time.Date(t.Year(), t.Month(), t.Day(), int(h), 0, 0, 0, time.UTC)
	if !next.After(t) {
		next = next.AddDate(0, 0, 1)
	}
	return next
}
