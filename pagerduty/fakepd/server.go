// Package fakepd is a fake PagerDuty: the REST API v2 (services, escalation
// policies, schedules, users, on-calls, incidents) and the Events API v2
// (/v2/enqueue), served by one net/http handler that speaks PagerDuty's wire
// format, so the real go-pagerduty client can be pointed at it
// (WithAPIEndpoint and WithV2EventsAPIEndpoint both set to the fake's URL).
//
// It holds an organisation (users, rotations, escalation policies, services
// with optional integration keys), computes who is on call from its own
// settable clock, opens incidents (one per open dedup key and service), and
// records every request it receives. Faults can be injected: latency, a burst
// of 5xx answers, 429 answers with Retry-After and RateLimit-* headers, and a
// connection-level outage. Sample builds the demo organisation.
//
// Payload shapes follow the real payloads in the project's corpus
// (corpus/api/pagerduty/, copied into testdata/): the pygerduty fixtures for
// on-calls, users and incidents, PagerDuty's python client sample for
// escalation policies and incident lists, and go-pagerduty's service example.
package fakepd

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// TargetType is the type of an escalation rule's target, as PagerDuty spells
// it in the escalation policy payload.
type TargetType string

// The target types an escalation rule can have.
const (
	TargetUser     TargetType = "user_reference"
	TargetSchedule TargetType = "schedule_reference"
)

// DefaultHTMLBaseURL is where the fake's html_url links point (PagerDuty's
// web UI of a fictional "acme" subdomain).
const DefaultHTMLBaseURL = "https://acme.pagerduty.com"

// selfBaseURL is the base of the "self" links, as PagerDuty writes them.
const selfBaseURL = "https://api.pagerduty.com"

// User is a PagerDuty user.
type User struct {
	ID    string
	Name  string
	Email string
}

// Schedule is an on-call rotation: Users take turns, each for Shift, the
// first turn starting at Start. Before Start nobody is on call.
type Schedule struct {
	ID    string
	Name  string
	Users []string // user IDs, in rotation order
	Start time.Time
	Shift time.Duration
}

// Target is who an escalation rule notifies: a user directly or whoever is
// on call on a schedule.
type Target struct {
	Type TargetType
	ID   string
}

// Rule is one level of an escalation policy; the first rule is level 1.
type Rule struct {
	DelayMinutes int
	Targets      []Target
}

// EscalationPolicy is an ordered list of escalation rules.
type EscalationPolicy struct {
	ID    string
	Name  string
	Rules []Rule
}

// Service is a PagerDuty service. IntegrationKey, when set, is the routing
// key of its Events API v2 integration (32 characters).
type Service struct {
	ID                 string
	Name               string
	Description        string
	EscalationPolicyID string
	IntegrationKey     string
}

// Incident is an incident the fake has opened.
type Incident struct {
	ID          string
	Number      int
	Title       string
	Details     string
	Status      string // triggered, acknowledged or resolved
	Urgency     string // high or low
	IncidentKey string // the dedup key
	ServiceID   string
	CreatedAt   time.Time
	Via         string // "rest" (POST /incidents) or "events" (/v2/enqueue)
	From        string // the From header of a REST creation
	Alerts      int    // trigger events and creations folded into this incident
}

// Open reports whether the incident is triggered or acknowledged.
func (i Incident) Open() bool { return i.Status == "triggered" || i.Status == "acknowledged" }

// Request is one request the fake received, with the status it answered
// (0 when the connection was dropped).
type Request struct {
	Method string
	Path   string
	Query  string
	Header http.Header
	Body   []byte
	Status int
	At     time.Time // the fake's clock
}

// Server is the fake PagerDuty. It is an http.Handler (serve it with
// httptest.NewServer); the zero value is not usable, use New or Sample. All
// methods are safe for concurrent use.
type Server struct {
	mu sync.Mutex

	tokens      map[string]bool
	htmlBaseURL string

	now    time.Time // the fake's clock when frozen
	frozen bool

	users        map[string]*User
	userOrder    []string
	schedules    map[string]*Schedule
	schedOrder   []string
	policies     map[string]*EscalationPolicy
	policyOrder  []string
	services     map[string]*Service
	serviceOrder []string
	byRoutingKey map[string]string // integration key -> service ID

	incidents []*Incident
	// sortedIncidents is incidents by creation time (incidents.go).
	sortedIncidents []*Incident
	requests        []Request

	latency       time.Duration
	responseDelay time.Duration
	delayNext     int
	failNext      int
	failStatus    int
	limitNext     int
	retryAfter    time.Duration
	down          bool
	faultPath     string

	mux *http.ServeMux
}

// New returns an empty fake that accepts the REST API token apiToken
// (Authorization: Token token=<apiToken>). Its clock is the real time until
// SetNow is called.
func New(apiToken string) *Server {
	s := &Server{
		tokens:       map[string]bool{apiToken: true},
		htmlBaseURL:  DefaultHTMLBaseURL,
		users:        map[string]*User{},
		schedules:    map[string]*Schedule{},
		policies:     map[string]*EscalationPolicy{},
		services:     map[string]*Service{},
		byRoutingKey: map[string]string{},
	}
	s.mux = s.routes()
	return s
}

// SetNow freezes the fake's clock at t.
func (s *Server) SetNow(t time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now, s.frozen = t, true
}

// Advance moves a frozen clock forward by d (a clock that was never set is
// frozen first at the current real time).
func (s *Server) Advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.frozen {
		s.now, s.frozen = time.Now(), true
	}
	s.now = s.now.Add(d)
}

// Now is the fake's clock.
func (s *Server) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.clock()
}

func (s *Server) clock() time.Time {
	if s.frozen {
		return s.now
	}
	return time.Now()
}

// AddToken makes token a valid REST API token too.
func (s *Server) AddToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[token] = true
}

// AddUser adds (or replaces) a user. ID, Name and Email are required.
func (s *Server) AddUser(u User) error {
	if u.ID == "" || u.Name == "" || u.Email == "" {
		return fmt.Errorf("add user %q: id, name and email are required", u.ID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[u.ID]; !ok {
		s.userOrder = append(s.userOrder, u.ID)
	}
	s.users[u.ID] = &u
	return nil
}

// AddSchedule adds (or replaces) a rotation of known users.
func (s *Server) AddSchedule(sc Schedule) error {
	if sc.ID == "" || sc.Name == "" {
		return fmt.Errorf("add schedule %q: id and name are required", sc.ID)
	}
	if sc.Shift <= 0 {
		return fmt.Errorf("add schedule %q: shift must be positive, got %s", sc.ID, sc.Shift)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range sc.Users {
		if _, ok := s.users[id]; !ok {
			return fmt.Errorf("add schedule %q: unknown user %q", sc.ID, id)
		}
	}
	sc.Users = slices.Clone(sc.Users)
	if _, ok := s.schedules[sc.ID]; !ok {
		s.schedOrder = append(s.schedOrder, sc.ID)
	}
	s.schedules[sc.ID] = &sc
	return nil
}

// AddEscalationPolicy adds (or replaces) a policy whose targets are known
// users and schedules.
func (s *Server) AddEscalationPolicy(p EscalationPolicy) error {
	if p.ID == "" || p.Name == "" {
		return fmt.Errorf("add escalation policy %q: id and name are required", p.ID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rules := make([]Rule, len(p.Rules))
	for i, r := range p.Rules {
		for _, t := range r.Targets {
			switch t.Type {
			case TargetUser:
				if _, ok := s.users[t.ID]; !ok {
					return fmt.Errorf("add escalation policy %q: level %d: unknown user %q", p.ID, i+1, t.ID)
				}
			case TargetSchedule:
				if _, ok := s.schedules[t.ID]; !ok {
					return fmt.Errorf("add escalation policy %q: level %d: unknown schedule %q", p.ID, i+1, t.ID)
				}
			default:
				return fmt.Errorf("add escalation policy %q: level %d: target type %q, want %q or %q", p.ID, i+1, t.Type, TargetUser, TargetSchedule)
			}
		}
		rules[i] = Rule{DelayMinutes: r.DelayMinutes, Targets: slices.Clone(r.Targets)}
	}
	p.Rules = rules
	if _, ok := s.policies[p.ID]; !ok {
		s.policyOrder = append(s.policyOrder, p.ID)
	}
	s.policies[p.ID] = &p
	return nil
}

// AddService adds (or replaces) a service on a known escalation policy. An
// integration key, when given, must be 32 characters and not used by another
// service.
func (s *Server) AddService(svc Service) error {
	if svc.ID == "" || svc.Name == "" {
		return fmt.Errorf("add service %q: id and name are required", svc.ID)
	}
	if svc.IntegrationKey != "" && len(svc.IntegrationKey) != 32 {
		return fmt.Errorf("add service %q: integration key must be 32 characters, got %d", svc.ID, len(svc.IntegrationKey))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.policies[svc.EscalationPolicyID]; !ok {
		return fmt.Errorf("add service %q: unknown escalation policy %q", svc.ID, svc.EscalationPolicyID)
	}
	if other, ok := s.byRoutingKey[svc.IntegrationKey]; ok && other != svc.ID {
		return fmt.Errorf("add service %q: integration key already used by service %q", svc.ID, other)
	}
	if old, ok := s.services[svc.ID]; ok {
		delete(s.byRoutingKey, old.IntegrationKey)
	} else {
		s.serviceOrder = append(s.serviceOrder, svc.ID)
	}
	if svc.IntegrationKey != "" {
		s.byRoutingKey[svc.IntegrationKey] = svc.ID
	}
	s.services[svc.ID] = &svc
	return nil
}

// ResolveIncident marks an incident resolved, so that its dedup key may open
// a new incident. It reports whether the incident exists.
func (s *Server) ResolveIncident(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, inc := range s.incidents {
		if inc.ID == id {
			inc.Status = "resolved"
			return true
		}
	}
	return false
}

// Incidents returns a copy of every incident opened so far, oldest first.
func (s *Server) Incidents() []Incident {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Incident, len(s.incidents))
	for i, inc := range s.incidents {
		out[i] = *inc
	}
	return out
}

// Requests returns a copy of every request received so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// CountRequests is how many requests had this method and path (method ""
// matches any method).
func (s *Server) CountRequests(method, path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.requests {
		if (method == "" || r.Method == method) && r.Path == path {
			n++
		}
	}
	return n
}

// ResetRequests forgets the recorded requests.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

// SetLatency delays every answer by d before the request is handled (a
// request abandoned by its client meanwhile is never handled).
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// DelayNextResponses delays the answers to the next n requests by d after
// they are handled: an incident is opened even if the client gives up
// waiting for the answer (a lost answer).
func (s *Server) DelayNextResponses(n int, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delayNext, s.responseDelay = n, d
}

// FailNext makes the next n requests fail with status (a 5xx; 500 when
// status is 0) without being handled.
func (s *Server) FailNext(n, status int) {
	if status == 0 {
		status = http.StatusInternalServerError
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext, s.failStatus = n, status
}

// RateLimitNext answers the next n requests with 429, Retry-After and
// ratelimit-limit/-remaining/-reset headers saying to wait retryAfter
// (rounded up to whole seconds, as the headers carry seconds).
func (s *Server) RateLimitNext(n int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limitNext, s.retryAfter = n, retryAfter
}

// SetDown takes the fake down (every connection is closed without an
// answer) or brings it back.
func (s *Server) SetDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

// SetFaultPath limits the injected faults (latency, delayed answers, 5xx,
// 429, down) to requests whose path starts with prefix, e.g. "/v2/enqueue"
// or "/incidents"; "" (the default) applies them to every request.
func (s *Server) SetFaultPath(prefix string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faultPath = prefix
}

// SetHTMLBaseURL changes where html_url links point.
func (s *Server) SetHTMLBaseURL(u string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.htmlBaseURL = strings.TrimRight(u, "/")
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// fault is what the fault injection decided for one request.
type fault struct {
	down          bool
	latency       time.Duration
	responseDelay time.Duration
	limited       bool
	retryAfter    time.Duration
	failStatus    int
}

func (s *Server) takeFault(path string) fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !strings.HasPrefix(path, s.faultPath) {
		return fault{}
	}
	f := fault{down: s.down, latency: s.latency}
	if f.down {
		return f
	}
	if s.delayNext > 0 {
		s.delayNext--
		f.responseDelay = s.responseDelay
	}
	switch {
	case s.limitNext > 0:
		s.limitNext--
		f.limited, f.retryAfter = true, s.retryAfter
	case s.failNext > 0:
		s.failNext--
		f.failStatus = s.failStatus
	}
	return f
}

// ServeHTTP serves the REST API and the Events API v2 (POST /v2/enqueue).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	_ = r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec := Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone(), Body: body}

	f := s.takeFault(r.URL.Path)
	if f.down {
		s.record(rec, 0)
		hangUp(w)
		return
	}
	if !sleep(r, f.latency) {
		s.record(rec, 0)
		return
	}
	sw := &statusRecorder{ResponseWriter: w}
	events := r.URL.Path == "/v2/enqueue"
	switch {
	case f.limited:
		writeRateLimited(sw, events, f.retryAfter)
	case f.failStatus != 0:
		writeServerError(sw, f.failStatus)
	case !events && !s.authorized(r):
		writeError(sw, http.StatusUnauthorized, 2006, "Authentication failed")
	default:
		s.mux.ServeHTTP(&delayedWriter{statusRecorder: sw, delay: f.responseDelay, r: r}, r)
	}
	s.record(rec, sw.status)
}

// delayedWriter sleeps before the first byte of the answer goes out.
type delayedWriter struct {
	*statusRecorder
	delay time.Duration
	r     *http.Request
	slept bool
}

func (w *delayedWriter) wait() {
	if !w.slept {
		w.slept = true
		sleep(w.r, w.delay)
	}
}

func (w *delayedWriter) WriteHeader(code int) { w.wait(); w.statusRecorder.WriteHeader(code) }

func (w *delayedWriter) Write(b []byte) (int, error) { w.wait(); return w.statusRecorder.Write(b) }

func (s *Server) record(r Request, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r.Status = status
	r.At = s.clock()
	s.requests = append(s.requests, r)
}

func (s *Server) authorized(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	var tok string
	switch {
	case strings.HasPrefix(h, "Token token="):
		tok = strings.TrimPrefix(h, "Token token=")
	case strings.HasPrefix(h, "Bearer "):
		tok = strings.TrimPrefix(h, "Bearer ")
	default:
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return tok != "" && s.tokens[tok]
}

// sleep waits d or until the client goes away; it reports whether the
// client is still there.
func sleep(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

// hangUp closes the connection without an answer, as a host that is down or
// a load balancer with no backend would.
func hangUp(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler) // net/http closes the connection
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

func writeRateLimited(w http.ResponseWriter, events bool, retryAfter time.Duration) {
	secs := int((retryAfter + time.Second - 1) / time.Second)
	h := w.Header()
	h.Set("Retry-After", fmt.Sprint(secs))
	h.Set("ratelimit-limit", "960")
	h.Set("ratelimit-remaining", "0")
	h.Set("ratelimit-reset", fmt.Sprint(secs))
	if events {
		writeJSON(w, http.StatusTooManyRequests, eventResponse{Status: "throttle event", Message: "Requests for this service are arriving too quickly. Please retry later."})
		return
	}
	writeError(w, http.StatusTooManyRequests, 2020, "Rate Limit Exceeded")
}

// writeServerError answers like PagerDuty's edge does: a JSON error for 500,
// an HTML page for the gateway errors.
func writeServerError(w http.ResponseWriter, status int) {
	if status == http.StatusInternalServerError {
		writeError(w, status, 2000, "Internal Server Error")
		return
	}
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<html><body><h1>%d %s</h1></body></html>\n", status, http.StatusText(status))
}
