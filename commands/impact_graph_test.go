package commands_test

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-dev/switchboard/advisories"
	"github.com/switchboard-dev/switchboard/advisories/fakeosv"
	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
	"github.com/switchboard-dev/switchboard/manifest"
)

// advisoryFinder is the advisories store as /impact sees it (the router
// wires the same over advisories.Finder).
type advisoryFinder struct{ f *advisories.Finder }

func (a advisoryFinder) Find(ctx context.Context, id string) ([]*advisories.Record, error) {
	return a.f.Find(ctx, id)
}

func (a advisoryFinder) Packages(ctx context.Context, id string) ([]advisories.Affects, error) {
	return a.f.Store.Packages(ctx, id)
}

const log4jCore = "org.apache.logging.log4j:log4j-core"

// TestImpactGraphs: /impact by package and by advisory id over repos whose
// log4j-core is direct, transitive (with its chain), of a version that
// cannot be compared, or hidden behind graphs that are incomplete.
func TestImpactGraphs(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	s := catalog.NewStore(pool, nil)
	store := advisories.NewStore(pool)
	var recs []*advisories.Record
	for _, f := range []string{"GHSA-jfh8-c2jp-5v3q.json", "GHSA-8489-44mv-ggj8.json", "GHSA-p6mc-m468-83gw.json"} {
		raw, err := os.ReadFile(filepath.Join("..", "advisories", "testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		r, err := advisories.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}
	if _, err := store.Put(ctx, recs); err != nil {
		t.Fatal(err)
	}

	type repoSpec struct {
		id              int64
		path, svc, team string
		deps            []catalog.Dependency
		files           []catalog.DependencyFile
	}
	for _, r := range []repoSpec{
		{1, "acme/payments/gateway", "payment-gateway", "payments",
			[]catalog.Dependency{{Ecosystem: "maven", Name: log4jCore, Version: "2.14.1", File: "pom.xml", Line: 42, Direct: true}},
			[]catalog.DependencyFile{{Path: "pom.xml", Graph: catalog.GraphDeclared}}},
		{2, "acme/search/indexer", "search-indexer", "search",
			[]catalog.Dependency{
				{Ecosystem: "gradle", Name: "org.springframework.boot:spring-boot-starter-log4j2", Version: "2.6.1", File: "build.gradle", Line: 12, Source: "gradle.lockfile", Direct: true},
				{Ecosystem: "gradle", Name: log4jCore, Version: "2.14.1", File: "gradle.lockfile", Line: 30, Source: "gradle.lockfile",
					Via: []string{"org.springframework.boot:spring-boot-starter-log4j2@2.6.1"}},
			},
			[]catalog.DependencyFile{{Path: "gradle.lockfile", Graph: catalog.GraphPaths, Manifest: "build.gradle"}}},
		{3, "acme/search/api", "search-api", "search",
			[]catalog.Dependency{{Ecosystem: "maven", Name: log4jCore, Version: "2.17.1", File: "pom.xml", Line: 9, Direct: true}},
			[]catalog.DependencyFile{{Path: "pom.xml", Graph: catalog.GraphDeclared}}},
		{4, "acme/data/etl", "", "",
			[]catalog.Dependency{{Ecosystem: "maven", Name: log4jCore, Version: "${log4j.version}", File: "pom.xml", Line: 20, Direct: true}},
			[]catalog.DependencyFile{{Path: "pom.xml", Graph: catalog.GraphDeclared}}},
		{5, "acme/web/shop", "shop", "web",
			[]catalog.Dependency{{Ecosystem: "npm", Name: "lodash", Version: "4.17.15", File: "package-lock.json", Line: 88, Source: "package-lock.json",
				Via: []string{"@acme/ui@1.0.0", "async@2.6.3"}}},
			[]catalog.DependencyFile{{Path: "package-lock.json", Graph: catalog.GraphPaths, Manifest: "package.json"}}},
		{6, "acme/billing/invoices", "invoices", "billing", nil,
			[]catalog.DependencyFile{{Path: "pom.xml", Problem: catalog.FileNotFound, Error: "404 Not Found"}}},
	} {
		snap := catalog.RepoSnapshot{
			Repo:             catalog.Repo{GitLabID: r.id, Path: r.path, WebURL: "https://gitlab/" + r.path},
			DescriptorStatus: catalog.DescriptorMissing, Dependencies: r.deps, DependencySources: r.files,
		}
		if r.svc != "" {
			snap.DescriptorStatus = catalog.DescriptorOK
			snap.Entities = []manifest.Entity{{Kind: manifest.KindComponent, Name: r.svc, Namespace: "default", Owner: "group:" + r.team}}
		}
		if _, err := s.ApplyRepo(ctx, snap); err != nil {
			t.Fatal(err)
		}
	}

	online := commands.NewRouter(nil, 0)
	online.Register(commands.ImpactCommand(commands.ImpactConfig{Index: s, Advisories: advisoryFinder{&advisories.Finder{Store: store}}}))
	bare := commands.NewRouter(nil, 0)
	bare.Register(commands.Impact(s))
	tests := []struct {
		router  *commands.Router
		text    string
		want    []string
		notWant []string
	}{
		{online, "log4j-core <2.17.1", []string{
			"log4j-core <2.17.1: 2 repos, 2 services, 2 teams — 1 transitive",
			"Team payments: 1 repos, 1 services, 0 transitive",
			"payment-gateway — acme/payments/gateway 2.14.1 in pom.xml:42 (direct)",
			"Team search: 1 repos, 1 services, 1 transitive",
			"search-indexer — acme/search/indexer 2.14.1 in gradle.lockfile:30 (via spring-boot-starter-log4j2 2.6.1 at build.gradle:12)",
			"Version not known from the file (1)", "acme/data/etl",
			"Dependency graphs incomplete in 4 repos (1 with files not read, 3 with declared dependencies only (no lockfile))",
			"acme/billing/invoices: pom.xml not read (not found at the commit read)",
		}, []string{"search-api — acme/search/api 2.17.1"}},
		{online, "CVE-2021-44228", []string{
			"GHSA-jfh8-c2jp-5v3q (CVE-2021-44228)",
			"org.apache.logging.log4j:log4j-core (Maven) >=2.13.0 <2.15.0, <2.3.1, >=2.4 <2.12.2",
			"CVE-2021-44228: 2 repos, 2 services, 2 teams — 1 transitive",
			"payment-gateway — acme/payments/gateway 2.14.1 in pom.xml:42 (direct) — fixed in 2.15.0",
			"search-indexer — acme/search/indexer 2.14.1 in gradle.lockfile:30 (via spring-boot-starter-log4j2 2.6.1 at build.gradle:12) — fixed in 2.15.0",
			"Version cannot be compared with the advisory's ranges (1)", "acme/data/etl ${log4j.version} in pom.xml:20 (direct) (an unresolved property)",
			"Dependency graphs incomplete in 4 repos", "acme/billing/invoices: pom.xml not read",
			// Declared only, and not affected: it may pull an older one in.
			"search-api — acme/search/api: pom.xml declares direct dependencies only",
		}, []string{"search-api — acme/search/api 2.17.1", "shop"}},
		{online, "cve-2021-44832", []string{"CVE-2021-44832: 2 repos", "fixed in 2.17.1"}, []string{"search-api — acme/search/api 2.17.1"}},
		{online, "ghsa-p6mc-m468-83gw", []string{
			"GHSA-p6mc-m468-83gw: 1 repos, 1 services, 1 teams — 1 transitive",
			"shop — acme/web/shop 4.17.15 in package-lock.json:88 (via @acme/ui 1.0.0 → async 2.6.3) — fixed in 4.17.20",
		}, []string{"payment-gateway"}},
		{online, "CVE-2099-0001", []string{"No advisory CVE-2099-0001 found in the advisory database (the OSV API is not asked here"}, nil},
		{bare, "CVE-2021-44228", []string{"Advisories are not set up here"}, nil},
		{online, "file:pom.xml", []string{"file pom.xml: no repo found"}, []string{"transitive", "incomplete"}},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			resp, err := tt.router.Dispatch(ctx, commands.Request{Command: "/impact", Text: tt.text})
			if err != nil {
				t.Fatal(err)
			}
			got := flatten(resp)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("lacks %q:\n%s", w, got)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(got, w) {
					t.Errorf("has %q:\n%s", w, got)
				}
			}
		})
	}
}

func TestIsAdvisoryID(t *testing.T) {
	tests := []struct {
		s    string
		want bool
	}{
		{"CVE-2021-44228", true}, {"cve-2021-44228", true}, {"GHSA-jfh8-c2jp-5v3q", true}, {"GO-2022-0969", true},
		{"PYSEC-2021-19", true}, {"RUSTSEC-2022-0013", true}, {"log4j-core", false}, {"CVE-2021", false},
		{"GHSA-jfh8", false}, {"org.apache:cve-2021-44228", false},
	}
	for _, tt := range tests {
		if got := commands.IsAdvisoryID(tt.s); got != tt.want {
			t.Errorf("%q: got %v, want %v", tt.s, got, tt.want)
		}
	}
}

// TestImpactAdvisoryFromAPI: an id the store lacks is asked of the OSV
// API (then kept); an id neither knows says so; an API that cannot be
// reached is said, not taken for "no such advisory".
func TestImpactAdvisoryFromAPI(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	s := catalog.NewStore(pool, nil)
	snap := catalog.RepoSnapshot{
		Repo:             catalog.Repo{GitLabID: 1, Path: "acme/web/shop", WebURL: "https://gitlab/acme/web/shop"},
		DescriptorStatus: catalog.DescriptorMissing,
		Dependencies: []catalog.Dependency{{Ecosystem: "npm", Name: "minimist", Version: "1.2.5", File: "package-lock.json", Line: 9,
			Source: "package-lock.json", Via: []string{"mkdirp@0.5.5"}}},
		DependencySources: []catalog.DependencyFile{{Path: "package-lock.json", Graph: catalog.GraphPaths}},
	}
	if _, err := s.ApplyRepo(ctx, snap); err != nil {
		t.Fatal(err)
	}
	fake, err := fakeosv.FromDir(filepath.Join("..", "advisories", "testdata"))
	if err != nil {
		t.Fatal(err)
	}
	up := httptest.NewServer(fake)
	defer up.Close()
	down := httptest.NewServer(fake)
	down.Close()
	router := func(apiURL string) *commands.Router {
		api, err := advisories.NewClient(apiURL, nil)
		if err != nil {
			t.Fatal(err)
		}
		r := commands.NewRouter(nil, 0)
		r.Register(commands.ImpactCommand(commands.ImpactConfig{Index: s, Online: true,
			Advisories: advisoryFinder{&advisories.Finder{Store: advisories.NewStore(pool), API: api}}}))
		return r
	}
	tests := []struct {
		router *commands.Router
		text   string
		want   string
	}{
		{router(down.URL), "CVE-2021-44906", "No advisory CVE-2021-44906 in the advisory database, and the OSV API could not be asked"},
		{router(up.URL), "CVE-2021-44906", "acme/web/shop 1.2.5 in package-lock.json:9 (via mkdirp 0.5.5) — fixed in 1.2.6"},
		{router(down.URL), "CVE-2021-44906", "acme/web/shop 1.2.5"}, // kept in the store
		{router(up.URL), "CVE-2099-0001", "No advisory CVE-2099-0001 found in the advisory database, nor at the OSV API"},
	}
	for _, tt := range tests {
		resp, err := tt.router.Dispatch(ctx, commands.Request{Command: "/impact", Text: tt.text})
		if err != nil {
			t.Fatal(err)
		}
		if got := flatten(resp); !strings.Contains(got, tt.want) {
			t.Errorf("%s: lacks %q:\n%s", tt.text, tt.want, got)
		}
	}
}
