package gitlab

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go"
)

// Project is a GitLab project as the sync sees it.
type Project struct {
	ID int64
	// Path is the full path with namespace, "payments/checkout-api".
	Path string
	Name string
	// Namespace is the full path of the project's group.
	Namespace     string
	DefaultBranch string
	WebURL        string
	Archived      bool
	// ForkedFrom is the full path of the project this one is a fork of;
	// empty when it is not a fork (or the upstream is not visible).
	ForkedFrom string
	// Forked is true for a fork, even of a project the token cannot see.
	Forked bool
	// EmptyRepo is true for a project without a repository yet.
	EmptyRepo      bool
	LastActivityAt time.Time
	Topics         []string
	Visibility     string
}

// ListOptions chooses the projects ListProjects lists.
type ListOptions struct {
	// Groups are full paths of groups whose projects, subgroups included,
	// are listed; every project the token can see when empty.
	Groups []string
	// Since lists only projects active after it (last_activity_at, which
	// GitLab moves on pushes and on issue and merge request activity).
	Since time.Time
	// SkipArchived leaves archived projects out.
	SkipArchived bool
	// SkipForks leaves forks out.
	SkipForks bool
}

// errStop ends a listing early without error.
var errStop = errors.New("stop listing")

// ListProjects calls fn for each project opts chooses, page by page as
// they arrive (the next page is fetched while fn handles this one); an
// error from fn stops the listing and is returned. A group listed twice
// (or a group and its subgroup) gives each project once.
//
// Requests: one per page of Config.PerPage projects. Without Groups it uses
// GET /projects with keyset pagination and last_activity_after; with
// Groups, GET /groups/:id/projects?include_subgroups=true (ordered by
// last activity when Since is set, so that it stops at the first project
// older than Since).
func (c *Client) ListProjects(ctx context.Context, opts ListOptions, fn func(Project) error) error {
	seen := map[int64]bool{}
	visit := func(p *gl.Project) error {
		if seen[p.ID] {
			return nil
		}
		seen[p.ID] = true
		proj := projectOf(p)
		if opts.SkipArchived && proj.Archived || opts.SkipForks && proj.Forked {
			return nil
		}
		if !opts.Since.IsZero() && !proj.LastActivityAt.After(opts.Since) {
			return nil
		}
		return fn(proj)
	}
	var archived *bool
	if opts.SkipArchived {
		archived = gl.Ptr(false)
	}
	if len(opts.Groups) == 0 {
		lo := &gl.ListProjectsOptions{
			ListOptions: gl.ListOptions{Pagination: "keyset", OrderBy: "id", Sort: "asc", PerPage: c.perPage},
			Archived:    archived,
		}
		if !opts.Since.IsZero() {
			lo.LastActivityAfter = gl.Ptr(opts.Since.UTC())
		}
		return paginate(ctx, "list projects", func(more ...gl.RequestOptionFunc) ([]*gl.Project, *gl.Response, error) {
			return c.gl.Projects.ListProjects(lo, more...)
		}, visit)
	}
	for _, group := range opts.Groups {
		lo := &gl.ListGroupProjectsOptions{
			ListOptions:      gl.ListOptions{PerPage: c.perPage, Page: 1},
			IncludeSubGroups: gl.Ptr(true),
			Archived:         archived,
			OrderBy:          gl.Ptr("id"),
			Sort:             gl.Ptr("asc"),
		}
		each := visit
		if !opts.Since.IsZero() {
			// Newest activity first; stop at the first project that has not
			// moved since.
			lo.OrderBy, lo.Sort = gl.Ptr("last_activity_at"), gl.Ptr("desc")
			each = func(p *gl.Project) error {
				if p.LastActivityAt != nil && !p.LastActivityAt.After(opts.Since) {
					return errStop
				}
				return visit(p)
			}
		}
		what := fmt.Sprintf("list projects of group %s", group)
		err := paginate(ctx, what, func(more ...gl.RequestOptionFunc) ([]*gl.Project, *gl.Response, error) {
			return c.gl.Groups.ListGroupProjects(group, lo, more...)
		}, each)
		if err != nil && !errors.Is(err, errStop) {
			return err
		}
	}
	return nil
}

// Project returns one project.
func (c *Client) Project(ctx context.Context, id int64) (Project, error) {
	p, _, err := c.gl.Projects.GetProject(id, nil, gl.WithContext(ctx))
	if err != nil {
		return Project{}, fmt.Errorf("get project %d: %w", id, apiError(err))
	}
	return projectOf(p), nil
}

func projectOf(p *gl.Project) Project {
	out := Project{
		ID:            p.ID,
		Path:          p.PathWithNamespace,
		Name:          p.Name,
		DefaultBranch: p.DefaultBranch,
		WebURL:        p.WebURL,
		Archived:      p.Archived,
		EmptyRepo:     p.EmptyRepo,
		Topics:        p.Topics,
		Visibility:    string(p.Visibility),
	}
	if p.Namespace != nil {
		out.Namespace = p.Namespace.FullPath
	} else if i := strings.LastIndexByte(p.PathWithNamespace, '/'); i >= 0 {
		out.Namespace = p.PathWithNamespace[:i]
	}
	if p.ForkedFromProject != nil {
		out.Forked = true
		out.ForkedFrom = p.ForkedFromProject.PathWithNamespace
	}
	if p.LastActivityAt != nil {
		out.LastActivityAt = *p.LastActivityAt
	}
	return out
}

// paginate fetches the pages of a listing, keyset or offset as the answers
// say, one page ahead of fn, and calls fn for each item.
func paginate[T any](ctx context.Context, what string,
	fetch func(more ...gl.RequestOptionFunc) ([]T, *gl.Response, error), fn func(T) error) error {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()

	type page struct {
		items []T
		err   error
	}
	pages := make(chan page, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(pages)
		next := []gl.RequestOptionFunc{gl.WithContext(ctx)}
		for n := 1; ; n++ {
			items, resp, err := fetch(next...)
			if err != nil {
				err = fmt.Errorf("%s page %d: %w", what, n, apiError(err))
			}
			select {
			case pages <- page{items, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
			more, ok := gl.WithNext(resp)
			if !ok {
				return
			}
			next = []gl.RequestOptionFunc{gl.WithContext(ctx), more}
		}
	}()
	for pg := range pages {
		if pg.err != nil {
			return pg.err
		}
		for _, it := range pg.items {
			if err := fn(it); err != nil {
				return err
			}
		}
	}
	return ctx.Err()
}
