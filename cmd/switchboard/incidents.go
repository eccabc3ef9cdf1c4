package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
	"github.com/switchboard-dev/switchboard/grading"
	"github.com/switchboard-dev/switchboard/jobs"
	"github.com/switchboard-dev/switchboard/pagerduty"
	"github.com/switchboard-dev/switchboard/standards"
)

// incidentRefreshInterval is how often PagerDuty's incidents are read
// again (only those created since the last read).
const incidentRefreshInterval = 10 * time.Minute

// incidentSource is the PagerDuty adapter as the catalog's refresh reads
// it: the whole account's incidents, grouped by service in the store.
type incidentSource struct{ pd *pagerduty.Client }

// Incidents implements catalog.IncidentSource.
func (s incidentSource) Incidents(ctx context.Context, since, until time.Time, fn func([]catalog.Incident) error) (int, error) {
	cost, err := s.pd.ListIncidents(ctx, since, until, nil, func(page []pagerduty.Incident) error {
		out := make([]catalog.Incident, len(page))
		for i, in := range page {
			out[i] = catalog.Incident{ID: in.ID, PDServiceID: in.ServiceID, CreatedAt: in.CreatedAt,
				Urgency: in.Urgency, Status: in.Status, Number: in.Number}
		}
		return fn(out)
	})
	return cost.Requests, err
}

// incidentRefreshArgs is the River job reading PagerDuty's incidents.
// Unique while one waits or runs; replicas also take turns through the
// store's claim.
type incidentRefreshArgs struct{}

// Kind implements river.JobArgs.
func (incidentRefreshArgs) Kind() string { return "pagerduty_incidents" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (incidentRefreshArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByState: jobs.WhileQueued}}
}

// incidentRefreshWorker reads PagerDuty's incidents into the store.
type incidentRefreshWorker struct {
	river.WorkerDefaults[incidentRefreshArgs]
	store   *catalog.Store
	src     catalog.IncidentSource
	replica string
	// regrade: the card in force checks incidents_30d, so every service is
	// graded again when the counts turn known or unknown.
	regrade bool
	log     *slog.Logger
}

// Timeout implements river.Worker: a full read of a large account takes
// minutes at PagerDuty's rate limit.
func (w *incidentRefreshWorker) Timeout(*river.Job[incidentRefreshArgs]) time.Duration {
	return 15 * time.Minute
}

// Work implements river.Worker.
func (w *incidentRefreshWorker) Work(ctx context.Context, _ *river.Job[incidentRefreshArgs]) error {
	before, err := w.store.IncidentRefresh(ctx)
	if err != nil {
		return err
	}
	res, err := w.store.RefreshIncidents(ctx, w.src, w.replica)
	if err != nil {
		// Recorded in the store (the counts say since when PagerDuty has
		// not answered); the next schedule tries again.
		w.log.Warn("pagerduty incidents not refreshed", "requests", res.Requests, "err", err)
	} else if res.Claimed {
		w.log.Info("pagerduty incidents refreshed", "full", res.Full, "since", res.Since, "requests", res.Requests, "incidents", res.Incidents)
	}
	if !w.regrade {
		return nil
	}
	// The counts turned known (the first read) or unknown (PagerDuty
	// silent for IncidentsStale) since the last run: incidents_30d moves
	// between known and unknown for every service; grade them all again
	// now rather than at the daily grading. Changed counts otherwise
	// show at the daily grading.
	after, err := w.store.IncidentRefresh(ctx)
	if err != nil {
		return err
	}
	now := w.store.Now()
	if before.Known(now.Add(-incidentRefreshInterval)) == after.Known(now) {
		return nil
	}
	client, err := river.ClientFromContextSafely[pgx.Tx](ctx)
	if err != nil {
		return fmt.Errorf("queue grading after the incidents' refresh: %w", err)
	}
	return queueGradeAllAfter(ctx, client, regradePoll)
}

// regradePoll is how often queueGradeAllAfter tries again while a grading
// of every service runs.
const regradePoll = time.Second

// queueGradeAllAfter queues a grading of every service that reads the
// facts as they are now. GradeAllArgs is unique while it waits or runs, so
// an insert while one runs is skipped, and the running one may have read
// the facts before they changed (the daily grading, or the one a leader
// runs when it starts, alongside the incidents' first refresh): then it
// waits, every poll, until that one has ended and inserts again. One
// waiting (not yet running) reads the facts as they are when it runs.
func queueGradeAllAfter(ctx context.Context, client *river.Client[pgx.Tx], poll time.Duration) error {
	for {
		res, err := client.Insert(ctx, grading.GradeAllArgs{}, nil)
		if err != nil {
			return fmt.Errorf("queue grading after the incidents' refresh: %w", err)
		}
		if !res.UniqueSkippedAsDuplicate || res.Job.State != rivertype.JobStateRunning {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("queue grading after the incidents' refresh: grading %d still running: %w", res.Job.ID, ctx.Err())
		case <-time.After(poll):
		}
	}
}

// addIncidents reads PagerDuty's incidents every incidentRefreshInterval
// (and when a leader starts) into the store, from which /whoowns, /team,
// the digest and the scorecard's incidents_30d count. Only with PagerDuty
// configured. When std's card checks incidents_30d, every service is
// graded again when the counts turn known or unknown (addScorecard added
// the grading jobs: std and its card are those it was given).
func addIncidents(w *work, store *catalog.Store, pd *pagerduty.Client, std *standards.Standards, log *slog.Logger) {
	if pd == nil {
		return
	}
	regrade := false
	if std != nil && std.Scorecard != nil {
		for _, ref := range std.Scorecard.Needs() {
			regrade = regrade || ref.Name == "incidents_30d"
		}
	}
	addWorker(w, &incidentRefreshWorker{store: store, src: incidentSource{pd}, replica: campaignReplica(), regrade: regrade, log: log})
	addPeriodic(w, incidentRefreshArgs{}, incidentRefreshInterval, true)
}

// businessHours are the standards' business hours for the incident counts
// (the defaults when std is nil).
func businessHours(std *standards.Standards) catalog.BusinessHours {
	if std == nil {
		std = standards.Default()
	}
	start, end, days, loc := std.Hours()
	return catalog.BusinessHours{Location: loc, Start: start, End: end, Weekdays: days}
}

// refreshDemoIncidents reads the demo's fake PagerDuty incidents once, as
// serve's periodic job does.
func refreshDemoIncidents(ctx context.Context, store *catalog.Store, pd *pagerduty.Client) error {
	if _, err := store.RefreshIncidents(ctx, incidentSource{pd}, "demo"); err != nil {
		return fmt.Errorf("demo incidents: %w", err)
	}
	return nil
}

// incidentCounts are the incident counts the commands read: nil without
// a store or PagerDuty (no incident line then).
func incidentCounts(d deps) commands.IncidentCounts {
	if d.store == nil || d.pagerduty == nil {
		return nil
	}
	return catalog.IncidentCounts{Store: d.store, Hours: businessHours(d.standards)}
}
