package fakepd

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The REST API's wire types. Field names and order follow the real payloads
// in testdata/ (pygerduty fixtures, PagerDuty's python client samples,
// go-pagerduty's examples).

type ref struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	Summary string `json:"summary"`
	Self    string `json:"self"`
	HTMLURL string `json:"html_url"`
}

type apiError struct {
	Error apiErrorObject `json:"error"`
}

type apiErrorObject struct {
	Message string   `json:"message"`
	Code    int      `json:"code"`
	Errors  []string `json:"errors,omitempty"`
}

type userJSON struct {
	ID                string `json:"id"`
	Type              string `json:"type"`
	Summary           string `json:"summary"`
	Self              string `json:"self"`
	HTMLURL           string `json:"html_url"`
	Name              string `json:"name"`
	Email             string `json:"email"`
	TimeZone          string `json:"time_zone"`
	Color             string `json:"color"`
	Role              string `json:"role"`
	AvatarURL         string `json:"avatar_url"`
	Description       string `json:"description"`
	InvitationSent    bool   `json:"invitation_sent"`
	ContactMethods    []ref  `json:"contact_methods"`
	NotificationRules []any  `json:"notification_rules"`
	JobTitle          string `json:"job_title"`
	Teams             []ref  `json:"teams"`
}

type scheduleLayerUser struct {
	User ref `json:"user"`
}

type scheduleLayerJSON struct {
	ID                        string              `json:"id"`
	Name                      string              `json:"name"`
	Start                     string              `json:"start"`
	End                       *string             `json:"end"`
	RotationVirtualStart      string              `json:"rotation_virtual_start"`
	RotationTurnLengthSeconds int64               `json:"rotation_turn_length_seconds"`
	Users                     []scheduleLayerUser `json:"users"`
}

type scheduleJSON struct {
	ID                 string              `json:"id"`
	Type               string              `json:"type"`
	Summary            string              `json:"summary"`
	Self               string              `json:"self"`
	HTMLURL            string              `json:"html_url"`
	Name               string              `json:"name"`
	TimeZone           string              `json:"time_zone"`
	Description        string              `json:"description"`
	ScheduleLayers     []scheduleLayerJSON `json:"schedule_layers"`
	Users              []ref               `json:"users"`
	EscalationPolicies []ref               `json:"escalation_policies"`
	Teams              []ref               `json:"teams"`
}

type ruleJSON struct {
	ID                       string `json:"id"`
	EscalationDelayInMinutes int    `json:"escalation_delay_in_minutes"`
	Targets                  []ref  `json:"targets"`
}

type policyJSON struct {
	ID                         string     `json:"id"`
	Type                       string     `json:"type"`
	Summary                    string     `json:"summary"`
	Self                       string     `json:"self"`
	HTMLURL                    string     `json:"html_url"`
	Name                       string     `json:"name"`
	Description                string     `json:"description"`
	NumLoops                   int        `json:"num_loops"`
	OnCallHandoffNotifications string     `json:"on_call_handoff_notifications"`
	EscalationRules            []ruleJSON `json:"escalation_rules"`
	Services                   []ref      `json:"services"`
	Teams                      []ref      `json:"teams"`
}

type urgencyRuleJSON struct {
	Type    string `json:"type"`
	Urgency string `json:"urgency"`
}

type serviceJSON struct {
	ID                     string          `json:"id"`
	Type                   string          `json:"type"`
	Summary                string          `json:"summary"`
	Self                   string          `json:"self"`
	HTMLURL                string          `json:"html_url"`
	Name                   string          `json:"name"`
	Description            string          `json:"description"`
	AutoResolveTimeout     int             `json:"auto_resolve_timeout"`
	AcknowledgementTimeout int             `json:"acknowledgement_timeout"`
	CreatedAt              string          `json:"created_at"`
	Status                 string          `json:"status"`
	LastIncidentTimestamp  *string         `json:"last_incident_timestamp"`
	EscalationPolicy       any             `json:"escalation_policy"` // ref, or policyJSON with include[]=escalation_policies
	IncidentUrgencyRule    urgencyRuleJSON `json:"incident_urgency_rule"`
	SupportHours           any             `json:"support_hours"`
	ScheduledActions       []any           `json:"scheduled_actions"`
	Integrations           []ref           `json:"integrations"`
	Teams                  []ref           `json:"teams"`
	AlertCreation          string          `json:"alert_creation"`
}

type oncallJSON struct {
	User             any     `json:"user"` // ref, or userJSON with include[]=users
	Schedule         *ref    `json:"schedule"`
	EscalationPolicy ref     `json:"escalation_policy"`
	EscalationLevel  int     `json:"escalation_level"`
	Start            *string `json:"start"`
	End              *string `json:"end"`
}

type alertCountsJSON struct {
	All       int `json:"all"`
	Triggered int `json:"triggered"`
	Resolved  int `json:"resolved"`
}

type assignmentJSON struct {
	At       string `json:"at"`
	Assignee ref    `json:"assignee"`
}

type incidentJSON struct {
	ID                   string           `json:"id"`
	Type                 string           `json:"type"`
	Summary              string           `json:"summary"`
	Self                 string           `json:"self"`
	HTMLURL              string           `json:"html_url"`
	IncidentNumber       int              `json:"incident_number"`
	Title                string           `json:"title"`
	Description          string           `json:"description"`
	CreatedAt            string           `json:"created_at"`
	UpdatedAt            string           `json:"updated_at"`
	Status               string           `json:"status"`
	IncidentKey          *string          `json:"incident_key"`
	Service              ref              `json:"service"`
	Assignments          []assignmentJSON `json:"assignments"`
	Acknowledgements     []any            `json:"acknowledgements"`
	LastStatusChangeAt   string           `json:"last_status_change_at"`
	LastStatusChangeBy   ref              `json:"last_status_change_by"`
	FirstTriggerLogEntry ref              `json:"first_trigger_log_entry"`
	EscalationPolicy     ref              `json:"escalation_policy"`
	Teams                []ref            `json:"teams"`
	ImpactedServices     []ref            `json:"impacted_services"`
	PendingActions       []any            `json:"pending_actions"`
	AlertCounts          alertCountsJSON  `json:"alert_counts"`
	IsMergeable          bool             `json:"is_mergeable"`
	ResolveReason        any              `json:"resolve_reason"`
	Priority             any              `json:"priority"`
	Urgency              string           `json:"urgency"`
}

// page is the classic offset pagination of PagerDuty list endpoints.
type page struct {
	limit, offset int
	total         bool
}

func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /services/{id}", s.getService)
	mux.HandleFunc("GET /escalation_policies", s.listPolicies)
	mux.HandleFunc("GET /escalation_policies/{id}", s.getPolicy)
	mux.HandleFunc("GET /oncalls", s.listOnCalls)
	mux.HandleFunc("GET /users", s.listUsers)
	mux.HandleFunc("GET /users/{id}", s.getUser)
	mux.HandleFunc("GET /schedules/{id}", s.getSchedule)
	mux.HandleFunc("GET /incidents", s.listIncidents)
	mux.HandleFunc("GET /incidents/{id}", s.getIncident)
	mux.HandleFunc("POST /incidents", s.createIncident)
	mux.HandleFunc("POST /v2/enqueue", s.enqueue)
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, 2100, "Not Found")
	})
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status, code int, message string, errs ...string) {
	writeJSON(w, status, apiError{Error: apiErrorObject{Message: message, Code: code, Errors: errs}})
}

func notFound(w http.ResponseWriter) { writeError(w, http.StatusNotFound, 2100, "Not Found") }

func timestamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// listParam returns the values of a PagerDuty array parameter, which clients
// send as name[]=a&name[]=b (go-pagerduty) or name=a.
func listParam(q url.Values, name string) []string {
	return append(slices.Clone(q[name+"[]"]), q[name]...)
}

func includes(q url.Values, what string) bool { return slices.Contains(listParam(q, "include"), what) }

// parsePage reads limit, offset and total; PagerDuty's default limit is 25
// and its maximum 100.
func parsePage(q url.Values) (page, error) {
	p := page{limit: 25}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return p, fmt.Errorf("limit must be a positive integer")
		}
		p.limit = min(n, 100)
	}
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return p, fmt.Errorf("offset must be a non-negative integer")
		}
		p.offset = n
	}
	p.total = q.Get("total") == "true"
	return p, nil
}

// writePage answers a list endpoint with one page of items under key.
func writePage[T any](w http.ResponseWriter, key string, items []T, p page) {
	start := min(p.offset, len(items))
	end := min(start+p.limit, len(items))
	body := map[string]any{
		key:      append([]T{}, items[start:end]...),
		"limit":  p.limit,
		"offset": p.offset,
		"more":   end < len(items),
		"total":  nil,
	}
	if p.total {
		body["total"] = len(items)
	}
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) pageOrError(w http.ResponseWriter, r *http.Request) (page, bool) {
	p, err := parsePage(r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, 2001, "Invalid Input Provided", err.Error())
		return p, false
	}
	return p, true
}

// The renderers below are called with s.mu held.

func (s *Server) html(kind, id string) string { return s.htmlBaseURL + "/" + kind + "/" + id }

func (s *Server) userRef(u *User) ref {
	return ref{ID: u.ID, Type: "user_reference", Summary: u.Name, Self: selfBaseURL + "/users/" + u.ID, HTMLURL: s.html("users", u.ID)}
}

func (s *Server) scheduleRef(sc *Schedule) ref {
	return ref{ID: sc.ID, Type: "schedule_reference", Summary: sc.Name, Self: selfBaseURL + "/schedules/" + sc.ID, HTMLURL: s.html("schedules", sc.ID)}
}

func (s *Server) policyRef(p *EscalationPolicy) ref {
	return ref{ID: p.ID, Type: "escalation_policy_reference", Summary: p.Name, Self: selfBaseURL + "/escalation_policies/" + p.ID, HTMLURL: s.html("escalation_policies", p.ID)}
}

func (s *Server) serviceRef(svc *Service) ref {
	return ref{ID: svc.ID, Type: "service_reference", Summary: svc.Name, Self: selfBaseURL + "/services/" + svc.ID, HTMLURL: s.html("services", svc.ID)}
}

func (s *Server) userJSON(u *User) userJSON {
	return userJSON{
		ID: u.ID, Type: "user", Summary: u.Name, Self: selfBaseURL + "/users/" + u.ID, HTMLURL: s.html("users", u.ID),
		Name: u.Name, Email: u.Email, TimeZone: "Etc/UTC", Color: "green", Role: "user",
		AvatarURL:         "https://secure.gravatar.com/avatar/" + u.ID + ".png?d=mm&r=PG",
		ContactMethods:    []ref{{ID: u.ID + "E", Type: "email_contact_method_reference", Summary: "Default", Self: selfBaseURL + "/users/" + u.ID + "/contact_methods/" + u.ID + "E"}},
		NotificationRules: []any{}, Teams: []ref{},
	}
}

func (s *Server) policyJSON(p *EscalationPolicy) policyJSON {
	out := policyJSON{
		ID: p.ID, Type: "escalation_policy", Summary: p.Name, Self: selfBaseURL + "/escalation_policies/" + p.ID, HTMLURL: s.html("escalation_policies", p.ID),
		Name: p.Name, NumLoops: 0, OnCallHandoffNotifications: "if_has_services",
		EscalationRules: []ruleJSON{}, Services: []ref{}, Teams: []ref{},
	}
	for i, r := range p.Rules {
		rj := ruleJSON{ID: fmt.Sprintf("%sR%d", p.ID, i+1), EscalationDelayInMinutes: r.DelayMinutes, Targets: []ref{}}
		for _, t := range r.Targets {
			switch t.Type {
			case TargetUser:
				rj.Targets = append(rj.Targets, s.userRef(s.users[t.ID]))
			case TargetSchedule:
				rj.Targets = append(rj.Targets, s.scheduleRef(s.schedules[t.ID]))
			}
		}
		out.EscalationRules = append(out.EscalationRules, rj)
	}
	for _, id := range s.serviceOrder {
		if svc := s.services[id]; svc.EscalationPolicyID == p.ID {
			out.Services = append(out.Services, s.serviceRef(svc))
		}
	}
	return out
}

func (s *Server) serviceJSON(svc *Service, withPolicy bool) serviceJSON {
	p := s.policies[svc.EscalationPolicyID]
	out := serviceJSON{
		ID: svc.ID, Type: "service", Summary: svc.Name, Self: selfBaseURL + "/services/" + svc.ID, HTMLURL: s.html("service-directory", svc.ID),
		Name: svc.Name, Description: svc.Description, AutoResolveTimeout: 14400, AcknowledgementTimeout: 600,
		CreatedAt: "2024-01-08T09:00:00Z", Status: "active", EscalationPolicy: s.policyRef(p),
		IncidentUrgencyRule: urgencyRuleJSON{Type: "constant", Urgency: "high"},
		ScheduledActions:    []any{}, Integrations: []ref{}, Teams: []ref{}, AlertCreation: "create_alerts_and_incidents",
	}
	if withPolicy {
		out.EscalationPolicy = s.policyJSON(p)
	}
	if svc.IntegrationKey != "" {
		id := svc.ID + "I"
		out.Integrations = append(out.Integrations, ref{ID: id, Type: "events_api_v2_inbound_integration_reference", Summary: "Events API V2", Self: selfBaseURL + "/services/" + svc.ID + "/integrations/" + id, HTMLURL: s.html("services", svc.ID) + "/integrations/" + id})
	}
	for _, inc := range s.incidents {
		if inc.ServiceID == svc.ID {
			ts := timestamp(inc.CreatedAt)
			out.LastIncidentTimestamp = &ts
		}
	}
	return out
}

func (s *Server) scheduleJSON(sc *Schedule) scheduleJSON {
	out := scheduleJSON{
		ID: sc.ID, Type: "schedule", Summary: sc.Name, Self: selfBaseURL + "/schedules/" + sc.ID, HTMLURL: s.html("schedules", sc.ID),
		Name: sc.Name, TimeZone: "Etc/UTC", Users: []ref{}, EscalationPolicies: []ref{}, Teams: []ref{},
	}
	layer := scheduleLayerJSON{
		ID: sc.ID + "L", Name: "Layer 1", Start: timestamp(sc.Start), RotationVirtualStart: timestamp(sc.Start),
		RotationTurnLengthSeconds: int64(sc.Shift / time.Second), Users: []scheduleLayerUser{},
	}
	for _, id := range sc.Users {
		r := s.userRef(s.users[id])
		layer.Users = append(layer.Users, scheduleLayerUser{User: r})
		if !slices.ContainsFunc(out.Users, func(x ref) bool { return x.ID == id }) {
			out.Users = append(out.Users, r)
		}
	}
	out.ScheduleLayers = []scheduleLayerJSON{layer}
	for _, pid := range s.policyOrder {
		p := s.policies[pid]
		if slices.ContainsFunc(p.Rules, func(r Rule) bool {
			return slices.Contains(r.Targets, Target{Type: TargetSchedule, ID: sc.ID})
		}) {
			out.EscalationPolicies = append(out.EscalationPolicies, s.policyRef(p))
		}
	}
	return out
}

func (s *Server) getService(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	svc, ok := s.services[r.PathValue("id")]
	if !ok {
		notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"service": s.serviceJSON(svc, includes(r.URL.Query(), "escalation_policies"))})
}

func (s *Server) getPolicy(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.policies[r.PathValue("id")]
	if !ok {
		notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"escalation_policy": s.policyJSON(p)})
}

func (s *Server) listPolicies(w http.ResponseWriter, r *http.Request) {
	p, ok := s.pageOrError(w, r)
	if !ok {
		return
	}
	q := strings.ToLower(r.URL.Query().Get("query"))
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []policyJSON
	for _, id := range s.policyOrder {
		pol := s.policies[id]
		if q == "" || strings.Contains(strings.ToLower(pol.Name), q) {
			out = append(out, s.policyJSON(pol))
		}
	}
	writePage(w, "escalation_policies", out, p)
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[r.PathValue("id")]
	if !ok {
		notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": s.userJSON(u)})
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) {
	p, ok := s.pageOrError(w, r)
	if !ok {
		return
	}
	q := strings.ToLower(r.URL.Query().Get("query"))
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []userJSON
	for _, id := range s.userOrder {
		u := s.users[id]
		if q == "" || strings.Contains(strings.ToLower(u.Name), q) || strings.Contains(strings.ToLower(u.Email), q) {
			out = append(out, s.userJSON(u))
		}
	}
	writePage(w, "users", out, p)
}

func (s *Server) getSchedule(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sc, ok := s.schedules[r.PathValue("id")]
	if !ok {
		notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"schedule": s.scheduleJSON(sc)})
}

// shift is one turn of a schedule.
type shift struct {
	user       string
	start, end time.Time
}

// onCallAt is who is on call on sc at t, and for how long; ok is false
// before the rotation starts or when it has no users.
func (sc *Schedule) onCallAt(t time.Time) (shift, bool) {
	if len(sc.Users) == 0 || t.Before(sc.Start) {
		return shift{}, false
	}
	k := int64(t.Sub(sc.Start) / sc.Shift)
	start := sc.Start.Add(time.Duration(k) * sc.Shift)
	return shift{user: sc.Users[k%int64(len(sc.Users))], start: start, end: start.Add(sc.Shift)}, true
}

// oncallEntry is one computed on-call, before rendering.
type oncallEntry struct {
	policy     *EscalationPolicy
	level      int
	user       *User
	schedule   *Schedule // nil for a user targeted directly
	start, end time.Time // zero for a user targeted directly
}

// onCalls computes the on-calls at t for every policy, in policy, level and
// target order. With earliest, a user appears once per policy and level.
func (s *Server) onCalls(t time.Time, earliest bool) []oncallEntry {
	var out []oncallEntry
	for _, pid := range s.policyOrder {
		p := s.policies[pid]
		for i, r := range p.Rules {
			seen := map[string]bool{}
			for _, tg := range r.Targets {
				e := oncallEntry{policy: p, level: i + 1}
				switch tg.Type {
				case TargetUser:
					e.user = s.users[tg.ID]
				case TargetSchedule:
					sc := s.schedules[tg.ID]
					sh, ok := sc.onCallAt(t)
					if !ok {
						continue
					}
					e.user, e.schedule, e.start, e.end = s.users[sh.user], sc, sh.start, sh.end
				}
				if earliest && seen[e.user.ID] {
					continue
				}
				seen[e.user.ID] = true
				out = append(out, e)
			}
		}
	}
	return out
}

func (s *Server) listOnCalls(w http.ResponseWriter, r *http.Request) {
	p, ok := s.pageOrError(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	policyIDs, scheduleIDs, userIDs := listParam(q, "escalation_policy_ids"), listParam(q, "schedule_ids"), listParam(q, "user_ids")
	s.mu.Lock()
	defer s.mu.Unlock()
	at := s.clock()
	if v := q.Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			writeError(w, http.StatusBadRequest, 2004, "Invalid 'since' or 'until' Parameter Values", "since must be an ISO 8601 date time")
			return
		}
		at = t
	}
	withUsers := includes(q, "users")
	var out []oncallJSON
	for _, e := range s.onCalls(at, q.Get("earliest") == "true") {
		if len(policyIDs) > 0 && !slices.Contains(policyIDs, e.policy.ID) {
			continue
		}
		if len(userIDs) > 0 && !slices.Contains(userIDs, e.user.ID) {
			continue
		}
		if len(scheduleIDs) > 0 && (e.schedule == nil || !slices.Contains(scheduleIDs, e.schedule.ID)) {
			continue
		}
		o := oncallJSON{EscalationPolicy: s.policyRef(e.policy), EscalationLevel: e.level, User: s.userRef(e.user)}
		if withUsers {
			o.User = s.userJSON(e.user)
		}
		if e.schedule != nil {
			sr := s.scheduleRef(e.schedule)
			start, end := timestamp(e.start), timestamp(e.end)
			o.Schedule, o.Start, o.End = &sr, &start, &end
		}
		out = append(out, o)
	}
	writePage(w, "oncalls", out, p)
}

func (s *Server) incidentJSON(inc *Incident) incidentJSON {
	svc := s.services[inc.ServiceID]
	pol := s.policies[svc.EscalationPolicyID]
	created := timestamp(inc.CreatedAt)
	out := incidentJSON{
		ID: inc.ID, Type: "incident", Summary: fmt.Sprintf("[#%d] %s", inc.Number, inc.Title),
		Self: selfBaseURL + "/incidents/" + inc.ID, HTMLURL: s.html("incidents", inc.ID),
		IncidentNumber: inc.Number, Title: inc.Title, Description: inc.Title,
		CreatedAt: created, UpdatedAt: created, Status: inc.Status,
		Service: s.serviceRef(svc), Assignments: []assignmentJSON{}, Acknowledgements: []any{},
		LastStatusChangeAt: created, LastStatusChangeBy: s.serviceRef(svc),
		FirstTriggerLogEntry: ref{
			ID: inc.ID + "T", Type: "trigger_log_entry_reference", Summary: "Triggered through the API",
			Self:    selfBaseURL + "/log_entries/" + inc.ID + "T?incident_id=" + inc.ID,
			HTMLURL: s.html("incidents", inc.ID) + "/log_entries/" + inc.ID + "T",
		},
		EscalationPolicy: s.policyRef(pol), Teams: []ref{}, ImpactedServices: []ref{s.serviceRef(svc)},
		PendingActions: []any{}, IsMergeable: true, Urgency: inc.Urgency,
		AlertCounts: alertCountsJSON{},
	}
	if inc.IncidentKey != "" {
		k := inc.IncidentKey
		out.IncidentKey = &k
	}
	if inc.Via == "events" {
		out.AlertCounts.All = 1
		if inc.Open() {
			out.AlertCounts.Triggered = 1
		} else {
			out.AlertCounts.Resolved = 1
		}
	}
	if inc.Via == "rest" {
		if u := s.userByEmail(inc.From); u != nil {
			out.LastStatusChangeBy = s.userRef(u)
		}
	}
	if inc.Open() {
		for _, e := range s.onCalls(inc.CreatedAt, true) {
			if e.policy.ID == pol.ID && e.level == 1 {
				out.Assignments = append(out.Assignments, assignmentJSON{At: created, Assignee: s.userRef(e.user)})
			}
		}
	}
	return out
}

func (s *Server) userByEmail(email string) *User {
	for _, id := range s.userOrder {
		if u := s.users[id]; strings.EqualFold(u.Email, email) {
			return u
		}
	}
	return nil
}

func (s *Server) getIncident(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, inc := range s.incidents {
		if inc.ID == r.PathValue("id") {
			writeJSON(w, http.StatusOK, map[string]any{"incident": s.incidentJSON(inc)})
			return
		}
	}
	notFound(w)
}

// createIncidentBody is POST /incidents' body, as go-pagerduty sends it.
type createIncidentBody struct {
	Incident *struct {
		Type    string `json:"type"`
		Title   string `json:"title"`
		Service *struct {
			ID   string `json:"id"`
			Type string `json:"type"`
		} `json:"service"`
		Urgency     string `json:"urgency"`
		IncidentKey string `json:"incident_key"`
		Body        *struct {
			Type    string `json:"type"`
			Details string `json:"details"`
		} `json:"body"`
	} `json:"incident"`
}

func (s *Server) createIncident(w http.ResponseWriter, r *http.Request) {
	from := strings.TrimSpace(r.Header.Get("From"))
	if from == "" {
		writeError(w, http.StatusBadRequest, 2016, `You must specify a user's email address in the "From" header to perform this action`)
		return
	}
	var b createIncidentBody
	if err := json.NewDecoder(r.Body).Decode(&b); err != nil || b.Incident == nil {
		writeError(w, http.StatusBadRequest, 2001, "Invalid Input Provided", "incident must be an incident object")
		return
	}
	in := b.Incident
	var errs []string
	if in.Type != "incident" {
		errs = append(errs, "Incident type must be incident.")
	}
	if strings.TrimSpace(in.Title) == "" {
		errs = append(errs, "Title cannot be empty.")
	}
	if in.Service == nil || in.Service.ID == "" {
		errs = append(errs, "Service must be a service reference.")
	}
	switch in.Urgency {
	case "":
		in.Urgency = "high"
	case "high", "low":
	default:
		errs = append(errs, "Urgency must be one of high, low.")
	}
	if len(in.IncidentKey) > 255 {
		errs = append(errs, "Incident key is too long (maximum is 255 characters).")
	}
	if len(errs) > 0 {
		writeError(w, http.StatusBadRequest, 2001, "Invalid Input Provided", errs...)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.userByEmail(from) == nil {
		writeError(w, http.StatusBadRequest, 1008, "Requester User Not Found")
		return
	}
	svc, ok := s.services[in.Service.ID]
	if !ok {
		notFound(w)
		return
	}
	if in.IncidentKey != "" && s.openIncident(svc.ID, in.IncidentKey) != nil {
		writeError(w, http.StatusBadRequest, 2002, "Arguments Caused Error", "Open incident with matching dedup key already exists on this service")
		return
	}
	details := ""
	if in.Body != nil {
		details = in.Body.Details
	}
	inc := s.open(svc, in.Title, details, in.IncidentKey, in.Urgency, "rest", from)
	writeJSON(w, http.StatusCreated, map[string]any{"incident": s.incidentJSON(inc)})
}

// openIncident is the open incident of a service with this dedup key.
func (s *Server) openIncident(serviceID, key string) *Incident {
	for _, inc := range s.incidents {
		if inc.ServiceID == serviceID && inc.IncidentKey == key && inc.Open() {
			return inc
		}
	}
	return nil
}

// open records a new incident; s.mu is held.
func (s *Server) open(svc *Service, title, details, key, urgency, via, from string) *Incident {
	n := len(s.incidents) + 1
	inc := &Incident{
		ID: fmt.Sprintf("PINC%03d", n), Number: n, Title: title, Details: details, Status: "triggered",
		Urgency: urgency, IncidentKey: key, ServiceID: svc.ID, CreatedAt: s.clock(), Via: via, From: from, Alerts: 1,
	}
	s.incidents = append(s.incidents, inc)
	return inc
}
