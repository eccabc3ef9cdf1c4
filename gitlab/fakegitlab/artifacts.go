package fakegitlab

import (
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
)

// JobArtifact is one file of the artifacts of a project's latest
// successful CI job of a name on a ref, as GET
// /projects/:id/jobs/artifacts/:ref_name/raw/*artifact_path?job=NAME
// serves it.
type JobArtifact struct {
	// Ref is the branch or tag the job ran on; the project's default
	// branch when empty.
	Ref string
	// Job is the job's name, e.g. "sbom".
	Job string
	// Path is the file's path inside the job's artifacts archive, e.g.
	// "build/reports/bom.json".
	Path    string
	Content []byte
	// FailStatus, when non-zero, is answered instead of the file, as
	// GitLab does when its object storage fails (500, 502, 503).
	FailStatus int
}

// SetJobArtifact adds a job artifact file to the project with this id, or
// replaces the one with the same ref, job and path; it reports whether
// the project exists.
func (s *Server) SetJobArtifact(projectID int64, a JobArtifact) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.projects[projectID]
	if st == nil {
		return false
	}
	arts := slices.Clone(st.p.JobArtifacts)
	i := slices.IndexFunc(arts, func(o JobArtifact) bool {
		return o.Ref == a.Ref && o.Job == a.Job && o.Path == a.Path
	})
	if i >= 0 {
		arts[i] = a
	} else {
		arts = append(arts, a)
	}
	st.p.JobArtifacts = arts
	return true
}

// RemoveJobArtifacts drops every job artifact of the project with this id
// (the job no longer runs, or its artifacts were erased).
func (s *Server) RemoveJobArtifacts(projectID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.projects[projectID]; st != nil {
		st.p.JobArtifacts = nil
	}
}

// jobArtifactRaw answers GET
// /projects/:id/jobs/artifacts/:ref_name/raw/*artifact_path?job=NAME:
// one file of the artifacts of the latest successful job of that name on
// that ref. A missing job parameter is 400; no such ref, job or file is
// 404, as GitLab answers.
func (s *Server) jobArtifactRaw(w http.ResponseWriter, r *http.Request) {
	st, ok := s.project(w, r)
	if !ok {
		return
	}
	job := r.URL.Query().Get("job")
	ref := pathValue(r, "ref")
	file := strings.TrimPrefix(pathValue(r, "path"), "/")
	var found *JobArtifact
	for i, a := range st.p.JobArtifacts {
		aref := a.Ref
		if aref == "" {
			aref = st.p.DefaultBranch
		}
		if aref == ref && a.Job == job && path.Clean(a.Path) == path.Clean(file) {
			found = &st.p.JobArtifacts[i]
			break
		}
	}
	var content []byte
	fail := 0
	if found != nil {
		content, fail = found.Content, found.FailStatus
	}
	s.mu.Unlock()
	switch {
	case job == "":
		badRequest(w, "job is missing")
		return
	case found == nil:
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Not Found"})
		return
	case fail != 0:
		writeJSON(w, fail, map[string]string{"message": strconv.Itoa(fail) + " " + http.StatusText(fail)})
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="`+path.Base(file)+`"; filename*=UTF-8''`+path.Base(file))
	w.Header().Set("Content-Length", strconv.Itoa(len(content)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(content)
}
