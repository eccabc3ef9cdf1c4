package catalog_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
)

// Words of the benchmark's descriptions: sentences like "Sends invoices
// to customers and merchants every night.", a verb and two nouns from
// these, so that a common word ("customers") is in hundreds of documents
// and a pair of them in a few.
var (
	benchVerbs = []string{"Sends", "Processes", "Stores", "Indexes", "Validates", "Schedules", "Exports", "Renders",
		"Aggregates", "Reconciles", "Publishes", "Archives", "Scores", "Routes", "Caches", "Imports", "Signs",
		"Encrypts", "Deduplicates", "Forecasts"}
	benchNouns = []string{"invoices", "refunds", "payments", "orders", "baskets", "sessions", "tokens", "profiles",
		"notifications", "emails", "shipments", "labels", "prices", "discounts", "reviews", "images", "videos",
		"reports", "metrics", "logs", "events", "certificates", "subscriptions", "coupons", "returns", "stock levels",
		"search results", "recommendations", "receipts", "payouts", "chargebacks", "ledgers", "contracts", "leads",
		"tickets", "feature flags", "experiments", "translations", "addresses", "documents"}
	benchWhom = []string{"customers", "merchants", "partners", "support staff", "the warehouse", "the data lake",
		"finance", "mobile apps", "the storefront", "auditors"}
	benchTags = []string{"pci", "gdpr", "tier-1", "batch", "realtime", "legacy", "kafka", "grpc", "internal", "public"}
)

// seedSearch loads n services (catalogtest.SeedServices: real-looking
// names, teams, aliases, a runbook link) and gives each a description, two
// tags and, for one in four, a README paragraph on a repo. It returns the
// services' names and descriptions.
func seedSearch(b *testing.B, s *catalog.Store, n int) (names, descs []string) {
	b.Helper()
	ctx := context.Background()
	names = seedServices(b, s, n)
	rng := rand.New(rand.NewPCG(3, 4))
	descs = make([]string, n)
	tags := make([][]string, n)
	readmes := make([]string, n)
	for i := range n {
		descs[i] = fmt.Sprintf("%s %s and %s for %s.", benchVerbs[rng.IntN(len(benchVerbs))],
			benchNouns[rng.IntN(len(benchNouns))], benchNouns[rng.IntN(len(benchNouns))], benchWhom[rng.IntN(len(benchWhom))])
		tags[i] = []string{benchTags[rng.IntN(len(benchTags))], benchTags[rng.IntN(len(benchTags))]}
		if i%4 == 0 {
			readmes[i] = fmt.Sprintf("This service %s %s. It is owned by the on-call rota and deployed from main; see the runbook before restarting it.",
				strings.ToLower(benchVerbs[rng.IntN(len(benchVerbs))]), benchNouns[rng.IntN(len(benchNouns))])
		}
	}
	pool := s.Pool()
	if _, err := pool.Exec(ctx, `
		UPDATE services s SET description = d.description, tags = d.tags
		FROM (SELECT name, description, string_to_array(tags, ',') AS tags
		      FROM unnest($1::text[], $2::text[], $3::text[]) AS x(name, description, tags)) d
		WHERE s.name = d.name`, names, descs, joinEach(tags)); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `
		WITH r AS (
			INSERT INTO repos (gitlab_id, path, readme, readme_path)
			SELECT 100000 + i, 'acme/' || name, readme, 'README.md'
			FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS x(name, readme, i) WHERE readme <> ''
			RETURNING id, path)
		INSERT INTO service_repos (service_id, repo_id)
		SELECT s.id, r.id FROM r JOIN services s ON 'acme/' || s.name = r.path`, names, readmes); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	return names, descs
}

func joinEach(xs [][]string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = strings.Join(x, ",")
	}
	return out
}

// BenchmarkSearch searches a catalog of 10,000 services: by exact name,
// misspelt name, words of a description (not the name), a question in
// plain words around them, and one common word (hundreds of candidates).
// Each checks its first hit: the service named, or one whose description
// has every word asked. It reports latency percentiles.
func BenchmarkSearch(b *testing.B) {
	s := newStore(b)
	const n = 10_000
	names, descs := seedSearch(b, s, n)
	ctx := context.Background()
	// descWords: the description's verb and first noun ("Sends invoices").
	descWords := func(i int) string {
		f := strings.Fields(strings.TrimSuffix(descs[i], "."))
		return f[0] + " " + f[1]
	}
	// first: the name that must come first.
	first := func(i int, h catalog.SearchHit) bool { return h.Service.Name == names[i] }
	// every: a first hit matching every word that counts.
	every := func(i int, h catalog.SearchHit) bool { return h.Coverage == 1 }
	// both: a first hit that matched the verb and the noun, in any field.
	both := func(i int, h catalog.SearchHit) bool {
		var words []string
		for _, m := range h.Matches {
			words = append(words, m.Words...)
		}
		all := strings.ToLower(strings.Join(words, " "))
		f := strings.Fields(strings.ToLower(descWords(i)))
		return strings.Contains(all, f[0][:4]) && strings.Contains(all, f[1][:4])
	}
	cases := []struct {
		name  string
		query func(i int) string
		check func(i int, h catalog.SearchHit) bool
	}{
		{"exact", func(i int) string { return names[i] }, first},
		{"misspelt", func(i int) string { return misspell(names[i]) }, first},
		{"description", func(i int) string { return strings.TrimSuffix(descs[i], ".") }, every},
		{"question", func(i int) string { return "which thing " + strings.ToLower(descWords(i)) + " for us?" }, both},
		{"common-word", func(i int) string { return benchWhom[i%len(benchWhom)] }, every},
	}
	// mixed: the five kinds in turn, as people ask, each checked as above.
	kinds := cases
	cases = append(cases, struct {
		name  string
		query func(i int) string
		check func(i int, h catalog.SearchHit) bool
	}{"mixed",
		func(i int) string { return kinds[i%len(kinds)].query(i) },
		func(i int, h catalog.SearchHit) bool { return kinds[i%len(kinds)].check(i, h) }})
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			k := 0
			for b.Loop() {
				i := (k * 7919) % n
				q := c.query(i)
				start := time.Now()
				hits, err := s.Search(ctx, q, 5)
				lat = append(lat, time.Since(start))
				if err != nil {
					b.Fatal(err)
				}
				if len(hits) == 0 {
					b.Fatalf("search %q: no hits", q)
				}
				if !c.check(i, hits[0]) {
					b.Fatalf("search %q: unexpected first hit %s (%q, coverage %.2f)", q, hits[0].Service.Name, hits[0].Service.Description, hits[0].Coverage)
				}
				k++
			}
			reportPercentiles(b, lat)
		})
	}
}
