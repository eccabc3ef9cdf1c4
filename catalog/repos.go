package catalog

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

const repoColumns = `r.id, COALESCE(r.gitlab_id, 0), r.path, r.default_branch, r.web_url, r.archived, r.forked,
	r.last_activity_at, r.last_commit, r.descriptor_status, r.descriptor_path`

func scanRepo(row pgx.Row, extra ...any) (Repo, error) {
	var r Repo
	var last *time.Time
	dest := append([]any{&r.ID, &r.GitLabID, &r.Path, &r.DefaultBranch, &r.WebURL, &r.Archived, &r.Forked,
		&last, &r.LastCommit, &r.DescriptorStatus, &r.DescriptorPath}, extra...)
	if err := row.Scan(dest...); err != nil {
		return Repo{}, err
	}
	if last != nil {
		r.LastActivityAt = *last
	}
	return r, nil
}

// PutRepo creates the repo or updates the one with the same GitLab id (or,
// when it has none, the same path). Its descriptor status and sync state are
// left as they are; the sync sets those.
func (s *Store) PutRepo(ctx context.Context, r Repo) (Repo, error) {
	r.Path = strings.Trim(strings.TrimSpace(r.Path), "/")
	if r.Path == "" {
		return Repo{}, fmt.Errorf("put repo: %w: empty path", ErrInvalid)
	}
	var gitlabID *int64
	if r.GitLabID != 0 {
		gitlabID = &r.GitLabID
	}
	var last *time.Time
	if !r.LastActivityAt.IsZero() {
		last = &r.LastActivityAt
	}
	conflict := `(lower(path))`
	if gitlabID != nil {
		conflict = `(gitlab_id)`
	}
	row := s.pool.QueryRow(ctx, `
		INSERT INTO repos AS r (gitlab_id, path, default_branch, web_url, archived, forked, last_activity_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT `+conflict+` DO UPDATE SET
			path = EXCLUDED.path, default_branch = EXCLUDED.default_branch, web_url = EXCLUDED.web_url,
			archived = EXCLUDED.archived, forked = EXCLUDED.forked,
			last_activity_at = EXCLUDED.last_activity_at, updated_at = now()
		RETURNING `+repoColumns,
		gitlabID, r.Path, r.DefaultBranch, r.WebURL, r.Archived, r.Forked, last)
	out, err := scanRepo(row)
	if err != nil {
		return Repo{}, fmt.Errorf("put repo %s: %w", r.Path, translate(err))
	}
	return out, nil
}

// AttachRepo records that service serviceID lives in repo repoID, with its
// descriptor in folder subpath ("" for the root).
func (s *Store) AttachRepo(ctx context.Context, serviceID, repoID int64, subpath string) error {
	_, err := s.pool.Exec(ctx, `
		INSERT INTO service_repos (service_id, repo_id, subpath) VALUES ($1, $2, $3)
		ON CONFLICT (service_id, repo_id) DO UPDATE SET subpath = EXCLUDED.subpath`,
		serviceID, repoID, subpath)
	if err != nil {
		return fmt.Errorf("attach repo %d to service %d: %w", repoID, serviceID, translate(err))
	}
	return nil
}

// ServiceRepos returns the repos the service with id lives in.
func (s *Store) ServiceRepos(ctx context.Context, serviceID int64) ([]Repo, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT `+repoColumns+`, sr.subpath
		FROM repos r JOIN service_repos sr ON sr.repo_id = r.id
		WHERE sr.service_id = $1 AND r.deleted_at IS NULL ORDER BY r.path`, serviceID)
	if err != nil {
		return nil, fmt.Errorf("repos of service %d: %w", serviceID, err)
	}
	repos, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Repo, error) {
		var sub string
		repo, err := scanRepo(r, &sub)
		repo.Subpath = sub
		return repo, err
	})
	if err != nil {
		return nil, fmt.Errorf("repos of service %d: %w", serviceID, err)
	}
	return repos, nil
}
