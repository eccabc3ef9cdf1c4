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
