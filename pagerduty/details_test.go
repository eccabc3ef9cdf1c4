package pagerduty_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestTriggerCustomDetails: a page's custom details (the service's last
// changes, its dependents) reach the incident through either path: as
// custom_details beside "details" on the Events API, as lines after the
// details in a REST incident's body; they never replace what the page
// sets itself.
func TestTriggerCustomDetails(t *testing.T) {
	for _, service := range []string{"checkout-api", "auth-service"} {
		t.Run(service, func(t *testing.T) {
			e := newEnv(t, nil, nil)
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			req := page(service, "k-details-"+service)
			req.CustomDetails = map[string]string{
				"recent_changes": "40m ago · pushed · Hotfix <x> (https://gitlab/c/1)\n4h ago · merged · Retry",
				"dependents":     "3 services in 1 team depend on it.",
				"details":        "must not replace the page's own",
			}
			if _, err := e.client.Trigger(ctx, req); err != nil {
				t.Fatal(err)
			}
			incs := e.fake.Incidents()
			if len(incs) != 1 {
				t.Fatalf("%d incidents", len(incs))
			}
			d := incs[0].Details
			if service == "checkout-api" {
				var got map[string]string
				if err := json.Unmarshal([]byte(d), &got); err != nil {
					t.Fatalf("custom_details %s: %v", d, err)
				}
				if got["recent_changes"] != req.CustomDetails["recent_changes"] || got["dependents"] == "" || got["details"] != "paged from #incidents" {
					t.Errorf("custom_details: %+v", got)
				}
				return
			}
			for _, want := range []string{"paged from #incidents", "dependents:\n3 services", "recent_changes:\n40m ago · pushed · Hotfix <x>"} {
				if !strings.Contains(d, want) {
					t.Errorf("REST body lacks %q: %s", want, d)
				}
			}
		})
	}
}
