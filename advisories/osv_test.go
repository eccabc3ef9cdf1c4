package advisories_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/switchboard-dev/switchboard/advisories"
)

func TestParseTestdata(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 13 {
		t.Fatalf("got %d records in testdata, want 13", len(files))
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		r, err := advisories.Parse(b)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if want := strings.TrimSuffix(filepath.Base(f), ".json"); r.ID != want {
			t.Errorf("%s: got id %q, want %q", f, r.ID, want)
		}
		if r.Modified.IsZero() || len(r.Aliases) == 0 || len(r.Packages) == 0 || r.Summary == "" {
			t.Errorf("%s: got modified %v, aliases %v, %d packages, summary %q: want all set", f, r.Modified, r.Aliases, len(r.Packages), r.Summary)
		}
		again, err := r.JSON()
		if err != nil || !strings.Contains(string(again), `"database_specific"`) {
			t.Errorf("%s: encoded again, the record lost database_specific (%v)", f, err)
		}
	}
}

func TestParseLog4Shell(t *testing.T) {
	r := mustRecord(t, log4shell)
	if len(r.Aliases) != 1 || r.Aliases[0] != "CVE-2021-44228" {
		t.Errorf("got aliases %v, want [CVE-2021-44228]", r.Aliases)
	}
	if got := r.Modified.Format("2006-01-02T15:04:05Z"); got != "2022-03-25T20:56:18Z" {
		t.Errorf("got modified %s, want 2022-03-25T20:56:18Z", got)
	}
	var fixed []string
	for _, p := range r.Packages {
		if p.Package.Ecosystem != "Maven" || p.Package.Name != log4jCore {
			t.Errorf("got package %+v, want Maven %s", p.Package, log4jCore)
		}
		for _, rg := range p.Ranges {
			if rg.Type != advisories.RangeEcosystem {
				t.Errorf("got range type %q, want ECOSYSTEM", rg.Type)
			}
			for _, e := range rg.Events {
				if e.Fixed != "" {
					fixed = append(fixed, e.Fixed)
				}
			}
		}
	}
	if strings.Join(fixed, " ") != "2.15.0 2.3.1 2.12.2" {
		t.Errorf("got fixed events %v, want [2.15.0 2.3.1 2.12.2]", fixed)
	}
}

func TestParseInvalid(t *testing.T) {
	tests := []struct {
		name, json, want string
	}{
		{"not JSON", `{"id": `, "unexpected end"},
		{"an array", `[]`, "cannot unmarshal array"},
		{"no id", `{"modified":"2022-01-01T00:00:00Z"}`, "id is missing"},
		{"no modified", `{"id":"GHSA-x"}`, "modified is missing"},
		{"bad modified", `{"id":"GHSA-x","modified":"yesterday"}`, "cannot parse"},
		{"no package name", `{"id":"GHSA-x","modified":"2022-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm"}}]}`, "affected[0]: package has no name"},
		{"unknown range type", `{"id":"GHSA-x","modified":"2022-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"a"},"ranges":[{"type":"DATE","events":[{"introduced":"0"}]}]}]}`, `unknown type "DATE"`},
		{"two fields in one event", `{"id":"GHSA-x","modified":"2022-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"a"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0","fixed":"1.0.0"}]}]}]}`, "events[0]: want exactly one"},
		{"no introduced", `{"id":"GHSA-x","modified":"2022-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"a"},"ranges":[{"type":"SEMVER","events":[{"fixed":"1.0.0"}]}]}]}`, "no introduced event"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := advisories.Parse([]byte(tt.json))
			if !errors.Is(err, advisories.ErrInvalidRecord) {
				t.Fatalf("got %v, want ErrInvalidRecord", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestJSONRoundTrip(t *testing.T) {
	for _, r := range mustTestdata(t) {
		b, err := r.JSON()
		if err != nil {
			t.Fatal(err)
		}
		again, err := advisories.Parse(b)
		if err != nil {
			t.Fatalf("%s: %v", r.ID, err)
		}
		b2, err := again.JSON()
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != string(b2) {
			t.Errorf("%s: encoding, parsing and encoding again changed the record:\n%s\n%s", r.ID, b, b2)
		}
		if !again.Modified.Equal(r.Modified) || len(again.Packages) != len(r.Packages) || !slices.Equal(again.Aliases, r.Aliases) {
			t.Errorf("%s: got %+v after a round trip, want %+v", r.ID, again, r)
		}
	}
}
