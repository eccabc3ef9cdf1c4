// Package standards reads the organisation's standards file: the approved
// languages, frameworks, databases, tiers and lifecycles (the drop-downs of
// /service add), the naming rule, the fields required beyond Backstage's, how
// severe each of Switchboard's checks is, the settings of the GitLab scan,
// the daily digest, paging and onboarding, and the scorecard services are
// graded against (levels and checks over the facts of package scorecard).
//
// The file is YAML, found through SWITCHBOARD_CONFIG; a fresh install uses the
// embedded default (default.yaml). Every problem in the file is reported as a
// manifest.Finding with its line and column.
package standards

import (
	_ "embed"
	"errors"
	"fmt"
	"maps"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	// Time zones are checked and used on machines without a zoneinfo database.
	_ "time/tzdata"

	"github.com/switchboard-dev/switchboard/manifest"
	"github.com/switchboard-dev/switchboard/scorecard"
)

// EnvConfig is the environment variable naming the standards file.
const EnvConfig = "SWITCHBOARD_CONFIG"

//go:embed default.yaml
var defaultYAML []byte

// DefaultYAML returns the text of the embedded default standards file, a
// commented starting point for an organisation's own.
func DefaultYAML() []byte { return slices.Clone(defaultYAML) }

// ErrInvalid is returned (wrapped) by Load when the file has errors.
var ErrInvalid = errors.New("invalid standards file")

// Standards is the organisation's standards file.
type Standards struct {
	// Lifecycles are the allowed lifecycles.
	Lifecycles []Option `json:"lifecycles"`
	// Tiers are the allowed tiers.
	Tiers []Option `json:"tiers"`
	// Languages are the approved languages.
	Languages []Option `json:"languages"`
	// Frameworks are the approved frameworks.
	Frameworks []Option `json:"frameworks"`
	// Databases are the approved databases.
	Databases []Option `json:"databases"`
	// Naming is the naming rule of services.
	Naming Naming `json:"naming"`
	// Required are the fields every service needs beyond Backstage's own
	// (see manifest.RequiredFields).
	Required []string `json:"required"`
	// Enforce sets the severity of Switchboard's own checks, by rule name.
	Enforce map[string]manifest.Severity `json:"enforce"`
	// GitLab configures the repository scan.
	GitLab GitLab `json:"gitlab"`
	// Digest configures the daily digest.
	Digest Digest `json:"digest"`
	// Paging configures who may page on call.
	Paging Paging `json:"paging"`
	// Campaigns configures who may start a campaign (/campaign new).
	Campaigns Campaigns `json:"campaigns"`
	// API configures who may create the API's tokens in Slack.
	API API `json:"api"`
	// Onboarding configures what new joiners are shown.
	Onboarding Onboarding `json:"onboarding"`
	// Dependencies configures how repos' dependency graphs are resolved.
	Dependencies Dependencies `json:"dependencies"`
	// Incidents configures how PagerDuty incidents are counted (incidents.go).
	Incidents Incidents `json:"incidents"`
	// Scorecard is the compiled scorecard: levels and checks services are
	// graded against. Never nil in a Standards from Default, Parse,
	// ParseOver or Load; shared, read-only.
	Scorecard *scorecard.Card `json:"scorecard"`
}

// Dependencies configures how the sync resolves repos' dependency graphs
// beyond what their files say.
type Dependencies struct {
	// Maven configures where pom.xml files' parents, BOMs and
	// dependencies' POMs are fetched from.
	Maven Maven `json:"maven"`
	// SBOM names the SBOM a CI job publishes, read as the repo's graph.
	SBOM SBOM `json:"sbom"`
}

// Maven configures Maven resolution.
type Maven struct {
	// Repositories are tried in order; empty means Maven Central. The
	// environment variable MAVEN_REPOSITORIES, when set, replaces them.
	Repositories []MavenRepository `json:"repositories"`
}

// MavenRepository is one Maven repository (Maven Central, a Nexus or an
// Artifactory). Credentials are never written in the file: it names the
// environment variables that hold them.
type MavenRepository struct {
	// URL is the repository's base, e.g.
	// https://nexus.example.com/repository/maven-public.
	URL string `json:"url"`
	// TokenEnv names the variable holding a token, sent as a bearer token,
	// or as the password of basic authentication when UsernameEnv is set.
	TokenEnv string `json:"token_env,omitempty"`
	// UsernameEnv names the variable holding the basic-authentication
	// user (Nexus and Artifactory user tokens).
	UsernameEnv string `json:"username_env,omitempty"`

	// at is where each variable is named in the file, for findings.
	at map[string]position
}

// position is a line and column of the standards file.
type position struct{ line, col int }

// LevelNames are the names of the scorecard's levels, lowest first (the
// embedded default's for a nil s); nil without a scorecard.
func (s *Standards) LevelNames() []string {
	if s == nil {
		s = Default()
	}
	if s.Scorecard == nil {
		return nil
	}
	var names []string
	for _, l := range s.Scorecard.Levels() {
		names = append(names, l.Name)
	}
	return names
}

// UnsetVariables returns a warning for each credential variable the Maven
// repositories name that getenv does not give (serve and sync refuse to
// start without them); `switchboard config check` reports them. path is
// the file's name in the findings.
func (s *Standards) UnsetVariables(path string, getenv func(string) string) []manifest.Finding {
	var out []manifest.Finding
	for i, r := range s.Dependencies.Maven.Repositories {
		for _, v := range []struct{ field, name string }{{"token_env", r.TokenEnv}, {"username_env", r.UsernameEnv}} {
			if v.name == "" || strings.TrimSpace(getenv(v.name)) != "" {
				continue
			}
			at := r.at[v.field]
			out = append(out, manifest.Finding{
				Path: path, Line: at.line, Col: at.col, Severity: manifest.SeverityWarning, Rule: RuleConfigValue,
				Message: fmt.Sprintf("dependencies.maven.repositories[%d].%s: %s is not set here: serve and sync stop at start without it", i, v.field, v.name),
				Fix:     fmt.Sprintf("set %s in the environment serve and sync run in", v.name),
			})
		}
	}
	return out
}

// SBOM names an SBOM produced by a CI job and kept as a job artifact: the
// sync reads it from the last successful job of that name on the default
// branch (GitLab's "download a single artifact file" API).
type SBOM struct {
	// Job is the CI job's name, e.g. "sbom"; empty reads no artifact.
	Job string `json:"job"`
	// Path is the file inside the job's artifacts, e.g.
	// "build/reports/bom.json" (CycloneDX JSON or XML, or SPDX JSON).
	Path string `json:"path"`
}

// Option is one allowed value of a drop-down.
type Option struct {
	// Value is the canonical value, e.g. "production".
	Value string `json:"value"`
	// Label is what a drop-down shows; empty shows Value.
	Label string `json:"label,omitempty"`
	// Aliases are other spellings accepted as Value, e.g. "generally_available".
	Aliases []string `json:"aliases,omitempty"`
}

// DisplayLabel returns the label a drop-down shows.
func (o Option) DisplayLabel() string {
	if o.Label != "" {
		return o.Label
	}
	return o.Value
}

// Naming is the naming rule of services, APIs, resources, systems and domains.
type Naming struct {
	// Pattern is the regular expression names must match; empty allows any.
	Pattern string `json:"pattern"`
	// Reserved are generic names that must be qualified, e.g. "frontend".
	Reserved []string `json:"reserved"`
	// DefaultName builds a default name from {team} and {purpose}.
	DefaultName string `json:"default_name"`

	re *regexp.Regexp
}

// Regexp returns the compiled Pattern, nil when there is none.
func (n Naming) Regexp() *regexp.Regexp { return n.re }

// GitLab configures which GitLab projects are scanned.
type GitLab struct {
	// Groups are the full paths of the groups to scan; empty scans all.
	Groups []string `json:"groups"`
	// SkipForks skips forked projects.
	SkipForks bool `json:"skip_forks"`
	// SkipArchived skips archived projects.
	SkipArchived bool `json:"skip_archived"`
	// Ignore are project paths, or path.Match globs, never catalogued.
	Ignore []string `json:"ignore"`
}

// Ignored reports whether the project at projectPath (e.g. "sandbox/demo")
// matches an Ignore entry: the path itself, a glob, or "group/**" for
// everything under a group.
func (g GitLab) Ignored(projectPath string) bool {
	for _, pat := range g.Ignore {
		if pat == projectPath {
			return true
		}
		if prefix, ok := strings.CutSuffix(pat, "/**"); ok && strings.HasPrefix(projectPath, prefix+"/") {
			return true
		}
		if ok, err := path.Match(pat, projectPath); err == nil && ok {
			return true
		}
	}
	return false
}

// Digest configures the daily digest.
type Digest struct {
	// Channel is the Slack channel the digest is posted to; empty posts none.
	Channel string `json:"channel"`
	// Schedule is a five-field cron expression, e.g. "0 9 * * 1-5".
	Schedule string `json:"schedule"`
	// Timezone is the IANA time zone of Schedule, e.g. "Europe/Paris".
	Timezone string `json:"timezone"`
}

// Location returns the digest's time zone (UTC when it cannot be loaded).
func (d Digest) Location() *time.Location {
	if loc, err := time.LoadLocation(d.Timezone); err == nil && d.Timezone != "" {
		return loc
	}
	return time.UTC
}

// Paging configures who may page on call.
type Paging struct {
	// AllowedUsergroups are the Slack user groups (handles or IDs) whose
	// members may page; empty allows everyone.
	AllowedUsergroups []string `json:"allowed_usergroups"`
}

// Campaigns configures who may start campaigns (/campaign new).
type Campaigns struct {
	// AllowedUsergroups are the Slack user groups (handles or IDs) whose
	// members may start a campaign; empty allows everyone.
	AllowedUsergroups []string `json:"allowed_usergroups"`
}

// API configures the JSON API and MCP server.
type API struct {
	// TokenAdminsUsergroups are the Slack user groups (handles or IDs)
	// whose members may create and revoke API tokens with /switchboard
	// token; empty allows nobody in Slack (the command line, switchboard
	// token, needs the database's credentials instead).
	TokenAdminsUsergroups []string `json:"token_admins_usergroups"`
}

// Onboarding configures what new joiners are shown.
type Onboarding struct {
	// Checklist is the day-one checklist.
	Checklist []ChecklistItem `json:"checklist"`
}

// ChecklistItem is one step of the onboarding checklist.
type ChecklistItem struct {
	// Title says what to do.
	Title string `json:"title"`
	// URL links to more, when given.
	URL string `json:"url,omitempty"`
}

// Default returns the embedded default standards, which a fresh install uses.
func Default() *Standards {
	s, _ := decode("default.yaml", defaultYAML, &Standards{})
	return s
}

// Load reads the standards file at path; an empty path gives Default. It
// returns the findings of the file, and an error when the file cannot be read
// or has error findings (wrapping ErrInvalid). LoadKeepingScorecard refuses
// the file only for errors outside its scorecard section.
func Load(path string) (*Standards, []manifest.Finding, error) {
	if path == "" {
		return Default(), nil, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read standards %s: %w", path, err)
	}
	s, findings := Parse(path, data)
	for _, f := range findings {
		if f.Severity == manifest.SeverityError {
			return nil, findings, fmt.Errorf("standards %s:%d:%d: %s: %w", path, f.Line, f.Col, f.Message, ErrInvalid)
		}
	}
	return s, findings, nil
}

// Parse reads a standards file from data. Sections the file leaves out keep
// their default; the result is usable even when there are findings. The
// scorecard section is all or nothing: with an error in it, the default
// scorecard stays in force (and an info finding says so), never a card
// half read.
func Parse(path string, data []byte) (*Standards, []manifest.Finding) {
	return decode(path, data, Default())
}

// ParseOver reads a standards file over base, the standards in force (for
// a reload): sections the file leaves out keep base's, and a scorecard
// section with an error leaves base's scorecard in force. A scorecard
// section without `levels:` keeps base's levels. base is not modified.
func ParseOver(path string, data []byte, base *Standards) (*Standards, []manifest.Finding) {
	s := *base
	s.Enforce = maps.Clone(base.Enforce)
	return decode(path, data, &s)
}

// Check validates a standards file and returns its findings, by position.
func Check(path string, data []byte) []manifest.Finding {
	_, findings := Parse(path, data)
	return findings
}

// Rules returns what manifest validation needs from the standards.
func (s *Standards) Rules() manifest.Rules {
	r := manifest.Rules{
		Lifecycles:    vocabulary(s.Lifecycles),
		Tiers:         vocabulary(s.Tiers),
		Languages:     vocabulary(s.Languages),
		Frameworks:    vocabulary(s.Frameworks),
		NamePattern:   s.Naming.re,
		ReservedNames: slices.Clone(s.Naming.Reserved),
		NameTemplate:  s.Naming.DefaultName,
		Required:      slices.Clone(s.Required),
		Severity:      make(map[string]manifest.Severity, len(s.Enforce)),
	}
	for k, v := range s.Enforce {
		r.Severity[k] = v
	}
	return r
}

// DefaultName builds the default name of a service of team for purpose,
// following Naming.DefaultName, e.g. "payments-checkout".
func (s *Standards) DefaultName(team, purpose string) string {
	return s.Rules().QualifiedName(team, purpose)
}

func vocabulary(opts []Option) manifest.Vocabulary {
	if len(opts) == 0 {
		return nil
	}
	v := make(manifest.Vocabulary, 0, len(opts))
	for _, o := range opts {
		v = append(v, manifest.Term{Value: o.Value, Aliases: slices.Clone(o.Aliases)})
	}
	return v
}
