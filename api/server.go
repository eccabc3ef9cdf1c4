// Package api is Switchboard's read API for other tools: JSON over HTTP
// under /api/v1/, described by an OpenAPI 3.1 file (openapi.json, served
// at /api/v1/openapi.json), behind bearer tokens (catalog.APIToken) with a
// rate limit per token. Its answers come from the same calls the slash
// commands make (Reader); the MCP server (package mcpserver) asks the same
// Reader.
package api

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/switchboard-dev/switchboard/catalog"
)

// OpenAPI is the API's description (OpenAPI 3.1), served at
// /api/v1/openapi.json.
//
//go:embed openapi.json
var OpenAPI []byte

// Authenticator checks bearer tokens (*catalog.Store).
type Authenticator interface {
	// AuthenticateAPIToken returns the valid token whose secret is token,
	// or an error matching catalog.ErrNotFound when it is unknown or
	// revoked.
	AuthenticateAPIToken(ctx context.Context, token string) (catalog.APIToken, error)
}

// Default rate limit per token: 20 requests a second, in bursts of 40.
const (
	DefaultRate  = 20
	DefaultBurst = 40
)

// Config is what the API is built from.
type Config struct {
	Reader *Reader
	// Tokens checks bearer tokens: a TokenCache in front of the store in
	// serve (a revoked token is refused as soon as its revocation is
	// heard).
	Tokens Authenticator
	// Rate and Burst are each token's limit (requests a second, burst);
	// DefaultRate and DefaultBurst when zero. The limit is per replica.
	Rate  float64
	Burst int
	// MCP, when set, is served at /mcp behind the same tokens and limits.
	MCP http.Handler
	Log *slog.Logger
}

// Route is one route of the API: mounted by Mount, enumerated by the
// tests (every route refuses requests without a valid token; every
// OpenAPI route is in openapi.json and the reverse).
type Route struct {
	// Method is the HTTP method; GET routes answer HEAD too.
	Method string
	// Path is the ServeMux pattern's path ("/api/v1/services/{ref...}").
	Path string
	// OpenAPIPath is the path as openapi.json names it; "" for routes it
	// does not describe (/mcp).
	OpenAPIPath string
	handler     http.HandlerFunc
}

// Server is the API's handlers.
type Server struct {
	cfg    Config
	log    *slog.Logger
	routes []Route

	mu       sync.Mutex
	limiters map[int64]*rate.Limiter
}

// New returns the API over cfg.
func New(cfg Config) *Server {
	if cfg.Rate <= 0 {
		cfg.Rate = DefaultRate
	}
	if cfg.Burst <= 0 {
		cfg.Burst = DefaultBurst
	}
	s := &Server{cfg: cfg, log: cfg.Log, limiters: map[int64]*rate.Limiter{}}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.routes = []Route{
		{Method: http.MethodGet, Path: "/api/v1/openapi.json", OpenAPIPath: "/api/v1/openapi.json", handler: s.openAPI},
		{Method: http.MethodGet, Path: "/api/v1/services", OpenAPIPath: "/api/v1/services", handler: s.listServices},
		{Method: http.MethodGet, Path: "/api/v1/services/{ref...}", OpenAPIPath: "/api/v1/services/{ref}", handler: s.getService},
		{Method: http.MethodGet, Path: "/api/v1/teams/{name}", OpenAPIPath: "/api/v1/teams/{name}", handler: s.getTeam},
		{Method: http.MethodGet, Path: "/api/v1/oncall/services/{ref...}", OpenAPIPath: "/api/v1/oncall/services/{ref}", handler: s.serviceOnCall},
		{Method: http.MethodGet, Path: "/api/v1/oncall/teams/{name}", OpenAPIPath: "/api/v1/oncall/teams/{name}", handler: s.teamOnCall},
		{Method: http.MethodGet, Path: "/api/v1/blast/{ref...}", OpenAPIPath: "/api/v1/blast/{ref}", handler: s.blast},
		{Method: http.MethodGet, Path: "/api/v1/changes/{ref...}", OpenAPIPath: "/api/v1/changes/{ref}", handler: s.changes},
		{Method: http.MethodGet, Path: "/api/v1/impact", OpenAPIPath: "/api/v1/impact", handler: s.impact},
		{Method: http.MethodGet, Path: "/api/v1/digest", OpenAPIPath: "/api/v1/digest", handler: digestList(s, cfg.Reader.DigestSummary)},
		{Method: http.MethodGet, Path: "/api/v1/digest/uncatalogued", OpenAPIPath: "/api/v1/digest/uncatalogued", handler: digestList(s, cfg.Reader.Uncatalogued)},
		{Method: http.MethodGet, Path: "/api/v1/digest/broken", OpenAPIPath: "/api/v1/digest/broken", handler: digestList(s, cfg.Reader.Broken)},
	}
	if cfg.MCP != nil {
		// Streamable HTTP, stateless: every message is a POST (no
		// session to resume with GET or end with DELETE).
		s.routes = append(s.routes, Route{Method: http.MethodPost, Path: "/mcp", handler: cfg.MCP.ServeHTTP})
	}
	return s
}

// Routes are the API's routes, in the order mounted.
func (s *Server) Routes() []Route { return append([]Route(nil), s.routes...) }

// Mount adds every route to mux behind authentication and the rate limit,
// plus, for each path, a JSON 405 for other methods and, under /api/v1/, a
// JSON 404 for unknown paths (both behind authentication too: nothing is
// readable, not even which paths exist, without a token).
func (s *Server) Mount(mux *http.ServeMux) {
	allowed := map[string][]string{}
	var paths []string
	for _, r := range s.routes {
		if _, ok := allowed[r.Path]; !ok {
			paths = append(paths, r.Path)
		}
		allowed[r.Path] = append(allowed[r.Path], r.Method)
		mux.Handle(r.Method+" "+r.Path, s.guard(r.handler))
	}
	for _, p := range paths {
		allow := allowed[p]
		if slices.Contains(allow, http.MethodGet) {
			allow = append(allow, http.MethodHead)
		}
		mux.Handle(p, s.guard(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			writeError(w, &Error{Status: http.StatusMethodNotAllowed, Code: CodeMethod,
				Message: r.Method + " is not allowed here; use " + strings.Join(allow, " or ")})
		}))
	}
	mux.Handle("/api/v1/", s.guard(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &Error{Status: http.StatusNotFound, Code: CodeNotFound, Message: "no such API path: " + r.URL.Path + " (see /api/v1/openapi.json)"})
	}))
}

// guard checks the bearer token, then the token's rate limit.
func (s *Server) guard(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		scheme, token, ok := strings.Cut(auth, " ")
		if auth == "" || !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="switchboard"`)
			msg := "an API token is required: Authorization: Bearer sb_… (an admin creates one with switchboard token create NAME)"
			if auth != "" {
				msg = "the Authorization header must be: Bearer sb_…"
			}
			writeError(w, &Error{Status: http.StatusUnauthorized, Code: CodeUnauthorized, Message: msg})
			return
		}
		t, err := s.cfg.Tokens.AuthenticateAPIToken(r.Context(), strings.TrimSpace(token))
		if errors.Is(err, catalog.ErrNotFound) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="switchboard", error="invalid_token"`)
			writeError(w, &Error{Status: http.StatusUnauthorized, Code: CodeUnauthorized, Message: "the API token is unknown or revoked"})
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if wait, ok := s.allow(t.ID); !ok {
			secs := int(math.Ceil(wait.Seconds()))
			w.Header().Set("Retry-After", strconv.Itoa(max(1, secs)))
			writeError(w, &Error{Status: http.StatusTooManyRequests, Code: CodeRateLimited,
				Message: "rate limit of token " + t.Name + " reached (" + strconv.FormatFloat(s.cfg.Rate, 'f', -1, 64) + " requests a second, bursts of " + strconv.Itoa(s.cfg.Burst) + "); retry after " + strconv.Itoa(max(1, secs)) + " s"})
			return
		}
		next(w, r)
	})
}

// allow takes one request from the token's bucket; when empty, it says
// how long until a request is allowed.
func (s *Server) allow(tokenID int64) (time.Duration, bool) {
	s.mu.Lock()
	l := s.limiters[tokenID]
	if l == nil {
		l = rate.NewLimiter(rate.Limit(s.cfg.Rate), s.cfg.Burst)
		s.limiters[tokenID] = l
	}
	s.mu.Unlock()
	now := time.Now()
	res := l.ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return d, false
	}
	return 0, true
}

// errorBody is {"error": {...}}.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code        string   `json:"code"`
	Message     string   `json:"message"`
	Suggestions []string `json:"suggestions,omitempty"`
	Candidates  []string `json:"candidates,omitempty"`
}

func writeError(w http.ResponseWriter, e *Error) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(errorBody{Error: errorDetail{Code: e.Code, Message: e.Message, Suggestions: e.Suggestions, Candidates: e.Candidates}})
}

// fail answers with err: an *Error as it says, a database that cannot be
// reached 503, a request that timed out 503, anything else 500 (logged,
// and told without its details).
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var e *Error
	switch {
	case errors.As(err, &e):
		writeError(w, e)
	case catalog.IsUnavailable(err) || errors.Is(err, context.DeadlineExceeded):
		s.log.WarnContext(r.Context(), "api: dependency unavailable", "path", r.URL.Path, "err", err)
		w.Header().Set("Retry-After", "5")
		writeError(w, &Error{Status: http.StatusServiceUnavailable, Code: CodeUnavailable, Message: "the catalog's database is not reachable right now; retry in a few seconds"})
	default:
		s.log.ErrorContext(r.Context(), "api: request failed", "path", r.URL.Path, "err", err)
		writeError(w, &Error{Status: http.StatusInternalServerError, Code: CodeInternal, Message: "Switchboard failed to answer; the error is logged"})
	}
}

// reply sends v as JSON with an ETag (a hash of the body): a request whose
// If-None-Match names it gets 304 without the body.
func (s *Server) reply(w http.ResponseWriter, r *http.Request, v any, err error) {
	if err != nil {
		s.fail(w, r, err)
		return
	}
	body, err := json.Marshal(v)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.replyBytes(w, r, append(body, '\n'))
}

func (s *Server) replyBytes(w http.ResponseWriter, r *http.Request, body []byte) {
	sum := sha256.Sum256(body)
	etag := `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`
	h := w.Header()
	h.Set("ETag", etag)
	h.Set("Cache-Control", "private, no-cache")
	h.Set("Vary", "Authorization")
	if etagMatch(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// etagMatch reports whether an If-None-Match header names etag (weak
// comparison, as RFC 9110 asks for If-None-Match).
func etagMatch(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) { s.replyBytes(w, r, OpenAPI) }

func intParam(r *http.Request, name string) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, invalid("%s must be a whole number, got %q", name, v)
	}
	return n, nil
}

func (s *Server) listServices(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := intParam(r, "limit")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page, err := s.cfg.Reader.ListServices(r.Context(), ServiceQuery{Cursor: q.Get("cursor"), Limit: limit, Filter: catalog.ServiceFilter{
		Team: q.Get("team"), Tier: q.Get("tier"), Lifecycle: q.Get("lifecycle"), Tag: q.Get("tag")}, Text: q.Get("q")})
	s.reply(w, r, page, err)
}

func (s *Server) getService(w http.ResponseWriter, r *http.Request) {
	v, err := s.cfg.Reader.Service(r.Context(), r.PathValue("ref"))
	s.reply(w, r, v, err)
}

func (s *Server) getTeam(w http.ResponseWriter, r *http.Request) {
	v, err := s.cfg.Reader.Team(r.Context(), r.PathValue("name"))
	s.reply(w, r, v, err)
}

func (s *Server) serviceOnCall(w http.ResponseWriter, r *http.Request) {
	v, err := s.cfg.Reader.ServiceOnCall(r.Context(), r.PathValue("ref"))
	s.reply(w, r, v, err)
}

func (s *Server) teamOnCall(w http.ResponseWriter, r *http.Request) {
	v, err := s.cfg.Reader.TeamOnCall(r.Context(), r.PathValue("name"))
	s.reply(w, r, v, err)
}

func (s *Server) blast(w http.ResponseWriter, r *http.Request) {
	page, err := intParam(r, "page")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := s.cfg.Reader.Blast(r.Context(), r.PathValue("ref"), page)
	s.reply(w, r, v, err)
}

func (s *Server) changes(w http.ResponseWriter, r *http.Request) {
	limit, err := intParam(r, "limit")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := s.cfg.Reader.Changes(r.Context(), ChangesQuery{Service: r.PathValue("ref"), Since: r.URL.Query().Get("since"), Limit: limit})
	s.reply(w, r, v, err)
}

func (s *Server) impact(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := intParam(r, "limit")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := s.cfg.Reader.Impact(r.Context(), ImpactQuery{Package: q.Get("package"), Constraint: q.Get("constraint"),
		Advisory: q.Get("advisory"), File: q.Get("file"), Cursor: q.Get("cursor"), Limit: limit})
	s.reply(w, r, v, err)
}

// digestList is a digest route: read answers the request's DigestQuery
// (group, team, cursor, limit).
func digestList[T any](s *Server, read func(context.Context, DigestQuery) (T, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		limit, err := intParam(r, "limit")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		q := r.URL.Query()
		v, err := read(r.Context(), DigestQuery{Group: q.Get("group"), Team: q.Get("team"), Cursor: q.Get("cursor"), Limit: limit})
		s.reply(w, r, v, err)
	}
}
