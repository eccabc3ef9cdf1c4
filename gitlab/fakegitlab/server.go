package fakegitlab

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options shape how the Server behaves, on top of what it serves.
type Options struct {
	// Token is the token requests must carry, as PRIVATE-TOKEN or
	// "Authorization: Bearer"; others get 401. Empty accepts any request.
	Token string
	// Latency delays every response, as a network round trip would.
	Latency time.Duration
	// RateLimit is the number of requests allowed per RateWindow; past it
	// requests get 429 with Retry-After until the window ends. Windows are
	// fixed and aligned on the Unix epoch, as on gitlab.com. Every response
	// then carries RateLimit-Limit, RateLimit-Observed,
	// RateLimit-Remaining, RateLimit-Reset (Unix seconds) and
	// RateLimit-ResetTime. Zero means no limit and no such headers.
	RateLimit int
	// RateWindow is the length of a rate-limit window; one minute (GitLab's)
	// when zero. The headers count in whole seconds: keep it at 1s or more.
	RateWindow time.Duration
	// ErrorRate is the fraction of requests (0 to 1) answered with a 500,
	// 502 or 503 instead of their answer.
	ErrorRate float64
	// FailPaths are full paths of projects whose every request gets a 500.
	FailPaths []string
	// WebhookSecret is sent as X-Gitlab-Token with webhook payloads.
	WebhookSecret string
	// MaxPerPage caps per_page; 100 (GitLab's cap) when zero.
	MaxPerPage int
	// Seed seeds error injection; runs with one seed fail the same
	// requests when requests come in the same order.
	Seed int64
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// NoMergedAtOrder answers merge request listings ordered by merged_at
	// with 400, as GitLab did before 17.2.
	NoMergedAtOrder bool
	// Logger receives one debug line per request; nothing is logged when
	// nil.
	Logger *slog.Logger
}

// Stats counts the requests a Server received.
type Stats struct {
	// Requests counts every request, answered or refused.
	Requests int64
	// ByRoute counts requests by route pattern, such as
	// "GET /api/v4/projects/{id}/repository/tree".
	ByRoute map[string]int64
	// RateLimited counts 429 answers.
	RateLimited int64
	// Unauthorized counts 401 answers.
	Unauthorized int64
	// Injected counts 5xx answers made by ErrorRate, FailPaths and
	// FailNext.
	Injected int64
}

// Server is the fake GitLab. It is an http.Handler; Start serves it on a
// local port.
type Server struct {
	mux        *http.ServeMux
	logger     *slog.Logger
	now        func() time.Time
	maxPerPage int

	mu        sync.Mutex // guards everything below, and the Org
	opts      Options
	failPaths map[string]bool
	failNext  []int
	rng       *rand.Rand
	winStart  int64 // start of the current rate-limit window, Unix ns
	winCount  int
	groups    []*Group
	projects  map[int64]*projectState
	byPath    map[string]int64 // lower-case full path -> id
	ids       []int64          // project ids, ascending
	users     map[int64]Member
	nextID    int64
	nextMRID  int64
	hookUUID  string
	// nextEventID, nextDeployID and hookURL: history.go.
	nextEventID, nextDeployID int64
	hookURL                   string

	requests, rateLimited, unauthorized, injected atomic.Int64
	routesMu                                      sync.Mutex
	routes                                        map[string]int64

	httpServer *http.Server
	listener   net.Listener
	url        string

	holdMu   sync.Mutex
	holds    []*hold
	refusals []*refuseRule // guarded by holdMu
}

// hold is a set of requests kept waiting (Hold).
type hold struct {
	match   func(*http.Request) bool
	arrived chan string
	release chan struct{}
	once    sync.Once
}

// Hold keeps every request for which match is true waiting, after it was
// counted and before latency, until release is called (or the request's
// client gives up): a GitLab request "in flight" for as long as a test
// needs. arrived receives the path of each request held (buffered; a
// request is held whether or not anyone reads it). release may be called
// more than once.
func (s *Server) Hold(match func(*http.Request) bool) (arrived <-chan string, release func()) {
	h := &hold{match: match, arrived: make(chan string, 256), release: make(chan struct{})}
	s.holdMu.Lock()
	s.holds = append(s.holds, h)
	s.holdMu.Unlock()
	return h.arrived, func() {
		h.once.Do(func() { close(h.release) })
		s.holdMu.Lock()
		defer s.holdMu.Unlock()
		s.holds = slices.DeleteFunc(s.holds, func(x *hold) bool { return x == h })
	}
}

// wait holds r if a Hold matches it.
func (s *Server) wait(r *http.Request) {
	s.holdMu.Lock()
	var hs []*hold
	for _, h := range s.holds {
		if h.match(r) {
			hs = append(hs, h)
		}
	}
	s.holdMu.Unlock()
	for _, h := range hs {
		select {
		case h.arrived <- r.URL.Path:
		default:
		}
		select {
		case <-h.release:
		case <-r.Context().Done():
		}
	}
}

// New returns a Server serving org. The Server owns org from then on.
func New(org *Org, opts Options) *Server {
	if opts.RateWindow <= 0 {
		opts.RateWindow = time.Minute
	}
	if opts.MaxPerPage <= 0 {
		opts.MaxPerPage = 100
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if org == nil {
		org = &Org{}
	}
	s := &Server{
		mux:        http.NewServeMux(),
		maxPerPage: opts.MaxPerPage,
		logger:     logger,
		now:        now,
		opts:       opts,
		rng:        rand.New(rand.NewPCG(uint64(opts.Seed), 0xfa4e)),
		projects:   map[int64]*projectState{},
		byPath:     map[string]int64{},
		users:      map[int64]Member{},
		nextMRID:   1,
		routes:     map[string]int64{},
		hookUUID:   newUUID(),
	}
	s.setFailPaths(opts.FailPaths)
	for i := range org.Groups {
		g := &org.Groups[i]
		s.groups = append(s.groups, g)
		for _, m := range g.Members {
			s.addUser(m)
		}
	}
	for _, p := range org.Projects {
		s.addProject(p)
	}
	s.routesInit()
	return s
}

// Start serves the fake on addr ("127.0.0.1:0" when empty) until Close.
func (s *Server) Start(addr string) error {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	s.mu.Lock()
	s.listener = l
	s.url = "http://" + l.Addr().String()
	s.httpServer = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	hs := s.httpServer
	s.mu.Unlock()
	go func() {
		if err := hs.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.logger.Error("fake gitlab stopped", "err", err)
		}
	}()
	return nil
}

// URL returns the base URL the fake serves on after Start, such as
// "http://127.0.0.1:41234"; the API is under URL()+"/api/v4".
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.url
}

// SetURL sets the base URL used in payloads (web_url, webhooks) when the
// Server is served by something other than Start, such as httptest.
func (s *Server) SetURL(url string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.url = strings.TrimSuffix(url, "/")
}

// Close stops a Server started with Start.
func (s *Server) Close() error {
	s.mu.Lock()
	hs := s.httpServer
	s.mu.Unlock()
	if hs == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := hs.Shutdown(ctx); err != nil {
		return hs.Close()
	}
	return nil
}

// Stats returns the request counts so far.
func (s *Server) Stats() Stats {
	st := Stats{
		Requests:     s.requests.Load(),
		RateLimited:  s.rateLimited.Load(),
		Unauthorized: s.unauthorized.Load(),
		Injected:     s.injected.Load(),
		ByRoute:      map[string]int64{},
	}
	s.routesMu.Lock()
	for k, v := range s.routes {
		st.ByRoute[k] = v
	}
	s.routesMu.Unlock()
	return st
}

// ResetStats sets every count back to zero.
func (s *Server) ResetStats() {
	s.requests.Store(0)
	s.rateLimited.Store(0)
	s.unauthorized.Store(0)
	s.injected.Store(0)
	s.routesMu.Lock()
	s.routes = map[string]int64{}
	s.routesMu.Unlock()
}

// SetLatency changes Options.Latency.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.Latency = d
}

// SetRateLimit changes Options.RateLimit and RateWindow (one minute when
// window is zero), starting a new window.
func (s *Server) SetRateLimit(limit int, window time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if window <= 0 {
		window = time.Minute
	}
	s.opts.RateLimit, s.opts.RateWindow = limit, window
	s.winStart, s.winCount = 0, 0
}

// SetErrorRate changes Options.ErrorRate.
func (s *Server) SetErrorRate(rate float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.ErrorRate = rate
}

// SetFailPaths changes Options.FailPaths.
func (s *Server) SetFailPaths(paths ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setFailPaths(paths)
}

func (s *Server) setFailPaths(paths []string) {
	s.failPaths = map[string]bool{}
	for _, p := range paths {
		s.failPaths[strings.ToLower(p)] = true
	}
}

// FailNext answers the next n requests (after authentication and rate
// limiting) with status, such as 500, 502, 503 or 429 (with Retry-After: 1).
func (s *Server) FailNext(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failNext = append(s.failNext, status)
	}
}

// ServeHTTP answers one API request: latency, authentication, rate
// limiting and error injection first, then the route.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, pattern := s.mux.Handler(r)
	if pattern == "" {
		pattern = "unknown"
	}
	s.requests.Add(1)
	s.routesMu.Lock()
	s.routes[pattern]++
	s.routesMu.Unlock()

	s.wait(r)
	s.mu.Lock()
	latency := s.opts.Latency
	token := s.opts.Token
	s.mu.Unlock()
	if latency > 0 {
		t := time.NewTimer(latency)
		select {
		case <-r.Context().Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
	s.logger.Debug("fake gitlab request", "method", r.Method, "path", r.URL.EscapedPath())

	if token != "" && !authorized(r, token) {
		s.unauthorized.Add(1)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "401 Unauthorized"})
		return
	}
	if !s.admit(w) {
		s.rateLimited.Add(1)
		return
	}
	if status := s.injectedStatus(); status != 0 {
		if status == http.StatusTooManyRequests {
			s.rateLimited.Add(1)
			w.Header().Set("Retry-After", "1")
			http.Error(w, "Retry later", status)
			return
		}
		s.injected.Add(1)
		writeJSON(w, status, map[string]string{"message": fmt.Sprintf("%d %s", status, http.StatusText(status))})
		return
	}
	if s.refused(w, r) {
		return
	}
	// The mux matches again, which sets the request's path values.
	s.mux.ServeHTTP(w, r)
}

func authorized(r *http.Request, token string) bool {
	if t := r.Header.Get("PRIVATE-TOKEN"); t != "" {
		return t == token
	}
	if t, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return t == token
	}
	return false
}

// admit applies the rate limit: it sets the RateLimit-* headers and, past
// the limit, answers 429 and returns false.
func (s *Server) admit(w http.ResponseWriter) bool {
	s.mu.Lock()
	limit, window := s.opts.RateLimit, s.opts.RateWindow
	if limit <= 0 {
		s.mu.Unlock()
		return true
	}
	now := s.now()
	ns, win := now.UnixNano(), window.Nanoseconds()
	start := ns - ns%win
	if start != s.winStart {
		s.winStart, s.winCount = start, 0
	}
	s.winCount++
	observed := s.winCount
	s.mu.Unlock()

	reset := time.Unix(0, start+win)
	resetSec := reset.Unix()
	if reset.Nanosecond() != 0 {
		resetSec++
	}
	h := w.Header()
	h.Set("RateLimit-Name", "throttle_authenticated_api")
	h.Set("RateLimit-Limit", strconv.Itoa(limit))
	h.Set("RateLimit-Observed", strconv.Itoa(observed))
	h.Set("RateLimit-Remaining", strconv.Itoa(max(limit-observed, 0)))
	h.Set("RateLimit-Reset", strconv.FormatInt(resetSec, 10))
	h.Set("RateLimit-ResetTime", time.Unix(resetSec, 0).UTC().Format(http.TimeFormat))
	if observed <= limit {
		return true
	}
	wait := reset.Sub(now)
	retry := int64(wait / time.Second)
	if wait%time.Second != 0 {
		retry++
	}
	h.Set("Retry-After", strconv.FormatInt(max(retry, 1), 10))
	h.Set("Content-Type", "text/plain")
	w.WriteHeader(http.StatusTooManyRequests)
	_, _ = w.Write([]byte("Retry later\n"))
	return false
}

// injectedStatus returns the status of an injected failure for this
// request, or 0.
func (s *Server) injectedStatus() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.failNext) > 0 {
		st := s.failNext[0]
		s.failNext = s.failNext[1:]
		return st
	}
	if s.opts.ErrorRate > 0 && s.rng.Float64() < s.opts.ErrorRate {
		return []int{500, 502, 503}[s.rng.IntN(3)]
	}
	return 0
}

func (s *Server) routesInit() {
	const api = "/api/v4"
	routes := []struct {
		pattern string
		h       http.HandlerFunc
	}{
		{"GET " + api + "/projects", s.listProjects},
		{"GET " + api + "/projects/{id}", s.getProject},
		{"GET " + api + "/projects/{id}/repository/tree", s.tree},
		{"GET " + api + "/projects/{id}/repository/files/{path}", s.fileJSON},
		{"GET " + api + "/projects/{id}/repository/files/{path}/raw", s.fileRaw},
		{"GET " + api + "/projects/{id}/repository/commits/{sha}", s.getCommit},
		{"POST " + api + "/projects/{id}/repository/commits", s.createCommit},
		{"GET " + api + "/projects/{id}/repository/branches/{branch}", s.getBranch},
		{"GET " + api + "/projects/{id}/protected_branches", s.listProtectedBranches},
		{"GET " + api + "/projects/{id}/protected_branches/{name}", s.getProtectedBranch},
		{"POST " + api + "/projects/{id}/repository/branches", s.createBranch},
		{"GET " + api + "/projects/{id}/repository/compare", s.compare},
		{"GET " + api + "/projects/{id}/merge_requests", s.listMergeRequests},
		{"POST " + api + "/projects/{id}/merge_requests", s.createMergeRequest},
		{"GET " + api + "/projects/{id}/merge_requests/{iid}", s.getMergeRequest},
		{"GET " + api + "/projects/{id}/members/all", s.projectMembers},
		{"GET " + api + "/projects/{id}/deployments", s.listDeployments},
		{"GET " + api + "/projects/{id}/events", s.listEvents},
		{"GET " + api + "/projects/{id}/jobs/artifacts/{ref}/raw/{path...}", s.jobArtifactRaw},
		{"GET " + api + "/groups", s.listGroups},
		{"GET " + api + "/groups/{id}", s.getGroup},
		{"GET " + api + "/groups/{id}/projects", s.groupProjects},
		{"GET " + api + "/groups/{id}/members/all", s.groupMembers},
		{"GET " + api + "/users", s.listUsers},
		{"GET " + api + "/user", s.currentUser},
		{"/", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "404 Not Found"})
		}},
	}
	for _, rt := range routes {
		s.mux.HandleFunc(rt.pattern, rt.h)
	}
}

// addUser records a user seen as a member; the first record of an id wins.
func (s *Server) addUser(m Member) {
	if m.ID == 0 {
		return
	}
	if _, ok := s.users[m.ID]; !ok {
		s.users[m.ID] = m
	}
}

// sortedUsers returns the users by id.
func (s *Server) sortedUsers() []Member {
	out := make([]Member, 0, len(s.users))
	for _, u := range s.users {
		out = append(out, u)
	}
	slices.SortFunc(out, func(a, b Member) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// group returns the group with this full path (case-insensitive) or id.
func (s *Server) group(idOrPath string) *Group {
	if id, err := strconv.ParseInt(idOrPath, 10, 64); err == nil {
		for _, g := range s.groups {
			if g.ID == id {
				return g
			}
		}
		return nil
	}
	for _, g := range s.groups {
		if strings.EqualFold(g.Path, idOrPath) {
			return g
		}
	}
	return nil
}
