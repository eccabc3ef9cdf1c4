package catalog_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/manifest"
)

// TestSearchProvidedAPIs: a service is found by the name of an API it
// provides (spec.providesApis, migration 027), saying so in the why;
// not by one it only consumes; and the document follows the descriptor:
// an API no longer provided stops finding it, a new one does, and a
// service whose descriptor disappears (its relations deleted) drops out.
func TestSearchProvidedAPIs(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	provider := func(apis ...string) manifest.Entity {
		e := component("settlement", "group:payments")
		e.APIVersion = "backstage.io/v1alpha1"
		e.Description = "Moves money between accounts."
		e.ProvidesAPIs = apis
		return e
	}
	consumer := component("reports", "group:data")
	consumer.APIVersion = "backstage.io/v1alpha1"
	consumer.ConsumesAPIs = []string{"clearing-feed"}
	mustApply(t, s, snapshot(1, "pay/settlement", catalog.DescriptorOK, provider("clearing-feed", "api:default/payout-ledger")))
	mustApply(t, s, snapshot(2, "data/reports", catalog.DescriptorOK, consumer))
	found := func(q string) []catalog.SearchHit {
		t.Helper()
		hits, err := s.Search(ctx, q, 10)
		if err != nil {
			t.Fatal(err)
		}
		return hits
	}
	names := func(hits []catalog.SearchHit) []string {
		var out []string
		for _, h := range hits {
			out = append(out, h.Service.Name)
		}
		return out
	}
	hits := found("clearing feed")
	if len(hits) != 1 || hits[0].Service.Name != "settlement" {
		t.Fatalf("clearing feed: %v, want settlement only (reports only consumes it)", names(hits))
	}
	if why := strings.Join(hits[0].Why, " "); !strings.Contains(why, `api: "clearing-feed"`) {
		t.Errorf("why %q does not name the API", why)
	}
	if hits := found("payout ledger"); len(hits) != 1 || hits[0].Service.Name != "settlement" {
		t.Errorf("payout ledger: %v", names(hits))
	}
	// The descriptor changes: clearing-feed is gone, refund-events new.
	mustApply(t, s, snapshot(1, "pay/settlement", catalog.DescriptorOK, provider("refund-events")))
	if hits := found("clearing feed"); len(hits) != 0 {
		t.Errorf("clearing feed after it was dropped: %v", names(hits))
	}
	if hits := found("refund events"); len(hits) != 1 || hits[0].Service.Name != "settlement" {
		t.Errorf("refund events: %v", names(hits))
	}
	// Relations deleted straight in the table (what a sync's DELETE does).
	if _, err := s.Pool().Exec(ctx, `DELETE FROM service_relations WHERE target_name = 'refund-events'`); err != nil {
		t.Fatal(err)
	}
	if hits := found("refund events"); len(hits) != 0 {
		t.Errorf("refund events after its relation was deleted: %v", names(hits))
	}
}

// TestSearchProvidedAPIsConcurrently: replicas applying the same
// descriptors with different provided APIs at once leave each service's
// document matching what its relations hold (the refresh's lock-then-
// recompute), and no deadlock.
func TestSearchProvidedAPIsConcurrently(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	ents := func(api string) []manifest.Entity {
		var out []manifest.Entity
		for _, n := range []string{"alpha", "beta", "gamma"} {
			e := component(n, "group:core")
			e.APIVersion = "backstage.io/v1alpha1"
			e.ProvidesAPIs = []string{n + "-" + api}
			out = append(out, e)
		}
		return out
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		api := []string{"orders", "quotes"}[i%2]
		wg.Go(func() {
			_, err := s.ApplyRepo(ctx, snapshot(1, "core/mono", catalog.DescriptorOK, ents(api)...))
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	var bad int
	if err := s.Pool().QueryRow(ctx, `
		SELECT count(*) FROM service_search ss
		WHERE ss.apis <> coalesce((SELECT string_agg(target_name, E'\n' ORDER BY target_name) FROM service_relations r
		                           WHERE r.service_id = ss.service_id AND r.relation = 'providesApi'), '')`).Scan(&bad); err != nil {
		t.Fatal(err)
	}
	if bad != 0 {
		t.Errorf("%d search documents disagree with their services' provided APIs", bad)
	}
}
