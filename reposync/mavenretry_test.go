package reposync_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/maven"
	"github.com/switchboard-dev/switchboard/maven/fakemaven"
	"github.com/switchboard-dev/switchboard/reposync"
)

// parentPath is the parent POM's path in the fake Maven repository.
const parentPath = "com/acme/acme-parent/1.0/acme-parent-1.0.pom"

// TestPartialMavenGraphRetried: a Maven graph left partial because the
// repository did not answer (5xx, timeout) is read again at the next sync
// although the repo's commit did not move, and is complete once the
// repository answers; one left partial by a POM not found is read again at
// the daily verification run only, not at every sync. Once complete, the
// repo is left alone again.
func TestPartialMavenGraphRetried(t *testing.T) {
	tests := []struct {
		name  string
		fail  func(m *fakemaven.Server)
		retry string
	}{
		{"repository down (503)", func(m *fakemaven.Server) { m.FailAll(http.StatusServiceUnavailable) }, catalog.RetryNextSync},
		{"parent POM behind a bad gateway (502)", func(m *fakemaven.Server) { m.Fail(parentPath, http.StatusBadGateway) }, catalog.RetryNextSync},
		{"repository too slow (timeout)", func(m *fakemaven.Server) { m.Latency = 2 * time.Second }, catalog.RetryNextSync},
		{"parent POM not found (404)", func(m *fakemaven.Server) { m.Fail(parentPath, http.StatusNotFound) }, catalog.RetryDaily},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			e := newMavenEnv(t)
			syncer := e.syncerWith(t, maven.RemoteRepo{}, &http.Client{Timeout: 300 * time.Millisecond})
			run := func(what string, verify bool) reposync.Summary {
				t.Helper()
				var sum reposync.Summary
				var err error
				if verify {
					sum, err = syncer.Verify(ctx)
				} else {
					sum, err = syncer.Run(ctx, time.Time{})
				}
				if err != nil || sum.Failed != 0 {
					t.Fatalf("%s: %v, failures %v", what, err, sum.Failures)
				}
				return sum
			}
			retryOf := func() string {
				t.Helper()
				var retry string
				if err := e.pool.QueryRow(ctx, `SELECT retry FROM dependency_files WHERE path = 'pom.xml'`).Scan(&retry); err != nil {
					t.Fatal(err)
				}
				return retry
			}

			tt.fail(e.mvn)
			run("first sync, the repository failing", false)
			if f := depFile(t, e.pool, "acme/svc", "pom.xml"); hasTransitive(t, e.pool) || f.Incomplete() == "" || f.Problem != "" {
				t.Fatalf("failing repository: record %+v, want a partial graph with a note", f)
			}
			if got := retryOf(); got != tt.retry {
				t.Fatalf("retry: got %q, want %q", got, tt.retry)
			}

			// The repository answers again; the repo did not change.
			e.mvn.FailAll(0)
			e.mvn.Fail(parentPath, 0)
			e.mvn.Latency = 0
			sum := run("second sync", false)
			if tt.retry == catalog.RetryDaily {
				if sum.Reread != 0 || hasTransitive(t, e.pool) {
					t.Fatalf("second sync: re-read %d, complete %v; want a POM not found left for the verification run", sum.Reread, hasTransitive(t, e.pool))
				}
				sum = run("verification run", true)
			}
			if sum.Reread != 1 || !hasTransitive(t, e.pool) {
				t.Fatalf("retry: re-read %d repos, complete %v; want the repo read again and its graph complete", sum.Reread, hasTransitive(t, e.pool))
			}
			if f := depFile(t, e.pool, "acme/svc", "pom.xml"); f.Incomplete() != "" || retryOf() != "" {
				t.Fatalf("after the retry: record %+v, retry %q; want a complete graph, nothing to retry", f, retryOf())
			}

			// Complete: neither a sync nor the verification reads it again.
			if sum := run("third sync", false); sum.Reread != 0 || sum.Unchanged != 1 {
				t.Errorf("third sync: re-read %d, unchanged %d; want it left alone", sum.Reread, sum.Unchanged)
			}
			if sum := run("verification", true); sum.Reread != 0 || sum.Verified != 1 {
				t.Errorf("verification: re-read %d, verified %d; want it only compared", sum.Reread, sum.Verified)
			}
		})
	}
}
