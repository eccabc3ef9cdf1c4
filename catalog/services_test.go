package catalog_test

import (
	"context"
	"errors"
	"log/slog"
	"sort"
	"strings"
	"testing"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
)

func newStore(t testing.TB) *catalog.Store {
	t.Helper()
	return catalog.NewStore(pgtest.New(t), slog.New(slog.DiscardHandler))
}

func mustPutService(t testing.TB, s *catalog.Store, svc catalog.Service) catalog.Service {
	t.Helper()
	if svc.Source == "" {
		svc.Source = catalog.SourceImport
	}
	out, err := s.PutService(context.Background(), svc)
	if err != nil {
		t.Fatalf("put service %s: %v", svc.Name, err)
	}
	return out
}

func refs(svcs []catalog.Service) string {
	var out []string
	for _, s := range svcs {
		out = append(out, s.Ref()+"@"+s.Team)
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

func TestFindService(t *testing.T) {
	s := newStore(t)
	mustPutService(t, s, catalog.Service{Name: "checkout-api", Team: "payments", Aliases: []string{"checkout", "co-api"}})
	mustPutService(t, s, catalog.Service{Name: "Ledger", Team: "payments"})
	mustPutService(t, s, catalog.Service{Namespace: "storefront", Name: "frontend", Team: "web"})
	mustPutService(t, s, catalog.Service{Namespace: "backoffice", Name: "frontend", Team: "ops-tools"})
	mustPutService(t, s, catalog.Service{Name: "search-indexer", Team: "search"})

	tests := []struct {
		name        string
		query       string
		wantKind    catalog.MatchKind
		wantRefs    string
		wantSuggest string // first suggestion's name, "" for none
	}{
		{"exact", "checkout-api", catalog.MatchExact, "checkout-api@payments", ""},
		{"case", "CHECKOUT-API", catalog.MatchCaseInsensitive, "checkout-api@payments", ""},
		{"stored with capitals", "ledger", catalog.MatchCaseInsensitive, "Ledger@payments", ""},
		{"alias", "co-api", catalog.MatchAlias, "checkout-api@payments", ""},
		{"alias ignoring case", "Checkout", catalog.MatchAlias, "checkout-api@payments", ""},
		{"misspelt", "chekout-api", catalog.MatchNone, "", "checkout-api"},
		{"transposed", "search-idnexer", catalog.MatchNone, "", "search-indexer"},
		{"ambiguous", "frontend", catalog.MatchExact, "backoffice/frontend@ops-tools,storefront/frontend@web", ""},
		{"namespaced", "storefront/frontend", catalog.MatchExact, "storefront/frontend@web", ""},
		{"unknown", "zzqx-nothing", catalog.MatchNone, "", ""},
		{"empty", "   ", catalog.MatchNone, "", ""},
		{"sql-looking", "x' OR '1'='1", catalog.MatchNone, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := s.FindService(context.Background(), tt.query)
			if err != nil {
				t.Fatal(err)
			}
			if l.Kind != tt.wantKind {
				t.Errorf("kind: got %v, want %v", l.Kind, tt.wantKind)
			}
			if got := refs(l.Services); got != tt.wantRefs {
				t.Errorf("services: got %q, want %q", got, tt.wantRefs)
			}
			got := ""
			if len(l.Suggestions) > 0 {
				got = l.Suggestions[0].Service.Name
			}
			if got != tt.wantSuggest {
				t.Errorf("first suggestion: got %q, want %q (all: %+v)", got, tt.wantSuggest, l.Suggestions)
			}
		})
	}
}

func TestServiceNamesUniquePerNamespaceIgnoringCase(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	if _, err := s.CreateService(ctx, catalog.Service{Name: "billing", Source: catalog.SourceSlack}); err != nil {
		t.Fatal(err)
	}
	_, err := s.CreateService(ctx, catalog.Service{Name: "Billing", Source: catalog.SourceSlack})
	if !errors.Is(err, catalog.ErrConflict) {
		t.Fatalf("second Billing: got %v, want ErrConflict", err)
	}
	if _, err := s.CreateService(ctx, catalog.Service{Namespace: "other", Name: "billing", Source: catalog.SourceSlack}); err != nil {
		t.Fatalf("billing in another namespace: got %v, want nil", err)
	}
	n, err := s.CountServices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Fatalf("services: got %d, want 2 (the conflict must not have written)", n)
	}
}

func TestPutServiceRejectsInvalid(t *testing.T) {
	s := newStore(t)
	tests := []struct {
		name string
		svc  catalog.Service
	}{
		{"no name", catalog.Service{Source: catalog.SourceSlack}},
		{"no source", catalog.Service{Name: "x"}},
		{"unknown source", catalog.Service{Name: "x", Source: "telepathy"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.PutService(context.Background(), tt.svc); !errors.Is(err, catalog.ErrInvalid) {
				t.Fatalf("got %v, want ErrInvalid", err)
			}
		})
	}
}

func TestPutServiceReplacesAndKeepsOthers(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	first := mustPutService(t, s, catalog.Service{Name: "orders", Team: "payments", Tier: "1", Aliases: []string{"ord"},
		Links: []catalog.Link{{Kind: catalog.LinkRunbook, Title: "Runbook", URL: "https://wiki/orders"}}})
	mustPutService(t, s, catalog.Service{Name: "unrelated", Team: "search"})
	second := mustPutService(t, s, catalog.Service{Name: "Orders", Team: "fulfilment", Tier: "2", Aliases: []string{"o"}})
	if second.ID != first.ID {
		t.Fatalf("id: got %d, want %d (same service)", second.ID, first.ID)
	}
	if second.Team != "fulfilment" || second.Tier != "2" || len(second.Links) != 0 || strings.Join(second.Aliases, ",") != "o" {
		t.Fatalf("after replace: got %+v", second)
	}
	if n, _ := s.CountServices(ctx); n != 2 {
		t.Fatalf("services: got %d, want 2", n)
	}
}

func TestProfile(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	if _, err := s.PutTeam(ctx, catalog.Team{Name: "payments", SlackChannel: "#team-payments", GitLabGroup: "acme/payments"}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []catalog.Person{{Name: "Ada", Email: "ada@acme.test"}, {Name: "Bob", Email: "bob@acme.test"}} {
		if _, err := s.PutPerson(ctx, p); err != nil {
			t.Fatal(err)
		}
		if err := s.AddMember(ctx, "payments", p.Email, "gitlab", ""); err != nil {
			t.Fatal(err)
		}
	}
	// Learnt twice (GitLab and PagerDuty), listed once.
	if err := s.AddMember(ctx, "Payments", "ADA@acme.test", "pagerduty", ""); err != nil {
		t.Fatal(err)
	}
	if err := s.AddMember(ctx, "payments", "nobody@acme.test", "gitlab", ""); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("unknown person: got %v, want ErrNotFound", err)
	}
	svc := mustPutService(t, s, catalog.Service{Name: "checkout-api", Team: "payments"})
	repo, err := s.PutRepo(ctx, catalog.Repo{GitLabID: 42, Path: "acme/payments/checkout-api", WebURL: "https://gitlab/acme/payments/checkout-api"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AttachRepo(ctx, svc.ID, repo.ID, ""); err != nil {
		t.Fatal(err)
	}
	p, err := s.Profile(ctx, svc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p.Team == nil || p.Team.SlackChannel != "#team-payments" {
		t.Fatalf("team: got %+v, want payments with its channel", p.Team)
	}
	if len(p.Members) != 2 || p.Members[0].Name != "Ada" || p.Members[1].Name != "Bob" {
		t.Fatalf("members: got %+v, want Ada, Bob", p.Members)
	}
	if len(p.Repos) != 1 || p.Repos[0].Path != "acme/payments/checkout-api" {
		t.Fatalf("repos: got %+v", p.Repos)
	}
	if _, err := s.Profile(ctx, 999999); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("unknown id: got %v, want ErrNotFound", err)
	}
}

func TestAuditLog(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	if err := s.Audit(ctx, catalog.AuditEntry{Actor: "U1", Action: "page", Subject: "checkout-api", Detail: map[string]any{"message": "disk full"}, Result: "failed"}); err != nil {
		t.Fatal(err)
	}
	got, err := s.AuditLog(ctx, "checkout-api", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Result != "failed" || got[0].Detail["message"] != "disk full" {
		t.Fatalf("got %+v", got)
	}
}
