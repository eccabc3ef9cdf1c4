package catalog

import (
	"context"
	"fmt"
)

// DependencyRetryDaily reports whether the repo with GitLab id gitlabID
// has dependency files whose incomplete graph the daily verification run
// tries again (DependencyFile.Retry is RetryDaily): the sync reads such a
// repo again at that run even when its commit did not move.
func (s *Store) DependencyRetryDaily(ctx context.Context, gitlabID int64) (bool, error) {
	var retry bool
	err := s.pool.QueryRow(ctx, `
		SELECT EXISTS (SELECT 1 FROM dependency_files f JOIN repos r ON r.id = f.repo_id
		               WHERE r.gitlab_id = $1 AND f.retry = 'daily')`, gitlabID).Scan(&retry)
	if err != nil {
		return false, fmt.Errorf("dependency files to retry of repo %d: %w", gitlabID, err)
	}
	return retry, nil
}
