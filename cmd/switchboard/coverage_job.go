package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/digest"
	"github.com/switchboard-dev/switchboard/jobs"
	"github.com/switchboard-dev/switchboard/sampleorg"
)

// coverageArgs is the River job recording today's coverage for the web
// catalog's coverage page (catalog.RecordCoverageDay). Unique while one
// waits or runs.
type coverageArgs struct{}

// Kind implements river.JobArgs.
func (coverageArgs) Kind() string { return "coverage_snapshot" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (coverageArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByState: jobs.WhileQueued}}
}

// coverageReader reads the digest's coverage (digest.Source, so that the
// standards' ignore rules count as the digest counts them).
type coverageReader interface {
	Digest(ctx context.Context, opts catalog.DigestOptions) (*catalog.Digest, error)
}

// coverageWorker records the coverage.
type coverageWorker struct {
	river.WorkerDefaults[coverageArgs]
	digests coverageReader
	store   *catalog.Store
	log     *slog.Logger
}

// Work implements river.Worker.
func (w *coverageWorker) Work(ctx context.Context, _ *river.Job[coverageArgs]) error {
	d, err := w.digests.Digest(ctx, catalog.DigestOptions{})
	if err != nil {
		return fmt.Errorf("coverage snapshot: %w", err)
	}
	return w.store.RecordCoverageDay(ctx, d.Now, d.Coverage)
}

// coverageInterval is how often the day's coverage is recorded.
const coverageInterval = time.Hour

// addCoverageSnapshots makes the replica record the day's coverage hourly
// (and when the cluster starts), for the web catalog's chart over time.
func addCoverageSnapshots(w *work, digests coverageReader, store *catalog.Store, log *slog.Logger) {
	addWorker(w, &coverageWorker{digests: digests, store: store, log: log})
	addPeriodic(w, coverageArgs{}, coverageInterval, true)
}

// demoCoverageDays is how many days of coverage the demo records: the web
// catalog's coverage page looks 90 days back.
const demoCoverageDays = 90

// recordDemoCoverage gives the demo's new database a coverage history, as
// if the coverage job had run for demoCoverageDays: the sample
// organisation's (sampleorg.CoverageHistory), ending today at the coverage
// the digest counts now, recorded as the job records a day.
func recordDemoCoverage(ctx context.Context, d *demo) error {
	dg, err := digest.Source{Store: d.store, Standards: d.standards}.Digest(ctx, catalog.DigestOptions{})
	if err != nil {
		return fmt.Errorf("demo coverage history: %w", err)
	}
	for _, day := range sampleorg.CoverageHistory(dg.Now, dg.Coverage, demoCoverageDays) {
		if err := d.store.RecordCoverageDay(ctx, day.PostedAt, day.Coverage); err != nil {
			return fmt.Errorf("demo coverage history: %w", err)
		}
	}
	return nil
}
