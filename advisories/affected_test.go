package advisories_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/switchboard-dev/switchboard/advisories"
	"github.com/switchboard-dev/switchboard/depfile"
)

// mustRecord parses testdata/<id>.json.
func mustRecord(t testing.TB, id string) *advisories.Record {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", id+".json"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := advisories.Parse(b)
	if err != nil {
		t.Fatalf("parse %s: %v", id, err)
	}
	return r
}

const (
	log4shell = "GHSA-jfh8-c2jp-5v3q" // CVE-2021-44228
	cve45046  = "GHSA-7rjr-3q55-vv33"
	cve45105  = "GHSA-p6xc-xr62-6r2g"
	cve44832  = "GHSA-8489-44mv-ggj8"
	log4j1    = "GHSA-2qrg-x229-3v8q" // CVE-2019-17571, last_affected and versions
	log4jCore = "org.apache.logging.log4j:log4j-core"
)

func TestAffected(t *testing.T) {
	tests := []struct {
		record, eco, name, version string
		affected                   bool
		fixed                      string
	}{
		// Log4Shell and its follow-ups, each version against each record.
		{log4shell, depfile.Maven, log4jCore, "2.14.1", true, "2.15.0"},
		{log4shell, depfile.Maven, log4jCore, "2.15.0", false, ""},
		{log4shell, depfile.Maven, log4jCore, "2.0-beta9", true, "2.3.1"},
		{log4shell, depfile.Maven, log4jCore, "2.3.1", false, ""},
		{log4shell, depfile.Maven, log4jCore, "2.12.1", true, "2.12.2"},
		{log4shell, depfile.Maven, log4jCore, "2.12.2", false, ""},
		{log4shell, depfile.Maven, log4jCore, "2.13.0", true, "2.15.0"},
		{log4shell, depfile.Gradle, log4jCore, "2.14.1", true, "2.15.0"},
		{log4shell, "Maven", log4jCore, "2.14.1", true, "2.15.0"},
		{log4shell, depfile.Maven, "ORG.apache.logging.log4j:log4j-core", "2.14.1", true, "2.15.0"},
		{log4shell, depfile.Maven, "org.apache.logging.log4j:log4j-api", "2.14.1", false, ""},
		{log4shell, depfile.NPM, log4jCore, "2.14.1", false, ""},
		{cve45046, depfile.Maven, log4jCore, "2.15.0", true, "2.16.0"},
		{cve45046, depfile.Maven, log4jCore, "2.16.0", false, ""},
		{cve45105, depfile.Maven, log4jCore, "2.16.0", true, "2.17.0"},
		{cve45105, depfile.Maven, log4jCore, "2.17.0", false, ""},
		{cve44832, depfile.Maven, log4jCore, "2.17.0", true, "2.17.1"},
		{cve44832, depfile.Maven, log4jCore, "2.0-beta7", true, "2.3.2"},
		{cve44832, depfile.Maven, log4jCore, "2.0-beta6", false, ""},
		{cve44832, depfile.Maven, log4jCore, "2.17.1", false, ""},
		{log4shell, depfile.Maven, log4jCore, "2.17.1", false, ""},
		{cve45046, depfile.Maven, log4jCore, "2.17.1", false, ""},
		{cve45105, depfile.Maven, log4jCore, "2.17.1", false, ""},
		// Maven's ordering: 2.15.0-rc1 is before 2.15.0, .RELEASE is 2.17.1.
		{log4shell, depfile.Maven, log4jCore, "2.15.0-rc1", true, "2.15.0"},
		{cve44832, depfile.Maven, log4jCore, "2.17.1.RELEASE", false, ""},
		// last_affected is affected itself, the next version is not; an
		// explicit versions list without ranges.
		{log4j1, depfile.Maven, "log4j:log4j", "1.2.17", true, ""},
		{log4j1, depfile.Maven, "log4j:log4j", "1.2.9", true, ""},
		{log4j1, depfile.Maven, "log4j:log4j", "1.1.3", false, ""},
		{log4j1, depfile.Maven, "log4j:log4j", "1.2.18", false, ""},
		{log4j1, depfile.Maven, "org.zenframework.z8.dependencies.commons:log4j-1.2.17", "2.0", true, ""},
		{log4j1, depfile.Maven, "org.zenframework.z8.dependencies.commons:log4j-1.2.17", "2.0.0", true, ""},
		{log4j1, depfile.Maven, "org.zenframework.z8.dependencies.commons:log4j-1.2.17", "2.1", false, ""},
		// Spring4Shell: .RELEASE qualifiers.
		{"GHSA-36p3-wjmg-h94x", depfile.Maven, "org.springframework:spring-beans", "5.2.19.RELEASE", true, "5.2.20.RELEASE"},
		{"GHSA-36p3-wjmg-h94x", depfile.Maven, "org.springframework:spring-beans", "5.2.20.RELEASE", false, ""},
		{"GHSA-36p3-wjmg-h94x", depfile.Maven, "org.springframework:spring-beans", "5.3.17", true, "5.3.18"},
		{"GHSA-36p3-wjmg-h94x", depfile.Maven, "org.springframework.boot:spring-boot-starter-web", "2.6.5", true, "2.6.6"},
		// npm: SemVer, prereleases before their release.
		{"GHSA-p6mc-m468-83gw", depfile.NPM, "lodash", "4.17.19", true, "4.17.20"},
		{"GHSA-p6mc-m468-83gw", depfile.NPM, "lodash", "4.17.20", false, ""},
		{"GHSA-p6mc-m468-83gw", depfile.NPM, "lodash", "4.17.21", false, ""},
		{"GHSA-p6mc-m468-83gw", depfile.NPM, "lodash-es", "4.17.20-beta.1", true, "4.17.20"},
		{"GHSA-xvch-5gv4-984h", depfile.NPM, "minimist", "0.2.3", true, "0.2.4"},
		{"GHSA-xvch-5gv4-984h", depfile.NPM, "minimist", "0.2.4", false, ""},
		{"GHSA-xvch-5gv4-984h", depfile.NPM, "minimist", "1.2.5", true, "1.2.6"},
		{"GHSA-xvch-5gv4-984h", depfile.NPM, "minimist", "1.2.6", false, ""},
		// PyPI: PEP 440, names as PEP 503 normalises them.
		{"GHSA-8q59-q68h-6hv4", depfile.PyPI, "PyYAML", "5.3.1", true, "5.4"},
		{"GHSA-8q59-q68h-6hv4", depfile.PyPI, "pyyaml", "5.4b1", true, "5.4"},
		{"GHSA-8q59-q68h-6hv4", depfile.PyPI, "py_yaml", "5.4.0", false, ""},
		{"GHSA-8q59-q68h-6hv4", depfile.PyPI, "PyYAML", "5.4", false, ""},
		{"GHSA-8q59-q68h-6hv4", depfile.PyPI, "PyYAML", "6.0.1", false, ""},
		{"GHSA-j8r2-6x86-q33q", depfile.PyPI, "requests", "2.2.1", false, ""},
		{"GHSA-j8r2-6x86-q33q", depfile.PyPI, "requests", "2.30.0", true, "2.31.0"},
		{"GHSA-j8r2-6x86-q33q", depfile.PyPI, "requests", "2.31.0", false, ""},
		{"GHSA-j8r2-6x86-q33q", depfile.PyPI, "requests", "2.31.0.post1", false, ""},
		{"GHSA-j8r2-6x86-q33q", depfile.PyPI, "requests", "2.31.0rc1", true, "2.31.0"},
		// Go: versions with "v" against OSV's without; pseudo-versions.
		{"GHSA-qppj-fm5r-hxr3", depfile.Go, "golang.org/x/net", "v0.16.0", true, "0.17.0"},
		{"GHSA-qppj-fm5r-hxr3", depfile.Go, "golang.org/x/net", "v0.17.0", false, ""},
		{"GHSA-qppj-fm5r-hxr3", depfile.Go, "golang.org/x/net", "v0.0.0-20231010170000-abcdef123456", true, "0.17.0"},
		{"GHSA-qppj-fm5r-hxr3", depfile.Go, "google.golang.org/grpc", "v1.57.0", true, "1.57.1"},
		{"GHSA-qppj-fm5r-hxr3", depfile.Go, "google.golang.org/grpc", "v1.57.1", false, ""},
		{"GHSA-qppj-fm5r-hxr3", depfile.Go, "google.golang.org/grpc", "v1.58.2", true, "1.58.3"},
		{"GHSA-qppj-fm5r-hxr3", depfile.Go, "google.golang.org/grpc", "v1.59.0", false, ""},
		// RubyGems: prereleases with letters.
		{"GHSA-crjr-9rc5-ghw8", depfile.RubyGems, "nokogiri", "1.13.3", true, "1.13.4"},
		{"GHSA-crjr-9rc5-ghw8", depfile.RubyGems, "nokogiri", "1.13.4.rc1", true, "1.13.4"},
		{"GHSA-crjr-9rc5-ghw8", depfile.RubyGems, "nokogiri", "1.13.4", false, ""},
		// crates.io: SemVer.
		{"GHSA-m5pq-gvj9-9vr8", depfile.Cargo, "regex", "1.5.4", true, "1.5.5"},
		{"GHSA-m5pq-gvj9-9vr8", depfile.Cargo, "regex", "1.5.5", false, ""},
		{"GHSA-m5pq-gvj9-9vr8", "crates.io", "regex", "1.10.0", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.record+"/"+tt.name+"@"+tt.version, func(t *testing.T) {
			r := mustRecord(t, tt.record)
			affected, fixed, err := r.Affected(tt.eco, tt.name, tt.version)
			if err != nil {
				t.Fatalf("Affected: %v", err)
			}
			if affected != tt.affected || fixed != tt.fixed {
				t.Errorf("got (%v, %q), want (%v, %q)", affected, fixed, tt.affected, tt.fixed)
			}
		})
	}
}

func TestAffectedUnreadableVersion(t *testing.T) {
	tests := []struct {
		record, eco, name, version string
	}{
		{log4shell, depfile.Maven, log4jCore, ""},
		{log4shell, depfile.Maven, log4jCore, "${log4j.version}"},
		{log4shell, depfile.Maven, log4jCore, "[2.0,2.15.0)"},
		{log4shell, depfile.Maven, log4jCore, "LATEST"},
		{log4shell, depfile.Gradle, log4jCore, "2.+"},
		{"GHSA-p6mc-m468-83gw", depfile.NPM, "lodash", "^4.17.15"},
		{"GHSA-p6mc-m468-83gw", depfile.NPM, "lodash", "latest"},
		{"GHSA-p6mc-m468-83gw", depfile.NPM, "lodash", "4.17"},
		{"GHSA-8q59-q68h-6hv4", depfile.PyPI, "PyYAML", ">=5.1"},
		{"GHSA-8q59-q68h-6hv4", depfile.PyPI, "PyYAML", "5.*"},
		{"GHSA-qppj-fm5r-hxr3", depfile.Go, "golang.org/x/net", "master"},
		{"GHSA-crjr-9rc5-ghw8", depfile.RubyGems, "nokogiri", "~> 1.13"},
	}
	for _, tt := range tests {
		t.Run(tt.name+"@"+tt.version, func(t *testing.T) {
			r := mustRecord(t, tt.record)
			affected, _, err := r.Affected(tt.eco, tt.name, tt.version)
			var verr *advisories.VersionError
			if !errors.As(err, &verr) {
				t.Fatalf("got (%v, %v), want a *VersionError", affected, err)
			}
			if verr.Version != tt.version {
				t.Errorf("got version %q in the error, want %q", verr.Version, tt.version)
			}
		})
	}
}

func TestAffectedUnsupportedEcosystem(t *testing.T) {
	r := mustRecord(t, log4shell)
	if _, _, err := r.Affected("hackage", "aeson", "1.0"); !errors.Is(err, advisories.ErrUnsupportedEcosystem) {
		t.Errorf("got %v, want ErrUnsupportedEcosystem", err)
	}
}

func TestRangeFirstFixed(t *testing.T) {
	r := mustRecord(t, log4shell)
	tests := []struct {
		version string
		want    []string // per range of each log4j-core entry, in record order
	}{
		{"2.14.1", []string{"2.15.0", "", ""}},
		{"2.1", []string{"", "2.3.1", ""}},
		{"2.12.0", []string{"", "", "2.12.2"}},
		{"2.17.1", []string{"", "", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.version, func(t *testing.T) {
			var got []string
			for _, p := range r.Packages {
				for _, rg := range p.Ranges {
					f, err := rg.FirstFixed(p.Package.Ecosystem, tt.version)
					if err != nil {
						t.Fatal(err)
					}
					got = append(got, f)
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d ranges, want %d", len(got), len(tt.want))
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("range %d: got %q, want %q", i, got[i], tt.want[i])
				}
			}
		})
	}
}

var goEvents = []advisories.Event{{Introduced: "0"}, {Fixed: "1.20.10"}, {Introduced: "1.21.0-0"}, {Fixed: "1.21.3"}}

func TestRangeEvents(t *testing.T) {
	// Synthetic ranges for what the real records do not show: events out of
	// order, several intervals in one range, limit, SEMVER type.
	tests := []struct {
		name    string
		rg      advisories.Range
		eco     string
		version string
		want    bool
		fixed   string
	}{
		{"unsorted second interval", advisories.Range{Type: "ECOSYSTEM", Events: []advisories.Event{{Introduced: "2.4"}, {Fixed: "2.12.2"}, {Introduced: "0"}, {Fixed: "2.3.1"}}}, "Maven", "2.5", true, "2.12.2"},
		{"unsorted gap", advisories.Range{Type: "ECOSYSTEM", Events: []advisories.Event{{Introduced: "2.4"}, {Fixed: "2.12.2"}, {Introduced: "0"}, {Fixed: "2.3.1"}}}, "Maven", "2.3.5", false, ""},
		{"unsorted first interval", advisories.Range{Type: "ECOSYSTEM", Events: []advisories.Event{{Introduced: "2.4"}, {Fixed: "2.12.2"}, {Introduced: "0"}, {Fixed: "2.3.1"}}}, "Maven", "2.0", true, "2.3.1"},
		{"limit excludes", advisories.Range{Type: "ECOSYSTEM", Events: []advisories.Event{{Introduced: "1.0.0"}, {Limit: "2.0.0"}}}, "npm", "2.1.0", false, ""},
		{"below limit", advisories.Range{Type: "ECOSYSTEM", Events: []advisories.Event{{Introduced: "1.0.0"}, {Limit: "2.0.0"}}}, "npm", "1.5.0", true, ""},
		{"open end", advisories.Range{Type: "ECOSYSTEM", Events: []advisories.Event{{Introduced: "1.0.0"}}}, "npm", "9.0.0", true, ""},
		{"semver type in Maven", advisories.Range{Type: "SEMVER", Events: []advisories.Event{{Introduced: "0"}, {Fixed: "1.2.0"}}}, "Maven", "1.1.9", true, "1.2.0"},
		// The Go vulnerability database's shape: SEMVER ranges without "v",
		// a "-0" prerelease opening the next minor's interval.
		{"go semver second interval", advisories.Range{Type: "SEMVER", Events: goEvents}, "go", "v1.21.1", true, "1.21.3"},
		{"go semver prerelease bound", advisories.Range{Type: "SEMVER", Events: goEvents}, "go", "v1.21.0-rc.1", true, "1.21.3"},
		{"go semver gap", advisories.Range{Type: "SEMVER", Events: goEvents}, "go", "v1.20.10", false, ""},
		{"go semver first interval", advisories.Range{Type: "SEMVER", Events: goEvents}, "go", "v1.19.0", true, "1.20.10"},
		{"git ranges are not versions", advisories.Range{Type: "GIT", Events: []advisories.Event{{Introduced: "0"}}}, "npm", "1.0.0", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.rg.Contains(tt.eco, tt.version)
			if err != nil {
				t.Fatal(err)
			}
			fixed, err := tt.rg.FirstFixed(tt.eco, tt.version)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want || fixed != tt.fixed {
				t.Errorf("got (%v, %q), want (%v, %q)", got, fixed, tt.want, tt.fixed)
			}
		})
	}
}

func TestCompareVersions(t *testing.T) {
	tests := []struct {
		eco, a, b string
		want      int
	}{
		// Maven ComparableVersion.
		{depfile.Maven, "2.17.1", "2.17.1.0", 0},
		{depfile.Maven, "2.17", "2.17.0.RELEASE", 0},
		{depfile.Maven, "2.0-beta9", "2.0-rc1", -1},
		{depfile.Maven, "2.0-rc1", "2.0", -1},
		{depfile.Maven, "2.0-SNAPSHOT", "2.0", -1},
		{depfile.Maven, "2.0", "2.0-sp1", -1},
		{depfile.Maven, "1.0-alpha1", "1.0-a1", 0},
		{depfile.Maven, "2.9", "2.10", -1},
		// SemVer.
		{depfile.NPM, "1.0.0-alpha", "1.0.0-alpha.1", -1},
		{depfile.NPM, "1.0.0-beta.11", "1.0.0-rc.1", -1},
		{depfile.NPM, "1.0.0+build.5", "1.0.0", 0},
		{depfile.Cargo, "0.9.0", "0.10.0", -1},
		// Go module versions.
		{depfile.Go, "v1.2.3", "1.2.3", 0},
		{depfile.Go, "v0.0.0-20210101000000-abcdef123456", "v0.0.1", -1},
		{depfile.Go, "v2.0.0+incompatible", "v2.0.0", 0},
		// PEP 440.
		{depfile.PyPI, "1.0.dev1", "1.0a1", -1},
		{depfile.PyPI, "1.0rc1", "1.0", -1},
		{depfile.PyPI, "1.0", "1.0.post1", -1},
		{depfile.PyPI, "1!0.1", "2.0", 1},
		{depfile.PyPI, "1.0", "1.0.0", 0},
		// RubyGems.
		{depfile.RubyGems, "1.13.4.rc1", "1.13.4", -1},
		{depfile.RubyGems, "1.13.10", "1.13.9", 1},
		// NuGet.
		{depfile.NuGet, "1.0.0-beta", "1.0.0", -1},
	}
	for _, tt := range tests {
		t.Run(tt.eco+"/"+tt.a+"_"+tt.b, func(t *testing.T) {
			got, err := advisories.CompareVersions(tt.eco, tt.a, tt.b)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
		})
	}
}

func TestEcosystemNames(t *testing.T) {
	tests := []struct {
		osv, ours string
	}{
		{"Maven", depfile.Maven},
		{"npm", depfile.NPM},
		{"PyPI", depfile.PyPI},
		{"Go", depfile.Go},
		{"RubyGems", depfile.RubyGems},
		{"crates.io", depfile.Cargo},
		{"Packagist", depfile.Packagist},
		{"NuGet", depfile.NuGet},
		{"Debian:11", "debian"},
	}
	for _, tt := range tests {
		if got := advisories.Ecosystem(tt.osv); got != tt.ours {
			t.Errorf("Ecosystem(%q): got %q, want %q", tt.osv, got, tt.ours)
		}
	}
	if got, ok := advisories.OSVEcosystem(depfile.Gradle); !ok || got != "Maven" {
		t.Errorf("OSVEcosystem(gradle): got %q, %v, want Maven", got, ok)
	}
	if _, ok := advisories.OSVEcosystem("debian"); ok {
		t.Errorf("OSVEcosystem(debian): got ok, want not supported")
	}
}

func TestRangeString(t *testing.T) {
	tests := []struct {
		events []advisories.Event
		want   string
	}{
		{[]advisories.Event{{Introduced: "0"}, {Fixed: "2.3.1"}}, "<2.3.1"},
		{[]advisories.Event{{Introduced: "2.4"}, {Fixed: "2.12.2"}}, ">=2.4 <2.12.2"},
		{[]advisories.Event{{Introduced: "1.2"}, {LastAffected: "1.2.17"}}, ">=1.2 <=1.2.17"},
		{[]advisories.Event{{Introduced: "3.0.0"}}, ">=3.0.0"},
		{[]advisories.Event{{Introduced: "0"}}, "*"},
		{[]advisories.Event{{Introduced: "0"}, {Fixed: "0.2.4"}, {Introduced: "1.0.0"}, {Fixed: "1.2.6"}}, "<0.2.4, >=1.0.0 <1.2.6"},
	}
	for _, tt := range tests {
		if got := (advisories.Range{Type: "ECOSYSTEM", Events: tt.events}).String(); got != tt.want {
			t.Errorf("%+v: got %q, want %q", tt.events, got, tt.want)
		}
	}
}
