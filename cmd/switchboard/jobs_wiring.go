package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"

	"github.com/switchboard-dev/switchboard/advisories"
	"github.com/switchboard-dev/switchboard/campaigns"
	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/grading"
	"github.com/switchboard-dev/switchboard/jobs"
	"github.com/switchboard-dev/switchboard/pagerduty"
	"github.com/switchboard-dev/switchboard/scorecard"
)

// work is a replica's background work: River jobs in the catalog's
// Postgres. Each piece of background work adds its kinds of job (Workers)
// and its schedules (Periodic) before serve starts; the client is built
// then, so that every kind is known to it.
type work struct {
	pool    *pgxpool.Pool
	log     *slog.Logger
	metrics *jobs.Metrics
	// Workers are the kinds of job this replica works.
	Workers *river.Workers
	// Periodic are the cluster's schedules.
	Periodic []*river.PeriodicJob
	// kinds counts the kinds added: without any, no client is started.
	kinds  int
	client *jobs.Client
	// repoChanged, when set (addScorecard, addCampaigns), is told of each
	// repo whose sync stored a change (addSync passes it to the repo's
	// job).
	repoChanged func(ctx context.Context, gitlabID int64) error
}

func newWork(pool *pgxpool.Pool, reg prometheus.Registerer, log *slog.Logger) *work {
	return &work{pool: pool, log: log, metrics: jobs.NewMetrics(reg, pool), Workers: river.NewWorkers()}
}

// add registers a kind of job; call it before serve starts.
func addWorker[T river.JobArgs](w *work, worker river.Worker[T]) {
	river.AddWorker(w.Workers, worker)
	w.kinds++
}

// addPeriodic adds a cluster schedule: River's leader inserts args every
// interval (and, with runOnStart, when it becomes leader). The schedule's
// ID is the job's kind.
func addPeriodic(w *work, args river.JobArgs, interval time.Duration, runOnStart bool) {
	w.Periodic = append(w.Periodic, river.NewPeriodicJob(river.PeriodicInterval(interval),
		func() (river.JobArgs, *river.InsertOpts) { return args, nil },
		&river.PeriodicJobOpts{ID: args.Kind(), RunOnStart: runOnStart}))
}

// Client returns the River client, built on first use (inserting needs no
// started client); every kind must have been added by then.
func (w *work) Client() (*jobs.Client, error) {
	if w.client != nil {
		return w.client, nil
	}
	cfg := jobs.Config{Periodic: w.Periodic, Log: w.log, Metrics: w.metrics}
	if w.kinds > 0 {
		cfg.Workers = w.Workers
	}
	c, err := jobs.New(w.pool, cfg)
	if err != nil {
		return nil, fmt.Errorf("background jobs: %w", err)
	}
	w.client = c
	return c, nil
}

// start starts working jobs; nothing to do when no kind was added.
func (w *work) start(ctx context.Context) error {
	if w == nil || w.kinds == 0 {
		return nil
	}
	c, err := w.Client()
	if err != nil {
		return err
	}
	if err := c.Start(ctx); err != nil {
		return fmt.Errorf("start background jobs: %w", err)
	}
	return nil
}

// stop lets the jobs being worked finish until ctx ends, then cancels them
// (River runs a cancelled job again, on this replica or another).
func (w *work) stop(ctx context.Context) error {
	if w == nil || w.client == nil || w.kinds == 0 {
		return nil
	}
	if err := w.client.Stop(ctx); err != nil {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		return w.client.StopAndCancel(cctx)
	}
	return nil
}

// addScorecard adds the scorecard's jobs (package grading) and schedules:
// a repo's services graded when its sync stores a change, PagerDuty read
// and stale grades graded every grading.RefreshInterval, every service
// graded daily and when a leader starts, and the drops told to the teams'
// channels through pub. pd may be nil (no PagerDuty: its facts stay
// unknown). Call it before addSync.
func addScorecard(w *work, store *catalog.Store, card *scorecard.Card, pd *pagerduty.Client, pub grading.Publisher, log *slog.Logger) error {
	g, err := grading.New(store, card, log)
	if err != nil {
		return err
	}
	if pd != nil {
		g.PagerDuty = pd
	}
	ws := grading.NewWorkers(g, grading.NewNotifier(store, card, pub, log))
	addWorker(w, ws.Grade)
	addWorker(w, ws.GradeAll)
	addWorker(w, ws.Refresh)
	addWorker(w, ws.Notify)
	w.Periodic = append(w.Periodic, grading.Periodic()...)
	w.repoChanged = grading.QueueGrade
	return nil
}

// addCampaigns adds the campaigns' jobs (package campaigns): every open
// campaign evaluated again for a repo's services when its sync stores a
// change, queued beside the repo's grading, and over the whole catalog
// every campaigns.EvaluateAllInterval; and, when poster is not nil, the
// teams told and their messages kept up to date after each evaluation,
// and every campaigns.SweepInterval the teams of a campaign just started
// told, the reminders due sent and an ended campaign's final report
// posted (campaign_sweep). Call it after addScorecard and before addSync.
func addCampaigns(w *work, store *catalog.Store, poster campaigns.Poster, log *slog.Logger) {
	e := &campaigns.Evaluator{Store: store, Advisories: advisories.NewStore(store.Pool())}
	var n *campaigns.Notifier
	if poster != nil {
		n = &campaigns.Notifier{Store: store, Poster: poster, Replica: campaignReplica(), Log: log}
		addWorker(w, &campaigns.SweepWorker{Notifier: n})
		addPeriodic(w, campaigns.SweepArgs{}, campaigns.SweepInterval, true)
	}
	addWorker(w, &campaigns.EvaluateWorker{Evaluator: e, Notifier: n})
	addWorker(w, &campaigns.EvaluateAllWorker{Evaluator: e, Notifier: n})
	addPeriodic(w, campaigns.EvaluateAllArgs{}, campaigns.EvaluateAllInterval, false)
	prev := w.repoChanged
	w.repoChanged = func(ctx context.Context, gitlabID int64) error {
		var err error
		if prev != nil {
			err = prev(ctx, gitlabID)
		}
		return errors.Join(err, campaigns.QueueEvaluate(ctx, gitlabID))
	}
}

// campaignReplica names this replica in the campaigns' claims:
// host:pid:random, unique to the process.
func campaignReplica() string {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown"
	}
	return fmt.Sprintf("%s:%d:%s", host, os.Getpid(), rand.Text()[:8])
}
