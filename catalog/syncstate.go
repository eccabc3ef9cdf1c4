package catalog

import (
	"context"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// RepoState is what the catalog remembers of a repo between syncs.
type RepoState struct {
	Path           string
	LastActivityAt time.Time
	LastCommit     string
	Archived       bool
	// Synced is true once a sync has stored the repo.
	Synced bool
	// SyncError is why the last sync of the repo failed; empty if it did not.
	SyncError string
	// DescriptorStatus and DescriptorPath are what the last sync found.
	DescriptorStatus, DescriptorPath string
}

// RepoStates returns the state of every known repo, by GitLab id; only
// that of the repos with the given ids when any are given.
func (s *Store) RepoStates(ctx context.Context, ids ...int64) (map[int64]RepoState, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT gitlab_id, path, last_activity_at, last_commit, archived, synced_at IS NOT NULL, sync_error,
		       descriptor_status, descriptor_path
		FROM repos WHERE gitlab_id IS NOT NULL AND (coalesce(cardinality($1::bigint[]), 0) = 0 OR gitlab_id = ANY($1))`, ids)
	if err != nil {
		return nil, fmt.Errorf("repo states: %w", err)
	}
	defer rows.Close()
	out := map[int64]RepoState{}
	for rows.Next() {
		var id int64
		var st RepoState
		var last *time.Time
		if err := rows.Scan(&id, &st.Path, &last, &st.LastCommit, &st.Archived, &st.Synced, &st.SyncError, &st.DescriptorStatus, &st.DescriptorPath); err != nil {
			return nil, fmt.Errorf("repo states: %w", err)
		}
		if last != nil {
			st.LastActivityAt = *last
		}
		out[id] = st
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("repo states: %w", err)
	}
	return out, nil
}

// RecordRepoFailure notes why a repo could not be synced, keeping whatever
// was stored of it before.
func (s *Store) RecordRepoFailure(ctx context.Context, r Repo, reason string) error {
	_, err := s.pool.Exec(ctx, `
		INSERT INTO repos (gitlab_id, path, default_branch, web_url, archived, forked, sync_error)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (gitlab_id) DO UPDATE SET sync_error = EXCLUDED.sync_error, updated_at = now()`,
		r.GitLabID, r.Path, r.DefaultBranch, r.WebURL, r.Archived, r.Forked, reason)
	if err != nil {
		return fmt.Errorf("record failure of %s: %w", r.Path, translate(err))
	}
	return nil
}

// SyncRun is one recorded sync.
type SyncRun struct {
	ID                                                                    int64
	Kind                                                                  string
	StartedAt, FinishedAt                                                 time.Time
	Completed                                                             bool
	ReposSeen, Catalogued, Invalid, Missing, Templates, Conflicts, Failed int
	Requests, RateLimited                                                 int64
	Error                                                                 string
}

// StartSyncRun records that a sync of kind ("full" or "incremental")
// started at at, and returns its id.
func (s *Store) StartSyncRun(ctx context.Context, kind string, at time.Time) (int64, error) {
	var id int64
	if err := s.pool.QueryRow(ctx, `INSERT INTO sync_runs (kind, started_at) VALUES ($1, $2) RETURNING id`, kind, at).Scan(&id); err != nil {
		return 0, fmt.Errorf("record sync start: %w", err)
	}
	return id, nil
}

// FinishSyncRun records how run id ended.
func (s *Store) FinishSyncRun(ctx context.Context, r SyncRun) error {
	_, err := s.pool.Exec(ctx, `
		UPDATE sync_runs SET finished_at = now(), completed = $2, repos_seen = $3, catalogued = $4, invalid = $5,
			missing = $6, templates = $7, conflicts = $8, failed = $9, requests = $10, rate_limited = $11, error = $12
		WHERE id = $1`,
		r.ID, r.Completed, r.ReposSeen, r.Catalogued, r.Invalid, r.Missing, r.Templates, r.Conflicts, r.Failed,
		r.Requests, r.RateLimited, r.Error)
	if err != nil {
		return fmt.Errorf("record sync end: %w", err)
	}
	return nil
}

// LastCompletedSync returns when the last sync that completed started; the
// zero time when none has. An incremental sync asks GitLab for what
// changed since then, so a run that was interrupted is simply done again.
func (s *Store) LastCompletedSync(ctx context.Context) (time.Time, error) {
	var at *time.Time
	if err := s.pool.QueryRow(ctx, `SELECT max(started_at) FROM sync_runs WHERE completed`).Scan(&at); err != nil {
		return time.Time{}, fmt.Errorf("last sync: %w", err)
	}
	if at == nil {
		return time.Time{}, nil
	}
	return *at, nil
}

// TryLock takes the cluster-wide lock called name (a Postgres advisory
// lock held by a connection of its own) if no other process holds it. It
// returns ok false when another holds it; otherwise call unlock when done.
// A process that dies releases its locks with its connection.
func TryLock(ctx context.Context, pool *pgxpool.Pool, name string) (unlock func(), ok bool, err error) {
	h := fnv.New64a()
	h.Write([]byte("switchboard:" + name))
	key := int64(h.Sum64())
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("lock %s: %w", name, err)
	}
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&ok); err != nil {
		conn.Release()
		return nil, false, fmt.Errorf("lock %s: %w", name, err)
	}
	if !ok {
		conn.Release()
		return nil, false, nil
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, key); err != nil {
			// The lock dies with the connection: make sure it does.
			conn.Hijack().Close(ctx)
			return
		}
		conn.Release()
	}, true, nil
}

// MarkRepoDeleted records that GitLab destroyed the project with gitlabID:
// the repo is kept, marked deleted, and the services it declared are
// orphaned. Returns ErrNotFound if the repo is unknown.
func (s *Store) MarkRepoDeleted(ctx context.Context, gitlabID int64) ([]string, error) {
	var orphaned []string
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var repoID int64
		if err := tx.QueryRow(ctx, `UPDATE repos SET deleted_at = now(), updated_at = now() WHERE gitlab_id = $1 RETURNING id`, gitlabID).Scan(&repoID); err != nil {
			return err
		}
		var err error
		orphaned, err = orphanExcept(ctx, tx, repoID, nil)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("mark project %d deleted: %w", gitlabID, translate(err))
	}
	return orphaned, nil
}

// RepoFiles returns the indexed paths of the repo with gitlabID.
func (s *Store) RepoFiles(ctx context.Context, gitlabID int64) ([]string, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT f.path FROM repo_files f JOIN repos r ON r.id = f.repo_id WHERE r.gitlab_id = $1 ORDER BY f.path`, gitlabID)
	if err != nil {
		return nil, fmt.Errorf("files of project %d: %w", gitlabID, err)
	}
	files, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("files of project %d: %w", gitlabID, err)
	}
	return files, nil
}
