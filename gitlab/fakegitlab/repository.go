package fakegitlab

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
)

// resolveRef finds the commit a ref names: a branch, or a commit id (full
// or at least 8 characters). Empty means the default branch. Callers hold
// s.mu.
func (st *projectState) resolveRef(ref string) *commit {
	if ref == "" {
		ref = st.p.DefaultBranch
	}
	if id, ok := st.branches[ref]; ok {
		return st.commits[id]
	}
	if c, ok := st.commits[ref]; ok {
		return c
	}
	if len(ref) >= 8 {
		for id, c := range st.commits {
			if strings.HasPrefix(id, ref) {
				return c
			}
		}
	}
	return nil
}

type treeEntryJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Type string `json:"type"`
	Path string `json:"path"`
	Mode string `json:"mode"`
}

// treeEntries lists a commit's tree under dir ("" for the root), folders
// included, recursively or one level deep, ordered by path.
func treeEntries(c *commit, dir string, recursive bool) []treeEntryJSON {
	dir = strings.Trim(dir, "/")
	prefix := ""
	if dir != "" {
		prefix = dir + "/"
	}
	folders := map[string]bool{}
	var out []treeEntryJSON
	for p, content := range c.files {
		if !strings.HasPrefix(p, prefix) {
			continue
		}
		rest := p[len(prefix):]
		if !recursive {
			if i := strings.IndexByte(rest, '/'); i >= 0 {
				folders[prefix+rest[:i]] = true
				continue
			}
		} else {
			for i := 0; ; {
				j := strings.IndexByte(rest[i:], '/')
				if j < 0 {
					break
				}
				folders[prefix+rest[:i+j]] = true
				i += j + 1
			}
		}
		out = append(out, treeEntryJSON{ID: blobID(p, content), Name: path.Base(p), Type: "blob", Path: p, Mode: "100644"})
	}
	for f := range folders {
		out = append(out, treeEntryJSON{ID: treeID(c.id, f), Name: path.Base(f), Type: "tree", Path: f, Mode: "040000"})
	}
	slices.SortFunc(out, func(a, b treeEntryJSON) int { return strings.Compare(a.Path, b.Path) })
	return out
}

// tree answers GET /projects/:id/repository/tree: path, ref, recursive;
// keyset pagination (pagination=keyset, page_token = id of the last entry
// seen) or offset pagination.
func (s *Server) tree(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	recursive, _ := boolParam(r, "recursive")
	keyset := q.Get("pagination") == "keyset"
	_, perPage := s.pageParams(r)
	st, ok := s.project(w, r)
	if !ok {
		return
	}
	c := st.resolveRef(q.Get("ref"))
	if c == nil {
		s.mu.Unlock()
		notFound(w, "Tree")
		return
	}
	entries := treeEntries(c, q.Get("path"), recursive)
	s.mu.Unlock()
	if q.Get("path") != "" && len(entries) == 0 {
		notFound(w, "Tree")
		return
	}
	if keyset {
		from := 0
		if tok := q.Get("page_token"); tok != "" {
			i := slices.IndexFunc(entries, func(e treeEntryJSON) bool { return e.ID == tok })
			if i < 0 {
				badRequest(w, "400 Bad request - page_token is invalid")
				return
			}
			from = i + 1
		}
		to := min(from+perPage, len(entries))
		page := entries[from:to]
		if to < len(entries) {
			s.setKeysetNext(w, r, map[string]string{"page_token": page[len(page)-1].ID})
		}
		writeJSON(w, http.StatusOK, page)
		return
	}
	from, to := s.offsetPage(w, r, len(entries), false)
	writeJSON(w, http.StatusOK, entries[from:to])
}

// fileHeaders sets the X-Gitlab-* headers of the file endpoints.
func fileHeaders(w http.ResponseWriter, filePath, ref string, c *commit, content []byte) {
	sum := sha256.Sum256(content)
	h := w.Header()
	h.Set("X-Gitlab-Blob-Id", blobID(filePath, content))
	h.Set("X-Gitlab-Commit-Id", c.id)
	h.Set("X-Gitlab-Content-Sha256", hex.EncodeToString(sum[:]))
	h.Set("X-Gitlab-Encoding", "base64")
	h.Set("X-Gitlab-Execute-Filemode", "false")
	h.Set("X-Gitlab-File-Name", path.Base(filePath))
	h.Set("X-Gitlab-File-Path", filePath)
	h.Set("X-Gitlab-Last-Commit-Id", c.id)
	h.Set("X-Gitlab-Ref", ref)
	h.Set("X-Gitlab-Size", strconv.Itoa(len(content)))
}

// file finds the requested file; it answers 404 itself.
func (s *Server) file(w http.ResponseWriter, r *http.Request) (c *commit, filePath, ref string, content []byte, ok bool) {
	st, ok := s.project(w, r)
	if !ok {
		return nil, "", "", nil, false
	}
	defer s.mu.Unlock()
	ref = r.URL.Query().Get("ref")
	if ref == "" {
		ref = st.p.DefaultBranch
	}
	c = st.resolveRef(ref)
	filePath = pathValue(r, "path")
	if c == nil {
		notFound(w, "File")
		return nil, "", "", nil, false
	}
	content, found := c.files[filePath]
	if !found {
		notFound(w, "File")
		return nil, "", "", nil, false
	}
	return c, filePath, ref, content, true
}

// fileRaw answers GET (and HEAD) /projects/:id/repository/files/:path/raw.
func (s *Server) fileRaw(w http.ResponseWriter, r *http.Request) {
	c, filePath, ref, content, ok := s.file(w, r)
	if !ok {
		return
	}
	fileHeaders(w, filePath, ref, c, content)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(content)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(content)
}

// fileJSON answers GET (and HEAD) /projects/:id/repository/files/:path with
// the base64 JSON form.
func (s *Server) fileJSON(w http.ResponseWriter, r *http.Request) {
	c, filePath, ref, content, ok := s.file(w, r)
	if !ok {
		return
	}
	fileHeaders(w, filePath, ref, c, content)
	sum := sha256.Sum256(content)
	writeJSON(w, http.StatusOK, map[string]any{
		"file_name":        path.Base(filePath),
		"file_path":        filePath,
		"size":             len(content),
		"encoding":         "base64",
		"content":          base64.StdEncoding.EncodeToString(content),
		"content_sha256":   hex.EncodeToString(sum[:]),
		"ref":              ref,
		"blob_id":          blobID(filePath, content),
		"commit_id":        c.id,
		"last_commit_id":   c.id,
		"execute_filemode": false,
	})
}

// commitView renders a commit as the API does.
func commitView(base string, p *Project, c *commit) map[string]any {
	parents := []string{}
	if c.parent != "" {
		parents = append(parents, c.parent)
	}
	at := gitlabTime(c.at)
	return map[string]any{
		"id":              c.id,
		"short_id":        c.id[:8],
		"created_at":      at,
		"parent_ids":      parents,
		"title":           c.title(),
		"message":         c.message,
		"author_name":     c.authorName,
		"author_email":    c.authorEmail,
		"authored_date":   at,
		"committer_name":  c.authorName,
		"committer_email": c.authorEmail,
		"committed_date":  at,
		"trailers":        map[string]string{},
		"web_url":         base + "/" + p.Path + "/-/commit/" + c.id,
	}
}

// getCommit answers GET /projects/:id/repository/commits/:sha, where sha may
// be a branch name too.
func (s *Server) getCommit(w http.ResponseWriter, r *http.Request) {
	base := s.baseURL(r)
	st, ok := s.project(w, r)
	if !ok {
		return
	}
	defer s.mu.Unlock()
	c := st.resolveRef(pathValue(r, "sha"))
	if c == nil {
		notFound(w, "Commit")
		return
	}
	writeJSON(w, http.StatusOK, commitView(base, st.p, c))
}

func branchView(base string, p *Project, name string, c *commit) map[string]any {
	return map[string]any{
		"name":                 name,
		"commit":               commitView(base, p, c),
		"merged":               false,
		"protected":            branchProtected(p, name),
		"default":              name == p.DefaultBranch,
		"developers_can_push":  false,
		"developers_can_merge": false,
		"can_push":             true,
		"web_url":              base + "/" + p.Path + "/-/tree/" + name,
	}
}

// getBranch answers GET /projects/:id/repository/branches/:branch.
func (s *Server) getBranch(w http.ResponseWriter, r *http.Request) {
	base := s.baseURL(r)
	st, ok := s.project(w, r)
	if !ok {
		return
	}
	defer s.mu.Unlock()
	name := pathValue(r, "branch")
	id, found := st.branches[name]
	if !found {
		notFound(w, "Branch")
		return
	}
	writeJSON(w, http.StatusOK, branchView(base, st.p, name, st.commits[id]))
}

// createBranch answers POST /projects/:id/repository/branches (branch,
// ref).
func (s *Server) createBranch(w http.ResponseWriter, r *http.Request) {
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
	name, ref := param(body, r, "branch"), param(body, r, "ref")
	if name == "" || ref == "" {
		badRequest(w, "400 Bad request - branch is missing, ref is missing")
		return
	}
	if _, exists := st.branches[name]; exists {
		badRequest(w, "Branch already exists")
		return
	}
	c := st.resolveRef(ref)
	if c == nil {
		badRequest(w, "Invalid reference name: "+ref)
		return
	}
	st.branches[name] = c.id
	writeJSON(w, http.StatusCreated, branchView(base, st.p, name, c))
}

// compare answers GET /projects/:id/repository/compare (from, to): the
// commits between and the changed paths, with a small diff of each.
func (s *Server) compare(w http.ResponseWriter, r *http.Request) {
	base := s.baseURL(r)
	q := r.URL.Query()
	st, ok := s.project(w, r)
	if !ok {
		return
	}
	defer s.mu.Unlock()
	from, to := st.resolveRef(q.Get("from")), st.resolveRef(q.Get("to"))
	if from == nil || to == nil || q.Get("from") == "" || q.Get("to") == "" {
		notFound(w, "Ref")
		return
	}
	var commits []map[string]any
	for c := to; c != nil && c.id != from.id; c = st.commits[c.parent] {
		commits = append(commits, commitView(base, st.p, c))
		if c.parent == "" {
			break
		}
	}
	slices.Reverse(commits)
	if commits == nil {
		commits = []map[string]any{}
	}
	var paths []string
	for p := range from.files {
		paths = append(paths, p)
	}
	for p := range to.files {
		if _, ok := from.files[p]; !ok {
			paths = append(paths, p)
		}
	}
	slices.Sort(paths)
	diffs := []map[string]any{}
	for _, p := range paths {
		old, inOld := from.files[p]
		cur, inNew := to.files[p]
		if inOld && inNew && string(old) == string(cur) {
			continue
		}
		diffs = append(diffs, map[string]any{
			"old_path":     p,
			"new_path":     p,
			"a_mode":       map[bool]string{true: "100644", false: "0"}[inOld],
			"b_mode":       map[bool]string{true: "100644", false: "0"}[inNew],
			"new_file":     !inOld,
			"renamed_file": false,
			"deleted_file": !inNew,
			"diff":         smallDiff(old, cur),
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"commit":           commitView(base, st.p, to),
		"commits":          commits,
		"diffs":            diffs,
		"compare_timeout":  false,
		"compare_same_ref": from.id == to.id,
		"web_url":          base + "/" + st.p.Path + "/-/compare/" + from.id + "..." + to.id,
	})
}

// smallDiff is a crude unified diff: every old line removed, every new
// line added. Enough to look like GitLab's; nobody should parse it.
func smallDiff(old, cur []byte) string {
	var b strings.Builder
	ol, nl := splitDiffLines(old), splitDiffLines(cur)
	b.WriteString("@@ -1," + strconv.Itoa(len(ol)) + " +1," + strconv.Itoa(len(nl)) + " @@\n")
	for _, l := range ol {
		b.WriteString("-" + l + "\n")
	}
	for _, l := range nl {
		b.WriteString("+" + l + "\n")
	}
	return b.String()
}

func splitDiffLines(b []byte) []string {
	if len(b) == 0 {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}
