package gitlab

import (
	"context"
	"fmt"

	gl "gitlab.com/gitlab-org/api/client-go"
)

// DefaultBranchCommit returns the id of the head commit of a project's
// branch (its default branch, as Project.DefaultBranch gives it). One
// request. A missing branch or project is ErrNotFound.
func (c *Client) DefaultBranchCommit(ctx context.Context, projectID int64, branch string) (string, error) {
	b, _, err := c.gl.Branches.GetBranch(projectID, branch, gl.WithContext(ctx))
	if err != nil {
		return "", fmt.Errorf("get branch %q of project %d: %w", branch, projectID, apiError(err))
	}
	if b.Commit == nil {
		return "", fmt.Errorf("get branch %q of project %d: no commit in the answer", branch, projectID)
	}
	return b.Commit.ID, nil
}
