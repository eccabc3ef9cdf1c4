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
	// File is the matching path for file questions.
	File string
	// Services live in the repo; empty when none is catalogued.
	Services []Service
}

// DependentRepos returns every repo with a dependency called name: the
// full name ("org.apache.logging.log4j:log4j-core") or its artifact part
// ("log4j-core"), ignoring case. Each dependency occurrence (file) is one
// hit. Deleted repos are left out.
func (s *Store) DependentRepos(ctx context.Context, name string) ([]ImpactHit, error) {
	name = strings.TrimSpace(name)
	rows, err := s.pool.Query(ctx, `
		SELECT `+repoColumns+`, d.ecosystem, d.name, d.version, d.file
		FROM dependencies d JOIN repos r ON r.id = d.repo_id
		WHERE (d.artifact = lower($1) OR lower(d.name) = lower($1)) AND r.deleted_at IS NULL
		ORDER BY r.path, d.file, d.name`, name)
	if err != nil {
		return nil, fmt.Errorf("dependents of %s: %w", name, err)
	}
	hits, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ImpactHit, error) {
		var h ImpactHit
		var err error
		h.Repo, err = scanRepo(r, &h.Dependency.Ecosystem, &h.Dependency.Name, &h.Dependency.Version, &h.Dependency.File)
		return h, err
	})
	if err != nil {
		return nil, fmt.Errorf("dependents of %s: %w", name, err)
	}
	return hits, s.attachServices(ctx, hits)
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
