package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const lintValidComponent = `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments-api
  description: Takes payments.
  annotations:
    pagerduty.com/service-id: PABC123
    pagerduty.com/integration-key: 0123456789abcdef0123456789abcdef
    gitlab.com/project-slug: payments/payments-api
    slack.com/bot-notify: "#payments-alerts"
    backstage.io/techdocs-ref: dir:.
  links:
    - url: https://wiki.example.com/payments/runbook
      title: Runbook
spec:
  type: service
  lifecycle: production
  owner: group:payments
`

const lintMissingOwner = `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments-api
spec:
  type: service
  lifecycle: production
`

const lintOpsLevel = `version: 1
service:
  name: Checkout
  owner: checkout_team
  tier: tier_9
  lifecycle: generally_available
`

// writeFiles creates files (path -> content) under a new temporary folder.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// lint runs the lint command with env as the environment.
func lint(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := lintCommand(context.Background(), args, &out, &errb, func(k string) string { return env[k] })
	return code, out.String(), errb.String()
}

func TestLintExitCodes(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"ok/catalog-info.yaml":     lintValidComponent,
		"broken/catalog-info.yaml": lintMissingOwner,
		"ops/opslevel.yml":         lintOpsLevel,
	})
	t.Run("valid component", func(t *testing.T) {
		code, out, stderr := lint(t, nil, filepath.Join(dir, "ok"))
		if code != 0 || out != "" {
			t.Errorf("got exit %d, output %q (stderr %q), want 0 and no finding", code, out, stderr)
		}
	})
	t.Run("missing spec.owner", func(t *testing.T) {
		code, out, _ := lint(t, nil, filepath.Join(dir, "broken", "catalog-info.yaml"))
		want := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(filepath.Join(dir, "broken", "catalog-info.yaml")) + `:5:1: error: spec\.owner is missing`)
		if code != 1 || !want.MatchString(out) {
			t.Errorf("got exit %d, output\n%s want 1 and path:5:1: error: naming spec.owner", code, out)
		}
	})
	t.Run("warnings only", func(t *testing.T) {
		code, out, _ := lint(t, nil, filepath.Join(dir, "ops"))
		if code != 0 || !strings.Contains(out, ": warning: tier \"tier_9\"") {
			t.Errorf("got exit %d, output\n%s want 0 and a tier warning", code, out)
		}
	})
	t.Run("bad flag", func(t *testing.T) {
		if code, _, _ := lint(t, nil, "--colour", dir); code != 2 {
			t.Errorf("got exit %d, want 2", code)
		}
	})
	t.Run("bad format", func(t *testing.T) {
		if code, _, stderr := lint(t, nil, "--format", "xml", dir); code != 2 || !strings.Contains(stderr, "xml") {
			t.Errorf("got exit %d, stderr %q, want 2 naming the format", code, stderr)
		}
	})
	t.Run("missing path", func(t *testing.T) {
		if code, _, stderr := lint(t, nil, filepath.Join(dir, "nope")); code != 2 || !strings.Contains(stderr, "nope") {
			t.Errorf("got exit %d, stderr %q, want 2 naming the path", code, stderr)
		}
	})
	t.Run("help", func(t *testing.T) {
		if code, _, stderr := lint(t, nil, "-h"); code != 0 || !strings.Contains(stderr, "Usage: switchboard lint") {
			t.Errorf("got exit %d, stderr %q, want 0 and usage", code, stderr)
		}
	})
}

func TestLintFolderMixingFormats(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"catalog-info.yaml":                     lintValidComponent,
		"services/checkout/opslevel.yml":        lintOpsLevel,
		"services/pay/.backstage/api.yaml":      lintMissingOwner,
		"node_modules/x/catalog-info.yaml":      lintMissingOwner,
		".git/catalog-info.yaml":                lintMissingOwner,
		"services/pay/values.yaml":              "not: a descriptor\n",
		"services/pay/.backstage/notes.md":      "# notes\n",
		"services/pay/docs/catalog-info.yml":    "# empty\n",
		"services/pay/.hidden/catalog-info.yml": lintMissingOwner,
	})
	code, out, stderr := lint(t, nil, "--format", "json", dir)
	if code != 1 {
		t.Errorf("got exit %d, want 1 (the .backstage file misses spec.owner); stderr %q", code, stderr)
	}
	var doc struct {
		Files []struct {
			Path   string `json:"path"`
			Format string `json:"format"`
		} `json:"files"`
		Summary struct {
			Files  int `json:"files"`
			Errors int `json:"errors"`
		} `json:"summary"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("got invalid JSON: %v\n%s", err, out)
	}
	var got []string
	for _, f := range doc.Files {
		rel, _ := filepath.Rel(dir, f.Path)
		got = append(got, filepath.ToSlash(rel)+"="+f.Format)
	}
	want := []string{"catalog-info.yaml=backstage", "services/checkout/opslevel.yml=opslevel", "services/pay/.backstage/api.yaml=backstage", "services/pay/docs/catalog-info.yml=backstage"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("got files %v, want %v", got, want)
	}
	if doc.Summary.Files != 4 || doc.Summary.Errors != 1 {
		t.Errorf("got summary %+v, want 4 files and 1 error", doc.Summary)
	}
}

func TestLintTextReportsEachFile(t *testing.T) {
	dir := writeFiles(t, map[string]string{"a/catalog-info.yaml": lintValidComponent, "b/opslevel.yml": lintOpsLevel})
	t.Chdir(dir)
	code, out, stderr := lint(t, nil)
	if code != 0 {
		t.Errorf("got exit %d, want 0", code)
	}
	for _, want := range []string{
		"a/catalog-info.yaml: 0 errors, 0 warnings (backstage, 1 entity)",
		"b/opslevel.yml: 0 errors, 1 warning (opslevel, 1 entity)",
		"2 files, 2 entities: 0 errors, 1 warning, 0 infos",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("got stderr\n%s want %q", stderr, want)
		}
	}
	if !strings.HasPrefix(out, "b/opslevel.yml:5:9: warning: tier") {
		t.Errorf("got stdout %q, want the tier warning of b/opslevel.yml", out)
	}
}

func TestLintCodeQuality(t *testing.T) {
	dir := writeFiles(t, map[string]string{"catalog-info.yaml": lintMissingOwner, "opslevel.yml": lintOpsLevel})
	t.Chdir(dir)
	code, out, _ := lint(t, nil, "--format", "codequality")
	if code != 1 {
		t.Errorf("got exit %d, want 1", code)
	}
	var issues []struct {
		Description string `json:"description"`
		CheckName   string `json:"check_name"`
		Fingerprint string `json:"fingerprint"`
		Severity    string `json:"severity"`
		Location    struct {
			Path  string `json:"path"`
			Lines struct {
				Begin int `json:"begin"`
			} `json:"lines"`
		} `json:"location"`
	}
	if err := json.Unmarshal([]byte(out), &issues); err != nil {
		t.Fatalf("got invalid JSON: %v\n%s", err, out)
	}
	if len(issues) < 2 {
		t.Fatalf("got %d issues, want at least 2:\n%s", len(issues), out)
	}
	first := issues[0]
	if first.Location.Path != "catalog-info.yaml" || first.Location.Lines.Begin != 5 || first.CheckName != "required" ||
		first.Severity != "major" || len(first.Fingerprint) != 64 || !strings.Contains(first.Description, "spec.owner") {
		t.Errorf("got %+v, want catalog-info.yaml line 5, required, major, a fingerprint and spec.owner", first)
	}
}

func TestLintStandardsFromEnvAndFlag(t *testing.T) {
	reserved := strings.Replace(lintValidComponent, "name: payments-api", "name: frontend", 1)
	dir := writeFiles(t, map[string]string{
		"svc/catalog-info.yaml": reserved,
		"strict.yaml":           "enforce:\n  reserved-name: error\n",
		"broken.yaml":           "digest:\n  timezone: Nowhere/Land\n",
	})
	svc := filepath.Join(dir, "svc")
	if code, out, _ := lint(t, nil, svc); code != 0 || !strings.Contains(out, "warning: name \"frontend\" is too generic") {
		t.Errorf("default standards: got exit %d, output %q, want 0 and a reserved-name warning", code, out)
	}
	env := map[string]string{"SWITCHBOARD_CONFIG": filepath.Join(dir, "strict.yaml")}
	if code, out, _ := lint(t, env, svc); code != 1 || !strings.Contains(out, "error: name \"frontend\" is too generic") || !strings.Contains(out, "payments-frontend") {
		t.Errorf("strict standards: got exit %d, output %q, want 1, an error and the payments-frontend suggestion", code, out)
	}
	if code, _, stderr := lint(t, nil, svc, "--config", filepath.Join(dir, "broken.yaml")); code != 2 || !strings.Contains(stderr, "broken.yaml:2:13") {
		t.Errorf("broken standards: got exit %d, stderr %q, want 2 and the position of the problem", code, stderr)
	}
}

func TestLintNoDescriptors(t *testing.T) {
	dir := writeFiles(t, map[string]string{"README.md": "hello\n"})
	code, out, stderr := lint(t, nil, dir)
	if code != 0 || out != "" || !strings.Contains(stderr, "no descriptor files found") {
		t.Errorf("got exit %d, output %q, stderr %q, want 0 and a note on stderr", code, out, stderr)
	}
}

func TestConfigCheck(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"ok.yaml":    "version: 1\nlanguages: [go, java]\n",
		"bad.yaml":   "version: 1\nlanguges: [go]\nnaming:\n  pattern: '^[a-z'\ndigest:\n  schedule: \"0 9 * *\"\n",
		"nexus.yaml": "version: 1\ndependencies:\n  maven:\n    repositories:\n      - {url: 'https://nexus.example.com/m2', token_env: NEXUS_TOKEN}\n",
	})
	run := func(env map[string]string, args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := configCheckCommand(context.Background(), args, &out, &errb, func(k string) string { return env[k] })
		return code, out.String(), errb.String()
	}
	t.Run("built-in default", func(t *testing.T) {
		if code, out, stderr := run(nil); code != 0 || out != "" || !strings.Contains(stderr, "ok") {
			t.Errorf("got exit %d, output %q, stderr %q, want 0", code, out, stderr)
		}
	})
	t.Run("valid file", func(t *testing.T) {
		if code, _, _ := run(nil, "check", filepath.Join(dir, "ok.yaml")); code != 0 {
			t.Errorf("got exit %d, want 0", code)
		}
	})
	t.Run("errors with positions", func(t *testing.T) {
		bad := filepath.Join(dir, "bad.yaml")
		code, out, _ := run(nil, bad)
		for _, want := range []string{
			bad + ":2:1: warning: unknown key languges: did you mean languages?",
			bad + ":4:12: error: naming.pattern is not a valid regular expression",
			bad + ":6:13: error: digest.schedule",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("got output\n%s want %q", out, want)
			}
		}
		if code != 1 {
			t.Errorf("got exit %d, want 1", code)
		}
	})
	t.Run("credential variable unset", func(t *testing.T) {
		f := filepath.Join(dir, "nexus.yaml")
		code, out, _ := run(nil, f)
		if want := f + ":5:58: warning: dependencies.maven.repositories[0].token_env: NEXUS_TOKEN is not set here"; code != 0 || !strings.Contains(out, want) {
			t.Errorf("got exit %d, output %q; want 0 and %q", code, out, want)
		}
		if code, out, _ := run(map[string]string{"NEXUS_TOKEN": "x"}, f); code != 0 || out != "" {
			t.Errorf("set: got exit %d, output %q; want 0 and nothing", code, out)
		}
	})
	t.Run("file from the environment", func(t *testing.T) {
		if code, _, _ := run(map[string]string{"SWITCHBOARD_CONFIG": filepath.Join(dir, "bad.yaml")}); code != 1 {
			t.Errorf("got exit %d, want 1", code)
		}
	})
	t.Run("json", func(t *testing.T) {
		code, out, _ := run(nil, "--format", "json", filepath.Join(dir, "bad.yaml"))
		var doc struct {
			Findings []map[string]any `json:"findings"`
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil || code != 1 || len(doc.Findings) != 3 {
			t.Errorf("got exit %d, %d findings, err %v, want 1 and 3 findings:\n%s", code, len(doc.Findings), err, out)
		}
	})
	t.Run("unreadable", func(t *testing.T) {
		if code, _, _ := run(nil, filepath.Join(dir, "missing.yaml")); code != 2 {
			t.Errorf("got exit %d, want 2", code)
		}
	})
	t.Run("bad flag", func(t *testing.T) {
		if code, _, _ := run(nil, "--nope"); code != 2 {
			t.Errorf("got exit %d, want 2", code)
		}
	})
}

// TestLintAsBackstageJudges runs the command over the cases of the issue
// "lint agrees with Backstage": what Backstage accepts exits 0, what it
// rejects exits 1 with an error at the line that causes it. (Every rule is
// held to Backstage's own verdicts in manifest's TestAgreesWithBackstage.)
func TestLintAsBackstageJudges(t *testing.T) {
	const head = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: payments-api\n"
	const spec = "spec:\n  type: service\n  lifecycle: production\n  owner: group:payments\n"
	tests := []struct {
		name string
		data string
		code int
		line int // of the first error, when code is 1
		msg  string
	}{
		{"extra spec keys of any type", head + spec + "  replicas: 3\n  ports: [80, 443]\n  notes:\n", 0, 0, ""},
		{"bytes that are not UTF-8", head + "  description: caf\xe9\n" + spec, 0, 0, ""},
		{"annotations without value", head + "  annotations:\n" + spec, 0, 0, ""},
		{"merge key", head + "spec:\n  <<: {type: service, lifecycle: production}\n  owner: group:payments\n", 1, 5, "spec.type is missing"},
		{"alias to an earlier document", "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: &t payments\nspec:\n  type: team\n  children: []\n---\n" + head + "spec:\n  type: service\n  lifecycle: production\n  owner: *t\n", 1, 16, "anchor in an earlier document"},
		{"tags without value", head + "  tags:\n" + spec, 1, 5, "metadata.tags is empty"},
		{"reference without a kind", head + spec + "  dependsOn: [payments-db]\n", 1, 9, "has no kind"},
		{"relations at the top level", head + spec + "relations: []\n", 1, 9, `"relations" is set by the catalog`},
		{"null where a string is required", head + spec + "  system:\n", 1, 9, "spec.system is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, map[string]string{"catalog-info.yaml": tt.data})
			code, out, stderr := lint(t, nil, dir)
			if code != tt.code {
				t.Fatalf("got exit %d, output\n%s%s want %d", code, out, stderr, tt.code)
			}
			if tt.code == 0 {
				return
			}
			want := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(filepath.Join(dir, "catalog-info.yaml")) + fmt.Sprintf(`:%d:\d+: error: .*`, tt.line) + regexp.QuoteMeta(tt.msg) + `.*\(fix: `)
			if !want.MatchString(out) {
				t.Errorf("got output\n%s want an error at line %d saying %q, with a fix", out, tt.line, tt.msg)
			}
		})
	}
}
