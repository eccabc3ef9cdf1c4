package catalog_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
)

// TestCacheFollowsChanges: a cached answer is replaced as soon as the
// catalog changes, even when the change comes through another store (as
// from another replica).
func TestCacheFollowsChanges(t *testing.T) {
	s := newStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	other := catalog.NewStore(s.Pool(), nil) // another replica's store, same database
	svc := mustPutService(t, s, catalog.Service{Name: "checkout-api", Team: "payments"})

	c := catalog.NewCache(s)
	if _, err := c.FindService(ctx, "checkout-api"); err != nil {
		t.Fatalf("before Run (bypassing the cache): %v", err)
	}
	go c.Run(ctx)
	waitFor(t, "the cache to listen", c.Live)

	p, err := c.Profile(ctx, svc.ID)
	if err != nil || p.Service.Team != "payments" {
		t.Fatalf("profile: got %+v, %v", p.Service, err)
	}
	if _, err := other.PutService(ctx, catalog.Service{Name: "checkout-api", Team: "fulfilment", Source: catalog.SourceImport}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the cache to see the new owner", func() bool {
		p, err := c.Profile(ctx, svc.ID)
		return err == nil && p.Service.Team == "fulfilment"
	})
	l, err := c.FindService(ctx, "chekout-api")
	if err != nil || len(l.Suggestions) != 1 {
		t.Fatalf("suggestions: %+v, %v", l, err)
	}
	mustPutService(t, other, catalog.Service{Name: "checkout-apis", Team: "x"})
	waitFor(t, "the cache to see a new suggestion", func() bool {
		l, err := c.FindService(ctx, "chekout-api")
		return err == nil && len(l.Suggestions) == 2
	})

	cancel()
	waitFor(t, "the cache to stop being used", func() bool { return !c.Live() })
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestCacheAgreesWithStore: every lookup answered from memory equals the
// database's answer.
func TestCacheAgreesWithStore(t *testing.T) {
	s := newStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	mustPutService(t, s, catalog.Service{Name: "checkout-api", Team: "payments", Aliases: []string{"checkout", "co-api"},
		Links: []catalog.Link{{Kind: catalog.LinkRunbook, URL: "https://r"}}})
	mustPutService(t, s, catalog.Service{Name: "Ledger", Team: "payments"})
	mustPutService(t, s, catalog.Service{Namespace: "storefront", Name: "frontend", Team: "web"})
	mustPutService(t, s, catalog.Service{Namespace: "backoffice", Name: "frontend", Team: "ops-tools"})
	mustPutService(t, s, catalog.Service{Name: "orphan"})
	if _, err := s.PutPerson(ctx, catalog.Person{Name: "Ada", Email: "ada@x"}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddMember(ctx, "payments", "ada@x", "gitlab", ""); err != nil {
		t.Fatal(err)
	}
	c := catalog.NewCache(s)
	go c.Run(ctx)
	waitFor(t, "the cache to load", c.Live)

	for _, q := range []string{"checkout-api", "CHECKOUT-API", "ledger", "Ledger", "co-api", "Checkout", "frontend",
		"storefront/frontend", "Storefront/Frontend", "nope/frontend", "chekout-api", "orphan", "", "zzzz", "a/b/c"} {
		want, err := s.FindService(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.FindService(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if got.Kind != want.Kind || refs(got.Services) != refs(want.Services) || len(got.Suggestions) != len(want.Suggestions) {
			t.Errorf("%q: cache got kind %v %q (%d suggestions), store %v %q (%d)", q, got.Kind, refs(got.Services), len(got.Suggestions),
				want.Kind, refs(want.Services), len(want.Suggestions))
		}
		for _, svc := range want.Services {
			wp, _ := s.Profile(ctx, svc.ID)
			gp, _ := c.Profile(ctx, svc.ID)
			if fmt.Sprint(wp.Team, wp.Members, wp.Repos, wp.Service.Links) != fmt.Sprint(gp.Team, gp.Members, gp.Repos, gp.Service.Links) {
				t.Errorf("profile %d: cache %+v, store %+v", svc.ID, gp, wp)
			}
		}
	}
}
