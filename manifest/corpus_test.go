package manifest_test

import (
	"os"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/switchboard-dev/switchboard/manifest"
	"github.com/switchboard-dev/switchboard/standards"
)

// corpusFile is one real-world descriptor in testdata/corpus.
type corpusFile struct {
	local string // path under testdata/corpus
	path  string // path in its repository, which decides the format
	data  []byte
}

// corpus reads testdata/corpus/SOURCES.tsv and the files it lists.
func corpus(tb testing.TB) []corpusFile {
	tb.Helper()
	src, err := os.ReadFile("testdata/corpus/SOURCES.tsv")
	if err != nil {
		tb.Fatal(err)
	}
	var out []corpusFile
	for i, line := range strings.Split(strings.TrimSpace(string(src)), "\n") {
		cols := strings.Split(line, "\t")
		if i == 0 || len(cols) < 3 {
			continue
		}
		data, err := os.ReadFile(path.Join("testdata/corpus", cols[0]))
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, corpusFile{local: cols[0], path: cols[2], data: data})
	}
	if len(out) < 50 {
		tb.Fatalf("got %d corpus files, want at least 50", len(out))
	}
	return out
}

// defaultRules are the rules of the built-in standards.
func defaultRules() manifest.Rules { return standards.Default().Rules() }

func TestCorpusDecodesOrIsRejectedWithPosition(t *testing.T) {
	for _, f := range corpus(t) {
		t.Run(f.local, func(t *testing.T) {
			d := manifest.Parse(f.path, f.data, defaultRules())
			if len(d.Entities) == 0 && len(d.Findings) == 0 {
				t.Fatalf("got no entity and no finding, want one or the other")
			}
			lines := strings.Count(string(f.data), "\n") + 1
			for _, fi := range d.Findings {
				if fi.Path != f.path || fi.Line < 1 || fi.Line > lines || fi.Col < 1 || fi.Message == "" {
					t.Errorf("got finding %s, want a positioned finding in %s (1..%d lines)", fi, f.path, lines)
				}
				if _, ok := manifest.LookupRule(fi.Rule); !ok {
					t.Errorf("got rule %q, want a known rule", fi.Rule)
				}
			}
			for _, e := range d.Entities {
				if e.Kind == "" || (e.Name == "" && e.Kind != manifest.KindRepository) || e.Pos.Line < 1 {
					t.Errorf("got entity %+v, want a kind, a name and a position", e)
				}
			}
		})
	}
}

// TestCorpusOpsLevelHasNoErrors checks the OpsLevel files of the corpus,
// which OpsLevel accepts. (The Backstage files are held to Backstage's own
// verdicts by TestAgreesWithBackstage.)
func TestCorpusOpsLevelHasNoErrors(t *testing.T) {
	for _, f := range corpus(t) {
		if !strings.HasPrefix(f.local, "opslevel/") {
			continue
		}
		t.Run(f.local, func(t *testing.T) {
			d := manifest.Parse(f.path, f.data, defaultRules())
			if d.HasErrors() {
				t.Errorf("got errors, want none; findings:\n%s", findingsText(d.Findings))
			}
		})
	}
}

func findingsText(fs []manifest.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString("  " + f.String() + " [" + f.Rule + "]\n")
	}
	return b.String()
}

func TestCorpusExpectations(t *testing.T) {
	files := map[string]corpusFile{}
	for _, f := range corpus(t) {
		files[f.local] = f
	}
	tests := []struct {
		local    string
		format   manifest.Format
		template bool
		entities int
		rules    []string // rules that must be among the findings
	}{
		{"catalog-info/backstage__backstage__packages_catalog-model_examples_components_invalid-component.yaml", manifest.FormatBackstage, false, 1, []string{manifest.RuleNameFormat, manifest.RuleTagFormat}},
		{"catalog-info/im-open__validate-catalog-info__test_catalog-infos_invalid-components.yml", manifest.FormatBackstage, false, 26, []string{manifest.RuleRequired, manifest.RuleRefFormat}},
		{"catalog-info/im-open__validate-catalog-info__test_catalog-infos_valid-entities.yml", manifest.FormatBackstage, false, 7, nil},
		{"catalog-info/RoadieHQ__sample-service__catalog-info-1.yaml", manifest.FormatBackstage, false, 8, nil},
		{"catalog-info/backstage__backstage__packages_catalog-model_examples_acme_team-a-group.yaml", manifest.FormatBackstage, false, 6, nil},
		{"catalog-info/ServerlessOpsIO__backstage-aws-sam-nodejs-template__skeleton_catalog-info.yaml", manifest.FormatBackstage, true, 0, []string{manifest.RuleTemplate}},
		{"catalog-info/VitruvianSoftware__backstage-go__skeleton_catalog-info.yaml", manifest.FormatBackstage, true, 0, []string{manifest.RuleTemplate}},
		{"catalog-info/agile-lab-dev__witboost-data-product-template__skeleton_catalog-info.yaml", manifest.FormatBackstage, true, 0, []string{manifest.RuleTemplate}},
		{"catalog-info/Mhodtood__axum-service-template__.backstage_catalog-info.yaml", manifest.FormatBackstage, true, 0, []string{manifest.RuleTemplate}},
		{"catalog-info/cosmonic-labs__mcp-server-template-ts__.backstage_catalog-info.yaml", manifest.FormatBackstage, true, 0, []string{manifest.RuleTemplate}},
		{"catalog-info/LLNL__radiuss-shared-ci__catalog-info.yml", manifest.FormatBackstage, false, 0, []string{manifest.RuleAPIVersion}},
		{"catalog-info/LedgerHQ__device-sdk-ts__catalog-info.yml", manifest.FormatBackstage, false, 5, []string{manifest.RuleDuplicateEntity, manifest.RuleUnknownKey}},
		{"catalog-info/PureGymGroup__infra-demo-api__.backstage_catalog-info.yaml", manifest.FormatBackstage, false, 3, nil},
		{"opslevel/OpsLevel__kubernetes-checks-demo__opslevel.yaml", manifest.FormatOpsLevel, false, 0, []string{manifest.RuleNotADescriptor}},
		{"opslevel/ConsultingMD__go-auth0__opslevel.yml", manifest.FormatOpsLevel, false, 1, []string{manifest.RuleOpsLevelRepository}},
		{"opslevel/WiserSolutions__intercom__opslevel.yml", manifest.FormatOpsLevel, false, 1, []string{manifest.RuleUnknownKey}},
	}
	for _, tt := range tests {
		t.Run(tt.local, func(t *testing.T) {
			f, ok := files[tt.local]
			if !ok {
				t.Fatalf("got no corpus file %s", tt.local)
			}
			d := manifest.Parse(f.path, f.data, defaultRules())
			if d.Format != tt.format || d.Template != tt.template || len(d.Entities) != tt.entities {
				t.Errorf("got format %s, template %v, %d entities, want %s, %v, %d", d.Format, d.Template, len(d.Entities), tt.format, tt.template, tt.entities)
			}
			for _, r := range tt.rules {
				if !slices.ContainsFunc(d.Findings, func(f manifest.Finding) bool { return f.Rule == r }) {
					t.Errorf("got findings\n%s want one with rule %s", findingsText(d.Findings), r)
				}
			}
		})
	}
}

func TestCorpusOpsLevelFields(t *testing.T) {
	files := map[string]corpusFile{}
	for _, f := range corpus(t) {
		files[f.local] = f
	}
	parse := func(t *testing.T, local string) manifest.Entity {
		t.Helper()
		f := files[local]
		d := manifest.Parse(f.path, f.data, defaultRules())
		if len(d.Entities) != 1 {
			t.Fatalf("got %d entities, want 1; findings:\n%s", len(d.Entities), findingsText(d.Findings))
		}
		return d.Entities[0]
	}
	t.Run("service form", func(t *testing.T) {
		e := parse(t, "opslevel/Opslevel-Sandbox-Inc__shopping-cart-service__opslevel.yml")
		checks := []struct{ field, got, want string }{
			{"kind", e.Kind, manifest.KindComponent},
			{"name", e.Name, "shopping-cart-service"},
			{"title", e.Title, "Shopping Cart Service"},
			{"owner", e.Owner, "order_management_team"},
			{"tier", e.Tier, "tier_1"},
			{"lifecycle", e.Lifecycle, "generally_available"},
			{"language", e.Language, "Ruby"},
			{"framework", e.Framework, "Rails"},
			{"system", e.System, "cart"},
			{"product", e.Product, "Retail Website"},
			{"type", e.Type, "service"},
			{"pagerduty", e.PagerDutyServiceID, "PAQ8CJA"},
			{"aliases", strings.Join(e.Aliases, ","), "cart,Shopping Cart Service,shopping-cart,ShoppingCartService"},
			{"dependsOn", strings.Join(e.DependsOn, ","), "catalog_service,order_workflow_service,wishlist,localization,stale_cart"},
			{"runbook", firstURL(e.Links.Runbooks), "http://ua.atlassian.com/etc"},
			{"dashboard", firstURL(e.Links.Dashboards), "https://datadog.com/dashboard"},
			{"docs", firstURL(e.Links.Docs), "https://gitlab.com/jklabsinc/OpsLevel/wikis/home"},
		}
		for _, c := range checks {
			if c.got != c.want {
				t.Errorf("%s: got %q, want %q", c.field, c.got, c.want)
			}
		}
		if !slices.Contains(e.Tags, "db:mysql") || len(e.Tools) != 15 {
			t.Errorf("got tags %v and %d tools, want db:mysql among the tags and 15 tools", e.Tags, len(e.Tools))
		}
	})
	t.Run("component form", func(t *testing.T) {
		e := parse(t, "opslevel/WiserSolutions__intercom__opslevel.yml")
		if e.Name != "intercom" || e.Type != "library" || e.Owner != "online_engineering" || e.Tier != "tier_3" || e.Framework != "React" || e.Language != "JavaScript" {
			t.Errorf("got %+v, want intercom, a library of online_engineering, tier_3, React, JavaScript", e)
		}
	})
	t.Run("repositories", func(t *testing.T) {
		e := parse(t, "opslevel/bigpandaio__bigpanda-jenkins-plugin__opslevel.yml")
		if len(e.Repositories) != 1 || e.Repositories[0].Slug != "bigpandaio/bigpanda-jenkins-plugin" || e.Repositories[0].Provider != "github" {
			t.Errorf("got repositories %+v, want bigpandaio/bigpanda-jenkins-plugin on github", e.Repositories)
		}
		if firstURL(e.Links.Runbooks) == "" || firstURL(e.Links.Docs) == "" {
			t.Errorf("got links %+v, want a runbook (Playbook) and docs (Wiki)", e.Links)
		}
	})
	t.Run("repository form", func(t *testing.T) {
		e := parse(t, "opslevel/ConsultingMD__go-auth0__opslevel.yml")
		if e.Kind != manifest.KindRepository || e.Owner != "cloud-platform" || e.Tier != "tier_2" {
			t.Errorf("got %+v, want a Repository owned by cloud-platform, tier_2", e)
		}
	})
}

func firstURL(ls []manifest.Link) string {
	if len(ls) == 0 {
		return ""
	}
	return ls[0].URL
}
