package advisories_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/switchboard-dev/switchboard/advisories"
	"github.com/switchboard-dev/switchboard/advisories/fakeosv"
	"github.com/switchboard-dev/switchboard/depfile"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
)

// mustFakeAPI starts the fake OSV API over testdata and a client of it.
func mustFakeAPI(t *testing.T) (*fakeosv.Server, *advisories.Client) {
	t.Helper()
	fake, err := fakeosv.FromDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	c, err := advisories.NewClient(srv.URL, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	return fake, c
}

func ids(recs []*advisories.Record) []string {
	var out []string
	for _, r := range recs {
		out = append(out, r.ID)
	}
	return out
}

func TestClientVuln(t *testing.T) {
	_, c := mustFakeAPI(t)
	ctx := context.Background()
	r, err := c.Vuln(ctx, log4shell)
	if err != nil {
		t.Fatal(err)
	}
	if affected, fixed, err := r.Affected(depfile.Maven, log4jCore, "2.14.1"); err != nil || !affected || fixed != "2.15.0" {
		t.Errorf("got (%v, %q, %v) from the API's record, want (true, 2.15.0)", affected, fixed, err)
	}
	if _, err := c.Vuln(ctx, "GHSA-0000-0000-0000"); !errors.Is(err, advisories.ErrNotFound) {
		t.Errorf("unknown id: got %v, want ErrNotFound", err)
	}
}

func TestClientQuery(t *testing.T) {
	fake, c := mustFakeAPI(t)
	fake.PageSize = 1 // every answer spans pages
	tests := []struct {
		eco, name, version string
		want               []string
	}{
		{depfile.Maven, log4jCore, "2.14.1", []string{cve45046, cve44832, log4shell, cve45105}},
		{depfile.Gradle, log4jCore, "2.16.0", []string{cve44832, cve45105}},
		{depfile.Maven, log4jCore, "2.17.1", nil},
		{depfile.Maven, log4jCore, "", []string{cve45046, cve44832, log4shell, cve45105}},
		{depfile.NPM, "minimist", "1.2.5", []string{"GHSA-xvch-5gv4-984h"}},
		{depfile.PyPI, "pyyaml", "5.3.1", []string{"GHSA-8q59-q68h-6hv4"}},
	}
	for _, tt := range tests {
		t.Run(tt.name+"@"+tt.version, func(t *testing.T) {
			recs, err := c.Query(context.Background(), tt.eco, tt.name, tt.version)
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(recs); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	var ae *advisories.APIError
	if _, err := c.Query(context.Background(), depfile.Maven, log4jCore, "${log4j.version}"); !errors.As(err, &ae) || ae.Status != http.StatusBadRequest {
		t.Errorf("unreadable version: got %v, want the API's 400", err)
	}
}

func TestNewClientBadURL(t *testing.T) {
	for _, u := range []string{"api.osv.dev", "ftp://x", "http://"} {
		if _, err := advisories.NewClient(u, nil); err == nil {
			t.Errorf("%q: got no error, want one naming %s", u, advisories.EnvAPIURL)
		}
	}
}

func TestFinder(t *testing.T) {
	ctx := context.Background()
	fake, api := mustFakeAPI(t)
	f := &advisories.Finder{Store: advisories.NewStore(pgtest.New(t)), API: api}

	// Not in the store: the API's CVE record names the GHSA record, which
	// is fetched and stored.
	recs, err := f.Find(ctx, "CVE-2021-44228")
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(recs); !slices.Equal(got, []string{"CVE-2021-44228", log4shell}) {
		t.Errorf("got %v, want the CVE record and %s", got, log4shell)
	}
	asked := fake.Requests()
	// Now the store answers, in any case, without the API.
	recs, err = f.Find(ctx, "cve-2021-44228")
	if err != nil || len(recs) != 2 {
		t.Errorf("second find: got %v, %v", ids(recs), err)
	}
	if fake.Requests() != asked {
		t.Errorf("second find asked the API %d more times, want 0", fake.Requests()-asked)
	}
	pkgs, err := f.Store.Packages(ctx, "CVE-2021-44228")
	if err != nil || len(pkgs) != 3 {
		t.Errorf("packages after the API: got %d (%v), want log4j-core's 3", len(pkgs), err)
	}
	if _, err := f.Find(ctx, "CVE-1999-0001"); !errors.Is(err, advisories.ErrNotFound) {
		t.Errorf("unknown everywhere: got %v, want ErrNotFound", err)
	}
	// Without an API (air-gapped), the store's answer is all.
	offline := &advisories.Finder{Store: f.Store}
	if _, err := offline.Find(ctx, "CVE-2020-8203"); !errors.Is(err, advisories.ErrNotFound) {
		t.Errorf("offline: got %v, want ErrNotFound", err)
	}
}
