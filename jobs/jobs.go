// Package jobs runs Switchboard's background work on River: durable jobs in
// the catalog's Postgres, taken by any replica, with retries, unique and
// periodic jobs. It holds what every kind of job shares: how the River
// client is configured, its logs and its metrics. Each kind of job (a
// repo's sync, a webhook, the digest, a merge request...) has its worker
// next to the code it runs and is registered in main.
package jobs

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"
)

// Client is River's client over the catalog's pool, with this replica's
// liveness (see liveness.go): Start takes the replica's liveness lock before
// River starts taking jobs, and the replica rescues the jobs of replicas
// that died; Stop lets both go after River has stopped.
type Client struct {
	*river.Client[pgx.Tx]
	live *liveness
}

// ID is the client's River ID (river_job.attempted_by), unique per process.
func (c *Client) ID() string { return c.live.id }

// Start takes the replica's liveness lock, starts River, then the rescue of
// dead replicas' jobs. A client without workers only inserts: it needs
// neither.
func (c *Client) Start(ctx context.Context) error {
	if err := c.live.start(ctx); err != nil {
		return err
	}
	if err := c.Client.Start(ctx); err != nil {
		c.live.stop()
		return fmt.Errorf("start river: %w", err)
	}
	c.live.startRescue()
	return nil
}

// Stop lets the jobs being worked finish until ctx ends (see river's Stop),
// then releases the liveness lock.
func (c *Client) Stop(ctx context.Context) error {
	c.live.stopRescue()
	err := c.Client.Stop(ctx)
	if err == nil {
		c.live.stop()
	}
	return err
}

// StopAndCancel cancels the jobs being worked and stops (river's
// StopAndCancel), then releases the liveness lock.
func (c *Client) StopAndCancel(ctx context.Context) error {
	c.live.stopRescue()
	err := c.Client.StopAndCancel(ctx)
	c.live.stop()
	return err
}

// Defaults of Config.
const (
	// DefaultMaxWorkers is how many jobs a replica works at once: most
	// jobs (a repo's sync) wait on GitLab, not on this process.
	DefaultMaxWorkers = 48
	// DefaultJobTimeout is how long a job may run before its context is
	// cancelled, unless its worker says otherwise (Worker.Timeout).
	DefaultJobTimeout = 5 * time.Minute
	// DefaultRescueAfter is how long a job may stay running before River's
	// own rescuer takes it for stuck and runs it again. A job of a replica
	// that died is rescued within seconds by the replicas' liveness check
	// (liveness.go); River's rescuer is the fallback (a client not built
	// here, a replica alive but stuck), so it waits past every kind's
	// timeout (the longest: a sync run's listing, 10 minutes).
	DefaultRescueAfter = 30 * time.Minute
)

// Config configures New.
type Config struct {
	// ID is the client's River ID, unique per process: NewID's when empty.
	ID string
	// RescueEvery is how often this replica looks for running jobs of
	// replicas that died (DefaultRescueEvery when zero).
	RescueEvery time.Duration
	// Workers are the kinds of job this replica works. Nil: the client only
	// inserts jobs (switchboard sync, digest --post...).
	Workers *river.Workers
	// Periodic are the cluster's schedules: River's leader (one replica)
	// inserts their jobs, any replica works them.
	Periodic []*river.PeriodicJob
	// MaxWorkers is how many jobs of the default queue this replica works
	// at once; DefaultMaxWorkers when zero.
	MaxWorkers int
	// JobTimeout and RescueAfter: defaults above when zero.
	JobTimeout  time.Duration
	RescueAfter time.Duration
	// Log receives River's logs and the jobs' errors.
	Log *slog.Logger
	// Metrics, when set, records job latency and outcomes (NewMetrics).
	Metrics *Metrics
}

// New returns a River client over pool configured for Switchboard. Start it
// with Start (when it has workers), stop it with Stop.
func New(pool *pgxpool.Pool, cfg Config) (*Client, error) {
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	id := cfg.ID
	if id == "" {
		id = NewID()
	}
	if !strings.HasPrefix(id, idPrefix) {
		return nil, fmt.Errorf("river client: ID %q must start with %q (rescue only knows such clients)", id, idPrefix)
	}
	rc := &river.Config{
		ID:                   id,
		Logger:               log.With("component", "river"),
		JobTimeout:           cmp.Or(cfg.JobTimeout, DefaultJobTimeout),
		RescueStuckJobsAfter: cmp.Or(cfg.RescueAfter, DefaultRescueAfter),
		ErrorHandler:         errorLogger{log: log},
		PeriodicJobs:         cfg.Periodic,
		// A job inserted on another replica is noticed through LISTEN/NOTIFY
		// at once; polling is the fallback when notifications are missed.
		FetchPollInterval: time.Second,
		FetchCooldown:     50 * time.Millisecond,
	}
	if cfg.Workers != nil {
		rc.Workers = cfg.Workers
		rc.Queues = map[string]river.QueueConfig{
			river.QueueDefault: {MaxWorkers: cmp.Or(cfg.MaxWorkers, DefaultMaxWorkers)},
		}
	}
	if cfg.Metrics != nil {
		rc.WorkerMiddleware = append(rc.WorkerMiddleware, cfg.Metrics.middleware())
	}
	c, err := river.NewClient(riverpgxv5.New(pool), rc)
	if err != nil {
		return nil, fmt.Errorf("river client: %w", err)
	}
	return &Client{Client: c, live: newLiveness(pool, id, cfg.Workers != nil, cmp.Or(cfg.RescueEvery, DefaultRescueEvery), log)}, nil
}

// WhileQueued are the states in which a unique job keeps another like it
// from being inserted (river.UniqueOpts.ByState): waiting, running, or
// waiting to retry.
var WhileQueued = []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
	rivertype.JobStateRunning, rivertype.JobStateScheduled,
}

// errorLogger logs a job's error (River retries it by its policy) and a
// panic (with its stack; the job is retried too).
type errorLogger struct{ log *slog.Logger }

// HandleError implements river.ErrorHandler.
func (e errorLogger) HandleError(ctx context.Context, job *rivertype.JobRow, err error) *river.ErrorHandlerResult {
	level := slog.LevelWarn
	if job.Attempt >= job.MaxAttempts {
		level = slog.LevelError
	}
	var cancelled *rivertype.JobCancelError
	if errors.As(err, &cancelled) {
		level = slog.LevelInfo
	}
	e.log.Log(ctx, level, "job failed", "kind", job.Kind, "id", job.ID, "attempt", job.Attempt, "max_attempts", job.MaxAttempts, "err", err)
	return nil
}

// HandlePanic implements river.ErrorHandler.
func (e errorLogger) HandlePanic(ctx context.Context, job *rivertype.JobRow, panicVal any, trace string) *river.ErrorHandlerResult {
	e.log.ErrorContext(ctx, "job panicked", "kind", job.Kind, "id", job.ID, "attempt", job.Attempt, "panic", fmt.Sprint(panicVal), "trace", trace)
	return nil
}
