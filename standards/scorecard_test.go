package standards_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/switchboard-dev/switchboard/manifest"
	"github.com/switchboard-dev/switchboard/scorecard"
	"github.com/switchboard-dev/switchboard/standards"
)

// scoreYAML is a scorecard section with one check of each level; lines
// 1-8 are fixed, so a test can append a check at line 9.
const scoreYAML = `scorecard:
  levels: [bronze, silver, gold]
  checks:
    - {id: owner, level: bronze, fact: has_owner, message: Set spec.owner.}
    - {id: runbook, level: silver, fact: runbook, message: Add a runbook link.}
    - id: merged
      level: gold
      fact: last_merge_age
`

func TestScorecardCheck(t *testing.T) {
	tests := []struct {
		name     string
		yaml     string
		rule     string
		severity manifest.Severity
		line     int
		col      int
		message  string
	}{
		{"unknown fact", scoreYAML + "      op: le\n      value: 90d\n    - {id: x, level: gold, fact: oncall_nw, message: m}\n", standards.RuleConfigValue, manifest.SeverityError, 11, 34, "did you mean oncall_now?"},
		{"unknown parametrised fact", scoreYAML + "      op: le\n      value: 90d\n    - {id: x, level: gold, fact: 'fille:README*', message: m}\n", standards.RuleConfigValue, manifest.SeverityError, 11, 34, "did you mean file:README*?"},
		{"bad glob", scoreYAML + "      op: le\n      value: 90d\n    - {id: x, level: gold, fact: 'file:{a,b', message: m}\n", standards.RuleConfigValue, manifest.SeverityError, 11, 34, "not closed"},
		{"no glob", scoreYAML + "      op: le\n      value: 90d\n    - {id: x, level: gold, fact: 'file:', message: m}\n", standards.RuleConfigValue, manifest.SeverityError, 11, 34, "needs a glob"},
		{"unknown operator", scoreYAML + "      op: gee\n      value: 90d\n", standards.RuleConfigValue, manifest.SeverityError, 9, 11, "did you mean ge?"},
		{"operator on wrong kind", scoreYAML + "      op: le\n      value: 90d\n    - {id: x, level: gold, fact: has_owner, op: gt, value: 1, message: m}\n", standards.RuleConfigType, manifest.SeverityError, 11, 49, "operator gt does not apply"},
		{"needs an operator", scoreYAML, standards.RuleConfigValue, manifest.SeverityError, 6, 7, "say how to compare it"},
		{"needs a value", scoreYAML + "      op: le\n", standards.RuleConfigValue, manifest.SeverityError, 9, 11, "needs a value"},
		{"takes no value", scoreYAML + "      op: le\n      value: 90d\n    - {id: x, level: gold, fact: readme, op: true, value: true, message: m}\n", standards.RuleConfigValue, manifest.SeverityError, 11, 59, "takes no value"},
		{"number expected", scoreYAML + "      op: le\n      value: 90d\n    - {id: x, level: gold, fact: owner_team_size, op: ge, value: two, message: m}\n", standards.RuleConfigType, manifest.SeverityError, 11, 66, "needs a number value, got a string"},
		{"bool expected", scoreYAML + "      op: le\n      value: 90d\n    - {id: x, level: gold, fact: readme, op: eq, value: 1, message: m}\n", standards.RuleConfigType, manifest.SeverityError, 11, 57, "needs a bool value"},
		{"duration without unit", scoreYAML + "      op: le\n      value: 90\n", standards.RuleConfigValue, manifest.SeverityError, 10, 14, "has no unit"},
		{"list expected", scoreYAML + "      op: le\n      value: 90d\n    - {id: x, level: gold, fact: tier, op: in, value: tier-1, message: m}\n", standards.RuleConfigType, manifest.SeverityError, 11, 55, "needs a list of text value"},
		{"empty in", scoreYAML + "      op: le\n      value: 90d\n    - {id: x, level: gold, fact: tier, op: in, value: [], message: m}\n", standards.RuleConfigValue, manifest.SeverityError, 11, 55, "needs at least one value"},
		{"bad regexp", scoreYAML + "      op: le\n      value: 90d\n    - {id: x, level: gold, fact: runbook, op: matches, value: '([', message: m}\n", standards.RuleConfigValue, manifest.SeverityError, 11, 63, "not a valid regular expression"},
		{"unknown level", scoreYAML + "      op: le\n      value: 90d\n    - {id: x, level: silvr, fact: readme, message: m}\n", standards.RuleConfigValue, manifest.SeverityError, 11, 22, "did you mean silver?"},
		{"duplicate id", scoreYAML + "      op: le\n      value: 90d\n    - {id: runbook, level: gold, fact: readme, message: m}\n", standards.RuleConfigDuplicate, manifest.SeverityError, 11, 12, "used twice (first at line 5)"},
		{"bad id", scoreYAML + "      op: le\n      value: 90d\n    - {id: Has Readme, level: gold, fact: readme, message: m}\n", standards.RuleConfigValue, manifest.SeverityError, 11, 12, "not a valid id"},
		{"no id", scoreYAML + "      op: le\n      value: 90d\n    - {level: gold, fact: readme, message: m}\n", standards.RuleConfigValue, manifest.SeverityError, 11, 7, "has no id"},
		{"no fact", scoreYAML + "      op: le\n      value: 90d\n    - {id: x, level: gold, message: m}\n", standards.RuleConfigValue, manifest.SeverityError, 11, 7, "has no fact"},
		{"no message", scoreYAML + "      op: le\n      value: 90d\n    - {id: x, level: gold, fact: readme}\n", standards.RuleConfigValue, manifest.SeverityWarning, 11, 7, "check x has no message"},
		{"duplicate level", "scorecard:\n  levels: [bronze, silver, Bronze]\n  checks: []\n", standards.RuleConfigDuplicate, manifest.SeverityError, 2, 28, "listed twice"},
		{"no levels", "scorecard:\n  levels: []\n  checks: []\n", standards.RuleConfigValue, manifest.SeverityError, 2, 11, "at least one level"},
		{"level without checks", "scorecard:\n  levels: [bronze, silver]\n  checks:\n    - {id: x, level: bronze, fact: readme, message: m}\n", standards.RuleConfigValue, manifest.SeverityWarning, 2, 20, "level silver has no checks"},
		{"no checks", "scorecard:\n  levels: [bronze]\n", standards.RuleConfigValue, manifest.SeverityError, 2, 3, "no checks"},
		{"checks not a list", "scorecard:\n  levels: [bronze]\n  checks: {id: x}\n", standards.RuleConfigType, manifest.SeverityError, 3, 11, "must be a list"},
		{"section not a mapping", "scorecard: [bronze]\n", standards.RuleConfigType, manifest.SeverityError, 1, 12, "must be a mapping"},
		{"unknown section key", "scorecard:\n  level: [bronze]\n  checks: []\n", standards.RuleConfigUnknownKey, manifest.SeverityWarning, 2, 3, "did you mean levels?"},
		{"unknown check key", scoreYAML + "      op: le\n      value: 90d\n      mesage: m\n", standards.RuleConfigUnknownKey, manifest.SeverityWarning, 11, 7, "did you mean message?"},
		{"unknown applies_to key", scoreYAML + "      op: le\n      value: 90d\n      applies_to: {tier: [tier-1]}\n", standards.RuleConfigUnknownKey, manifest.SeverityWarning, 11, 20, "did you mean tiers?"},
		{"unknown tier", scoreYAML + "      op: le\n      value: 90d\n      applies_to: {tiers: [tier-1, tier-9]}\n", standards.RuleConfigValue, manifest.SeverityWarning, 11, 36, "did you mean tier-1?"},
		{"unknown lifecycle", scoreYAML + "      op: le\n      value: 90d\n      applies_to: {lifecycles: [producton]}\n", standards.RuleConfigValue, manifest.SeverityWarning, 11, 33, "did you mean production?"},
		{"errors keep the previous card", scoreYAML, standards.RuleConfigValue, manifest.SeverityInfo, 1, 1, "previous scorecard stays in force"},
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

func checkIDs(c *scorecard.Card) []string {
	var out []string
	for _, ch := range c.Checks() {
		out = append(out, ch.ID)
	}
	return out
}

// TestDefaultScorecard: the embedded card has the checks, each
// saying how to pass, and grades a well-kept service gold.
func TestDefaultScorecard(t *testing.T) {
	card := standards.Default().Scorecard
	if card == nil {
		t.Fatal("got no default scorecard")
	}
	var levels []string
	for _, l := range card.Levels() {
		levels = append(levels, l.Name)
	}
	if got := strings.Join(levels, ","); got != "bronze,silver,gold" {
		t.Errorf("got levels %s, want bronze,silver,gold", got)
	}
	facts := map[string]bool{}
	for _, ch := range card.Checks() {
		facts[ch.Fact] = true
		if ch.Message == "" || ch.Name == "" {
			t.Errorf("check %s: got name %q message %q, want both", ch.ID, ch.Name, ch.Message)
		}
	}
	for _, f := range []string{"has_owner", "owner_is_team", "owner_team_size", "oncall_now", "runbook", "slack_channel", "readme",
		"ci_config", "descriptor_valid", "vulnerable_dependencies", "last_merge_age", "lifecycle", "tier"} {
		if !facts[f] {
			t.Errorf("default scorecard has no check on %s", f)
		}
	}
	good := scorecard.Values{}
	for _, n := range card.Needs() {
		f, _ := scorecard.LookupFact(n.Name)
		switch f.Kind {
		case scorecard.KindBool:
			good[n.Key()] = scorecard.Bool(true)
		case scorecard.KindText:
			good[n.Key()] = scorecard.Text("set")
		}
	}
	good["owner_team_size"] = scorecard.Number(4)
	good["vulnerable_dependencies"] = scorecard.Number(0)
	good["last_merge_age"] = scorecard.Duration(0)
	svc := scorecard.Service{Tier: "tier-1", Lifecycle: "production"}
	if g := card.Evaluate(svc, good); g.Level != 3 || g.Next != 0 {
		t.Errorf("well-kept service: got level %d next %d (missing %v), want gold", g.Level, g.Next, g.Missing)
	}
	good["oncall_now"] = scorecard.UnknownValue(scorecard.KindBool, "PagerDuty did not answer")
	if g := card.Evaluate(svc, good); g.Level != 1 || g.Ceiling != 3 || len(g.Missing) != 1 || g.Missing[0].Status != scorecard.Unknown {
		t.Errorf("PagerDuty down: got level %d ceiling %d missing %v, want bronze, ceiling gold, oncall unknown", g.Level, g.Ceiling, g.Missing)
	}
	// oncall-now applies to production services only.
	if g := card.Evaluate(scorecard.Service{Tier: "tier-3", Lifecycle: "experimental"}, good); g.Level != 3 {
		t.Errorf("experimental service: got level %d, want gold (on call not asked)", g.Level)
	}
}

// TestScorecardAllOrNothing: a scorecard section with an error leaves the
// previous card in force, whole; one without errors replaces it.
func TestScorecardAllOrNothing(t *testing.T) {
	def := standards.Default().Scorecard
	custom := "scorecard:\n  levels: [basic, good]\n  checks:\n    - {id: owner, level: basic, fact: has_owner, message: m}\n    - {id: team, level: good, fact: owner_is_team, op: true, message: m}\n"
	prev, findings := standards.Parse("sb.yaml", []byte(custom))
	if len(findings) != 0 {
		t.Fatalf("got findings %v, want none", findings)
	}
	if got := strings.Join(checkIDs(prev.Scorecard), ","); got != "owner,team" {
		t.Fatalf("got checks %s, want owner,team", got)
	}
	if prev.Scorecard.Checks()[1].Op != scorecard.OpTrue {
		t.Errorf("op: true read as %v, want the operator true", prev.Scorecard.Checks()[1].Op)
	}
	// The second check is broken; the first one alone must not be used.
	broken := "scorecard:\n  levels: [basic, good]\n  checks:\n    - {id: readme, level: basic, fact: readme, message: m}\n    - {id: size, level: good, fact: owner_team_size, op: ge, value: two, message: m}\n"
	tests := []struct {
		name string
		base *standards.Standards
		want []string
	}{
		{"over the default", nil, checkIDs(def)},
		{"over the previous file", prev, []string{"owner", "team"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s *standards.Standards
			if tt.base == nil {
				s, findings = standards.Parse("sb.yaml", []byte(broken))
			} else {
				s, findings = standards.ParseOver("sb.yaml", []byte(broken), tt.base)
			}
			if !slices.ContainsFunc(findings, func(f manifest.Finding) bool { return f.Severity == manifest.SeverityError && f.Line == 5 }) {
				t.Errorf("got findings %v, want an error at line 5", findings)
			}
			if got := checkIDs(s.Scorecard); !slices.Equal(got, tt.want) {
				t.Errorf("got checks %v, want %v", got, tt.want)
			}
		})
	}
	// ParseOver without levels keeps the previous levels; base is untouched.
	s, findings := standards.ParseOver("sb.yaml", []byte("scorecard:\n  checks:\n    - {id: ci, level: good, fact: ci_config, message: m}\nenforce:\n  naming: error\n"), prev)
	if len(findings) != 0 {
		t.Fatalf("got findings %v, want none", findings)
	}
	if got := strings.Join(checkIDs(s.Scorecard), ","); got != "ci" || s.Scorecard.LevelName(2) != "good" {
		t.Errorf("got checks %s levels %v, want ci over basic, good", got, s.Scorecard.Levels())
	}
	if prev.Enforce["naming"] == manifest.SeverityError || strings.Join(checkIDs(prev.Scorecard), ",") != "owner,team" {
		t.Errorf("ParseOver changed its base")
	}
}

// TestScorecardAppliesToCanonical: applies_to's tiers and lifecycles are
// read with the file's own vocabularies, wherever in the file they are.
func TestScorecardAppliesToCanonical(t *testing.T) {
	data := "scorecard:\n  levels: [bronze]\n  checks:\n    - {id: x, level: bronze, fact: readme, message: m, applies_to: {tiers: [gold-tier, Tier_2], lifecycles: [ga]}}\n" +
		"tiers:\n  - {value: tier-1, aliases: [gold-tier]}\n  - tier-2\nlifecycles:\n  - {value: production, aliases: [ga]}\n"
	s, findings := standards.Parse("sb.yaml", []byte(data))
	if len(findings) != 0 {
		t.Fatalf("got findings %v, want none", findings)
	}
	a := s.Scorecard.Checks()[0].AppliesTo
	if got := strings.Join(a.Tiers, ",") + "|" + strings.Join(a.Lifecycles, ","); got != "tier-1,tier-2|production" {
		t.Errorf("got %s, want tier-1,tier-2|production", got)
	}
}
