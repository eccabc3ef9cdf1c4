// Package fakemaven is a fake Maven repository: an http.Handler serving
// the Maven repository layout (group/path/artifact/version/artifact-version.pom,
// group/path/artifact/maven-metadata.xml) from a file system, counting
// requests per path, with latency and failure injection. A
// maven-metadata.xml the file system lacks is made from the version
// folders it holds.
package fakemaven

import (
	"encoding/xml"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
)

// Server is the fake repository. Set its fields before serving.
type Server struct {
	fsys fs.FS
	// Latency is waited before each answer.
	Latency time.Duration
	// Token, when set, must come as "Bearer TOKEN" or as the password of
	// basic authentication; otherwise the answer is 401.
	Token string
	// Username, when set with Token, must come as the user of basic
	// authentication (a bearer token is then refused): a Nexus or
	// Artifactory user token.
	Username string

	mu       sync.Mutex
	requests map[string]int
	fail     map[string]int
	failAll  int
}

// New returns a server over fsys, whose root is the repository's.
func New(fsys fs.FS) *Server {
	return &Server{fsys: fsys, requests: map[string]int{}, fail: map[string]int{}}
}

// Fail makes requests for path (as in the repository layout, no leading
// slash) answer status; 0 clears it.
func (s *Server) Fail(path string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if status == 0 {
		delete(s.fail, path)
		return
	}
	s.fail[path] = status
}

// FailAll makes every request answer status (the repository is down); 0
// clears it.
func (s *Server) FailAll(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failAll = status
}

// Requests returns how many requests each path received.
func (s *Server) Requests() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.requests))
	for k, v := range s.requests {
		out[k] = v
	}
	return out
}

// Count returns how many requests path received.
func (s *Server) Count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[path]
}

// Reset forgets the counts.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = map[string]int{}
}

// ServeHTTP answers GET and HEAD in the repository layout.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	s.mu.Lock()
	s.requests[p]++
	status := s.fail[p]
	if s.failAll != 0 {
		status = s.failAll
	}
	s.mu.Unlock()
	if s.Latency > 0 {
		select {
		case <-time.After(s.Latency):
		case <-r.Context().Done():
			return
		}
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if s.Token != "" && !s.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Basic realm="fakemaven"`)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	if status != 0 {
		http.Error(w, http.StatusText(status), status)
		return
	}
	data, err := fs.ReadFile(s.fsys, p)
	if err != nil && path.Base(p) == "maven-metadata.xml" {
		data, err = s.metadata(path.Dir(p))
	}
	if err != nil || p == "" {
		http.NotFound(w, r)
		return
	}
	if strings.HasSuffix(p, ".pom") || strings.HasSuffix(p, ".xml") {
		w.Header().Set("Content-Type", "text/xml")
	}
	_, _ = w.Write(data)
}

// authorized checks the request's credentials against Token.
func (s *Server) authorized(r *http.Request) bool {
	if user, pw, ok := r.BasicAuth(); ok {
		return pw == s.Token && (s.Username == "" || user == s.Username)
	}
	return s.Username == "" && r.Header.Get("Authorization") == "Bearer "+s.Token
}

// metadata makes the maven-metadata.xml of the artifact folder dir from
// its version folders.
func (s *Server) metadata(dir string) ([]byte, error) {
	entries, err := fs.ReadDir(s.fsys, dir)
	if err != nil {
		return nil, err
	}
	type versioning struct {
		Versions []string `xml:"versions>version"`
	}
	md := struct {
		XMLName    xml.Name   `xml:"metadata"`
		GroupID    string     `xml:"groupId"`
		ArtifactID string     `xml:"artifactId"`
		Versioning versioning `xml:"versioning"`
	}{GroupID: strings.ReplaceAll(path.Dir(dir), "/", "."), ArtifactID: path.Base(dir)}
	for _, e := range entries {
		if e.IsDir() {
			md.Versioning.Versions = append(md.Versioning.Versions, e.Name())
		}
	}
	if len(md.Versioning.Versions) == 0 {
		return nil, fs.ErrNotExist
	}
	out, err := xml.MarshalIndent(md, "", "  ")
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), out...), nil
}
