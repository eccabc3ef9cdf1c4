package main

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
)

// TestUniqueJobs: a job that must run one at a time is not inserted again
// while one of its kind (and arguments) waits; others are.
func TestUniqueJobs(t *testing.T) {
	ctx := context.Background()
	w := newWork(pgtest.New(t), prometheus.NewRegistry(), slog.New(slog.DiscardHandler))
	c, err := w.Client()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		first, then river.JobArgs
		wantSkipped bool
	}{
		{"roster refresh", rosterArgs{}, rosterArgs{}, true},
		{"housekeeping", choresArgs{}, choresArgs{}, true},
		{"a registration's merge request", mergeRequestArgs{Registration: 1}, mergeRequestArgs{Registration: 1}, true},
		{"another registration's", mergeRequestArgs{Registration: 2}, mergeRequestArgs{Registration: 3}, false},
		{"a page's lookups", pageLookupArgs{Token: "a", Every: time.Second}, pageLookupArgs{Token: "a", Every: time.Second}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := c.Insert(ctx, tt.first, nil); err != nil {
				t.Fatal(err)
			}
			res, err := c.Insert(ctx, tt.then, nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.UniqueSkippedAsDuplicate != tt.wantSkipped {
				t.Errorf("second insert skipped: got %v, want %v", res.UniqueSkippedAsDuplicate, tt.wantSkipped)
			}
		})
	}
}

// openedMRs is a MergeRequester that opens every merge request asked for.
type openedMRs chan int64

func (o openedMRs) CreateMergeRequest(_ context.Context, projectID int64, _ string, _ map[string][]byte, _, _ string) (string, error) {
	o <- projectID
	return "https://gitlab.example.com/acme/app/-/merge_requests/1", nil
}

// TestChoresQueuePendingRegistrations: a registration left pending without
// a job (registered before merge requests were jobs) gets one from the
// housekeeping, and its merge request is opened.
func TestChoresQueuePendingRegistrations(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	store := catalog.NewStore(pool, nil)
	if _, err := store.ApplyRepo(ctx, catalog.RepoSnapshot{Repo: catalog.Repo{GitLabID: 42, Path: "acme/app", LastActivityAt: time.Now()},
		DescriptorStatus: catalog.DescriptorMissing}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := store.RegisterService(ctx, catalog.Service{Name: "app"}, "acme/app", "U1", "apiVersion: backstage.io/v1alpha1\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE registrations SET updated_at = now() - interval '2 hours'`); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	w := newWork(pool, prometheus.NewRegistry(), log)
	opened := make(openedMRs, 1)
	addChores(w, store, log)
	addMergeRequests(w, store, &commands.MRWorker{Queue: store, GitLab: opened})
	c, err := w.Client()
	if err != nil {
		t.Fatal(err)
	}
	if err := w.start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = w.stop(ctx) }()
	if _, err := c.Insert(ctx, choresArgs{}, nil); err != nil {
		t.Fatal(err)
	}
	if got := <-opened; got != 42 {
		t.Errorf("merge request opened on project %d, want 42", got)
	}
}
