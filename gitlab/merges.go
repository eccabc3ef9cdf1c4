package gitlab

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go"
)

// Merge is a merge request merged into a branch.
type Merge struct {
	// IID is the merge request's number in its project (!IID).
	IID   int64
	Title string
	// Author is the username of who opened it; AuthorName their name.
	Author, AuthorName string
	WebURL             string
	MergedAt           time.Time
}

// fallbackPage is how many merged merge requests are looked at when GitLab
// cannot order them by merged_at: the most recently updated ones, of which
// the last merged is kept.
const fallbackPage = 20

// LastMerge returns the merge request merged last into branch (the
// project's default branch, as Project.DefaultBranch gives it); found is
// false when none ever was. One request: GET
// /projects/:id/merge_requests?state=merged&target_branch=BRANCH
// &order_by=merged_at&sort=desc&per_page=1. A GitLab older than 17.2 does
// not order by merged_at and answers 400: the request is then made again
// ordered by updated_at, and the last merged of the first fallbackPage is
// taken (an old merge request commented on since comes first there, so a
// page rather than one). A project GitLab does not show is ErrNotFound;
// merge requests the token may not read (the feature disabled, a guest of
// a private project) ErrForbidden.
func (c *Client) LastMerge(ctx context.Context, projectID int64, branch string) (m Merge, found bool, err error) {
	list := func(orderBy string, perPage int64) ([]*gl.BasicMergeRequest, error) {
		mrs, _, err := c.gl.MergeRequests.ListProjectMergeRequests(projectID, &gl.ListProjectMergeRequestsOptions{
			ListOptions:  gl.ListOptions{PerPage: perPage, Page: 1},
			State:        gl.Ptr("merged"),
			TargetBranch: gl.Ptr(branch),
			OrderBy:      gl.Ptr(orderBy),
			Sort:         gl.Ptr("desc"),
		}, gl.WithContext(ctx))
		return mrs, err
	}
	mrs, err := list("merged_at", 1)
	var er *gl.ErrorResponse
	if errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusBadRequest {
		mrs, err = list("updated_at", fallbackPage)
	}
	if err != nil {
		return Merge{}, false, fmt.Errorf("last merge into %q of project %d: %w", branch, projectID, apiError(err))
	}
	var last *gl.BasicMergeRequest
	for _, mr := range mrs {
		if mr.MergedAt == nil || mr.TargetBranch != "" && mr.TargetBranch != branch {
			continue
		}
		if last == nil || mr.MergedAt.After(*last.MergedAt) {
			last = mr
		}
	}
	if last == nil {
		return Merge{}, false, nil
	}
	m = Merge{IID: last.IID, Title: last.Title, WebURL: last.WebURL, MergedAt: *last.MergedAt}
	if last.Author != nil {
		m.Author, m.AuthorName = last.Author.Username, last.Author.Name
	}
	return m, true, nil
}

// DefaultBranchProtected reports whether a project's branch (its default
// branch) is protected. One request: GET
// /projects/:id/repository/branches/:branch, whose "protected" GitLab
// works out from every rule that covers the branch — its own, a wildcard
// rule (release/*, *), a group's — and which any token that reads the
// repository may read (GET /projects/:id/protected_branches/:name would
// miss wildcard and group rules, and needs the Maintainer role). A missing
// branch or project is ErrNotFound; a token without access ErrForbidden:
// unknown, not unprotected.
func (c *Client) DefaultBranchProtected(ctx context.Context, projectID int64, branch string) (bool, error) {
	b, _, err := c.gl.Branches.GetBranch(projectID, branch, gl.WithContext(ctx))
	if err != nil {
		return false, fmt.Errorf("protection of branch %q of project %d: %w", branch, projectID, apiError(err))
	}
	return b.Protected, nil
}
