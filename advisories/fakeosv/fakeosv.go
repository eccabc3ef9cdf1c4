// Package fakeosv is a fake OSV API v1 over HTTP, serving a fixed set of
// OSV records, for tests and the demo: GET /v1/vulns/{id} and
// POST /v1/query, in the real API's wire format (testdata/SOURCES.md).
//
// Like osv.dev, it answers an id that is only an alias of its records (a
// CVE id of GHSA records) with a record of that id whose aliases name
// them; osv.dev's own CVE records carry more (NVD-derived ranges), which
// Switchboard does not use.
package fakeosv

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboard-dev/switchboard/advisories"
)

// Server is the fake OSV API. It is safe for concurrent use.
type Server struct {
	mu      sync.RWMutex
	records []*advisories.Record
	// PageSize is how many records one /v1/query page holds (osv.dev's is
	// 1,000 or so; tests make it small to exercise page tokens).
	PageSize int
	requests atomic.Int64
}

// New returns a fake serving recs.
func New(recs ...*advisories.Record) *Server {
	return &Server{records: recs, PageSize: 1000}
}

// FromDir returns a fake serving every *.json record in dir.
func FromDir(dir string) (*Server, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("fakeosv: %w", err)
	}
	var recs []*advisories.Record
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("fakeosv: %w", err)
		}
		r, err := advisories.Parse(b)
		if err != nil {
			return nil, fmt.Errorf("fakeosv: %s: %w", f, err)
		}
		recs = append(recs, r)
	}
	return New(recs...), nil
}

// Add serves rec too (replacing a record of the same id).
func (s *Server) Add(rec *advisories.Record) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.records = slices.DeleteFunc(s.records, func(r *advisories.Record) bool { return r.ID == rec.ID })
	s.records = append(s.records, rec)
}

// Requests returns how many API requests the fake has answered.
func (s *Server) Requests() int64 { return s.requests.Load() }

// ServeHTTP answers the API's requests.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	switch {
	case strings.HasPrefix(r.URL.Path, "/v1/vulns/"):
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", http.MethodGet)
			writeError(w, http.StatusMethodNotAllowed, 12, "Method Not Allowed")
			return
		}
		s.vuln(w, strings.TrimPrefix(r.URL.Path, "/v1/vulns/"))
	case r.URL.Path == "/v1/query":
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeError(w, http.StatusMethodNotAllowed, 12, "Method Not Allowed")
			return
		}
		s.query(w, r)
	default:
		writeError(w, http.StatusNotFound, 5, "Not Found")
	}
}

func (s *Server) vuln(w http.ResponseWriter, id string) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var aliasOf []string
	var modified time.Time
	for _, r := range s.records {
		if r.ID == id {
			writeJSON(w, r)
			return
		}
		if slices.Contains(r.Aliases, id) {
			aliasOf = append(aliasOf, r.ID)
			if r.Modified.After(modified) {
				modified = r.Modified
			}
		}
	}
	if len(aliasOf) == 0 {
		writeError(w, http.StatusNotFound, 5, "Bug not found.")
		return
	}
	slices.Sort(aliasOf)
	writeJSON(w, &advisories.Record{SchemaVersion: "1.7.0", ID: id, Modified: modified, Aliases: aliasOf})
}

// queryRequest is the body of POST /v1/query.
type queryRequest struct {
	Version string `json:"version"`
	Commit  string `json:"commit"`
	Package struct {
		Name      string `json:"name"`
		Ecosystem string `json:"ecosystem"`
		Purl      string `json:"purl"`
	} `json:"package"`
	PageToken string `json:"page_token"`
}

func (s *Server) query(w http.ResponseWriter, r *http.Request) {
	var q queryRequest
	if err := json.NewDecoder(r.Body).Decode(&q); err != nil {
		writeError(w, http.StatusBadRequest, 3, "Invalid request: "+err.Error())
		return
	}
	if q.Commit != "" {
		writeError(w, http.StatusBadRequest, 3, "fakeosv: commit queries are not served")
		return
	}
	if q.Package.Name == "" || q.Package.Ecosystem == "" {
		writeError(w, http.StatusBadRequest, 3, "Invalid query.")
		return
	}
	start := 0
	if q.PageToken != "" {
		n, err := strconv.Atoi(q.PageToken)
		if err != nil || n < 0 {
			writeError(w, http.StatusBadRequest, 3, "Invalid page token.")
			return
		}
		start = n
	}
	s.mu.RLock()
	var match []*advisories.Record
	for _, rec := range s.records {
		ok, err := matches(rec, q.Package.Ecosystem, q.Package.Name, q.Version)
		if err != nil {
			s.mu.RUnlock()
			writeError(w, http.StatusBadRequest, 3, err.Error())
			return
		}
		if ok {
			match = append(match, rec)
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(match, func(a, b *advisories.Record) int { return strings.Compare(a.ID, b.ID) })
	res := map[string]any{}
	if start < len(match) {
		end := min(start+max(s.PageSize, 1), len(match))
		res["vulns"] = match[start:end]
		if end < len(match) {
			res["next_page_token"] = strconv.Itoa(end)
		}
	}
	writeJSON(w, res)
}

// matches says whether rec affects version of the package (any version
// when version is empty).
func matches(rec *advisories.Record, ecosystem, name, version string) (bool, error) {
	if version != "" {
		ok, _, err := rec.Affected(ecosystem, name, version)
		return ok, err
	}
	key := advisories.NameKey(ecosystem, name)
	for i := range rec.Packages {
		if rec.Packages[i].Matches(ecosystem, key) {
			return true, nil
		}
	}
	return false, nil
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers as the API's gateway does: {"code": N, "message": ...},
// N a gRPC status code (3 invalid argument, 5 not found).
func writeError(w http.ResponseWriter, status, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"code": code, "message": msg})
}
