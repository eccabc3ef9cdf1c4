package catalog_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/sampleorg"
)

func hitNames(hits []catalog.SearchHit) []string {
	var out []string
	for _, h := range hits {
		out = append(out, h.Service.Ref())
	}
	return out
}

// TestSearchSampleOrg searches the sample organisation as people ask:
// words from descriptions (not names), questions in plain words, names,
// misspellings, team names.
func TestSearchSampleOrg(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	if err := sampleorg.Load(ctx, s); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		query     string
		wantFirst string
		wantWhy   string // a substring of the first hit's Why
	}{
		{"thing that sends invoices", "invoice-service", `description: "Issues invoices and credit notes."`},
		{"who handles credit notes?", "invoice-service", `description: "Issues invoices and credit notes."`},
		{"refund requests", "refunds-worker", `description: "Processes refund requests from the queue."`},
		{"card processors", "payment-gateway", `description: "Talks to card processors."`},
		{"what deletes stale images from the registry", "registry-janitor", `description: "Deletes stale images from the container registry."`},
		{"TLS certificates", "edge-certs", `description: "Keeps the edge's TLS certificates renewed (ACME)."`},
		{"where do logs get shipped", "logging-pipeline", "logs"},
		{"ledger", "ledger", `name: "ledger" (exactly)`},
		{"pgw", "payment-gateway", `alias: "pgw" (exactly)`},
		{"paymnt-gateway", "payment-gateway", `name: "payment-gateway" (close to what you typed)`},
		{"shopping baskets", "basket-service", `description: "Shopping baskets."`},
		{"\"credit notes\"", "invoice-service", "credit notes"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			hits, err := s.Search(ctx, tt.query, 5)
			if err != nil {
				t.Fatal(err)
			}
			if len(hits) == 0 {
				t.Fatalf("no hits")
			}
			if got := hits[0].Service.Name; got != tt.wantFirst {
				t.Fatalf("first hit %s, want %s; all %v", got, tt.wantFirst, hitNames(hits))
			}
			why := strings.Join(hits[0].Why, "\n")
			if !strings.Contains(why, tt.wantWhy) {
				t.Errorf("why = %q, want it to contain %q", why, tt.wantWhy)
			}
			for i := 1; i < len(hits); i++ {
				if hits[i].Rank > hits[i-1].Rank {
					t.Errorf("hits not ranked: %v then %v", hits[i-1].Rank, hits[i].Rank)
				}
			}
		})
	}
}

func TestSearchMatchedWords(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustPutService(t, s, catalog.Service{Name: "billing-core", Team: "money",
		Description: "Sends invoices to customers at the end of every month, with reminders for the ones left unpaid after thirty days and a copy to the accounting archive.",
		Tags:        []string{"finance"}, Links: []catalog.Link{{Kind: catalog.LinkRunbook, Title: "Dunning runbook", URL: "https://x"}}})
	mustPutService(t, s, catalog.Service{Name: "mail-relay", Team: "platform", Description: "Sends email for everyone."})
	mustPutService(t, s, catalog.Service{Name: "invoice-archive", Team: "money", Description: "Keeps old PDFs."})

	hits, err := s.Search(ctx, "thing that sends invoices", 5)
	if err != nil {
		t.Fatal(err)
	}
	if got := hitNames(hits); len(got) < 3 || got[0] != "billing-core" {
		t.Fatalf("hits %v, want billing-core first (both words) then the others", got)
	}
	var desc *catalog.SearchMatch
	for i, m := range hits[0].Matches {
		if m.Field == "description" {
			desc = &hits[0].Matches[i]
		}
	}
	if desc == nil {
		t.Fatalf("no description match in %q", hits[0].Why)
	}
	if strings.Join(desc.Words, ",") != "Sends,invoices" {
		t.Errorf("words %q, want Sends,invoices", desc.Words)
	}
	if !strings.HasSuffix(desc.Text, "…") || !strings.HasPrefix(desc.Text, "Sends invoices") {
		t.Errorf("excerpt %q: want the start of the description, cut with …", desc.Text)
	}
	// "that" is a stop word; "thing" is not and matches nothing.
	if c := hits[0].Coverage; c < 0.66 || c > 0.67 || hits[1].Coverage > 0.34 {
		t.Errorf("coverage %v then %v, want 2/3 (sends, invoices) then 1/3", c, hits[1].Coverage)
	}

	for _, tt := range []struct{ query, field string }{
		{"dunning", "link"},
		{"finance", "tag"},
		{"money", "team"},
	} {
		hits, err := s.Search(ctx, tt.query, 5)
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) == 0 || len(hits[0].Matches) == 0 || hits[0].Matches[0].Field != tt.field {
			t.Errorf("%s: hits %v, want a %s match first", tt.query, hits, tt.field)
		}
	}
}

func TestSearchNothing(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustPutService(t, s, catalog.Service{Name: "checkout-api", Description: "Takes the basket to a paid order."})
	for _, q := range []string{"", "   ", "the of and", "zzqxv wqpfj", "\x00\x01", strings.Repeat("ü", 500), "'\"&|!():*<->\\", "-basket", "basket -paid"} {
		hits, err := s.Search(ctx, q, 5)
		if err != nil {
			t.Errorf("%q: %v", q, err)
		}
		if len(hits) != 0 {
			t.Errorf("%q: hits %v, want none", q, hitNames(hits))
		}
	}
}

// TestSearchKeptCurrent changes every piece of a service's document, each
// in its own way, and searches after each.
func TestSearchKeptCurrent(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	svc := mustPutService(t, s, catalog.Service{Name: "ledger", Team: "payments", Description: "Double-entry ledger."})
	find := func(q string) bool {
		t.Helper()
		hits, err := s.Search(ctx, q, 5)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hits {
			if h.Service.ID == svc.ID {
				return true
			}
		}
		return false
	}
	if !find("double entry") {
		t.Fatal("not found by its description")
	}
	svc.Description = "Bookkeeping of money movements."
	svc.Aliases = []string{"books"}
	svc.Tags = []string{"accounting"}
	svc = mustPutService(t, s, svc)
	for q, want := range map[string]bool{"double entry": false, "bookkeeping": true, "books": true, "accounting": true} {
		if find(q) != want {
			t.Errorf("after update, %q found = %v", q, !want)
		}
	}
	if _, err := s.PutTeam(ctx, catalog.Team{Name: "payments", Title: "Treasury squad"}); err != nil {
		t.Fatal(err)
	}
	if !find("treasury") {
		t.Error("team title change not searchable")
	}
	repo, err := s.PutRepo(ctx, catalog.Repo{GitLabID: 7, Path: "acme/ledger"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AttachRepo(ctx, svc.ID, repo.ID, ""); err != nil {
		t.Fatal(err)
	}
	if err := s.SetRepoReadme(ctx, repo.ID, "README.md", "Reconciles the nightly settlement files."); err != nil {
		t.Fatal(err)
	}
	if !find("settlement") {
		t.Error("README paragraph not searchable")
	}
	hits, _ := s.Search(ctx, "settlement", 1)
	if len(hits) == 0 || !strings.Contains(strings.Join(hits[0].Why, " "), `readme: "Reconciles the nightly settlement files."`) {
		t.Errorf("why %v", hits)
	}
}

// TestSearchConcurrentWrites writes the pieces of services' documents
// from many goroutines at once (aliases through PutService, READMEs, team
// titles), and checks that each document ends up with all of them.
func TestSearchConcurrentWrites(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	const n = 8
	var svcs []catalog.Service
	var repos []catalog.Repo
	for i := range n {
		svc := mustPutService(t, s, catalog.Service{Name: fmt.Sprintf("svc-%d", i), Team: "shared"})
		repo, err := s.PutRepo(ctx, catalog.Repo{GitLabID: int64(100 + i), Path: fmt.Sprintf("acme/svc-%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.AttachRepo(ctx, svc.ID, repo.ID, ""); err != nil {
			t.Fatal(err)
		}
		svcs, repos = append(svcs, svc), append(repos, repo)
	}
	for round := range 3 {
		var wg sync.WaitGroup
		errs := make(chan error, 3*n)
		for i := range n {
			wg.Add(3)
			go func() {
				defer wg.Done()
				svc := svcs[i]
				svc.Description = fmt.Sprintf("Description%d round%d", i, round)
				svc.Aliases = []string{fmt.Sprintf("alias%dr%d", i, round)}
				_, err := s.PutService(ctx, svc)
				errs <- err
			}()
			go func() {
				defer wg.Done()
				errs <- s.SetRepoReadme(ctx, repos[i].ID, "README.md", fmt.Sprintf("Readme%d round%d", i, round))
			}()
			go func() {
				defer wg.Done()
				_, err := s.PutTeam(ctx, catalog.Team{Name: "shared", Title: fmt.Sprintf("Title%d round%d", i, round)})
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		for i := range n {
			for _, q := range []string{fmt.Sprintf("description%d", i), fmt.Sprintf("alias%dr%d", i, round), fmt.Sprintf("readme%d", i)} {
				hits, err := s.Search(ctx, q+fmt.Sprintf(" round%d", round), 20)
				if err != nil {
					t.Fatal(err)
				}
				if len(hits) == 0 || hits[0].Service.ID != svcs[i].ID || hits[0].Coverage != 1 {
					t.Errorf("round %d: %q: hits %v, want svc-%d with every word", round, q, hitNames(hits), i)
				}
			}
		}
		// The team's title is the last one written, in every document.
		team, err := s.FindTeam(ctx, "shared")
		if err != nil {
			t.Fatal(err)
		}
		hits, err := s.Search(ctx, strings.ToLower(strings.Fields(team.Title)[0]), 20)
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) != n {
			t.Errorf("round %d: team title %q finds %d services, want %d", round, team.Title, len(hits), n)
		}
	}
}
