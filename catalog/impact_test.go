package catalog_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/manifest"
)

const log4jCore = "org.apache.logging.log4j:log4j-core"

// impactCatalog holds three repos depending on log4j-core: acme/a with two
// services (direct, in a declared-only pom.xml), acme/b with none
// (transitive, in a lockfile), and acme/c, deleted, with a version and an
// ecosystem no live repo uses and a declared-only graph.
func impactCatalog(t *testing.T) *catalog.Store {
	t.Helper()
	s := newStore(t)
	apply := func(id int64, path string, deps []catalog.Dependency, files []catalog.DependencyFile, entities ...manifest.Entity) {
		t.Helper()
		snap := snapshot(id, path, catalog.DescriptorOK, entities...)
		if len(entities) == 0 {
			snap.DescriptorStatus = catalog.DescriptorMissing
		}
		snap.Dependencies, snap.DependencySources = deps, files
		mustApply(t, s, snap)
	}
	apply(1, "acme/a",
		[]catalog.Dependency{{Ecosystem: "maven", Name: log4jCore, Version: "2.14.1", File: "pom.xml", Line: 12, Direct: true}},
		[]catalog.DependencyFile{{Path: "pom.xml", Graph: catalog.GraphDeclared}},
		component("zeta-api", "group:payments"), component("alpha-worker", "group:payments"),
		manifest.Entity{Kind: manifest.KindGroup, Name: "payments", DisplayName: "Payments"})
	apply(2, "acme/b",
		[]catalog.Dependency{{Ecosystem: "gradle", Name: log4jCore, Version: "2.17.1", File: "gradle.lockfile", Line: 3, Source: "gradle.lockfile",
			Via: []string{"org.springframework.boot:spring-boot-starter-log4j2@2.6.1"}}},
		[]catalog.DependencyFile{{Path: "gradle.lockfile", Graph: catalog.GraphPaths}})
	apply(3, "acme/c",
		[]catalog.Dependency{
			{Ecosystem: "maven", Name: log4jCore, Version: "2.0-beta9", File: "pom.xml", Direct: true},
			{Ecosystem: "npm", Name: "log4j-core", Version: "1.0.0", File: "package.json", Direct: true},
		},
		[]catalog.DependencyFile{{Path: "pom.xml", Graph: catalog.GraphDeclared}, {Path: "package.json", Graph: catalog.GraphDeclared}},
		component("gone-api", "group:payments"))
	if _, err := s.MarkRepoDeleted(context.Background(), 3); err != nil {
		t.Fatal(err)
	}
	return s
}

// hitLine is what a test compares of a hit: repo, version and services.
func hitLine(h catalog.ImpactHit) string {
	var svcs []string
	for _, s := range h.Services {
		svcs = append(svcs, s.Ref()+"@"+s.Team)
	}
	return h.Repo.Path + " " + h.Dependency.Version + " [" + strings.Join(svcs, " ") + "]"
}

// TestImpactHitsWithServices: the queries of /impact find the live repos
// only (a deleted repo's dependencies, versions and ecosystems are left
// out by each alike), each hit with every service of its repo, by name,
// with its team.
func TestImpactHitsWithServices(t *testing.T) {
	s := impactCatalog(t)
	ctx := context.Background()
	want := []string{"acme/a 2.14.1 [alpha-worker@payments zeta-api@payments]", "acme/b 2.17.1 []"}

	versions, err := s.VersionsInUse(ctx, []catalog.PackageKey{
		{Ecosystem: "maven", NameKey: log4jCore}, {Ecosystem: "gradle", NameKey: log4jCore}, {Ecosystem: "npm", NameKey: "log4j-core"}})
	if err != nil {
		t.Fatal(err)
	}
	wantVersions := []catalog.PackageVersion{{Ecosystem: "gradle", NameKey: log4jCore, Version: "2.17.1"}, {Ecosystem: "maven", NameKey: log4jCore, Version: "2.14.1"}}
	if !slices.Equal(versions, wantVersions) {
		t.Errorf("VersionsInUse: got %+v, want %+v", versions, wantVersions)
	}

	tests := []struct {
		name string
		hits func() ([]catalog.ImpactHit, error)
	}{
		{"DependentRepos by artifact", func() ([]catalog.ImpactHit, error) { return s.DependentRepos(ctx, "log4j-core") }},
		{"DependentRepos by full name", func() ([]catalog.ImpactHit, error) {
			return s.DependentRepos(ctx, " ORG.apache.logging.log4j:LOG4J-core ")
		}},
		{"ReposUsing", func() ([]catalog.ImpactHit, error) {
			return s.ReposUsing(ctx, append(slices.Clone(wantVersions),
				catalog.PackageVersion{Ecosystem: "maven", NameKey: log4jCore, Version: "2.0-beta9"},
				catalog.PackageVersion{Ecosystem: "npm", NameKey: "log4j-core", Version: "1.0.0"}))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits, err := tt.hits()
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, h := range hits {
				got = append(got, hitLine(h))
			}
			if !slices.Equal(got, want) {
				t.Fatalf("got %q, want %q", got, want)
			}
			b := hits[1]
			if b.Dependency.Direct || !slices.Equal(b.Dependency.Via, []string{"org.springframework.boot:spring-boot-starter-log4j2@2.6.1"}) ||
				b.From.Path != "gradle.lockfile" || b.From.Graph != catalog.GraphPaths || b.Dependency.Line != 3 || b.Repo.WebURL != "https://gitlab/acme/b" {
				t.Errorf("transitive hit: got %+v", b)
			}
			if a := hits[0]; !a.Dependency.Direct || a.Dependency.Via != nil || a.From.Graph != catalog.GraphDeclared || a.Services[0].ID == 0 {
				t.Errorf("direct hit: got %+v", a)
			}
		})
	}

	ecos, err := s.EcosystemsOf(ctx, "log4j-core")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ecos, []string{"gradle", "maven"}) {
		t.Errorf("EcosystemsOf: got %q, want gradle and maven (npm only in a deleted repo)", ecos)
	}
	if ecos, err := s.EcosystemsOf(ctx, "no-such-package"); err != nil || len(ecos) != 0 {
		t.Errorf("EcosystemsOf(no-such-package): got %q, %v", ecos, err)
	}
}

// TestGraphGapsServices: a repo listed for its incomplete graph carries its
// services as hits do; a deleted repo is neither counted nor listed.
func TestGraphGapsServices(t *testing.T) {
	s := impactCatalog(t)
	tests := []struct {
		ecosystems []string
		repos      int
		list       []string
	}{
		{nil, 1, []string{"acme/a 2 services: alpha-worker@payments zeta-api@payments"}},
		{[]string{"maven", "gradle"}, 1, []string{"acme/a 2 services: alpha-worker@payments zeta-api@payments"}},
		{[]string{"npm"}, 0, nil},
	}
	for _, tt := range tests {
		g, err := s.GraphGaps(context.Background(), tt.ecosystems, 10)
		if err != nil {
			t.Fatal(err)
		}
		var list []string
		for _, r := range g.List {
			var svcs []string
			for _, s := range r.Services {
				svcs = append(svcs, s.Ref()+"@"+s.Team)
			}
			list = append(list, r.Repo.Path+" "+string(rune('0'+len(r.Services)))+" services: "+strings.Join(svcs, " "))
		}
		if g.Repos != tt.repos || g.DeclaredOnly != tt.repos || !slices.Equal(list, tt.list) {
			t.Errorf("%v: got %d repos (%d declared only) %q, want %d %q", tt.ecosystems, g.Repos, g.DeclaredOnly, list, tt.repos, tt.list)
		}
	}
}

// TestHitDecoder: hit rows read from their raw values (text interned, a
// repo's columns read once for its rows, chains from the binary array
// format) are what pgx's Scan reads, field for field.
func TestHitDecoder(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	for i, deps := range [][]catalog.Dependency{
		{
			{Ecosystem: "maven", Name: log4jCore, Version: "2.14.1", File: "pom.xml", Line: 12, Direct: true, Scope: "test"},
			{Ecosystem: "maven", Name: log4jCore, Version: "2.14.1", File: "pom.xml", Line: 30, Source: "api/gradle.lockfile",
				Via: []string{"org.springframework.boot:spring-boot-starter-log4j2@2.6.1", "org.apache.logging.log4j:log4j-slf4j-impl@2.14.1", ""}},
		},
		{{Ecosystem: "gradle", Name: log4jCore, Version: "", File: "build.gradle", Via: []string{"é@1"}}},
		{{Ecosystem: "maven", Name: log4jCore, Version: "2.17.0", File: "pom.xml", VersionFrom: "org.apache.logging.log4j:log4j-bom:2.17.0"}},
		{{Ecosystem: "maven", Name: log4jCore, Version: "${log4j.version}", File: "pom.xml"}},
	} {
		snap := snapshot(int64(i+1), fmt.Sprintf("acme/r%d", i), catalog.DescriptorMissing)
		snap.Dependencies = deps
		snap.DependencySources = []catalog.DependencyFile{{Path: "pom.xml", Graph: catalog.GraphDeclared, Note: "a note"},
			{Path: "api/gradle.lockfile", Graph: catalog.GraphPaths, Manifest: "api/build.gradle"}}
		mustApply(t, s, snap)
	}
	raw, scanned, fast, err := s.DecodeHitsBothWays(ctx, "log4j-core")
	if err != nil {
		t.Fatal(err)
	}
	if !fast {
		t.Error("the raw decoding was not used")
	}
	if len(raw) != 5 || !reflect.DeepEqual(raw, scanned) {
		t.Fatalf("raw decoding:\n%+v\nScan:\n%+v", raw, scanned)
	}
	if got := raw[3].Dependency.VersionFrom; got != "org.apache.logging.log4j:log4j-bom:2.17.0" {
		t.Errorf("VersionFrom: got %q", got)
	}
}

// TestGraphGapsReasons: GraphGaps counts each repo once in Repos and once
// under each reason it has (a repo with a declared-only file and a file
// not read counts under both), and lists repos with files not read or not
// parsed first, then by path.
func TestGraphGapsReasons(t *testing.T) {
	s := newStore(t)
	dep := func(file string) catalog.Dependency {
		return catalog.Dependency{Ecosystem: "npm", Name: "left-pad", Version: "1.0.0", File: file, Direct: true}
	}
	for i, r := range []struct {
		path  string
		deps  []catalog.Dependency
		files []catalog.DependencyFile
	}{
		{"acme/a-declared", []catalog.Dependency{dep("package.json")}, []catalog.DependencyFile{{Path: "package.json", Graph: catalog.GraphDeclared}}},
		{"acme/b-flat", []catalog.Dependency{dep("yarn.lock")}, []catalog.DependencyFile{{Path: "yarn.lock", Graph: catalog.GraphFlat}}},
		{"acme/c-noted", []catalog.Dependency{dep("package-lock.json")}, []catalog.DependencyFile{{Path: "package-lock.json", Graph: catalog.GraphPaths, Note: "workspaces not read"}}},
		{"acme/d-unparsable", nil, []catalog.DependencyFile{{Path: "pnpm-lock.yaml", Problem: catalog.FileUnparsable, Error: "pnpm-lock.yaml:1:1: bad"}}},
		{"acme/e-both", []catalog.Dependency{dep("package.json")}, []catalog.DependencyFile{{Path: "package.json", Graph: catalog.GraphDeclared},
			{Path: "api/package.json", Problem: catalog.FileNotFound, Error: "404"}}},
		{"acme/f-complete", []catalog.Dependency{dep("package-lock.json")}, []catalog.DependencyFile{{Path: "package-lock.json", Graph: catalog.GraphPaths}}},
	} {
		snap := snapshot(int64(i+1), r.path, catalog.DescriptorMissing)
		snap.Dependencies, snap.DependencySources = r.deps, r.files
		mustApply(t, s, snap)
	}
	tests := []struct {
		ecosystems                                   []string
		limit                                        int
		repos, unread, unparsable, declared, flat, n int
		list                                         []string
	}{
		{nil, 10, 5, 1, 1, 2, 1, 1, []string{"acme/d-unparsable", "acme/e-both", "acme/a-declared", "acme/b-flat", "acme/c-noted"}},
		{[]string{"npm"}, 2, 5, 1, 1, 2, 1, 1, []string{"acme/d-unparsable", "acme/e-both"}},
		{[]string{"maven"}, 10, 2, 1, 1, 0, 0, 0, []string{"acme/d-unparsable", "acme/e-both"}},
		{nil, 0, 5, 1, 1, 2, 1, 1, nil},
	}
	for _, tt := range tests {
		g, err := s.GraphGaps(context.Background(), tt.ecosystems, tt.limit)
		if err != nil {
			t.Fatal(err)
		}
		var list []string
		for _, r := range g.List {
			list = append(list, r.Repo.Path)
		}
		got := []int{g.Repos, g.Unread, g.Unparsable, g.DeclaredOnly, g.Flat, g.Noted}
		want := []int{tt.repos, tt.unread, tt.unparsable, tt.declared, tt.flat, tt.n}
		if !slices.Equal(got, want) || !slices.Equal(list, tt.list) {
			t.Errorf("%v limit %d: got counts %v %q, want %v %q", tt.ecosystems, tt.limit, got, list, want, tt.list)
		}
	}
}
