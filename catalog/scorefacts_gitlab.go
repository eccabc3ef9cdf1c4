package catalog

import (
	"cmp"
	"context"
	"fmt"
	"time"

	"github.com/switchboard-dev/switchboard/scorecard"
)

// NeverMerged is last_merge_age for a service none of whose repos ever
// had a merge request merged into its default branch, as GitLab said: a
// known fact (a check on recent merges fails, it is not unknown), as long
// ago as a duration can say usefully (100 years).
const NeverMerged = 100 * 365 * 24 * time.Hour

// repoGitLab is what the catalog holds of one repo's GitLab facts.
type repoGitLab struct {
	path      string
	deleted   bool
	mergeRead *time.Time
	mergeAt   *time.Time
	mergeErr  string
	protRead  *time.Time
	protected *bool
	protErr   string
}

// scoreGitLab answers last_merge_age and default_branch_protected for the
// active services with the given ids (all when nil) from every repo of
// each (the deleted ones only when a service has no other): the most
// recent merge of any of them; protected when every one's default branch
// is. By service id, then fact key. A service without a repo has none.
func (s *Store) scoreGitLab(ctx context.Context, ids []int64, now time.Time) (map[int64]map[string]scorecard.Value, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT sr.service_id, r.path, r.deleted_at IS NOT NULL, r.last_merge_read_at, r.last_merge_at, r.last_merge_error,
		       r.protection_read_at, r.default_branch_protected, r.protection_error
		FROM service_repos sr
		JOIN repos r ON r.id = sr.repo_id
		JOIN services s ON s.id = sr.service_id
		WHERE s.status = 'active' AND ($1::bigint[] IS NULL OR sr.service_id = ANY($1))
		ORDER BY sr.service_id, r.path`, ids)
	if err != nil {
		return nil, fmt.Errorf("gitlab facts: %w", err)
	}
	defer rows.Close()
	byService := map[int64][]repoGitLab{}
	for rows.Next() {
		var id int64
		var r repoGitLab
		if err := rows.Scan(&id, &r.path, &r.deleted, &r.mergeRead, &r.mergeAt, &r.mergeErr, &r.protRead, &r.protected, &r.protErr); err != nil {
			return nil, fmt.Errorf("gitlab facts: %w", err)
		}
		byService[id] = append(byService[id], r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("gitlab facts: %w", err)
	}
	out := make(map[int64]map[string]scorecard.Value, len(byService))
	for id, repos := range byService {
		live := repos[:0:0]
		for _, r := range repos {
			if !r.deleted {
				live = append(live, r)
			}
		}
		if len(live) == 0 {
			live = repos
		}
		out[id] = map[string]scorecard.Value{
			"last_merge_age":           lastMergeAge(live, now),
			"default_branch_protected": branchProtected(live),
		}
	}
	return out, nil
}

// lastMergeAge is the time since the most recent merge of any of repos. A
// merge one repo shows is known even when another could not be read (that
// one can only have merged more recently, which no "within N days" check
// would fail); otherwise any repo not read makes it unknown.
func lastMergeAge(repos []repoGitLab, now time.Time) scorecard.Value {
	var last *time.Time
	unknown := ""
	for _, r := range repos {
		switch {
		case r.mergeErr != "":
			unknown = cmp.Or(unknown, withRepo(repos, r.path, r.mergeErr))
		case r.mergeRead == nil:
			unknown = cmp.Or(unknown, withRepo(repos, r.path, "the repo's merges have not been read from GitLab yet: its next sync reads them"))
		case r.mergeAt != nil && (last == nil || r.mergeAt.After(*last)):
			last = r.mergeAt
		}
	}
	switch {
	case last != nil:
		return scorecard.Duration(ageOf(now.Sub(*last)))
	case unknown != "":
		return scorecard.UnknownValue(scorecard.KindDuration, unknown)
	}
	return scorecard.Duration(NeverMerged)
}

// ageOf is an age as last_merge_age and last_activity_age give it:
// rounded up to whole days from a day on (so that "le 90d" passes exactly
// when the event is at most 90 days old, and people read "12d"), to whole
// minutes below.
func ageOf(d time.Duration) time.Duration {
	const day = 24 * time.Hour
	switch {
	case d <= 0:
		return 0
	case d >= day:
		return (d + day - 1) / day * day
	}
	return (d + time.Minute - 1) / time.Minute * time.Minute
}

// branchProtected is true when every repo's default branch is protected,
// false when one's is known not to be, else unknown.
func branchProtected(repos []repoGitLab) scorecard.Value {
	unknown := ""
	for _, r := range repos {
		switch {
		case r.protErr != "":
			unknown = cmp.Or(unknown, withRepo(repos, r.path, r.protErr))
		case r.protRead == nil || r.protected == nil:
			unknown = cmp.Or(unknown, withRepo(repos, r.path, "the repo's default branch protection has not been read from GitLab yet: its next sync reads it"))
		case !*r.protected:
			return scorecard.Bool(false)
		}
	}
	if unknown != "" {
		return scorecard.UnknownValue(scorecard.KindBool, unknown)
	}
	return scorecard.Bool(true)
}

// withRepo names the repo a reason is about when the service has several.
func withRepo(repos []repoGitLab, path, reason string) string {
	if len(repos) > 1 {
		return path + ": " + reason
	}
	return reason
}
