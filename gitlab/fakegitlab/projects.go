package fakegitlab

import (
	"cmp"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// projectState is a project and its git history as the Server keeps them.
type projectState struct {
	p        *Project
	branches map[string]string  // branch -> head commit id
	commits  map[string]*commit // by id
	mrs      []*mergeRequest
	// lastPush is the last commit pushed to the default branch, for
	// PushEvent; nil before any push.
	lastPush *commit
	// hist is its events and deployments (history.go).
	hist projectHistory
}

// commit is one commit of a fake repository: a full snapshot of its files.
type commit struct {
	id, parent               string
	message                  string
	authorName, authorEmail  string
	at                       time.Time
	files                    map[string][]byte
	added, modified, removed []string
	branch                   string
	authorID                 int64
	authorUsername           string
}

func (c *commit) title() string {
	t, _, _ := strings.Cut(c.message, "\n")
	return t
}

// addProject registers p and its initial commit. Callers hold s.mu or are
// New.
func (s *Server) addProject(p *Project) *projectState {
	if p.ID == 0 {
		p.ID = s.nextID
	}
	s.nextID = max(s.nextID, p.ID+1)
	if p.DefaultBranch == "" {
		p.DefaultBranch = "main"
	}
	if p.Visibility == "" {
		p.Visibility = "private"
	}
	now := s.now()
	if p.CreatedAt.IsZero() {
		p.CreatedAt = now
	}
	if p.LastActivity.IsZero() {
		p.LastActivity = p.CreatedAt
	}
	if p.Files == nil {
		p.Files = map[string][]byte{}
	}
	if p.Commit == "" {
		p.Commit = commitID(p.ID, "", "Initial commit", p.Files)
	}
	c := &commit{
		id:          p.Commit,
		message:     "Initial commit",
		authorName:  "Administrator",
		authorEmail: "admin@example.com",
		at:          p.LastActivity,
		files:       p.Files,
		branch:      p.DefaultBranch,
	}
	st := &projectState{
		p:        p,
		branches: map[string]string{p.DefaultBranch: c.id},
		commits:  map[string]*commit{c.id: c},
	}
	s.seedMerged(st)
	s.seedHistory(st)
	s.projects[p.ID] = st
	s.byPath[strings.ToLower(p.Path)] = p.ID
	i, _ := slices.BinarySearch(s.ids, p.ID)
	s.ids = slices.Insert(s.ids, i, p.ID)
	for _, m := range p.Members {
		s.addUser(m)
	}
	return st
}

// removeProject forgets a project. Callers hold s.mu.
func (s *Server) removeProject(id int64) {
	st := s.projects[id]
	if st == nil {
		return
	}
	delete(s.projects, id)
	delete(s.byPath, strings.ToLower(st.p.Path))
	if i, ok := slices.BinarySearch(s.ids, id); ok {
		s.ids = slices.Delete(s.ids, i, i+1)
	}
}

// lookup finds a project by numeric id or full path. Callers hold s.mu.
func (s *Server) lookup(idOrPath string) *projectState {
	if id, err := strconv.ParseInt(idOrPath, 10, 64); err == nil {
		return s.projects[id]
	}
	if id, ok := s.byPath[strings.ToLower(idOrPath)]; ok {
		return s.projects[id]
	}
	return nil
}

// project finds the project of a request's {id}, answering 404 (or the
// injected 500 of a FailPaths project) when it cannot. It returns with
// s.mu held when ok is true.
func (s *Server) project(w http.ResponseWriter, r *http.Request) (*projectState, bool) {
	s.mu.Lock()
	st := s.lookup(pathValue(r, "id"))
	if st == nil {
		s.mu.Unlock()
		notFound(w, "Project")
		return nil, false
	}
	if s.failPaths[strings.ToLower(st.p.Path)] {
		s.mu.Unlock()
		s.injected.Add(1)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"message": "500 Internal Server Error"})
		return nil, false
	}
	return st, true
}

// Project returns a copy of the project with this id, at the head of its
// default branch.
func (s *Server) Project(id int64) (Project, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.projects[id]
	if st == nil {
		return Project{}, false
	}
	return copyProject(st.p), true
}

// ProjectByPath returns a copy of the project with this full path.
func (s *Server) ProjectByPath(path string) (Project, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.byPath[strings.ToLower(path)]
	if !ok {
		return Project{}, false
	}
	return copyProject(s.projects[id].p), true
}

// Projects returns copies of every project, by id.
func (s *Server) Projects() []Project {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Project, 0, len(s.ids))
	for _, id := range s.ids {
		out = append(out, copyProject(s.projects[id].p))
	}
	return out
}

// Groups returns copies of the groups.
func (s *Server) Groups() []Group {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Group, 0, len(s.groups))
	for _, g := range s.groups {
		c := *g
		c.Members = slices.Clone(g.Members)
		out = append(out, c)
	}
	return out
}

func copyProject(p *Project) Project {
	c := *p
	c.Files = maps.Clone(p.Files)
	c.Topics = slices.Clone(p.Topics)
	c.Members = slices.Clone(p.Members)
	c.MergedMergeRequests = slices.Clone(p.MergedMergeRequests)
	c.ProtectedBranches = slices.Clone(p.ProtectedBranches)
	c.Deployments = slices.Clone(p.Deployments)
	c.DirectPushes = slices.Clone(p.DirectPushes)
	return c
}

type namespaceJSON struct {
	ID        int64   `json:"id"`
	Name      string  `json:"name"`
	Path      string  `json:"path"`
	Kind      string  `json:"kind"`
	FullPath  string  `json:"full_path"`
	ParentID  *int64  `json:"parent_id"`
	AvatarURL *string `json:"avatar_url"`
	WebURL    string  `json:"web_url"`
}

type forkParentJSON struct {
	ID                int64  `json:"id"`
	Name              string `json:"name"`
	NameWithNamespace string `json:"name_with_namespace"`
	Path              string `json:"path"`
	PathWithNamespace string `json:"path_with_namespace"`
	HTTPURLToRepo     string `json:"http_url_to_repo"`
	WebURL            string `json:"web_url"`
	RepositoryStorage string `json:"repository_storage"`
}

// projectJSON is GitLab's project entity; the fields after Namespace are
// left out of the simple view (simple=true).
type projectJSON struct {
	ID                int64         `json:"id"`
	Description       *string       `json:"description"`
	Name              string        `json:"name"`
	NameWithNamespace string        `json:"name_with_namespace"`
	Path              string        `json:"path"`
	PathWithNamespace string        `json:"path_with_namespace"`
	CreatedAt         string        `json:"created_at"`
	DefaultBranch     string        `json:"default_branch"`
	TagList           []string      `json:"tag_list"`
	Topics            []string      `json:"topics"`
	SSHURLToRepo      string        `json:"ssh_url_to_repo"`
	HTTPURLToRepo     string        `json:"http_url_to_repo"`
	WebURL            string        `json:"web_url"`
	ReadmeURL         *string       `json:"readme_url"`
	ForksCount        int           `json:"forks_count"`
	AvatarURL         *string       `json:"avatar_url"`
	StarCount         int           `json:"star_count"`
	LastActivityAt    string        `json:"last_activity_at"`
	Namespace         namespaceJSON `json:"namespace"`

	*projectFullJSON
}

type projectFullJSON struct {
	Links                map[string]string `json:"_links"`
	EmptyRepo            bool              `json:"empty_repo"`
	Archived             bool              `json:"archived"`
	Visibility           string            `json:"visibility"`
	ResolveOutdatedDiffs bool              `json:"resolve_outdated_diff_discussions"`
	IssuesEnabled        bool              `json:"issues_enabled"`
	MergeRequestsEnabled bool              `json:"merge_requests_enabled"`
	WikiEnabled          bool              `json:"wiki_enabled"`
	JobsEnabled          bool              `json:"jobs_enabled"`
	SnippetsEnabled      bool              `json:"snippets_enabled"`
	CreatorID            int64             `json:"creator_id"`
	ForkedFromProject    *forkParentJSON   `json:"forked_from_project,omitempty"`
	ImportStatus         string            `json:"import_status"`
	OpenIssuesCount      int               `json:"open_issues_count"`
	CIConfigPath         *string           `json:"ci_config_path"`
	SharedWithGroups     []any             `json:"shared_with_groups"`
	RepositoryStorage    string            `json:"repository_storage"`
}

// namespace describes the group holding a project. Callers hold s.mu.
func (s *Server) namespace(base, full string) namespaceJSON {
	name := full[strings.LastIndexByte(full, '/')+1:]
	ns := namespaceJSON{Name: name, Path: name, Kind: "group", FullPath: full, WebURL: base + "/groups/" + full}
	if g := s.group(full); g != nil {
		ns.ID = g.ID
		if g.Name != "" {
			ns.Name = g.Name
		}
		if i := strings.LastIndexByte(full, '/'); i >= 0 {
			if parent := s.group(full[:i]); parent != nil {
				ns.ParentID = &parent.ID
			}
		}
	} else {
		ns.Kind = "user"
		ns.WebURL = base + "/" + full
	}
	return ns
}

// projectView renders a project as the API does. Callers hold s.mu.
func (s *Server) projectView(base string, st *projectState, simple bool) projectJSON {
	p := st.p
	host := strings.TrimPrefix(strings.TrimPrefix(base, "http://"), "https://")
	web := base + "/" + p.Path
	desc := p.Description
	topics := p.Topics
	if topics == nil {
		topics = []string{}
	}
	ns := p.Namespace()
	nsFull := ns
	nameWithNS := p.displayName()
	if ns != "" {
		nameWithNS = strings.ReplaceAll(ns, "/", " / ") + " / " + p.displayName()
	}
	v := projectJSON{
		ID:                p.ID,
		Description:       &desc,
		Name:              p.displayName(),
		NameWithNamespace: nameWithNS,
		Path:              p.Slug(),
		PathWithNamespace: p.Path,
		CreatedAt:         gitlabTime(p.CreatedAt),
		DefaultBranch:     p.DefaultBranch,
		TagList:           topics,
		Topics:            topics,
		SSHURLToRepo:      "git@" + host + ":" + p.Path + ".git",
		HTTPURLToRepo:     web + ".git",
		WebURL:            web,
		LastActivityAt:    gitlabTime(p.LastActivity),
		Namespace:         s.namespace(base, nsFull),
	}
	if _, ok := p.Files["README.md"]; ok {
		readme := web + "/-/blob/" + p.DefaultBranch + "/README.md"
		v.ReadmeURL = &readme
	}
	if simple {
		return v
	}
	api := base + "/api/v4/projects/" + strconv.FormatInt(p.ID, 10)
	full := &projectFullJSON{
		Links: map[string]string{
			"self":           api,
			"issues":         api + "/issues",
			"merge_requests": api + "/merge_requests",
			"repo_branches":  api + "/repository/branches",
			"labels":         api + "/labels",
			"events":         api + "/events",
			"members":        api + "/members",
		},
		EmptyRepo:            len(p.Files) == 0,
		Archived:             p.Archived,
		Visibility:           p.Visibility,
		IssuesEnabled:        true,
		MergeRequestsEnabled: true,
		WikiEnabled:          true,
		JobsEnabled:          true,
		SnippetsEnabled:      true,
		CreatorID:            1,
		ImportStatus:         "none",
		SharedWithGroups:     []any{},
		RepositoryStorage:    "default",
	}
	if p.ForkedFrom != "" {
		parent := &forkParentJSON{
			Name:              p.ForkedFrom[strings.LastIndexByte(p.ForkedFrom, '/')+1:],
			Path:              p.ForkedFrom[strings.LastIndexByte(p.ForkedFrom, '/')+1:],
			PathWithNamespace: p.ForkedFrom,
			NameWithNamespace: strings.ReplaceAll(p.ForkedFrom, "/", " / "),
			HTTPURLToRepo:     base + "/" + p.ForkedFrom + ".git",
			WebURL:            base + "/" + p.ForkedFrom,
			RepositoryStorage: "default",
		}
		if up := s.lookup(p.ForkedFrom); up != nil {
			parent.ID = up.p.ID
			parent.Name = up.p.displayName()
		}
		full.ForkedFromProject = parent
	}
	v.projectFullJSON = full
	return v
}

// filterProjects applies the list filters GitLab offers. Callers hold s.mu.
// With limit > 0 it stops after limit matches.
func (s *Server) filterProjects(r *http.Request, ids []int64, group *Group, subgroups bool, limit int) ([]*projectState, string) {
	archived, hasArchived := boolParam(r, "archived")
	after, hasAfter, err := timeParam(r, "last_activity_after")
	if err != nil {
		return nil, err.Error()
	}
	before, hasBefore, err := timeParam(r, "last_activity_before")
	if err != nil {
		return nil, err.Error()
	}
	search := strings.ToLower(r.URL.Query().Get("search"))
	var out []*projectState
	for _, id := range ids {
		st := s.projects[id]
		p := st.p
		if group != nil {
			ns := strings.ToLower(p.Namespace())
			gp := strings.ToLower(group.Path)
			if ns != gp && !(subgroups && strings.HasPrefix(ns, gp+"/")) {
				continue
			}
		}
		if hasArchived && p.Archived != archived {
			continue
		}
		if hasAfter && !p.LastActivity.After(after) {
			continue
		}
		if hasBefore && !p.LastActivity.Before(before) {
			continue
		}
		if search != "" && !strings.Contains(strings.ToLower(p.Path), search) &&
			!strings.Contains(strings.ToLower(p.displayName()), search) {
			continue
		}
		out = append(out, st)
		if limit > 0 && len(out) == limit {
			break
		}
	}
	return out, ""
}

func (s *Server) listProjects(w http.ResponseWriter, r *http.Request) {
	s.listProjectsIn(w, r, nil, false, true)
}

func (s *Server) groupProjects(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	g := s.group(pathValue(r, "id"))
	s.mu.Unlock()
	if g == nil {
		notFound(w, "Group")
		return
	}
	subgroups, _ := boolParam(r, "include_subgroups")
	// GitLab documents keyset pagination for /projects, not for a group's
	// projects: there, pagination=keyset is ignored and pages are offset
	// pages.
	s.listProjectsIn(w, r, g, subgroups, false)
}

// listProjectsIn answers GET /projects and GET /groups/:id/projects, with
// keyset pagination where allowed (pagination=keyset, order_by=id,
// id_after/id_before) or offset pagination (page, per_page; ordered by
// created_at desc unless order_by and sort say otherwise).
func (s *Server) listProjectsIn(w http.ResponseWriter, r *http.Request, g *Group, subgroups, allowKeyset bool) {
	q := r.URL.Query()
	simple, _ := boolParam(r, "simple")
	orderBy := cmp.Or(q.Get("order_by"), "created_at")
	sortDir := cmp.Or(q.Get("sort"), "desc")
	keyset := allowKeyset && q.Get("pagination") == "keyset"
	if keyset && orderBy != "id" {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"message": "405 Method Not Allowed - Keyset pagination is not yet available for this type of request"})
		return
	}
	if sortDir != "asc" && sortDir != "desc" {
		badRequest(w, "400 Bad request - sort does not have a valid value")
		return
	}
	base := s.baseURL(r)

	s.mu.Lock()
	defer s.mu.Unlock()
	ids := s.ids
	if keyset {
		if v := q.Get("id_after"); v != "" && sortDir == "asc" {
			after, _ := strconv.ParseInt(v, 10, 64)
			i, found := slices.BinarySearch(ids, after)
			if found {
				i++
			}
			ids = ids[i:]
		}
		if v := q.Get("id_before"); v != "" && sortDir == "desc" {
			before, _ := strconv.ParseInt(v, 10, 64)
			i, _ := slices.BinarySearch(ids, before)
			ids = ids[:i]
		}
		if sortDir == "desc" {
			ids = slices.Clone(ids)
			slices.Reverse(ids)
		}
	}
	limit := 0
	if keyset {
		// One more than a page tells whether there is a next page.
		_, perPage := s.pageParams(r)
		limit = perPage + 1
	}
	matched, msg := s.filterProjects(r, ids, g, subgroups, limit)
	if msg != "" {
		badRequest(w, "400 Bad request - "+msg)
		return
	}

	var page []*projectState
	if keyset {
		_, perPage := s.pageParams(r)
		page = matched[:min(perPage, len(matched))]
		if len(matched) > perPage {
			last := strconv.FormatInt(page[len(page)-1].p.ID, 10)
			if sortDir == "asc" {
				s.setKeysetNext(w, r, map[string]string{"id_after": last})
			} else {
				s.setKeysetNext(w, r, map[string]string{"id_before": last})
			}
		}
	} else {
		sortProjects(matched, orderBy, sortDir)
		from, to := s.offsetPage(w, r, len(matched), true)
		page = matched[from:to]
	}
	out := make([]projectJSON, 0, len(page))
	for _, st := range page {
		out = append(out, s.projectView(base, st, simple))
	}
	writeJSON(w, http.StatusOK, out)
}

func sortProjects(ps []*projectState, orderBy, dir string) {
	key := func(a, b *projectState) int {
		switch orderBy {
		case "name":
			return strings.Compare(strings.ToLower(a.p.displayName()), strings.ToLower(b.p.displayName()))
		case "path":
			return strings.Compare(a.p.Path, b.p.Path)
		case "last_activity_at", "updated_at":
			return a.p.LastActivity.Compare(b.p.LastActivity)
		case "id":
			return cmp.Compare(a.p.ID, b.p.ID)
		}
		return a.p.CreatedAt.Compare(b.p.CreatedAt)
	}
	sort.SliceStable(ps, func(i, j int) bool {
		c := key(ps[i], ps[j])
		if c == 0 {
			c = cmp.Compare(ps[i].p.ID, ps[j].p.ID)
		}
		if dir == "desc" {
			return c > 0
		}
		return c < 0
	})
}

func (s *Server) getProject(w http.ResponseWriter, r *http.Request) {
	base := s.baseURL(r)
	st, ok := s.project(w, r)
	if !ok {
		return
	}
	defer s.mu.Unlock()
	writeJSON(w, http.StatusOK, s.projectView(base, st, false))
}
