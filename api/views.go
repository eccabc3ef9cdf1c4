package api

import (
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
	"github.com/switchboard-dev/switchboard/oncall"
)

// The JSON shapes of the API (and of the MCP tools' structured content):
// snake_case, timestamps in RFC 3339 (UTC), absent facts as null or an
// omitted field, never as "". Each is described in openapi.json; a change
// here without one there fails the suite.

// ServiceSummary is a service in a list.
type ServiceSummary struct {
	Ref       string   `json:"ref" jsonschema:"the service's reference: name, or namespace/name outside the default namespace"`
	Name      string   `json:"name"`
	Namespace string   `json:"namespace"`
	Title     string   `json:"title,omitempty"`
	Team      *string  `json:"team" jsonschema:"the owning team's name; null when the service has no owner"`
	Tier      string   `json:"tier,omitempty"`
	Lifecycle string   `json:"lifecycle,omitempty"`
	Tags      []string `json:"tags"`
	Status    string   `json:"status" jsonschema:"active, or orphaned when its descriptor disappeared"`
	// Why says, field by field, what a text search matched (with q only).
	Why []string `json:"why,omitempty" jsonschema:"with a text search only: what matched, field by field"`
}

// ServiceRef names a service where an answer lists many (impact hits).
type ServiceRef struct {
	Ref  string  `json:"ref"`
	Team *string `json:"team"`
}

// Incidents are a service's PagerDuty incident counts, as /whoowns's
// "Incidents" line: known, or unknown with why (never a failure).
type Incidents struct {
	Status string `json:"status" jsonschema:"known, unknown (see reason) or not_configured"`
	Reason string `json:"reason,omitempty"`
	// The counts, null unless known.
	Last30Days       *int `json:"last_30_days"`
	OutOfHours30Days *int `json:"out_of_hours_30_days" jsonschema:"those of the last 30 days created out of business hours"`
	Last90Days       *int `json:"last_90_days"`
}

// Incidents statuses.
const (
	IncidentsKnown         = "known"
	IncidentsUnknown       = "unknown"
	IncidentsNotConfigured = "not_configured"
)

// Service is one service with everything /whoowns shows.
type Service struct {
	ServiceSummary
	Description string `json:"description,omitempty"`
	// MatchedBy says how the name asked found it: name or alias.
	MatchedBy string   `json:"matched_by,omitempty" jsonschema:"how the name asked found the service: name or alias"`
	Aliases   []string `json:"aliases"`
	Type      string   `json:"type,omitempty"`
	Language  string   `json:"language,omitempty"`
	Framework string   `json:"framework,omitempty"`
	// Owner is the owning team; null when none.
	Owner *TeamSummary `json:"owner" jsonschema:"the owning team; null when the service has no owner"`
	// Channel is where to talk about it: its own channel, else its team's.
	Channel *string  `json:"channel" jsonschema:"the Slack channel to talk about the service in: its own, else its team's; null when neither"`
	People  []Person `json:"people" jsonschema:"the owning team's people"`
	Links   []Link   `json:"links"`
	Repos   []Repo   `json:"repos"`
	// DescriptorStatus is the status of its first repo's descriptor.
	DescriptorStatus *string `json:"descriptor_status" jsonschema:"the status of the first repo's descriptor: ok, invalid, missing, template or unknown; null without a repo"`
	Source           string  `json:"source" jsonschema:"where the record comes from: descriptor, slack or import"`
	// PagerDuty links the service to PagerDuty.
	PagerDuty PagerDutyLink `json:"pagerduty"`
	// Scorecard is its level; null when no scorecard is configured or it
	// is not graded yet.
	Scorecard *ScorecardLevel `json:"scorecard" jsonschema:"the service's scorecard level; null when not graded"`
	UpdatedAt time.Time       `json:"updated_at"`
	// Incidents are its PagerDuty incident counts, as /whoowns shows.
	Incidents Incidents `json:"incidents"`
	// WebURL is its page in the web catalog; null when WEB_BASE_URL is
	// not set.
	WebURL *string `json:"web_url" jsonschema:"the service's page in the web catalog; null when no web catalog address is configured"`
}

// TeamSummary is a team where a service names it.
type TeamSummary struct {
	Name    string  `json:"name"`
	Title   string  `json:"title,omitempty"`
	Channel *string `json:"channel"`
}

// Person is someone in the organisation.
type Person struct {
	Name        string   `json:"name"`
	Email       string   `json:"email,omitempty"`
	SlackUserID *string  `json:"slack_user_id"`
	Sources     []string `json:"sources,omitempty" jsonschema:"where the membership comes from (descriptor, gitlab, pagerduty, ...)"`
	Role        string   `json:"role,omitempty"`
}

// Link is a named URL of a service.
type Link struct {
	Kind  string `json:"kind" jsonschema:"runbook, docs, dashboard or other"`
	Title string `json:"title"`
	URL   string `json:"url"`
}

// Repo is a GitLab project of a service.
type Repo struct {
	Path             string     `json:"path"`
	WebURL           string     `json:"web_url,omitempty"`
	DefaultBranch    string     `json:"default_branch,omitempty"`
	Subpath          string     `json:"subpath,omitempty"`
	DescriptorStatus string     `json:"descriptor_status"`
	DescriptorPath   string     `json:"descriptor_path,omitempty"`
	LastActivityAt   *time.Time `json:"last_activity_at"`
}

// PagerDutyLink is how a service is linked to PagerDuty.
type PagerDutyLink struct {
	ServiceID *string `json:"service_id"`
	// Pageable: Switchboard can page it (a service id or integration key).
	Pageable bool `json:"pageable"`
}

// ScorecardLevel is a service's level against the scorecard.
type ScorecardLevel struct {
	Level     int       `json:"level" jsonschema:"rank of the level reached, 0 when none"`
	LevelName string    `json:"level_name"`
	Next      *string   `json:"next_level" jsonschema:"the next level to reach; null at the top"`
	GradedAt  time.Time `json:"graded_at"`
}

// Team is a team with its people, services and who is on call.
type Team struct {
	Name                      string           `json:"name"`
	Title                     string           `json:"title,omitempty"`
	Description               string           `json:"description,omitempty"`
	Channel                   *string          `json:"channel"`
	GitLabGroup               *string          `json:"gitlab_group"`
	PagerDutyEscalationPolicy *string          `json:"pagerduty_escalation_policy"`
	People                    []Person         `json:"people"`
	Services                  []ServiceSummary `json:"services"`
	OnCall                    OnCall           `json:"on_call"`
}

// On-call statuses.
const (
	// OnCallOK: PagerDuty answered (Stale says when from memory).
	OnCallOK = "ok"
	// OnCallUnknown: PagerDuty could not answer; Reason says why.
	OnCallUnknown = "unknown"
	// OnCallNotLinked: the catalog links nothing to PagerDuty.
	OnCallNotLinked = "not_linked"
	// OnCallNotConfigured: Switchboard has no PagerDuty.
	OnCallNotConfigured = "not_configured"
)

// OnCall is who is on call now. Unknown is never failure: when PagerDuty
// cannot answer, Status is "unknown" with the reason, and the rest of the
// answer stands.
type OnCall struct {
	Status           string        `json:"status" jsonschema:"ok, unknown (PagerDuty could not answer: see reason), not_linked or not_configured"`
	Reason           string        `json:"reason,omitempty"`
	Policy           *PagerDutyRef `json:"escalation_policy"`
	PagerDutyService *PagerDutyRef `json:"pagerduty_service"`
	Levels           []OnCallLevel `json:"levels"`
	// Stale: PagerDuty was unreachable and this is its answer of FetchedAt.
	Stale     bool       `json:"stale"`
	FetchedAt *time.Time `json:"fetched_at"`
}

// PagerDutyRef is a PagerDuty object.
type PagerDutyRef struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	URL  string `json:"url,omitempty"`
}

// OnCallLevel is one escalation level.
type OnCallLevel struct {
	Level    int            `json:"level"`
	People   []OnCallPerson `json:"people"`
	Until    *time.Time     `json:"until" jsonschema:"when the shift ends; null when it never does"`
	Schedule *PagerDutyRef  `json:"schedule"`
}

// OnCallPerson is someone on call.
type OnCallPerson struct {
	Name        string  `json:"name"`
	SlackUserID *string `json:"slack_user_id"`
}

// ServiceOnCall is who is on call for a service.
type ServiceOnCall struct {
	Service ServiceSummary `json:"service"`
	OnCall  OnCall         `json:"on_call"`
}

// TeamOnCall is who is on call for a team.
type TeamOnCall struct {
	Team   string `json:"team"`
	OnCall OnCall `json:"on_call"`
}

// Impact is the answer to an impact question.
type Impact struct {
	Question string `json:"question"`
	Kind     string `json:"kind" jsonschema:"package, advisory or file"`
	// Counts are over every hit, not the page.
	Repos      int         `json:"repos"`
	Services   int         `json:"services"`
	Teams      int         `json:"teams"`
	Advisories []Advisory  `json:"advisories,omitempty"`
	Hits       []ImpactHit `json:"hits"`
	Unknown    []ImpactHit `json:"unknown" jsonschema:"hits whose version cannot be judged against the question"`
	Gaps       ImpactGaps  `json:"graph_gaps"`
	NextCursor *string     `json:"next_cursor"`
}

// Advisory is an advisory an impact question named.
type Advisory struct {
	ID      string   `json:"id"`
	Aliases []string `json:"aliases"`
	Summary string   `json:"summary,omitempty"`
}

// ImpactHit is one repo's matching dependency (or file).
type ImpactHit struct {
	Repo     string       `json:"repo"`
	RepoURL  string       `json:"repo_url,omitempty"`
	Team     *string      `json:"team"`
	Services []ServiceRef `json:"services"`
	// File is the matching path of a file question.
	File         string   `json:"file,omitempty"`
	Ecosystem    string   `json:"ecosystem,omitempty"`
	Package      string   `json:"package,omitempty"`
	Version      string   `json:"version,omitempty"`
	Declared     string   `json:"declared_at,omitempty" jsonschema:"file:line where the dependency is declared"`
	Direct       bool     `json:"direct"`
	Transitive   bool     `json:"transitive"`
	Via          []string `json:"via,omitempty" jsonschema:"the chain bringing a transitive dependency in, name@version from the direct one down"`
	ChangeAt     string   `json:"change_at,omitempty" jsonschema:"file:line to change: where the chain's direct dependency is declared"`
	Scope        string   `json:"scope,omitempty"`
	VersionSetBy string   `json:"version_set_by,omitempty"`
	FixedIn      string   `json:"fixed_in,omitempty"`
	Why          string   `json:"why,omitempty"`
}

// ImpactGaps counts the repos whose dependency graphs are incomplete.
type ImpactGaps struct {
	Repos int      `json:"repos"`
	Some  []string `json:"some" jsonschema:"some of those repos' paths"`
}

// Digest is the digest's data: catalog coverage and counts.
type Digest struct {
	Group        string           `json:"group,omitempty"`
	Team         string           `json:"team,omitempty"`
	ActiveDays   int              `json:"active_days"`
	Coverage     catalog.Coverage `json:"coverage"`
	Uncatalogued int              `json:"uncatalogued"`
	Broken       int              `json:"broken"`
	Orphaned     int              `json:"orphaned"`
	Conflicts    int              `json:"conflicts"`
}

// UncataloguedRepo is an active repo with no descriptor and no service.
type UncataloguedRepo struct {
	Path           string     `json:"path"`
	WebURL         string     `json:"web_url,omitempty"`
	Group          string     `json:"group"`
	Team           *string    `json:"team"`
	Status         string     `json:"descriptor_status"`
	SyncError      string     `json:"sync_error,omitempty"`
	LastActivityAt *time.Time `json:"last_activity_at"`
}

// BrokenRepo is an active repo whose descriptor is invalid.
type BrokenRepo struct {
	Path           string  `json:"path"`
	WebURL         string  `json:"web_url,omitempty"`
	Group          string  `json:"group"`
	Team           *string `json:"team"`
	DescriptorPath string  `json:"descriptor_path"`
	Error          Finding `json:"first_error"`
	ErrorURL       string  `json:"first_error_url,omitempty"`
	Findings       int     `json:"findings"`
	Catalogued     bool    `json:"catalogued"`
}

// Finding is a descriptor error with its position.
type Finding struct {
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Rule    string `json:"rule"`
	Message string `json:"message"`
}

// Page is a page of a list.
type Page[T any] struct {
	Items []T `json:"items"`
	// NextCursor continues the list; null on the last page.
	NextCursor *string `json:"next_cursor"`
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

func pdRef(id, name, url string) *PagerDutyRef {
	if id == "" {
		return nil
	}
	return &PagerDutyRef{ID: id, Name: name, URL: url}
}

func summaryOf(s catalog.Service) ServiceSummary {
	tags := s.Tags
	if tags == nil {
		tags = []string{}
	}
	return ServiceSummary{Ref: s.Ref(), Name: s.Name, Namespace: s.Namespace, Title: s.Title, Team: strPtr(s.Team),
		Tier: s.Tier, Lifecycle: s.Lifecycle, Tags: tags, Status: s.Status}
}

func onCallOf(now commands.OnCallNow) OnCall {
	oc := OnCall{Status: OnCallOK, Policy: pdRef(now.Policy.ID, now.Policy.Name, now.Policy.HTMLURL),
		PagerDutyService: pdRef(now.Service.ID, now.Service.Name, now.Service.HTMLURL),
		Stale:            now.Stale, FetchedAt: timePtr(now.FetchedAt), Levels: []OnCallLevel{}}
	for _, l := range now.Levels {
		lv := OnCallLevel{Level: l.Level, Until: timePtr(l.Until), Schedule: schedRef(l.Schedule), People: []OnCallPerson{}}
		for _, p := range l.People {
			lv.People = append(lv.People, OnCallPerson{Name: p.Name, SlackUserID: strPtr(p.SlackUserID)})
		}
		oc.Levels = append(oc.Levels, lv)
	}
	return oc
}

func schedRef(s oncall.Schedule) *PagerDutyRef { return pdRef(s.ID, s.Name, s.HTMLURL) }
