package standards_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/switchboard-dev/switchboard/manifest"
	"github.com/switchboard-dev/switchboard/standards"
)

func TestDefaultHasNoFindings(t *testing.T) {
	if got := standards.Check("default.yaml", standards.DefaultYAML()); len(got) != 0 {
		t.Fatalf("got findings %v, want none", got)
	}
	s := standards.Default()
	if s.Naming.Regexp() == nil {
		t.Errorf("got no naming regexp, want the default pattern compiled")
	}
	if got, want := s.Digest.Schedule, "0 9 * * 1-5"; got != want {
		t.Errorf("got schedule %q, want %q", got, want)
	}
	if got, want := s.Digest.Timezone, "UTC"; got != want {
		t.Errorf("got timezone %q, want %q", got, want)
	}
	if !s.GitLab.SkipForks || !s.GitLab.SkipArchived {
		t.Errorf("got skip_forks=%v skip_archived=%v, want both true", s.GitLab.SkipForks, s.GitLab.SkipArchived)
	}
	if len(s.Onboarding.Checklist) == 0 {
		t.Errorf("got an empty onboarding checklist, want the default steps")
	}
	for _, o := range s.Lifecycles {
		if o.DisplayLabel() == "" {
			t.Errorf("got empty label for lifecycle %q", o.Value)
		}
	}
}

func TestDefaultIsFresh(t *testing.T) {
	a := standards.Default()
	a.Languages = nil
	a.Enforce["naming"] = manifest.SeverityError
	b := standards.Default()
	if len(b.Languages) == 0 || b.Enforce["naming"] != manifest.SeverityWarning {
		t.Fatalf("got a Default changed by an earlier caller, want a fresh value")
	}
}

func TestRules(t *testing.T) {
	r := standards.Default().Rules()
	tests := []struct {
		vocab manifest.Vocabulary
		in    string
		want  string
		ok    bool
	}{
		{r.Lifecycles, "generally_available", "production", true},
		{r.Lifecycles, "Production", "production", true},
		{r.Lifecycles, "prod", "", false},
		{r.Tiers, "tier_1", "tier-1", true},
		{r.Languages, "Golang", "go", true},
		{r.Languages, "C#", "csharp", true},
		{r.Frameworks, "Node.js", "node", true},
		{r.Frameworks, "Spring Boot", "spring-boot", true},
		{r.Frameworks, "COBOL-on-Cogs", "", false},
	}
	for _, tt := range tests {
		got, ok := tt.vocab.Lookup(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Lookup(%q): got %q, %v, want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	if !r.NamePattern.MatchString("payments-api") || r.NamePattern.MatchString("Payments_API") {
		t.Errorf("got pattern %s, want it to accept payments-api and refuse Payments_API", r.NamePattern)
	}
	if got, want := standards.Default().DefaultName("payments", "frontend"), "payments-frontend"; got != want {
		t.Errorf("got default name %q, want %q", got, want)
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name     string
		yaml     string
		rule     string
		severity manifest.Severity
		line     int
		col      int
		message  string
	}{
		{"unknown top key", "version: 1\nlanguges: [go]\n", standards.RuleConfigUnknownKey, manifest.SeverityWarning, 2, 1, "did you mean languages?"},
		{"unknown nested key", "digest:\n  shedule: \"0 9 * * *\"\n", standards.RuleConfigUnknownKey, manifest.SeverityWarning, 2, 3, "did you mean schedule?"},
		{"bad regexp", "naming:\n  pattern: '^[a-z'\n", standards.RuleConfigValue, manifest.SeverityError, 2, 12, "not a valid regular expression"},
		{"bad cron", "digest:\n  schedule: \"0 25 * * *\"\n", standards.RuleConfigValue, manifest.SeverityError, 2, 13, "hour"},
		{"cron fields", "digest:\n  schedule: \"0 9 * *\"\n", standards.RuleConfigValue, manifest.SeverityError, 2, 13, "4 fields"},
		{"bad tz", "digest:\n  timezone: Mars/Olympus_Mons\n", standards.RuleConfigValue, manifest.SeverityError, 2, 13, "not a time zone"},
		{"duplicate value", "languages: [go, java, Go]\n", standards.RuleConfigDuplicate, manifest.SeverityWarning, 1, 23, "listed twice"},
		{"duplicate alias", "tiers:\n  - {value: tier-1, aliases: [tier_1]}\n  - {value: tier-2, aliases: [tier_1]}\n", standards.RuleConfigDuplicate, manifest.SeverityWarning, 3, 31, "listed twice"},
		{"bad severity", "enforce:\n  naming: fatal\n", standards.RuleConfigValue, manifest.SeverityError, 2, 11, "not a severity"},
		{"unknown rule", "enforce:\n  namming: error\n", standards.RuleConfigValue, manifest.SeverityError, 2, 3, "not a rule"},
		{"backstage rule", "enforce:\n  name-format: warning\n", standards.RuleConfigValue, manifest.SeverityWarning, 2, 3, "always an error"},
		{"unknown required", "required: [descripton]\n", standards.RuleConfigValue, manifest.SeverityError, 1, 12, "not one Switchboard knows"},
		{"wrong type", "gitlab:\n  skip_forks: sometimes\n", standards.RuleConfigType, manifest.SeverityError, 2, 15, "true or false"},
		{"list expected", "languages: go\n", standards.RuleConfigType, manifest.SeverityError, 1, 12, "must be a list"},
		{"bad glob", "gitlab:\n  ignore: ['sandbox/[']\n", standards.RuleConfigValue, manifest.SeverityError, 2, 12, "not a valid pattern"},
		{"bad placeholder", "naming:\n  default_name: '{squad}-{purpose}'\n", standards.RuleConfigValue, manifest.SeverityError, 2, 17, "unknown placeholder {squad}"},
		{"version", "version: 2\n", standards.RuleConfigValue, manifest.SeverityError, 1, 10, "version must be 1"},
		{"syntax", "naming:\n  pattern: [\n", standards.RuleConfigSyntax, manifest.SeverityError, 2, 3, "YAML syntax error"},
		{"not a mapping", "- go\n", standards.RuleConfigType, manifest.SeverityError, 1, 1, "must be a mapping"},
		{"maven no url", "dependencies:\n  maven:\n    repositories:\n      - token_env: NEXUS_TOKEN\n", standards.RuleConfigValue, manifest.SeverityError, 4, 9, "has no url"},
		{"maven bad url", "dependencies:\n  maven:\n    repositories:\n      - url: nexus.example.com\n", standards.RuleConfigValue, manifest.SeverityError, 4, 9, "not an http(s) URL"},
		{"maven token itself", "dependencies:\n  maven:\n    repositories:\n      - url: https://nexus.example.com/m2\n        token_env: glpat-abc.def\n", standards.RuleConfigValue, manifest.SeverityError, 5, 20, "not an environment variable"},
		{"maven key typo", "dependencies:\n  maven:\n    repositories:\n      - url: https://nexus.example.com/m2\n        tokn_env: T\n", standards.RuleConfigUnknownKey, manifest.SeverityWarning, 5, 9, "did you mean token_env?"},
		{"sbom half", "dependencies:\n  sbom:\n    job: sbom\n", standards.RuleConfigValue, manifest.SeverityError, 3, 5, "needs both job and path"},
		{"sbom path", "dependencies:\n  sbom:\n    job: sbom\n    path: ../bom.json\n", standards.RuleConfigValue, manifest.SeverityError, 4, 11, "must be relative"},
		{"bad url", "onboarding:\n  checklist:\n    - {title: Read, url: wiki/start}\n", standards.RuleConfigValue, manifest.SeverityError, 3, 26, "not an absolute URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			findings := standards.Check("sb.yaml", []byte(tt.yaml))
			for _, f := range findings {
				if f.Rule == tt.rule && strings.Contains(f.Message, tt.message) {
					if f.Severity != tt.severity || f.Line != tt.line || f.Col != tt.col || f.Path != "sb.yaml" {
						t.Errorf("got %s (%s), want %s at sb.yaml:%d:%d", f, f.Rule, tt.severity, tt.line, tt.col)
					}
					return
				}
			}
			t.Errorf("got %v, want a %s finding containing %q", findings, tt.rule, tt.message)
		})
	}
}

func TestDependencies(t *testing.T) {
	s, findings := standards.Parse("sb.yaml", []byte("dependencies:\n  maven:\n    repositories:\n      - url: https://nexus.example.com/m2/\n        token_env: NEXUS_TOKEN\n        username_env: NEXUS_USER\n      - {url: 'https://repo.maven.apache.org/maven2'}\n  sbom: {job: sbom, path: build/reports/bom.json}\n"))
	if len(findings) > 0 {
		t.Fatalf("findings: %v", findings)
	}
	want := standards.Dependencies{
		Maven: standards.Maven{Repositories: []standards.MavenRepository{
			{URL: "https://nexus.example.com/m2", TokenEnv: "NEXUS_TOKEN", UsernameEnv: "NEXUS_USER"},
			{URL: "https://repo.maven.apache.org/maven2"},
		}},
		SBOM: standards.SBOM{Job: "sbom", Path: "build/reports/bom.json"},
	}
	got := s.Dependencies
	for i := range got.Maven.Repositories {
		r := &got.Maven.Repositories[i]
		*r = standards.MavenRepository{URL: r.URL, TokenEnv: r.TokenEnv, UsernameEnv: r.UsernameEnv}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", s.Dependencies, want)
	}
	if d := standards.Default().Dependencies; len(d.Maven.Repositories) != 0 || d.SBOM != (standards.SBOM{}) {
		t.Errorf("default dependencies: %+v, want Maven Central and no SBOM artifact", d)
	}
}

// TestUnsetVariables: config check warns, at the position of the name,
// of each credential variable not set where it runs.
func TestUnsetVariables(t *testing.T) {
	s, findings := standards.Parse("sb.yaml", []byte("dependencies:\n  maven:\n    repositories:\n      - url: https://nexus.example.com/m2\n        token_env: NEXUS_TOKEN\n        username_env: NEXUS_USER\n"))
	if len(findings) > 0 {
		t.Fatalf("findings: %v", findings)
	}
	env := map[string]string{"NEXUS_USER": "ci"}
	got := s.UnsetVariables("sb.yaml", func(k string) string { return env[k] })
	if len(got) != 1 || got[0].Line != 5 || got[0].Col != 20 || got[0].Severity != manifest.SeverityWarning || !strings.Contains(got[0].Message, "NEXUS_TOKEN is not set") {
		t.Fatalf("got %v, want one warning at 5:20 about NEXUS_TOKEN", got)
	}
	env["NEXUS_TOKEN"] = "t"
	if got := s.UnsetVariables("sb.yaml", func(k string) string { return env[k] }); len(got) != 0 {
		t.Errorf("all set: got %v", got)
	}
}

func TestOverridesKeepDefaults(t *testing.T) {
	s, findings := standards.Parse("sb.yaml", []byte("languages: [go, java]\nenforce:\n  naming: error\n  unknown-key: off\nrequired: [runbook, pagerduty]\n"))
	if len(findings) != 0 {
		t.Fatalf("got findings %v, want none", findings)
	}
	if got := len(s.Languages); got != 2 {
		t.Errorf("got %d languages, want 2", got)
	}
	if len(s.Tiers) == 0 || s.Digest.Schedule == "" {
		t.Errorf("got tiers %v and schedule %q, want the defaults kept", s.Tiers, s.Digest.Schedule)
	}
	r := s.Rules()
	if r.Severity["naming"] != manifest.SeverityError || r.Severity["unknown-key"] != manifest.SeverityOff {
		t.Errorf("got severities %v, want naming=error unknown-key=off", r.Severity)
	}
	if got := strings.Join(r.Required, ","); got != "runbook,pagerduty" {
		t.Errorf("got required %q, want runbook,pagerduty", got)
	}
	empty, _ := standards.Parse("sb.yaml", []byte("languages: []\n"))
	if got := empty.Rules().Languages; len(got) != 0 {
		t.Errorf("got languages %v, want none (any language allowed)", got)
	}
}

func TestLoad(t *testing.T) {
	s, findings, err := standards.Load("")
	if err != nil || len(findings) != 0 || s == nil {
		t.Fatalf("Load(\"\"): got %v, %v, %v, want the default", s, findings, err)
	}
	dir := t.TempDir()
	if _, _, err := standards.Load(filepath.Join(dir, "missing.yaml")); err == nil {
		t.Errorf("got no error for a missing file, want one")
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("digest:\n  timezone: Nowhere/Land\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, findings, err := standards.Load(bad); err == nil || len(findings) == 0 {
		t.Errorf("got err %v with %d findings, want an error and its finding", err, len(findings))
	}
}

func TestGitLabIgnored(t *testing.T) {
	g := standards.GitLab{Ignore: []string{"sandbox/**", "team/*-poc", "legacy/app"}}
	tests := []struct {
		path string
		want bool
	}{
		{"sandbox/a/b", true},
		{"team/x-poc", true},
		{"team/x-poc/y", false},
		{"legacy/app", true},
		{"legacy/app2", false},
		{"payments/api", false},
	}
	for _, tt := range tests {
		if got := g.Ignored(tt.path); got != tt.want {
			t.Errorf("Ignored(%q): got %v, want %v", tt.path, got, tt.want)
		}
	}
}

func TestLevelNames(t *testing.T) {
	var none *standards.Standards
	if got := none.LevelNames(); !reflect.DeepEqual(got, []string{"bronze", "silver", "gold"}) {
		t.Errorf("nil standards: got %v, want the default card's levels", got)
	}
	s, findings := standards.Parse("sb.yaml", []byte("scorecard:\n  levels: [basic, good]\n  checks:\n    - {id: owner, level: basic, fact: has_owner, message: Set an owner.}\n    - {id: readme, level: good, fact: readme, message: Add a README.}\n"))
	if len(findings) > 0 {
		t.Fatalf("findings: %v", findings)
	}
	if got := s.LevelNames(); !reflect.DeepEqual(got, []string{"basic", "good"}) {
		t.Errorf("got %v, want [basic good]", got)
	}
}
