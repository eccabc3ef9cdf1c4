package reposync

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
)

// RunLog records syncs; *catalog.Store is one.
type RunLog interface {
	StartSyncRun(ctx context.Context, kind string, at time.Time) (int64, error)
	FinishSyncRun(ctx context.Context, r catalog.SyncRun) error
	LastCompletedSync(ctx context.Context) (time.Time, error)
}

// Locker takes a cluster-wide lock, so that one replica syncs at a time.
type Locker func(ctx context.Context) (unlock func(), ok bool, err error)

// ErrBusy means another process holds the sync lock.
var ErrBusy = errors.New("another sync is running (on this or another replica)")

// Once runs one recorded sync while holding lock: incremental (projects
// active since the last completed sync started), or full when full is set
// or no sync has completed yet. A full sync after a completed one verifies
// every repo against GitLab (see Verify). It returns ErrBusy when another
// process is syncing.
func (s *Syncer) Once(ctx context.Context, log RunLog, lock Locker, full bool) (Summary, error) {
	unlock, ok, err := lock(ctx)
	if err != nil {
		return Summary{}, fmt.Errorf("sync lock: %w", err)
	}
	if !ok {
		return Summary{}, ErrBusy
	}
	defer unlock()
	since := time.Time{}
	if !full {
		if since, err = log.LastCompletedSync(ctx); err != nil {
			return Summary{}, err
		}
	}
	kind := "incremental"
	if since.IsZero() {
		kind = "full"
	}
	start := time.Now()
	id, err := log.StartSyncRun(ctx, kind, start)
	if err != nil {
		return Summary{}, err
	}
	// GitLab's last_activity_at is coarse and clocks differ: look back a
	// little further than the last run's start.
	if !since.IsZero() {
		since = since.Add(-10 * time.Minute)
	}
	var sum Summary
	var runErr error
	if full && kind == "full" {
		if last, err := log.LastCompletedSync(ctx); err == nil && !last.IsZero() {
			sum, runErr = s.Verify(ctx)
		} else {
			sum, runErr = s.Run(ctx, time.Time{})
		}
	} else {
		sum, runErr = s.Run(ctx, since)
	}
	rec := catalog.SyncRun{
		ID: id, Kind: kind, Completed: runErr == nil, ReposSeen: sum.Seen, Catalogued: sum.Catalogued,
		Invalid: sum.Invalid, Missing: sum.Missing, Templates: sum.Templates, Conflicts: sum.Conflicts,
		Failed: sum.Failed, Requests: sum.Requests, RateLimited: sum.RateLimited,
	}
	if runErr != nil {
		rec.Error = runErr.Error()
	}
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := log.FinishSyncRun(fctx, rec); err != nil && runErr == nil {
		runErr = err
	}
	return sum, runErr
}

// verifyEvery is how often the periodic sync verifies every repo rather
// than only those whose last activity moved.
const verifyEvery = 24 * time.Hour

// Every runs Once every interval until ctx ends, skipping quietly when
// another replica holds the lock. The first run starts at once. Once a day
// (of this replica's life) the run is a full one that verifies every repo.
func (s *Syncer) Every(ctx context.Context, interval time.Duration, log RunLog, lock Locker) {
	lastFull := time.Now()
	for {
		full := time.Since(lastFull) >= verifyEvery
		sum, err := s.Once(ctx, log, lock, full)
		if full && err == nil {
			lastFull = time.Now()
		}
		switch {
		case errors.Is(err, ErrBusy):
			s.log.Debug("periodic sync skipped: another replica is syncing")
		case err != nil && ctx.Err() == nil:
			s.log.Error("periodic sync failed", "err", err)
		case err == nil:
			s.log.Info("periodic sync done", "seen", sum.Seen, "catalogued", sum.Catalogued, "unchanged", sum.Unchanged,
				"invalid", sum.Invalid, "missing", sum.Missing, "failed", sum.Failed, "requests", sum.Requests,
				"duration", sum.Duration.Round(time.Millisecond))
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
	}
}
