package main

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"

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
