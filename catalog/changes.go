package catalog

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Kinds of Change.
const (
	// ChangeMerge is a merge request merged into a project's default
	// branch.
	ChangeMerge = "merge_request"
	// ChangePush is a push to the default branch that no merged merge
	// request brought (see Change.MergeCommits).
	ChangePush = "push"
	// ChangeDeployment is a deployment to an environment that finished
	// (status success or failed).
	ChangeDeployment = "deployment"
	// ChangeCatalog is an owner or tier change of a service, recorded by
	// the database whoever wrote it (migration 030's trigger).
	ChangeCatalog = "catalog"
)

// Sources of a Change.
const (
	ChangeFromWebhook = "webhook"
	ChangeFromSync    = "sync"
	ChangeFromCatalog = "catalog"
)

// Change is one thing that changed about a service: see the Change* kinds.
type Change struct {
	ID   int64
	Kind string
	// ProjectID is the GitLab project of a GitLab change; 0 for a catalog
	// change.
	ProjectID int64
	// ServiceID is, as read by RecentChanges, the service asked about the
	// change belongs to; for a catalog change as written, its service.
	ServiceID int64
	// Ref identifies the change within its project and kind: a merge
	// request's iid, a deployment's id, a push's head commit; "owner" or
	// "tier" for a catalog change.
	Ref string
	// At is when it happened: merged, pushed, the deployment finished.
	At                         time.Time
	AuthorName, AuthorUsername string
	Title                      string
	WebURL                     string
	// Environment and Status are a deployment's.
	Environment, Status string
	// SHA is a push's head commit, a merge request's merge commit.
	SHA string
	// Source is ChangeFromWebhook, ChangeFromSync or ChangeFromCatalog.
	Source string
	// MergeCommits, written with a merge request, are the commits it
	// brought to the default branch (merge commit, squash commit, the
	// source branch's head for a fast-forward): a push whose head is one
	// of them is that merge, not a direct push, whichever was recorded
	// first. Not read back.
	MergeCommits []string
}

// Author is how the change's author is shown: "Name (@username)", the one
// known, or "".
func (c Change) Author() string {
	switch {
	case c.AuthorName != "" && c.AuthorUsername != "":
		return c.AuthorName + " (@" + c.AuthorUsername + ")"
	case c.AuthorUsername != "":
		return "@" + c.AuthorUsername
	}
	return c.AuthorName
}

// validChange says what is wrong with a GitLab change to record.
func validChange(c Change) error {
	switch c.Kind {
	case ChangeMerge, ChangePush, ChangeDeployment:
	default:
		return fmt.Errorf("%w: change kind %q is not a GitLab one", ErrInvalid, c.Kind)
	}
	if c.ProjectID <= 0 {
		return fmt.Errorf("%w: %s change without a project", ErrInvalid, c.Kind)
	}
	if c.Ref == "" {
		return fmt.Errorf("%w: %s change of project %d without an id", ErrInvalid, c.Kind, c.ProjectID)
	}
	if c.At.IsZero() {
		return fmt.Errorf("%w: %s %s of project %d without a time", ErrInvalid, c.Kind, c.Ref, c.ProjectID)
	}
	if c.Source != ChangeFromWebhook && c.Source != ChangeFromSync {
		return fmt.Errorf("%w: change source %q", ErrInvalid, c.Source)
	}
	return nil
}

// upsertChange writes one GitLab change: a second record of it (the
// webhook and the backfill, a redelivery, another replica) fills what the
// first lacked and keeps the rest; a deployment takes the status of its
// latest record.
const upsertChange = `
	INSERT INTO changes (kind, project_id, ref, at, author_name, author_username, title, web_url,
	                     environment, status, sha, source)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
	ON CONFLICT (project_id, kind, ref) WHERE project_id IS NOT NULL DO UPDATE SET
		at = CASE WHEN changes.kind = 'deployment' AND EXCLUDED.at > changes.at THEN EXCLUDED.at ELSE changes.at END,
		status = CASE WHEN changes.kind = 'deployment' AND EXCLUDED.at > changes.at THEN EXCLUDED.status ELSE changes.status END,
		author_name = coalesce(nullif(changes.author_name, ''), EXCLUDED.author_name),
		author_username = coalesce(nullif(changes.author_username, ''), EXCLUDED.author_username),
		title = coalesce(nullif(changes.title, ''), EXCLUDED.title),
		web_url = coalesce(nullif(changes.web_url, ''), EXCLUDED.web_url),
		environment = coalesce(nullif(changes.environment, ''), EXCLUDED.environment),
		sha = coalesce(nullif(changes.sha, ''), EXCLUDED.sha)`

// RecordChanges stores GitLab changes, idempotently: the same change
// recorded again — by a redelivered webhook, by the backfill, by another
// replica at the same moment — is one row (keyed by project, kind and
// GitLab id). One round trip for the lot. A change that is not valid
// (unknown kind, no project, id or time) is ErrInvalid and nothing is
// written.
func (s *Store) RecordChanges(ctx context.Context, changes []Change) error {
	if len(changes) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	for _, c := range changes {
		if err := validChange(c); err != nil {
			return err
		}
		b.Queue(upsertChange, c.Kind, c.ProjectID, c.Ref, c.At, c.AuthorName, c.AuthorUsername, c.Title, c.WebURL,
			c.Environment, c.Status, c.SHA, c.Source)
		for _, sha := range c.MergeCommits {
			if sha != "" {
				b.Queue(`INSERT INTO change_merge_commits (project_id, sha) VALUES ($1, $2) ON CONFLICT DO NOTHING`, c.ProjectID, sha)
			}
		}
	}
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("record %d changes: %w", len(changes), err)
	}
	return nil
}

// recentChanges reads the changes of a list of services: through their
// repos' GitLab projects (each project's newest first, by the index on
// project and time, at most the limit), less the pushes a merged merge
// request brought, and their catalog changes. Each change is reported for
// the first service of the list it belongs to.
const recentChanges = `
	WITH proj AS (
		SELECT DISTINCT ON (r.gitlab_id) r.gitlab_id AS project_id, sr.service_id
		FROM service_repos sr JOIN repos r ON r.id = sr.repo_id
		WHERE sr.service_id = ANY($1) AND r.gitlab_id IS NOT NULL AND r.deleted_at IS NULL
		ORDER BY r.gitlab_id, array_position($1, sr.service_id)
	)
	SELECT id, kind, project_id, service_id, ref, at, author_name, author_username, title, web_url,
	       environment, status, sha, source
	FROM (
		SELECT c.id, c.kind, c.project_id, p.service_id, c.ref, c.at, c.author_name, c.author_username,
		       c.title, c.web_url, c.environment, c.status, c.sha, c.source
		FROM proj p CROSS JOIN LATERAL (
			SELECT * FROM changes c
			WHERE c.project_id = p.project_id AND c.at >= $2 AND c.at < $3
			  AND NOT (c.kind = 'push' AND EXISTS (
			      SELECT 1 FROM change_merge_commits m WHERE m.project_id = c.project_id AND m.sha = c.sha))
			ORDER BY c.at DESC, c.id DESC LIMIT $4
		) c
		UNION ALL
		SELECT c.id, c.kind, 0, c.service_id, c.ref, c.at, c.author_name, c.author_username,
		       c.title, c.web_url, c.environment, c.status, c.sha, c.source
		FROM unnest($1::bigint[]) AS s(id) CROSS JOIN LATERAL (
			SELECT * FROM changes c
			WHERE c.service_id = s.id AND c.project_id IS NULL AND c.at >= $2 AND c.at < $3
			ORDER BY c.at DESC, c.id DESC LIMIT $4
		) c
	) x
	ORDER BY at DESC, id DESC
	LIMIT $4`

// RecentChanges returns the changes of the services at or after since
// (all when zero), newest first, at most limit (which must be positive):
// merged merge requests, direct pushes and deployments of their repos'
// GitLab projects, and their owner and tier changes. A change of a repo
// several of the services share is reported once, for the first of them
// in serviceIDs.
func (s *Store) RecentChanges(ctx context.Context, serviceIDs []int64, since time.Time, limit int) ([]Change, error) {
	return s.changesBetween(ctx, serviceIDs, since, time.Time{}, limit)
}

// ChangesBefore returns the changes of the services before until, newest
// first, at most limit: what came last before a window with nothing in it.
func (s *Store) ChangesBefore(ctx context.Context, serviceIDs []int64, until time.Time, limit int) ([]Change, error) {
	return s.changesBetween(ctx, serviceIDs, time.Time{}, until, limit)
}

func (s *Store) changesBetween(ctx context.Context, serviceIDs []int64, since, until time.Time, limit int) ([]Change, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("%w: changes limit %d", ErrInvalid, limit)
	}
	if len(serviceIDs) == 0 {
		return nil, nil
	}
	if since.IsZero() {
		since = time.Unix(0, 0)
	}
	if until.IsZero() {
		until = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	rows, err := s.pool.Query(ctx, recentChanges, serviceIDs, since, until, limit)
	if err != nil {
		return nil, fmt.Errorf("recent changes: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Change, error) {
		var c Change
		err := row.Scan(&c.ID, &c.Kind, &c.ProjectID, &c.ServiceID, &c.Ref, &c.At, &c.AuthorName, &c.AuthorUsername,
			&c.Title, &c.WebURL, &c.Environment, &c.Status, &c.SHA, &c.Source)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("recent changes: %w", err)
	}
	return out, nil
}

// ChangeWatermark is how far a project's change history was backfilled,
// per kind; zero: never.
type ChangeWatermark struct {
	Merges, Deployments, Pushes time.Time
	// Problem is why the last backfill was partial; "" when it was not.
	Problem string
}

// ChangeWatermarks returns the watermarks of the projects (all when none
// are given), by GitLab project id; a project never backfilled is absent.
func (s *Store) ChangeWatermarks(ctx context.Context, projectIDs ...int64) (map[int64]ChangeWatermark, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT project_id, merges_at, deployments_at, pushes_at, problem FROM change_watermarks
		WHERE coalesce(cardinality($1::bigint[]), 0) = 0 OR project_id = ANY($1)`, projectIDs)
	if err != nil {
		return nil, fmt.Errorf("change watermarks: %w", err)
	}
	defer rows.Close()
	out := map[int64]ChangeWatermark{}
	for rows.Next() {
		var id int64
		var m, d, p *time.Time
		var w ChangeWatermark
		if err := rows.Scan(&id, &m, &d, &p, &w.Problem); err != nil {
			return nil, fmt.Errorf("change watermarks: %w", err)
		}
		w.Merges, w.Deployments, w.Pushes = deref(m), deref(d), deref(p)
		out[id] = w
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("change watermarks: %w", err)
	}
	return out, nil
}

func deref(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// SetChangeWatermark records a backfill of a project: each watermark only
// moves forward (two replicas backfilling at once keep the later), a zero
// one stays as it was.
func (s *Store) SetChangeWatermark(ctx context.Context, projectID int64, w ChangeWatermark) error {
	_, err := s.pool.Exec(ctx, `
		INSERT INTO change_watermarks (project_id, merges_at, deployments_at, pushes_at, problem)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (project_id) DO UPDATE SET
			merges_at = greatest(change_watermarks.merges_at, EXCLUDED.merges_at),
			deployments_at = greatest(change_watermarks.deployments_at, EXCLUDED.deployments_at),
			pushes_at = greatest(change_watermarks.pushes_at, EXCLUDED.pushes_at),
			problem = EXCLUDED.problem, updated_at = now()`,
		projectID, nullTime(w.Merges), nullTime(w.Deployments), nullTime(w.Pushes), w.Problem)
	if err != nil {
		return fmt.Errorf("change watermark of project %d: %w", projectID, err)
	}
	return nil
}

// Notice states.
const (
	NoticeSending = "sending"
	NoticeSent    = "sent"
	NoticeFailed  = "failed"
)

// noticeStale is how long a notice may stay sending before its sender
// counts as dead and another click may claim it.
const noticeStale = time.Minute

// ErrNoticeClaimLost is FinishPageNotice's answer when the caller no
// longer holds its claim: its post took longer than the claim's staleness
// and someone else (another click, another replica) claimed the notice
// again, so the outcome is theirs to record and the notice may be posted
// twice.
var ErrNoticeClaimLost = errors.New("page notice claimed again by someone else")

// NoticeClaim is a claim on one channel's notice of a page. ClaimedAt
// identifies the claim: a notice claimed again gets a later one, so
// FinishPageNotice records the outcome only for the claim's holder.
type NoticeClaim struct {
	Channel   string
	ClaimedAt time.Time
}

// ClaimPageNotices claims, for a page, the channels among channels whose
// notice nobody posted or is posting: those are the caller's to post,
// then to record with FinishPageNotice. A channel already sent, or being
// sent by someone else (a double click, another replica), is not
// returned; one whose post failed, or whose sender died, is claimed
// again. An unknown page is ErrNotFound.
func (s *Store) ClaimPageNotices(ctx context.Context, token string, channels []string) ([]NoticeClaim, error) {
	var claimed []NoticeClaim
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM pages WHERE token = $1`, token).Scan(&one); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return ErrNotFound
			}
			return err
		}
		rows, err := tx.Query(ctx, `
			INSERT INTO page_dependent_notices (page_token, channel)
			SELECT $1, c FROM unnest($2::text[]) AS c
			ON CONFLICT (page_token, channel) DO UPDATE SET state = 'sending', claimed_at = now(), error = ''
			WHERE page_dependent_notices.state = 'failed'
			   OR page_dependent_notices.state = 'sending' AND page_dependent_notices.claimed_at < now() - make_interval(secs => $3)
			RETURNING channel, claimed_at`, token, channels, noticeStale.Seconds())
		if err != nil {
			return err
		}
		claimed, err = pgx.CollectRows(rows, pgx.RowToStructByPos[NoticeClaim])
		return err
	})
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, fmt.Errorf("page notices of %s: %w", token, ErrNotFound)
		}
		return nil, fmt.Errorf("claim page notices of %s: %w", token, err)
	}
	return claimed, nil
}

// FinishPageNotice records the outcome of a claimed notice: sent, or
// failed with why (which a later click may claim again). Only the claim's
// holder records it: if the notice was claimed again since (the post took
// longer than the claim's staleness), nothing changes and the answer is
// ErrNoticeClaimLost.
func (s *Store) FinishPageNotice(ctx context.Context, token string, claim NoticeClaim, postErr error) error {
	state, reason := NoticeSent, ""
	if postErr != nil {
		state, reason = NoticeFailed, postErr.Error()
	}
	tag, err := s.pool.Exec(ctx, `
		UPDATE page_dependent_notices SET state = $3, error = $4,
			sent_at = CASE WHEN $3 = 'sent' THEN now() END
		WHERE page_token = $1 AND channel = $2 AND state = 'sending' AND claimed_at = $5`,
		token, claim.Channel, state, reason, claim.ClaimedAt)
	if err != nil {
		return fmt.Errorf("finish page notice %s to %s: %w", token, claim.Channel, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("finish page notice %s to %s (claimed at %s): %w", token, claim.Channel, claim.ClaimedAt.Format(time.RFC3339Nano), ErrNoticeClaimLost)
	}
	return nil
}

// ChangeGaps says which of the services' repos have a change history that
// is partial or was never read from GitLab, and why, by repo path: "the
// GitLab token may not read the project's deployments (403)", or "" for
// one never read (no backfill yet). A repo whose history is complete is
// absent: no changes there means none happened (in the backfill's window,
// and since through its webhooks).
func (s *Store) ChangeGaps(ctx context.Context, serviceIDs []int64) (map[string]string, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT DISTINCT r.path, coalesce(w.problem, '')
		FROM service_repos sr JOIN repos r ON r.id = sr.repo_id
		LEFT JOIN change_watermarks w ON w.project_id = r.gitlab_id
		WHERE sr.service_id = ANY($1) AND r.gitlab_id IS NOT NULL AND r.deleted_at IS NULL
		  AND (w.project_id IS NULL OR w.problem <> '')`, serviceIDs)
	if err != nil {
		return nil, fmt.Errorf("change history gaps: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var path, problem string
		if err := rows.Scan(&path, &problem); err != nil {
			return nil, fmt.Errorf("change history gaps: %w", err)
		}
		out[path] = problem
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("change history gaps: %w", err)
	}
	return out, nil
}
