package catalog_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/manifest"
)

func component(name, owner string) manifest.Entity {
	return manifest.Entity{Kind: manifest.KindComponent, Name: name, Namespace: "default", Owner: owner, Lifecycle: "production", Type: "service",
		Links: manifest.Links{Runbooks: []manifest.Link{{Title: "Runbook", URL: "https://wiki/" + name}}}}
}

func snapshot(id int64, path, status string, entities ...manifest.Entity) catalog.RepoSnapshot {
	return catalog.RepoSnapshot{
		Repo:             catalog.Repo{GitLabID: id, Path: path, DefaultBranch: "main", WebURL: "https://gitlab/" + path, LastCommit: "c1"},
		Files:            []string{"catalog-info.yaml", "pom.xml", "src/main/resources/log4j2.xml"},
		Dependencies:     []catalog.Dependency{{Ecosystem: "maven", Name: "org.apache.logging.log4j:log4j-core", Version: "2.14.1", File: "pom.xml"}},
		DescriptorStatus: status, DescriptorPath: "catalog-info.yaml", Entities: entities,
	}
}

func mustApply(t *testing.T, s *catalog.Store, snap catalog.RepoSnapshot) catalog.ApplyResult {
	t.Helper()
	res, err := s.ApplyRepo(context.Background(), snap)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func lookupOne(t *testing.T, s *catalog.Store, name string) catalog.Profile {
	t.Helper()
	l, err := s.FindService(context.Background(), name)
	if err != nil || len(l.Services) != 1 {
		t.Fatalf("find %s: %+v, %v", name, l, err)
	}
	p, err := s.Profile(context.Background(), l.Services[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestApplyRepoLifecycle(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()

	// A descriptor with two services, a team and a person.
	res := mustApply(t, s, snapshot(1, "acme/payments/checkout", catalog.DescriptorOK,
		component("checkout-api", "group:payments"), component("checkout-worker", "payments"),
		manifest.Entity{Kind: manifest.KindGroup, Name: "payments", DisplayName: "Payments", Members: []string{"ada"}},
		manifest.Entity{Kind: manifest.KindUser, Name: "ada", Email: "ada@acme.test", DisplayName: "Ada Lovelace"},
	))
	if res.Services != 2 || len(res.Conflicts) != 0 {
		t.Fatalf("first apply: got %+v", res)
	}
	p := lookupOne(t, s, "checkout-api")
	if p.Team == nil || p.Team.Name != "payments" || p.Team.Title != "Payments" || len(p.Members) != 1 || p.Members[0].Name != "Ada Lovelace" {
		t.Fatalf("profile: got team %+v members %+v", p.Team, p.Members)
	}
	if len(p.Repos) != 1 || p.Repos[0].Path != "acme/payments/checkout" || p.Service.Source != catalog.SourceDescriptor {
		t.Fatalf("profile: got repos %+v source %s", p.Repos, p.Service.Source)
	}

	// The team learnt its GitLab group from where its repo lives.
	if team, err := s.FindTeam(ctx, "payments"); err != nil || team.GitLabGroup != "acme/payments" {
		t.Fatalf("payments' group: got %q, %v; want acme/payments", team.GitLabGroup, err)
	}

	// Another repo claims checkout-api: the first keeps it, both record it.
	res = mustApply(t, s, snapshot(2, "acme/web/checkout-copy", catalog.DescriptorOK, component("checkout-api", "group:web")))
	if len(res.Conflicts) != 1 || res.Conflicts[0].Repo != "acme/payments/checkout" {
		t.Fatalf("conflict: got %+v", res)
	}
	if p := lookupOne(t, s, "checkout-api"); p.Team.Name != "payments" {
		t.Fatalf("after conflict the owner changed to %s", p.Team.Name)
	}
	var n int
	if err := s.Pool().QueryRow(ctx, `SELECT count(*) FROM repos WHERE jsonb_array_length(conflicts) = 1`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("repos recording the conflict: got %d, %v; want 2", n, err)
	}

	// An invalid descriptor changes no service.
	mustApply(t, s, snapshot(1, "acme/payments/checkout", catalog.DescriptorInvalid))
	if p := lookupOne(t, s, "checkout-worker"); p.Service.Status != catalog.StatusActive {
		t.Fatalf("invalid descriptor orphaned a service: %+v", p.Service)
	}

	// The worker disappears from the descriptor: orphaned, not deleted.
	res = mustApply(t, s, snapshot(1, "acme/payments/checkout", catalog.DescriptorOK, component("checkout-api", "group:payments")))
	if len(res.Orphaned) != 1 || res.Orphaned[0] != "checkout-worker" {
		t.Fatalf("orphans: got %+v", res.Orphaned)
	}
	if p := lookupOne(t, s, "checkout-worker"); p.Service.Status != catalog.StatusOrphaned {
		t.Fatalf("worker: got status %s, want orphaned", p.Service.Status)
	}

	// The descriptor is removed: everything it declared is orphaned.
	res = mustApply(t, s, snapshot(1, "acme/payments/checkout", catalog.DescriptorMissing))
	if len(res.Orphaned) != 1 || res.Orphaned[0] != "checkout-api" {
		t.Fatalf("orphans after removal: got %+v", res.Orphaned)
	}
	// Now the other repo may take the name.
	res = mustApply(t, s, snapshot(2, "acme/web/checkout-copy", catalog.DescriptorOK, component("checkout-api", "group:web")))
	if len(res.Conflicts) != 0 || res.Services != 1 {
		t.Fatalf("take-over: got %+v", res)
	}
	if p := lookupOne(t, s, "checkout-api"); p.Team.Name != "web" || p.Service.Status != catalog.StatusActive {
		t.Fatalf("after take-over: team %s status %s", p.Team.Name, p.Service.Status)
	}
}

func TestApplyRepoTakesOverSlackRegistration(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	if _, err := s.CreateService(ctx, catalog.Service{Name: "billing", Team: "payments", Source: catalog.SourceSlack}); err != nil {
		t.Fatal(err)
	}
	res := mustApply(t, s, snapshot(3, "acme/payments/billing", catalog.DescriptorOK, component("billing", "group:payments")))
	if res.Services != 1 || len(res.Conflicts) != 0 {
		t.Fatalf("got %+v", res)
	}
	if p := lookupOne(t, s, "billing"); p.Service.Source != catalog.SourceDescriptor {
		t.Fatalf("source: got %s, want descriptor", p.Service.Source)
	}
	if n, _ := s.CountServices(ctx); n != 1 {
		t.Fatalf("services: got %d, want 1", n)
	}
}

func TestImpact(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	mustApply(t, s, snapshot(1, "acme/payments/checkout", catalog.DescriptorOK, component("checkout-api", "group:payments")))
	other := snapshot(2, "acme/search/indexer", catalog.DescriptorMissing)
	other.Files = []string{"build.gradle", "src/log4j2-test.xml", "100%_odd.txt"}
	other.Dependencies = []catalog.Dependency{{Ecosystem: "gradle", Name: "org.apache.logging.log4j:log4j-core", Version: "2.17.1", File: "build.gradle"},
		{Ecosystem: "gradle", Name: "org.apache.logging.log4j:log4j-api", Version: "2.17.1", File: "build.gradle"}}
	mustApply(t, s, other)

	deps, err := s.DependentRepos(ctx, "log4j-core")
	if err != nil {
		t.Fatal(err)
	}
	if len(deps) != 2 || deps[0].Repo.Path != "acme/payments/checkout" || deps[0].Dependency.Version != "2.14.1" ||
		len(deps[0].Services) != 1 || deps[0].Services[0].Team != "payments" || len(deps[1].Services) != 0 {
		t.Fatalf("dependents: got %+v", deps)
	}
	if full, _ := s.DependentRepos(ctx, "org.apache.logging.log4j:LOG4J-CORE"); len(full) != 2 {
		t.Fatalf("by full name: got %d hits, want 2", len(full))
	}
	if none, _ := s.DependentRepos(ctx, "log4j"); len(none) != 0 {
		t.Fatalf("look-alike name matched: %+v", none)
	}
	tests := []struct {
		pattern string
		want    int
	}{
		{"log4j2.xml", 1}, {"src/main/resources/log4j2.xml", 1}, {"*.xml", 3}, {"log4j2*.xml", 2},
		{"**/log4j2*.xml", 2}, {"src/*", 2}, {"100%_odd.txt", 1}, {"1%", 0}, {"nothing.txt", 0},
	}
	for _, tt := range tests {
		hits, err := s.ReposWithFile(ctx, tt.pattern, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) != tt.want {
			t.Errorf("%s: got %d hits, want %d: %+v", tt.pattern, len(hits), tt.want, hits)
		}
	}
}

// TestConcurrentClaims: repos claiming one name at the same time end with
// one holder and everyone else in conflict, never two repos on one service.
func TestConcurrentClaims(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	const n = 8
	errs := make(chan error, n)
	for i := range n {
		go func() {
			_, err := s.ApplyRepo(ctx, snapshot(int64(100+i), fmt.Sprintf("acme/team%d/frontend", i), catalog.DescriptorOK, component("frontend", fmt.Sprintf("group:team%d", i))))
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	var attached, conflicted int
	if err := s.Pool().QueryRow(ctx, `SELECT count(*) FROM service_repos sr JOIN services sv ON sv.id = sr.service_id WHERE sv.name = 'frontend'`).Scan(&attached); err != nil {
		t.Fatal(err)
	}
	if err := s.Pool().QueryRow(ctx, `SELECT count(*) FROM repos WHERE jsonb_array_length(conflicts) > 0`).Scan(&conflicted); err != nil {
		t.Fatal(err)
	}
	if attached != 1 || conflicted != n {
		t.Fatalf("repos on the service: got %d, want 1; repos recording the conflict: got %d, want %d", attached, conflicted, n)
	}
}

// TestRecreatedProject: a project deleted and created again under the same
// path (a new GitLab id) syncs; the old repo is kept as deleted under a
// freed path, and the name passes to the new repo.
func TestRecreatedProject(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	mustApply(t, s, snapshot(1, "acme/payments/checkout", catalog.DescriptorOK, component("checkout-api", "group:payments")))
	res := mustApply(t, s, snapshot(2, "acme/payments/checkout", catalog.DescriptorOK, component("checkout-api", "group:payments")))
	if len(res.Conflicts) != 0 || res.Services != 1 {
		t.Fatalf("recreated project: got %+v", res)
	}
	p := lookupOne(t, s, "checkout-api")
	if len(p.Repos) != 1 || p.Repos[0].GitLabID != 2 || p.Service.Status != catalog.StatusActive {
		t.Fatalf("checkout-api: %+v (repos %+v)", p.Service, p.Repos)
	}
	var oldPath string
	var deleted bool
	if err := s.Pool().QueryRow(ctx, `SELECT path, deleted_at IS NOT NULL FROM repos WHERE gitlab_id = 1`).Scan(&oldPath, &deleted); err != nil {
		t.Fatal(err)
	}
	if oldPath != "acme/payments/checkout@1" || !deleted {
		t.Fatalf("old repo: path %q, deleted %v", oldPath, deleted)
	}
}
