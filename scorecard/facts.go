package scorecard

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Kind is the kind of a fact's value, and of the value a check compares
// it with.
type Kind uint8

// The kinds of value.
const (
	// KindBool is true or false.
	KindBool Kind = iota + 1
	// KindNumber is a number (counts, sizes).
	KindNumber
	// KindText is a piece of text; empty text is "not set".
	KindText
	// KindList is a list of text (tags).
	KindList
	// KindDuration is a length of time, written 90d, 2w, 36h or 1h30m.
	KindDuration
)

// String names the kind as findings say it: "bool", "number", "text",
// "list of text", "duration".
func (k Kind) String() string {
	switch k {
	case KindBool:
		return "bool"
	case KindNumber:
		return "number"
	case KindText:
		return "text"
	case KindList:
		return "list of text"
	case KindDuration:
		return "duration"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Where is the place to fix a failing check: a file of the repo and, when
// known, its line ("catalog-info.yaml", 12).
type Where struct {
	// Path is the file's path from the repo's root.
	Path string `json:"path"`
	// Line is the 1-based line, 0 when the whole file is meant.
	Line int `json:"line,omitempty"`
}

// String formats w as path:line, or path alone.
func (w Where) String() string {
	if w.Line > 0 {
		return w.Path + ":" + strconv.Itoa(w.Line)
	}
	return w.Path
}

// Value is a fact's value for one service, or the value a check compares
// a fact with. Known false means the fact could not be known (PagerDuty did
// not answer): a check on it is Unknown, never Failed. Build values with
// Bool, Number, Text, List, Duration and UnknownValue.
type Value struct {
	// Kind is the kind of the value.
	Kind Kind `json:"kind"`
	// Known is false when the fact could not be known; Reason says why.
	Known bool `json:"known"`
	// Bool is the value of a KindBool.
	Bool bool `json:"bool,omitempty"`
	// Number is the value of a KindNumber.
	Number float64 `json:"number,omitempty"`
	// Text is the value of a KindText.
	Text string `json:"text,omitempty"`
	// List is the value of a KindList.
	List []string `json:"list,omitempty"`
	// Duration is the value of a KindDuration.
	Duration time.Duration `json:"duration,omitempty"`
	// Reason says why an unknown value is unknown ("PagerDuty did not
	// answer"), empty for a known one.
	Reason string `json:"reason,omitempty"`
	// Where is the file and line to change to pass a check on this fact,
	// when there is one (the descriptor line that sets the owner).
	Where *Where `json:"where,omitempty"`
}

// Bool returns a known boolean value.
func Bool(b bool) Value { return Value{Kind: KindBool, Known: true, Bool: b} }

// Number returns a known number.
func Number(n float64) Value { return Value{Kind: KindNumber, Known: true, Number: n} }

// Text returns a known text; "" is text that is not set.
func Text(s string) Value { return Value{Kind: KindText, Known: true, Text: s} }

// List returns a known list of text.
func List(items ...string) Value { return Value{Kind: KindList, Known: true, List: items} }

// Duration returns a known length of time.
func Duration(d time.Duration) Value { return Value{Kind: KindDuration, Known: true, Duration: d} }

// UnknownValue returns a value of kind k that could not be known, and why.
func UnknownValue(k Kind, reason string) Value { return Value{Kind: k, Reason: reason} }

// At returns v with the place to fix it: path and line (0 for the file).
func (v Value) At(path string, line int) Value {
	v.Where = &Where{Path: path, Line: line}
	return v
}

// String formats the value for people: true, 3, 90d, "text", [a, b], or
// "unknown (reason)".
func (v Value) String() string {
	if !v.Known {
		if v.Reason == "" {
			return "unknown"
		}
		return "unknown (" + v.Reason + ")"
	}
	switch v.Kind {
	case KindBool:
		return strconv.FormatBool(v.Bool)
	case KindNumber:
		return strconv.FormatFloat(v.Number, 'g', -1, 64)
	case KindText:
		return strconv.Quote(v.Text)
	case KindList:
		return "[" + strings.Join(v.List, ", ") + "]"
	case KindDuration:
		return FormatDuration(v.Duration)
	}
	return "?"
}

// ParseDuration reads a duration as a check's value is written: a number
// and a unit, summed: w (weeks), d (days), h, m, s ("90d", "2w", "1d12h").
// Negative durations are refused.
func ParseDuration(s string) (time.Duration, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return 0, fmt.Errorf("empty duration")
	}
	var total time.Duration
	rest := in
	for rest != "" {
		i := 0
		for i < len(rest) && (rest[i] >= '0' && rest[i] <= '9' || rest[i] == '.') {
			i++
		}
		if i == 0 {
			return 0, fmt.Errorf("duration %q: want a number then a unit (w, d, h, m, s), e.g. 90d", in)
		}
		n, err := strconv.ParseFloat(rest[:i], 64)
		if err != nil {
			return 0, fmt.Errorf("duration %q: %w", in, err)
		}
		j := i
		for j < len(rest) && (rest[j] < '0' || rest[j] > '9') && rest[j] != '.' {
			j++
		}
		var unit time.Duration
		switch rest[i:j] {
		case "":
			return 0, fmt.Errorf("duration %q has no unit: write w, d, h, m or s after the number, e.g. 90d", in)
		case "w":
			unit = 7 * 24 * time.Hour
		case "d":
			unit = 24 * time.Hour
		case "h":
			unit = time.Hour
		case "m":
			unit = time.Minute
		case "s":
			unit = time.Second
		default:
			return 0, fmt.Errorf("duration %q: unit %q is not one of w, d, h, m, s", in, rest[i:j])
		}
		if n > float64(1<<62)/float64(unit) {
			return 0, fmt.Errorf("duration %q is too long", in)
		}
		total += time.Duration(n * float64(unit))
		if total > 1<<62 {
			return 0, fmt.Errorf("duration %q is too long", in)
		}
		rest = rest[j:]
	}
	return total, nil
}

// FormatDuration writes d as ParseDuration reads it, in whole days when it
// is whole days ("90d"), else as Go does ("36h0m0s").
func FormatDuration(d time.Duration) string {
	day := 24 * time.Hour
	if d != 0 && d%day == 0 {
		return strconv.FormatInt(int64(d/day), 10) + "d"
	}
	return d.String()
}

// Fact is one entry of the registry of facts: what a check can look at.
type Fact struct {
	// Name is the fact's name in the standards file, e.g. "oncall_now";
	// a parametrised fact is written Name:PARAM ("file:README*").
	Name string `json:"name"`
	// Kind is the kind of its value.
	Kind Kind `json:"kind"`
	// Param names the parameter of a parametrised fact ("glob", "key"),
	// empty for a plain fact.
	Param string `json:"param,omitempty"`
	// Source is the system the fact comes from: descriptor, repo,
	// dependencies, pagerduty, gitlab, catalog or incidents.
	Source string `json:"source"`
	// Doc says where the value comes from and what it means.
	Doc string `json:"doc"`
	// MayBeUnknown is true when the fact can be unknown (its system did
	// not answer); a check on it is then Unknown, never Failed.
	MayBeUnknown bool `json:"may_be_unknown,omitempty"`
}

// Sources of facts: the system each fact is read from.
const (
	// SourceDescriptor: the service's descriptor (catalog-info.yaml,
	// opslevel.yml) as synced, with its lint findings.
	SourceDescriptor = "descriptor"
	// SourceRepo: the repo's tree at the last synced commit of its
	// default branch (the catalog's repo_files).
	SourceRepo = "repo"
	// SourceDependencies: the repo's resolved dependency graph and the
	// OSV advisories that affect it (/impact's data).
	SourceDependencies = "dependencies"
	// SourcePagerDuty: PagerDuty, asked periodically (on call now,
	// escalation policy).
	SourcePagerDuty = "pagerduty"
	// SourceGitLab: GitLab's project data (merges, activity, protected
	// branches).
	SourceGitLab = "gitlab"
	// SourceCatalog: the catalog's teams and rosters.
	SourceCatalog = "catalog"
	// SourceIncidents: PagerDuty incidents (read periodically, counted in the catalog).
	SourceIncidents = "incidents"
)

// registry is the table of facts, by name. It is a constant table: never
// written after the package is initialised.
var registry = [...]Fact{
	// The descriptor (catalog-info.yaml / opslevel.yml), as synced.
	{Name: "has_owner", Kind: KindBool, Source: SourceDescriptor,
		Doc: "the descriptor names an owner (Backstage spec.owner, OpsLevel owner); Where: the descriptor's owner line, else the file"},
	{Name: "descriptor_valid", Kind: KindBool, Source: SourceDescriptor,
		Doc: "the service's descriptor was read with no error finding (what `switchboard lint` reports as errors); Where: the first error's line"},
	{Name: "lint_errors", Kind: KindNumber, Source: SourceDescriptor,
		Doc: "how many error findings lint has on the service's descriptor; Where: the first one's line"},
	{Name: "lint_warnings", Kind: KindNumber, Source: SourceDescriptor,
		Doc: "how many warning findings lint has on the service's descriptor; Where: the first one's line"},
	{Name: "lifecycle", Kind: KindText, Source: SourceDescriptor,
		Doc: "the lifecycle (spec.lifecycle), canonical as the standards file's lifecycles spell it; empty when not set"},
	{Name: "tier", Kind: KindText, Source: SourceDescriptor,
		Doc: "the tier (Backstage metadata.labels.tier, OpsLevel tier), canonical as the standards file's tiers spell it; empty when not set"},
	{Name: "type", Kind: KindText, Source: SourceDescriptor,
		Doc: "the component type (spec.type: service, website, library...)"},
	{Name: "language", Kind: KindText, Source: SourceDescriptor,
		Doc: "the language (metadata.labels.language, OpsLevel language), canonical as the standards file's languages spell it; empty when not set"},
	{Name: "framework", Kind: KindText, Source: SourceDescriptor,
		Doc: "the framework (metadata.labels.framework, OpsLevel framework), canonical as the standards file's frameworks spell it; empty when not set"},
	{Name: "description", Kind: KindText, Source: SourceDescriptor,
		Doc: "the description (metadata.description); empty when not set"},
	{Name: "runbook", Kind: KindText, Source: SourceDescriptor,
		Doc: "the first runbook link's URL (links titled or typed runbook/playbook, OpsLevel runbook tools); empty when none"},
	{Name: "docs", Kind: KindText, Source: SourceDescriptor,
		Doc: "the first documentation link's URL (docs links, TechDocs); empty when none"},
	{Name: "slack_channel", Kind: KindText, Source: SourceDescriptor,
		Doc: "the service's Slack channel (Backstage annotation slack.com/bot-notify, OpsLevel tools); empty when none"},
	{Name: "pagerduty_service", Kind: KindText, Source: SourceDescriptor,
		Doc: "the PagerDuty service id (annotation pagerduty.com/service-id) or integration key; empty when none"},
	{Name: "tags", Kind: KindList, Source: SourceDescriptor,
		Doc: "the tags (metadata.tags), lower-case"},
	{Name: "annotation", Kind: KindText, Param: "key", Source: SourceDescriptor,
		Doc: "annotation:KEY is the value of the descriptor's annotation KEY (metadata.annotations), empty when absent; Where: its line"},

	// The catalog: teams and rosters.
	{Name: "owner_is_team", Kind: KindBool, Source: SourceCatalog,
		Doc: "the owner is a team the catalog knows (a GitLab group, a PagerDuty team or a Backstage Group), not a person or an unknown name"},
	{Name: "owner_team_size", Kind: KindNumber, Source: SourceCatalog, MayBeUnknown: true,
		Doc: "people on the owning team's roster (GitLab group members and PagerDuty escalation policy people, joined by email); 0 with no owner; unknown until the roster has been read once"},

	// The repo tree at the default branch's last synced commit.
	{Name: "readme", Kind: KindBool, Source: SourceRepo,
		Doc: "a README at the root of the service's folder in its repo (README, README.md, readme.rst..., any case); Where: the file"},
	{Name: "ci_config", Kind: KindBool, Source: SourceRepo,
		Doc: "a .gitlab-ci.yml at the root of the repo"},
	{Name: "file", Kind: KindBool, Param: "glob", Source: SourceRepo,
		Doc: "file:GLOB is true when a file of the repo matches GLOB, from the root of the service's folder: * within a folder, ** across folders, ? one character, {a,b} either; case is ignored (file:docs/**/*.md, file:Dockerfile); Where: the first match"},

	// The dependency graph (files and lockfiles read by the sync) and OSV advisories.
	{Name: "vulnerable_dependencies", Kind: KindNumber, Source: SourceDependencies, MayBeUnknown: true,
		Doc: "how many of the repo's dependencies (direct or transitive) are at a version a known advisory affects (/impact's data); unknown when the graph is incomplete (a file not read or unparsable) and none was found; Where: the first one's file and line"},
	{Name: "dependency_graph_complete", Kind: KindBool, Source: SourceDependencies,
		Doc: "every dependency file of the repo was read and parsed, with a lockfile where one is needed"},

	// PagerDuty, refreshed periodically.
	{Name: "oncall_now", Kind: KindBool, Source: SourcePagerDuty, MayBeUnknown: true,
		Doc: "someone is on call now at the first level of the service's escalation policy (PagerDuty); false with no PagerDuty service; unknown when PagerDuty cannot be asked"},
	{Name: "escalation_levels", Kind: KindNumber, Source: SourcePagerDuty, MayBeUnknown: true,
		Doc: "levels of the service's PagerDuty escalation policy; 0 with no PagerDuty service; unknown when PagerDuty cannot be asked"},

	// GitLab project data.
	{Name: "last_merge_age", Kind: KindDuration, Source: SourceGitLab, MayBeUnknown: true,
		Doc: "time since the last merge request merged into the default branch (GitLab), the most recent over the service's repos, in whole days rounded up; 36500d when none ever was (the check fails); unknown when GitLab could not be read, or has not been yet"},
	{Name: "last_activity_age", Kind: KindDuration, Source: SourceGitLab,
		Doc: "time since the repo's last activity (GitLab's last_activity_at: pushes, merge requests, issues), in whole days rounded up"},
	{Name: "default_branch_protected", Kind: KindBool, Source: SourceGitLab, MayBeUnknown: true,
		Doc: "the default branch is protected (GitLab's branch protected, which counts wildcard and group rules), on every repo of the service; unknown when GitLab refused or failed the read, or before the first read"},

	// PagerDuty incidents, read periodically into the catalog.
	{Name: "incidents_30d", Kind: KindNumber, Source: SourceIncidents, MayBeUnknown: true,
		Doc: "PagerDuty incidents of the service created in the last 30 days, every status; unknown when the service has no PagerDuty service, before the first read of PagerDuty's incidents, or when PagerDuty has not answered for an hour"},
}

// Facts returns the registry of facts, in a fresh slice, in the order
// of the table: by source, then as documented.
func Facts() []Fact { return slices.Clone(registry[:]) }

// FactNames returns the names checks may use: the plain facts, and the
// parametrised ones followed by ':' ("file:", "annotation:").
func FactNames() []string {
	out := make([]string, 0, len(registry))
	for _, f := range registry {
		if f.Param != "" {
			out = append(out, f.Name+":")
			continue
		}
		out = append(out, f.Name)
	}
	return out
}

// LookupFact returns the registry's fact of that name ("file" for
// "file:GLOB").
func LookupFact(name string) (Fact, bool) {
	for _, f := range registry {
		if f.Name == name {
			return f, true
		}
	}
	return Fact{}, false
}

// FactRef is a fact as a check names it: a registry fact and, for a
// parametrised one, its parameter.
type FactRef struct {
	// Name is the registry fact's name.
	Name string `json:"name"`
	// Param is the parameter of a parametrised fact (the glob of file:),
	// empty otherwise.
	Param string `json:"param,omitempty"`
}

// Key is the key of the fact in Values: Name, or Name:Param.
func (r FactRef) Key() string {
	if r.Param == "" {
		return r.Name
	}
	return r.Name + ":" + r.Param
}

// UnknownFactError is returned by ParseFactRef for a name the registry
// does not have.
type UnknownFactError struct {
	// Name is the name as written, before any ':'.
	Name string
}

// Error says which name is unknown.
func (e *UnknownFactError) Error() string { return fmt.Sprintf("unknown fact %q", e.Name) }

// ParseFactRef reads a check's fact: "oncall_now", "file:README*",
// "annotation:backstage.io/techdocs-ref". It returns the registry entry
// with the reference; an *UnknownFactError for an unknown name, another
// error for a missing or unwanted parameter or a glob that does not
// compile.
func ParseFactRef(s string) (FactRef, Fact, error) {
	s = strings.TrimSpace(s)
	name, param, hasParam := strings.Cut(s, ":")
	name, param = strings.TrimSpace(name), strings.TrimSpace(param)
	f, ok := LookupFact(name)
	if !ok {
		return FactRef{}, Fact{}, &UnknownFactError{Name: name}
	}
	switch {
	case f.Param == "" && hasParam:
		return FactRef{}, Fact{}, fmt.Errorf("fact %s takes no parameter, got %s:%s", name, name, param)
	case f.Param != "" && param == "":
		return FactRef{}, Fact{}, fmt.Errorf("fact %s needs a %s: write %s:%s", name, f.Param, name, strings.ToUpper(f.Param))
	}
	if f.Param == "glob" {
		if _, err := CompileGlob(param); err != nil {
			return FactRef{}, Fact{}, err
		}
	}
	return FactRef{Name: name, Param: param}, f, nil
}

// Values are a service's facts, by FactRef.Key ("oncall_now",
// "file:README*"). A fact a card needs (Card.Needs) that is not in the map
// is unknown ("not collected").
type Values map[string]Value

// MarshalText writes the kind's name ("bool", "list of text").
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText reads a kind's name as MarshalText writes it.
func (k *Kind) UnmarshalText(b []byte) error {
	for c := KindBool; c <= KindDuration; c++ {
		if c.String() == string(b) {
			*k = c
			return nil
		}
	}
	return fmt.Errorf("unknown kind %q", b)
}
