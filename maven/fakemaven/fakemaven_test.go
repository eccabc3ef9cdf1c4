package fakemaven_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/switchboard-dev/switchboard/maven/fakemaven"
)

func TestServer(t *testing.T) {
	fsys := fstest.MapFS{
		"com/acme/lib/1.0/lib-1.0.pom": {Data: []byte("<project/>")},
		"com/acme/lib/1.1/lib-1.1.pom": {Data: []byte("<project/>")},
	}
	fake := fakemaven.New(fsys)
	srv := httptest.NewServer(fake)
	defer srv.Close()
	fake.Fail("com/acme/lib/1.1/lib-1.1.pom", http.StatusServiceUnavailable)
	tests := []struct {
		path   string
		status int
		body   string
	}{
		{"/com/acme/lib/1.0/lib-1.0.pom", 200, "<project/>"},
		{"/com/acme/lib/1.1/lib-1.1.pom", 503, ""},
		{"/com/acme/lib/2.0/lib-2.0.pom", 404, ""},
		{"/com/acme/lib/maven-metadata.xml", 200, "<version>1.1</version>"},
		{"/com/acme/none/maven-metadata.xml", 404, ""},
	}
	for _, tt := range tests {
		resp, err := http.Get(srv.URL + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status || !strings.Contains(string(body), tt.body) {
			t.Errorf("%s: got %d %q, want %d with %q", tt.path, resp.StatusCode, body, tt.status, tt.body)
		}
		if n := fake.Count(strings.TrimPrefix(tt.path, "/")); n != 1 {
			t.Errorf("%s: counted %d, want 1", tt.path, n)
		}
	}
	fake.FailAll(http.StatusBadGateway)
	resp, err := http.Get(srv.URL + "/com/acme/lib/1.0/lib-1.0.pom")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadGateway {
		t.Errorf("down: got %d, want 502", resp.StatusCode)
	}
}

// TestServerCredentials: with Token (and Username) set, only the right
// bearer token or basic credentials are served; anything else is 401.
func TestServerCredentials(t *testing.T) {
	fsys := fstest.MapFS{"com/acme/lib/1.0/lib-1.0.pom": {Data: []byte("<project/>")}}
	tests := []struct {
		name            string
		token, username string
		auth            func(r *http.Request)
		status          int
	}{
		{"no credentials required", "", "", func(*http.Request) {}, 200},
		{"bearer", "s3cret", "", func(r *http.Request) { r.Header.Set("Authorization", "Bearer s3cret") }, 200},
		{"basic password", "s3cret", "", func(r *http.Request) { r.SetBasicAuth("anyone", "s3cret") }, 200},
		{"wrong bearer", "s3cret", "", func(r *http.Request) { r.Header.Set("Authorization", "Bearer nope") }, 401},
		{"none given", "s3cret", "", func(*http.Request) {}, 401},
		{"basic user and password", "s3cret", "ci", func(r *http.Request) { r.SetBasicAuth("ci", "s3cret") }, 200},
		{"basic wrong user", "s3cret", "ci", func(r *http.Request) { r.SetBasicAuth("dev", "s3cret") }, 401},
		{"bearer when a user is required", "s3cret", "ci", func(r *http.Request) { r.Header.Set("Authorization", "Bearer s3cret") }, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := fakemaven.New(fsys)
			fake.Token, fake.Username = tt.token, tt.username
			srv := httptest.NewServer(fake)
			defer srv.Close()
			req, err := http.NewRequest(http.MethodGet, srv.URL+"/com/acme/lib/1.0/lib-1.0.pom", nil)
			if err != nil {
				t.Fatal(err)
			}
			tt.auth(req)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("got %d, want %d", resp.StatusCode, tt.status)
			}
		})
	}
}
