package weblinks

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestLinks(t *testing.T) {
	l := New(" https://sb.example.com/ ")
	tests := []struct {
		name, got, want string
	}{
		{"service", l.Service("default", "billing-api"), "https://sb.example.com/services/default/billing-api"},
		{"service empty namespace", l.Service("", "billing-api"), "https://sb.example.com/services/default/billing-api"},
		{"service escaped", l.Service("pay ments", "a/b?c"), "https://sb.example.com/services/pay%20ments/a%2Fb%3Fc"},
		{"team", l.Team("Payments Team"), "https://sb.example.com/teams/Payments%20Team"},
		{"search", l.Search("sends invoices & more"), "https://sb.example.com/search?q=sends+invoices+%26+more"},
		{"search empty", l.Search(""), "https://sb.example.com/search"},
		{"campaign", l.Campaign(42), "https://sb.example.com/campaigns/42"},
		{"no service name", l.Service("default", ""), ""},
		{"no base", Links{}.Service("default", "billing-api"), ""},
		{"no base search", New("  ").Search("x"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
	if New("").Enabled() || !l.Enabled() {
		t.Error("Enabled wrong")
	}
}

// TestPatternsMatchPaths checks that each path the links build is served by
// its pattern, with the wildcards decoding back to the original values.
func TestPatternsMatchPaths(t *testing.T) {
	mux := http.NewServeMux()
	var got []string
	mux.HandleFunc(ServicePattern, func(w http.ResponseWriter, r *http.Request) {
		got = []string{"service", r.PathValue("namespace"), r.PathValue("name")}
	})
	mux.HandleFunc(TeamPattern, func(w http.ResponseWriter, r *http.Request) {
		got = []string{"team", r.PathValue("name")}
	})
	mux.HandleFunc(SearchPattern, func(w http.ResponseWriter, r *http.Request) {
		got = []string{"search", r.URL.Query().Get("q")}
	})
	mux.HandleFunc(CampaignPattern, func(w http.ResponseWriter, r *http.Request) {
		got = []string{"campaign", r.PathValue("id")}
	})
	tests := []struct {
		path string
		want []string
	}{
		{ServicePath("pay ments", "a/b"), []string{"service", "pay ments", "a/b"}},
		{TeamPath("Team Ø"), []string{"team", "Team Ø"}},
		{SearchPath("who & what"), []string{"search", "who & what"}},
		{CampaignPath(7), []string{"campaign", "7"}},
	}
	for _, tt := range tests {
		got = nil
		mux.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", tt.path, nil))
		if len(got) != len(tt.want) {
			t.Fatalf("%s: got %q, want %q", tt.path, got, tt.want)
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("%s: got %q, want %q", tt.path, got, tt.want)
			}
		}
	}
}
