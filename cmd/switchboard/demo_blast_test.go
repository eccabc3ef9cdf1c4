package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
)

// TestDemoBlast: the sample organisation's graph through the demo, as
// the acceptance runs it: auth-service's dependents by depth with
// owners and who is on call (declared dependsOn, OpsLevel aliases, a
// consumed API, across namespaces), its cycle with permissions shown once,
// a reference to nothing catalogued; and the Go library most services use,
// found from their go.mod with the line.
func TestDemoBlast(t *testing.T) {
	env, out, errb := testEnv(t, map[string]string{})
	code := run(context.Background(), []string{"demo", "--run", "/blast auth-service", "--run", "/blast logging-pipeline", "--run", "/blast auth"}, env)
	if code != 0 {
		t.Fatalf("exit code %d; stderr:\n%s", code, errb)
	}
	got := out.String()
	for _, w := range []string{
		"Blast radius of auth-service",
		"17 services in 7 teams depend on `auth-service`: 11 directly, 5 at depth 2, 1 at depth 3.",
		"Cycle: `auth-service` also depends, through others, on permissions.",
		"• permissions — team identity · on call: @",
		"· via dependsOn · on a cycle",
		"• storefront/frontend — team storefront · on call: @",
		"• search-api — team search · on call: @",
		"via permissions (consumes api:default/permissions-api)",
		"Depth 3\n• product-pages — team storefront",
		"`component:default/sessions-db` — not in the catalog · dependsOn",
		"opslevel.yml: dependencies permissions",
		"go.mod:8 depends on example.acme/logging-pipeline, published by acme/platform/logging-pipeline (go.mod:1)",
		"Blast radius of logging-pipeline",
		"22 services in 8 teams depend on `logging-pipeline`: 9 directly",
		"• checkout-api — team payments · on call: @",
		"via package example.acme/logging-pipeline",
		"-> /blast logging-pipeline --page 2",
		"`auth` is an alias of `auth-service`",
	} {
		if !strings.Contains(got, w) {
			t.Errorf("output lacks %q; got:\n%s", w, got)
		}
	}
	// Every dependent listed of auth-service has its owner and on call.
	first := got[:strings.Index(got, "Blast radius of logging-pipeline")]
	line := regexp.MustCompile(`(?m)^• [a-z/-]+ — .*$`)
	deps := 0
	for _, l := range line.FindAllString(first, -1) {
		if strings.Contains(l, " · via ") {
			deps++
			if !strings.Contains(l, "team ") || !strings.Contains(l, "on call: @") {
				t.Errorf("dependent without owner or on call: %s", l)
			}
		}
	}
	if deps != 17 {
		t.Errorf("%d dependents listed, want 17", deps)
	}
}
