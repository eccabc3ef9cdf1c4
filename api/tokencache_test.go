package api_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/api"
	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
)

// TestTokenCache: a valid token is checked in the database at most once
// per TTL; a token revoked elsewhere (another replica, the command line)
// is refused once its check is TTL old; concurrent checks are one query.
func TestTokenCache(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	store := catalog.NewStore(pool, nil)
	_, token, err := store.CreateAPIToken(ctx, "cached", "UTEST")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	counted := &countingAuth{next: store}
	c := api.NewTokenCache(counted)
	c.TTL, c.Now = time.Second, clock

	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.AuthenticateAPIToken(ctx, token); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := counted.n(); n < 1 || n > 2 {
		t.Errorf("32 concurrent first checks asked the database %d times, want 1 (2 if one came after)", n)
	}
	before := counted.n()
	for range 100 {
		if _, err := c.AuthenticateAPIToken(ctx, token); err != nil {
			t.Fatal(err)
		}
	}
	if counted.n() != before {
		t.Errorf("checks within the TTL asked the database")
	}
	if _, err := store.RevokeAPIToken(ctx, "cached", "UTEST"); err != nil {
		t.Fatal(err)
	}
	// Within the TTL the replica still trusts its check (the documented
	// window); once it is TTL old, the revocation holds.
	advance(999 * time.Millisecond)
	if _, err := c.AuthenticateAPIToken(ctx, token); err != nil {
		t.Errorf("within the TTL: %v", err)
	}
	advance(time.Millisecond)
	if _, err := c.AuthenticateAPIToken(ctx, token); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("after the TTL: %v, want ErrNotFound", err)
	}
	// A refused token is never remembered: each try asks.
	before = counted.n()
	for range 3 {
		if _, err := c.AuthenticateAPIToken(ctx, token); !errors.Is(err, catalog.ErrNotFound) {
			t.Errorf("revoked: %v", err)
		}
	}
	if counted.n() != before+3 {
		t.Errorf("refused tokens were answered from memory")
	}
}

type countingAuth struct {
	next  api.Authenticator
	mu    sync.Mutex
	calls int
}

func (c *countingAuth) AuthenticateAPIToken(ctx context.Context, token string) (catalog.APIToken, error) {
	c.mu.Lock()
	c.calls++
	c.mu.Unlock()
	return c.next.AuthenticateAPIToken(ctx, token)
}

func (c *countingAuth) n() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls
}
