package manifest_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/switchboard-dev/switchboard/manifest"
)

// TestFindingField: each finding names the field it is about, as a path,
// whatever its message says.
func TestFindingField(t *testing.T) {
	rules := manifest.Rules{
		Tiers:         manifest.Vocabulary{{Value: "1"}, {Value: "2"}},
		Lifecycles:    manifest.Vocabulary{{Value: "production"}, {Value: "experimental"}},
		ReservedNames: []string{"frontend"},
		NamePattern:   regexp.MustCompile(`^[a-z][a-z0-9-]*$`),
		Required:      []string{manifest.FieldDescription, manifest.FieldPagerDuty},
	}
	const component = `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: %NAME%
  description: Takes payments.
  annotations:
    pagerduty.com/service-id: %PD%
spec:
  type: service
  lifecycle: %LIFECYCLE%
  owner: %OWNER%
  tier: "%TIER%"
`
	doc := func(name, pd, lifecycle, owner, tier string) string {
		return strings.NewReplacer("%NAME%", name, "%PD%", pd, "%LIFECYCLE%", lifecycle, "%OWNER%", owner, "%TIER%", tier).Replace(component)
	}
	tests := []struct {
		name      string
		yaml      string
		rule      string
		wantField string
	}{
		{"reserved name", doc("frontend", "PABC123", "production", "group:web", "1"), manifest.RuleReservedName, "metadata.name"},
		{"name against the naming rule", doc("Pay_Ments", "PABC123", "production", "group:web", "1"), manifest.RuleNaming, "metadata.name"},
		{"lifecycle not allowed", doc("payments", "PABC123", "prod", "group:web", "1"), manifest.RuleLifecycle, "spec.lifecycle"},
		{"tier not allowed", doc("payments", "PABC123", "production", "group:web", "9"), manifest.RuleTier, "spec.tier"},
		{"owner empty", doc("payments", "PABC123", "production", "", "1"), manifest.RuleRequired, "spec.owner"},
		{"owner missing", strings.Replace(doc("payments", "PABC123", "production", "x", "1"), "  owner: x\n", "", 1), manifest.RuleRequired, "spec.owner"},
		{"annotation value", doc("payments", "not-an-id!", "production", "group:web", "1"), manifest.RuleAnnotationValue, "metadata.annotations.pagerduty.com/service-id"},
		{"required by the standards", strings.Replace(doc("payments", "PABC123", "production", "group:web", "1"), "  description: Takes payments.\n", "", 1), manifest.RuleRequiredByStandards, "metadata.description"},
		{"metadata.name missing", strings.Replace(doc("x", "PABC123", "production", "group:web", "1"), "  name: x\n", "", 1), manifest.RuleRequired, "metadata.name"},
		{"not an entity: the document as a whole", "just: text\n", manifest.RuleAPIVersion, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := manifest.Parse("catalog-info.yaml", []byte(tt.yaml), rules)
			var got []string
			for _, f := range d.Findings {
				if f.Rule == tt.rule {
					if f.Field == tt.wantField {
						return
					}
					got = append(got, f.Field)
				}
			}
			t.Errorf("findings of rule %s: got fields %q, want one about %q (all findings: %v)", tt.rule, got, tt.wantField, d.Findings)
		})
	}
}
