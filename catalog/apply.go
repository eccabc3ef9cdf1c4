package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/switchboard-dev/switchboard/manifest"
)

// Descriptor statuses of a repo.
const (
	DescriptorOK       = "ok"
	DescriptorInvalid  = "invalid"
	DescriptorMissing  = "missing"
	DescriptorTemplate = "template"
)

// RepoSnapshot is what a sync read of one repo at one commit of its
// default branch.
type RepoSnapshot struct {
	Repo         Repo
	Files        []string
	Dependencies []Dependency
	// Packages are what the repo publishes (with Partial, what the
	// DependencyFiles publish): see Package.
	Packages []Package
	// DescriptorStatus is DescriptorOK, DescriptorInvalid, DescriptorMissing
	// or DescriptorTemplate; DescriptorPath the file it was read from.
	DescriptorStatus string
	DescriptorPath   string
	// Findings are the descriptor's problems, kept so that owners see why.
	Findings []manifest.Finding
	// Entities are what the descriptor declares; used only when the status
	// is DescriptorOK.
	Entities []manifest.Entity

	// Partial marks an update of a repo already stored, from a comparison
	// of its old and new commits: only what changed is given.
	Partial bool
	// KeepDescriptor (with Partial) leaves the descriptor's status,
	// findings and services as they are.
	KeepDescriptor bool
	// AddedFiles and RemovedFiles (with Partial) change the file index;
	// Files is ignored.
	AddedFiles, RemovedFiles []string
	// DependencyFiles (with Partial) are the files whose dependencies are
	// replaced by those of Dependencies (which holds only theirs): their
	// Source paths.
	DependencyFiles []string
	// DependencySources are the dependency files read (or not) and what
	// each gave; with Partial, only those of DependencyFiles.
	DependencySources []DependencyFile

	// GitLab are the project's last merge and branch protection as read
	// with this snapshot; nil leaves what is stored.
	GitLab *GitLabFacts

	// Readme is the first paragraph of the repo's README as read with this
	// snapshot; nil leaves what is stored (the README did not change).
	Readme *RepoReadme
}

// Conflict is a service name claimed by two repos.
type Conflict struct {
	Service string `json:"service"`
	// Repo is the other repo: the one that holds the name.
	Repo string `json:"repo"`
}

// ApplyResult says what ApplyRepo changed.
type ApplyResult struct {
	// Services is how many services the repo's descriptor now provides.
	Services int
	// Conflicts are names the descriptor claims that another repo holds.
	Conflicts []Conflict
	// Orphaned are services this repo used to declare and no longer does.
	Orphaned []string
}

// ApplyRepo stores what a sync read of one repo, in one transaction: the
// repo, its files and dependencies, its descriptor's status and findings,
// and the services, teams and people the descriptor declares. A service
// whose name another repo already holds is not taken over: both repos
// record the conflict. A service the repo declared before and no longer
// does (or whose descriptor is gone) is marked orphaned, never deleted. An
// invalid descriptor changes no service: the last good state stays, and
// the findings say what to fix.
func (s *Store) ApplyRepo(ctx context.Context, snap RepoSnapshot) (ApplyResult, error) {
	var res ApplyResult
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		res, err = applyRepo(ctx, tx, snap)
		return err
	})
	if err != nil {
		return ApplyResult{}, fmt.Errorf("apply repo %s: %w", snap.Repo.Path, translate(err))
	}
	return res, nil
}

func applyRepo(ctx context.Context, tx pgx.Tx, snap RepoSnapshot) (ApplyResult, error) {
	var res ApplyResult
	r := snap.Repo
	findings := snap.Findings
	if findings == nil {
		findings = []manifest.Finding{}
	}
	findingsJSON, err := json.Marshal(findings)
	if err != nil {
		return res, fmt.Errorf("encode findings: %w", err)
	}
	// Applies of one repo (its project id, or its path: a project deleted
	// and recreated) take turns, so that two replicas storing the same new
	// repo at once do not collide on the path's unique index, which INSERT
	// ... ON CONFLICT (gitlab_id) does not arbitrate. Always id then path:
	// no two applies wait on each other in a cycle.
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('switchboard:repo:' || $1::bigint, 0)),
		pg_advisory_xact_lock(hashtextextended('switchboard:repo-path:' || lower($2), 0))`, r.GitLabID, r.Path); err != nil {
		return res, fmt.Errorf("lock repo: %w", err)
	}
	var last any
	if !r.LastActivityAt.IsZero() {
		last = r.LastActivityAt
	}
	// GitLab paths are unique: a known repo holding this path under
	// another project id is gone (deleted and recreated, or renamed away
	// without a hook). Free the path, keep the old repo as deleted, and
	// orphan what it declared.
	if orphans, err := retirePath(ctx, tx, r.Path, r.GitLabID); err != nil {
		return res, err
	} else {
		res.Orphaned = append(res.Orphaned, orphans...)
	}
	var repoID int64
	if snap.Partial {
		err = tx.QueryRow(ctx, `
			UPDATE repos SET path = $2, default_branch = $3, web_url = $4, archived = $5, forked = $6,
				last_activity_at = $7, last_commit = $8, sync_error = '', synced_at = now(), deleted_at = NULL,
				updated_at = now()
			WHERE gitlab_id = $1 RETURNING id`,
			r.GitLabID, r.Path, r.DefaultBranch, r.WebURL, r.Archived, r.Forked, last, r.LastCommit).Scan(&repoID)
		if err == nil && !snap.KeepDescriptor {
			_, err = tx.Exec(ctx, `UPDATE repos SET descriptor_status = $2, descriptor_path = $3, descriptor_errors = $4, conflicts = '[]' WHERE id = $1`,
				repoID, snap.DescriptorStatus, snap.DescriptorPath, findingsJSON)
		}
	} else {
		err = tx.QueryRow(ctx, `
		INSERT INTO repos (gitlab_id, path, default_branch, web_url, archived, forked, last_activity_at,
		                   last_commit, descriptor_status, descriptor_path, descriptor_errors, conflicts,
		                   sync_error, synced_at, deleted_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, '[]', '', now(), NULL)
		ON CONFLICT (gitlab_id) DO UPDATE SET
			path = EXCLUDED.path, default_branch = EXCLUDED.default_branch, web_url = EXCLUDED.web_url,
			archived = EXCLUDED.archived, forked = EXCLUDED.forked, last_activity_at = EXCLUDED.last_activity_at,
			last_commit = EXCLUDED.last_commit, descriptor_status = EXCLUDED.descriptor_status,
			descriptor_path = EXCLUDED.descriptor_path, descriptor_errors = EXCLUDED.descriptor_errors,
			conflicts = '[]', sync_error = '', synced_at = now(), deleted_at = NULL, updated_at = now()
		RETURNING id`,
			r.GitLabID, r.Path, r.DefaultBranch, r.WebURL, r.Archived, r.Forked, last,
			r.LastCommit, snap.DescriptorStatus, snap.DescriptorPath, findingsJSON).Scan(&repoID)
	}
	if err != nil {
		return res, fmt.Errorf("repo: %w", err)
	}

	if err := applyGitLabFacts(ctx, tx, repoID, snap.GitLab); err != nil {
		return res, err
	}
	if err := applyReadme(ctx, tx, repoID, snap.Readme); err != nil {
		return res, err
	}
	if err := applyFiles(ctx, tx, repoID, snap); err != nil {
		return res, err
	}
	if err := applyDependencies(ctx, tx, repoID, snap); err != nil {
		return res, err
	}
	if err := applyDependencyFiles(ctx, tx, repoID, snap); err != nil {
		return res, err
	}
	if err := applyPackages(ctx, tx, repoID, snap); err != nil {
		return res, err
	}
	if snap.Partial && snap.KeepDescriptor {
		return res, nil
	}

	switch snap.DescriptorStatus {
	case DescriptorInvalid:
		// Keep the last good services; the findings say what to fix.
		return res, nil
	case DescriptorOK:
	default:
		// Missing or a template: whatever this repo declared is orphaned.
		orphans, err := orphanExcept(ctx, tx, repoID, nil)
		res.Orphaned = append(res.Orphaned, orphans...)
		return res, err
	}

	if err := applyPeople(ctx, tx, snap.Entities); err != nil {
		return res, err
	}
	subpath := path.Dir(snap.DescriptorPath)
	if subpath == "." {
		subpath = ""
	}
	// Repos synced at the same time may claim one name: lock each name the
	// descriptor claims (in one order, so two monorepos cannot deadlock)
	// until this transaction ends, so that the second claimant sees the
	// first as the holder instead of both taking the service.
	var claims []string
	for _, e := range snap.Entities {
		if strings.EqualFold(e.Kind, manifest.KindComponent) {
			claims = append(claims, strings.ToLower(serviceFromEntity(e).Ref()))
		}
	}
	sort.Strings(claims)
	for _, c := range claims {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('switchboard:service:' || $1))`, c); err != nil {
			return res, fmt.Errorf("lock service name %s: %w", c, err)
		}
	}
	kept := map[int64]bool{}
	for _, e := range snap.Entities {
		if !strings.EqualFold(e.Kind, manifest.KindComponent) {
			continue
		}
		svc := serviceFromEntity(e)
		holder, err := holderOf(ctx, tx, svc)
		if err != nil {
			return res, err
		}
		if holder != "" && !strings.EqualFold(holder, r.Path) {
			c := Conflict{Service: svc.Ref(), Repo: holder}
			res.Conflicts = append(res.Conflicts, c)
			if err := recordConflict(ctx, tx, repoID, c); err != nil {
				return res, err
			}
			if err := recordConflictOn(ctx, tx, holder, Conflict{Service: svc.Ref(), Repo: r.Path}); err != nil {
				return res, err
			}
			continue
		}
		stored, err := writeService(ctx, tx, svc, true)
		if err != nil {
			return res, fmt.Errorf("service %s: %w", svc.Ref(), err)
		}
		if _, err := tx.Exec(ctx, `
			INSERT INTO service_repos (service_id, repo_id, subpath) VALUES ($1, $2, $3)
			ON CONFLICT (service_id, repo_id) DO UPDATE SET subpath = EXCLUDED.subpath`, stored.ID, repoID, subpath); err != nil {
			return res, fmt.Errorf("attach %s: %w", svc.Ref(), err)
		}
		if err := applyRelations(ctx, tx, stored.ID, e, snap.DescriptorPath); err != nil {
			return res, fmt.Errorf("service %s: %w", svc.Ref(), err)
		}
		kept[stored.ID] = true
		res.Services++
		if err := adoptGroup(ctx, tx, svc.Team, r.Path); err != nil {
			return res, err
		}
	}
	orphans, err := orphanExcept(ctx, tx, repoID, kept)
	res.Orphaned = append(res.Orphaned, orphans...)
	return res, err
}

// retirePath frees path from any repo other than gitlabID's.
func retirePath(ctx context.Context, tx pgx.Tx, path string, gitlabID int64) ([]string, error) {
	ids, err := queryIDs(ctx, tx, fmt.Sprintf("free path %s", path), `
		UPDATE repos SET path = path || '@' || COALESCE(gitlab_id::text, id::text), deleted_at = COALESCE(deleted_at, now()), updated_at = now()
		WHERE lower(path) = lower($1) AND gitlab_id IS DISTINCT FROM $2 RETURNING id`, path, gitlabID)
	if err != nil {
		return nil, err
	}
	var orphaned []string
	for _, id := range ids {
		o, err := orphanExcept(ctx, tx, id, nil)
		if err != nil {
			return nil, err
		}
		orphaned = append(orphaned, o...)
	}
	return orphaned, nil
}

// applyFiles replaces the repo's file index, or changes it by what a
// partial update added and removed.
func applyFiles(ctx context.Context, tx pgx.Tx, repoID int64, snap RepoSnapshot) error {
	files := snap.Files
	if snap.Partial {
		if len(snap.RemovedFiles) > 0 {
			if _, err := tx.Exec(ctx, `DELETE FROM repo_files WHERE repo_id = $1 AND path = ANY($2)`, repoID, snap.RemovedFiles); err != nil {
				return fmt.Errorf("files: %w", err)
			}
		}
		if len(snap.AddedFiles) > 0 {
			if _, err := tx.Exec(ctx, `INSERT INTO repo_files (repo_id, path) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING`, repoID, snap.AddedFiles); err != nil {
				return fmt.Errorf("files: %w", err)
			}
		}
		return nil
	}
	if _, err := tx.Exec(ctx, `DELETE FROM repo_files WHERE repo_id = $1`, repoID); err != nil {
		return fmt.Errorf("files: %w", err)
	}
	if len(files) == 0 {
		return nil
	}
	rows := make([][]any, len(files))
	for i, f := range files {
		rows[i] = []any{repoID, f}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"repo_files"}, []string{"repo_id", "path"}, pgx.CopyFromRows(dedupRows(rows, 1))); err != nil {
		return fmt.Errorf("files: %w", err)
	}
	return nil
}

// deleteRepoFiles deletes the repo's rows of table, or, in a partial
// update, those whose column names one of the files the update names.
func deleteRepoFiles(ctx context.Context, tx pgx.Tx, table, column string, repoID int64, snap RepoSnapshot) error {
	if snap.Partial {
		_, err := tx.Exec(ctx, `DELETE FROM `+table+` WHERE repo_id = $1 AND `+column+` = ANY($2)`, repoID, snap.DependencyFiles)
		return err
	}
	_, err := tx.Exec(ctx, `DELETE FROM `+table+` WHERE repo_id = $1`, repoID)
	return err
}

// applyDependencies replaces the repo's dependencies, or, in a partial
// update, those of the files it names.
func applyDependencies(ctx context.Context, tx pgx.Tx, repoID int64, snap RepoSnapshot) error {
	if err := deleteRepoFiles(ctx, tx, "dependencies", "source", repoID, snap); err != nil {
		return fmt.Errorf("dependencies: %w", err)
	}
	if len(snap.Dependencies) == 0 {
		return nil
	}
	rows := make([][]any, len(snap.Dependencies))
	for i, d := range snap.Dependencies {
		via := d.Via
		if via == nil {
			via = []string{}
		}
		rows[i] = []any{repoID, d.Ecosystem, d.Name, d.Version, d.File, d.SourceFile(), d.Line, d.Direct, via, d.Scope, d.VersionFrom}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"dependencies"},
		[]string{"repo_id", "ecosystem", "name", "version", "file", "source", "line", "direct", "via", "scope", "version_from"},
		pgx.CopyFromRows(dedupRows(rows, 5, 1, 2, 3))); err != nil {
		return fmt.Errorf("dependencies: %w", err)
	}
	return nil
}

// applyDependencyFiles replaces the record of the repo's dependency files
// (in a partial update, of those it names), and counts on the repo those
// left unread or to be retried at the next sync (RetryNextSync), which the
// next sync reads again.
func applyDependencyFiles(ctx context.Context, tx pgx.Tx, repoID int64, snap RepoSnapshot) error {
	if err := deleteRepoFiles(ctx, tx, "dependency_files", "path", repoID, snap); err != nil {
		return fmt.Errorf("dependency files: %w", err)
	}
	if len(snap.DependencySources) > 0 {
		rows := make([][]any, len(snap.DependencySources))
		for i, f := range snap.DependencySources {
			rows[i] = []any{repoID, f.Path, f.Graph, f.Manifest, f.Note, f.Problem, f.Error, f.Retry}
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"dependency_files"},
			[]string{"repo_id", "path", "graph", "manifest", "note", "problem", "error", "retry"},
			pgx.CopyFromRows(dedupRows(rows, 1))); err != nil {
			return fmt.Errorf("dependency files: %w", err)
		}
	}
	if _, err := tx.Exec(ctx, `
		UPDATE repos SET dependency_files_unread = (
			SELECT count(*) FROM dependency_files
			WHERE repo_id = $1 AND (problem IN ('not_found', 'too_large', 'timeout', 'error') OR retry = 'sync'))
		WHERE id = $1`, repoID); err != nil {
		return fmt.Errorf("dependency files: %w", err)
	}
	return nil
}

// adoptGroup gives a team that has no GitLab group yet the group of a repo
// its service lives in, when that group is named after the team
// ("acme/payments" for team payments): that is where its roster comes from.
func adoptGroup(ctx context.Context, tx pgx.Tx, team, repoPath string) error {
	group := path.Dir(repoPath)
	if team == "" || group == "." || !strings.EqualFold(path.Base(group), team) {
		return nil
	}
	if _, err := tx.Exec(ctx, `UPDATE teams SET gitlab_group = $2, updated_at = now() WHERE lower(name) = lower($1) AND gitlab_group = ''`, team, group); err != nil {
		return fmt.Errorf("team %s's group: %w", team, err)
	}
	return nil
}

// holderOf returns the path of the repo that holds svc's name: a repo
// another active descriptor service of that name lives in. Services
// registered in Slack, imported, or orphaned are not held: a descriptor
// takes them over.
func holderOf(ctx context.Context, tx pgx.Tx, svc Service) (string, error) {
	var holder string
	err := tx.QueryRow(ctx, `
		SELECT r.path FROM services s
		JOIN service_repos sr ON sr.service_id = s.id JOIN repos r ON r.id = sr.repo_id
		WHERE s.namespace = $1 AND lower(s.name) = lower($2)
		  AND s.source = 'descriptor' AND s.status = 'active'
		ORDER BY sr.repo_id LIMIT 1`, svc.Namespace, svc.Name).Scan(&holder)
	if err == pgx.ErrNoRows {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("who holds %s: %w", svc.Ref(), err)
	}
	return holder, nil
}

func recordConflict(ctx context.Context, tx pgx.Tx, repoID int64, c Conflict) error {
	b, _ := json.Marshal([]Conflict{c})
	_, err := tx.Exec(ctx, `UPDATE repos SET conflicts = conflicts || $2::jsonb WHERE id = $1 AND NOT conflicts @> $2::jsonb`, repoID, b)
	if err != nil {
		return fmt.Errorf("record conflict: %w", err)
	}
	return nil
}

func recordConflictOn(ctx context.Context, tx pgx.Tx, repoPath string, c Conflict) error {
	b, _ := json.Marshal([]Conflict{c})
	_, err := tx.Exec(ctx, `UPDATE repos SET conflicts = conflicts || $2::jsonb WHERE lower(path) = lower($1) AND NOT conflicts @> $2::jsonb`, repoPath, b)
	if err != nil {
		return fmt.Errorf("record conflict: %w", err)
	}
	return nil
}

// orphanExcept marks orphaned the active descriptor services of the repo
// that are not in keep, and returns their references.
func orphanExcept(ctx context.Context, tx pgx.Tx, repoID int64, keep map[int64]bool) ([]string, error) {
	rows, err := tx.Query(ctx, `
		SELECT s.id, s.namespace, s.name FROM services s JOIN service_repos sr ON sr.service_id = s.id
		WHERE sr.repo_id = $1 AND s.source = 'descriptor' AND s.status = 'active'`, repoID)
	if err != nil {
		return nil, fmt.Errorf("find orphans: %w", err)
	}
	type svcRef struct {
		id       int64
		ns, name string
	}
	var drop []svcRef
	for rows.Next() {
		var r svcRef
		if err := rows.Scan(&r.id, &r.ns, &r.name); err != nil {
			rows.Close()
			return nil, fmt.Errorf("find orphans: %w", err)
		}
		if !keep[r.id] {
			drop = append(drop, r)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find orphans: %w", err)
	}
	var out []string
	for _, r := range drop {
		if _, err := tx.Exec(ctx, `UPDATE services SET status = 'orphaned', updated_at = now() WHERE id = $1`, r.id); err != nil {
			return nil, fmt.Errorf("orphan %s: %w", r.name, err)
		}
		out = append(out, Service{Namespace: r.ns, Name: r.name}.Ref())
	}
	return out, nil
}

// applyPeople stores the teams (Group) and people (User) a descriptor
// declares, and who belongs to which team.
func applyPeople(ctx context.Context, tx pgx.Tx, entities []manifest.Entity) error {
	emails := map[string]string{} // user name -> email
	for _, e := range entities {
		switch strings.ToLower(e.Kind) {
		case strings.ToLower(manifest.KindGroup):
			title := e.DisplayName
			if title == "" {
				title = e.Title
			}
			if _, err := putTeam(ctx, tx, Team{Name: e.Name, Title: title, Description: e.Description}); err != nil {
				return fmt.Errorf("team %s: %w", e.Name, err)
			}
		case strings.ToLower(manifest.KindUser):
			if e.Email == "" {
				continue // people are known by email; without one there is no one to join
			}
			emails[strings.ToLower(e.Name)] = e.Email
			name := e.DisplayName
			if name == "" {
				name = e.Name
			}
			if _, err := tx.Exec(ctx, `
				INSERT INTO people (name, email) VALUES ($1, $2)
				ON CONFLICT (lower(email)) DO UPDATE SET name = COALESCE(NULLIF(people.name, ''), EXCLUDED.name)`, name, e.Email); err != nil {
				return fmt.Errorf("person %s: %w", e.Email, err)
			}
		}
	}
	member := func(team, user string) error {
		email, ok := emails[strings.ToLower(user)]
		if !ok {
			return nil
		}
		if _, err := putTeam(ctx, tx, Team{Name: team}); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `
			INSERT INTO team_members (team_id, person_id, source)
			SELECT t.id, p.id, 'descriptor' FROM teams t, people p
			WHERE lower(t.name) = lower($1) AND lower(p.email) = lower($2)
			ON CONFLICT DO NOTHING`, team, email)
		return err
	}
	for _, e := range entities {
		switch strings.ToLower(e.Kind) {
		case strings.ToLower(manifest.KindGroup):
			for _, m := range e.Members {
				if err := member(e.Name, refName(m, "user")); err != nil {
					return fmt.Errorf("member %s of %s: %w", m, e.Name, err)
				}
			}
		case strings.ToLower(manifest.KindUser):
			for _, g := range e.MemberOf {
				if err := member(refName(g, "group"), e.Name); err != nil {
					return fmt.Errorf("%s member of %s: %w", e.Name, g, err)
				}
			}
		}
	}
	return nil
}

// refName is the name part of an entity reference ("group:default/x" -> "x").
func refName(ref, defaultKind string) string {
	r, err := manifest.ParseRef(ref, defaultKind, manifest.DefaultNamespace)
	if err != nil {
		return ref
	}
	return r.Name
}

// serviceFromEntity maps a descriptor's Component to a catalog service.
func serviceFromEntity(e manifest.Entity) Service {
	svc := Service{
		Namespace: strings.ToLower(e.Namespace), Name: e.Name, Title: e.Title, Description: e.Description,
		Lifecycle: e.Lifecycle, Tier: e.Tier, Type: e.Type, Language: e.Language, Framework: e.Framework,
		Tags: e.Tags, Aliases: e.Aliases, PagerDutyServiceID: e.PagerDutyServiceID,
		PagerDutyIntegrationKey: e.PagerDutyIntegrationKey, Source: SourceDescriptor, Status: StatusActive,
	}
	if svc.Namespace == "" {
		svc.Namespace = DefaultNamespace
	}
	if e.Owner != "" {
		if r, err := manifest.ParseRef(e.Owner, "group", manifest.DefaultNamespace); err == nil && strings.EqualFold(r.Kind, "group") {
			svc.Team = r.Name
		}
	}
	if e.SlackChannel != "" {
		svc.SlackChannel = "#" + strings.TrimPrefix(e.SlackChannel, "#")
	}
	add := func(kind string, links []manifest.Link) {
		for _, l := range links {
			svc.Links = append(svc.Links, Link{Kind: kind, Title: l.Title, URL: l.URL})
		}
	}
	add(LinkRunbook, e.Links.Runbooks)
	add(LinkDocs, e.Links.Docs)
	add(LinkDashboard, e.Links.Dashboards)
	add(LinkOther, e.Links.Other)
	return svc
}

// dedupRows drops rows whose key columns repeat an earlier row's, as COPY
// into a table with a primary key would fail on them.
func dedupRows(rows [][]any, key ...int) [][]any {
	seen := make(map[string]bool, len(rows))
	out := rows[:0]
	for _, r := range rows {
		var b strings.Builder
		for _, k := range key {
			fmt.Fprint(&b, r[k], "\x00")
		}
		if !seen[b.String()] {
			seen[b.String()] = true
			out = append(out, r)
		}
	}
	return out
}
