package digest

import (
	"context"
	"time"

	"github.com/riverqueue/river"
)

// Args is the River job that posts the digest that is due: today's once its
// time has come, or a day missed while no replica ran. It carries nothing:
// the day is the schedule's, and the day's record says what is left to do.
// It is not unique: jobs that overlap are harmless, one posts and the
// others find the day claimed or posted.
type Args struct{}

// Kind implements river.JobArgs.
func (Args) Kind() string { return "digest" }

// Worker works the digest jobs with a Poster. Register it on every replica
// (river.AddWorker), with the Poster's PeriodicJob as a schedule.
type Worker struct {
	river.WorkerDefaults[Args]
	Poster *Poster
}

// Work implements river.Worker. A failed post fails the job, so that River
// retries it; a day another replica is posting, or that failed a moment
// ago, snoozes the job until the day may be claimed again.
func (w *Worker) Work(ctx context.Context, job *river.Job[Args]) error {
	p := w.Poster
	res, err := p.RunDue(ctx)
	if err != nil {
		return err
	}
	switch res.Skipped {
	case "":
		if res.Posted {
			p.log().Info("digest posted", "day", day(res.Day), "due", res.DueAt, "channels", res.Channels, "job", job.ID)
		}
	case SkippedLocked, SkippedClaimed:
		wait := min(max(res.RetryAt.Sub(p.now()), time.Second), p.interval())
		return river.JobSnooze(wait)
	}
	return nil
}

// Timeout implements river.Worker: the post's own bound, and time to record
// its outcome.
func (w *Worker) Timeout(*river.Job[Args]) time.Duration {
	return w.Poster.postTimeout() + time.Minute
}

// PeriodicJob returns the digest's schedule as River's: the cluster's
// leader inserts a digest job at each due time of the standards file's
// schedule, and once when it starts (a day missed while every replica was
// down is then posted). It returns nil when there is nowhere to post, and
// an error when the schedule is invalid.
func (p *Poster) PeriodicJob() (*river.PeriodicJob, error) {
	sched, err := p.Schedule()
	if err != nil {
		return nil, err
	}
	if !p.hasAudience() {
		p.log().Info("digest not scheduled: no digest channel in the standards file (digest.channel)")
		return nil, nil
	}
	p.log().Info("digest scheduled", "schedule", sched.String(), "channel", p.standards().Digest.Channel, "team_digests", p.TeamDigests)
	return river.NewPeriodicJob(sched, func() (river.JobArgs, *river.InsertOpts) { return Args{}, nil },
		&river.PeriodicJobOpts{ID: "digest", RunOnStart: true}), nil
}
