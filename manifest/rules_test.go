package manifest_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/switchboard-dev/switchboard/manifest"
)

// validComponent uses every annotation and link Switchboard reads.
const validComponent = `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments-api
  title: Payments API
  description: Takes payments.
  tags: [java, payments]
  annotations:
    pagerduty.com/service-id: PABC123
    pagerduty.com/integration-key: 0123456789abcdef0123456789abcdef
    gitlab.com/project-slug: payments/payments-api
    slack.com/bot-notify: "#payments-alerts"
    backstage.io/techdocs-ref: dir:.
  links:
    - url: https://wiki.example.com/payments/runbook
      title: Runbook
    - url: https://docs.example.com/payments
      title: Payments handbook
      type: docs
    - url: https://grafana.example.com/d/payments
      title: Grafana
      icon: dashboard
    - url: https://status.example.com
      title: Status
spec:
  type: service
  lifecycle: production
  owner: group:payments
  system: payments
  tier: tier-1
  language: java
  framework: spring-boot
  dependsOn: [resource:payments-db]
  providesApis: [payments-api]
`

func TestValidComponentWithAllAnnotations(t *testing.T) {
	d := manifest.Parse("catalog-info.yaml", []byte(validComponent), defaultRules())
	if len(d.Findings) != 0 {
		t.Fatalf("got findings\n%s want none", findingsText(d.Findings))
	}
	if len(d.Entities) != 1 {
		t.Fatalf("got %d entities, want 1", len(d.Entities))
	}
	e := d.Entities[0]
	checks := []struct{ field, got, want string }{
		{"kind", e.Kind, "Component"},
		{"name", e.Name, "payments-api"},
		{"namespace", e.Namespace, "default"},
		{"ref", e.Ref().String(), "component:default/payments-api"},
		{"title", e.Title, "Payments API"},
		{"owner", e.Owner, "group:payments"},
		{"lifecycle", e.Lifecycle, "production"},
		{"tier", e.Tier, "tier-1"},
		{"language", e.Language, "java"},
		{"framework", e.Framework, "spring-boot"},
		{"system", e.System, "payments"},
		{"slack", e.SlackChannel, "payments-alerts"},
		{"pagerduty id", e.PagerDutyServiceID, "PABC123"},
		{"pagerduty key", e.PagerDutyIntegrationKey, "0123456789abcdef0123456789abcdef"},
		{"gitlab", e.GitLabProjectSlug, "payments/payments-api"},
		{"techdocs", e.TechDocsRef, "dir:."},
		{"runbook", firstURL(e.Links.Runbooks), "https://wiki.example.com/payments/runbook"},
		{"docs", firstURL(e.Links.Docs), "https://docs.example.com/payments"},
		{"dashboard", firstURL(e.Links.Dashboards), "https://grafana.example.com/d/payments"},
		{"other", firstURL(e.Links.Other), "https://status.example.com"},
		{"dependsOn", strings.Join(e.DependsOn, ","), "resource:payments-db"},
		{"providesApis", strings.Join(e.ProvidesAPIs, ","), "payments-api"},
		{"tags", strings.Join(e.Tags, ","), "java,payments"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.field, c.got, c.want)
		}
	}
	if got := len(e.Links.All()); got != 4 {
		t.Errorf("got %d links, want 4", got)
	}
}

// finding is an expected finding: rule, severity, position, and words of its message.
type finding struct {
	rule     string
	severity manifest.Severity
	line     int
	col      int
	message  string
}

// component returns a valid Component with extra lines spliced under
// metadata (meta, from line 5) and at the end of spec (spec, from line 9
// when meta is empty).
func component(meta, spec string) string {
	return "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: payments-api\n" + meta +
		"spec:\n  type: service\n  lifecycle: production\n  owner: group:payments\n" + spec
}

func TestRules(t *testing.T) {
	tests := []struct {
		name  string
		path  string
		yaml  string
		rules func(*manifest.Rules)
		want  finding
	}{
		{"missing spec.owner is an error at spec", "catalog-info.yaml",
			"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: payments-api\nspec:\n  type: service\n  lifecycle: production\n", nil,
			finding{manifest.RuleRequired, manifest.SeverityError, 5, 1, "spec.owner is missing"}},
		{"empty spec names each field", "catalog-info.yaml",
			"apiVersion: backstage.io/v1alpha1\nkind: Resource\nmetadata:\n  name: db\nspec:\n", nil,
			finding{manifest.RuleRequired, manifest.SeverityError, 5, 1, "spec.type is missing"}},
		{"missing spec", "catalog-info.yaml",
			"apiVersion: backstage.io/v1alpha1\nkind: System\nmetadata:\n  name: payments\n", nil,
			finding{manifest.RuleRequired, manifest.SeverityError, 1, 1, "spec is missing: a System needs a spec spec.owner"}},
		{"API needs a definition", "catalog-info.yaml",
			"apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata:\n  name: payments\nspec:\n  type: openapi\n  lifecycle: production\n  owner: payments\n", nil,
			finding{manifest.RuleRequired, manifest.SeverityError, 5, 1, "spec.definition is missing"}},
		{"API definition type", "catalog-info.yaml",
			"apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata:\n  name: payments\nspec:\n  type: openapi\n  lifecycle: production\n  owner: payments\n  definition: [a]\n", nil,
			finding{manifest.RuleFieldType, manifest.SeverityError, 9, 15, "spec.definition must be a string or {$text"}},
		{"Group needs children", "catalog-info.yaml",
			"apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: payments\nspec:\n  type: team\n", nil,
			finding{manifest.RuleRequired, manifest.SeverityError, 5, 1, "spec.children is missing"}},
		{"User needs memberOf", "catalog-info.yaml",
			"apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata:\n  name: jane\nspec:\n  profile: {email: jane@example.com}\n", nil,
			finding{manifest.RuleRequired, manifest.SeverityError, 5, 1, "spec.memberOf is missing"}},
		{"Domain needs owner", "catalog-info.yaml",
			"apiVersion: backstage.io/v1alpha1\nkind: Domain\nmetadata:\n  name: money\nspec:\n  owner: ''\n", nil,
			finding{manifest.RuleRequired, manifest.SeverityError, 6, 10, "spec.owner is empty"}},
		{"Resource needs type", "catalog-info.yaml",
			"apiVersion: backstage.io/v1alpha1\nkind: Resource\nmetadata:\n  name: db\nspec:\n  owner: payments\n", nil,
			finding{manifest.RuleRequired, manifest.SeverityError, 5, 1, "spec.type is missing"}},
		{"name format", "catalog-info.yaml", strings.Replace(component("", ""), "name: payments-api", "name: payments api", 1), nil,
			finding{manifest.RuleNameFormat, manifest.SeverityError, 4, 9, `rename it, e.g. `}},
		{"name too long", "catalog-info.yaml", strings.Replace(component("", ""), "name: payments-api", "name: "+strings.Repeat("a", 64), 1), nil,
			finding{manifest.RuleNameFormat, manifest.SeverityError, 4, 9, "not a valid name"}},
		{"namespace format", "catalog-info.yaml", component("  namespace: Payments_Team\n", ""), nil,
			finding{manifest.RuleNamespaceFormat, manifest.SeverityError, 5, 14, "metadata.namespace"}},
		{"missing metadata.name", "catalog-info.yaml", strings.Replace(component("", ""), "  name: payments-api\n", "  title: x\n", 1), nil,
			finding{manifest.RuleRequired, manifest.SeverityError, 3, 1, "metadata.name is missing"}},
		{"missing apiVersion", "catalog-info.yaml", strings.Replace(component("", ""), "apiVersion: backstage.io/v1alpha1\n", "", 1), nil,
			finding{manifest.RuleAPIVersion, manifest.SeverityError, 1, 1, "apiVersion is missing"}},
		{"wrong apiVersion for kind", "catalog-info.yaml", strings.Replace(component("", ""), "backstage.io/v1alpha1", "backstage.io/v2", 1), nil,
			finding{manifest.RuleAPIVersion, manifest.SeverityError, 1, 13, "not one Backstage accepts for a Component"}},
		{"missing kind", "catalog-info.yaml", strings.Replace(component("", ""), "kind: Component\n", "", 1), nil,
			finding{manifest.RuleKind, manifest.SeverityError, 1, 1, "kind is missing"}},
		{"kind spelling", "catalog-info.yaml", strings.Replace(component("", ""), "kind: Component", "kind: component", 1), nil,
			finding{manifest.RuleKind, manifest.SeverityError, 2, 7, `must be spelled "Component"`}},
		{"unknown kind", "catalog-info.yaml", strings.Replace(component("", ""), "kind: Component", "kind: Compnent", 1), nil,
			finding{manifest.RuleUnknownKind, manifest.SeverityError, 2, 7, "not one Backstage knows"}},
		{"top-level field", "catalog-info.yaml", component("", "") + "links: []\n", nil,
			finding{manifest.RuleRootField, manifest.SeverityError, 9, 1, "belongs under metadata"}},
		{"unknown spec key: did you mean", "catalog-info.yaml", component("", "  lifecyle: production\n"), nil,
			finding{manifest.RuleUnknownKey, manifest.SeverityWarning, 9, 3, "unknown key spec.lifecyle: did you mean lifecycle?"}},
		{"unknown metadata key: did you mean", "catalog-info.yaml", component("  descripton: x\n", ""), nil,
			finding{manifest.RuleUnknownKey, manifest.SeverityWarning, 5, 3, "did you mean description?"}},
		{"spec key under metadata", "catalog-info.yaml", component("  owner: payments\n", ""), nil,
			finding{manifest.RuleUnknownKey, manifest.SeverityWarning, 5, 3, "belongs under spec"}},
		{"wrong type names the expected type", "catalog-info.yaml", strings.Replace(component("", ""), "owner: group:payments", "owner: [a, b]", 1), nil,
			finding{manifest.RuleFieldType, manifest.SeverityError, 8, 10, "spec.owner must be a string, got a list"}},
		{"number where a string is expected", "catalog-info.yaml", strings.Replace(component("", ""), "type: service", "type: 42", 1), nil,
			finding{manifest.RuleFieldType, manifest.SeverityError, 6, 9, "got a number (42)"}},
		{"list expected", "catalog-info.yaml", component("", "  dependsOn: payments-db\n"), nil,
			finding{manifest.RuleFieldType, manifest.SeverityError, 9, 14, "spec.dependsOn must be a list"}},
		{"tags must be a list", "catalog-info.yaml", component("  tags: java\n", ""), nil,
			finding{manifest.RuleFieldType, manifest.SeverityError, 5, 9, "metadata.tags must be a list of strings"}},
		{"tag format", "catalog-info.yaml", component("  tags: [Java_8]\n", ""), nil,
			finding{manifest.RuleTagFormat, manifest.SeverityError, 5, 10, "write `java-8`"}},
		{"label value format", "catalog-info.yaml", component("  labels:\n    team: payments team\n", ""), nil,
			finding{manifest.RuleLabelFormat, manifest.SeverityError, 6, 11, "not valid"}},
		{"annotation key format", "catalog-info.yaml", component("  annotations:\n    Example.com/a/b: x\n", ""), nil,
			finding{manifest.RuleAnnotationFormat, manifest.SeverityError, 6, 5, "key"}},
		{"annotation value must be a string", "catalog-info.yaml", component("  annotations:\n    example.com/port: 8080\n", ""), nil,
			finding{manifest.RuleAnnotationFormat, manifest.SeverityError, 6, 23, `quote it: ` + "`example.com/port: \"8080\"`"}},
		{"link needs an absolute url", "catalog-info.yaml", component("  links:\n    - url: ./docs\n      title: Docs\n", ""), nil,
			finding{manifest.RuleLinkFormat, manifest.SeverityError, 6, 12, "not an absolute URL"}},
		{"link needs a url", "catalog-info.yaml", component("  links:\n    - title: Docs\n", ""), nil,
			finding{manifest.RuleLinkFormat, manifest.SeverityError, 6, 7, "metadata.links[0].url is missing"}},
		{"link icon", "catalog-info.yaml", component("  links:\n    - url: https://x.example\n      icon: ' '\n", ""), nil,
			finding{manifest.RuleLinkFormat, manifest.SeverityError, 7, 13, "icon must be a non-empty string"}},
		{"malformed entity reference", "catalog-info.yaml", strings.Replace(component("", ""), "owner: group:payments", "owner: 'group:'", 1), nil,
			finding{manifest.RuleEntityRef, manifest.SeverityError, 8, 10, "not an entity reference"}},
		{"reference to the wrong kind", "catalog-info.yaml", component("", "  providesApis: [resource:db]\n"), nil,
			finding{manifest.RuleRefFormat, manifest.SeverityWarning, 9, 18, "names a resource; expected api"}},
		{"reference that is an email", "catalog-info.yaml", strings.Replace(component("", ""), "owner: group:payments", "owner: jane@example.com", 1), nil,
			finding{manifest.RuleRefFormat, manifest.SeverityWarning, 8, 10, "does not name a valid entity"}},
		{"duplicate key", "catalog-info.yaml", component("", "  owner: group:other\n"), nil,
			finding{manifest.RuleDuplicateKey, manifest.SeverityError, 9, 3, `key "owner" is repeated (first at line 8)`}},
		{"duplicate entity", "catalog-info.yaml", component("", "") + "---\n" + component("", ""), nil,
			finding{manifest.RuleDuplicateEntity, manifest.SeverityWarning, 10, 1, "declared twice"}},
		{"document that is a list", "catalog-info.yaml", "- a\n- b\n", nil,
			finding{manifest.RuleNotAMapping, manifest.SeverityError, 1, 1, "this document is a list"}},
		{"not a descriptor", "catalog-info.yaml", "spec:\n  inputs: {}\n", nil,
			finding{manifest.RuleAPIVersion, manifest.SeverityError, 1, 1, "not a Backstage entity"}},
		{"pagerduty service id", "catalog-info.yaml", component("  annotations:\n    pagerduty.com/service-id: abc\n", ""), nil,
			finding{manifest.RuleAnnotationValue, manifest.SeverityWarning, 6, 31, "does not look like a PagerDuty service ID"}},
		{"gitlab slug", "catalog-info.yaml", component("  annotations:\n    gitlab.com/project-slug: payments\n", ""), nil,
			finding{manifest.RuleAnnotationValue, manifest.SeverityWarning, 6, 30, "not a GitLab project path"}},
		{"techdocs ref", "catalog-info.yaml", component("  annotations:\n    backstage.io/techdocs-ref: s3\n", ""), nil,
			finding{manifest.RuleAnnotationValue, manifest.SeverityWarning, 6, 32, "not `dir:<path>` or `url:<url>`"}},
		{"yaml syntax error has a position", "catalog-info.yaml", "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: a: b\n", nil,
			finding{manifest.RuleYAMLSyntax, manifest.SeverityError, 4, 3, "mapping values are not allowed"}},
		{"tab indentation", "catalog-info.yaml", "metadata:\n\tname: a\n", nil,
			finding{manifest.RuleYAMLSyntax, manifest.SeverityError, 2, 2, "YAML syntax error"}},
		{"empty file", "catalog-info.yaml", "# nothing yet\n", nil,
			finding{manifest.RuleEmptyFile, manifest.SeverityInfo, 1, 1, "no document"}},
		{"huge file", "catalog-info.yaml", component("", "") + "# " + strings.Repeat("x", 200) + "\n", func(r *manifest.Rules) { r.MaxFileSize = 100 },
			finding{manifest.RuleFileTooLarge, manifest.SeverityError, 1, 1, "larger than 100 bytes"}},
		{"skeleton", "skeleton/catalog-info.yaml", strings.Replace(component("", ""), "name: payments-api", "name: ${{ values.name }}", 1), nil,
			finding{manifest.RuleTemplate, manifest.SeverityInfo, 1, 1, "software-template skeleton"}},
		{"skeleton that is not YAML", "catalog-info.yaml", "metadata:\n  {%- if values.x %}\n  name: ${{ values.name }}\n  {%- endif %}\n", nil,
			finding{manifest.RuleTemplate, manifest.SeverityInfo, 1, 1, "software-template skeleton"}},
		// OpsLevel.
		{"opslevel version", "opslevel.yml", "version: 2\nservice:\n  name: Payments\n", nil,
			finding{manifest.RuleOpsLevelVersion, manifest.SeverityError, 1, 10, "version \"2\" is not supported"}},
		{"opslevel name", "opslevel.yml", "version: 1\ncomponent:\n  owner: payments\n", nil,
			finding{manifest.RuleRequired, manifest.SeverityError, 2, 1, "component.name is missing"}},
		{"opslevel unknown key", "opslevel.yml", "version: 1\nservice:\n  name: Payments\n  ownr: payments\n", nil,
			finding{manifest.RuleUnknownKey, manifest.SeverityWarning, 4, 3, "did you mean owner?"}},
		{"opslevel list", "opslevel.yml", "version: 1\nservice:\n  name: Payments\n  aliases: pay\n", nil,
			finding{manifest.RuleFieldType, manifest.SeverityError, 4, 12, "service.aliases must be a list"}},
		{"opslevel not a descriptor", "opslevel.yaml", "deployments: true\nresync: 3600\n", nil,
			finding{manifest.RuleNotADescriptor, manifest.SeverityWarning, 1, 1, "not an OpsLevel descriptor"}},
		{"sniffed by content", "service.yaml", "version: 1\ncomponent:\n  name: Payments\n  tier: tier_9\n", nil,
			finding{manifest.RuleTier, manifest.SeverityWarning, 4, 9, `tier "tier_9" is not one the organisation allows`}},
		// The organisation's standards.
		{"lifecycle", "catalog-info.yaml", strings.Replace(component("", ""), "lifecycle: production", "lifecycle: prod", 1), nil,
			finding{manifest.RuleLifecycle, manifest.SeverityWarning, 7, 14, "did you mean `production`?"}},
		{"language", "catalog-info.yaml", component("", "  language: cobol\n"), nil,
			finding{manifest.RuleLanguage, manifest.SeverityWarning, 9, 13, `language "cobol" is not one the organisation allows`}},
		{"framework from a label", "catalog-info.yaml", component("  labels:\n    framework: springboot3\n", ""), nil,
			finding{manifest.RuleFramework, manifest.SeverityWarning, 6, 16, `framework "springboot3"`}},
		{"naming", "catalog-info.yaml", strings.Replace(component("", ""), "name: payments-api", "name: Payments_API", 1), nil,
			finding{manifest.RuleNaming, manifest.SeverityWarning, 4, 9, "rename it, e.g. `payments-api`"}},
		{"reserved name", "catalog-info.yaml", strings.Replace(component("", ""), "name: payments-api", "name: frontend", 1), nil,
			finding{manifest.RuleReservedName, manifest.SeverityWarning, 4, 9, "`payments-frontend`"}},
		{"reserved name in opslevel", "opslevel.yml", "version: 1\nservice:\n  name: Redis\n  owner: checkout_team\n", nil,
			finding{manifest.RuleReservedName, manifest.SeverityWarning, 3, 9, "`checkout-team-redis`"}},
		{"required by standards", "catalog-info.yaml", component("", ""), func(r *manifest.Rules) { r.Required = []string{manifest.FieldRunbook} },
			finding{manifest.RuleRequiredByStandards, manifest.SeverityWarning, 3, 1, "a runbook link (metadata.links) is missing"}},
		{"standards can make a rule an error", "catalog-info.yaml", strings.Replace(component("", ""), "name: payments-api", "name: backend", 1),
			func(r *manifest.Rules) {
				r.Severity = map[string]manifest.Severity{manifest.RuleReservedName: manifest.SeverityError}
			},
			finding{manifest.RuleReservedName, manifest.SeverityError, 4, 9, "too generic"}},
		{"standards cannot relax Backstage's rules", "catalog-info.yaml", strings.Replace(component("", ""), "name: payments-api", "name: a b", 1),
			func(r *manifest.Rules) {
				r.Severity = map[string]manifest.Severity{manifest.RuleNameFormat: manifest.SeverityOff}
			},
			finding{manifest.RuleNameFormat, manifest.SeverityError, 4, 9, "not a valid name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rules := defaultRules()
			if tt.rules != nil {
				tt.rules(&rules)
			}
			d := manifest.Parse(tt.path, []byte(tt.yaml), rules)
			w := tt.want
			for _, f := range d.Findings {
				if f.Rule == w.rule && strings.Contains(f.Message+" (fix: "+f.Fix+")", w.message) {
					if f.Severity != w.severity || (w.line != 1 || w.col != 1 || f.Line == 1) && (f.Line != w.line || f.Col != w.col) {
						t.Errorf("got %s, want %s at %d:%d", f, w.severity, w.line, w.col)
					}
					return
				}
			}
			t.Errorf("got findings\n%s want a %s %s containing %q", findingsText(d.Findings), w.severity, w.rule, w.message)
		})
	}
}

func TestSeverityOff(t *testing.T) {
	rules := defaultRules()
	rules.Severity = map[string]manifest.Severity{manifest.RuleUnknownKey: manifest.SeverityOff}
	d := manifest.Parse("catalog-info.yaml", []byte(component("", "  lifecyle: production\n")), rules)
	if len(d.Findings) != 0 {
		t.Errorf("got findings\n%s want none with unknown-key off", findingsText(d.Findings))
	}
}

func TestTemplateEntityIsNotASkeleton(t *testing.T) {
	const tmpl = `apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: go-service
spec:
  owner: group:platform
  type: service
  parameters:
    - title: Name
      properties:
        name: {type: string}
  steps:
    - id: fetch
      action: fetch:template
      input:
        url: ./skeleton
        values:
          name: ${{ parameters.name }}
`
	d := manifest.Parse("catalog-info.yaml", []byte(tmpl), defaultRules())
	if d.Template || d.HasErrors() || len(d.Entities) != 1 || d.Entities[0].Kind != manifest.KindTemplate {
		t.Errorf("got template=%v, %d entities, findings\n%s want one Template entity and no error", d.Template, len(d.Entities), findingsText(d.Findings))
	}
}

func TestInputShapes(t *testing.T) {
	base := component("", "")
	tests := []struct {
		name     string
		data     string
		entities int
	}{
		{"CRLF", strings.ReplaceAll(base, "\n", "\r\n"), 1},
		{"BOM", "\xef\xbb\xbf" + base, 1},
		{"no trailing newline", strings.TrimSuffix(base, "\n"), 1},
		{"empty documents", "---\n---\n" + base + "---\n...\n---\n", 1},
		{"comments only between documents", base + "---\n# nothing\n---\n" + base, 2},
		{"anchors", "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: a\n  labels: {team: &t payments}\nspec:\n  type: service\n  lifecycle: production\n  owner: *t\n", 1},
		{"non-ASCII", strings.Replace(base, "name: payments-api\n", "name: payments-api\n  description: Zahlungen für alle – 支付\n", 1), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := manifest.Parse("catalog-info.yaml", []byte(tt.data), defaultRules())
			if d.HasErrors() || len(d.Entities) != tt.entities {
				t.Errorf("got %d entities, findings\n%s want %d and no error", len(d.Entities), findingsText(d.Findings), tt.entities)
			}
		})
	}
	t.Run("merge keys are not expanded", func(t *testing.T) {
		// Backstage reads `<<` as an ordinary key: the merged fields are missing.
		data := "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: b\nspec:\n  <<: {type: service, owner: payments}\n  lifecycle: experimental\n"
		d := manifest.Parse("catalog-info.yaml", []byte(data), defaultRules())
		if len(d.Entities) != 1 || d.Entities[0].Owner != "" || !d.HasErrors() {
			t.Fatalf("got %d entities, findings\n%s want one entity without owner, with errors", len(d.Entities), findingsText(d.Findings))
		}
		var merge, owner bool
		for _, f := range d.Findings {
			merge = merge || (f.Rule == manifest.RuleUnknownKey && f.Line == 6 && strings.Contains(f.Message, "merge key"))
			owner = owner || (f.Rule == manifest.RuleRequired && strings.Contains(f.Message, "spec.owner is missing"))
		}
		if !merge || !owner {
			t.Errorf("got findings\n%s want a merge-key warning at line 6 and spec.owner missing", findingsText(d.Findings))
		}
	})
}

func TestHostileInput(t *testing.T) {
	tests := []struct {
		name string
		data string
	}{
		{"deep nesting", strings.Repeat("[", 20000) + strings.Repeat("]", 20000)},
		{"deep mappings", strings.Repeat("a:\n ", 5000) + "b"},
		{"self-referencing alias", "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: &m\n  name: a\n  labels: *m\nspec: &s\n  <<: *s\n  type: x\n"},
		{"alias bomb", "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c]\nkind: Component\nmetadata: {name: *d, tags: *d}\n"},
		{"binary", "\x00\x01\x02\xff\xfe"},
		{"invalid UTF-8", "kind: \xc3\x28\n"},
		{"huge key", strings.Repeat("k", 100000) + ": v\n"},
		{"many documents", strings.Repeat("---\na: 1\n", 20000)},
		{"complex keys", "? [a, b]\n: c\n? {x: y}\n: z\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, p := range []string{"catalog-info.yaml", "opslevel.yml", "x.yaml"} {
				d := manifest.Parse(p, []byte(tt.data), defaultRules())
				for _, f := range d.Findings {
					if f.Line < 1 || f.Col < 1 || f.Rule == "" {
						t.Errorf("%s: got finding %s, want a positioned finding with a rule", p, f)
					}
				}
				if len(d.Findings) > 1001 {
					t.Errorf("%s: got %d findings, want at most 1001", p, len(d.Findings))
				}
			}
		})
	}
}

func TestFindingString(t *testing.T) {
	f := manifest.Finding{Path: "a/catalog-info.yaml", Line: 3, Col: 5, Severity: manifest.SeverityError, Rule: "required", Message: "spec.owner is missing", Fix: "add it"}
	re := regexp.MustCompile(`^a/catalog-info\.yaml:3:5: error: spec\.owner is missing \(fix: add it\)$`)
	if got := f.String(); !re.MatchString(got) {
		t.Errorf("got %q, want path:line:col: severity: message (fix: ...)", got)
	}
}
