package fakegitlab

import (
	"cmp"
	"net/http"
	"slices"
	"strings"
)

func groupView(base string, g *Group, parentID *int64) map[string]any {
	name := g.Name
	if name == "" {
		name = g.Path[strings.LastIndexByte(g.Path, '/')+1:]
	}
	return map[string]any{
		"id":          g.ID,
		"web_url":     base + "/groups/" + g.Path,
		"name":        name,
		"path":        g.Path[strings.LastIndexByte(g.Path, '/')+1:],
		"description": g.Description,
		"visibility":  "private",
		"full_name":   strings.ReplaceAll(g.Path, "/", " / "),
		"full_path":   g.Path,
		"parent_id":   parentID,
		"avatar_url":  nil,
		"created_at":  "2020-01-01T00:00:00.000Z",
	}
}

// parentID is the id of a group's parent group. Callers hold s.mu.
func (s *Server) parentID(g *Group) *int64 {
	if i := strings.LastIndexByte(g.Path, '/'); i >= 0 {
		if p := s.group(g.Path[:i]); p != nil {
			return &p.ID
		}
	}
	return nil
}

// listGroups answers GET /groups (search, top_level_only), with offset
// pagination ordered by name.
func (s *Server) listGroups(w http.ResponseWriter, r *http.Request) {
	base := s.baseURL(r)
	search := strings.ToLower(r.URL.Query().Get("search"))
	top, _ := boolParam(r, "top_level_only")
	s.mu.Lock()
	defer s.mu.Unlock()
	var matched []*Group
	for _, g := range s.groups {
		if search != "" && !strings.Contains(strings.ToLower(g.Path), search) {
			continue
		}
		if top && strings.Contains(g.Path, "/") {
			continue
		}
		matched = append(matched, g)
	}
	slices.SortFunc(matched, func(a, b *Group) int { return cmp.Compare(a.Path, b.Path) })
	from, to := s.offsetPage(w, r, len(matched), true)
	out := []map[string]any{}
	for _, g := range matched[from:to] {
		out = append(out, groupView(base, g, s.parentID(g)))
	}
	writeJSON(w, http.StatusOK, out)
}

// getGroup answers GET /groups/:id.
func (s *Server) getGroup(w http.ResponseWriter, r *http.Request) {
	base := s.baseURL(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.group(pathValue(r, "id"))
	if g == nil {
		notFound(w, "Group")
		return
	}
	writeJSON(w, http.StatusOK, groupView(base, g, s.parentID(g)))
}

// memberView renders a member as GET .../members/all does for an
// administrator: with email.
func memberView(base string, m Member) map[string]any {
	level := m.AccessLevel
	if level == 0 {
		level = Developer
	}
	return map[string]any{
		"id":           m.ID,
		"username":     m.Username,
		"name":         m.Name,
		"state":        "active",
		"avatar_url":   nil,
		"web_url":      base + "/" + m.Username,
		"access_level": level,
		"created_at":   "2020-01-01T00:00:00.000Z",
		"expires_at":   nil,
		"email":        m.Email,
	}
}

// inheritedMembers lists the members of a group and of its ancestors, each
// user once with their highest access. Callers hold s.mu.
func (s *Server) inheritedMembers(groupPath string, direct []Member) []Member {
	best := map[int64]Member{}
	add := func(ms []Member) {
		for _, m := range ms {
			if cur, ok := best[m.ID]; !ok || m.AccessLevel > cur.AccessLevel {
				best[m.ID] = m
			}
		}
	}
	add(direct)
	for p := groupPath; p != ""; {
		if g := s.group(p); g != nil {
			add(g.Members)
		}
		i := strings.LastIndexByte(p, '/')
		if i < 0 {
			break
		}
		p = p[:i]
	}
	out := make([]Member, 0, len(best))
	for _, m := range best {
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b Member) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

func (s *Server) writeMembers(w http.ResponseWriter, r *http.Request, base string, members []Member) {
	query := strings.ToLower(r.URL.Query().Get("query"))
	var matched []Member
	for _, m := range members {
		if query != "" && !strings.Contains(strings.ToLower(m.Username+" "+m.Name+" "+m.Email), query) {
			continue
		}
		matched = append(matched, m)
	}
	from, to := s.offsetPage(w, r, len(matched), true)
	out := []map[string]any{}
	for _, m := range matched[from:to] {
		out = append(out, memberView(base, m))
	}
	writeJSON(w, http.StatusOK, out)
}

// groupMembers answers GET /groups/:id/members/all: direct and inherited
// members.
func (s *Server) groupMembers(w http.ResponseWriter, r *http.Request) {
	base := s.baseURL(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.group(pathValue(r, "id"))
	if g == nil {
		notFound(w, "Group")
		return
	}
	s.writeMembers(w, r, base, s.inheritedMembers(g.Path, nil))
}

// projectMembers answers GET /projects/:id/members/all.
func (s *Server) projectMembers(w http.ResponseWriter, r *http.Request) {
	base := s.baseURL(r)
	st, ok := s.project(w, r)
	if !ok {
		return
	}
	defer s.mu.Unlock()
	s.writeMembers(w, r, base, s.inheritedMembers(st.p.Namespace(), st.p.Members))
}

func userView(base string, m Member) map[string]any {
	return map[string]any{
		"id":           m.ID,
		"username":     m.Username,
		"name":         m.Name,
		"state":        "active",
		"locked":       false,
		"avatar_url":   nil,
		"web_url":      base + "/" + m.Username,
		"created_at":   "2020-01-01T00:00:00.000Z",
		"bot":          false,
		"email":        m.Email,
		"public_email": m.Email,
	}
}

// listUsers answers GET /users (username, search), as an administrator sees
// it: with email.
func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) {
	base := s.baseURL(r)
	q := r.URL.Query()
	username := strings.ToLower(q.Get("username"))
	search := strings.ToLower(q.Get("search"))
	s.mu.Lock()
	defer s.mu.Unlock()
	var matched []Member
	for _, u := range s.sortedUsers() {
		if username != "" && strings.ToLower(u.Username) != username {
			continue
		}
		if search != "" && !strings.Contains(strings.ToLower(u.Username+" "+u.Name+" "+u.Email), search) {
			continue
		}
		matched = append(matched, u)
	}
	from, to := s.offsetPage(w, r, len(matched), true)
	out := []map[string]any{}
	for _, u := range matched[from:to] {
		out = append(out, userView(base, u))
	}
	writeJSON(w, http.StatusOK, out)
}

// currentUser answers GET /user: the token's owner, an administrator bot.
func (s *Server) currentUser(w http.ResponseWriter, r *http.Request) {
	u := userView(s.baseURL(r), Member{ID: 1, Username: "switchboard-bot", Name: "Switchboard", Email: "switchboard@example.com"})
	u["is_admin"] = true
	writeJSON(w, http.StatusOK, u)
}
