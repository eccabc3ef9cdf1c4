package advisories_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/advisories"
	"github.com/switchboard-dev/switchboard/depfile"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
)

// mustTestdata parses every record in testdata.
func mustTestdata(t testing.TB) []*advisories.Record {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var recs []*advisories.Record
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		r, err := advisories.Parse(b)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		recs = append(recs, r)
	}
	return recs
}

// mustLoadedStore returns a store holding every record in testdata.
func mustLoadedStore(t *testing.T) *advisories.Store {
	t.Helper()
	s := advisories.NewStore(pgtest.New(t))
	if _, err := s.Put(context.Background(), mustTestdata(t)); err != nil {
		t.Fatal(err)
	}
	return s
}

func count(out []advisories.Outcome, o advisories.Outcome) int {
	n := 0
	for _, x := range out {
		if x == o {
			n++
		}
	}
	return n
}

func TestStorePutIdempotent(t *testing.T) {
	ctx := context.Background()
	s := advisories.NewStore(pgtest.New(t))
	recs := mustTestdata(t)
	out, err := s.Put(ctx, recs)
	if err != nil {
		t.Fatal(err)
	}
	if got := count(out, advisories.Inserted); got != len(recs) {
		t.Errorf("first load: got %d inserted, want %d", got, len(recs))
	}
	out, err = s.Put(ctx, recs)
	if err != nil {
		t.Fatal(err)
	}
	if got := count(out, advisories.Skipped); got != len(recs) {
		t.Errorf("second load: got %d skipped, want %d", got, len(recs))
	}

	// A newer revision replaces the record, its aliases and its packages;
	// an older one changes nothing.
	newer := mustRecord(t, log4shell)
	newer.Modified = newer.Modified.Add(time.Hour)
	newer.Summary = "newer"
	newer.Aliases = []string{"CVE-2099-0001"}
	newer.Packages = newer.Packages[:1]
	older := mustRecord(t, log4shell)
	older.Modified = older.Modified.Add(-time.Hour)
	older.Summary = "older"
	tests := []struct {
		name    string
		rec     *advisories.Record
		want    advisories.Outcome
		summary string
	}{
		{"newer", newer, advisories.Updated, "newer"},
		{"same again", newer, advisories.Skipped, "newer"},
		{"older", older, advisories.Skipped, "newer"},
	}
	for _, tt := range tests {
		out, err := s.Put(ctx, []*advisories.Record{tt.rec})
		if err != nil {
			t.Fatal(err)
		}
		if out[0] != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, out[0], tt.want)
		}
		got, err := s.Lookup(ctx, log4shell)
		if err != nil {
			t.Fatal(err)
		}
		if got[0].Summary != tt.summary {
			t.Errorf("%s: got summary %q, want %q", tt.name, got[0].Summary, tt.summary)
		}
	}
	if _, err := s.Lookup(ctx, "CVE-2021-44228"); !errors.Is(err, advisories.ErrNotFound) {
		t.Errorf("the replaced record's old alias: got %v, want ErrNotFound", err)
	}
	if got, err := s.Lookup(ctx, "cve-2099-0001"); err != nil || got[0].ID != log4shell {
		t.Errorf("the new alias: got %v, %v, want %s", got, err, log4shell)
	}
	pkgs, err := s.Packages(ctx, log4shell)
	if err != nil || len(pkgs) != 1 {
		t.Errorf("packages of the replaced record: got %d (%v), want 1", len(pkgs), err)
	}
}

func TestStoreLookup(t *testing.T) {
	s := mustLoadedStore(t)
	tests := []struct {
		id   string
		want []string
	}{
		{"CVE-2021-44228", []string{log4shell}},
		{"cve-2021-44228", []string{log4shell}},
		{" CVE-2021-44228 ", []string{log4shell}},
		{"ghsa-jfh8-c2jp-5v3q", []string{log4shell}},
		{"GHSA-7rjr-3q55-vv33", []string{cve45046}},
		{"CVE-2023-44487", []string{"GHSA-qppj-fm5r-hxr3"}},
		{"CVE-2000-0001", nil},
		{"log4j-core", nil},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			recs, err := s.Lookup(context.Background(), tt.id)
			if tt.want == nil {
				if !errors.Is(err, advisories.ErrNotFound) {
					t.Fatalf("got %v, want ErrNotFound", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range recs {
				got = append(got, r.ID)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestStorePackages(t *testing.T) {
	ctx := context.Background()
	s := mustLoadedStore(t)
	pkgs, err := s.Packages(ctx, "cve-2021-44228")
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) != 3 {
		t.Fatalf("got %d packages, want 3 (log4j-core's three ranges)", len(pkgs))
	}
	tests := []struct {
		version  string
		affected bool
		fixed    string
	}{
		{"2.14.1", true, "2.15.0"},
		{"2.12.1", true, "2.12.2"},
		{"2.15.0", false, ""},
	}
	for _, tt := range tests {
		affected, fixed := false, ""
		for _, p := range pkgs {
			if p.AdvisoryID != log4shell || p.Ecosystem != depfile.Maven || p.Package.Name != log4jCore {
				t.Fatalf("got %+v, want %s's log4j-core", p, log4shell)
			}
			a, f, err := p.Contains(tt.version)
			if err != nil {
				t.Fatal(err)
			}
			if a {
				affected, fixed = true, f
			}
		}
		if affected != tt.affected || fixed != tt.fixed {
			t.Errorf("%s: got (%v, %q), want (%v, %q)", tt.version, affected, fixed, tt.affected, tt.fixed)
		}
	}

	// Explicit versions and last_affected survive the store.
	pkgs, err = s.Packages(ctx, "CVE-2019-17571")
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) != 2 || !slices.Equal(pkgs[1].Versions, []string{"2.0"}) || pkgs[0].Ranges[0].Events[1].LastAffected != "1.2.17" {
		t.Errorf("got %+v, want log4j:log4j last_affected 1.2.17 and versions [2.0]", pkgs)
	}
	if _, err := s.Packages(ctx, "CVE-2000-0001"); !errors.Is(err, advisories.ErrNotFound) {
		t.Errorf("unknown id: got %v, want ErrNotFound", err)
	}
}

func TestStoreForPackage(t *testing.T) {
	s := mustLoadedStore(t)
	tests := []struct {
		eco, name string
		want      []string
	}{
		{depfile.Maven, log4jCore, []string{cve45046, cve44832, log4shell, cve45105}},
		{depfile.Gradle, log4jCore, []string{cve45046, cve44832, log4shell, cve45105}},
		{"Maven", "log4j:log4j", []string{log4j1}},
		{depfile.PyPI, "pyyaml", []string{"GHSA-8q59-q68h-6hv4"}},
		{depfile.PyPI, "PyYAML", []string{"GHSA-8q59-q68h-6hv4"}},
		{depfile.Go, "golang.org/x/net", []string{"GHSA-qppj-fm5r-hxr3"}},
		{depfile.Cargo, "regex", []string{"GHSA-m5pq-gvj9-9vr8"}},
		{depfile.NPM, "left-pad", nil},
	}
	for _, tt := range tests {
		t.Run(tt.eco+"/"+tt.name, func(t *testing.T) {
			recs, err := s.ForPackage(context.Background(), tt.eco, tt.name)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range recs {
				got = append(got, r.ID)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	ctx := context.Background()
	s := mustLoadedStore(t)
	// Two records for one package under one id: the first fixed version
	// is the one that fixes both.
	both := mustRecord(t, cve45046)
	both.Aliases = append(both.Aliases, "CVE-2021-44228")
	both.ID = "TEST-2021-0001"
	if _, err := s.Put(ctx, []*advisories.Record{both}); err != nil {
		t.Fatal(err)
	}
	pkgs, err := s.Packages(ctx, "CVE-2021-44228")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		eco, name, version string
		want               advisories.Verdict
	}{
		{depfile.Maven, log4jCore, "2.14.1", advisories.Verdict{Affected: true, FirstFixed: "2.16.0", Advisories: []string{log4shell, "TEST-2021-0001"}}},
		{depfile.Gradle, log4jCore, "2.15.0", advisories.Verdict{Affected: true, FirstFixed: "2.16.0", Advisories: []string{"TEST-2021-0001"}}},
		{depfile.Maven, log4jCore, "2.12.1", advisories.Verdict{Affected: true, FirstFixed: "2.12.2", Advisories: []string{log4shell, "TEST-2021-0001"}}},
		{depfile.Maven, log4jCore, "2.16.0", advisories.Verdict{}},
		{depfile.Maven, "org.apache.logging.log4j:log4j-api", "2.14.1", advisories.Verdict{}},
	}
	for _, tt := range tests {
		t.Run(tt.eco+"/"+tt.version, func(t *testing.T) {
			got, err := advisories.Check(pkgs, tt.eco, tt.name, tt.version)
			if err != nil {
				t.Fatal(err)
			}
			if got.Affected != tt.want.Affected || got.FirstFixed != tt.want.FirstFixed || !slices.Equal(got.Advisories, tt.want.Advisories) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
	var verr *advisories.VersionError
	if _, err := advisories.Check(pkgs, depfile.Maven, log4jCore, "${log4j.version}"); !errors.As(err, &verr) {
		t.Errorf("unresolved property: got %v, want a *VersionError", err)
	}
	if got := advisories.DependencyEcosystems(pkgs[0].Ecosystem); !slices.Equal(got, []string{depfile.Maven, depfile.Gradle}) {
		t.Errorf("DependencyEcosystems(maven): got %v, want [maven gradle]", got)
	}
}
