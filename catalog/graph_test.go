package catalog_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/manifest"
)

// bsComponent is a Backstage Component owned by team.
func bsComponent(ns, name, team string) manifest.Entity {
	e := component(name, "group:"+team)
	e.APIVersion, e.Namespace = "backstage.io/v1alpha1", ns
	return e
}

func graphRepo(id int64, path string, deps []catalog.Dependency, pkgs []catalog.Package, entities ...manifest.Entity) catalog.RepoSnapshot {
	return catalog.RepoSnapshot{
		Repo:             catalog.Repo{GitLabID: id, Path: path, DefaultBranch: "main", LastCommit: "c1"},
		Dependencies:     deps,
		Packages:         pkgs,
		DescriptorStatus: catalog.DescriptorOK, DescriptorPath: "catalog-info.yaml", Entities: entities,
	}
}

// describeDependents renders dependents as "depth:ref[*]" (* on a cycle).
func describeDependents(ds []catalog.Dependent) []string {
	var out []string
	for _, d := range ds {
		s := fmt.Sprintf("%d:%s", d.Depth, d.Service.Ref())
		if d.Cycle {
			s += "*"
		}
		out = append(out, s)
	}
	return out
}

func describeDependencies(ds []catalog.ServiceDependency) []string {
	var out []string
	for _, d := range ds {
		var kinds []string
		for _, e := range d.Edges {
			kinds = append(kinds, e.Kind)
		}
		name := d.Target
		if d.Resolved() {
			name = d.Service.Ref()
		}
		out = append(out, name+"="+strings.Join(kinds, ","))
	}
	return out
}

func findID(t *testing.T, s *catalog.Store, ref string) int64 {
	t.Helper()
	l, err := s.FindService(context.Background(), ref)
	if err != nil || len(l.Services) != 1 {
		t.Fatalf("find %s: %+v, %v", ref, l, err)
	}
	return l.Services[0].ID
}

func TestServiceGraph(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()

	auth := bsComponent("default", "auth-service", "identity")
	auth.ProvidesAPIs = []string{"auth-api"}
	auth.DependsOn = []string{"resource:sessions-db", "component:basket-service"} // the second closes a cycle
	auth.Aliases = []string{"auth"}
	mustApply(t, s, graphRepo(1, "acme/identity/auth", nil, nil, auth,
		manifest.Entity{Kind: manifest.KindGroup, Name: "identity"}))
	if _, err := s.PutTeam(ctx, catalog.Team{Name: "payments", SlackChannel: "#team-payments"}); err != nil {
		t.Fatal(err)
	}

	checkout := bsComponent("default", "checkout-api", "payments")
	checkout.DependsOn = []string{"component:default/auth-service"}
	checkout.ConsumesAPIs = []string{"api:default/auth-api", "fx-rates-api"}
	logging := catalog.Dependency{Ecosystem: "maven", Name: "example.acme:acme-logging", Version: "1.4.0", File: "pom.xml", Line: 14, Direct: true}
	checkoutDeps := []catalog.Dependency{logging}
	mustApply(t, s, graphRepo(2, "acme/payments/checkout", checkoutDeps, nil, checkout))

	lib := bsComponent("default", "logging-lib", "platform")
	lib.Type = "library"
	mustApply(t, s, graphRepo(3, "acme/platform/logging-lib", nil,
		[]catalog.Package{{Ecosystem: "maven", Name: "example.acme:acme-logging", Source: "pom.xml", Line: 5}}, lib))

	basket := bsComponent("default", "basket-service", "storefront")
	basket.DependsOn = []string{"component:checkout-api"}
	mustApply(t, s, graphRepo(4, "acme/storefront/basket", nil, nil, basket))

	// Namespaces: a reference without one is in the declaring entity's.
	web := bsComponent("storefront", "web", "storefront")
	web.DependsOn = []string{"component:cart"}
	mustApply(t, s, graphRepo(5, "acme/storefront/web", nil, nil, web, bsComponent("storefront", "cart", "storefront")))
	mustApply(t, s, graphRepo(6, "acme/other/cart", nil, nil, bsComponent("default", "cart", "other")))

	// OpsLevel names dependencies by service name or alias.
	refunds := component("refunds-worker", "payments")
	refunds.DependsOn = []string{"auth"}
	mustApply(t, s, graphRepo(7, "acme/payments/refunds", nil, nil, refunds))

	authID, libID := findID(t, s, "auth-service"), findID(t, s, "logging-lib")
	checkoutID := findID(t, s, "checkout-api")

	deps, err := s.Dependents(ctx, authID)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"1:checkout-api*", "1:refunds-worker", "2:basket-service*"}
	if got := describeDependents(deps); !slices.Equal(got, want) {
		t.Errorf("dependents of auth-service: got %v, want %v", got, want)
	}
	for _, d := range deps {
		if d.Service.Name == "checkout-api" {
			if len(d.Via) != 2 || d.Via[0].Kind != catalog.EdgeDependsOn || d.Via[1].Kind != catalog.EdgeAPI {
				t.Errorf("checkout-api's edges to auth-service: %+v", d.Via)
			}
			if d.TeamChannel != "#team-payments" || d.Service.Team != "payments" {
				t.Errorf("checkout-api's team: %q %q", d.Service.Team, d.TeamChannel)
			}
		}
	}

	// The library: its users through the package, then theirs; the cycle
	// brings auth-service in once, at depth 3 (not again through
	// checkout-api at depth 2), and with it its own dependents.
	deps, err = s.Dependents(ctx, libID)
	if err != nil {
		t.Fatal(err)
	}
	want = []string{"1:checkout-api", "2:basket-service", "3:auth-service", "4:refunds-worker"}
	if got := describeDependents(deps); !slices.Equal(got, want) {
		t.Errorf("dependents of logging-lib: got %v, want %v", got, want)
	}
	if v := deps[0].Via; len(v) != 1 || v[0].Kind != catalog.EdgePackage ||
		v[0].Origin != "pom.xml:14 depends on example.acme:acme-logging, published by acme/platform/logging-lib (pom.xml:5)" {
		t.Errorf("package edge: %+v", v)
	}

	// What checkout-api depends on: resolved first, the API nobody
	// provides kept as unresolved.
	ups, err := s.Dependencies(ctx, checkoutID)
	if err != nil {
		t.Fatal(err)
	}
	wantUps := []string{"auth-service=dependsOn,api", "logging-lib=package", "api:default/fx-rates-api=api"}
	if got := describeDependencies(ups); !slices.Equal(got, wantUps) {
		t.Errorf("dependencies of checkout-api: got %v, want %v", got, wantUps)
	}
	ups, err = s.Dependencies(ctx, authID)
	if err != nil {
		t.Fatal(err)
	}
	wantUps = []string{"basket-service=dependsOn", "resource:default/sessions-db=dependsOn"}
	if got := describeDependencies(ups); !slices.Equal(got, wantUps) || !ups[0].Cycle {
		t.Errorf("dependencies of auth-service: got %v (cycle %v), want %v", got, ups[0].Cycle, wantUps)
	}
	ups, err = s.Dependencies(ctx, findID(t, s, "storefront/web"))
	if err != nil {
		t.Fatal(err)
	}
	if got := describeDependencies(ups); !slices.Equal(got, []string{"storefront/cart=dependsOn"}) {
		t.Errorf("dependencies of storefront/web: got %v", got)
	}

	// The cache gives the same answers from memory.
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c := catalog.NewCache(s)
	go c.Run(cctx)
	waitFor(t, "the cache to listen", c.Live)
	cached, err := c.Dependents(ctx, libID)
	if err != nil || !slices.Equal(describeDependents(cached), want) {
		t.Errorf("cached dependents of logging-lib: %v, %v", describeDependents(cached), err)
	}

	// The edge disappears when checkout stops depending on the package.
	// The cache, whose graph has been used, reads it again after the
	// change without waiting for a request.
	before, _ := c.GraphState()
	mustApply(t, s, graphRepo(2, "acme/payments/checkout", nil, nil, checkout))
	waitFor(t, "the cache to read the graph again", func() bool {
		gen, current := c.GraphState()
		return gen > before && current
	})
	deps, err = s.Dependents(ctx, libID)
	if err != nil || len(deps) != 0 {
		t.Errorf("dependents of logging-lib once unused: %v, %v", describeDependents(deps), err)
	}
	waitFor(t, "the cache to drop the package edge", func() bool {
		d, err := c.Dependents(ctx, libID)
		return err == nil && len(d) == 0
	})
	// And comes back when it depends on it again, transitively this time.
	transitive := logging
	transitive.Direct, transitive.Via, transitive.File, transitive.Line = false, []string{"example.acme:acme-http@2.0.0"}, "pom.xml", 20
	mustApply(t, s, graphRepo(2, "acme/payments/checkout", []catalog.Dependency{transitive}, nil, checkout))
	deps, err = s.Dependents(ctx, libID)
	if err != nil || len(deps) == 0 || !deps[0].Via[0].Transitive ||
		!strings.Contains(deps[0].Via[0].Origin, "through example.acme:acme-http@2.0.0") {
		t.Errorf("transitive package edge: %+v, %v", deps, err)
	}
	// A test-scoped dependency is no edge.
	transitive.Scope = "test"
	mustApply(t, s, graphRepo(2, "acme/payments/checkout", []catalog.Dependency{transitive}, nil, checkout))
	if deps, err = s.Dependents(ctx, libID); err != nil || len(deps) != 0 {
		t.Errorf("test-scoped dependency: %v, %v", describeDependents(deps), err)
	}
	// A parent POM: a dependency whose version the library's artifact
	// sets (version_from) makes an edge too.
	mustApply(t, s, graphRepo(8, "acme/backoffice/invoice", []catalog.Dependency{{Ecosystem: "maven", Name: "org.apache.logging.log4j:log4j-core",
		Version: "2.14.1", File: "pom.xml", Line: 14, Direct: true, VersionFrom: "example.acme:acme-logging:1.4.0"}}, nil,
		bsComponent("default", "invoice-service", "backoffice")))
	deps, err = s.Dependents(ctx, libID)
	if err != nil || len(deps) != 1 || deps[0].Service.Name != "invoice-service" ||
		deps[0].Via[0].Origin != "pom.xml:14 takes versions from example.acme:acme-logging:1.4.0, published by acme/platform/logging-lib (pom.xml:5)" {
		t.Errorf("parent POM edge: %+v, %v", deps, err)
	}
	// spec.dependencyOf is the edge the other way round; one to nothing
	// catalogued has no service to hang from and is left out.
	agent := bsComponent("default", "metrics-agent", "platform")
	agent.DependencyOf = []string{"component:default/cart", "component:nowhere"}
	mustApply(t, s, graphRepo(9, "acme/platform/metrics-agent", nil, nil, agent))
	ups, err = s.Dependencies(ctx, findID(t, s, "default/cart"))
	if err != nil || len(ups) != 1 || ups[0].Service.Name != "metrics-agent" ||
		ups[0].Edges[0].Origin != "catalog-info.yaml of metrics-agent: spec.dependencyOf component:default/cart" {
		t.Errorf("dependencyOf: %+v, %v", ups, err)
	}
	// A service with no edges has no dependents and no dependencies.
	if d, err := s.Dependents(ctx, findID(t, s, "storefront/web")); err != nil || len(d) != 0 {
		t.Errorf("isolated: %v, %v", d, err)
	}
}

// TestCacheGraphLoadOutlivesCaller: the graph is read once, detached from
// the callers waiting on it. A caller whose deadline passes while the read
// is held back (a transaction locks service_relations) gives up with its
// deadline; the read goes on, and the callers after it get the graph from
// that same read.
func TestCacheGraphLoadOutlivesCaller(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	api := bsComponent("default", "api", "platform")
	mustApply(t, s, graphRepo(1, "acme/platform/api", nil, nil, api))
	web := bsComponent("default", "web", "platform")
	web.DependsOn = []string{"component:api"}
	mustApply(t, s, graphRepo(2, "acme/platform/web", nil, nil, web))
	apiID := findID(t, s, "default/api")

	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c := catalog.NewCache(s)
	go c.Run(cctx)
	waitFor(t, "the cache to listen", c.Live)

	lock, err := s.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Rollback(ctx)
	if _, err := lock.Exec(ctx, `LOCK TABLE service_relations IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	short, cancelShort := context.WithTimeout(ctx, 50*time.Millisecond)
	_, err = c.Dependents(short, apiID)
	cancelShort()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a caller whose deadline passed during the read: %v, want its deadline", err)
	}

	// Callers meanwhile, with generous deadlines, wait on the same read.
	const waiting = 3
	results := make(chan error, waiting)
	for range waiting {
		go func() {
			wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			d, err := c.Dependents(wctx, apiID)
			if err == nil && !slices.Equal(describeDependents(d), []string{"1:web"}) {
				err = fmt.Errorf("dependents %v", describeDependents(d))
			}
			results <- err
		}()
	}
	if err := lock.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	for range waiting {
		if err := <-results; err != nil {
			t.Errorf("a caller after the first gave up: %v", err)
		}
	}
	d, err := c.Dependents(ctx, apiID)
	if err != nil || !slices.Equal(describeDependents(d), []string{"1:web"}) {
		t.Errorf("dependents once read: %v, %v", describeDependents(d), err)
	}
	if n := c.GraphLoads(); n != 1 {
		t.Errorf("the graph was read %d times, want once", n)
	}
}
