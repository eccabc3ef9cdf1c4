// Package catalog is Switchboard's domain: teams, people, services, repos and
// their dependencies, and the Postgres store that holds them.
package catalog

import (
	"errors"
	"time"
)

// Errors returned by the store. Match them with errors.Is.
var (
	// ErrNotFound means the thing asked for does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict means a write would break a uniqueness rule, such as a
	// service name already taken in its namespace.
	ErrConflict = errors.New("conflict")
	// ErrInvalid means the input breaks a rule of the catalog (an empty name,
	// an unknown source).
	ErrInvalid = errors.New("invalid")
)

// Source says where a service's record came from.
type Source string

// Sources of a service record.
const (
	// SourceDescriptor: a descriptor file in a repo (catalog-info.yaml,
	// opslevel.yml); the repo is the truth and sync overwrites the record.
	SourceDescriptor Source = "descriptor"
	// SourceSlack: registered through Slack (/service add), until its
	// descriptor lands in the repo.
	SourceSlack Source = "slack"
	// SourceImport: loaded by an administrator (the demo's sample org).
	SourceImport Source = "import"
)

// Service statuses.
const (
	// StatusActive is a service whose source still declares it.
	StatusActive = "active"
	// StatusOrphaned is a service whose descriptor disappeared: kept and shown,
	// never silently dropped.
	StatusOrphaned = "orphaned"
)

// DefaultNamespace is the namespace of services that name none, as in
// Backstage.
const DefaultNamespace = "default"

// Link kinds.
const (
	LinkRunbook   = "runbook"
	LinkDocs      = "docs"
	LinkDashboard = "dashboard"
	LinkOther     = "other"
)

// Team is a group of people who own services.
type Team struct {
	ID          int64
	Name        string
	Title       string
	Description string
	// SlackChannel is the team's channel, e.g. "#team-payments".
	SlackChannel string
	// GitLabGroup is the full path of the team's GitLab group.
	GitLabGroup string
	// PagerDutyEscalationPolicy is the id of the team's escalation policy.
	PagerDutyEscalationPolicy string
	// PagerDutyTeam is the id of the team in PagerDuty.
	PagerDutyTeam string
}

// Person is someone in the organisation, known by email across systems.
type Person struct {
	ID              int64
	Name            string
	Email           string
	SlackUserID     string
	GitLabUsername  string
	PagerDutyUserID string
}

// Link is a named URL attached to a service.
type Link struct {
	Kind  string `json:"kind"`
	Title string `json:"title"`
	URL   string `json:"url"`
}

// Service is a deployable thing somebody owns.
type Service struct {
	ID          int64
	Namespace   string
	Name        string
	Title       string
	Description string
	// Team is the owning team's name; empty when the service has no owner.
	Team      string
	Lifecycle string
	Tier      string
	Type      string
	Language  string
	Framework string
	Tags      []string
	// SlackChannel is the service's own channel, when it has one.
	SlackChannel            string
	PagerDutyServiceID      string
	PagerDutyIntegrationKey string
	Links                   []Link
	Aliases                 []string
	Source                  Source
	Status                  string
	UpdatedAt               time.Time
}

// Ref is the service's reference: "name" in the default namespace, else
// "namespace/name".
func (s Service) Ref() string {
	if s.Namespace == "" || s.Namespace == DefaultNamespace {
		return s.Name
	}
	return s.Namespace + "/" + s.Name
}

// LinksOf returns the service's links of one kind.
func (s Service) LinksOf(kind string) []Link {
	var out []Link
	for _, l := range s.Links {
		if l.Kind == kind {
			out = append(out, l)
		}
	}
	return out
}

// Repo is a GitLab project as the catalog knows it.
type Repo struct {
	ID             int64
	GitLabID       int64
	Path           string
	DefaultBranch  string
	WebURL         string
	Archived       bool
	Forked         bool
	LastActivityAt time.Time
	LastCommit     string
	// DescriptorStatus is one of "unknown", "ok", "invalid", "missing",
	// "template".
	DescriptorStatus string
	DescriptorPath   string
	// Subpath is, when the repo is seen from a service, the folder of the
	// service's descriptor in the repo (monorepos).
	Subpath string
}

// Dependency is a package a repo depends on, found in one of its files.
type Dependency struct {
	Ecosystem string
	Name      string
	Version   string
	// File and Line are where the dependency is declared: for a
	// lockfile's direct dependency, the manifest's line (the line to
	// change); for a transitive one, the lockfile entry pinning it. Line
	// is 0 when unknown.
	File string
	Line int
	// Source is the dependency file it was read from (the lockfile when
	// File is its manifest); File when empty.
	Source string
	// Direct is true when the project asks for it itself; false for a
	// transitive dependency and when the file does not tell (see
	// DependencyFile.Graph).
	Direct bool
	// Via is the chain bringing a transitive dependency in, as
	// "name@version" from the direct dependency down; nil when direct or
	// unknown.
	Via []string
	// Scope is how it is used as the file says ("test", "dev", ...); empty
	// for a plain runtime dependency.
	Scope string
	// VersionFrom is, for a Maven dependency whose version is set by a
	// POM outside the repo, that parent POM's or imported BOM's coordinate
	// "groupId:artifactId:version" (File and Line are then what the repo
	// can change: the BOM's import, else the declaration or <parent>);
	// empty when the repo sets the version itself, and for other
	// ecosystems. See depfile.Dependency.VersionFrom. Stored in
	// dependencies.version_from.
	VersionFrom string
}

// SourceFile is the file the dependency was read from.
func (d Dependency) SourceFile() string {
	if d.Source != "" {
		return d.Source
	}
	return d.File
}

// Problems of a dependency file that gave no dependencies.
const (
	// FileUnparsable: read, but malformed (DependencyFile.Error holds the
	// positioned error).
	FileUnparsable = "unparsable"
	// FileNotFound: listed in the tree, but 404 at the commit read.
	FileNotFound = "not_found"
	// FileTooLarge: over the size limit of a read.
	FileTooLarge = "too_large"
	// FileTimeout: reading it timed out.
	FileTimeout = "timeout"
	// FileError: reading it failed otherwise.
	FileError = "error"
)

// Graph levels of a dependency file (depfile.Graph's names).
const (
	GraphFlat     = "flat"
	GraphDeclared = "declared"
	GraphDirect   = "direct"
	GraphPaths    = "paths"
)

// DependencyFile is what the sync got from one dependency file of a repo:
// how much of the graph it records, or why it gave nothing. Unread is not
// empty: a file with a Problem may hold any dependency.
type DependencyFile struct {
	Path string
	// Graph is GraphFlat, GraphDeclared, GraphDirect or GraphPaths; empty
	// when the file gave nothing (see Problem).
	Graph string
	// Manifest is the manifest read beside a lockfile to tell its direct
	// dependencies; empty when none.
	Manifest string
	// Note says what the file could not tell.
	Note string
	// Problem is why the file gave nothing (FileUnparsable, FileNotFound,
	// ...); empty when it was read.
	Problem string
	// Error is the reason in full: the positioned parse error, or the
	// read's error.
	Error string
	// Retry says when a graph left incomplete for a reason outside the
	// repo is tried again although the repo did not change: RetryNextSync
	// or RetryDaily; empty when only a change can help.
	Retry string
}

// When a dependency file's incomplete graph is tried again
// (DependencyFile.Retry).
const (
	// RetryNextSync: at the next sync (a Maven repository did not answer).
	RetryNextSync = "sync"
	// RetryDaily: at the daily verification run (a POM was not found).
	RetryDaily = "daily"
)

// Unread reports whether the file could not be fetched (as opposed to
// fetched and found malformed): the next sync tries it again.
func (f DependencyFile) Unread() bool {
	switch f.Problem {
	case FileNotFound, FileTooLarge, FileTimeout, FileError:
		return true
	}
	return false
}

// Incomplete says why the file leaves the repo's graph incomplete, or ""
// when it does not: unread, unparsable, declared-only (transitive
// dependencies unseen), flat (direct ones unknown), or with a note.
func (f DependencyFile) Incomplete() string {
	switch {
	case f.Problem == FileUnparsable:
		return "cannot be parsed: " + f.Error
	case f.Problem != "":
		why := map[string]string{FileNotFound: "not found at the commit read", FileTooLarge: "over the size limit",
			FileTimeout: "timed out"}[f.Problem]
		if why == "" {
			why = f.Error
		}
		return "not read (" + why + ")"
	case f.Graph == GraphDeclared:
		return "declares direct dependencies only: transitive ones are not seen (no lockfile)"
	case f.Graph == GraphFlat:
		return "lists packages without telling direct from transitive"
	case f.Note != "":
		return f.Note
	}
	return ""
}

// Profile is everything the catalog knows about one service: what
// /whoowns shows.
type Profile struct {
	Service Service
	// Team is the owning team; nil when the service has no owner.
	Team *Team
	// Members are the owning team's people.
	Members []Person
	Repos   []Repo
}

// MatchKind says how a lookup found its services.
type MatchKind int

// How FindService matched.
const (
	// MatchNone: nothing matched; see Suggestions.
	MatchNone MatchKind = iota
	// MatchExact: the name, exactly as typed.
	MatchExact
	// MatchCaseInsensitive: the name, ignoring case.
	MatchCaseInsensitive
	// MatchAlias: an alias of the service.
	MatchAlias
)

// Suggestion is a service whose name is close to a query that found nothing.
type Suggestion struct {
	Service Service
	// Similarity is pg_trgm's similarity of the query and the closest of the
	// service's name and aliases, from 0 to 1.
	Similarity float64
}

// Lookup is the answer to FindService. Services holds every match (more than
// one means the name is ambiguous); when it is empty, Suggestions holds the
// closest names, best first.
type Lookup struct {
	Query       string
	Kind        MatchKind
	Services    []Service
	Suggestions []Suggestion
}

// AuditEntry is one line of the audit log.
type AuditEntry struct {
	ID      int64
	At      time.Time
	Actor   string
	Action  string
	Subject string
	Detail  map[string]any
	Result  string
}
