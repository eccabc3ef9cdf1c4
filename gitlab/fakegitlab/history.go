package fakegitlab

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// Deployment is a deployment of a project to an environment, seeded
// (Project.Deployments) or made while the fake runs (Server.Deploy).
type Deployment struct {
	// Environment is "production" when empty.
	Environment string
	// Status is "success" when empty; GitLab's others are created,
	// running, failed, canceled, skipped and blocked.
	Status string
	// Ref is the default branch when empty.
	Ref string
	// Title is the deployed commit's title; the default branch head's
	// when empty.
	Title string
	// User deployed; an administrator when zero.
	User Member
	// At is when it finished (or last changed); now when zero.
	At time.Time
}

// DirectPush is a push straight to the default branch, without a merge
// request, made before the fake started (Project.DirectPushes).
type DirectPush struct {
	Title  string
	Author Member
	At     time.Time
	// Commits is how many commits it pushed: 1 when zero.
	Commits int
}

// projectHistory is what a project's events and deployments listings
// read.
type projectHistory struct {
	deployments []*deployment
	pushes      []*pushEvent
}

// deployment is one of a project's deployments.
type deployment struct {
	id, iid, jobID   int64
	env, status, ref string
	sha, title       string
	user             Member
	created, updated time.Time
}

// pushEvent is a "pushed to" event of a project.
type pushEvent struct {
	id                   int64
	branch, from, to     string
	title                string
	count                int
	author               Member
	at                   time.Time
	deleted, createdHere bool
}

var admin = Member{ID: 1, Username: "root", Name: "Administrator", Email: "admin@example.com"}

func orAdmin(m Member) Member {
	if m.Username == "" && m.Name == "" {
		return admin
	}
	return m
}

// seedHistory records a new project's seeded history: a push event for
// each seeded merge (its merge commit pushed to the target branch), its
// DirectPushes and its Deployments. Callers hold s.mu or are New.
func (s *Server) seedHistory(st *projectState) {
	for _, mr := range st.mrs {
		if mr.state == "merged" {
			s.addPushEvent(st, mr.target, "", mr.mergeSHA, fmt.Sprintf("Merge branch '%s' into '%s'", mr.source, mr.target), 1,
				Member{ID: mr.authorID, Username: mr.username, Name: mr.authorName}, mr.merged)
		}
	}
	for i, p := range st.p.DirectPushes {
		sha := commitID(st.p.ID, "direct-"+strconv.Itoa(i), p.Title+p.At.String(), nil)
		s.addPushEvent(st, st.p.DefaultBranch, "", sha, p.Title, max(p.Commits, 1), orAdmin(p.Author), p.At)
	}
	for _, d := range st.p.Deployments {
		s.addDeployment(st, d)
	}
	slices.SortStableFunc(st.hist.pushes, func(a, b *pushEvent) int { return a.at.Compare(b.at) })
}

// addPushEvent records a push. Callers hold s.mu.
func (s *Server) addPushEvent(st *projectState, branch, from, to, title string, count int, author Member, at time.Time) {
	s.nextEventID++
	st.hist.pushes = append(st.hist.pushes, &pushEvent{id: s.nextEventID, branch: branch, from: from, to: to, title: title,
		count: count, author: orAdmin(author), at: at})
}

// addDeployment records a deployment. Callers hold s.mu.
func (s *Server) addDeployment(st *projectState, d Deployment) *deployment {
	s.nextDeployID++
	head := st.resolveRef(st.p.DefaultBranch)
	at := d.At
	if at.IsZero() {
		at = s.now()
	}
	dep := &deployment{
		id: s.nextDeployID, iid: int64(len(st.hist.deployments) + 1), jobID: 1000 + s.nextDeployID,
		env: cmp.Or(d.Environment, "production"), status: cmp.Or(d.Status, "success"), ref: cmp.Or(d.Ref, st.p.DefaultBranch),
		title: d.Title, user: orAdmin(d.User), created: at.Add(-3 * time.Minute), updated: at,
	}
	if head != nil {
		dep.sha = head.id
		if dep.title == "" {
			dep.title = head.title()
		}
	}
	st.hist.deployments = append(st.hist.deployments, dep)
	return dep
}

// Merge merges a new merge request into a project's default branch, as a
// developer clicking Merge would: a merge request opened and merged now
// (or at m.MergedAt), a merge commit on the default branch, a push event
// for it. It returns the "Merge Request Hook" (action merge) and the
// "Push Hook" GitLab sends, and POSTs them to the hook URL when one is
// set (SetHookURL).
func (s *Server) Merge(projectID int64, m MergedMergeRequest) (mrHook, push Hook, err error) {
	s.mu.Lock()
	mrHook, push, err = s.merge(projectID, m)
	s.mu.Unlock()
	if err == nil {
		err = s.emit(mrHook, push)
	}
	return mrHook, push, err
}

func (s *Server) merge(projectID int64, m MergedMergeRequest) (Hook, Hook, error) {
	st := s.projects[projectID]
	if st == nil {
		return Hook{}, Hook{}, fmt.Errorf("merge into project %d: no such project", projectID)
	}
	if m.Title == "" {
		return Hook{}, Hook{}, fmt.Errorf("merge into project %d: no title", projectID)
	}
	at := m.MergedAt
	if at.IsZero() {
		at = s.now()
	}
	iid := int64(len(st.mrs) + 1)
	author := orAdmin(m.Author)
	source := cmp.Or(m.SourceBranch, "feature-"+strconv.FormatInt(iid, 10))
	target := st.p.DefaultBranch
	head := st.resolveRef(target)
	c := s.record(st, target, head, fmt.Sprintf("Merge branch '%s' into '%s'\n\n%s\n\nSee merge request %s!%d", source, target, m.Title, st.p.Path, iid),
		maps.Clone(head.files), author)
	c.at = at
	st.p.LastActivity = at
	mr := &mergeRequest{
		id: s.nextMRID, iid: iid, title: m.Title, source: source, target: target, state: "merged",
		created: cmp.Or(m.CreatedAt, at.Add(-time.Hour)), merged: at, mergeSHA: c.id,
		authorID: author.ID, authorName: author.Name, username: author.Username,
	}
	s.nextMRID++
	st.mrs = append(st.mrs, mr)
	s.addPushEvent(st, target, head.id, c.id, c.title(), 1, author, at)
	st.lastPush = c
	mrh, err := s.mergeHook(st, mr, head.id, author)
	if err != nil {
		return Hook{}, Hook{}, err
	}
	ph, err := s.pushHook(st, c)
	return mrh, ph, err
}

// hookTime is how GitLab writes times in merge request hooks.
func hookTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

// mergeHook is GitLab's "Merge Request Hook" payload for the merge of mr
// by who; sourceHead is the source branch's last commit. Callers hold
// s.mu.
func (s *Server) mergeHook(st *projectState, mr *mergeRequest, sourceHead string, who Member) (Hook, error) {
	p := st.p
	base := s.instanceURL()
	web := base + "/" + p.Path
	project := map[string]any{
		"id": p.ID, "name": p.displayName(), "description": p.Description, "web_url": web, "avatar_url": nil,
		"git_ssh_url": "git@gitlab.example.com:" + p.Path + ".git", "git_http_url": web + ".git",
		"namespace": p.Namespace(), "visibility_level": 0, "path_with_namespace": p.Path,
		"default_branch": p.DefaultBranch, "ci_config_path": "", "homepage": web,
		"url": web + ".git", "ssh_url": "git@gitlab.example.com:" + p.Path + ".git", "http_url": web + ".git",
	}
	user := map[string]any{"id": who.ID, "name": who.Name, "username": who.Username, "avatar_url": nil, "email": "[REDACTED]"}
	payload := map[string]any{
		"object_kind": "merge_request",
		"event_type":  "merge_request",
		"user":        user,
		"project":     project,
		"object_attributes": map[string]any{
			"id": mr.id, "iid": mr.iid, "target_branch": mr.target, "source_branch": mr.source,
			"source_project_id": p.ID, "target_project_id": p.ID, "author_id": mr.authorID,
			"title": mr.title, "description": mr.description,
			"created_at": hookTime(mr.created), "updated_at": hookTime(mr.merged),
			"state": "merged", "state_id": 3, "merge_status": "can_be_merged", "detailed_merge_status": "not_open",
			"merge_commit_sha": mr.mergeSHA, "url": web + "/-/merge_requests/" + strconv.FormatInt(mr.iid, 10),
			"source": project, "target": project,
			"last_commit": map[string]any{
				"id": sourceHead, "message": mr.title, "title": mr.title, "timestamp": mr.created.UTC().Format(time.RFC3339),
				"url": web + "/-/commit/" + sourceHead, "author": map[string]string{"name": mr.authorName, "email": "[REDACTED]"},
			},
			"work_in_progress": false, "draft": false, "action": "merge",
		},
		"labels":     []any{},
		"changes":    map[string]any{"state_id": map[string]int{"previous": 1, "current": 3}, "updated_at": map[string]string{"previous": hookTime(mr.created), "current": hookTime(mr.merged)}},
		"repository": map[string]any{"name": p.displayName(), "url": web + ".git", "description": p.Description, "homepage": web},
	}
	return s.hook("Merge Request Hook", payload)
}

// Deploy records a deployment of a project's default branch head and
// returns the "Deployment Hook" GitLab sends for its status (POSTed to
// the hook URL when one is set). A deployment of status running followed
// by another call for the same environment is a new deployment: GitLab's
// status changes of one deployment are DeploymentStatus.
func (s *Server) Deploy(projectID int64, d Deployment) (Hook, int64, error) {
	s.mu.Lock()
	st := s.projects[projectID]
	if st == nil {
		s.mu.Unlock()
		return Hook{}, 0, fmt.Errorf("deploy project %d: no such project", projectID)
	}
	dep := s.addDeployment(st, d)
	h, err := s.deploymentHook(st, dep)
	s.mu.Unlock()
	if err == nil {
		err = s.emit(h)
	}
	return h, dep.id, err
}

// DeploymentStatus moves a deployment to a status (running to success or
// failed) at at (now when zero) and returns its hook.
func (s *Server) DeploymentStatus(projectID, deploymentID int64, status string, at time.Time) (Hook, error) {
	s.mu.Lock()
	st := s.projects[projectID]
	var dep *deployment
	if st != nil {
		for _, d := range st.hist.deployments {
			if d.id == deploymentID {
				dep = d
			}
		}
	}
	if dep == nil {
		s.mu.Unlock()
		return Hook{}, fmt.Errorf("deployment %d of project %d: no such deployment", deploymentID, projectID)
	}
	dep.status, dep.updated = status, cmp.Or(at, s.now())
	h, err := s.deploymentHook(st, dep)
	s.mu.Unlock()
	if err == nil {
		err = s.emit(h)
	}
	return h, err
}

// deploymentHook is GitLab's "Deployment Hook" payload. Callers hold s.mu.
func (s *Server) deploymentHook(st *projectState, d *deployment) (Hook, error) {
	p := st.p
	web := s.instanceURL() + "/" + p.Path
	short := d.sha
	if len(short) > 8 {
		short = short[:8]
	}
	payload := map[string]any{
		"object_kind":              "deployment",
		"status":                   d.status,
		"status_changed_at":        d.updated.Format("2006-01-02 15:04:05 -0700"),
		"deployment_id":            d.id,
		"deployable_id":            d.jobID,
		"deployable_url":           web + "/-/jobs/" + strconv.FormatInt(d.jobID, 10),
		"environment":              d.env,
		"environment_tier":         d.env,
		"environment_slug":         d.env,
		"environment_external_url": "https://" + d.env + ".example.com",
		"project": map[string]any{
			"id": p.ID, "name": p.displayName(), "description": p.Description, "web_url": web, "avatar_url": nil,
			"namespace": p.Namespace(), "visibility_level": 0, "path_with_namespace": p.Path,
			"default_branch": p.DefaultBranch, "ci_config_path": "", "homepage": web,
		},
		"short_sha":    short,
		"user":         map[string]any{"id": d.user.ID, "name": d.user.Name, "username": d.user.Username, "avatar_url": nil, "email": "[REDACTED]"},
		"user_url":     s.instanceURL() + "/" + d.user.Username,
		"commit_url":   web + "/-/commit/" + d.sha,
		"commit_title": d.title,
		"ref":          d.ref,
	}
	return s.hook("Deployment Hook", payload)
}

// SetHookURL makes Merge, Deploy and DeploymentStatus POST their hooks to
// url (with X-Gitlab-Token when Options.WebhookSecret is set), as a
// project webhook GitLab calls; "" stops it.
func (s *Server) SetHookURL(url string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hookURL = url
}

// emit POSTs hooks to the hook URL, when one is set; a status other than
// 2xx is an error, as GitLab counts a failed delivery.
func (s *Server) emit(hooks ...Hook) error {
	s.mu.Lock()
	url := s.hookURL
	s.mu.Unlock()
	if url == "" {
		return nil
	}
	for _, h := range hooks {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		status, err := h.Send(ctx, nil, url)
		cancel()
		if err != nil {
			return err
		}
		if status < 200 || status > 299 {
			return fmt.Errorf("hook %s delivered with status %d", h.Header.Get("X-Gitlab-Event"), status)
		}
	}
	return nil
}

// listDeployments answers GET /projects/:id/deployments (updated_after,
// updated_before, environment, status; order_by id, the default, iid,
// created_at, updated_at or ref; sort asc, the default, or desc) with
// offset pagination.
func (s *Server) listDeployments(w http.ResponseWriter, r *http.Request) {
	base := s.baseURL(r)
	q := r.URL.Query()
	after, _, err := timeParam(r, "updated_after")
	if err != nil {
		badRequest(w, "400 Bad request - "+err.Error())
		return
	}
	before, _, err := timeParam(r, "updated_before")
	if err != nil {
		badRequest(w, "400 Bad request - "+err.Error())
		return
	}
	orderBy, sort := cmp.Or(q.Get("order_by"), "id"), cmp.Or(q.Get("sort"), "asc")
	if !slices.Contains([]string{"id", "iid", "created_at", "updated_at", "finished_at", "ref"}, orderBy) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "order_by does not have a valid value"})
		return
	}
	if sort != "asc" && sort != "desc" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "sort does not have a valid value"})
		return
	}
	st, ok := s.project(w, r)
	if !ok {
		return
	}
	defer s.mu.Unlock()
	var matched []*deployment
	for _, d := range st.hist.deployments {
		if !after.IsZero() && !d.updated.After(after) || !before.IsZero() && !d.updated.Before(before) {
			continue
		}
		if v := q.Get("environment"); v != "" && v != d.env {
			continue
		}
		if v := q.Get("status"); v != "" && v != d.status {
			continue
		}
		matched = append(matched, d)
	}
	slices.SortStableFunc(matched, orderThenID(sort == "desc", func(d *deployment) int64 { return d.id }, func(a, b *deployment) int {
		switch orderBy {
		case "updated_at", "finished_at":
			return a.updated.Compare(b.updated)
		case "created_at":
			return a.created.Compare(b.created)
		}
		return 0
	}))
	out := []map[string]any{}
	for _, d := range pageOf(s, w, r, matched) {
		out = append(out, s.deploymentView(base, st, d))
	}
	writeJSON(w, http.StatusOK, out)
}

// deploymentView is a deployment as GitLab's API shows it.
func (s *Server) deploymentView(base string, st *projectState, d *deployment) map[string]any {
	web := base + "/" + st.p.Path
	short := d.sha
	if len(short) > 8 {
		short = short[:8]
	}
	finished := any(nil)
	if d.status == "success" || d.status == "failed" || d.status == "canceled" {
		finished = gitlabTime(d.updated)
	}
	return map[string]any{
		"id": d.id, "iid": d.iid, "ref": d.ref, "sha": d.sha, "status": d.status,
		"created_at": gitlabTime(d.created), "updated_at": gitlabTime(d.updated),
		"user": userView(base, d.user),
		"environment": map[string]any{
			"id": 100 + int64(len(d.env)), "name": d.env, "slug": d.env, "external_url": "https://" + d.env + ".example.com",
			"state": "available", "tier": d.env, "created_at": gitlabTime(st.p.CreatedAt), "updated_at": gitlabTime(d.updated),
		},
		"deployable": map[string]any{
			"id": d.jobID, "status": d.status, "stage": "deploy", "name": "deploy-" + d.env, "ref": d.ref, "tag": false,
			"coverage": nil, "created_at": gitlabTime(d.created), "started_at": gitlabTime(d.created), "finished_at": finished,
			"duration": d.updated.Sub(d.created).Seconds(), "queued_duration": 0.5,
			"user":   userView(base, d.user),
			"commit": map[string]any{"id": d.sha, "short_id": short, "title": d.title, "message": d.title, "author_name": d.user.Name, "author_email": d.user.Email, "created_at": gitlabTime(d.created)},
			"pipeline": map[string]any{"id": 5000 + d.id, "sha": d.sha, "ref": d.ref, "status": d.status,
				"created_at": gitlabTime(d.created), "updated_at": gitlabTime(d.updated), "web_url": web + "/-/pipelines/" + strconv.FormatInt(5000+d.id, 10)},
			"web_url": web + "/-/jobs/" + strconv.FormatInt(d.jobID, 10),
		},
	}
}

// listEvents answers GET /projects/:id/events (action — only "pushed" is
// kept by the fake, every other action lists nothing —, after and before,
// days, both excluded, as GitLab takes them; sort desc, the default, or
// asc) with offset pagination.
func (s *Server) listEvents(w http.ResponseWriter, r *http.Request) {
	base := s.baseURL(r)
	q := r.URL.Query()
	day := func(name string) (time.Time, bool) {
		v := q.Get(name)
		if v == "" {
			return time.Time{}, true
		}
		t, err := time.Parse("2006-01-02", v)
		return t, err == nil
	}
	after, ok1 := day("after")
	before, ok2 := day("before")
	if !ok1 || !ok2 {
		badRequest(w, "400 Bad request - after, before are invalid (YYYY-MM-DD)")
		return
	}
	sort := cmp.Or(q.Get("sort"), "desc")
	if sort != "asc" && sort != "desc" {
		badRequest(w, "400 Bad request - sort does not have a valid value")
		return
	}
	st, ok := s.project(w, r)
	if !ok {
		return
	}
	defer s.mu.Unlock()
	var matched []*pushEvent
	if a := q.Get("action"); a == "" || a == "pushed" {
		for _, e := range st.hist.pushes {
			// GitLab compares days: after=D keeps events from D+1 on.
			if !after.IsZero() && e.at.Before(after.AddDate(0, 0, 1)) || !before.IsZero() && !e.at.Before(before) {
				continue
			}
			matched = append(matched, e)
		}
	}
	slices.SortStableFunc(matched, orderThenID(sort == "desc", func(e *pushEvent) int64 { return e.id }, func(a, b *pushEvent) int {
		return a.at.Compare(b.at)
	}))
	out := []map[string]any{}
	for _, e := range pageOf(s, w, r, matched) {
		action := "pushed to"
		if e.from == "" {
			action = "pushed new"
		}
		out = append(out, map[string]any{
			"id": e.id, "title": nil, "project_id": st.p.ID, "action_name": action,
			"target_id": nil, "target_iid": nil, "target_type": nil, "author_id": e.author.ID, "target_title": nil,
			"created_at": gitlabTime(e.at), "author": userView(base, e.author), "author_username": e.author.Username,
			"imported": false, "imported_from": "none",
			"push_data": map[string]any{
				"commit_count": e.count, "action": "pushed", "ref_type": "branch", "commit_from": nilIfEmpty(e.from),
				"commit_to": e.to, "ref": e.branch, "commit_title": e.title, "ref_count": nil,
			},
		})
	}
	writeJSON(w, http.StatusOK, out)
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
