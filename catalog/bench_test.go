package catalog_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/internal/catalogtest"
)

func seedServices(b *testing.B, s *catalog.Store, n int) []string {
	b.Helper()
	names, err := catalogtest.SeedServices(context.Background(), s, n)
	if err != nil {
		b.Fatal(err)
	}
	return names
}

// misspell drops the letter in the middle of name.
func misspell(name string) string {
	r := []rune(name)
	i := len(r) / 2
	return string(append(r[:i:i], r[i+1:]...))
}

// BenchmarkFindService looks services up in a catalog of 10,000 services:
// by exact name, by name in other case, by alias, and misspelt (the "did you
// mean" path, which uses the trigram index). It reports latency percentiles.
func BenchmarkFindService(b *testing.B) {
	s := newStore(b)
	const n = 10_000
	names := seedServices(b, s, n)
	ctx := context.Background()
	cases := []struct {
		name  string
		query func(i int) string
		check func(l catalog.Lookup) bool
	}{
		{"exact", func(i int) string { return names[i%n] }, func(l catalog.Lookup) bool { return l.Kind == catalog.MatchExact }},
		{"case", func(i int) string { return upper(names[i%n]) }, func(l catalog.Lookup) bool { return l.Kind == catalog.MatchCaseInsensitive }},
		{"alias", func(i int) string { return fmt.Sprintf("svc%d", 1+i%n) }, func(l catalog.Lookup) bool { return l.Kind == catalog.MatchAlias }},
		{"misspelt", func(i int) string { return misspell(names[i%n]) }, func(l catalog.Lookup) bool { return len(l.Suggestions) > 0 }},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			i := 0
			for b.Loop() {
				q := c.query(i * 7919)
				start := time.Now()
				l, err := s.FindService(ctx, q)
				lat = append(lat, time.Since(start))
				if err != nil {
					b.Fatal(err)
				}
				if !c.check(l) {
					b.Fatalf("lookup %q: unexpected result %+v", q, l)
				}
				i++
			}
			reportPercentiles(b, lat)
		})
	}
}

func upper(s string) string {
	r := []byte(s)
	for i, c := range r {
		if c >= 'a' && c <= 'z' {
			r[i] = c - 32
		}
	}
	return string(r)
}

func reportPercentiles(b *testing.B, lat []time.Duration) {
	b.Helper()
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		i := int(float64(len(lat)-1) * p)
		return float64(lat[i].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}
