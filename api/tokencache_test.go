package api_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/switchboard-dev/switchboard/api"
	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
)

// TestTokenCache: before it listens for revocations every check asks the
// database; once it listens a valid token is checked at most once per
// TTL, concurrent checks are one query, and refused tokens are never
// remembered.
func TestTokenCache(t *testing.T) {
	ctx := context.Background()
	store := catalog.NewStore(pgtest.New(t), nil)
	_, token, err := store.CreateAPIToken(ctx, "cached", "UTEST")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	counted := &countingAuth{next: store}
	c := api.NewTokenCache(counted, store)
	c.TTL, c.Now = time.Second, clock

	for range 3 {
		if _, err := c.AuthenticateAPIToken(ctx, token); err != nil {
			t.Fatal(err)
		}
	}
	if n := counted.n(); n != 3 {
		t.Errorf("before Run: 3 checks asked the database %d times, want 3", n)
	}
	runTokenCache(t, c)

	before := counted.n()
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
	if n := counted.n() - before; n < 1 || n > 2 {
		t.Errorf("32 concurrent first checks asked the database %d times, want 1 (2 if one came after)", n)
	}
	before = counted.n()
	for range 100 {
		if _, err := c.AuthenticateAPIToken(ctx, token); err != nil {
			t.Fatal(err)
		}
	}
	if counted.n() != before {
		t.Errorf("checks within the TTL asked the database")
	}
	// The TTL is a backstop: a check TTL old is made again.
	advance(time.Second)
	if _, err := c.AuthenticateAPIToken(ctx, token); err != nil || counted.n() != before+1 {
		t.Errorf("after the TTL: %v, %d queries, want 1", err, counted.n()-before)
	}
	// A refused token is never remembered: each try asks.
	unknown := catalog.APITokenPrefix + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	before = counted.n()
	for range 3 {
		if _, err := c.AuthenticateAPIToken(ctx, unknown); !errors.Is(err, catalog.ErrNotFound) {
			t.Errorf("unknown: %v, want ErrNotFound", err)
		}
	}
	if counted.n() != before+3 {
		t.Errorf("refused tokens were answered from memory")
	}
}

// TestTokenRevokedOnEveryReplica: two replicas (their own pools and token
// caches) over one database; a token used on both and revoked through one
// is refused by the other's next request (401) as soon as the revocation's
// notification arrives, long before the TTL (a minute here) would have
// expired its check; another token stays remembered.
func TestTokenRevokedOnEveryReplica(t *testing.T) {
	ctx := context.Background()
	poolA := pgtest.New(t)
	poolB, err := pgxpool.New(ctx, poolA.Config().ConnString())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(poolB.Close)
	storeA, storeB := catalog.NewStore(poolA, nil), catalog.NewStore(poolB, nil)
	if _, err := storeA.PutService(ctx, catalog.Service{Name: "checkout-api", Team: "payments", Source: catalog.SourceImport}); err != nil {
		t.Fatal(err)
	}
	_, token, err := storeA.CreateAPIToken(ctx, "deploy-pipeline", "UTEST")
	if err != nil {
		t.Fatal(err)
	}
	_, other, err := storeA.CreateAPIToken(ctx, "dashboard", "UTEST")
	if err != nil {
		t.Fatal(err)
	}
	type replica struct {
		tokens  *api.TokenCache
		counted *countingAuth
		h       http.Handler
	}
	newReplica := func(store *catalog.Store) replica {
		counted := &countingAuth{next: store}
		c := api.NewTokenCache(counted, store)
		c.TTL = time.Minute
		runTokenCache(t, c)
		mux := http.NewServeMux()
		api.New(api.Config{Reader: &api.Reader{Services: store, Catalog: store}, Tokens: c}).Mount(mux)
		return replica{tokens: c, counted: counted, h: mux}
	}
	get := func(r replica, token string) int {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/services/checkout-api", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		r.h.ServeHTTP(rec, req)
		return rec.Code
	}
	a, b := newReplica(storeA), newReplica(storeB)
	for _, r := range []replica{a, b, a, b} {
		for _, tok := range []string{token, other} {
			if code := get(r, tok); code != http.StatusOK {
				t.Fatalf("before revocation: %d, want 200", code)
			}
		}
	}
	if a.counted.n() != 2 || b.counted.n() != 2 {
		t.Fatalf("the tokens were checked %d and %d times, want twice on each replica (then remembered)", a.counted.n(), b.counted.n())
	}

	revoked := time.Now()
	if _, err := storeA.RevokeAPIToken(ctx, "deploy-pipeline", "UTEST"); err != nil {
		t.Fatal(err)
	}
	var took time.Duration
	waitUntil(t, "replica B to refuse the revoked token", func() bool {
		took = time.Since(revoked)
		return get(b, token) == http.StatusUnauthorized
	})
	if took > 10*time.Second {
		t.Errorf("replica B refused the revoked token after %v: not the notification (TTL %v)", took, b.tokens.TTL)
	}
	t.Logf("replica B refused the revoked token %v after its revocation", took)
	waitUntil(t, "replica A to refuse the revoked token", func() bool { return get(a, token) == http.StatusUnauthorized })
	before := b.counted.n()
	if code := get(b, other); code != http.StatusOK || b.counted.n() != before {
		t.Errorf("another token after the revocation: %d, %d queries; want 200 from memory", code, b.counted.n()-before)
	}
}

// TestTokenCacheListenerDown: while the connection it listens on is lost
// (terminated as a database restart does), the cache trusts nothing it
// remembers: every request is checked, so a token revoked meanwhile (a
// notification nobody heard) is refused at once. Once it listens again it
// remembers tokens again and hears revocations on the new connection.
func TestTokenCacheListenerDown(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	store := catalog.NewStore(pool, nil)
	_, token, err := store.CreateAPIToken(ctx, "deploy-pipeline", "UTEST")
	if err != nil {
		t.Fatal(err)
	}
	_, other, err := store.CreateAPIToken(ctx, "dashboard", "UTEST")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		retry time.Duration
	}{{"down", time.Minute}, {"back", 50 * time.Millisecond}} {
		t.Run(tc.name, func(t *testing.T) {
			counted := &countingAuth{next: store}
			c := api.NewTokenCache(counted, store)
			c.TTL, c.Retry = time.Minute, tc.retry
			runTokenCache(t, c)
			tok := token
			if tc.name == "back" {
				tok = other
			}
			for range 2 {
				if _, err := c.AuthenticateAPIToken(ctx, tok); err != nil {
					t.Fatal(err)
				}
			}
			if counted.n() != 1 {
				t.Fatalf("%d checks, want 1 (then remembered)", counted.n())
			}
			pid := listenerPID(t, pool)
			if _, err := pool.Exec(ctx, `SELECT pg_terminate_backend($1)`, pid); err != nil {
				t.Fatal(err)
			}
			if tc.name == "down" {
				waitUntil(t, "the cache to notice its connection is lost", func() bool { return !c.Live() })
				before := counted.n()
				for range 3 {
					if _, err := c.AuthenticateAPIToken(ctx, tok); err != nil {
						t.Fatal(err)
					}
				}
				if counted.n() != before+3 {
					t.Errorf("listener down: 3 requests made %d checks, want 3", counted.n()-before)
				}
				if _, err := store.RevokeAPIToken(ctx, "deploy-pipeline", "UTEST"); err != nil {
					t.Fatal(err)
				}
				if _, err := c.AuthenticateAPIToken(ctx, tok); !errors.Is(err, catalog.ErrNotFound) {
					t.Errorf("revoked while not listening: %v, want ErrNotFound", err)
				}
				return
			}
			// Listening again on a new connection.
			waitUntil(t, "the cache to listen again", func() bool {
				return slices.ContainsFunc(listenerPIDs(t, pool), func(p int32) bool { return p != pid }) && c.Live()
			})
			before := counted.n()
			for range 2 {
				if _, err := c.AuthenticateAPIToken(ctx, tok); err != nil {
					t.Fatal(err)
				}
			}
			if counted.n() != before+1 {
				t.Errorf("listening again: 2 requests made %d checks, want 1", counted.n()-before)
			}
			if _, err := store.RevokeAPIToken(ctx, "dashboard", "UTEST"); err != nil {
				t.Fatal(err)
			}
			waitUntil(t, "the cache to hear the revocation", func() bool {
				_, err := c.AuthenticateAPIToken(ctx, tok)
				return errors.Is(err, catalog.ErrNotFound)
			})
		})
	}
}

// runTokenCache runs c until the test ends and waits until it listens.
func runTokenCache(t *testing.T, c *api.TokenCache) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		if err := c.Run(ctx); err != nil {
			t.Error(err)
		}
		close(done)
	}()
	t.Cleanup(func() { cancel(); <-done })
	waitUntil(t, "the token cache to listen", c.Live)
}

// listenerPID is the backend listening for revocations in the test's
// database (the only one: no catalog cache runs).
func listenerPID(t *testing.T, pool *pgxpool.Pool) int32 {
	t.Helper()
	pids := listenerPIDs(t, pool)
	if len(pids) != 1 {
		t.Fatalf("%d backends listen for revocations, want 1", len(pids))
	}
	return pids[0]
}

// listenerPIDs are the backends listening for revocations in the test's
// database (a terminated one may linger a moment).
func listenerPIDs(t *testing.T, pool *pgxpool.Pool) []int32 {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT pid FROM pg_stat_activity
		WHERE datname = current_database() AND query = 'LISTEN '||$1::text`, catalog.APITokenRevokedChannel)
	if err != nil {
		t.Fatal(err)
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		t.Fatal(err)
	}
	return pids
}

// waitUntil polls cond for up to 10 s (a generous deadline: it is met in
// milliseconds).
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
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
