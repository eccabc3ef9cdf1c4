package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
	"github.com/switchboard-dev/switchboard/jobs"
)

// pageLookupArgs is the River job that looks up the incident of a page
// PagerDuty did not confirm, by its dedup key, every Every until Until, and
// corrects the requester's answer at AnswerTo once it is known. It snoozes
// between tries, so a restart loses nothing and any replica may take the
// next try.
type pageLookupArgs struct {
	Token    string        `json:"token"`
	AnswerTo string        `json:"answer_to"`
	Every    time.Duration `json:"every"`
	Until    time.Time     `json:"until"`
}

// Kind implements river.JobArgs.
func (pageLookupArgs) Kind() string { return "page_lookup" }

// InsertOpts implements river.JobArgsWithInsertOpts: one lookup per page
// while it waits or runs.
func (pageLookupArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: jobs.WhileQueued}}
}

// pageLookupWorker makes one try per run, and snoozes until the next.
type pageLookupWorker struct {
	river.WorkerDefaults[pageLookupArgs]
	lookups *commands.PageLookups
	log     *slog.Logger
}

// Work implements river.Worker.
func (w *pageLookupWorker) Work(ctx context.Context, job *river.Job[pageLookupArgs]) error {
	final := !time.Now().Before(job.Args.Until)
	done, err := w.lookups.Try(ctx, job.Args.Token, job.Args.AnswerTo, final)
	if err != nil {
		w.log.WarnContext(ctx, "look up unconfirmed page", "token", job.Args.Token, "final", final, "err", err)
	}
	if done {
		return nil
	}
	return river.JobSnooze(max(job.Args.Every, 10*time.Millisecond))
}

// addPageLookups makes the lookups of unconfirmed pages River jobs: store
// hands them over (catalog.Store.PageLookups) as a job whose first try is
// due one pause later.
func addPageLookups(w *work, store *catalog.Store, lookups *commands.PageLookups, log *slog.Logger) {
	addWorker(w, &pageLookupWorker{lookups: lookups, log: log})
	store.PageLookups = func(ctx context.Context, l catalog.PageLookup) error {
		c, err := w.Client()
		if err != nil {
			return err
		}
		args := pageLookupArgs{Token: l.Token, AnswerTo: l.AnswerTo, Every: l.Every, Until: l.Until}
		if _, err := c.Insert(ctx, args, &river.InsertOpts{ScheduledAt: time.Now().Add(l.Every)}); err != nil {
			return fmt.Errorf("insert lookup of page %s: %w", l.Token, err)
		}
		return nil
	}
}
