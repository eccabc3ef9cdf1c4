package gitlab

import (
	"context"
	"errors"
	"fmt"
	"io"

	gl "gitlab.com/gitlab-org/api/client-go"
)

// JobArtifact returns one file of the artifacts of the latest successful
// CI job named job on ref (a branch or tag: GitLab's
// GET /projects/:id/jobs/artifacts/:ref_name/raw/*artifact_path?job=NAME).
// One request, retried and paced like every other. No such job on the
// ref, or no such file in its artifacts, is ErrNotFound; a file larger
// than Config.MaxFileSize is ErrFileTooLarge.
func (c *Client) JobArtifact(ctx context.Context, projectID int64, ref, job, path string) ([]byte, error) {
	what := fmt.Sprintf("read artifact %s of job %q of project %d at %q", path, job, projectID, ref)
	if job == "" || path == "" {
		return nil, fmt.Errorf("%s: job and path must be named", what)
	}
	r, _, err := c.gl.Jobs.DownloadSingleArtifactsFileByTagOrBranch(projectID, ref, path,
		&gl.DownloadArtifactsFileOptions{Job: gl.Ptr(job)}, gl.WithContext(ctx))
	if err != nil {
		if errors.Is(err, ErrFileTooLarge) {
			return nil, fmt.Errorf("%s: %w (over %d bytes)", what, ErrFileTooLarge, c.maxFileSize)
		}
		return nil, fmt.Errorf("%s: %w", what, apiError(err))
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return data, nil
}
