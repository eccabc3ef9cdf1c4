package gitlab

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"

	gl "gitlab.com/gitlab-org/api/client-go"
)

// File is a file read from a repository.
type File struct {
	Path    string
	Content []byte
	// CommitID is the commit the ref pointed to when the file was read
	// (X-Gitlab-Commit-Id): reading a file at a branch also tells the
	// branch's head, without another request.
	CommitID string
	// BlobID identifies the content.
	BlobID string
}

// Tree returns the path of every file of a project at ref (a branch, tag or
// commit id), folders left out, in GitLab's order. It reads the recursive
// tree with keyset pagination: one request per Config.PerPage entries,
// folders counting as entries. An empty repository or a missing ref is
// ErrNotFound.
func (c *Client) Tree(ctx context.Context, projectID int64, ref string) ([]string, error) {
	opts := &gl.ListTreeOptions{
		ListOptions: gl.ListOptions{Pagination: "keyset", PerPage: c.perPage},
		Recursive:   gl.Ptr(true),
		Ref:         gl.Ptr(ref),
	}
	var paths []string
	err := paginate(ctx, fmt.Sprintf("tree of project %d at %q", projectID, ref),
		func(more ...gl.RequestOptionFunc) ([]*gl.TreeNode, *gl.Response, error) {
			return c.gl.Repositories.ListTree(projectID, opts, more...)
		},
		func(n *gl.TreeNode) error {
			if n.Type == "blob" {
				paths = append(paths, n.Path)
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	return paths, nil
}

// RawFile returns the content of a file at ref. One request. A missing
// file, ref or project is ErrNotFound; a file larger than
// Config.MaxFileSize is ErrFileTooLarge.
func (c *Client) RawFile(ctx context.Context, projectID int64, path, ref string) ([]byte, error) {
	f, err := c.File(ctx, projectID, path, ref)
	if err != nil {
		return nil, err
	}
	return f.Content, nil
}

// File is RawFile with the commit the file was read at. One request.
func (c *Client) File(ctx context.Context, projectID int64, path, ref string) (File, error) {
	content, resp, err := c.gl.RepositoryFiles.GetRawFile(projectID, path, &gl.GetRawFileOptions{Ref: gl.Ptr(ref)}, gl.WithContext(ctx))
	if err != nil {
		if errors.Is(err, ErrFileTooLarge) {
			return File{}, fmt.Errorf("read %s of project %d at %q: %w (over %d bytes)", path, projectID, ref, ErrFileTooLarge, c.maxFileSize)
		}
		return File{}, fmt.Errorf("read %s of project %d at %q: %w", path, projectID, ref, apiError(err))
	}
	return File{
		Path:     path,
		Content:  content,
		CommitID: resp.Header.Get("X-Gitlab-Commit-Id"),
		BlobID:   resp.Header.Get("X-Gitlab-Blob-Id"),
	}, nil
}

// Change is a file a comparison found changed.
type Change struct {
	// Path is the file's path after the change (before it, for a deleted
	// file).
	Path string
	// OldPath differs from Path for a renamed file.
	OldPath string
	Added   bool
	Deleted bool
	Renamed bool
}

// Comparison is what changed between two commits.
type Comparison struct {
	// Head is the commit id "to" names.
	Head string
	// Same is true when from and to are the same commit.
	Same bool
	// Changes are the changed files.
	Changes []Change
	// Truncated is true when GitLab gave up comparing (a timeout): the
	// changes are incomplete and the tree should be read again.
	Truncated bool
}

// Compare returns the files changed from one ref to another (commit ids or
// branches), in one request: how a sync brings a known commit up to date
// without reading the whole tree again. A from commit that no longer exists
// (force-pushed away) is ErrNotFound.
func (c *Client) Compare(ctx context.Context, projectID int64, from, to string) (Comparison, error) {
	cmp, _, err := c.gl.Repositories.Compare(projectID, &gl.CompareOptions{From: gl.Ptr(from), To: gl.Ptr(to), Straight: gl.Ptr(false)}, gl.WithContext(ctx))
	if err != nil {
		return Comparison{}, fmt.Errorf("compare %s...%s of project %d: %w", from, to, projectID, apiError(err))
	}
	out := Comparison{Same: cmp.CompareSameRef, Truncated: cmp.CompareTimeout}
	if cmp.Commit != nil {
		out.Head = cmp.Commit.ID
	} else {
		out.Same = true
		out.Head = from
	}
	for _, d := range cmp.Diffs {
		out.Changes = append(out.Changes, Change{
			Path: d.NewPath, OldPath: d.OldPath,
			Added: d.NewFile, Deleted: d.DeletedFile, Renamed: d.RenamedFile,
		})
	}
	return out, nil
}

// Member is a member of a group, direct or inherited.
type Member struct {
	ID       int64
	Username string
	Name     string
	// Email is the member's email when the token may see it (an
	// administrator's, or a group owner's for enterprise users), else
	// their public email, else empty.
	Email string
	// State is "active", "blocked", ...
	State string
	// AccessLevel is GitLab's: 10 guest, 20 reporter, 30 developer, 40
	// maintainer, 50 owner.
	AccessLevel int
}

// GroupMembers returns the members of a group, those inherited from its
// parent groups included (GET /groups/:id/members/all), one request per
// Config.PerPage members.
func (c *Client) GroupMembers(ctx context.Context, group string) ([]Member, error) {
	opts := &gl.ListGroupMembersOptions{ListOptions: gl.ListOptions{PerPage: c.perPage, Page: 1}}
	var out []Member
	err := paginate(ctx, fmt.Sprintf("members of group %s", group),
		func(more ...gl.RequestOptionFunc) ([]*gl.GroupMember, *gl.Response, error) {
			return c.gl.Groups.ListAllGroupMembers(group, opts, more...)
		},
		func(m *gl.GroupMember) error {
			email := m.Email
			if email == "" {
				email = m.PublicEmail
			}
			out = append(out, Member{
				ID: m.ID, Username: m.Username, Name: m.Name, Email: email,
				State: m.State, AccessLevel: int(m.AccessLevel),
			})
			return nil
		})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// CreateMergeRequest proposes files (path to content, created or updated)
// on branch, created from the project's default branch if it does not
// exist yet, and opens a merge request from it into the default branch. It
// returns the merge request's web URL; if one is already open from branch,
// the files are committed to it and its URL is returned. Requests: four
// plus one per file (project, branch, a check of each file, commit, merge
// request), one more when the merge request was already open.
func (c *Client) CreateMergeRequest(ctx context.Context, projectID int64, branch string, files map[string][]byte, title, description string) (string, error) {
	fail := func(step string, err error) (string, error) {
		return "", fmt.Errorf("create merge request %q in project %d: %s: %w", branch, projectID, step, apiError(err))
	}
	if len(files) == 0 {
		return "", fmt.Errorf("create merge request %q in project %d: no files", branch, projectID)
	}
	p, _, err := c.gl.Projects.GetProject(projectID, nil, gl.WithContext(ctx))
	if err != nil {
		return fail("get project", err)
	}
	target := p.DefaultBranch
	base := target
	var startBranch *string
	if _, _, err := c.gl.Branches.GetBranch(projectID, branch, gl.WithContext(ctx)); err == nil {
		base = branch
	} else if errors.Is(err, gl.ErrNotFound) {
		startBranch = gl.Ptr(target)
	} else {
		return fail("get branch", err)
	}
	// A POST that may have been carried out is not retried after a 5xx.
	post := gl.WithRequestRetry(c.checkRetry(false))
	var actions []*gl.CommitActionOptions
	for _, path := range sortedKeys(files) {
		action := gl.FileCreate
		_, _, err := c.gl.RepositoryFiles.GetFileMetaData(projectID, path, &gl.GetFileMetaDataOptions{Ref: gl.Ptr(base)}, gl.WithContext(ctx))
		switch {
		case err == nil:
			action = gl.FileUpdate
		case !errors.Is(err, gl.ErrNotFound):
			return fail("check "+path, err)
		}
		actions = append(actions, &gl.CommitActionOptions{
			Action: gl.Ptr(action), FilePath: gl.Ptr(path), Content: gl.Ptr(string(files[path])),
		})
	}
	_, _, err = c.gl.Commits.CreateCommit(projectID, &gl.CreateCommitOptions{
		Branch:        gl.Ptr(branch),
		StartBranch:   startBranch,
		CommitMessage: gl.Ptr(title),
		Actions:       actions,
	}, gl.WithContext(ctx), post)
	if err != nil {
		return fail("commit", err)
	}
	mr, resp, err := c.gl.MergeRequests.CreateMergeRequest(projectID, &gl.CreateMergeRequestOptions{
		Title:        gl.Ptr(title),
		Description:  gl.Ptr(description),
		SourceBranch: gl.Ptr(branch),
		TargetBranch: gl.Ptr(target),
	}, gl.WithContext(ctx), post)
	if err == nil {
		return mr.WebURL, nil
	}
	if resp == nil || resp.StatusCode != http.StatusConflict {
		return fail("open merge request", err)
	}
	open, _, err := c.gl.MergeRequests.ListProjectMergeRequests(projectID, &gl.ListProjectMergeRequestsOptions{
		State: gl.Ptr("opened"), SourceBranch: gl.Ptr(branch), TargetBranch: gl.Ptr(target),
	}, gl.WithContext(ctx))
	if err != nil {
		return fail("find the open merge request", err)
	}
	if len(open) == 0 {
		return "", fmt.Errorf("create merge request %q in project %d: GitLab says one is open, but none is listed", branch, projectID)
	}
	return open[0].WebURL, nil
}

func sortedKeys(m map[string][]byte) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
