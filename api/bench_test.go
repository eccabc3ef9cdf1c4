package api_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/api"
	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/internal/catalogtest"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
)

// benchAPI is the API over 10,000 services as serve builds it: lookups
// from the live catalog cache, the token checked in the database once a
// second (a TokenCache hearing revocations), the rate limit out of the way (one token, many
// clients).
func benchAPI(b *testing.B) (http.Handler, string, []string) {
	b.Helper()
	// The pool sized as serve sizes it (catalog.PoolConfig).
	cfg, err := catalog.PoolConfig(pgtest.URL(b))
	if err != nil {
		b.Fatal(err)
	}
	pool, err := catalog.ConnectConfig(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	store := catalog.NewStore(pool, slog.New(slog.DiscardHandler))
	// Cleaned up before the database is dropped (cleanups run last
	// first): the cache's listening connection ends with Run.
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	b.Cleanup(func() { cancel(); <-ran })
	names, err := catalogtest.SeedServices(ctx, store, 10_000)
	if err != nil {
		b.Fatal(err)
	}
	cache := catalog.NewCache(store)
	go func() { _ = cache.Run(ctx); close(ran) }()
	for deadline := time.Now().Add(30 * time.Second); !cache.Live(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatal("the catalog cache did not load")
		}
	}
	_, token, err := store.CreateAPIToken(ctx, "bench", "UBENCH")
	if err != nil {
		b.Fatal(err)
	}
	// The token cache as serve runs it: trusted while it hears
	// revocations (its Run ends with the cache's, above).
	tokens := api.NewTokenCache(store, store)
	tokensRan := make(chan struct{})
	go func() { _ = tokens.Run(ctx); close(tokensRan) }()
	b.Cleanup(func() { cancel(); <-tokensRan })
	for deadline := time.Now().Add(30 * time.Second); !tokens.Live(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatal("the token cache did not listen")
		}
	}
	a := api.New(api.Config{Reader: &api.Reader{Services: cache, Catalog: store}, Tokens: tokens, Rate: 1e9, Burst: 1e9})
	mux := http.NewServeMux()
	a.Mount(mux)
	return mux, token, names
}

// runClients sends b.N requests from concurrent clients, in process
// (the handler called directly), and reports p50-ms and p99-ms.
func runClients(b *testing.B, clients int, h http.Handler, token string, path func(i int) string) {
	b.Helper()
	lat := make([]time.Duration, b.N)
	var wg sync.WaitGroup
	// One request first: the token checked, the handlers warm.
	warm := httptest.NewRequest(http.MethodGet, path(0), nil)
	warm.Header.Set("Authorization", "Bearer "+token)
	h.ServeHTTP(httptest.NewRecorder(), warm)
	b.ResetTimer()
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := c; i < b.N; i += clients {
				req := httptest.NewRequest(http.MethodGet, path(i), nil)
				req.Header.Set("Authorization", "Bearer "+token)
				rec := httptest.NewRecorder()
				start := time.Now()
				h.ServeHTTP(rec, req)
				lat[i] = time.Since(start)
				if rec.Code != http.StatusOK {
					b.Errorf("%s: %d %s", req.URL, rec.Code, rec.Body)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(float64(len(lat))*p))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

// BenchmarkAPIServiceGet: GET /api/v1/services/{name} at 10,000
// services, 64 clients at once. Target: p99 ≤ 5 ms.
func BenchmarkAPIServiceGet(b *testing.B) {
	h, token, names := benchAPI(b)
	runClients(b, 64, h, token, func(i int) string { return "/api/v1/services/" + names[(i*7919)%len(names)] })
}

// BenchmarkAPIServiceList: a page of 100 services at 10,000, filtered by
// team or not, from the first page or a cursor, one client after another
// (the latency of a page) and 8 at once. Target: ≤ 20 ms a page.
func BenchmarkAPIServiceList(b *testing.B) {
	h, token, _ := benchAPI(b)
	// Cursors spread over the list, as a client paging through it has.
	var cursors []string
	cursor := ""
	for range 20 {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "/api/v1/services?limit=100&cursor="+cursor, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		h.ServeHTTP(rec, req)
		var page api.Page[api.ServiceSummary]
		if err := jsonDecode(rec.Body.Bytes(), &page); err != nil || page.NextCursor == nil {
			b.Fatalf("page: %v %s", err, rec.Body)
		}
		cursor = *page.NextCursor
		cursors = append(cursors, cursor)
	}
	teams := []string{"payments", "search", "identity", ""}
	path := func(i int) string {
		team, cur := teams[i%len(teams)], ""
		if team == "" {
			cur = cursors[i%len(cursors)]
		}
		return fmt.Sprintf("/api/v1/services?limit=100&team=%s&cursor=%s", team, cur)
	}
	for _, clients := range []int{1, 8} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) { runClients(b, clients, h, token, path) })
	}
}

// BenchmarkAPIServiceSearch: GET /api/v1/services?q=… at 10,000 services,
// one client: a service's name (its exact hit first), a team's name
// (a common word: many candidates), and words filtered by team (the
// filter in the ranking query). Target (issue 15): p99 ≤ 30 ms each.
func BenchmarkAPIServiceSearch(b *testing.B) {
	h, token, names := benchAPI(b)
	for _, tc := range []struct {
		name string
		path func(i int) string
	}{
		{"name", func(i int) string { return "/api/v1/services?limit=20&q=" + names[(i*7919)%len(names)] }},
		{"common-word", func(int) string { return "/api/v1/services?limit=20&q=payments" }},
		{"filtered", func(int) string { return "/api/v1/services?limit=20&q=search&team=payments" }},
	} {
		b.Run(tc.name, func(b *testing.B) { runClients(b, 1, h, token, tc.path) })
	}
}
