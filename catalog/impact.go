package catalog

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// ImpactHit is one repo an impact question found: the dependency or file
// that matched, and the services that live in the repo with their owners.
type ImpactHit struct {
	Repo Repo
	// Dependency is the matching dependency; zero for file questions.
	Dependency Dependency
	// From is the record of the dependency file the dependency was read
	// from: how much of the graph it tells (Graph, Note).
	From DependencyFile
	// File is the matching path for file questions.
	File string
	// Services live in the repo; empty when none is catalogued.
	Services []Service
}

// dependencyColumns are a hit's dependency and its file's record, from
// dependencies d, repos r and dependency_files f (left joined).
const dependencyColumns = `d.ecosystem, d.name, d.version, d.file, d.line, d.source, d.direct, d.via, d.scope,
	COALESCE(f.graph, ''), COALESCE(f.note, ''), COALESCE(f.manifest, '')`

const dependencyJoins = `FROM dependencies d JOIN repos r ON r.id = d.repo_id
	LEFT JOIN dependency_files f ON f.repo_id = d.repo_id AND f.path = d.source`

func scanDependencyHit(row pgx.CollectableRow) (ImpactHit, error) {
	var h ImpactHit
	d := &h.Dependency
	var err error
	h.Repo, err = scanRepo(row, &d.Ecosystem, &d.Name, &d.Version, &d.File, &d.Line, &d.Source, &d.Direct, &d.Via, &d.Scope,
		&h.From.Graph, &h.From.Note, &h.From.Manifest)
	if len(d.Via) == 0 {
		d.Via = nil
	}
	h.From.Path = d.Source
	return h, err
}

// DependentRepos returns every repo with a dependency called name: the
// full name ("org.apache.logging.log4j:log4j-core") or its artifact part
// ("log4j-core"), ignoring case; direct and transitive ones, each with
// its chain. Each dependency occurrence (file) is one hit. Deleted repos
// are left out.
func (s *Store) DependentRepos(ctx context.Context, name string) ([]ImpactHit, error) {
	name = strings.TrimSpace(name)
	rows, err := s.pool.Query(ctx, `
		SELECT `+repoColumns+`, `+dependencyColumns+`
		`+dependencyJoins+`
		WHERE (d.artifact = lower($1) OR lower(d.name) = lower($1)) AND r.deleted_at IS NULL
		ORDER BY r.path, d.source, d.name, d.version`, name)
	if err != nil {
		return nil, fmt.Errorf("dependents of %s: %w", name, err)
	}
	hits, err := pgx.CollectRows(rows, scanDependencyHit)
	if err != nil {
		return nil, fmt.Errorf("dependents of %s: %w", name, err)
	}
	return hits, s.attachServices(ctx, hits)
}

// PackageKey names a package as advisories do: an ecosystem of the
// dependencies (depfile's names) and the name's key (advisories.NameKey:
// PEP 503 for PyPI, lower case otherwise).
type PackageKey struct {
	Ecosystem, NameKey string
}

// PackageVersion is one version of a package in use.
type PackageVersion struct {
	Ecosystem, NameKey, Version string
}

// VersionsInUse returns the distinct versions of the packages that some
// repo (not deleted) depends on, in any file: what /impact ADVISORY
// checks against the advisory's ranges, one check per version rather than
// per repo.
func (s *Store) VersionsInUse(ctx context.Context, keys []PackageKey) ([]PackageVersion, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	ecos, names := make([]string, len(keys)), make([]string, len(keys))
	for i, k := range keys {
		ecos[i], names[i] = k.Ecosystem, k.NameKey
	}
	rows, err := s.pool.Query(ctx, `
		SELECT DISTINCT d.ecosystem, d.name_key, d.version
		FROM unnest($1::text[], $2::text[]) AS k(ecosystem, name_key)
		JOIN dependencies d ON d.name_key = k.name_key AND d.ecosystem = k.ecosystem
		WHERE EXISTS (SELECT 1 FROM repos r WHERE r.id = d.repo_id AND r.deleted_at IS NULL)
		ORDER BY 1, 2, 3`, ecos, names)
	if err != nil {
		return nil, fmt.Errorf("versions in use: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (PackageVersion, error) {
		var v PackageVersion
		return v, r.Scan(&v.Ecosystem, &v.NameKey, &v.Version)
	})
	if err != nil {
		return nil, fmt.Errorf("versions in use: %w", err)
	}
	return out, nil
}

// ReposUsing returns every dependency on one of the given package
// versions, with its repo, chain and services, as DependentRepos does.
func (s *Store) ReposUsing(ctx context.Context, versions []PackageVersion) ([]ImpactHit, error) {
	if len(versions) == 0 {
		return nil, nil
	}
	ecos, names, vers := make([]string, len(versions)), make([]string, len(versions)), make([]string, len(versions))
	for i, v := range versions {
		ecos[i], names[i], vers[i] = v.Ecosystem, v.NameKey, v.Version
	}
	rows, err := s.pool.Query(ctx, `
		SELECT `+repoColumns+`, `+dependencyColumns+`
		FROM unnest($1::text[], $2::text[], $3::text[]) AS k(ecosystem, name_key, version)
		JOIN dependencies d ON d.name_key = k.name_key AND d.ecosystem = k.ecosystem AND d.version = k.version
		JOIN repos r ON r.id = d.repo_id
		LEFT JOIN dependency_files f ON f.repo_id = d.repo_id AND f.path = d.source
		WHERE r.deleted_at IS NULL
		ORDER BY r.path, d.source, d.name, d.version`, ecos, names, vers)
	if err != nil {
		return nil, fmt.Errorf("repos using %d versions: %w", len(versions), err)
	}
	hits, err := pgx.CollectRows(rows, scanDependencyHit)
	if err != nil {
		return nil, fmt.Errorf("repos using %d versions: %w", len(versions), err)
	}
	return hits, s.attachServices(ctx, hits)
}

// GraphGaps says how many repos have an incomplete dependency graph, and
// lists some of them with why: a package question's answer is only as
// complete as these graphs.
type GraphGaps struct {
	// Repos counts the repos (not deleted) with at least one dependency
	// file that leaves their graph incomplete, of the ecosystems asked
	// about (a file not read or not parsed counts whatever the ecosystem).
	Repos int
	// Unread, Unparsable, DeclaredOnly, Flat and Noted count repos by
	// reason (a repo may count under several).
	Unread, Unparsable, DeclaredOnly, Flat, Noted int
	// List holds up to the limit asked for: repos with files not read or
	// not parsed first, then the others, by path.
	List []RepoGap
}

// RepoGap is a repo whose graph is incomplete, and the files that make it
// so.
type RepoGap struct {
	Repo     Repo
	Files    []DependencyFile
	Services []Service
}

// gapWhere picks the dependency files f that leave a graph incomplete, of
// ecosystems $1 (any when empty).
const gapWhere = `r.deleted_at IS NULL AND (f.problem <> '' OR ((f.graph IN ('flat', 'declared') OR f.note <> '') AND
	(cardinality($1::text[]) = 0 OR EXISTS (
		SELECT 1 FROM dependencies d WHERE d.repo_id = f.repo_id AND d.source = f.path AND d.ecosystem = ANY($1)))))`

// GraphGaps counts the repos whose graph is incomplete for packages of
// the given ecosystems (depfile's names; any when none), and lists up to
// limit of them.
func (s *Store) GraphGaps(ctx context.Context, ecosystems []string, limit int) (GraphGaps, error) {
	if ecosystems == nil {
		ecosystems = []string{}
	}
	var g GraphGaps
	err := s.pool.QueryRow(ctx, `
		SELECT count(DISTINCT f.repo_id),
		       count(DISTINCT f.repo_id) FILTER (WHERE f.problem IN ('not_found', 'too_large', 'timeout', 'error')),
		       count(DISTINCT f.repo_id) FILTER (WHERE f.problem = 'unparsable'),
		       count(DISTINCT f.repo_id) FILTER (WHERE f.problem = '' AND f.graph = 'declared'),
		       count(DISTINCT f.repo_id) FILTER (WHERE f.problem = '' AND f.graph = 'flat'),
		       count(DISTINCT f.repo_id) FILTER (WHERE f.problem = '' AND f.graph NOT IN ('flat', 'declared') AND f.note <> '')
		FROM dependency_files f JOIN repos r ON r.id = f.repo_id
		WHERE `+gapWhere, ecosystems).Scan(&g.Repos, &g.Unread, &g.Unparsable, &g.DeclaredOnly, &g.Flat, &g.Noted)
	if err != nil {
		return GraphGaps{}, fmt.Errorf("incomplete graphs: %w", err)
	}
	if limit <= 0 || g.Repos == 0 {
		return g, nil
	}
	rows, err := s.pool.Query(ctx, `
		WITH gap AS (
			SELECT f.repo_id, bool_or(f.problem <> '') AS unread
			FROM dependency_files f JOIN repos r ON r.id = f.repo_id
			WHERE `+gapWhere+`
			GROUP BY f.repo_id),
		picked AS (
			SELECT g.repo_id, g.unread, r.path FROM gap g JOIN repos r ON r.id = g.repo_id
			ORDER BY g.unread DESC, r.path LIMIT $2)
		SELECT `+repoColumns+`, f.path, f.graph, f.manifest, f.note, f.problem, f.error
		FROM picked p JOIN repos r ON r.id = p.repo_id
		JOIN dependency_files f ON f.repo_id = p.repo_id
		WHERE `+gapWhere+`
		ORDER BY p.unread DESC, r.path, f.path`, ecosystems, limit)
	if err != nil {
		return GraphGaps{}, fmt.Errorf("incomplete graphs: %w", err)
	}
	type row struct {
		repo Repo
		file DependencyFile
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var x row
		var err error
		x.repo, err = scanRepo(r, &x.file.Path, &x.file.Graph, &x.file.Manifest, &x.file.Note, &x.file.Problem, &x.file.Error)
		return x, err
	})
	if err != nil {
		return GraphGaps{}, fmt.Errorf("incomplete graphs: %w", err)
	}
	hits := make([]ImpactHit, 0, len(list))
	for _, x := range list {
		if n := len(g.List); n > 0 && g.List[n-1].Repo.ID == x.repo.ID {
			g.List[n-1].Files = append(g.List[n-1].Files, x.file)
			continue
		}
		g.List = append(g.List, RepoGap{Repo: x.repo, Files: []DependencyFile{x.file}})
		hits = append(hits, ImpactHit{Repo: x.repo})
	}
	if err := s.attachServices(ctx, hits); err != nil {
		return GraphGaps{}, err
	}
	for i := range g.List {
		g.List[i].Services = hits[i].Services
	}
	return g, nil
}

// ReposWithFile returns every repo with a file matching pattern: a file
// name ("log4j2.xml": anywhere in the tree), a path ("src/main/log4j2.xml"),
// or a glob with * and ? ("**/log4j*.xml", "*.tf"). At most limit hits.
func (s *Store) ReposWithFile(ctx context.Context, pattern string, limit int) ([]ImpactHit, error) {
	pattern = strings.TrimSpace(strings.TrimPrefix(pattern, "/"))
	var where string
	var arg string
	switch {
	case strings.ContainsAny(pattern, "*?"):
		// A glob: "*" and "**" both match across folders here.
		where = `lower(f.path) LIKE $1 ESCAPE '\'`
		arg = globToLike(strings.ToLower(strings.ReplaceAll(pattern, "**/", "*")))
		if !strings.Contains(pattern, "/") {
			where = `lower(f.name) LIKE $1 ESCAPE '\'`
		}
	case strings.Contains(pattern, "/"):
		where, arg = `lower(f.path) = lower($1)`, pattern
	default:
		where, arg = `lower(f.name) = lower($1)`, pattern
	}
	rows, err := s.pool.Query(ctx, `
		SELECT `+repoColumns+`, f.path
		FROM repo_files f JOIN repos r ON r.id = f.repo_id
		WHERE `+where+` AND r.deleted_at IS NULL
		ORDER BY r.path, f.path LIMIT $2`, arg, limit)
	if err != nil {
		return nil, fmt.Errorf("repos with %s: %w", pattern, err)
	}
	hits, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ImpactHit, error) {
		var h ImpactHit
		var err error
		h.Repo, err = scanRepo(r, &h.File)
		return h, err
	})
	if err != nil {
		return nil, fmt.Errorf("repos with %s: %w", pattern, err)
	}
	return hits, s.attachServices(ctx, hits)
}

// globToLike turns a glob into a LIKE pattern, escaping LIKE's own
// wildcards.
func globToLike(glob string) string {
	var b strings.Builder
	for _, r := range glob {
		switch r {
		case '*':
			b.WriteByte('%')
		case '?':
			b.WriteByte('_')
		case '%', '_', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// attachServices fills in the services of each hit's repo, in one query.
func (s *Store) attachServices(ctx context.Context, hits []ImpactHit) error {
	if len(hits) == 0 {
		return nil
	}
	ids := make([]int64, 0, len(hits))
	for _, h := range hits {
		ids = append(ids, h.Repo.ID)
	}
	rows, err := s.pool.Query(ctx, `
		SELECT sr.repo_id, q.* FROM service_repos sr
		JOIN LATERAL (`+serviceSelect+` WHERE s.id = sr.service_id) q ON true
		WHERE sr.repo_id = ANY($1) ORDER BY q.name`, ids)
	if err != nil {
		return fmt.Errorf("services of repos: %w", err)
	}
	byRepo := map[int64][]Service{}
	for rows.Next() {
		var repoID int64
		svc, err := scanService(prefixRow{row: rows, first: &repoID})
		if err != nil {
			rows.Close()
			return fmt.Errorf("services of repos: %w", err)
		}
		byRepo[repoID] = append(byRepo[repoID], svc)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("services of repos: %w", err)
	}
	for i := range hits {
		hits[i].Services = byRepo[hits[i].Repo.ID]
	}
	return nil
}
