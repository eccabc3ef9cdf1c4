package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchboard-dev/switchboard/manifest"
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
	// Teams are the teams that have a GitLab group, by name: those that can
	// get a part of their own.
	Teams []Team

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
		len(d.Orphaned) == 0 && len(d.Gaps) == 0
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

// Digest returns what the daily digest shows: coverage and its change since
// the last posted digest, the uncatalogued repos by group, broken
// descriptors, name conflicts, orphaned services and services' gaps. It
// reads one consistent snapshot of the catalog.
func (s *Store) Digest(ctx context.Context, opts DigestOptions) (*Digest, error) {
	if opts.ActiveDays <= 0 {
		opts.ActiveDays = DefaultActiveDays
	}
	if opts.Now.IsZero() {
		opts.Now = s.Now()
	}
	if opts.Ignored == nil {
		opts.Ignored = func(string) bool { return false }
	}
	opts.Group = strings.Trim(strings.TrimSpace(opts.Group), "/")
	d := &Digest{Now: opts.Now, ActiveDays: opts.ActiveDays, Group: opts.Group}
	if !opts.Day.IsZero() {
		d.Day = digestDate(opts.Day)
	}
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		return readDigest(ctx, tx, d, opts)
	})
	if err != nil {
		return nil, fmt.Errorf("digest: %w", err)
	}
	return d, nil
}

func readDigest(ctx context.Context, tx pgx.Tx, d *Digest, opts DigestOptions) error {
	cutoff := opts.Now.Add(-time.Duration(opts.ActiveDays) * 24 * time.Hour)

	rows, err := tx.Query(ctx, `SELECT `+teamColumns+` FROM teams ORDER BY lower(name)`)
	if err != nil {
		return fmt.Errorf("teams: %w", err)
	}
	teams, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Team, error) { return scanTeam(r) })
	if err != nil {
		return fmt.Errorf("teams: %w", err)
	}
	mapper := newTeamMapper(teams)
	d.Teams = keepIf(teams, func(t Team) bool { return strings.Trim(t.GitLabGroup, "/") != "" })

	if err := readDigestRepos(ctx, tx, d, opts, cutoff, mapper); err != nil {
		return err
	}
	if err := readDigestConflicts(ctx, tx, d, opts, mapper); err != nil {
		return err
	}
	if err := readDigestServices(ctx, tx, d, opts, mapper); err != nil {
		return err
	}
	history, err := readHistory(ctx, tx, d.Day)
	if err != nil {
		return err
	}
	d.history = history
	group := strings.ToLower(opts.Group)
	d.setHistory(func(c CoverageDay) (Coverage, bool) {
		if group == "" {
			return c.Coverage, true
		}
		cov, ok := c.Groups[group]
		return cov, ok
	})
	return nil
}

// readDigestRepos reads the active and the ignored repos: coverage, the
// uncatalogued by group, the broken.
func readDigestRepos(ctx context.Context, tx pgx.Tx, d *Digest, opts DigestOptions, cutoff time.Time, mapper teamMapper) error {
	rows, err := tx.Query(ctx, `
		SELECT r.path, r.web_url, r.default_branch, r.descriptor_status, r.descriptor_path, r.last_activity_at, r.sync_error,
		       r.ignored_reason <> '',
		       NOT r.archived AND r.last_activity_at >= $1,
		       r.descriptor_status = 'ok' OR EXISTS (
		           SELECT 1 FROM service_repos sr JOIN services s ON s.id = sr.service_id
		           WHERE sr.repo_id = r.id AND s.status = 'active'),
		       CASE WHEN r.descriptor_status = 'invalid' THEN r.descriptor_errors END
		FROM repos r
		WHERE r.deleted_at IS NULL
		  AND (r.ignored_reason <> '' OR (NOT r.archived AND r.last_activity_at >= $1))
		  AND ($2 = '' OR starts_with(lower(r.path), lower($2) || '/'))`, cutoff, opts.Group)
	if err != nil {
		return fmt.Errorf("repos: %w", err)
	}
	defer rows.Close()
	groups := map[string]*RepoGroup{}
	for rows.Next() {
		var (
			path, webURL, branch, status, descPath, syncErr string
			last                                            *time.Time
			ignored, active, catalogued                     bool
			findingsJSON                                    []byte
		)
		if err := rows.Scan(&path, &webURL, &branch, &status, &descPath, &last, &syncErr, &ignored, &active, &catalogued, &findingsJSON); err != nil {
			return fmt.Errorf("repos: %w", err)
		}
		group := RepoGroupOf(path)
		r := digestRepo{path: path, group: group, team: mapper.teamOf(group), active: active,
			ignored: ignored || opts.Ignored(path), catalogued: catalogued, status: status}
		d.repos = append(d.repos, r)
		if r.ignored || !r.active {
			continue
		}
		switch {
		case status == DescriptorInvalid:
			b := BrokenRepo{Path: path, WebURL: webURL, Group: group, Team: r.team, DefaultBranch: branch, DescriptorPath: descPath, Catalogued: catalogued}
			var findings []manifest.Finding
			if err := json.Unmarshal(findingsJSON, &findings); err != nil {
				return fmt.Errorf("findings of %s: %w", path, err)
			}
			b.Findings = len(findings)
			if i := slices.IndexFunc(findings, func(f manifest.Finding) bool { return f.Severity == manifest.SeverityError }); i >= 0 {
				b.First = findings[i]
			} else if len(findings) > 0 {
				b.First = findings[0]
			}
			d.Broken = append(d.Broken, b)
		case !catalogued:
			g := groups[strings.ToLower(group)]
			if g == nil {
				g = &RepoGroup{Group: group, Team: r.team}
				groups[strings.ToLower(group)] = g
			}
			u := UncataloguedRepo{Path: path, WebURL: webURL, Group: group, Team: r.team, Status: status, SyncError: syncErr}
			if last != nil {
				u.LastActivityAt = *last
			}
			g.Repos = append(g.Repos, u)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("repos: %w", err)
	}
	d.Coverage = coverageOf(d.repos)
	for _, g := range groups {
		slices.SortFunc(g.Repos, func(a, b UncataloguedRepo) int {
			if c := b.LastActivityAt.Compare(a.LastActivityAt); c != 0 {
				return c
			}
			return strings.Compare(a.Path, b.Path)
		})
		d.Uncatalogued = append(d.Uncatalogued, *g)
	}
	slices.SortFunc(d.Uncatalogued, func(a, b RepoGroup) int {
		if c := len(b.Repos) - len(a.Repos); c != 0 {
			return c
		}
		return strings.Compare(a.Group, b.Group)
	})
	slices.SortFunc(d.Broken, func(a, b BrokenRepo) int { return strings.Compare(a.Path, b.Path) })
	return nil
}

// readDigestConflicts reads the service names several repos claim, and
// which repo holds each.
func readDigestConflicts(ctx context.Context, tx pgx.Tx, d *Digest, opts DigestOptions, mapper teamMapper) error {
	rows, err := tx.Query(ctx, `
		SELECT r.path, r.web_url, r.conflicts FROM repos r
		WHERE r.conflicts <> '[]'::jsonb AND r.deleted_at IS NULL AND r.ignored_reason = ''`)
	if err != nil {
		return fmt.Errorf("conflicts: %w", err)
	}
	defer rows.Close()
	urls := map[string]string{}
	claims := map[string]map[string]string{} // service -> lower(path) -> path
	for rows.Next() {
		var path, webURL string
		var raw []byte
		if err := rows.Scan(&path, &webURL, &raw); err != nil {
			return fmt.Errorf("conflicts: %w", err)
		}
		if opts.Ignored(path) {
			continue
		}
		var cs []Conflict
		if err := json.Unmarshal(raw, &cs); err != nil {
			return fmt.Errorf("conflicts of %s: %w", path, err)
		}
		urls[strings.ToLower(path)] = webURL
		for _, c := range cs {
			m := claims[c.Service]
			if m == nil {
				m = map[string]string{}
				claims[c.Service] = m
			}
			m[strings.ToLower(path)] = path
			if c.Repo != "" && !opts.Ignored(c.Repo) {
				if _, ok := m[strings.ToLower(c.Repo)]; !ok {
					m[strings.ToLower(c.Repo)] = c.Repo
				}
			}
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("conflicts: %w", err)
	}
	rows.Close()
	if len(claims) == 0 {
		return nil
	}
	refs := make([]string, 0, len(claims))
	for ref := range claims {
		refs = append(refs, ref)
	}
	holders := map[string]string{}
	hrows, err := tx.Query(ctx, `
		SELECT CASE WHEN s.namespace = 'default' THEN s.name ELSE s.namespace || '/' || s.name END, r.path
		FROM services s JOIN service_repos sr ON sr.service_id = s.id JOIN repos r ON r.id = sr.repo_id
		WHERE s.source = 'descriptor' AND s.status = 'active'
		  AND lower(CASE WHEN s.namespace = 'default' THEN s.name ELSE s.namespace || '/' || s.name END) = ANY($1)`,
		lowerStrings(refs))
	if err != nil {
		return fmt.Errorf("conflict holders: %w", err)
	}
	defer hrows.Close()
	for hrows.Next() {
		var ref, path string
		if err := hrows.Scan(&ref, &path); err != nil {
			return fmt.Errorf("conflict holders: %w", err)
		}
		holders[strings.ToLower(ref)] = strings.ToLower(path)
	}
	if err := hrows.Err(); err != nil {
		return fmt.Errorf("conflict holders: %w", err)
	}
	for _, ref := range refs {
		c := NameConflict{Service: ref}
		holder := holders[strings.ToLower(ref)]
		inScope := false
		for key, path := range claims[ref] {
			c.Repos = append(c.Repos, ConflictRepo{Path: path, WebURL: urls[key], Team: mapper.teamOf(RepoGroupOf(path)), Holds: key == holder})
			inScope = inScope || pathInGroup(path, opts.Group)
		}
		if !inScope || len(c.Repos) < 2 {
			continue
		}
		slices.SortFunc(c.Repos, func(a, b ConflictRepo) int {
			if a.Holds != b.Holds {
				if a.Holds {
					return -1
				}
				return 1
			}
			return strings.Compare(a.Path, b.Path)
		})
		d.Conflicts = append(d.Conflicts, c)
	}
	slices.SortFunc(d.Conflicts, func(a, b NameConflict) int { return strings.Compare(a.Service, b.Service) })
	return nil
}

func lowerStrings(xs []string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = strings.ToLower(x)
	}
	return out
}

// readDigestServices reads orphaned services and active services missing
// an owner, on-call or a runbook. Services whose every repo is ignored are
// left out, and so are gaps of services whose repos are all archived or
// deleted.
func readDigestServices(ctx context.Context, tx pgx.Tx, d *Digest, opts DigestOptions, mapper teamMapper) error {
	rows, err := tx.Query(ctx, `
		SELECT s.namespace, s.name, s.status, s.updated_at, COALESCE(t.name, ''), COALESCE(t.gitlab_group, ''),
		       s.team_id IS NULL,
		       s.pagerduty_service_id = '' AND COALESCE(t.pagerduty_escalation_policy, '') = '',
		       NOT s.links @> '[{"kind": "runbook"}]'::jsonb,
		       COALESCE(rr.paths, '{}'), COALESCE(rr.urls, '{}'), COALESCE(rr.gone, '{}'), COALESCE(rr.ignored, '{}')
		FROM services s
		LEFT JOIN teams t ON t.id = s.team_id
		LEFT JOIN LATERAL (
		    SELECT array_agg(r.path ORDER BY r.path) AS paths, array_agg(r.web_url ORDER BY r.path) AS urls,
		           array_agg(r.archived OR r.deleted_at IS NOT NULL ORDER BY r.path) AS gone,
		           array_agg(r.ignored_reason <> '' ORDER BY r.path) AS ignored
		    FROM service_repos sr JOIN repos r ON r.id = sr.repo_id WHERE sr.service_id = s.id
		) rr ON true
		WHERE s.status = 'orphaned' OR s.team_id IS NULL
		   OR (s.pagerduty_service_id = '' AND COALESCE(t.pagerduty_escalation_policy, '') = '')
		   OR NOT s.links @> '[{"kind": "runbook"}]'::jsonb`)
	if err != nil {
		return fmt.Errorf("services: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			ns, name, status, owner, ownerGroup string
			updated                             time.Time
			noOwner, noOnCall, noRunbook        bool
			paths, urls                         []string
			gone, ignored                       []bool
		)
		if err := rows.Scan(&ns, &name, &status, &updated, &owner, &ownerGroup, &noOwner, &noOnCall, &noRunbook, &paths, &urls, &gone, &ignored); err != nil {
			return fmt.Errorf("services: %w", err)
		}
		live, kept, inScope := false, false, opts.Group == ""
		issue := ServiceIssue{Ref: Service{Namespace: ns, Name: name}.Ref(), Owner: owner, Team: owner, Since: updated}
		for i, p := range paths {
			if ignored[i] || opts.Ignored(p) {
				continue
			}
			kept = true
			live = live || !gone[i]
			inScope = inScope || pathInGroup(p, opts.Group)
			if issue.Repo == "" {
				issue.Repo, issue.RepoURL = p, urls[i]
			}
		}
		if len(paths) == 0 {
			kept, live = true, true
			inScope = inScope || ownerGroup != "" && (strings.EqualFold(ownerGroup, opts.Group) || pathInGroup(ownerGroup, opts.Group))
		}
		if !kept || !inScope {
			continue
		}
		if issue.Team == "" && issue.Repo != "" {
			issue.Team = mapper.teamOf(RepoGroupOf(issue.Repo))
		}
		switch {
		case status == StatusOrphaned:
			issue.Orphaned = true
			d.Orphaned = append(d.Orphaned, issue)
		case live && (noOwner || noOnCall || noRunbook):
			issue.NoOwner, issue.NoOnCall, issue.NoRunbook = noOwner, noOnCall, noRunbook
			d.Gaps = append(d.Gaps, issue)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("services: %w", err)
	}
	slices.SortFunc(d.Orphaned, func(a, b ServiceIssue) int { return strings.Compare(a.Ref, b.Ref) })
	slices.SortFunc(d.Gaps, func(a, b ServiceIssue) int {
		if (a.Owner == "") != (b.Owner == "") {
			if a.Owner == "" {
				return -1 // no owner first: nobody else will fix it
			}
			return 1
		}
		if c := strings.Compare(strings.ToLower(a.Owner), strings.ToLower(b.Owner)); c != 0 {
			return c
		}
		return strings.Compare(a.Ref, b.Ref)
	})
	return nil
}

// readHistory returns the coverage of up to trendDays digests posted before
// day (all days when day is zero), newest first.
func readHistory(ctx context.Context, tx pgx.Tx, day time.Time) ([]CoverageDay, error) {
	var before *time.Time
	if !day.IsZero() {
		before = &day
	}
	rows, err := tx.Query(ctx, `
		SELECT day, posted_at, active_repos, catalogued, no_descriptor, broken, ignored, teams, groups
		FROM digest_days WHERE posted_at IS NOT NULL AND ($1::date IS NULL OR day < $1::date)
		ORDER BY day DESC LIMIT $2`, before, trendDays)
	if err != nil {
		return nil, fmt.Errorf("digest history: %w", err)
	}
	defer rows.Close()
	var out []CoverageDay
	for rows.Next() {
		var c CoverageDay
		var teams, groups []byte
		if err := rows.Scan(&c.Day, &c.PostedAt, &c.Coverage.Active, &c.Coverage.Catalogued, &c.Coverage.NoDescriptor,
			&c.Coverage.Broken, &c.Coverage.Ignored, &teams, &groups); err != nil {
			return nil, fmt.Errorf("digest history: %w", err)
		}
		if err := json.Unmarshal(teams, &c.Teams); err != nil {
			return nil, fmt.Errorf("digest history %s: %w", c.Day.Format(time.DateOnly), err)
		}
		if err := json.Unmarshal(groups, &c.Groups); err != nil {
			return nil, fmt.Errorf("digest history %s: %w", c.Day.Format(time.DateOnly), err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("digest history: %w", err)
	}
	return out, nil
}

// digestDate returns t's date as midnight UTC, the form days are kept in.
func digestDate(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// DigestDay is the record of one day's digest: who claimed it, whether it
// was posted, where.
type DigestDay struct {
	// Day is the date (midnight UTC); DueAt the time it was due.
	Day, DueAt time.Time
	// ClaimedAt is when a replica claimed the day to post it (zero when no
	// claim stands); ClaimedBy names the replica.
	ClaimedAt time.Time
	ClaimedBy string
	// PostedAt is when the whole digest was posted; zero while not.
	PostedAt time.Time
	// PostedChannels are the channels already posted to.
	PostedChannels []string
	// Attempts counts the claims; FailedAt and LastError tell of the last
	// failure.
	Attempts  int
	FailedAt  time.Time
	LastError string
	// Coverage is what the posted digest showed.
	Coverage Coverage
}

// Posted reports whether the day's digest was posted.
func (d DigestDay) Posted() bool { return !d.PostedAt.IsZero() }

const digestDayColumns = `day, due_at, claimed_at, claimed_by, posted_at, posted_channels, attempts, failed_at, last_error,
	active_repos, catalogued, no_descriptor, broken, ignored`

func scanDigestDay(row pgx.Row) (DigestDay, error) {
	var d DigestDay
	var claimed, posted, failed *time.Time
	err := row.Scan(&d.Day, &d.DueAt, &claimed, &d.ClaimedBy, &posted, &d.PostedChannels, &d.Attempts, &failed, &d.LastError,
		&d.Coverage.Active, &d.Coverage.Catalogued, &d.Coverage.NoDescriptor, &d.Coverage.Broken, &d.Coverage.Ignored)
	for _, p := range []struct {
		src *time.Time
		dst *time.Time
	}{{claimed, &d.ClaimedAt}, {posted, &d.PostedAt}, {failed, &d.FailedAt}} {
		if p.src != nil {
			*p.dst = *p.src
		}
	}
	return d, err
}

// DigestDayRecord returns the record of day's digest. Returns ErrNotFound
// when nobody claimed it.
func (s *Store) DigestDayRecord(ctx context.Context, day time.Time) (DigestDay, error) {
	d, err := scanDigestDay(s.pool.QueryRow(ctx, `SELECT `+digestDayColumns+` FROM digest_days WHERE day = $1`, digestDate(day)))
	if err != nil {
		return DigestDay{}, fmt.Errorf("digest of %s: %w", day.Format(time.DateOnly), translate(err))
	}
	return d, nil
}

// DigestClaim asks to post one day's digest.
type DigestClaim struct {
	// Day is the date the digest is for; DueAt when it was due.
	Day, DueAt time.Time
	// By names the claiming replica; Now is its clock.
	By  string
	Now time.Time
	// StaleAfter is how old another replica's claim must be to be taken
	// over (that replica is taken to have died while posting).
	StaleAfter time.Duration
	// RetryAfter is how long after a failed post the day may be claimed
	// again.
	RetryAfter time.Duration
}

// ClaimDigestDay claims a day's digest for one replica: it succeeds (ok
// true) when the day was never claimed, or is not posted and its claim is
// stale or was given up after a failure more than RetryAfter ago. Of
// replicas claiming at once exactly one succeeds. The returned record tells
// which channels were posted already, by an earlier attempt.
func (s *Store) ClaimDigestDay(ctx context.Context, c DigestClaim) (DigestDay, bool, error) {
	if c.By == "" {
		return DigestDay{}, false, fmt.Errorf("claim digest: %w: no replica name", ErrInvalid)
	}
	d, err := scanDigestDay(s.pool.QueryRow(ctx, `
		INSERT INTO digest_days AS d (day, due_at, claimed_at, claimed_by, attempts) VALUES ($1, $2, $3, $4, 1)
		ON CONFLICT (day) DO UPDATE SET claimed_at = EXCLUDED.claimed_at, claimed_by = EXCLUDED.claimed_by,
			attempts = d.attempts + 1
		WHERE d.posted_at IS NULL
		  AND (d.claimed_at IS NULL OR d.claimed_at < $5)
		  AND (d.failed_at IS NULL OR d.failed_at < $6)
		RETURNING `+digestDayColumns,
		digestDate(c.Day), c.DueAt, c.Now, c.By, c.Now.Add(-c.StaleAfter), c.Now.Add(-c.RetryAfter)))
	if errors.Is(err, pgx.ErrNoRows) {
		return DigestDay{}, false, nil
	}
	if err != nil {
		return DigestDay{}, false, fmt.Errorf("claim digest of %s: %w", c.Day.Format(time.DateOnly), err)
	}
	return d, true, nil
}

// RecordDigestChannel records that day's digest was posted to channel by
// the replica by. It returns ErrConflict when by no longer holds the claim
// (another replica took it over): the caller must stop posting.
func (s *Store) RecordDigestChannel(ctx context.Context, day time.Time, by, channel string) error {
	tag, err := s.pool.Exec(ctx, `
		UPDATE digest_days SET posted_channels = CASE WHEN $3 = ANY(posted_channels) THEN posted_channels
			ELSE array_append(posted_channels, $3) END
		WHERE day = $1 AND claimed_by = $2 AND posted_at IS NULL`,
		digestDate(day), by, channel)
	if err != nil {
		return fmt.Errorf("record digest of %s in %s: %w", day.Format(time.DateOnly), channel, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("record digest of %s in %s: %w: the claim is no longer %s's", day.Format(time.DateOnly), channel, ErrConflict, by)
	}
	return nil
}

// FinishDigestDay marks day's digest posted by the replica by, at now, and
// keeps the coverage it showed. It returns ErrConflict when by no longer
// holds the claim.
func (s *Store) FinishDigestDay(ctx context.Context, day time.Time, by string, now time.Time, snap CoverageDay) error {
	teams, groups, err := snapshotJSON(snap)
	if err != nil {
		return fmt.Errorf("finish digest of %s: %w", day.Format(time.DateOnly), err)
	}
	c := snap.Coverage
	tag, err := s.pool.Exec(ctx, `
		UPDATE digest_days SET posted_at = $3, last_error = '', active_repos = $4, catalogued = $5,
			no_descriptor = $6, broken = $7, ignored = $8, teams = $9, groups = $10
		WHERE day = $1 AND claimed_by = $2 AND posted_at IS NULL`,
		digestDate(day), by, now, c.Active, c.Catalogued, c.NoDescriptor, c.Broken, c.Ignored, teams, groups)
	if err != nil {
		return fmt.Errorf("finish digest of %s: %w", day.Format(time.DateOnly), err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("finish digest of %s: %w: the claim is no longer %s's", day.Format(time.DateOnly), ErrConflict, by)
	}
	return nil
}

// FailDigestDay gives up by's claim on day after a failed post, with the
// reason: the day stays unposted and may be claimed again RetryAfter later.
func (s *Store) FailDigestDay(ctx context.Context, day time.Time, by string, now time.Time, reason string) error {
	_, err := s.pool.Exec(ctx, `
		UPDATE digest_days SET claimed_at = NULL, failed_at = $3, last_error = $4
		WHERE day = $1 AND claimed_by = $2 AND posted_at IS NULL`, digestDate(day), by, now, reason)
	if err != nil {
		return fmt.Errorf("record failed digest of %s: %w", day.Format(time.DateOnly), err)
	}
	return nil
}

// RecordDigestPosted records a digest posted outside the schedule (switchboard
// digest --post) as day's: the day counts as posted, with the coverage it
// showed, and the scheduler posts no other that day.
func (s *Store) RecordDigestPosted(ctx context.Context, day, now time.Time, by string, channels []string, snap CoverageDay) error {
	teams, groups, err := snapshotJSON(snap)
	if err != nil {
		return fmt.Errorf("record digest of %s: %w", day.Format(time.DateOnly), err)
	}
	if channels == nil {
		channels = []string{}
	}
	c := snap.Coverage
	_, err = s.pool.Exec(ctx, `
		INSERT INTO digest_days AS d (day, due_at, claimed_at, claimed_by, posted_at, posted_channels, attempts,
			active_repos, catalogued, no_descriptor, broken, ignored, teams, groups)
		VALUES ($1, $2, $2, $3, $2, $4, 1, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (day) DO UPDATE SET posted_at = EXCLUDED.posted_at, claimed_by = EXCLUDED.claimed_by,
			posted_channels = ARRAY(SELECT DISTINCT unnest(d.posted_channels || EXCLUDED.posted_channels)),
			active_repos = EXCLUDED.active_repos, catalogued = EXCLUDED.catalogued,
			no_descriptor = EXCLUDED.no_descriptor, broken = EXCLUDED.broken, ignored = EXCLUDED.ignored,
			teams = EXCLUDED.teams, groups = EXCLUDED.groups, last_error = ''`,
		digestDate(day), now, by, channels, c.Active, c.Catalogued, c.NoDescriptor, c.Broken, c.Ignored, teams, groups)
	if err != nil {
		return fmt.Errorf("record digest of %s: %w", day.Format(time.DateOnly), err)
	}
	return nil
}

func snapshotJSON(snap CoverageDay) (teams, groups []byte, err error) {
	if snap.Teams == nil {
		snap.Teams = map[string]Coverage{}
	}
	if snap.Groups == nil {
		snap.Groups = map[string]Coverage{}
	}
	if teams, err = json.Marshal(snap.Teams); err != nil {
		return nil, nil, fmt.Errorf("encode coverage by team: %w", err)
	}
	if groups, err = json.Marshal(snap.Groups); err != nil {
		return nil, nil, fmt.Errorf("encode coverage by group: %w", err)
	}
	return teams, groups, nil
}

// IgnoredRepo is a repo someone chose to leave out of the catalog.
type IgnoredRepo struct {
	Path   string
	WebURL string
	// Reason says why; By who ignored it; At when.
	Reason string
	By     string
	At     time.Time
}

// IgnoreRepo leaves the repo at path (ignoring case) out of the digest and
// coverage, with the reason and who decided, and records it in the audit
// log. Ignoring an ignored repo replaces its reason. Returns ErrInvalid when
// reason is empty, ErrNotFound when there is no such repo.
func (s *Store) IgnoreRepo(ctx context.Context, path, reason, actor string) (IgnoredRepo, error) {
	path = strings.Trim(strings.TrimSpace(path), "/")
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return IgnoredRepo{}, fmt.Errorf("ignore repo %s: %w: no reason", path, ErrInvalid)
	}
	var out IgnoredRepo
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var prev string
		err := tx.QueryRow(ctx, `SELECT ignored_reason FROM repos WHERE lower(path) = lower($1) FOR UPDATE`, path).Scan(&prev)
		if err != nil {
			return err
		}
		err = tx.QueryRow(ctx, `
			UPDATE repos SET ignored_reason = $2, ignored_by = $3, ignored_at = $4, updated_at = now()
			WHERE lower(path) = lower($1)
			RETURNING path, web_url, ignored_reason, ignored_by, ignored_at`, path, reason, actor, s.Now()).
			Scan(&out.Path, &out.WebURL, &out.Reason, &out.By, &out.At)
		if err != nil {
			return err
		}
		detail := map[string]any{"reason": reason}
		if prev != "" {
			detail["previous_reason"] = prev
		}
		return appendAudit(ctx, tx, AuditEntry{Actor: actor, Action: "repo.ignore", Subject: out.Path, Detail: detail})
	})
	if err != nil {
		return IgnoredRepo{}, fmt.Errorf("ignore repo %s: %w", path, translate(err))
	}
	return out, nil
}

// UnignoreRepo brings an ignored repo back into the digest and coverage,
// and records it in the audit log. It returns the repo as it was ignored.
// Returns ErrNotFound when there is no such repo, ErrInvalid when it is
// not ignored.
func (s *Store) UnignoreRepo(ctx context.Context, path, actor string) (IgnoredRepo, error) {
	path = strings.Trim(strings.TrimSpace(path), "/")
	var out IgnoredRepo
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var at *time.Time
		err := tx.QueryRow(ctx, `
			SELECT path, web_url, ignored_reason, ignored_by, ignored_at FROM repos
			WHERE lower(path) = lower($1) FOR UPDATE`, path).Scan(&out.Path, &out.WebURL, &out.Reason, &out.By, &at)
		if err != nil {
			return err
		}
		if out.Reason == "" {
			return fmt.Errorf("%w: %s is not ignored", ErrInvalid, out.Path)
		}
		if at != nil {
			out.At = *at
		}
		if _, err := tx.Exec(ctx, `
			UPDATE repos SET ignored_reason = '', ignored_by = '', ignored_at = NULL, updated_at = now()
			WHERE lower(path) = lower($1)`, path); err != nil {
			return err
		}
		return appendAudit(ctx, tx, AuditEntry{Actor: actor, Action: "repo.unignore", Subject: out.Path,
			Detail: map[string]any{"reason": out.Reason, "ignored_by": out.By}})
	})
	if err != nil {
		return IgnoredRepo{}, fmt.Errorf("unignore repo %s: %w", path, translate(err))
	}
	return out, nil
}

// IgnoredRepos returns the ignored repos that still exist, by path.
func (s *Store) IgnoredRepos(ctx context.Context) ([]IgnoredRepo, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT path, web_url, ignored_reason, ignored_by, ignored_at FROM repos
		WHERE ignored_reason <> '' AND deleted_at IS NULL ORDER BY lower(path)`)
	if err != nil {
		return nil, fmt.Errorf("ignored repos: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (IgnoredRepo, error) {
		var i IgnoredRepo
		var at *time.Time
		err := r.Scan(&i.Path, &i.WebURL, &i.Reason, &i.By, &at)
		if at != nil {
			i.At = *at
		}
		return i, err
	})
	if err != nil {
		return nil, fmt.Errorf("ignored repos: %w", err)
	}
	return out, nil
}
