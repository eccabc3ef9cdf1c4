package fakegitlab

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Hook is a webhook delivery as GitLab would POST it.
type Hook struct {
	// Body is the JSON payload.
	Body []byte
	// Header holds Content-Type, User-Agent, X-Gitlab-Event ("Push Hook",
	// "System Hook"), X-Gitlab-Token (when Options.WebhookSecret is set),
	// X-Gitlab-Instance, X-Gitlab-Webhook-UUID, X-Gitlab-Event-UUID and
	// Idempotency-Key (the same on every retry of one delivery).
	Header http.Header
}

// Send POSTs the hook to url with client (http.DefaultClient when nil) and
// returns the response's status.
func (h Hook) Send(ctx context.Context, client *http.Client, url string) (int, error) {
	if client == nil {
		client = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(h.Body))
	if err != nil {
		return 0, fmt.Errorf("send hook: %w", err)
	}
	req.Header = h.Header.Clone()
	resp, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("send hook: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// hook builds a delivery. Callers hold s.mu.
func (s *Server) hook(event string, payload any) (Hook, error) {
	body, err := json.Marshal(payload)
	if err != nil {
		return Hook{}, fmt.Errorf("encode %s: %w", event, err)
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "GitLab/17.5.0")
	h.Set("X-Gitlab-Event", event)
	h.Set("X-Gitlab-Instance", s.instanceURL())
	h.Set("X-Gitlab-Webhook-UUID", s.hookUUID)
	id := newUUID()
	h.Set("X-Gitlab-Event-UUID", id)
	h.Set("Idempotency-Key", id)
	if s.opts.WebhookSecret != "" {
		h.Set("X-Gitlab-Token", s.opts.WebhookSecret)
	}
	return Hook{Body: body, Header: h}, nil
}

// Change is a push to a fake project.
type Change struct {
	// Branch is the default branch when empty; a branch that does not exist
	// yet is created from the default branch.
	Branch string
	// Message is the commit message; "Update files" when empty.
	Message string
	// Files are written (created or replaced).
	Files map[string][]byte
	// Delete are paths removed.
	Delete []string
	// Author is the pusher; an administrator when zero.
	Author Member
}

const zeroSHA = "0000000000000000000000000000000000000000"

// Push commits a change to a project, as a developer's git push would: a
// new commit id, changed files, last_activity_at moved to now. It returns
// the project's push webhook.
func (s *Server) Push(projectID int64, ch Change) (Hook, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.projects[projectID]
	if st == nil {
		return Hook{}, fmt.Errorf("push to project %d: no such project", projectID)
	}
	branch := ch.Branch
	if branch == "" {
		branch = st.p.DefaultBranch
	}
	parent := st.resolveRef(branch)
	if st.branches[branch] == "" {
		parent = st.resolveRef(st.p.DefaultBranch)
	}
	files := maps.Clone(parent.files)
	maps.Copy(files, ch.Files)
	for _, p := range ch.Delete {
		delete(files, p)
	}
	msg := ch.Message
	if msg == "" {
		msg = "Update files"
	}
	author := ch.Author
	if author.Name == "" {
		author = Member{ID: 1, Username: "root", Name: "Administrator", Email: "admin@example.com"}
	}
	c := s.record(st, branch, parent, msg, files, author)
	if branch == st.p.DefaultBranch {
		s.addPushEvent(st, branch, parent.id, c.id, c.title(), 1, author, c.at)
	}
	return s.pushHook(st, c)
}

// PushEvent returns the push webhook of the last push to a project's
// default branch (of its head commit when nothing was pushed since New):
// body and headers.
func (s *Server) PushEvent(projectID int64) ([]byte, http.Header, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.projects[projectID]
	if st == nil {
		return nil, nil, fmt.Errorf("push event of project %d: no such project", projectID)
	}
	c := st.lastPush
	if c == nil {
		c = st.resolveRef(st.p.DefaultBranch)
	}
	h, err := s.pushHook(st, c)
	return h.Body, h.Header, err
}

// pushHook is GitLab's "Push Hook" payload for commit c. Callers hold s.mu.
func (s *Server) pushHook(st *projectState, c *commit) (Hook, error) {
	p := st.p
	base := s.instanceURL()
	web := base + "/" + p.Path
	host := strings.TrimPrefix(strings.TrimPrefix(base, "https://"), "http://")
	ssh := "git@" + host + ":" + p.Path + ".git"
	before := c.parent
	if before == "" {
		before = zeroSHA
	}
	nsName := p.Namespace()
	if g := s.group(nsName); g != nil && g.Name != "" {
		nsName = g.Name
	}
	orEmpty := func(s []string) []string {
		if s == nil {
			return []string{}
		}
		return s
	}
	userName, userEmail, username, userID := c.authorName, c.authorEmail, c.authorUsername, c.authorID
	if username == "" {
		username = "root"
	}
	payload := map[string]any{
		"object_kind":   "push",
		"event_name":    "push",
		"before":        before,
		"after":         c.id,
		"ref":           "refs/heads/" + c.branch,
		"ref_protected": c.branch == p.DefaultBranch,
		"checkout_sha":  c.id,
		"message":       nil,
		"user_id":       userID,
		"user_name":     userName,
		"user_username": username,
		"user_email":    userEmail,
		"user_avatar":   nil,
		"project_id":    p.ID,
		"project": map[string]any{
			"id":                  p.ID,
			"name":                p.displayName(),
			"description":         p.Description,
			"web_url":             web,
			"avatar_url":          nil,
			"git_ssh_url":         ssh,
			"git_http_url":        web + ".git",
			"namespace":           nsName,
			"visibility_level":    0,
			"path_with_namespace": p.Path,
			"default_branch":      p.DefaultBranch,
			"ci_config_path":      nil,
			"homepage":            web,
			"url":                 ssh,
			"ssh_url":             ssh,
			"http_url":            web + ".git",
		},
		"commits": []map[string]any{{
			"id":        c.id,
			"message":   c.message,
			"title":     c.title(),
			"timestamp": c.at.Format(time.RFC3339),
			"url":       web + "/-/commit/" + c.id,
			"author":    map[string]string{"name": c.authorName, "email": c.authorEmail},
			"added":     orEmpty(c.added),
			"modified":  orEmpty(c.modified),
			"removed":   orEmpty(c.removed),
		}},
		"total_commits_count": 1,
		"push_options":        map[string]any{},
		"repository": map[string]any{
			"name":             p.displayName(),
			"url":              ssh,
			"description":      p.Description,
			"homepage":         web,
			"git_http_url":     web + ".git",
			"git_ssh_url":      ssh,
			"visibility_level": 0,
		},
	}
	return s.hook("Push Hook", payload)
}

// systemHook is a project system hook payload (project_create,
// project_destroy, project_rename, project_transfer). Callers hold s.mu.
func (s *Server) systemHook(event string, p *Project, oldPath string) (Hook, error) {
	now := s.now().UTC().Format(time.RFC3339)
	owner := Member{Name: "Administrator", Email: "admin@example.com"}
	var nsID int64
	if g := s.group(p.Namespace()); g != nil {
		nsID = g.ID
		for _, m := range g.Members {
			if m.AccessLevel >= Maintainer {
				owner = m
				break
			}
		}
	}
	payload := map[string]any{
		"created_at":           p.CreatedAt.UTC().Format(time.RFC3339),
		"updated_at":           now,
		"event_name":           event,
		"name":                 p.displayName(),
		"owner_email":          owner.Email,
		"owner_name":           owner.Name,
		"owners":               []map[string]string{{"name": owner.Name, "email": owner.Email}},
		"path":                 p.Slug(),
		"path_with_namespace":  p.Path,
		"project_id":           p.ID,
		"project_namespace_id": nsID,
		"project_visibility":   p.Visibility,
	}
	if oldPath != "" {
		payload["old_path_with_namespace"] = oldPath
	}
	return s.hook("System Hook", payload)
}

// CreateProject adds a project (an id is given when p.ID is zero) and
// returns it with its project_create system hook.
func (s *Server) CreateProject(p Project) (Project, Hook, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.Path == "" {
		return Project{}, Hook{}, fmt.Errorf("create project: empty path")
	}
	if _, taken := s.byPath[strings.ToLower(p.Path)]; taken {
		return Project{}, Hook{}, fmt.Errorf("create project %s: path already taken", p.Path)
	}
	if p.ID != 0 && s.projects[p.ID] != nil {
		return Project{}, Hook{}, fmt.Errorf("create project %s: id %d already taken", p.Path, p.ID)
	}
	np := copyProject(&p)
	if np.Files == nil {
		np.Files = map[string][]byte{}
	}
	if np.CreatedAt.IsZero() {
		np.CreatedAt = s.now()
		np.LastActivity = np.CreatedAt
	}
	st := s.addProject(&np)
	h, err := s.systemHook("project_create", st.p, "")
	return copyProject(st.p), h, err
}

// RenameProject changes the last segment of a project's path and returns
// the project_rename system hook.
func (s *Server) RenameProject(projectID int64, newSlug string) (Hook, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.projects[projectID]
	if st == nil {
		return Hook{}, fmt.Errorf("rename project %d: no such project", projectID)
	}
	if newSlug == "" || strings.Contains(newSlug, "/") {
		return Hook{}, fmt.Errorf("rename project %d: invalid path %q", projectID, newSlug)
	}
	newPath := newSlug
	if ns := st.p.Namespace(); ns != "" {
		newPath = ns + "/" + newSlug
	}
	return s.move(st, newPath, "project_rename")
}

// TransferProject moves a project to another namespace (a group's full
// path) and returns the project_transfer system hook.
func (s *Server) TransferProject(projectID int64, namespace string) (Hook, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.projects[projectID]
	if st == nil {
		return Hook{}, fmt.Errorf("transfer project %d: no such project", projectID)
	}
	if s.group(namespace) == nil {
		return Hook{}, fmt.Errorf("transfer project %d: no group %q", projectID, namespace)
	}
	return s.move(st, namespace+"/"+st.p.Slug(), "project_transfer")
}

// move changes a project's path. Callers hold s.mu.
func (s *Server) move(st *projectState, newPath, event string) (Hook, error) {
	if _, taken := s.byPath[strings.ToLower(newPath)]; taken {
		return Hook{}, fmt.Errorf("move project %d to %s: path already taken", st.p.ID, newPath)
	}
	old := st.p.Path
	delete(s.byPath, strings.ToLower(old))
	st.p.Path = newPath
	if st.p.Name == "" || st.p.Name == old[strings.LastIndexByte(old, '/')+1:] {
		st.p.Name = ""
	}
	s.byPath[strings.ToLower(newPath)] = st.p.ID
	st.p.LastActivity = s.now()
	return s.systemHook(event, st.p, old)
}

// DeleteProject removes a project and returns the project_destroy system
// hook.
func (s *Server) DeleteProject(projectID int64) (Hook, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.projects[projectID]
	if st == nil {
		return Hook{}, fmt.Errorf("delete project %d: no such project", projectID)
	}
	h, err := s.systemHook("project_destroy", st.p, "")
	s.removeProject(projectID)
	return h, err
}

// SetArchived archives or unarchives a project.
func (s *Server) SetArchived(projectID int64, archived bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.projects[projectID]
	if st == nil {
		return fmt.Errorf("archive project %d: no such project", projectID)
	}
	st.p.Archived = archived
	st.p.LastActivity = s.now()
	return nil
}

// Commits returns the ids of a project's commits on its default branch,
// newest first.
func (s *Server) Commits(projectID int64) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.projects[projectID]
	if st == nil {
		return nil
	}
	var ids []string
	for c := st.resolveRef(st.p.DefaultBranch); c != nil; c = st.commits[c.parent] {
		ids = append(ids, c.id)
		if c.parent == "" {
			break
		}
	}
	return slices.Clip(ids)
}
