package gitlab

import (
	"context"
	"fmt"
	"strconv"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go"
)

// MergedMR is a merge request merged into a branch, as the history needs
// it.
type MergedMR struct {
	IID   int64
	Title string
	// MergedBy is who merged it (merge_user): username and name; the
	// author when GitLab does not say.
	MergedBy, MergedByName string
	WebURL                 string
	MergedAt               time.Time
	// MergeCommit, SquashCommit and Head are the commits it brought to
	// the branch (each may be empty).
	MergeCommit, SquashCommit, Head string
}

// MergedSince calls fn for each merge request of the project merged into
// branch and updated since since (GitLab filters on updated_at: a merge
// request commented on after its merge comes again, which the caller's
// idempotent store absorbs), oldest update first, page after page. GET
// /projects/:id/merge_requests?state=merged&target_branch=BRANCH
// &updated_after=SINCE&order_by=updated_at&sort=asc. Errors as LastMerge.
func (c *Client) MergedSince(ctx context.Context, projectID int64, branch string, since time.Time, fn func(MergedMR) error) error {
	opts := &gl.ListProjectMergeRequestsOptions{
		ListOptions:  gl.ListOptions{PerPage: c.perPage},
		State:        gl.Ptr("merged"),
		TargetBranch: gl.Ptr(branch),
		OrderBy:      gl.Ptr("updated_at"),
		Sort:         gl.Ptr("asc"),
	}
	if !since.IsZero() {
		opts.UpdatedAfter = gl.Ptr(since)
	}
	err := paginate(ctx, fmt.Sprintf("merged merge requests of project %d", projectID),
		func(more ...gl.RequestOptionFunc) ([]*gl.BasicMergeRequest, *gl.Response, error) {
			return c.gl.MergeRequests.ListProjectMergeRequests(projectID, opts, more...)
		},
		func(mr *gl.BasicMergeRequest) error {
			if mr.MergedAt == nil || mr.TargetBranch != "" && mr.TargetBranch != branch {
				return nil
			}
			m := MergedMR{IID: mr.IID, Title: mr.Title, WebURL: mr.WebURL, MergedAt: *mr.MergedAt,
				MergeCommit: mr.MergeCommitSHA, SquashCommit: mr.SquashCommitSHA, Head: mr.SHA}
			switch {
			case mr.MergeUser != nil:
				m.MergedBy, m.MergedByName = mr.MergeUser.Username, mr.MergeUser.Name
			case mr.MergedBy != nil:
				m.MergedBy, m.MergedByName = mr.MergedBy.Username, mr.MergedBy.Name
			case mr.Author != nil:
				m.MergedBy, m.MergedByName = mr.Author.Username, mr.Author.Name
			}
			return fn(m)
		})
	return err
}

// Deployment is a deployment of a project to an environment.
type Deployment struct {
	ID          int64
	Environment string
	// Status is GitLab's: created, running, success, failed, canceled,
	// skipped, blocked.
	Status string
	Ref    string
	SHA    string
	// Title is the deployed commit's title.
	Title string
	// User is who deployed: username and name.
	User, UserName string
	// JobID is the job that deployed (its page is the deployment's link).
	JobID     int64
	UpdatedAt time.Time
}

// DeploymentsSince calls fn for each deployment of the project updated
// since since, oldest first, page after page. GET
// /projects/:id/deployments?updated_after=SINCE&order_by=updated_at
// &sort=asc. A project without deployments (or environments disabled)
// gives none; no access is ErrForbidden.
func (c *Client) DeploymentsSince(ctx context.Context, projectID int64, since time.Time, fn func(Deployment) error) error {
	opts := &gl.ListProjectDeploymentsOptions{
		ListOptions: gl.ListOptions{PerPage: c.perPage},
		OrderBy:     gl.Ptr("updated_at"),
		Sort:        gl.Ptr("asc"),
	}
	if !since.IsZero() {
		opts.UpdatedAfter = gl.Ptr(since)
	}
	return paginate(ctx, fmt.Sprintf("deployments of project %d", projectID),
		func(more ...gl.RequestOptionFunc) ([]*gl.Deployment, *gl.Response, error) {
			return c.gl.Deployments.ListProjectDeployments(projectID, opts, more...)
		},
		func(d *gl.Deployment) error {
			out := Deployment{ID: d.ID, Status: d.Status, Ref: d.Ref, SHA: d.SHA, JobID: d.Deployable.ID}
			if d.Environment != nil {
				out.Environment = d.Environment.Name
			}
			if d.User != nil {
				out.User, out.UserName = d.User.Username, d.User.Name
			}
			if d.Deployable.Commit != nil {
				out.Title = d.Deployable.Commit.Title
			}
			switch {
			case d.Deployable.FinishedAt != nil:
				out.UpdatedAt = *d.Deployable.FinishedAt
			case d.UpdatedAt != nil:
				out.UpdatedAt = *d.UpdatedAt
			case d.CreatedAt != nil:
				out.UpdatedAt = *d.CreatedAt
			}
			return fn(out)
		})
}

// PushEvent is a push to a branch, from a project's events.
type PushEvent struct {
	// Ref is the branch; Head the commit it was pushed to (commit_to),
	// Before the one it was at (commit_from).
	Ref, Head, Before string
	CommitCount       int64
	// Title is the head commit's title.
	Title string
	// Author is who pushed: username and name.
	Author, AuthorName string
	At                 time.Time
}

// PushesSince calls fn for each push to a branch of the project since
// since, newest first, page after page. GET
// /projects/:id/events?action=pushed&after=DAY: GitLab takes a day, not a
// time, and excludes it, so the day before since's is asked and the
// caller's store absorbs the pushes seen again; pushes before since are
// skipped here. Branch deletions (no head) are not pushes of anything.
func (c *Client) PushesSince(ctx context.Context, projectID int64, since time.Time, fn func(PushEvent) error) error {
	opts := &gl.ListProjectVisibleEventsOptions{
		ListOptions: gl.ListOptions{PerPage: c.perPage},
		Action:      gl.Ptr(gl.PushedEventType),
	}
	if !since.IsZero() {
		day := gl.ISOTime(since.UTC().AddDate(0, 0, -1))
		opts.After = &day
	}
	return paginate(ctx, fmt.Sprintf("push events of project %d", projectID),
		func(more ...gl.RequestOptionFunc) ([]*gl.ProjectEvent, *gl.Response, error) {
			return c.gl.Events.ListProjectVisibleEvents(projectID, opts, more...)
		},
		func(e *gl.ProjectEvent) error {
			pd := e.PushData
			if pd.RefType != "" && pd.RefType != "branch" || pd.CommitTo == "" || pd.Action == "removed" {
				return nil
			}
			at, err := ParseTime(e.CreatedAt)
			if err != nil {
				return nil // an event GitLab dated unreadably: skipped, never a failure
			}
			if !since.IsZero() && at.Before(since) {
				return nil
			}
			name := e.Author.Name
			username := e.AuthorUsername
			if username == "" {
				username = e.Author.Username
			}
			return fn(PushEvent{Ref: pd.Ref, Head: pd.CommitTo, Before: pd.CommitFrom, CommitCount: pd.CommitCount,
				Title: pd.CommitTitle, Author: username, AuthorName: name, At: at})
		})
}

// timeLayouts are the ways GitLab writes times: the API's ISO 8601, and
// the webhooks' "2021-04-28 21:50:00 +0200" and "2013-12-03 17:23:34 UTC".
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05 MST",
	"2006-01-02T15:04:05.000-07:00",
	"2006-01-02 15:04:05",
}

// ParseTime reads a time as GitLab writes it in its API and webhooks.
func ParseTime(s string) (time.Time, error) {
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	if secs, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(secs, 0), nil
	}
	return time.Time{}, fmt.Errorf("gitlab: unreadable time %q", s)
}
