package catalog_test

import (
	"context"
	"slices"
	"testing"

	"github.com/switchboard-dev/switchboard/catalog"
)

// TestSearchFiltered: the filters narrow the ranking query itself, so a
// service that matches them is found however far below the best
// SearchMaxLimit of all it ranks; every hit matches the filters and says
// why; no filter is Search.
func TestSearchFiltered(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	alpha, err := s.PutTeam(ctx, catalog.Team{Name: "alpha"})
	if err != nil {
		t.Fatal(err)
	}
	beta, err := s.PutTeam(ctx, catalog.Team{Name: "beta"})
	if err != nil {
		t.Fatal(err)
	}
	// 150 services with "ledger" in their names (ranked high) in alpha;
	// one in beta with it in its description only (ranked below them).
	if _, err := s.Pool().Exec(ctx, `
		INSERT INTO services (name, team_id, source, lifecycle, tier, description, tags)
		SELECT 'ledger-' || i, $1, 'descriptor', 'production', '2', 'Ledger ledger ledger.', '{money}'
		FROM generate_series(1, 150) i`, alpha.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Pool().Exec(ctx, `
		INSERT INTO services (name, team_id, source, lifecycle, tier, description, tags)
		VALUES ('cash-book', $1, 'descriptor', 'experimental', '1', 'Keeps a ledger of petty cash.', '{cash}')`, beta.ID); err != nil {
		t.Fatal(err)
	}
	all, err := s.Search(ctx, "ledger", catalog.SearchMaxLimit)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != catalog.SearchMaxLimit || slices.Contains(hitNames(all), "cash-book") {
		t.Fatalf("unfiltered: got %d hits (cash-book among them: %v), want %d without it: the test needs it below the best",
			len(all), slices.Contains(hitNames(all), "cash-book"), catalog.SearchMaxLimit)
	}
	cashBook := int64(0)
	if err := s.Pool().QueryRow(ctx, `SELECT id FROM services WHERE name = 'cash-book'`).Scan(&cashBook); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		filter catalog.ServiceFilter
		want   []string
	}{
		{"team", catalog.ServiceFilter{Team: "BETA"}, []string{"cash-book"}},
		{"tier", catalog.ServiceFilter{Tier: "1"}, []string{"cash-book"}},
		{"lifecycle", catalog.ServiceFilter{Lifecycle: "Experimental"}, []string{"cash-book"}},
		{"tag", catalog.ServiceFilter{Tag: "cash"}, []string{"cash-book"}},
		{"ids", catalog.ServiceFilter{IDs: []int64{cashBook}}, []string{"cash-book"}},
		{"team and tier, nothing", catalog.ServiceFilter{Team: "beta", Tier: "2"}, nil},
		{"unknown team", catalog.ServiceFilter{Team: "gamma"}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			hits, err := s.SearchFiltered(ctx, "ledger", tt.filter, 5)
			if err != nil {
				t.Fatal(err)
			}
			if got := hitNames(hits); !slices.Equal(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for _, h := range hits {
				if len(h.Why) == 0 {
					t.Errorf("%s: no why", h.Service.Ref())
				}
			}
		})
	}
	// A filter that keeps the best: the same answer as no filter.
	hits, err := s.SearchFiltered(ctx, "ledger", catalog.ServiceFilter{Team: "alpha"}, 7)
	if err != nil {
		t.Fatal(err)
	}
	best, err := s.Search(ctx, "ledger", 7)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := hitNames(hits), hitNames(best); !slices.Equal(got, want) {
		t.Errorf("team alpha: got %v, want the best 7 of all %v", got, want)
	}
	// Misspelt names (trigrams) are filtered too.
	hits, err = s.SearchFiltered(ctx, "cash-bok", catalog.ServiceFilter{Team: "alpha"}, 5)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(hitNames(hits), "cash-book") {
		t.Errorf("a misspelt name of another team's service was found: %v", hitNames(hits))
	}
	hits, err = s.SearchFiltered(ctx, "cash-bok", catalog.ServiceFilter{Team: "beta"}, 5)
	if err != nil || !slices.Equal(hitNames(hits), []string{"cash-book"}) {
		t.Errorf("misspelt, team beta: got %v, %v; want cash-book", hitNames(hits), err)
	}
}
