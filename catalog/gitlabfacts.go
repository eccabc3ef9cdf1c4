package catalog

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// GitLabFacts are what a sync read of a repo's GitLab project beyond its
// files: its last merge into the default branch and whether the default
// branch is protected. Each is read on its own: one that could not be
// read is unknown (its error says why), the other is still stored.
type GitLabFacts struct {
	// KeepMerge and KeepProtection leave a fact as stored: it was not read
	// this time (a repo whose default branch did not move cannot have a
	// newer merge).
	KeepMerge, KeepProtection bool
	// LastMerge is the last merge request merged into the default branch;
	// nil when none ever was, or when it could not be read (MergeError).
	LastMerge *LastMerge
	// MergeError is why the last merge could not be read; empty when it
	// was.
	MergeError string
	// Protected is whether the default branch is protected, when
	// ProtectionError is empty.
	Protected bool
	// ProtectionError is why protection could not be read (a token that
	// may not read it, a branch gone); empty when it was.
	ProtectionError string
}

// LastMerge is a merge request merged into a repo's default branch.
type LastMerge struct {
	At time.Time
	// IID is its number in the project (!IID); Author the username of who
	// opened it; URL its page.
	IID    int64
	Author string
	URL    string
}

// RepoGitLabFacts is what the catalog holds of a repo's GitLab facts.
type RepoGitLabFacts struct {
	// MergeReadAt is when the last merge was last read (zero: never);
	// LastMerge is nil when none was found then. MergeError is why the
	// last read failed, if it did: the fact is unknown.
	MergeReadAt time.Time
	LastMerge   *LastMerge
	MergeError  string
	// ProtectionReadAt is when protection was last read (zero: never);
	// Protected is nil when unknown (never read, or ProtectionError).
	ProtectionReadAt time.Time
	Protected        *bool
	ProtectionError  string
}

// applyGitLabFacts stores f on the repo, in the sync's transaction. A fact
// that could not be read keeps its last value but is unknown (its error
// set); one read clears its error.
func applyGitLabFacts(ctx context.Context, tx pgx.Tx, repoID int64, f *GitLabFacts) error {
	if f == nil {
		return nil
	}
	var at, author, url any = nil, "", ""
	var iid any
	if f.LastMerge != nil {
		at, iid, author, url = f.LastMerge.At, f.LastMerge.IID, f.LastMerge.Author, f.LastMerge.URL
	}
	if !f.KeepMerge {
		_, err := tx.Exec(ctx, `
			UPDATE repos SET
				last_merge_at = CASE WHEN $2 = '' THEN $3::timestamptz ELSE last_merge_at END,
				last_merge_iid = CASE WHEN $2 = '' THEN $4::bigint ELSE last_merge_iid END,
				last_merge_author = CASE WHEN $2 = '' THEN $5 ELSE last_merge_author END,
				last_merge_url = CASE WHEN $2 = '' THEN $6 ELSE last_merge_url END,
				last_merge_read_at = CASE WHEN $2 = '' THEN now() ELSE last_merge_read_at END,
				last_merge_error = $2
			WHERE id = $1`,
			repoID, f.MergeError, at, iid, author, url)
		if err != nil {
			return fmt.Errorf("gitlab facts: last merge: %w", err)
		}
	}
	if f.KeepProtection {
		return nil
	}
	_, err := tx.Exec(ctx, `
		UPDATE repos SET
			default_branch_protected = CASE WHEN $2 = '' THEN $3::boolean END,
			protection_read_at = CASE WHEN $2 = '' THEN now() ELSE protection_read_at END,
			protection_error = $2
		WHERE id = $1`,
		repoID, f.ProtectionError, f.Protected)
	if err != nil {
		return fmt.Errorf("gitlab facts: protection: %w", err)
	}
	return nil
}

// RepoGitLabFacts returns the GitLab facts stored for the repo with this
// GitLab project id; ErrNotFound when there is no such repo.
func (s *Store) RepoGitLabFacts(ctx context.Context, gitlabID int64) (RepoGitLabFacts, error) {
	var out RepoGitLabFacts
	var mergeRead, protRead, at *time.Time
	var iid *int64
	var author, url string
	err := s.pool.QueryRow(ctx, `
		SELECT last_merge_read_at, last_merge_at, last_merge_iid, last_merge_author, last_merge_url, last_merge_error,
		       protection_read_at, default_branch_protected, protection_error
		FROM repos WHERE gitlab_id = $1`, gitlabID).Scan(
		&mergeRead, &at, &iid, &author, &url, &out.MergeError, &protRead, &out.Protected, &out.ProtectionError)
	if err != nil {
		return out, fmt.Errorf("gitlab facts of repo %d: %w", gitlabID, translate(err))
	}
	if mergeRead != nil {
		out.MergeReadAt = *mergeRead
	}
	if protRead != nil {
		out.ProtectionReadAt = *protRead
	}
	if at != nil {
		out.LastMerge = &LastMerge{At: *at, Author: author, URL: url}
		if iid != nil {
			out.LastMerge.IID = *iid
		}
	}
	return out, nil
}
