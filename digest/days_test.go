package digest_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/digest"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
)

// TestDayClaims: of the replicas claiming a day, one holds it; a stale
// claim is taken over, a failed one claimed again after the retry delay; a
// replica whose claim was taken over can neither record a channel nor
// finish the day; a posted day is never claimed again.
func TestDayClaims(t *testing.T) {
	days := digest.NewDays(pgtest.New(t))
	ctx := context.Background()
	day := time.Date(2025, 11, 3, 0, 0, 0, 0, time.UTC)
	due := time.Date(2025, 11, 3, 9, 0, 0, 0, time.UTC)
	claim := func(by string, at time.Time) (digest.Day, bool) {
		t.Helper()
		d, ok, err := days.Claim(ctx, digest.Claim{Day: day, DueAt: due, By: by, Now: at, StaleAfter: 10 * time.Minute, RetryAfter: 5 * time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		return d, ok
	}
	if _, err := days.Record(ctx, day); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("before any claim: got %v, want ErrNotFound", err)
	}
	steps := []struct {
		name   string
		by     string
		at     time.Duration // after due
		wantOK bool
	}{
		{"first claim", "a", 0, true},
		{"a second replica, at once", "b", time.Second, false},
		{"the same replica again", "a", time.Minute, false},
		{"a stale claim is taken over", "b", 11 * time.Minute, true},
	}
	for _, st := range steps {
		if _, ok := claim(st.by, due.Add(st.at)); ok != st.wantOK {
			t.Fatalf("%s: got ok %v, want %v", st.name, ok, st.wantOK)
		}
	}
	if err := days.RecordChannel(ctx, day, "a", "digest"); !errors.Is(err, catalog.ErrConflict) {
		t.Errorf("record by a replica whose claim was taken over: got %v, want ErrConflict", err)
	}
	for range 2 { // recording twice is harmless
		if err := days.RecordChannel(ctx, day, "b", "digest"); err != nil {
			t.Fatal(err)
		}
	}
	failedAt := due.Add(12 * time.Minute)
	if err := days.Fail(ctx, day, "b", failedAt, "slack: channel_not_found"); err != nil {
		t.Fatal(err)
	}
	if _, ok := claim("c", failedAt.Add(time.Minute)); ok {
		t.Fatalf("claim a minute after a failure: got ok, want a wait")
	}
	rec, ok := claim("c", failedAt.Add(6*time.Minute))
	if !ok {
		t.Fatalf("claim after the retry delay: got refused")
	}
	if !slices.Equal(rec.PostedChannels, []string{"digest"}) || rec.Attempts != 3 || rec.LastError != "slack: channel_not_found" {
		t.Errorf("retried claim: got %+v, want the channel posted already, 3 attempts and the last error", rec)
	}
	if err := days.Finish(ctx, day, "b", failedAt, catalog.CoverageDay{}); !errors.Is(err, catalog.ErrConflict) {
		t.Errorf("finish by a replica without the claim: got %v, want ErrConflict", err)
	}
	postedAt := failedAt.Add(7 * time.Minute)
	if err := days.Finish(ctx, day, "c", postedAt, catalog.CoverageDay{Coverage: catalog.Coverage{Active: 10, Catalogued: 7}}); err != nil {
		t.Fatal(err)
	}
	if _, ok := claim("d", postedAt.Add(24*time.Hour)); ok {
		t.Errorf("claim of a posted day: got ok, want refused")
	}
	rec, err := days.Record(ctx, day)
	if err != nil {
		t.Fatal(err)
	}
	if !rec.Posted() || !rec.PostedAt.Equal(postedAt) || rec.ClaimedBy != "c" || rec.Coverage.Catalogued != 7 || rec.LastError != "" {
		t.Errorf("record: got %+v", rec)
	}
}
