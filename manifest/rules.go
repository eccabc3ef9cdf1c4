package manifest

import (
	"regexp"
	"slices"
	"strings"
)

// DefaultMaxFileSize is the size above which a descriptor is not read (1 MiB).
const DefaultMaxFileSize = 1 << 20

// Rules is what validation needs from the organisation's standards. The zero
// value checks Backstage's and OpsLevel's own rules only.
type Rules struct {
	// Lifecycles, Tiers, Languages and Frameworks are the allowed values;
	// an empty Vocabulary allows anything.
	Lifecycles Vocabulary
	// Tiers are the allowed tiers.
	Tiers Vocabulary
	// Languages are the approved languages.
	Languages Vocabulary
	// Frameworks are the approved frameworks.
	Frameworks Vocabulary
	// NamePattern is the pattern service-like entity names (Component, API,
	// Resource, System, Domain) must match; nil checks nothing.
	NamePattern *regexp.Regexp
	// ReservedNames are generic names (e.g. "frontend") that must be qualified.
	ReservedNames []string
	// NameTemplate builds a suggested name from {team} and {purpose}
	// (e.g. "{team}-{purpose}"); empty means "{team}-{purpose}".
	NameTemplate string
	// Required are fields a Component must have beyond Backstage's own
	// required fields; see RequiredFields for the names understood.
	Required []string
	// Severity overrides the default severity of Switchboard's own rules by
	// rule name (SeverityOff disables a rule). Backstage's rules cannot be changed.
	Severity map[string]Severity
	// MaxFileSize is the largest file read, in bytes; 0 means DefaultMaxFileSize.
	MaxFileSize int
}

// QualifiedName suggests a name for purpose (e.g. "frontend") owned by team
// (e.g. "payments"), following NameTemplate: "payments-frontend".
func (r Rules) QualifiedName(team, purpose string) string {
	tmpl := r.NameTemplate
	if tmpl == "" {
		tmpl = "{team}-{purpose}"
	}
	if team == "" {
		team = "<team>"
	}
	return strings.NewReplacer("{team}", team, "{purpose}", purpose, "{name}", purpose).Replace(tmpl)
}

func (r Rules) maxFileSize() int {
	if r.MaxFileSize > 0 {
		return r.MaxFileSize
	}
	return DefaultMaxFileSize
}

// The field names Rules.Required understands.
const (
	FieldDescription   = "description"
	FieldTitle         = "title"
	FieldSystem        = "system"
	FieldLifecycle     = "lifecycle"
	FieldTier          = "tier"
	FieldLanguage      = "language"
	FieldFramework     = "framework"
	FieldTags          = "tags"
	FieldSlackChannel  = "slack_channel"
	FieldPagerDuty     = "pagerduty"
	FieldRunbook       = "runbook"
	FieldDocs          = "docs"
	FieldDashboards    = "dashboards"
	FieldGitLabProject = "gitlab_project"
	FieldTechDocs      = "techdocs"
)

// RequiredFields lists the field names Rules.Required understands.
func RequiredFields() []string {
	return []string{
		FieldDescription, FieldTitle, FieldSystem, FieldLifecycle, FieldTier,
		FieldLanguage, FieldFramework, FieldTags, FieldSlackChannel, FieldPagerDuty,
		FieldRunbook, FieldDocs, FieldDashboards, FieldGitLabProject, FieldTechDocs,
	}
}

// Term is one allowed value and the other spellings accepted for it.
type Term struct {
	// Value is the canonical value, e.g. "production".
	Value string
	// Aliases are other accepted spellings, e.g. "generally_available".
	Aliases []string
}

// Vocabulary is a list of allowed values. Matching ignores case, spaces and
// the separators '-', '_' and '.', so "Spring Boot" matches "spring-boot".
// An empty Vocabulary allows anything.
type Vocabulary []Term

// Lookup returns the canonical value s stands for, and whether it is allowed.
func (v Vocabulary) Lookup(s string) (string, bool) {
	if len(v) == 0 {
		return s, true
	}
	k := vocabKey(s)
	for _, t := range v {
		if vocabKey(t.Value) == k {
			return t.Value, true
		}
		for _, a := range t.Aliases {
			if vocabKey(a) == k {
				return t.Value, true
			}
		}
	}
	return "", false
}

// Values returns the canonical values, in order.
func (v Vocabulary) Values() []string {
	out := make([]string, 0, len(v))
	for _, t := range v {
		out = append(out, t.Value)
	}
	return out
}

// suggest returns the allowed value closest to s, or "".
func (v Vocabulary) suggest(s string) string {
	var cands []string
	for _, t := range v {
		cands = append(cands, t.Value)
		cands = append(cands, t.Aliases...)
	}
	m := DidYouMean(s, cands)
	if m == "" {
		return ""
	}
	c, _ := v.Lookup(m)
	return c
}

func vocabKey(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(s)) {
		switch r {
		case ' ', '-', '_', '.', '\t':
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// isReserved reports whether name is one of the reserved names.
func (r Rules) isReserved(name string) bool {
	return slices.ContainsFunc(r.ReservedNames, func(s string) bool { return strings.EqualFold(s, name) })
}
