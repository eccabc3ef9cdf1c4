package fakegitlab

import (
	"cmp"
	"encoding/base64"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// commitAction is one change of a commit, as GitLab's commits API takes it.
type commitAction struct {
	// Action is "create", "update", "delete", "move" or "chmod".
	Action       string `json:"action"`
	FilePath     string `json:"file_path"`
	PreviousPath string `json:"previous_path,omitempty"`
	Content      string `json:"content,omitempty"`
	// Encoding is "text" (the default) or "base64".
	Encoding string `json:"encoding,omitempty"`
}

// refusal is why GitLab would refuse a commit with 400.
type refusal string

// Error returns GitLab's message.
func (r refusal) Error() string { return string(r) }

// applyCommit makes a commit on branch (created from startBranch when it
// does not exist yet). Callers hold s.mu.
func (s *Server) applyCommit(st *projectState, branch, startBranch, message string, actions []commitAction, author Member) (*commit, error) {
	var parent *commit
	switch {
	case st.branches[branch] != "":
		parent = st.commits[st.branches[branch]]
	case startBranch != "":
		parent = st.resolveRef(startBranch)
		if parent == nil {
			return nil, refusal(fmt.Sprintf("You can only create or edit files when you are on a branch (start_branch %s not found)", startBranch))
		}
	default:
		return nil, refusal("You can only create or edit files when you are on a branch")
	}
	if len(actions) == 0 {
		return nil, refusal("actions is missing")
	}
	files := maps.Clone(parent.files)
	for _, a := range actions {
		content := []byte(a.Content)
		if a.Encoding == "base64" {
			b, err := base64.StdEncoding.DecodeString(a.Content)
			if err != nil {
				return nil, refusal(fmt.Sprintf("content of %s is not base64", a.FilePath))
			}
			content = b
		}
		_, exists := files[a.FilePath]
		switch a.Action {
		case "create":
			if exists {
				return nil, refusal("A file with this name already exists")
			}
			files[a.FilePath] = content
		case "update":
			if !exists {
				return nil, refusal("A file with this name doesn't exist")
			}
			files[a.FilePath] = content
		case "delete":
			if !exists {
				return nil, refusal("A file with this name doesn't exist")
			}
			delete(files, a.FilePath)
		case "move":
			old, ok := files[a.PreviousPath]
			if !ok {
				return nil, refusal("A file with this name doesn't exist")
			}
			delete(files, a.PreviousPath)
			if a.Content == "" {
				content = old
			}
			files[a.FilePath] = content
		case "chmod":
			if !exists {
				return nil, refusal("A file with this name doesn't exist")
			}
		default:
			return nil, refusal(fmt.Sprintf("action %q is not one of create, update, delete, move, chmod", a.Action))
		}
	}
	return s.record(st, branch, parent, message, files, author), nil
}

// record adds a commit with these files on top of parent and moves branch
// to it. Callers hold s.mu.
func (s *Server) record(st *projectState, branch string, parent *commit, message string, files map[string][]byte, author Member) *commit {
	c := &commit{
		parent:         parent.id,
		message:        message,
		authorName:     author.Name,
		authorEmail:    author.Email,
		authorID:       author.ID,
		authorUsername: author.Username,
		at:             s.now(),
		files:          files,
		branch:         branch,
	}
	for p, content := range files {
		old, ok := parent.files[p]
		switch {
		case !ok:
			c.added = append(c.added, p)
		case string(old) != string(content):
			c.modified = append(c.modified, p)
		}
	}
	for p := range parent.files {
		if _, ok := files[p]; !ok {
			c.removed = append(c.removed, p)
		}
	}
	slices.Sort(c.added)
	slices.Sort(c.modified)
	slices.Sort(c.removed)
	c.id = commitID(st.p.ID, parent.id, message+c.at.String(), files)
	st.commits[c.id] = c
	st.branches[branch] = c.id
	st.p.LastActivity = c.at
	if branch == st.p.DefaultBranch {
		st.p.Files = files
		st.p.Commit = c.id
		st.lastPush = c
	}
	return c
}

// createCommit answers POST /projects/:id/repository/commits.
func (s *Server) createCommit(w http.ResponseWriter, r *http.Request) {
	base := s.baseURL(r)
	var body struct {
		Branch        string         `json:"branch"`
		CommitMessage string         `json:"commit_message"`
		StartBranch   string         `json:"start_branch"`
		StartSHA      string         `json:"start_sha"`
		Actions       []commitAction `json:"actions"`
		AuthorEmail   string         `json:"author_email"`
		AuthorName    string         `json:"author_name"`
	}
	if err := decodeBody(r, &body); err != nil {
		badRequest(w, "400 Bad request - "+err.Error())
		return
	}
	if body.Branch == "" || body.CommitMessage == "" {
		badRequest(w, "400 Bad request - branch is missing, commit_message is missing")
		return
	}
	st, ok := s.project(w, r)
	if !ok {
		return
	}
	defer s.mu.Unlock()
	start := body.StartBranch
	if start == "" {
		start = body.StartSHA
	}
	author := Member{ID: 1, Username: "switchboard-bot", Name: "Switchboard", Email: "switchboard@example.com"}
	if body.AuthorName != "" {
		author.Name = body.AuthorName
	}
	if body.AuthorEmail != "" {
		author.Email = body.AuthorEmail
	}
	c, err := s.applyCommit(st, body.Branch, start, body.CommitMessage, body.Actions, author)
	if err != nil {
		badRequest(w, err.Error())
		return
	}
	writeJSON(w, http.StatusCreated, commitView(base, st.p, c))
}

// mergeRequest is an MR of a fake project.
type mergeRequest struct {
	id, iid              int64
	title, description   string
	source, target       string
	state                string
	created              time.Time
	authorID             int64
	authorName, username string
	// merged is when a merged one was merged; mergeSHA its merge commit.
	merged   time.Time
	mergeSHA string
}

// updated is when the merge request last changed.
func (mr *mergeRequest) updated() time.Time {
	if !mr.merged.IsZero() {
		return mr.merged
	}
	return mr.created
}

func (s *Server) mrView(base string, st *projectState, mr *mergeRequest) map[string]any {
	p := st.p
	sha := st.branches[mr.source]
	at := gitlabTime(mr.created)
	author := map[string]any{
		"id": mr.authorID, "username": mr.username, "name": mr.authorName, "state": "active",
		"avatar_url": nil, "web_url": base + "/" + mr.username,
	}
	var mergedAt, mergedBy, mergeSHA any
	if !mr.merged.IsZero() {
		mergedAt, mergedBy, mergeSHA = gitlabTime(mr.merged), author, mr.mergeSHA
		sha = mr.mergeSHA
	}
	return map[string]any{
		"id":                    mr.id,
		"iid":                   mr.iid,
		"project_id":            p.ID,
		"title":                 mr.title,
		"description":           mr.description,
		"state":                 mr.state,
		"created_at":            at,
		"updated_at":            gitlabTime(mr.updated()),
		"merged_at":             mergedAt,
		"merged_by":             mergedBy,
		"merge_user":            mergedBy,
		"merge_commit_sha":      mergeSHA,
		"squash_commit_sha":     nil,
		"closed_at":             nil,
		"closed_by":             nil,
		"target_branch":         mr.target,
		"source_branch":         mr.source,
		"source_project_id":     p.ID,
		"target_project_id":     p.ID,
		"draft":                 false,
		"work_in_progress":      false,
		"merge_status":          "can_be_merged",
		"detailed_merge_status": "mergeable",
		"sha":                   sha,
		"user_notes_count":      0,
		"labels":                []string{},
		"author":                author,
		"references": map[string]string{
			"short": "!" + strconv.FormatInt(mr.iid, 10), "relative": "!" + strconv.FormatInt(mr.iid, 10),
			"full": p.Path + "!" + strconv.FormatInt(mr.iid, 10),
		},
		"web_url": base + "/" + p.Path + "/-/merge_requests/" + strconv.FormatInt(mr.iid, 10),
	}
}

// createMergeRequest answers POST /projects/:id/merge_requests.
func (s *Server) createMergeRequest(w http.ResponseWriter, r *http.Request) {
	base := s.baseURL(r)
	body := map[string]any{}
	if err := decodeBody(r, &body); err != nil {
		badRequest(w, "400 Bad request - "+err.Error())
		return
	}
	st, ok := s.project(w, r)
	if !ok {
		return
	}
	defer s.mu.Unlock()
	source, target, title := param(body, r, "source_branch"), param(body, r, "target_branch"), param(body, r, "title")
	if source == "" || target == "" || title == "" {
		badRequest(w, "400 Bad request - source_branch, target_branch and title are required")
		return
	}
	if source == target {
		writeJSON(w, http.StatusBadRequest, map[string][]string{"message": {"You can't use same project/branch for source and target"}})
		return
	}
	if st.branches[source] == "" || st.branches[target] == "" {
		writeJSON(w, http.StatusBadRequest, map[string][]string{"message": {"Source branch or target branch does not exist"}})
		return
	}
	for _, mr := range st.mrs {
		if mr.state == "opened" && mr.source == source && mr.target == target {
			writeJSON(w, http.StatusConflict, map[string][]string{"message": {fmt.Sprintf("Another open merge request already exists for this source branch: !%d", mr.iid)}})
			return
		}
	}
	mr := &mergeRequest{
		id: s.nextMRID, iid: int64(len(st.mrs) + 1),
		title: title, description: param(body, r, "description"),
		source: source, target: target, state: "opened", created: s.now(),
		authorID: 1, authorName: "Switchboard", username: "switchboard-bot",
	}
	s.nextMRID++
	st.mrs = append(st.mrs, mr)
	writeJSON(w, http.StatusCreated, s.mrView(base, st, mr))
}

// listMergeRequests answers GET /projects/:id/merge_requests (state,
// source_branch, target_branch; order_by created_at, the default,
// updated_at, merged_at — GitLab 17.2 and later, see
// Options.NoMergedAtOrder — or title; sort desc, the default, or asc),
// with offset pagination. A project whose merge requests are disabled
// answers 403.
func (s *Server) listMergeRequests(w http.ResponseWriter, r *http.Request) {
	base := s.baseURL(r)
	q := r.URL.Query()
	st, ok := s.project(w, r)
	if !ok {
		return
	}
	defer s.mu.Unlock()
	if st.p.MergeRequestsDisabled {
		writeJSON(w, http.StatusForbidden, map[string]string{"message": "403 Forbidden"})
		return
	}
	orderBy, sort := cmp.Or(q.Get("order_by"), "created_at"), cmp.Or(q.Get("sort"), "desc")
	valid := []string{"created_at", "updated_at", "title"}
	if !s.opts.NoMergedAtOrder {
		valid = append(valid, "merged_at")
	}
	if !slices.Contains(valid, orderBy) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "order_by does not have a valid value"})
		return
	}
	if sort != "asc" && sort != "desc" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "sort does not have a valid value"})
		return
	}
	updatedAfter, _, err := timeParam(r, "updated_after")
	if err != nil {
		badRequest(w, "400 Bad request - "+err.Error())
		return
	}
	var matched []*mergeRequest
	for i := len(st.mrs) - 1; i >= 0; i-- {
		mr := st.mrs[i]
		if !updatedAfter.IsZero() && mr.updated().Before(updatedAfter) {
			continue
		}
		if v := q.Get("state"); v != "" && v != "all" && v != mr.state {
			continue
		}
		if v := q.Get("source_branch"); v != "" && v != mr.source {
			continue
		}
		if v := q.Get("target_branch"); v != "" && v != mr.target {
			continue
		}
		matched = append(matched, mr)
	}
	order := orderThenID(sort == "desc", func(mr *mergeRequest) int64 { return mr.id }, func(a, b *mergeRequest) int {
		switch orderBy {
		case "updated_at":
			return a.updated().Compare(b.updated())
		case "merged_at":
			return a.merged.Compare(b.merged)
		case "title":
			return strings.Compare(a.title, b.title)
		}
		return a.created.Compare(b.created)
	})
	slices.SortStableFunc(matched, func(a, b *mergeRequest) int {
		// Not merged: last whichever the direction, as Postgres's NULLS
		// LAST that GitLab asks for.
		if orderBy == "merged_at" && (a.merged.IsZero() || b.merged.IsZero()) {
			return boolCmp(a.merged.IsZero(), b.merged.IsZero())
		}
		return order(a, b)
	})
	out := []map[string]any{}
	for _, mr := range pageOf(s, w, r, matched) {
		out = append(out, s.mrView(base, st, mr))
	}
	writeJSON(w, http.StatusOK, out)
}

// boolCmp orders false before true.
func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

// seedMerged records a new project's MergedMergeRequests. Callers hold
// s.mu (or own the Server, in New).
func (s *Server) seedMerged(st *projectState) {
	for _, m := range st.p.MergedMergeRequests {
		iid := int64(len(st.mrs) + 1)
		created := m.CreatedAt
		if created.IsZero() {
			created = m.MergedAt.Add(-24 * time.Hour)
		}
		source := cmp.Or(m.SourceBranch, "feature-"+strconv.FormatInt(iid, 10))
		mr := &mergeRequest{
			id: s.nextMRID, iid: iid, title: m.Title,
			source: source, target: cmp.Or(m.TargetBranch, st.p.DefaultBranch),
			state: "merged", created: created, merged: m.MergedAt,
			authorID: m.Author.ID, authorName: m.Author.Name, username: m.Author.Username,
			mergeSHA: commitID(st.p.ID, source, m.Title+m.MergedAt.String(), nil),
		}
		s.nextMRID++
		st.mrs = append(st.mrs, mr)
	}
}

// getMergeRequest answers GET /projects/:id/merge_requests/:iid.
func (s *Server) getMergeRequest(w http.ResponseWriter, r *http.Request) {
	base := s.baseURL(r)
	st, ok := s.project(w, r)
	if !ok {
		return
	}
	defer s.mu.Unlock()
	iid, err := strconv.ParseInt(pathValue(r, "iid"), 10, 64)
	if err != nil || iid < 1 || iid > int64(len(st.mrs)) {
		notFound(w, "Merge Request")
		return
	}
	writeJSON(w, http.StatusOK, s.mrView(base, st, st.mrs[iid-1]))
}

// MergeRequest is a merge request opened on the fake, as tests read it back.
type MergeRequest struct {
	IID          int64
	Title        string
	Description  string
	SourceBranch string
	TargetBranch string
	State        string
	// Files are the files of the source branch's head.
	Files map[string][]byte
}

// MergeRequests returns the merge requests of a project, oldest first.
func (s *Server) MergeRequests(projectID int64) []MergeRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.projects[projectID]
	if st == nil {
		return nil
	}
	var out []MergeRequest
	for _, mr := range st.mrs {
		var files map[string][]byte
		if c := st.resolveRef(mr.source); c != nil {
			files = maps.Clone(c.files)
		}
		out = append(out, MergeRequest{
			IID: mr.iid, Title: mr.title, Description: mr.description,
			SourceBranch: mr.source, TargetBranch: mr.target, State: mr.state, Files: files,
		})
	}
	return out
}
