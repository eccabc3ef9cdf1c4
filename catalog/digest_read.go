package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchboard-dev/switchboard/manifest"
)

// Digest returns what the daily digest shows: coverage and its change since
// the last posted digest, the uncatalogued repos by group, broken
// descriptors, name conflicts, orphaned services, services' gaps and
// dependency files that could not be read. It
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
	d := &Digest{Now: opts.Now, ActiveDays: opts.ActiveDays, Group: opts.Group, LevelNames: opts.LevelNames}
	if !opts.Day.IsZero() {
		d.Day = DigestDay(opts.Day)
	}
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		return readDigest(ctx, tx, d, opts)
	})
	if err != nil {
		return nil, fmt.Errorf("digest: %w", err)
	}
	if err := s.digestLevelChanges(ctx, d); err != nil {
		return nil, fmt.Errorf("digest: %w", err)
	}
	if err := s.digestOverdueCampaigns(ctx, d); err != nil {
		return nil, fmt.Errorf("digest: overdue campaigns: %w", err)
	}
	if err := s.digestNoisyServices(ctx, d); err != nil {
		return nil, fmt.Errorf("digest: noisy services: %w", err)
	}
	return d, nil
}

// digestLevelChanges reads the services' level changes since the last
// digest posted (for any scope), or since a day before the digest when
// none was; a group's digest keeps those of the teams whose GitLab group
// lies in it.
func (s *Store) digestLevelChanges(ctx context.Context, d *Digest) error {
	since := d.Now.Add(-24 * time.Hour)
	if len(d.history) > 0 {
		since = d.history[0].PostedAt
	}
	changes, err := s.LevelChanges(ctx, since)
	if err != nil {
		return err
	}
	if d.Group != "" {
		inGroup := d.groupTeams()
		changes = keepIf(changes, func(c LevelChange) bool { return inGroup[strings.ToLower(c.Service.Team)] })
	}
	d.LevelChanges = changes
	return nil
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
	if err := readDigestUnread(ctx, tx, d, opts, cutoff, mapper); err != nil {
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

// readDigestUnread reads the active repos' dependency files that the last
// sync could not read or parse (dependency_files.problem).
func readDigestUnread(ctx context.Context, tx pgx.Tx, d *Digest, opts DigestOptions, cutoff time.Time, mapper teamMapper) error {
	rows, err := tx.Query(ctx, `
		SELECT r.path, r.web_url, r.default_branch, r.last_commit,
		       f.path, f.graph, f.manifest, f.note, f.problem, f.error
		FROM dependency_files f JOIN repos r ON r.id = f.repo_id
		WHERE f.problem <> '' AND r.deleted_at IS NULL AND r.ignored_reason = ''
		  AND NOT r.archived AND r.last_activity_at >= $1
		  AND ($2 = '' OR starts_with(lower(r.path), lower($2) || '/'))
		ORDER BY r.path, f.path`, cutoff, opts.Group)
	if err != nil {
		return fmt.Errorf("unread dependency files: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var u UnreadRepo
		var f DependencyFile
		if err := rows.Scan(&u.Path, &u.WebURL, &u.DefaultBranch, &u.LastCommit,
			&f.Path, &f.Graph, &f.Manifest, &f.Note, &f.Problem, &f.Error); err != nil {
			return fmt.Errorf("unread dependency files: %w", err)
		}
		if opts.Ignored(u.Path) {
			continue
		}
		if n := len(d.Unread); n > 0 && d.Unread[n-1].Path == u.Path {
			d.Unread[n-1].Files = append(d.Unread[n-1].Files, f)
			continue
		}
		u.Group = RepoGroupOf(u.Path)
		u.Team = mapper.teamOf(u.Group)
		u.Files = []DependencyFile{f}
		d.Unread = append(d.Unread, u)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("unread dependency files: %w", err)
	}
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
// day (all days when day is zero), newest first, from the records package
// digest keeps of each day's posting (digest_days).
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

// DigestDay returns t's date as midnight UTC, the form digest days are
// kept in (here and in package digest's records of each day).
func DigestDay(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}
