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
