package main

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/internal/catalogtest"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
	"github.com/switchboard-dev/switchboard/weblinks"
)

// Words of the benchmark's descriptions, so that searching by words of a
// description (not a name) has hundreds of candidates.
var (
	webBenchVerbs = []string{"Sends", "Processes", "Stores", "Indexes", "Validates", "Schedules", "Exports", "Renders", "Reconciles", "Publishes"}
	webBenchNouns = []string{"invoices", "refunds", "payments", "orders", "baskets", "sessions", "tokens", "profiles", "notifications", "emails",
		"shipments", "labels", "prices", "discounts", "reviews", "images", "reports", "metrics", "ledgers", "contracts"}
	webBenchWhom = []string{"customers", "merchants", "partners", "support staff", "the warehouse", "finance", "mobile apps", "auditors"}
)

// BenchmarkWebPages serves the web catalog's pages over 10,000 services,
// each with a repo of 40 dependencies and a one-line description ("Sends invoices and refunds for finance."), in
// process (httptest, no network), through the same mountWeb as serve with
// the real router and the store (no cache in front: every lookup is a
// database query, as on a replica whose cache is reloading). It reports the
// server time's p50 and p99 and the page's weight (mean and max KB). The
// coverage page reuses its digest for 30 s (coverageTTL): its p50 is that
// reuse, its max-ms the read itself.
func BenchmarkWebPages(b *testing.B) {
	ctx := context.Background()
	store := catalog.NewStore(pgtest.New(b), nil)
	names, err := catalogtest.SeedServices(ctx, store, 10_000)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	descs := make([]string, len(names))
	for i := range names {
		descs[i] = fmt.Sprintf("%s %s and %s for %s.", webBenchVerbs[rng.IntN(len(webBenchVerbs))],
			webBenchNouns[rng.IntN(len(webBenchNouns))], webBenchNouns[rng.IntN(len(webBenchNouns))], webBenchWhom[rng.IntN(len(webBenchWhom))])
	}
	pool := store.Pool()
	for _, q := range []string{
		`UPDATE services s SET description = d.description FROM unnest($1::text[], $2::text[]) AS d(name, description) WHERE s.name = d.name`,
		`INSERT INTO repos (gitlab_id, path, web_url, descriptor_status, descriptor_path, last_activity_at)
		 SELECT 200000 + id, 'acme/' || name, 'https://gitlab.example/acme/' || name, 'ok', 'catalog-info.yaml', now() FROM services`,
		`INSERT INTO service_repos (service_id, repo_id) SELECT s.id, r.id FROM services s JOIN repos r ON r.path = 'acme/' || s.name`,
		`INSERT INTO dependencies (repo_id, ecosystem, name, version, file, source, line, direct)
		 SELECT r.id, 'maven', 'org.example:lib-' || g, '1.' || g || '.0', 'pom.xml', 'pom.xml', 10 + g, g % 3 = 0
		 FROM repos r, generate_series(1, 40) g`,
		`ANALYZE`,
	} {
		var args []any
		if len(q) > 6 && q[:6] == "UPDATE" {
			args = []any{names, descs}
		}
		if _, err := pool.Exec(ctx, q, args...); err != nil {
			b.Fatalf("seed: %v", err)
		}
	}
	d := deps{log: slog.New(slog.DiscardHandler), store: store, lookups: store}
	mux := http.NewServeMux()
	if err := mountWeb(mux, serveConfig{Web: webConfig{Auth: "none"}}, d, newRouter(d)); err != nil {
		b.Fatal(err)
	}
	pages := []struct {
		name string
		path func(i int) string
	}{
		{"service", func(i int) string { return weblinks.ServicePath("", names[i%len(names)]) }},
		{"search", func(i int) string {
			return "/search?q=" + url.QueryEscape(webBenchVerbs[i%len(webBenchVerbs)]+" "+webBenchNouns[(i/len(webBenchVerbs))%len(webBenchNouns)])
		}},
		{"search-partial", func(i int) string {
			return "/search?partial=1&q=" + url.QueryEscape(webBenchNouns[i%len(webBenchNouns)]+" "+webBenchWhom[i%len(webBenchWhom)])
		}},
		{"team", func(i int) string {
			return weblinks.TeamPath([]string{"payments", "identity", "search", "platform", "data"}[i%5])
		}},
		{"coverage", func(int) string { return "/coverage" }},
	}
	for _, p := range pages {
		b.Run(p.name, func(b *testing.B) {
			var lat []time.Duration
			var total, most int
			i := 0
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, p.path(i*7919), nil)
				w := httptest.NewRecorder()
				start := time.Now()
				mux.ServeHTTP(w, req)
				lat = append(lat, time.Since(start))
				if w.Code != http.StatusOK {
					b.Fatalf("%s: %d %.300s", req.URL, w.Code, w.Body.String())
				}
				n := w.Body.Len()
				total += n
				most = max(most, n)
				i++
			}
			webPercentiles(b, lat)
			b.ReportMetric(float64(slices.Max(lat).Microseconds())/1000, "max-ms")
			b.ReportMetric(float64(total)/float64(max(i, 1))/1024, "KB/page")
			b.ReportMetric(float64(most)/1024, "max-KB/page")
		})
	}
}

func webPercentiles(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(float64(len(lat)-1)*p)].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}
