package fakegitlab

import (
	"net/http"
	"regexp"
	"strings"
)

// protectionRules are the project's protected-branch rules, as GitLab
// lists them: the default branch's (unless DefaultBranchUnprotected), then
// ProtectedBranches.
func protectionRules(p *Project) []string {
	var rules []string
	if !p.DefaultBranchUnprotected {
		rules = append(rules, p.DefaultBranch)
	}
	for _, r := range p.ProtectedBranches {
		if r != "" && !(r == p.DefaultBranch && !p.DefaultBranchUnprotected) {
			rules = append(rules, r)
		}
	}
	return rules
}

// branchProtected reports whether a rule covers branch: its name, or a
// wildcard in which * stands for any characters, slashes included.
func branchProtected(p *Project, branch string) bool {
	for _, r := range protectionRules(p) {
		if r == branch {
			return true
		}
		if strings.Contains(r, "*") {
			re := "^" + strings.ReplaceAll(regexp.QuoteMeta(r), `\*`, ".*") + "$"
			if ok, _ := regexp.MatchString(re, branch); ok {
				return true
			}
		}
	}
	return false
}

// protectedBranchView is a rule as GET /projects/:id/protected_branches
// gives it: Maintainers may push and merge, and unprotect.
func protectedBranchView(i int, name string) map[string]any {
	level := func(id int) []map[string]any {
		return []map[string]any{{
			"id": id, "access_level": Maintainer, "access_level_description": "Maintainers",
			"deploy_key_id": nil, "user_id": nil, "group_id": nil,
		}}
	}
	id := i + 1
	return map[string]any{
		"id": id, "name": name,
		"push_access_levels":           level(3*id - 2),
		"merge_access_levels":          level(3*id - 1),
		"unprotect_access_levels":      level(3 * id),
		"allow_force_push":             false,
		"code_owner_approval_required": false,
		"inherited":                    false,
	}
}

// listProtectedBranches answers GET /projects/:id/protected_branches
// (search: part of the rule's name), with offset pagination.
func (s *Server) listProtectedBranches(w http.ResponseWriter, r *http.Request) {
	st, ok := s.project(w, r)
	if !ok {
		return
	}
	defer s.mu.Unlock()
	search := r.URL.Query().Get("search")
	var out []map[string]any
	for i, name := range protectionRules(st.p) {
		if strings.Contains(name, search) {
			out = append(out, protectedBranchView(i, name))
		}
	}
	from, to := s.offsetPage(w, r, len(out), true)
	page := []map[string]any{}
	page = append(page, out[from:to]...)
	writeJSON(w, http.StatusOK, page)
}

// getProtectedBranch answers GET /projects/:id/protected_branches/:name:
// the rule of that name (a branch a wildcard rule covers is not one: 404).
func (s *Server) getProtectedBranch(w http.ResponseWriter, r *http.Request) {
	st, ok := s.project(w, r)
	if !ok {
		return
	}
	defer s.mu.Unlock()
	name := pathValue(r, "name")
	for i, rule := range protectionRules(st.p) {
		if rule == name {
			writeJSON(w, http.StatusOK, protectedBranchView(i, rule))
			return
		}
	}
	writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Not found"})
}
