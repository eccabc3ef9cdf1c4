package main

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
)

// TestWebServiceGraph: over the sample organisation, a service page lists
// the services it depends on and those depending on it (by depth) with
// where each edge comes from, from the catalog.Cache's graph as serve
// wires it (the same graph /blast reads), and from the store without one.
func TestWebServiceGraph(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	log := slog.New(slog.DiscardHandler)
	env, _, _ := testEnv(t, map[string]string{})
	dm, err := startDemo(ctx, dbFlags{}, env, log)
	if err != nil {
		t.Fatal(err)
	}
	defer dm.close()
	cache := catalog.NewCache(dm.store)
	cctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { _ = cache.Run(cctx); close(done) }()
	defer func() { stop(); <-done }()
	want := []string{
		// /blast auth-service's figures (TestDemoBlast): 17 in all, 11 directly.
		"17 services depend on it, 11 directly.",
		`<ul id="dependents">`,
		`<a href="/services/default/permissions">permissions</a>`,
		"on a cycle",
		"depth 3",
		"opslevel.yml: dependencies permissions",
		// An edge to what the catalog does not hold.
		"<code>component:default/sessions-db</code> (not in the catalog)",
	}
	for _, tc := range []struct {
		name    string
		lookups commands.ServiceCatalog
	}{{"cache", cache}, {"store", dm.store}} {
		t.Run(tc.name, func(t *testing.T) {
			d := deps{log: log, store: dm.store, lookups: tc.lookups}
			mux := http.NewServeMux()
			if err := mountWeb(mux, serveConfig{Web: webConfig{Auth: "none"}}, d, newRouter(d)); err != nil {
				t.Fatal(err)
			}
			w := httptest.NewRecorder()
			mux.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/services/default/auth-service", nil))
			body := w.Body.String()
			if w.Code != http.StatusOK {
				t.Fatalf("%d %.500s", w.Code, body)
			}
			if strings.Contains(body, "not available") {
				t.Fatal("the service page says the graph is not available")
			}
			for _, s := range want {
				if !strings.Contains(body, s) {
					t.Errorf("auth-service's page lacks %q", s)
				}
			}
			dependents := body[strings.Index(body, `<ul id="dependents">`):]
			if n := len(regexp.MustCompile(`<li><a href="/services/`).FindAllString(dependents, -1)); n != 17 {
				t.Errorf("%d dependents listed, want 17", n)
			}
		})
	}
}
