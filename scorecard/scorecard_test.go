package scorecard_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/scorecard"
)

var threeLevels = []scorecard.Level{{Name: "bronze"}, {Name: "silver"}, {Name: "gold"}}

func mustCompile(t testing.TB, levels []scorecard.Level, checks ...scorecard.Check) *scorecard.Card {
	t.Helper()
	c, err := scorecard.Compile(levels, checks)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	return c
}

func TestOperators(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		fact  string
		op    scorecard.Op
		want  scorecard.Value
		value scorecard.Value
		pass  bool
	}{
		{"has_owner", scorecard.OpTrue, scorecard.Value{}, scorecard.Bool(true), true},
		{"has_owner", scorecard.OpTrue, scorecard.Value{}, scorecard.Bool(false), false},
		{"has_owner", scorecard.OpFalse, scorecard.Value{}, scorecard.Bool(false), true},
		{"has_owner", scorecard.OpFalse, scorecard.Value{}, scorecard.Bool(true), false},
		{"has_owner", 0, scorecard.Value{}, scorecard.Bool(true), true}, // default: true
		{"has_owner", scorecard.OpEq, scorecard.Bool(false), scorecard.Bool(false), true},
		{"has_owner", scorecard.OpNe, scorecard.Bool(false), scorecard.Bool(false), false},
		{"runbook", scorecard.OpExists, scorecard.Value{}, scorecard.Text("https://wiki/rb"), true},
		{"runbook", scorecard.OpExists, scorecard.Value{}, scorecard.Text("  "), false},
		{"runbook", 0, scorecard.Value{}, scorecard.Text(""), false}, // default: exists
		{"tags", scorecard.OpExists, scorecard.Value{}, scorecard.List("pci"), true},
		{"tags", scorecard.OpExists, scorecard.Value{}, scorecard.List(), false},
		{"tier", scorecard.OpEq, scorecard.Text("tier-1"), scorecard.Text("Tier-1"), true},
		{"tier", scorecard.OpEq, scorecard.Text("tier-1"), scorecard.Text("tier-2"), false},
		{"tier", scorecard.OpNe, scorecard.Text("tier-1"), scorecard.Text("tier-2"), true},
		{"owner_team_size", scorecard.OpEq, scorecard.Number(2), scorecard.Number(2), true},
		{"owner_team_size", scorecard.OpNe, scorecard.Number(2), scorecard.Number(2), false},
		{"owner_team_size", scorecard.OpLt, scorecard.Number(2), scorecard.Number(1), true},
		{"owner_team_size", scorecard.OpLt, scorecard.Number(2), scorecard.Number(2), false},
		{"owner_team_size", scorecard.OpLe, scorecard.Number(2), scorecard.Number(2), true},
		{"owner_team_size", scorecard.OpLe, scorecard.Number(2), scorecard.Number(3), false},
		{"owner_team_size", scorecard.OpGt, scorecard.Number(2), scorecard.Number(3), true},
		{"owner_team_size", scorecard.OpGt, scorecard.Number(2), scorecard.Number(2), false},
		{"owner_team_size", scorecard.OpGe, scorecard.Number(2), scorecard.Number(2), true},
		{"owner_team_size", scorecard.OpGe, scorecard.Number(2), scorecard.Number(1), false},
		{"last_merge_age", scorecard.OpLe, scorecard.Duration(90 * day), scorecard.Duration(90 * day), true},
		{"last_merge_age", scorecard.OpLe, scorecard.Duration(90 * day), scorecard.Duration(91 * day), false},
		{"last_merge_age", scorecard.OpGt, scorecard.Duration(day), scorecard.Duration(time.Hour), false},
		{"last_merge_age", scorecard.OpEq, scorecard.Duration(day), scorecard.Duration(24 * time.Hour), true},
		{"lifecycle", scorecard.OpIn, scorecard.List("production", "Maintenance"), scorecard.Text("maintenance"), true},
		{"lifecycle", scorecard.OpIn, scorecard.List("production", "maintenance"), scorecard.Text("experimental"), false},
		{"tags", scorecard.OpContains, scorecard.Text("PCI"), scorecard.List("web", "pci"), true},
		{"tags", scorecard.OpContains, scorecard.Text("pci"), scorecard.List("pcidss"), false},
		{"description", scorecard.OpContains, scorecard.Text("Payments"), scorecard.Text("handles payments for checkout"), true},
		{"description", scorecard.OpContains, scorecard.Text("refunds"), scorecard.Text("handles payments"), false},
		{"runbook", scorecard.OpMatches, scorecard.Text(`^https://wiki\.example\.com/`), scorecard.Text("https://wiki.example.com/rb"), true},
		{"runbook", scorecard.OpMatches, scorecard.Text(`^https://wiki\.example\.com/`), scorecard.Text("http://elsewhere/rb"), false},
		{"tags", scorecard.OpMatches, scorecard.Text(`^team-`), scorecard.List("web", "team-pay"), true},
		{"tags", scorecard.OpMatches, scorecard.Text(`^team-`), scorecard.List("web"), false},
		{"file:README*", 0, scorecard.Value{}, scorecard.Bool(true), true},
		{"annotation:backstage.io/techdocs-ref", scorecard.OpExists, scorecard.Value{}, scorecard.Text("dir:."), true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %s %s on %s", tt.fact, tt.op, tt.want, tt.value), func(t *testing.T) {
			card := mustCompile(t, threeLevels, scorecard.Check{ID: "c", Level: "bronze", Fact: tt.fact, Op: tt.op, Value: tt.want})
			g := card.Evaluate(scorecard.Service{}, scorecard.Values{tt.fact: tt.value})
			if len(g.Results) != 1 {
				t.Fatalf("got %d results, want 1", len(g.Results))
			}
			want := scorecard.Failed
			if tt.pass {
				want = scorecard.Passed
			}
			if got := g.Results[0].Status; got != want {
				t.Errorf("got %s, want %s", got, want)
			}
		})
	}
}

func TestUnknownIsNeverFailed(t *testing.T) {
	card := mustCompile(t, threeLevels,
		scorecard.Check{ID: "owner", Level: "bronze", Fact: "has_owner"},
		scorecard.Check{ID: "oncall", Level: "silver", Fact: "oncall_now"},
		scorecard.Check{ID: "size", Level: "silver", Fact: "owner_team_size", Op: scorecard.OpGe, Value: scorecard.Number(2)},
	)
	tests := []struct {
		name       string
		values     scorecard.Values
		status     scorecard.Status // of oncall
		reason     string
		level      int
		ceiling    int
		missingIDs string
	}{
		{"pagerduty down", scorecard.Values{"has_owner": scorecard.Bool(true), "owner_team_size": scorecard.Number(3), "oncall_now": scorecard.UnknownValue(scorecard.KindBool, "PagerDuty did not answer")},
			scorecard.Unknown, "PagerDuty did not answer", 1, 3, "oncall"},
		{"not collected", scorecard.Values{"has_owner": scorecard.Bool(true), "owner_team_size": scorecard.Number(3)},
			scorecard.Unknown, "not collected", 1, 3, "oncall"},
		{"wrong kind", scorecard.Values{"has_owner": scorecard.Bool(true), "owner_team_size": scorecard.Number(3), "oncall_now": scorecard.Text("yes")},
			scorecard.Unknown, "collected as text, want bool", 1, 3, "oncall"},
		{"unknown and failed", scorecard.Values{"has_owner": scorecard.Bool(true), "owner_team_size": scorecard.Number(1), "oncall_now": scorecard.UnknownValue(scorecard.KindBool, "down")},
			scorecard.Unknown, "down", 1, 1, "size,oncall"},
		{"known", scorecard.Values{"has_owner": scorecard.Bool(true), "owner_team_size": scorecard.Number(2), "oncall_now": scorecard.Bool(true)},
			scorecard.Passed, "", 3, 3, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := card.Evaluate(scorecard.Service{}, tt.values)
			var oncall scorecard.Result
			for _, r := range g.Results {
				if r.ID == "oncall" {
					oncall = r
				}
			}
			if oncall.Status != tt.status || oncall.Value.Reason != tt.reason {
				t.Errorf("oncall: got %s (%q), want %s (%q)", oncall.Status, oncall.Value.Reason, tt.status, tt.reason)
			}
			if g.Level != tt.level || g.Ceiling != tt.ceiling {
				t.Errorf("got level %d ceiling %d, want %d and %d", g.Level, g.Ceiling, tt.level, tt.ceiling)
			}
			if got := ids(g.Missing); got != tt.missingIDs {
				t.Errorf("got missing %q, want %q", got, tt.missingIDs)
			}
		})
	}
}

func ids(rs []scorecard.Result) string {
	var out []string
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return strings.Join(out, ",")
}

func TestAppliesTo(t *testing.T) {
	svc := scorecard.Service{Tier: "tier-1", Lifecycle: "production", Type: "service", Team: "payments", Tags: []string{"pci", "java"}}
	tests := []struct {
		name    string
		applies scorecard.AppliesTo
		want    bool
	}{
		{"empty is every service", scorecard.AppliesTo{}, true},
		{"tier", scorecard.AppliesTo{Tiers: []string{"tier-1", "tier-2"}}, true},
		{"other tier", scorecard.AppliesTo{Tiers: []string{"tier-3"}}, false},
		{"lifecycle ignoring case", scorecard.AppliesTo{Lifecycles: []string{"Production"}}, true},
		{"other lifecycle", scorecard.AppliesTo{Lifecycles: []string{"experimental"}}, false},
		{"type", scorecard.AppliesTo{Types: []string{"website", "service"}}, true},
		{"other type", scorecard.AppliesTo{Types: []string{"library"}}, false},
		{"team", scorecard.AppliesTo{Teams: []string{"payments"}}, true},
		{"other team", scorecard.AppliesTo{Teams: []string{"search"}}, false},
		{"any tag", scorecard.AppliesTo{Tags: []string{"gdpr", "PCI"}}, true},
		{"no tag", scorecard.AppliesTo{Tags: []string{"gdpr"}}, false},
		{"all must match", scorecard.AppliesTo{Tiers: []string{"tier-1"}, Teams: []string{"search"}}, false},
		{"all match", scorecard.AppliesTo{Tiers: []string{"tier-1"}, Teams: []string{"payments"}, Tags: []string{"java"}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			card := mustCompile(t, threeLevels, scorecard.Check{ID: "c", Level: "bronze", Fact: "has_owner", AppliesTo: tt.applies})
			g := card.Evaluate(svc, scorecard.Values{"has_owner": scorecard.Bool(false)})
			if got := len(g.Results) == 1; got != tt.want {
				t.Errorf("got applies %v, want %v", got, tt.want)
			}
			if got := card.Applies(0, svc); got != tt.want {
				t.Errorf("Applies: got %v, want %v", got, tt.want)
			}
			// A check that does not apply does not hold the service back.
			if !tt.want && g.Level != 3 {
				t.Errorf("got level %d, want 3 (no applicable check)", g.Level)
			}
		})
	}
}

// levelsCard has two checks at bronze, one at silver and one at gold, the
// gold one only for tier-1.
func levelsCard(t testing.TB) *scorecard.Card {
	return mustCompile(t, threeLevels,
		scorecard.Check{ID: "owner", Level: "bronze", Fact: "has_owner"},
		scorecard.Check{ID: "readme", Level: "bronze", Fact: "readme"},
		scorecard.Check{ID: "runbook", Level: "silver", Fact: "runbook"},
		scorecard.Check{ID: "oncall", Level: "gold", Fact: "oncall_now", AppliesTo: scorecard.AppliesTo{Tiers: []string{"tier-1"}}},
	)
}

func TestLevels(t *testing.T) {
	card := levelsCard(t)
	yes, no := scorecard.Bool(true), scorecard.Bool(false)
	rb, none := scorecard.Text("https://rb"), scorecard.Text("")
	down := scorecard.UnknownValue(scorecard.KindBool, "down")
	tier1 := scorecard.Service{Tier: "tier-1"}
	tests := []struct {
		name    string
		svc     scorecard.Service
		values  scorecard.Values
		level   int
		ceiling int
		next    int
		missing string
	}{
		{"nothing", tier1, scorecard.Values{"has_owner": no, "readme": no, "runbook": none, "oncall_now": no}, 0, 0, 1, "owner,readme"},
		{"bronze", tier1, scorecard.Values{"has_owner": yes, "readme": yes, "runbook": none, "oncall_now": no}, 1, 1, 2, "runbook"},
		{"silver", tier1, scorecard.Values{"has_owner": yes, "readme": yes, "runbook": rb, "oncall_now": no}, 2, 2, 3, "oncall"},
		{"gold", tier1, scorecard.Values{"has_owner": yes, "readme": yes, "runbook": rb, "oncall_now": yes}, 3, 3, 0, ""},
		{"a higher pass does not skip a failed lower level", tier1, scorecard.Values{"has_owner": no, "readme": yes, "runbook": rb, "oncall_now": yes}, 0, 0, 1, "owner"},
		{"gold has no check for tier-3", scorecard.Service{Tier: "tier-3"}, scorecard.Values{"has_owner": yes, "readme": yes, "runbook": rb}, 3, 3, 0, ""},
		{"unknown blocks its level", tier1, scorecard.Values{"has_owner": yes, "readme": yes, "runbook": rb, "oncall_now": down}, 2, 3, 3, "oncall"},
		{"failed listed before unknown", tier1, scorecard.Values{"has_owner": down, "readme": no, "runbook": rb, "oncall_now": yes}, 0, 0, 1, "readme,owner"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := card.Evaluate(tt.svc, tt.values)
			if g.Level != tt.level || g.Ceiling != tt.ceiling || g.Next != tt.next {
				t.Errorf("got level %d ceiling %d next %d, want %d %d %d", g.Level, g.Ceiling, g.Next, tt.level, tt.ceiling, tt.next)
			}
			if got := ids(g.Missing); got != tt.missing {
				t.Errorf("got missing %q, want %q", got, tt.missing)
			}
		})
	}
	if got := card.LevelName(2); got != "silver" {
		t.Errorf("LevelName(2): got %q, want silver", got)
	}
	if got := card.LevelName(0) + card.LevelName(4); got != "" {
		t.Errorf("LevelName out of range: got %q, want empty", got)
	}
	if got := card.Rank("gold"); got != 3 {
		t.Errorf("Rank(gold): got %d, want 3", got)
	}
}

func TestWhereIsKept(t *testing.T) {
	card := levelsCard(t)
	g := card.Evaluate(scorecard.Service{}, scorecard.Values{
		"has_owner": scorecard.Bool(false).At("catalog-info.yaml", 7), "readme": scorecard.Bool(true), "runbook": scorecard.Text(""),
	})
	if len(g.Missing) != 1 || g.Missing[0].Value.Where == nil || g.Missing[0].Value.Where.String() != "catalog-info.yaml:7" {
		t.Fatalf("got missing %+v, want owner failed at catalog-info.yaml:7", g.Missing)
	}
}

func TestLifts(t *testing.T) {
	card := levelsCard(t)
	yes, no := scorecard.Bool(true), scorecard.Bool(false)
	rb, none := scorecard.Text("https://rb"), scorecard.Text("")
	down := scorecard.UnknownValue(scorecard.KindBool, "down")
	tier1 := scorecard.Service{Tier: "tier-1"}
	grade := func(owner, readme scorecard.Value, runbook scorecard.Value, oncall scorecard.Value) scorecard.Grade {
		return card.Evaluate(tier1, scorecard.Values{"has_owner": owner, "readme": readme, "runbook": runbook, "oncall_now": oncall})
	}
	tests := []struct {
		name   string
		grades []scorecard.Grade
		want   string // id:lifts:blocks, best first
	}{
		{"none missing", []scorecard.Grade{grade(yes, yes, rb, yes)}, ""},
		{"runbook lifts most", []scorecard.Grade{
			grade(yes, yes, none, no),  // runbook alone -> silver
			grade(yes, yes, none, yes), // runbook alone -> silver
			grade(no, yes, none, no),   // owner alone -> bronze
			grade(no, no, rb, yes),     // owner and readme: neither alone
		}, "runbook:2:2,owner:1:2,readme:0:1"},
		{"an unknown at the level lifts nothing", []scorecard.Grade{
			grade(down, no, rb, yes), // readme failed but owner unknown
			grade(yes, no, rb, yes),  // readme alone
		}, "readme:1:2"},
		{"ties by blocks then order", []scorecard.Grade{
			grade(yes, yes, rb, no),  // oncall alone -> gold
			grade(no, yes, rb, yes),  // owner alone -> bronze
			grade(no, no, none, yes), // owner and readme
		}, "owner:1:2,oncall:1:1,readme:0:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, l := range card.Lifts(tt.grades) {
				got = append(got, fmt.Sprintf("%s:%d:%d", l.ID, l.Lifts, l.Blocks))
			}
			if g := strings.Join(got, ","); g != tt.want {
				t.Errorf("got %q, want %q", g, tt.want)
			}
		})
	}
	by := card.ByLevel([]scorecard.Grade{grade(no, no, none, no), grade(yes, yes, none, no), grade(yes, yes, rb, yes), grade(yes, yes, rb, yes)})
	if fmt.Sprint(by) != "[1 1 0 2]" {
		t.Errorf("ByLevel: got %v, want [1 1 0 2]", by)
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name   string
		levels []scorecard.Level
		check  scorecard.Check
		want   string
	}{
		{"no level", nil, scorecard.Check{ID: "a", Level: "bronze", Fact: "has_owner"}, "at least one level"},
		{"unknown level", threeLevels, scorecard.Check{ID: "a", Level: "platinum", Fact: "has_owner"}, `level "platinum"`},
		{"unknown fact", threeLevels, scorecard.Check{ID: "a", Level: "bronze", Fact: "has_ownr"}, `unknown fact "has_ownr"`},
		{"bad id", threeLevels, scorecard.Check{ID: "Has Owner", Level: "bronze", Fact: "has_owner"}, "the id must be"},
		{"op on wrong kind", threeLevels, scorecard.Check{ID: "a", Level: "bronze", Fact: "has_owner", Op: scorecard.OpGt, Value: scorecard.Number(1)}, "does not apply to a bool fact"},
		{"number needs op", threeLevels, scorecard.Check{ID: "a", Level: "bronze", Fact: "owner_team_size"}, "needs an operator"},
		{"missing value", threeLevels, scorecard.Check{ID: "a", Level: "bronze", Fact: "owner_team_size", Op: scorecard.OpGe}, "needs a number value"},
		{"wrong value kind", threeLevels, scorecard.Check{ID: "a", Level: "bronze", Fact: "last_merge_age", Op: scorecard.OpLe, Value: scorecard.Number(90)}, "needs a duration value"},
		{"value not taken", threeLevels, scorecard.Check{ID: "a", Level: "bronze", Fact: "has_owner", Op: scorecard.OpTrue, Value: scorecard.Bool(true)}, "takes no value"},
		{"bad regexp", threeLevels, scorecard.Check{ID: "a", Level: "bronze", Fact: "tier", Op: scorecard.OpMatches, Value: scorecard.Text("([")}, "not a regular expression"},
		{"bad glob", threeLevels, scorecard.Check{ID: "a", Level: "bronze", Fact: "file:{a,b"}, "not closed"},
		{"glob needed", threeLevels, scorecard.Check{ID: "a", Level: "bronze", Fact: "file:"}, "needs a glob"},
		{"no param", threeLevels, scorecard.Check{ID: "a", Level: "bronze", Fact: "readme:x"}, "takes no parameter"},
		{"empty in", threeLevels, scorecard.Check{ID: "a", Level: "bronze", Fact: "tier", Op: scorecard.OpIn, Value: scorecard.List()}, "at least one value"},
		{"duplicate level", []scorecard.Level{{Name: "a"}, {Name: "a"}}, scorecard.Check{ID: "a", Level: "a", Fact: "readme"}, "listed twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := scorecard.Compile(tt.levels, []scorecard.Check{tt.check})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
	_, err := scorecard.Compile(threeLevels, []scorecard.Check{{ID: "a", Level: "bronze", Fact: "readme"}, {ID: "a", Level: "silver", Fact: "ci_config"}})
	if err == nil || !strings.Contains(err.Error(), "used twice") {
		t.Errorf("duplicate id: got %v, want used twice", err)
	}
}

func TestNeeds(t *testing.T) {
	card := mustCompile(t, threeLevels,
		scorecard.Check{ID: "a", Level: "bronze", Fact: "readme"},
		scorecard.Check{ID: "b", Level: "silver", Fact: " file : docs/**/*.md "},
		scorecard.Check{ID: "c", Level: "gold", Fact: "readme"},
		scorecard.Check{ID: "d", Level: "gold", Fact: "annotation:backstage.io/techdocs-ref"},
	)
	var got []string
	for _, n := range card.Needs() {
		got = append(got, n.Key())
	}
	if g := strings.Join(got, " "); g != "readme file:docs/**/*.md annotation:backstage.io/techdocs-ref" {
		t.Errorf("got needs %q", g)
	}
	if f := card.Checks()[1].Fact; f != "file:docs/**/*.md" {
		t.Errorf("got canonical fact %q, want file:docs/**/*.md", f)
	}
}

func TestGlob(t *testing.T) {
	tests := []struct {
		pattern, path string
		want          bool
	}{
		{"README*", "README.md", true},
		{"README*", "readme.rst", true},
		{"README*", "docs/README.md", false},
		{"/.gitlab-ci.yml", ".gitlab-ci.yml", true},
		{".gitlab-ci.yml", "x.gitlab-ci.yml", false},
		{".gitlab-ci.yml", ".gitlab-ciXyml", false},
		{"docs/**/*.md", "docs/a.md", true},
		{"docs/**/*.md", "docs/a/b/c.md", true},
		{"docs/**/*.md", "src/docs/a.md", false},
		{"**/log4j2.xml", "src/main/resources/log4j2.xml", true},
		{"**/log4j2.xml", "log4j2.xml", true},
		{"*.tf", "infra/main.tf", false},
		{"Dockerfile?", "Dockerfile2", true},
		{"Dockerfile?", "Dockerfile/x", false},
		{"README{,.md,.rst}", "README", true},
		{"README{,.md,.rst}", "README.rst", true},
		{"README{,.md,.rst}", "README.txt", false},
		{"a+b(c)", "a+b(c)", true},
		{"café/*.md", "CAFÉ/x.md", true},
	}
	for _, tt := range tests {
		g, err := scorecard.CompileGlob(tt.pattern)
		if err != nil {
			t.Errorf("CompileGlob(%q): %v", tt.pattern, err)
			continue
		}
		if got := g.Match(tt.path); got != tt.want {
			t.Errorf("%q matches %q: got %v, want %v (regexp %s)", tt.pattern, tt.path, got, tt.want, g.Regexp())
		}
	}
	for _, bad := range []string{"", "/", "../x", "a/{b,{c}}", "{a"} {
		if _, err := scorecard.CompileGlob(bad); err == nil {
			t.Errorf("CompileGlob(%q): got no error, want one", bad)
		}
	}
}

func TestParseDuration(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		in   string
		want time.Duration
		err  bool
	}{
		{"90d", 90 * day, false},
		{"2w", 14 * day, false},
		{"1d12h", 36 * time.Hour, false},
		{"1.5h", 90 * time.Minute, false},
		{"30m", 30 * time.Minute, false},
		{"90", 0, true},
		{"d", 0, true},
		{"3y", 0, true},
		{"-3d", 0, true},
		{"", 0, true},
		{"99999999999999999w", 0, true},
		{"5000w", 5000 * 7 * day, false},
		{"5000w5000w", 0, true}, // each part fits, the sum does not
	}
	for _, tt := range tests {
		got, err := scorecard.ParseDuration(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseDuration(%q): got %v, %v, want %v (error %v)", tt.in, got, err, tt.want, tt.err)
		}
	}
	if got := scorecard.FormatDuration(90 * day); got != "90d" {
		t.Errorf("FormatDuration: got %q, want 90d", got)
	}
}

func TestOps(t *testing.T) {
	for _, name := range scorecard.OpNames() {
		op, ok := scorecard.ParseOp(name)
		if !ok || op.String() != name {
			t.Errorf("ParseOp(%q): got %v %v", name, op, ok)
		}
	}
	if op, ok := scorecard.ParseOp(">="); !ok || op != scorecard.OpGe {
		t.Errorf("ParseOp(>=): got %v %v, want ge", op, ok)
	}
	if _, ok := scorecard.ParseOp("tru"); ok {
		t.Errorf("ParseOp(tru): got ok, want not an operator")
	}
	tests := []struct {
		kind scorecard.Kind
		want string
	}{
		{scorecard.KindBool, "true false eq ne"},
		{scorecard.KindNumber, "eq ne lt le gt ge"},
		{scorecard.KindText, "exists eq ne in contains matches"},
		{scorecard.KindList, "exists contains matches"},
		{scorecard.KindDuration, "eq ne lt le gt ge"},
	}
	for _, tt := range tests {
		if got := strings.Join(scorecard.OpsFor(tt.kind), " "); got != tt.want {
			t.Errorf("OpsFor(%s): got %q, want %q", tt.kind, got, tt.want)
		}
	}
}

func TestRegistry(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range scorecard.Facts() {
		if seen[f.Name] {
			t.Errorf("fact %s listed twice", f.Name)
		}
		seen[f.Name] = true
		if f.Doc == "" || f.Source == "" || f.Kind == 0 {
			t.Errorf("fact %s: got doc %q source %q kind %v, want all set", f.Name, f.Doc, f.Source, f.Kind)
		}
		if strings.Contains(f.Name, ":") {
			t.Errorf("fact %s: a name may not hold ':'", f.Name)
		}
	}
	// What the default scorecard needs, and the generic ones.
	for _, name := range []string{"has_owner", "owner_is_team", "owner_team_size", "oncall_now", "runbook", "slack_channel",
		"readme", "ci_config", "descriptor_valid", "lint_errors", "vulnerable_dependencies", "last_merge_age", "lifecycle",
		"tier", "file", "annotation", "tags", "escalation_levels", "default_branch_protected", "incidents_30d"} {
		if !seen[name] {
			t.Errorf("registry has no %s", name)
		}
	}
	if f, _ := scorecard.LookupFact("oncall_now"); !f.MayBeUnknown || f.Source != scorecard.SourcePagerDuty {
		t.Errorf("oncall_now: got %+v, want a PagerDuty fact that may be unknown", f)
	}
}

// BenchmarkEvaluate grades 6,000 services against a card of 20 checks
// (every operator, applies_to filters, some facts unknown), then finds the
// best lift over all grades; facts are collected beforehand.
func BenchmarkEvaluate(b *testing.B) {
	day := 24 * time.Hour
	checks := []scorecard.Check{
		{ID: "owner", Level: "bronze", Fact: "has_owner"},
		{ID: "valid", Level: "bronze", Fact: "descriptor_valid"},
		{ID: "lifecycle", Level: "bronze", Fact: "lifecycle", Op: scorecard.OpIn, Value: scorecard.List("production", "experimental", "maintenance")},
		{ID: "tier", Level: "bronze", Fact: "tier", Op: scorecard.OpExists},
		{ID: "readme", Level: "bronze", Fact: "readme"},
		{ID: "team", Level: "silver", Fact: "owner_is_team"},
		{ID: "size", Level: "silver", Fact: "owner_team_size", Op: scorecard.OpGe, Value: scorecard.Number(2)},
		{ID: "runbook", Level: "silver", Fact: "runbook", Op: scorecard.OpMatches, Value: scorecard.Text(`^https://`)},
		{ID: "slack", Level: "silver", Fact: "slack_channel"},
		{ID: "ci", Level: "silver", Fact: "ci_config"},
		{ID: "oncall", Level: "silver", Fact: "oncall_now", AppliesTo: scorecard.AppliesTo{Lifecycles: []string{"production"}}},
		{ID: "lint", Level: "silver", Fact: "lint_errors", Op: scorecard.OpEq, Value: scorecard.Number(0)},
		{ID: "vulns", Level: "gold", Fact: "vulnerable_dependencies", Op: scorecard.OpLe, Value: scorecard.Number(0)},
		{ID: "merge", Level: "gold", Fact: "last_merge_age", Op: scorecard.OpLt, Value: scorecard.Duration(90 * day)},
		{ID: "escalation", Level: "gold", Fact: "escalation_levels", Op: scorecard.OpGe, Value: scorecard.Number(2), AppliesTo: scorecard.AppliesTo{Tiers: []string{"tier-1", "tier-2"}}},
		{ID: "docs", Level: "gold", Fact: "file:docs/**/*.md"},
		{ID: "techdocs", Level: "gold", Fact: "annotation:backstage.io/techdocs-ref", Op: scorecard.OpExists},
		{ID: "pci", Level: "gold", Fact: "tags", Op: scorecard.OpContains, Value: scorecard.Text("reviewed"), AppliesTo: scorecard.AppliesTo{Tags: []string{"pci"}}},
		{ID: "desc", Level: "gold", Fact: "description", Op: scorecard.OpContains, Value: scorecard.Text(" ")},
		{ID: "protected", Level: "gold", Fact: "default_branch_protected", Op: scorecard.OpNe, Value: scorecard.Bool(false)},
	}
	card := mustCompile(b, threeLevels, checks...)
	const n = 6000
	svcs := make([]scorecard.Service, n)
	values := make([]scorecard.Values, n)
	tiers := []string{"tier-1", "tier-2", "tier-3", "tier-4"}
	lifecycles := []string{"production", "experimental", "maintenance", "deprecated"}
	for i := range n {
		odd := func(m int) bool { return i%m != 0 }
		svcs[i] = scorecard.Service{Tier: tiers[i%4], Lifecycle: lifecycles[i%3], Type: "service", Team: fmt.Sprintf("team-%d", i%120), Tags: []string{"java", []string{"pci", "web"}[i%2], []string{"reviewed", "new"}[i%3%2]}}
		oncall := scorecard.Bool(odd(7))
		if i%50 == 0 {
			oncall = scorecard.UnknownValue(scorecard.KindBool, "PagerDuty did not answer")
		}
		values[i] = scorecard.Values{
			"has_owner": scorecard.Bool(odd(11)), "descriptor_valid": scorecard.Bool(odd(13)).At("catalog-info.yaml", 3),
			"lifecycle": scorecard.Text(lifecycles[i%3]), "tier": scorecard.Text(tiers[i%4]), "readme": scorecard.Bool(odd(5)),
			"owner_is_team": scorecard.Bool(odd(17)), "owner_team_size": scorecard.Number(float64(i % 6)),
			"runbook": scorecard.Text("https://wiki/rb"), "slack_channel": scorecard.Text("#team"), "ci_config": scorecard.Bool(odd(3)),
			"oncall_now": oncall, "lint_errors": scorecard.Number(float64(i % 4)), "vulnerable_dependencies": scorecard.Number(float64((i / 7) % 3)),
			"last_merge_age": scorecard.Duration(time.Duration(i%200) * day), "escalation_levels": scorecard.Number(float64((i / 3) % 3)),
			"file:docs/**/*.md": scorecard.Bool(odd(19)), "annotation:backstage.io/techdocs-ref": scorecard.Text("dir:."),
			"tags": scorecard.List(svcs[i].Tags...), "description": scorecard.Text("does things"), "default_branch_protected": scorecard.Bool(true),
		}
	}
	grades := make([]scorecard.Grade, n)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for i := range n {
			grades[i] = card.Evaluate(svcs[i], values[i])
		}
		if len(card.Lifts(grades)) == 0 {
			b.Fatal("got no lift, want one")
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/pass")
	by := card.ByLevel(grades)
	for r, c := range by {
		if c == 0 {
			b.Fatalf("no service at level %d (%v): the benchmark should cover every level", r, by)
		}
	}
}

// TestGradeJSON: a grade survives being stored as JSON.
func TestGradeJSON(t *testing.T) {
	card := levelsCard(t)
	g := card.Evaluate(scorecard.Service{Tier: "tier-1"}, scorecard.Values{
		"has_owner": scorecard.Bool(true).At("catalog-info.yaml", 4), "readme": scorecard.Bool(true),
		"runbook": scorecard.Text("https://rb"), "oncall_now": scorecard.UnknownValue(scorecard.KindBool, "down"),
	})
	data, err := json.Marshal(g)
	if err != nil {
		t.Fatal(err)
	}
	var back scorecard.Grade
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatalf("unmarshal %s: %v", data, err)
	}
	for i := range g.Results {
		g.Results[i].Check = 0
	}
	for i := range g.Missing {
		g.Missing[i].Check = 0
	}
	if !reflect.DeepEqual(back, g) {
		t.Errorf("got %+v, want %+v (from %s)", back, g, data)
	}
	var op scorecard.Op
	if err := json.Unmarshal([]byte(`"ge"`), &op); err != nil || op != scorecard.OpGe {
		t.Errorf("op: got %v, %v, want ge", op, err)
	}
	for _, bad := range []string{`{"status":"maybe"}`, `{"value":{"kind":"colour"}}`} {
		if err := json.Unmarshal([]byte(bad), &scorecard.Result{}); err == nil {
			t.Errorf("%s: got no error, want one", bad)
		}
	}
}
