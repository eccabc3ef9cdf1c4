// The digest's read model: what the daily digest, /digest and the
// /service subcommands about uncatalogued repos show. The types and what
// is computed from them are here; the queries that fill them in
// digest_read.go; the ignore list in ignore.go. Posting the digest, and the
// per-day record that makes it exactly once, is package digest's.

package catalog

import (
	"cmp"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-dev/switchboard/manifest"
	"github.com/switchboard-dev/switchboard/scorecard"
)

// DefaultActiveDays is how recently a repo must have been pushed to, or
// otherwise changed in GitLab, to count as active in the digest: six months.
// Older repos are left out of coverage rather than nagged about: a repo
// nobody touched for half a year is rarely a running service, and when it
// is, its first push brings it back.
const DefaultActiveDays = 180

// trendDays is how many earlier digests a digest's trend shows.
const trendDays = 7

// DigestOptions chooses what Digest covers.
type DigestOptions struct {
	// Group limits the digest to the repos of one GitLab group, subgroups
	// included ("payments" covers "payments/api" and "payments/web/app");
	// empty covers every repo.
	Group string
	// ActiveDays is how recent a repo's last activity must be for it to
	// count; DefaultActiveDays when zero.
	ActiveDays int
	// Now is when the digest is made; the store's clock when zero.
	Now time.Time
	// Day is the day the digest is for: the change is shown since the last
	// digest posted before it. Zero: since the last digest posted.
	Day time.Time
	// Ignored reports repos ignored by configuration (the standards file's
	// gitlab.ignore); they count as ignored, like those ignored in Slack.
	Ignored func(path string) bool
	// LevelNames are the scorecard's levels, lowest first, for the digest
	// to name the levels services rose to or dropped to; nil: by rank.
	LevelNames []string
}

// Coverage says how much of the organisation's active repos the catalog
// covers. A repo is active when it is not archived, not deleted, not
// ignored and had activity in the last ActiveDays days; it is catalogued
// when its descriptor is valid or a service of the catalog lives in it
// (registered in Slack, or kept from its last valid descriptor).
type Coverage struct {
	// Active is how many repos are active.
	Active int `json:"active"`
	// Catalogued is how many active repos are catalogued.
	Catalogued int `json:"catalogued"`
	// NoDescriptor is how many active repos are not catalogued and have no
	// descriptor (none, a template, or not read yet).
	NoDescriptor int `json:"no_descriptor"`
	// Broken is how many active repos have an invalid descriptor, whether
	// or not their last good services still count them as catalogued.
	Broken int `json:"broken"`
	// Ignored is how many repos are ignored: in Slack (active or not), or
	// by configuration (active ones).
	Ignored int `json:"ignored"`
}

// Percent is Catalogued as a percentage of Active; 100 when nothing is
// active.
func (c Coverage) Percent() float64 {
	if c.Active == 0 {
		return 100
	}
	return 100 * float64(c.Catalogued) / float64(c.Active)
}

// CoverageDay is the coverage a posted digest showed.
type CoverageDay struct {
	// Day is the day the digest was for (midnight UTC of that date).
	Day      time.Time
	PostedAt time.Time
	Coverage Coverage
	// Teams and Groups are the coverage of each team's repos and of each
	// GitLab group's (subgroups included), by lower-case name.
	Teams  map[string]Coverage
	Groups map[string]Coverage
}

// UncataloguedRepo is an active repo with no descriptor and no service.
type UncataloguedRepo struct {
	Path   string
	WebURL string
	// Group is the repo's GitLab group: its path without the last segment.
	Group string
	// Team is the team whose GitLab group holds the repo; empty when none.
	Team string
	// Status is the descriptor status: "missing", "template" (a scaffolding
	// template, not a service) or "unknown" (not read yet, see SyncError).
	Status         string
	SyncError      string
	LastActivityAt time.Time
}

// RepoGroup is the uncatalogued repos of one GitLab group, most recently
// active first.
type RepoGroup struct {
	Group string
	// Team is the team whose GitLab group holds this group; empty when none.
	Team  string
	Repos []UncataloguedRepo
}

// BrokenRepo is an active repo whose descriptor is invalid.
type BrokenRepo struct {
	Path           string
	WebURL         string
	Group          string
	Team           string
	DefaultBranch  string
	DescriptorPath string
	// First is the descriptor's first error (its first finding when it has
	// no error).
	First manifest.Finding
	// Findings is how many findings the descriptor has.
	Findings int
	// Catalogued is true when the services of its last valid descriptor
	// still count it as catalogued.
	Catalogued bool
}

// FileURL links to the line of the descriptor's first finding in GitLab;
// empty when the repo's address is unknown.
func (b BrokenRepo) FileURL() string {
	if b.WebURL == "" || b.DefaultBranch == "" {
		return b.WebURL
	}
	path := b.First.Path
	if path == "" {
		path = b.DescriptorPath
	}
	if path == "" {
		return b.WebURL
	}
	u := strings.TrimSuffix(b.WebURL, "/") + "/-/blob/" + b.DefaultBranch + "/" + path
	if b.First.Line > 0 {
		u += "#L" + strconv.Itoa(b.First.Line)
	}
	return u
}

// ConflictRepo is one of the repos that claim a service name.
type ConflictRepo struct {
	Path string
	// WebURL is empty when the repo is not in the catalog's view.
	WebURL string
	Team   string
	// Holds is true for the repo that holds the name (the first to claim it).
	Holds bool
}

// NameConflict is a service name that several repos' descriptors claim.
type NameConflict struct {
	// Service is the name's reference ("name" or "namespace/name").
	Service string
	// Repos are the claimants, the holder first.
	Repos []ConflictRepo
}

// UnreadRepo is an active repo with dependency files the sync chose but
// could not read (not found at the commit, too large, timed out) or could
// not parse: its dependency graph is incomplete, and unread is not empty.
type UnreadRepo struct {
	Path   string
	WebURL string
	Group  string
	Team   string
	// DefaultBranch and LastCommit say where the files were read: links
	// point at the commit read when it is known.
	DefaultBranch, LastCommit string
	// Files are the files with a problem, by path.
	Files []DependencyFile
}

// FileURL links to f in GitLab, at the line of its positioned error when
// it has one; the repo's address when the file's cannot be made.
func (u UnreadRepo) FileURL(f DependencyFile) string {
	ref := cmp.Or(u.LastCommit, u.DefaultBranch)
	if u.WebURL == "" || ref == "" || f.Path == "" {
		return u.WebURL
	}
	if job, path, ok := f.Artifact(); ok {
		// The artifact of the latest successful job on the branch, as
		// the sync reads it; GitLab's page for it.
		if u.DefaultBranch == "" {
			return u.WebURL
		}
		return strings.TrimSuffix(u.WebURL, "/") + "/-/jobs/artifacts/" + url.PathEscape(u.DefaultBranch) + "/file/" + path + "?job=" + url.QueryEscape(job)
	}
	link := strings.TrimSuffix(u.WebURL, "/") + "/-/blob/" + ref + "/" + f.Path
	if line, _, _ := f.Position(); line > 0 {
		link += "#L" + strconv.Itoa(line)
	}
	return link
}

// artifactPrefix starts the path of a dependency file read from a CI
// job's artifacts rather than the repository (ArtifactSource).
const artifactPrefix = "CI artifact "

// ArtifactSource is how a file of a CI job's artifacts is named as a
// dependency source ("CI artifact sbom:build/reports/bom.json"): what an
// SRE looks for in the repo's pipelines, never a path of the repository.
func ArtifactSource(job, path string) string { return artifactPrefix + job + ":" + path }

// Artifact returns the job and path of a file read from a CI job's
// artifacts (named by ArtifactSource); ok is false for a repository file.
func (f DependencyFile) Artifact() (job, path string, ok bool) {
	rest, found := strings.CutPrefix(f.Path, artifactPrefix)
	if !found {
		return "", "", false
	}
	job, path, ok = strings.Cut(rest, ":")
	return job, path, ok && job != "" && path != ""
}

// Position splits an unparsable file's positioned error
// ("path:line:col: message", depfile's form) into its line, column and
// message; line 0 and the error whole when it carries no position.
func (f DependencyFile) Position() (line, col int, msg string) {
	rest, ok := strings.CutPrefix(f.Error, f.Path+":")
	if f.Problem != FileUnparsable || !ok {
		return 0, 0, f.Error
	}
	num := func() int {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		n, err := strconv.Atoi(rest[:i])
		if err != nil || i == len(rest) || rest[i] != ':' {
			return 0
		}
		rest = rest[i+1:]
		return n
	}
	if line = num(); line == 0 {
		return 0, 0, f.Error
	}
	col = num()
	return line, col, strings.TrimSpace(rest)
}

// ServiceIssue is a service the digest flags: orphaned, or missing an
// owner, a way to page on call, or a runbook.
type ServiceIssue struct {
	// Ref is the service's reference ("name" or "namespace/name").
	Ref string
	// Owner is the owning team; empty when the service has none.
	Owner string
	// Team is the team whose part of the digest shows the issue: the owner,
	// else the team whose GitLab group holds the service's repo.
	Team string
	// Repo and RepoURL are the service's (first) repo, when it has one.
	Repo    string
	RepoURL string
	// Orphaned is true when the service's descriptor disappeared; Since is
	// when it was last changed.
	Orphaned bool
	Since    time.Time
	// NoOwner, NoOnCall (no PagerDuty service and no escalation policy on
	// its team) and NoRunbook say what an active service lacks.
	NoOwner, NoOnCall, NoRunbook bool
}

// Digest is what the daily digest shows, as of one moment. Make one with
// Store.Digest; ForTeam narrows it to one team's part.
type Digest struct {
	// Now is when the digest was made; Day the day it is for (zero when it
	// is for no particular day).
	Now, Day time.Time
	// ActiveDays is the activity window that makes a repo active.
	ActiveDays int
	// Group and Team are the digest's scope; empty when it covers all.
	Group, Team string
	Coverage    Coverage
	// Previous is the coverage of the last digest posted before this one,
	// nil when there is none (or none for this scope).
	Previous *CoverageDay
	// Trend is the coverage of up to seven digests posted before this one,
	// oldest first.
	Trend []CoverageDay
	// Uncatalogued are the active repos with no descriptor, by GitLab group,
	// the largest groups first.
	Uncatalogued []RepoGroup
	// Broken are the active repos with an invalid descriptor, by path.
	Broken []BrokenRepo
	// Conflicts are service names several repos claim, by name.
	Conflicts []NameConflict
	// Orphaned are services whose descriptor disappeared, by reference.
	Orphaned []ServiceIssue
	// Gaps are active services missing an owner, on-call or a runbook,
	// by owner then reference.
	Gaps []ServiceIssue
	// Unread are the active repos with dependency files that could not be
	// read or parsed, by path.
	Unread []UnreadRepo
	// Teams are the teams that have a GitLab group, by name: those that can
	// get a part of their own.
	Teams []Team
	// LevelChanges are the services whose scorecard level dropped or rose
	// since the last digest posted (the last day when none was), one net
	// change each, drops first (Store.LevelChanges).
	LevelChanges []LevelChange
	// LevelNames are the scorecard's levels, lowest first
	// (DigestOptions.LevelNames); nil when not given.
	LevelNames []string
	// OverdueCampaigns are the open campaigns past their deadline with
	// services left, by deadline.
	OverdueCampaigns []OverdueCampaign
	// NoisyServices are the active services with PagerDuty incidents in
	// the week before Now, most first (digestNoisyServices); the digest
	// names the top NoisyTop. NoisyUnknown says why they are unknown ("":
	// known, or PagerDuty's incidents are not read at all).
	NoisyServices []NoisyService
	NoisyUnknown  string

	repos   []digestRepo
	history []CoverageDay // newest first
}

// UncataloguedCount is how many repos Uncatalogued lists.
func (d *Digest) UncataloguedCount() int {
	n := 0
	for _, g := range d.Uncatalogued {
		n += len(g.Repos)
	}
	return n
}

// Empty reports whether the digest has nothing to act on.
func (d *Digest) Empty() bool {
	return len(d.Uncatalogued) == 0 && len(d.Broken) == 0 && len(d.Conflicts) == 0 &&
		len(d.Orphaned) == 0 && len(d.Gaps) == 0 && len(d.Unread) == 0
}

// LevelName names the scorecard level of rank (1 for the lowest): its name
// from LevelNames, else "level N"; "no level" for 0.
func (d *Digest) LevelName(rank int) string {
	switch {
	case rank <= 0:
		return scorecard.NoLevel
	case rank <= len(d.LevelNames):
		return d.LevelNames[rank-1]
	}
	return "level " + strconv.Itoa(rank)
}

// UnreadFiles is how many dependency files Unread lists.
func (d *Digest) UnreadFiles() int {
	n := 0
	for _, r := range d.Unread {
		n += len(r.Files)
	}
	return n
}

// digestRepo is what coverage needs of one repo.
type digestRepo struct {
	path, group, team string
	active            bool
	ignored           bool
	catalogued        bool
	status            string
}

// ForTeam returns the part of the digest that concerns team (by name,
// ignoring case): the repos its GitLab group holds, and the services it
// owns or whose repos its group holds.
func (d *Digest) ForTeam(team string) *Digest {
	out := *d
	out.Team = team
	var t Team
	for _, x := range d.Teams {
		if strings.EqualFold(x.Name, team) {
			t = x
			out.Team = x.Name
		}
	}
	out.Teams = nil
	if t.Name != "" {
		out.Teams = []Team{t}
	}
	is := func(name string) bool { return strings.EqualFold(name, team) }
	out.repos = nil
	for _, r := range d.repos {
		if is(r.team) {
			out.repos = append(out.repos, r)
		}
	}
	out.Coverage = coverageOf(out.repos)
	out.Uncatalogued = nil
	for _, g := range d.Uncatalogued {
		if is(g.Team) {
			out.Uncatalogued = append(out.Uncatalogued, g)
		}
	}
	out.Broken = keepIf(d.Broken, func(b BrokenRepo) bool { return is(b.Team) })
	out.Conflicts = keepIf(d.Conflicts, func(c NameConflict) bool {
		return slices.ContainsFunc(c.Repos, func(r ConflictRepo) bool { return is(r.Team) })
	})
	out.Orphaned = keepIf(d.Orphaned, func(s ServiceIssue) bool { return is(s.Team) })
	out.Gaps = keepIf(d.Gaps, func(s ServiceIssue) bool { return is(s.Team) })
	out.Unread = keepIf(d.Unread, func(u UnreadRepo) bool { return is(u.Team) })
	out.LevelChanges = keepIf(d.LevelChanges, func(c LevelChange) bool { return is(c.Service.Team) })
	out.OverdueCampaigns = overdueForTeam(d.OverdueCampaigns, team)
	out.NoisyServices = keepIf(d.NoisyServices, func(n NoisyService) bool { return is(n.Team) })
	key := strings.ToLower(team)
	out.setHistory(func(c CoverageDay) (Coverage, bool) { cov, ok := c.Teams[key]; return cov, ok })
	return &out
}

// Snapshot is the digest's coverage as a posted day records it: overall,
// by team and by group.
func (d *Digest) Snapshot() CoverageDay {
	c := CoverageDay{Day: d.Day, Coverage: d.Coverage, Teams: map[string]Coverage{}, Groups: map[string]Coverage{}}
	byTeam, byGroup := map[string][]digestRepo{}, map[string][]digestRepo{}
	for _, r := range d.repos {
		if r.team != "" {
			k := strings.ToLower(r.team)
			byTeam[k] = append(byTeam[k], r)
		}
		for _, g := range groupAncestors(strings.ToLower(r.group)) {
			byGroup[g] = append(byGroup[g], r)
		}
	}
	for k, rs := range byTeam {
		c.Teams[k] = coverageOf(rs)
	}
	for k, rs := range byGroup {
		c.Groups[k] = coverageOf(rs)
	}
	return c
}

// setHistory sets Previous and Trend from the digest's history, reading
// each day's coverage for the digest's scope with pick.
func (d *Digest) setHistory(pick func(CoverageDay) (Coverage, bool)) {
	d.Previous, d.Trend = nil, nil
	for i := len(d.history) - 1; i >= 0; i-- { // oldest first
		h := d.history[i]
		cov, ok := pick(h)
		if !ok {
			continue
		}
		day := CoverageDay{Day: h.Day, PostedAt: h.PostedAt, Coverage: cov}
		d.Trend = append(d.Trend, day)
	}
	if n := len(d.Trend); n > 0 {
		prev := d.Trend[n-1]
		d.Previous = &prev
	}
}

func coverageOf(repos []digestRepo) Coverage {
	var c Coverage
	for _, r := range repos {
		switch {
		case r.ignored:
			c.Ignored++
		case !r.active:
		default:
			c.Active++
			switch {
			case r.catalogued:
				c.Catalogued++
			case r.status != DescriptorInvalid:
				c.NoDescriptor++
			}
			if r.status == DescriptorInvalid {
				c.Broken++
			}
		}
	}
	return c
}

// groupAncestors returns a group and the groups above it: "a/b" -> "a", "a/b".
func groupAncestors(group string) []string {
	if group == "" {
		return nil
	}
	var out []string
	for i, r := range group {
		if r == '/' {
			out = append(out, group[:i])
		}
	}
	return append(out, group)
}

// RepoGroupOf returns a repo's GitLab group: its path without the last
// segment ("" for a path with none).
func RepoGroupOf(path string) string {
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		return path[:i]
	}
	return ""
}

// pathInGroup reports whether path lies in group or one of its subgroups.
func pathInGroup(path, group string) bool {
	group = strings.Trim(group, "/")
	return group == "" || len(path) > len(group) && strings.EqualFold(path[:len(group)], group) && path[len(group)] == '/'
}

// groupTeams is the set of the (lower-cased) names of the teams whose
// GitLab group lies in a group's digest's group; nil for a digest of the
// whole organisation (every team is in it).
func (d *Digest) groupTeams() map[string]bool {
	if d.Group == "" {
		return nil
	}
	in := map[string]bool{}
	for _, t := range d.Teams {
		g := strings.Trim(t.GitLabGroup, "/")
		if strings.EqualFold(g, d.Group) || pathInGroup(g, d.Group) {
			in[strings.ToLower(t.Name)] = true
		}
	}
	return in
}

// keepIf returns the elements of xs that keep accepts.
func keepIf[T any](xs []T, keep func(T) bool) []T {
	var out []T
	for _, x := range xs {
		if keep(x) {
			out = append(out, x)
		}
	}
	return out
}

// teamMapper finds the team whose GitLab group holds a path: the team with
// the longest group that is the path's group or one above it.
type teamMapper []Team

func newTeamMapper(teams []Team) teamMapper {
	m := keepIf(teams, func(t Team) bool { return strings.Trim(t.GitLabGroup, "/") != "" })
	slices.SortFunc(m, func(a, b Team) int { return len(b.GitLabGroup) - len(a.GitLabGroup) })
	return m
}

// teamOf returns the team of a group, "" when none maps it.
func (m teamMapper) teamOf(group string) string {
	for _, t := range m {
		g := strings.Trim(t.GitLabGroup, "/")
		if strings.EqualFold(group, g) || pathInGroup(group, g) {
			return t.Name
		}
	}
	return ""
}
