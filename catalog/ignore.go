package catalog

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

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
		var err error
		out, err = scanIgnored(tx.QueryRow(ctx, `
			SELECT path, web_url, ignored_reason, ignored_by, ignored_at FROM repos
			WHERE lower(path) = lower($1) FOR UPDATE`, path))
		if err != nil {
			return err
		}
		if out.Reason == "" {
			return fmt.Errorf("%w: %s is not ignored", ErrInvalid, out.Path)
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
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (IgnoredRepo, error) { return scanIgnored(r) })
	if err != nil {
		return nil, fmt.Errorf("ignored repos: %w", err)
	}
	return out, nil
}

// scanIgnored reads a row of path, web_url, ignored_reason, ignored_by and
// ignored_at (NULL when the repo is not ignored: a zero At).
func scanIgnored(r pgx.Row) (IgnoredRepo, error) {
	var i IgnoredRepo
	var at *time.Time
	err := r.Scan(&i.Path, &i.WebURL, &i.Reason, &i.By, &at)
	if at != nil {
		i.At = *at
	}
	return i, err
}
