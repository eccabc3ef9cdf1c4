package catalogtest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchboard-dev/switchboard/catalog"
)

// RepoGitLabFacts is what the catalog holds of a repo's GitLab facts, as
// tests read it back (the catalog itself reads them through RepoStates and
// ScoreSubjects).
type RepoGitLabFacts struct {
	// MergeReadAt is when the last merge was last read (zero: never);
	// LastMerge is nil when none was found then. MergeError is why the
	// last read failed, if it did: the fact is unknown.
	MergeReadAt time.Time
	LastMerge   *catalog.LastMerge
	MergeError  string
	// ProtectionReadAt is when protection was last read (zero: never);
	// Protected is nil when unknown (never read, or ProtectionError).
	ProtectionReadAt time.Time
	Protected        *bool
	ProtectionError  string
}

// GitLabFacts returns the GitLab facts stored for the repo with this GitLab
// project id; catalog.ErrNotFound when there is no such repo.
func GitLabFacts(ctx context.Context, s *catalog.Store, gitlabID int64) (RepoGitLabFacts, error) {
	var out RepoGitLabFacts
	var mergeRead, protRead, at *time.Time
	var iid *int64
	var author, url string
	err := s.Pool().QueryRow(ctx, `
		SELECT last_merge_read_at, last_merge_at, last_merge_iid, last_merge_author, last_merge_url, last_merge_error,
		       protection_read_at, default_branch_protected, protection_error
		FROM repos WHERE gitlab_id = $1`, gitlabID).Scan(
		&mergeRead, &at, &iid, &author, &url, &out.MergeError, &protRead, &out.Protected, &out.ProtectionError)
	if errors.Is(err, pgx.ErrNoRows) {
		err = catalog.ErrNotFound
	}
	if err != nil {
		return out, fmt.Errorf("gitlab facts of repo %d: %w", gitlabID, err)
	}
	if mergeRead != nil {
		out.MergeReadAt = *mergeRead
	}
	if protRead != nil {
		out.ProtectionReadAt = *protRead
	}
	if at != nil {
		out.LastMerge = &catalog.LastMerge{At: *at, Author: author, URL: url}
		if iid != nil {
			out.LastMerge.IID = *iid
		}
	}
	return out, nil
}
