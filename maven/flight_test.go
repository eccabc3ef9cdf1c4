package maven_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/internal/pgtest"
	"github.com/switchboard-dev/switchboard/maven"
)

// TestCacheSingleFlight: concurrent needs of one POM within a process
// make one get, and every caller has it as soon as it lands, not a poll of
// the Store later; a caller whose own context ends does not fail those
// whose context has not.
func TestCacheSingleFlight(t *testing.T) {
	c := maven.Coord{GroupID: "com.acme", ArtifactID: "lib-a", Version: "1.0"}
	tests := []struct {
		name string
		// leader is the first caller's context timeout (0: none).
		leader time.Duration
	}{
		{"every caller waits for one get", 0},
		{"the first caller gives up", 20 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pool := pgtest.New(t)
			fake, remote := newFake(t)
			fake.Latency = 150 * time.Millisecond
			// A poll far longer than the fetch: a caller that waited on
			// the Store's claim rather than on the flight would be late.
			cached := &maven.Cached{Repo: remote, Store: maven.NewStore(pool), Poll: 10 * time.Second}
			const callers = 20
			var wg sync.WaitGroup
			errs := make([]error, callers)
			start := time.Now()
			for i := range callers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ctx := context.Background()
					if i == 0 && tt.leader > 0 {
						var cancel context.CancelFunc
						ctx, cancel = context.WithTimeout(ctx, tt.leader)
						defer cancel()
					} else if i > 0 {
						time.Sleep(5 * time.Millisecond) // after the first
					}
					data, err := cached.FetchPOM(ctx, c)
					if err == nil && !strings.Contains(string(data), "lib-a") {
						err = errors.New("not lib-a's POM")
					}
					errs[i] = err
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			for i, err := range errs {
				want := !(i == 0 && tt.leader > 0)
				if (err == nil) != want {
					t.Errorf("caller %d: got %v, want success %v", i, err, want)
				}
			}
			if elapsed > 2*time.Second {
				t.Errorf("took %v: the callers polled the Store instead of waiting for the flight", elapsed)
			}
			if n := fake.Count(c.Path()); n > 2 || tt.leader == 0 && n != 1 {
				t.Errorf("%d requests for %s, want 1 (2 when the first caller gave up mid-fetch)", n, c.Path())
			}
		})
	}
}

// cancelAfterFetch is the real Repository whose caller's context ends as
// soon as a POM has been fetched, before the Store is filled.
type cancelAfterFetch struct {
	maven.Repository
	cancel context.CancelFunc
}

func (r cancelAfterFetch) FetchPOM(ctx context.Context, c maven.Coord) ([]byte, error) {
	defer r.cancel()
	return r.Repository.FetchPOM(ctx, c)
}

// TestCacheCallerGivesUpClaimed: a caller whose context ends while it
// holds the Store's claim, at the moments its database work cannot be
// cut short safely, leaves no claim behind: the next need (another
// replica's) fetches at once instead of waiting ClaimTimeout for it.
func TestCacheCallerGivesUpClaimed(t *testing.T) {
	c := maven.Coord{GroupID: "com.acme", ArtifactID: "lib-a", Version: "1.0"}
	tests := []struct {
		name string
		// slowCommit holds each claim's COMMIT 300 ms (a deferred
		// trigger), past the first caller's 100 ms deadline: the claim
		// commits though the caller's context has ended (a COMMIT done
		// just before the deadline whose answer is read after it).
		slowCommit bool
		// cancelAfterFetch ends the first caller's context between its
		// fetch and its fill.
		cancelAfterFetch bool
		// firstOK: the first caller has the POM (it was fetched).
		firstOK bool
		// fetches made in all.
		fetches int
	}{
		{name: "context ends while the claim commits", slowCommit: true, fetches: 1},
		{name: "context ends between fetch and fill", cancelAfterFetch: true, firstOK: true, fetches: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pool := pgtest.New(t)
			if tt.slowCommit {
				if _, err := pool.Exec(context.Background(), `
					CREATE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql AS
						$$ BEGIN
							PERFORM pg_sleep(0.3);
							RETURN NULL;
						EXCEPTION WHEN query_canceled THEN
							-- pgx's cancel request when the caller gives up:
							-- the COMMIT goes on, as when it had already
							-- been done when the caller's context ended.
							RETURN NULL;
						END $$;
					CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT ON pom_cache
						DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION slow_commit()`); err != nil {
					t.Fatal(err)
				}
			}
			fake, remote := newFake(t)

			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			var repo maven.Repository = remote
			if tt.cancelAfterFetch {
				ctx, cancel = context.WithCancel(context.Background())
				defer cancel()
				repo = cancelAfterFetch{Repository: remote, cancel: cancel}
			}
			first := &maven.Cached{Repo: repo, Store: maven.NewStore(pool), MemoryBytes: -1}
			_, err := first.FetchPOM(ctx, c)
			if (err == nil) != tt.firstOK {
				t.Fatalf("first caller: got %v, want success %v", err, tt.firstOK)
			}

			// Another replica (its own Cached), which would wait a minute
			// for a claim left behind.
			ctx2, cancel2 := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel2()
			second := &maven.Cached{Repo: remote, Store: maven.NewStore(pool), MemoryBytes: -1}
			data, err := second.FetchPOM(ctx2, c)
			if err != nil {
				t.Fatalf("second caller: %v (a claim was left behind)", err)
			}
			if !strings.Contains(string(data), "lib-a") {
				t.Errorf("second caller: not lib-a's POM")
			}
			if n := fake.Count(c.Path()); n != tt.fetches {
				t.Errorf("%d requests for %s, want %d", n, c.Path(), tt.fetches)
			}
			var held int
			if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM pom_cache WHERE pom IS NULL`).Scan(&held); err != nil {
				t.Fatal(err)
			}
			if held != 0 {
				t.Errorf("%d claims held after both callers returned", held)
			}
		})
	}
}
