package catalog

import (
	"context"
	"errors"
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
	// DependencyFilesUnread counts the dependency files the last sync
	// could not read (not found, too large, timeout): the next sync reads
	// the repo again, whatever its commit.
	DependencyFilesUnread int
	// MergeRead is true when the repo's last merge was read and its last
	// read did not fail; ProtectionReadAt is when its default branch's
	// protection was last read without failing (zero: never, or it
	// failed). See GitLabFacts.
	MergeRead        bool
	ProtectionReadAt time.Time
	// ReadmeRead is true once a sync has looked for the repo's README
	// (since migration 025); ReadmePath is the file it read, "" for none.
	ReadmeRead bool
	ReadmePath string
}

// repoStateColumns are the columns of repos r a RepoState is read from, in
// the order of repoStateRow.dest.
const repoStateColumns = `r.path, r.last_activity_at, r.last_commit, r.archived, r.synced_at IS NOT NULL, r.sync_error,
	r.descriptor_status, r.descriptor_path, r.dependency_files_unread,
	r.last_merge_read_at IS NOT NULL AND r.last_merge_error = '',
	CASE WHEN r.protection_error = '' THEN r.protection_read_at END, r.readme_path`

// repoStateRow scans repoStateColumns; every one may be NULL (no such repo,
// in an outer join).
type repoStateRow struct {
	path, commit, serr, dstatus, dpath, readme *string
	last, protRead                             *time.Time
	archived, synced, mergeRead                *bool
	unread                                     *int
}

func (r *repoStateRow) dest() []any {
	return []any{&r.path, &r.last, &r.commit, &r.archived, &r.synced, &r.serr, &r.dstatus, &r.dpath, &r.unread, &r.mergeRead, &r.protRead, &r.readme}
}

// state is the row's RepoState; zero when the row named no repo.
func (r *repoStateRow) state() RepoState {
	if r.path == nil {
		return RepoState{}
	}
	st := RepoState{Path: *r.path, LastCommit: *r.commit, Archived: *r.archived, Synced: *r.synced, SyncError: *r.serr,
		DescriptorStatus: *r.dstatus, DescriptorPath: *r.dpath, DependencyFilesUnread: *r.unread, MergeRead: *r.mergeRead}
	if r.last != nil {
		st.LastActivityAt = *r.last
	}
	if r.protRead != nil {
		st.ProtectionReadAt = *r.protRead
	}
	if r.readme != nil {
		st.ReadmeRead, st.ReadmePath = true, *r.readme
	}
	return st
}

// RepoStates returns the state of every known repo, by GitLab id; only
// that of the repos with the given ids when any are given.
func (s *Store) RepoStates(ctx context.Context, ids ...int64) (map[int64]RepoState, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT r.gitlab_id, `+repoStateColumns+`
		FROM repos r WHERE r.gitlab_id IS NOT NULL AND (coalesce(cardinality($1::bigint[]), 0) = 0 OR r.gitlab_id = ANY($1))`, ids)
	if err != nil {
		return nil, fmt.Errorf("repo states: %w", err)
	}
	defer rows.Close()
	out := map[int64]RepoState{}
	for rows.Next() {
		var id int64
		var r repoStateRow
		if err := rows.Scan(append([]any{&id}, r.dest()...)...); err != nil {
			return nil, fmt.Errorf("repo states: %w", err)
		}
		out[id] = r.state()
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
	ID int64
	// JobID is the River job that ran it; 0 for runs before River.
	JobID int64
	// Kind is full, incremental or verify.
	Kind                  string
	StartedAt, FinishedAt time.Time
	Completed             bool
	// Listed is true once every project was listed and its job enqueued;
	// Queued counts those jobs, Done those that reported back.
	Listed       bool
	Queued, Done int
	// ReposSeen counts the projects listed; Unchanged those not asked about
	// (their last activity had not moved), Ignored those the standards
	// file ignores, AlreadyQueued those whose sync was already waiting (a
	// webhook's).
	ReposSeen, Unchanged, Ignored, AlreadyQueued int
	// Verified: compared with GitLab, nothing had moved; Changed: brought
	// up to date from a comparison; Reread: read whole (new, or the
	// comparison could not tell). Failed: recorded with its reason.
	Verified, Changed, Reread, Failed int
	// Catalogued, Invalid, Missing and Templates count the descriptors read
	// in this run by what they were found to be.
	Catalogued, Invalid, Missing, Templates int
	Services, Conflicts, Orphaned           int
	// DependencyFilesUnread counts the dependency files the run's repos
	// could not read (retried at the next sync).
	DependencyFilesUnread int
	Requests, RateLimited int64
	Error                 string
	// Failures name the repos that failed, with why (at most 100).
	Failures []string
}

// SyncRunKey is the job that runs a sync: StartSyncRun's argument.
type SyncRunKey struct {
	JobID int64
	Kind  string
	At    time.Time
}

// StartSyncRun records that the sync run by job k.JobID started, and
// returns it; when that job already started it (the job ran again after
// its replica died), the run as recorded then.
func (s *Store) StartSyncRun(ctx context.Context, k SyncRunKey) (SyncRun, error) {
	var r SyncRun
	var finished *time.Time
	err := s.pool.QueryRow(ctx, `
		WITH ins AS (
			INSERT INTO sync_runs (job_id, kind, started_at) VALUES ($1, $2, $3)
			ON CONFLICT (job_id) DO NOTHING
			RETURNING id, kind, started_at, finished_at)
		SELECT id, kind, started_at, finished_at FROM ins
		UNION ALL
		SELECT id, kind, started_at, finished_at FROM sync_runs WHERE job_id = $1
		LIMIT 1`, k.JobID, k.Kind, k.At).Scan(&r.ID, &r.Kind, &r.StartedAt, &finished)
	if err != nil {
		return SyncRun{}, fmt.Errorf("record sync start: %w", err)
	}
	r.JobID = k.JobID
	if finished != nil {
		r.FinishedAt = *finished
	}
	return r, nil
}

// RunListing is what a run's listing found, for ListedSyncRun.
type RunListing struct {
	Seen, Queued, AlreadyQueued, Unchanged, Ignored int
	// Requests and RateLimited count the listing's own requests.
	Requests, RateLimited int64
}

// ListedSyncRun records that run id listed every project and enqueued its
// jobs, and reports whether the run's work is all done already (the caller
// then finishes it).
func (s *Store) ListedSyncRun(ctx context.Context, id int64, l RunListing) (done bool, err error) {
	err = s.pool.QueryRow(ctx, `
		UPDATE sync_runs SET listed = true, repos_seen = $2, queued = $3, already_queued = $4, unchanged = $5,
			ignored = $6, requests = $7, rate_limited = $8
		WHERE id = $1
		RETURNING finished_at IS NULL AND done >= queued`,
		id, l.Seen, l.Queued, l.AlreadyQueued, l.Unchanged, l.Ignored, l.Requests, l.RateLimited).Scan(&done)
	if err != nil {
		return false, fmt.Errorf("record sync listing: %w", translate(err))
	}
	return done, nil
}

// RunRepo is what one repo's job did in a run.
type RunRepo struct {
	GitLabID int64
	Path     string
	// Work is verified, changed, reread, ignored or failed.
	Work string
	// Outcome is the status of the descriptor read, "" when none was.
	Outcome                       string
	Services, Conflicts, Orphaned int
	// DependencyFilesUnread counts the repo's dependency files not read.
	DependencyFilesUnread int
	Requests, RateLimited int64
	Error                 string
}

// RecordRunRepo records what job jobID did to a repo in run id, once
// however often the job ran, ends its sync of the repo (EndRepoSync), and
// reports whether that was the run's last piece of work (the caller then
// finishes the run).
func (s *Store) RecordRunRepo(ctx context.Context, id, jobID int64, r RunRepo) (last bool, err error) {
	err = s.pool.QueryRow(ctx, `
		WITH ended AS (
			UPDATE repo_sync_gen SET running_job = NULL WHERE gitlab_id = $2 AND running_job = $12),
		ins AS (
			INSERT INTO sync_run_repos (run_id, gitlab_id, path, work, outcome, services, conflicts, orphaned,
				requests, rate_limited, error, dependency_files_unread)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $13)
			ON CONFLICT (run_id, gitlab_id) DO NOTHING
			RETURNING 1)
		UPDATE sync_runs SET done = done + (SELECT count(*) FROM ins)
		WHERE id = $1
		RETURNING finished_at IS NULL AND listed AND done >= queued AND EXISTS (SELECT 1 FROM ins)`,
		id, r.GitLabID, r.Path, r.Work, r.Outcome, r.Services, r.Conflicts, r.Orphaned, r.Requests, r.RateLimited, r.Error, jobID, r.DependencyFilesUnread).Scan(&last)
	if err != nil {
		return false, fmt.Errorf("record sync of %s: %w", r.Path, translate(err))
	}
	return last, nil
}

// SyncRunsChannel is the channel FinishSyncRun notifies, with the run's
// job id as payload.
const SyncRunsChannel = "switchboard_sync_runs"

// FinishSyncRun records how run id ended (completed, or the error that
// stopped it), totals what its repos' jobs did, and notifies
// SyncRunsChannel. A run already finished is left as it is.
func (s *Store) FinishSyncRun(ctx context.Context, id int64, runErr string) error {
	_, err := s.pool.Exec(ctx, `
		WITH t AS (
			SELECT count(*) FILTER (WHERE outcome = 'ok') AS catalogued,
			       count(*) FILTER (WHERE outcome = 'invalid') AS invalid,
			       count(*) FILTER (WHERE outcome = 'missing') AS missing,
			       count(*) FILTER (WHERE outcome = 'template') AS templates,
			       coalesce(sum(conflicts), 0) AS conflicts,
			       count(*) FILTER (WHERE work = 'failed') AS failed,
			       coalesce(sum(requests), 0) AS requests,
			       coalesce(sum(rate_limited), 0) AS rate_limited
			FROM sync_run_repos WHERE run_id = $1),
		done AS (
			UPDATE sync_runs r SET finished_at = now(), completed = $2 = '', error = $2,
				catalogued = t.catalogued, invalid = t.invalid, missing = t.missing, templates = t.templates,
				conflicts = t.conflicts, failed = t.failed,
				requests = r.requests + t.requests, rate_limited = r.rate_limited + t.rate_limited
			FROM t WHERE r.id = $1 AND r.finished_at IS NULL
			RETURNING r.job_id)
		SELECT pg_notify($3, coalesce(job_id, 0)::text) FROM done`, id, runErr, SyncRunsChannel)
	if err != nil {
		return fmt.Errorf("record sync end: %w", err)
	}
	return nil
}

// SyncRunOfJob returns the run that job jobID ran, with the totals of what
// its repos' jobs did so far; ErrNotFound if the job has not started one.
func (s *Store) SyncRunOfJob(ctx context.Context, jobID int64) (SyncRun, error) {
	var r SyncRun
	var finished *time.Time
	err := s.pool.QueryRow(ctx, `
		SELECT r.id, r.kind, r.started_at, r.finished_at, r.completed, r.listed, r.queued, r.done, r.repos_seen,
		       r.unchanged, r.ignored, r.already_queued,
		       -- FinishSyncRun adds the repos' requests to the listing's.
		       r.requests + CASE WHEN r.finished_at IS NULL THEN coalesce(t.requests, 0) ELSE 0 END,
		       r.rate_limited + CASE WHEN r.finished_at IS NULL THEN coalesce(t.rate_limited, 0) ELSE 0 END, r.error,
		       coalesce(t.verified, 0), coalesce(t.changed, 0), coalesce(t.reread, 0), coalesce(t.failed, 0),
		       coalesce(t.catalogued, 0), coalesce(t.invalid, 0), coalesce(t.missing, 0), coalesce(t.templates, 0),
		       coalesce(t.services, 0), coalesce(t.conflicts, 0), coalesce(t.orphaned, 0), coalesce(t.failures, '{}'),
		       coalesce(t.unread, 0)
		FROM sync_runs r
		LEFT JOIN LATERAL (
			SELECT count(*) FILTER (WHERE work = 'verified') AS verified,
			       count(*) FILTER (WHERE work = 'changed') AS changed,
			       count(*) FILTER (WHERE work = 'reread') AS reread,
			       count(*) FILTER (WHERE work = 'failed') AS failed,
			       count(*) FILTER (WHERE outcome = 'ok') AS catalogued,
			       count(*) FILTER (WHERE outcome = 'invalid') AS invalid,
			       count(*) FILTER (WHERE outcome = 'missing') AS missing,
			       count(*) FILTER (WHERE outcome = 'template') AS templates,
			       sum(services) AS services, sum(conflicts) AS conflicts, sum(orphaned) AS orphaned,
			       sum(requests) AS requests, sum(rate_limited) AS rate_limited,
			       sum(dependency_files_unread) AS unread,
			       (array_agg(path || ': ' || error ORDER BY path) FILTER (WHERE work = 'failed'))[1:100] AS failures
			FROM sync_run_repos WHERE run_id = r.id) t ON true
		WHERE r.job_id = $1`, jobID).Scan(&r.ID, &r.Kind, &r.StartedAt, &finished, &r.Completed, &r.Listed, &r.Queued, &r.Done,
		&r.ReposSeen, &r.Unchanged, &r.Ignored, &r.AlreadyQueued, &r.Requests, &r.RateLimited, &r.Error,
		&r.Verified, &r.Changed, &r.Reread, &r.Failed, &r.Catalogued, &r.Invalid, &r.Missing, &r.Templates,
		&r.Services, &r.Conflicts, &r.Orphaned, &r.Failures, &r.DependencyFilesUnread)
	if err != nil {
		return SyncRun{}, fmt.Errorf("sync run of job %d: %w", jobID, translate(err))
	}
	r.JobID = jobID
	if finished != nil {
		r.FinishedAt = *finished
	}
	return r, nil
}

// WaitSyncRun waits until the run of job jobID has finished (through
// SyncRunsChannel, no polling) and returns it, or until ctx ends.
func (s *Store) WaitSyncRun(ctx context.Context, jobID int64) (SyncRun, error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return SyncRun{}, fmt.Errorf("wait for sync run: %w", err)
	}
	defer func() {
		// The connection listens: do not hand it back to the pool so.
		conn.Hijack().Close(context.Background())
	}()
	if _, err := conn.Exec(ctx, `LISTEN `+SyncRunsChannel); err != nil {
		return SyncRun{}, fmt.Errorf("wait for sync run: %w", err)
	}
	want := fmt.Sprint(jobID)
	for {
		r, err := s.SyncRunOfJob(ctx, jobID)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return SyncRun{}, err
		}
		if err == nil && !r.FinishedAt.IsZero() {
			return r, nil
		}
		for {
			n, err := conn.Conn().WaitForNotification(ctx)
			if err != nil {
				return SyncRun{}, fmt.Errorf("wait for sync run: %w", err)
			}
			if n.Payload == want {
				break
			}
		}
	}
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

// LastCompletedVerify returns when the last completed run that verified
// every repo (a verify run, or a full one) started; zero when none has.
func (s *Store) LastCompletedVerify(ctx context.Context) (time.Time, error) {
	var at *time.Time
	if err := s.pool.QueryRow(ctx, `SELECT max(started_at) FROM sync_runs WHERE completed AND kind IN ('verify', 'full')`).Scan(&at); err != nil {
		return time.Time{}, fmt.Errorf("last verification: %w", err)
	}
	if at == nil {
		return time.Time{}, nil
	}
	return *at, nil
}

// RunRepoIDs returns the GitLab ids of the repos run id has recorded
// (RecordRunRepo) so far.
func (s *Store) RunRepoIDs(ctx context.Context, id int64) (map[int64]bool, error) {
	ids, err := queryIDs(ctx, s.pool, fmt.Sprintf("repos of sync run %d", id), `SELECT gitlab_id FROM sync_run_repos WHERE run_id = $1`, id)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]bool, len(ids))
	for _, g := range ids {
		out[g] = true
	}
	return out, nil
}

// SyncGens returns how many syncs of each project have started (see
// BeginRepoSync), by GitLab id; only those of ids when any are given.
// A project never synced has none (0).
func (s *Store) SyncGens(ctx context.Context, ids ...int64) (map[int64]int64, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT gitlab_id, gen FROM repo_sync_gen
		WHERE coalesce(cardinality($1::bigint[]), 0) = 0 OR gitlab_id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("sync generations: %w", err)
	}
	defer rows.Close()
	out := map[int64]int64{}
	for rows.Next() {
		var id, gen int64
		if err := rows.Scan(&id, &gen); err != nil {
			return nil, fmt.Errorf("sync generations: %w", err)
		}
		out[id] = gen
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sync generations: %w", err)
	}
	return out, nil
}

// BeginRepoSync starts the sync of project gitlabID by job jobID: unless
// another job is syncing the project (it began and is still running: ok
// false, the caller waits for it to end), it marks the project as synced by
// jobID and bumps its generation, so that a push from now on queues a new
// job rather than joining this one, which may read GitLab before the push.
// A job whose replica died no longer counts as running once it is rescued.
// It returns the repo's state as RepoStates would (zero when unknown), in
// the same round trip. Call EndRepoSync (or RecordRunRepo) when done.
func (s *Store) BeginRepoSync(ctx context.Context, jobID, gitlabID int64) (ok bool, known RepoState, err error) {
	var r repoStateRow
	err = s.pool.QueryRow(ctx, `
		WITH b AS (
			INSERT INTO repo_sync_gen AS g (gitlab_id, gen, running_job) VALUES ($2, 1, $1)
			ON CONFLICT (gitlab_id) DO UPDATE SET gen = g.gen + 1, running_job = $1
			WHERE g.running_job IS NULL OR g.running_job = $1
			   OR NOT EXISTS (SELECT 1 FROM river_job j WHERE j.id = g.running_job AND j.state = 'running')
			RETURNING 1)
		SELECT EXISTS (SELECT 1 FROM b), `+repoStateColumns+`
		FROM (SELECT 1) one LEFT JOIN repos r ON r.gitlab_id = $2`, jobID, gitlabID).Scan(append([]any{&ok}, r.dest()...)...)
	if err != nil {
		return false, RepoState{}, fmt.Errorf("begin sync of project %d: %w", gitlabID, err)
	}
	return ok, r.state(), nil
}

// EndRepoSync records that job jobID no longer syncs project gitlabID.
func (s *Store) EndRepoSync(ctx context.Context, jobID, gitlabID int64) error {
	if _, err := s.pool.Exec(ctx, `UPDATE repo_sync_gen SET running_job = NULL WHERE gitlab_id = $2 AND running_job = $1`, jobID, gitlabID); err != nil {
		return fmt.Errorf("end sync of project %d: %w", gitlabID, err)
	}
	return nil
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

// RateBudget is a rate limit shared by every replica, kept in Postgres: at
// most Limit requests per fixed window of Window (aligned on the epoch, by
// the database server's clock), taken in batches. It is a gitlab.Limiter.
type RateBudget struct {
	pool   *pgxpool.Pool
	name   string
	limit  int
	window time.Duration
}

// NewRateBudget returns the budget called name: limit requests per window.
func NewRateBudget(pool *pgxpool.Pool, name string, limit int, window time.Duration) *RateBudget {
	return &RateBudget{pool: pool, name: name, limit: limit, window: window}
}

// Take grants up to n requests of the window in progress (0 when it is
// spent) and says how long the window has left: one statement, which
// serialises the replicas on the budget's row.
func (b *RateBudget) Take(ctx context.Context, n int) (granted int, left time.Duration, err error) {
	var secs float64
	err = b.pool.QueryRow(ctx, `SELECT granted, extract(epoch FROM window_end - clock_timestamp())::float8 FROM gitlab_rate_take($1, $2, $3, $4)`,
		b.name, n, b.limit, b.window).Scan(&granted, &secs)
	if err != nil {
		return 0, 0, fmt.Errorf("take from rate budget %s: %w", b.name, err)
	}
	return granted, max(time.Duration(secs*float64(time.Second)), 0), nil
}
