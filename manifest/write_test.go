package manifest_test

import (
	"testing"

	"github.com/switchboard-dev/switchboard/manifest"
)

// TestBackstageYAMLRoundTrip: what /service add writes lints clean and
// reads back to the same service.
func TestBackstageYAMLRoundTrip(t *testing.T) {
	in := manifest.Entity{
		Kind: manifest.KindComponent, Name: "payments-refunds", Namespace: "default", Type: "service",
		Lifecycle: "production", Owner: "group:payments", Tier: "1", Language: "go", Description: "Refunds: \"quoted\" & more",
		Annotations: map[string]string{manifest.AnnotationPagerDutyServiceID: "PABC123", manifest.AnnotationSlackBotNotify: "payments-alerts"},
		Links:       manifest.Links{Runbooks: []manifest.Link{{URL: "https://wiki/runbook", Title: "Runbook"}}},
	}
	d := manifest.Parse("catalog-info.yaml", manifest.BackstageYAML(in), manifest.Rules{})
	if d.HasErrors() || len(d.Entities) != 1 {
		t.Fatalf("findings %v, entities %d\n%s", d.Findings, len(d.Entities), manifest.BackstageYAML(in))
	}
	got := d.Entities[0]
	if got.Name != in.Name || got.Owner != in.Owner || got.Lifecycle != in.Lifecycle || got.Tier != in.Tier ||
		got.Language != in.Language || got.Description != in.Description || got.PagerDutyServiceID != "PABC123" ||
		got.SlackChannel != "payments-alerts" || len(got.Links.Runbooks) != 1 {
		t.Fatalf("round trip: got %+v", got)
	}
}
