package fakepd_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/pagerduty/fakepd"
)

// now is a Wednesday afternoon: the sample's rotations are mid-week.
var now = time.Date(2026, 3, 11, 15, 4, 5, 0, time.UTC)

// answer is a decoded response.
type answer struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// call sends one request to the fake with the sample token unless the
// headers say otherwise.
func call(t *testing.T, url, method, path string, body any, headers map[string]string) answer {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Token token="+fakepd.SampleToken)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &a.body); err != nil {
			t.Fatalf("%s %s: decode %q: %v", method, path, raw, err)
		}
	}
	return a
}

func startSample(t *testing.T) (*fakepd.Server, string) {
	t.Helper()
	fake := fakepd.Sample(now)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	return fake, srv.URL
}

// at walks a decoded JSON value by a dotted path ("oncalls.0.user").
func at(t *testing.T, v any, path string) any {
	t.Helper()
	if path == "" {
		return v
	}
	for _, p := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[p]
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i >= len(x) {
				t.Fatalf("path %q: no element %q", path, p)
			}
			v = x[i]
		default:
			t.Fatalf("path %q: cannot index %T with %q", path, v, p)
		}
	}
	return v
}

// missingKeys lists the keys of want (a real payload) that got lacks,
// recursively through objects and the first element of arrays.
func missingKeys(prefix string, want, got any, ignore []string) []string {
	var out []string
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return nil
		}
		for k, wv := range w {
			name := prefix + k
			if slices.Contains(ignore, name) {
				continue
			}
			gv, ok := g[k]
			if !ok {
				out = append(out, name)
				continue
			}
			out = append(out, missingKeys(name+".", wv, gv, ignore)...)
		}
	case []any:
		g, ok := got.([]any)
		if ok && len(w) > 0 && len(g) > 0 {
			out = append(out, missingKeys(prefix+"0.", w[0], g[0], ignore)...)
		}
	}
	slices.Sort(out)
	return out
}

func readFixture(t *testing.T, name string) any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

func TestWireFormatHasTheFieldsOfRealPayloads(t *testing.T) {
	fake, url := startSample(t)
	_ = call(t, url, "POST", "/incidents", map[string]any{"incident": map[string]any{
		"type": "incident", "title": "disk full", "incident_key": "k1",
		"service": map[string]any{"id": fakepd.SampleServiceID("auth-service"), "type": "service_reference"},
	}}, map[string]string{"From": fakepd.SampleEmail("Ken Thompson")})
	inc := fake.Incidents()[0]

	tests := []struct {
		name, fixture, fixturePath string
		path, gotPath              string
		ignore                     []string
	}{
		{"oncalls list", "oncalls_list_v2.json", "", "/oncalls?escalation_policy_ids[]=EPPAY", "", nil},
		{"oncall entry", "oncalls_list_v2.json", "oncalls.0", "/oncalls?escalation_policy_ids[]=EPPAY", "oncalls.0", nil},
		{"user", "user_v2.json", "user", "/users/" + fakepd.SampleUserID(fakepd.SampleEmail("Ada Lovelace")), "user",
			// The fixture's notification rule is a full object; the fake's users have none.
			nil},
		{"incident", "incident_get_v2.json", "incident", "/incidents/" + inc.ID, "incident",
			// A priority is an account feature the fake does not have: null.
			[]string{"priority.id"}},
		{"incident in a list", "sample_incidents.json", "0", "/incidents", "incidents.0", nil},
		{"escalation policy", "sample_escalation_policies.json", "0", "/escalation_policies/EPPLA", "escalation_policy", nil},
		{"service", "service.json", "", "/services/" + fakepd.SampleServiceID("checkout-api"), "service",
			// The example has a support-hours urgency rule; the fake's is constant.
			[]string{"incident_urgency_rule.during_support_hours", "incident_urgency_rule.outside_support_hours"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := at(t, readFixture(t, tt.fixture), tt.fixturePath)
			a := call(t, url, "GET", tt.path, nil, nil)
			if a.status != http.StatusOK {
				t.Fatalf("GET %s: got status %d, want 200: %s", tt.path, a.status, a.raw)
			}
			got := at(t, a.body, tt.gotPath)
			if miss := missingKeys("", want, got, tt.ignore); len(miss) > 0 {
				t.Errorf("GET %s lacks fields of the real payload: got none of %v", tt.path, miss)
			}
		})
	}
}

func TestEnqueueAcceptsTheRealEventPayload(t *testing.T) {
	fake, url := startSample(t)
	ev := readFixture(t, "event_request_v2.json").(map[string]any)
	ev["routing_key"] = fakepd.SampleIntegrationKey("checkout-api")
	a := call(t, url, "POST", "/v2/enqueue", ev, map[string]string{"Authorization": ""})
	if a.status != http.StatusAccepted {
		t.Fatalf("got status %d, want 202: %s", a.status, a.raw)
	}
	if a.body["status"] != "success" || a.body["message"] != "Event processed" || a.body["dedup_key"] != ev["dedup_key"] {
		t.Errorf("got %v, want success, Event processed and the event's dedup key", a.body)
	}
	if got := len(fake.Incidents()); got != 1 {
		t.Errorf("got %d incidents, want 1", got)
	}
}

func TestOnCallsPaginateLikePagerDuty(t *testing.T) {
	fake := fakepd.New("tok")
	var targets []fakepd.Target
	for i := range 30 {
		id := fmt.Sprintf("PU%03d", i)
		if err := fake.AddUser(fakepd.User{ID: id, Name: fmt.Sprintf("User %d", i), Email: fmt.Sprintf("u%d@acme.example", i)}); err != nil {
			t.Fatal(err)
		}
		targets = append(targets, fakepd.Target{Type: fakepd.TargetUser, ID: id})
	}
	if err := fake.AddEscalationPolicy(fakepd.EscalationPolicy{ID: "PBIG", Name: "Big", Rules: []fakepd.Rule{{Targets: targets}}}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	auth := map[string]string{"Authorization": "Token token=tok"}

	tests := []struct {
		query            string
		wantN, wantLimit int
		wantOffset       int
		wantMore         bool
		wantTotal        any
	}{
		{"", 25, 25, 0, true, nil},
		{"&offset=25", 5, 25, 25, false, nil},
		{"&limit=10&offset=20", 10, 10, 20, false, nil},
		{"&limit=10&offset=10&total=true", 10, 10, 10, true, float64(30)},
		{"&limit=500", 30, 100, 0, false, nil},
		{"&offset=40", 0, 25, 40, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			a := call(t, srv.URL, "GET", "/oncalls?escalation_policy_ids%5B%5D=PBIG&earliest=true"+tt.query, nil, auth)
			if a.status != 200 {
				t.Fatalf("got status %d, want 200: %s", a.status, a.raw)
			}
			if got := len(a.body["oncalls"].([]any)); got != tt.wantN {
				t.Errorf("got %d oncalls, want %d", got, tt.wantN)
			}
			if a.body["limit"] != float64(tt.wantLimit) || a.body["offset"] != float64(tt.wantOffset) || a.body["more"] != tt.wantMore || a.body["total"] != tt.wantTotal {
				t.Errorf("got limit %v offset %v more %v total %v, want %d %d %v %v",
					a.body["limit"], a.body["offset"], a.body["more"], a.body["total"], tt.wantLimit, tt.wantOffset, tt.wantMore, tt.wantTotal)
			}
		})
	}
}

func TestSampleRotations(t *testing.T) {
	fake, url := startSample(t)
	start := fakepd.SampleRotationStart(now)
	if start.Weekday() != time.Monday || start.Hour() != 9 || !start.Before(now) {
		t.Fatalf("got rotation start %s, want a Monday 09:00 before %s", start, now)
	}
	payments := []string{"Ada Lovelace", "Grace Hopper", "Alan Turing", "Barbara Liskov"}
	tests := []struct {
		name          string
		advance       time.Duration
		wantPrimary   string
		wantSecondary string
		wantEnd       time.Time
	}{
		// Eight weeks after the start, with four people: the first one's turn again.
		{"this week", 0, payments[0], payments[1], start.AddDate(0, 0, 9*7)},
		{"next week", 7 * 24 * time.Hour, payments[1], payments[2], start.AddDate(0, 0, 10*7)},
		{"in three weeks", 14 * 24 * time.Hour, payments[3], payments[0], start.AddDate(0, 0, 12*7)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake.Advance(tt.advance)
			a := call(t, url, "GET", "/oncalls?escalation_policy_ids[]=EPPAY&include[]=users", nil, nil)
			entries := a.body["oncalls"].([]any)
			if len(entries) != 2 {
				t.Fatalf("got %d oncalls, want 2 (primary and secondary): %s", len(entries), a.raw)
			}
			for i, want := range []string{tt.wantPrimary, tt.wantSecondary} {
				e := entries[i].(map[string]any)
				if got := at(t, e, "user.name"); got != want {
					t.Errorf("level %d: got %v, want %s", i+1, got, want)
				}
				if got := at(t, e, "user.email"); got != fakepd.SampleEmail(want) {
					t.Errorf("level %d: got email %v, want %s", i+1, got, fakepd.SampleEmail(want))
				}
				if got := e["end"]; got != tt.wantEnd.Format(time.RFC3339) {
					t.Errorf("level %d: got end %v, want %s", i+1, got, tt.wantEnd.Format(time.RFC3339))
				}
			}
		})
	}
}

func TestSampleOrganisation(t *testing.T) {
	fake, url := startSample(t)
	teams := map[string]struct {
		levels     int
		lastTarget string
	}{
		"payments": {2, "schedule_reference"}, "identity": {2, "schedule_reference"}, "search": {2, "schedule_reference"},
		"platform": {3, "user_reference"}, "data": {2, "schedule_reference"}, "mobile": {2, "user_reference"},
		"storefront": {2, "schedule_reference"}, "backoffice": {2, "user_reference"},
	}
	for team, want := range teams {
		id := fakepd.SampleEscalationPolicyID(team)
		if id != "EP"+strings.ToUpper(team[:3]) {
			t.Errorf("%s: got policy id %s, want EP%s", team, id, strings.ToUpper(team[:3]))
		}
		a := call(t, url, "GET", "/escalation_policies/"+id, nil, nil)
		rules := at(t, a.body, "escalation_policy.escalation_rules").([]any)
		if len(rules) != want.levels {
			t.Errorf("%s: got %d levels, want %d", team, len(rules), want.levels)
			continue
		}
		if got := at(t, rules[0], "targets.0.type"); got != "schedule_reference" {
			t.Errorf("%s: level 1 targets %v, want a schedule", team, got)
		}
		if got := at(t, rules[len(rules)-1], "targets.0.type"); got != want.lastTarget {
			t.Errorf("%s: last level targets %v, want %s", team, got, want.lastTarget)
		}
	}

	a := call(t, url, "GET", "/users?query=sparck", nil, nil)
	if got := at(t, a.body, "users.0.email"); got != "karen.sparck.jones@acme.example" {
		t.Errorf("got %v, want karen.sparck.jones@acme.example", got)
	}

	seen := map[string]string{}
	for _, s := range fakepd.SampleServices() {
		if other, ok := seen[s.ID]; ok {
			t.Errorf("%s and %s share the id %s", s.Ref, other, s.ID)
		}
		seen[s.ID] = s.Ref
		a := call(t, url, "GET", "/services/"+s.ID, nil, nil)
		if a.status != 200 || at(t, a.body, "service.escalation_policy.id") != fakepd.SampleEscalationPolicyID(s.Team) {
			t.Errorf("GET /services/%s (%s): got %d %v, want 200 on %s", s.ID, s.Ref, a.status, at(t, a.body, "service.escalation_policy.id"), fakepd.SampleEscalationPolicyID(s.Team))
		}
	}
	tests := []struct {
		ref     string
		wantID  bool
		wantKey bool
	}{
		{"checkout-api", true, true},
		{"payment-gateway", true, true},
		{"auth-service", true, false},
		{"search-api", true, true},
		{"storefront/frontend", true, true},
		{"backoffice/frontend", true, false},
		{"pricing-engine", false, false},
		{"legacy-cron", false, false},
	}
	for _, tt := range tests {
		id, key := fakepd.SampleServiceID(tt.ref), fakepd.SampleIntegrationKey(tt.ref)
		if (id != "") != tt.wantID || (key != "") != tt.wantKey {
			t.Errorf("%s: got id %q key %q, want id %v key %v", tt.ref, id, key, tt.wantID, tt.wantKey)
		}
		if key != "" && len(key) != 32 {
			t.Errorf("%s: got a %d-character key, want 32", tt.ref, len(key))
		}
	}
	if got := len(fake.Requests()); got == 0 {
		t.Errorf("got no recorded requests, want every request recorded")
	}
}

func TestEnqueueValidation(t *testing.T) {
	_, url := startSample(t)
	key := fakepd.SampleIntegrationKey("checkout-api")
	event := func(mod func(map[string]any)) map[string]any {
		ev := map[string]any{
			"routing_key": key, "event_action": "trigger", "dedup_key": "d1",
			"payload": map[string]any{"summary": "disk full", "source": "switchboard", "severity": "critical"},
		}
		mod(ev)
		return ev
	}
	payload := func(ev map[string]any) map[string]any { return ev["payload"].(map[string]any) }
	tests := []struct {
		name       string
		mod        func(map[string]any)
		wantStatus int
		wantError  string
	}{
		{"valid", func(map[string]any) {}, 202, ""},
		{"short routing key", func(ev map[string]any) { ev["routing_key"] = "abc" }, 400, "'routing_key' must be 32 characters"},
		{"unknown routing key", func(ev map[string]any) { ev["routing_key"] = strings.Repeat("0", 32) }, 400, "Invalid routing key"},
		{"missing summary", func(ev map[string]any) { delete(payload(ev), "summary") }, 400, "'payload.summary' is missing or blank"},
		{"summary of 1025", func(ev map[string]any) { payload(ev)["summary"] = strings.Repeat("é", 1025) }, 400, "'payload.summary' is too long"},
		{"summary of 1024", func(ev map[string]any) { payload(ev)["summary"] = strings.Repeat("é", 1024) }, 202, ""},
		{"missing source", func(ev map[string]any) { delete(payload(ev), "source") }, 400, "'payload.source' is missing or blank"},
		{"bad severity", func(ev map[string]any) { payload(ev)["severity"] = "sev1" }, 400, "'payload.severity' is invalid"},
		{"bad action", func(ev map[string]any) { ev["event_action"] = "page" }, 400, "'event_action' is invalid"},
		{"resolve without dedup key", func(ev map[string]any) { ev["event_action"] = "resolve"; delete(ev, "dedup_key") }, 400, "'dedup_key' is missing or blank"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := call(t, url, "POST", "/v2/enqueue", event(tt.mod), nil)
			if a.status != tt.wantStatus {
				t.Fatalf("got status %d, want %d: %s", a.status, tt.wantStatus, a.raw)
			}
			if tt.wantError == "" {
				return
			}
			if a.body["status"] != "invalid event" || a.body["message"] != "Event object is invalid" {
				t.Errorf("got %v, want status \"invalid event\", message \"Event object is invalid\"", a.body)
			}
			if !strings.Contains(fmt.Sprint(a.body["errors"]), tt.wantError) {
				t.Errorf("got errors %v, want one containing %q", a.body["errors"], tt.wantError)
			}
		})
	}
}

func TestDedup(t *testing.T) {
	fake, url := startSample(t)
	trigger := map[string]any{
		"routing_key": fakepd.SampleIntegrationKey("checkout-api"), "event_action": "trigger", "dedup_key": "same",
		"payload": map[string]any{"summary": "disk full", "source": "switchboard", "severity": "critical"},
	}
	restIncident := map[string]any{"incident": map[string]any{
		"type": "incident", "title": "login broken", "incident_key": "same",
		"service": map[string]any{"id": fakepd.SampleServiceID("auth-service"), "type": "service_reference"},
	}}
	from := map[string]string{"From": fakepd.SampleEmail("Radia Perlman")}

	for range 2 {
		if a := call(t, url, "POST", "/v2/enqueue", trigger, nil); a.status != 202 || a.body["dedup_key"] != "same" {
			t.Fatalf("got %d %v, want 202 with dedup_key same", a.status, a.body)
		}
	}
	if got := fake.Incidents(); len(got) != 1 || got[0].Alerts != 2 {
		t.Fatalf("got %d incidents (%+v), want 1 with 2 alerts", len(got), got)
	}

	if a := call(t, url, "POST", "/incidents", restIncident, from); a.status != 201 {
		t.Fatalf("got %d, want 201: %s", a.status, a.raw)
	}
	a := call(t, url, "POST", "/incidents", restIncident, from)
	if a.status != 400 || !strings.Contains(a.raw, "Open incident with matching dedup key already exists on this service") {
		t.Errorf("second POST /incidents: got %d %s, want 400 Open incident with matching dedup key already exists", a.status, a.raw)
	}
	a = call(t, url, "GET", "/incidents?incident_key=same&service_ids[]="+fakepd.SampleServiceID("auth-service"), nil, nil)
	if got := len(a.body["incidents"].([]any)); got != 1 {
		t.Errorf("GET /incidents?incident_key=same on auth-service: got %d incidents, want 1", got)
	}

	// Once resolved, the same key opens a new incident.
	resolve := map[string]any{"routing_key": trigger["routing_key"], "event_action": "resolve", "dedup_key": "same"}
	call(t, url, "POST", "/v2/enqueue", resolve, nil)
	call(t, url, "POST", "/v2/enqueue", trigger, nil)
	if got := len(fake.Incidents()); got != 3 {
		t.Errorf("after resolve and trigger: got %d incidents, want 3", got)
	}
}

func TestCreateIncidentChecks(t *testing.T) {
	_, url := startSample(t)
	body := func(service string) map[string]any {
		return map[string]any{"incident": map[string]any{
			"type": "incident", "title": "login broken", "priority": nil,
			"service": map[string]any{"id": service, "type": "service_reference"},
		}}
	}
	auth := fakepd.SampleServiceID("auth-service")
	ken := fakepd.SampleEmail("Ken Thompson")
	tests := []struct {
		name       string
		headers    map[string]string
		service    string
		wantStatus int
		wantText   string
	}{
		{"no token", map[string]string{"Authorization": "", "From": ken}, auth, 401, "Authentication failed"},
		{"bad token", map[string]string{"Authorization": "Token token=nope", "From": ken}, auth, 401, "Authentication failed"},
		{"no From", nil, auth, 400, `You must specify a user's email address in the \"From\" header`},
		{"From not a user", map[string]string{"From": "mallory@evil.example"}, auth, 400, "Requester User Not Found"},
		{"unknown service", map[string]string{"From": ken}, "PNOPE00", 404, "Not Found"},
		{"created", map[string]string{"From": ken}, auth, 201, `"status":"triggered"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := call(t, url, "POST", "/incidents", body(tt.service), tt.headers)
			if a.status != tt.wantStatus || !strings.Contains(a.raw, tt.wantText) {
				t.Errorf("got %d %s, want %d with %s", a.status, a.raw, tt.wantStatus, tt.wantText)
			}
		})
	}
}

func TestFaults(t *testing.T) {
	fake, url := startSample(t)
	path := "/services/" + fakepd.SampleServiceID("checkout-api")

	fake.FailNext(2, http.StatusServiceUnavailable)
	for i, want := range []int{503, 503, 200} {
		if a := call(t, url, "GET", path, nil, nil); a.status != want {
			t.Errorf("request %d after FailNext(2): got %d, want %d", i+1, a.status, want)
		}
	}

	fake.RateLimitNext(1, 1500*time.Millisecond)
	a := call(t, url, "GET", path, nil, nil)
	if a.status != 429 || a.header.Get("Retry-After") != "2" || a.header.Get("Ratelimit-Reset") != "2" || a.header.Get("Ratelimit-Remaining") != "0" {
		t.Errorf("got %d Retry-After %q ratelimit-reset %q, want 429 with 2 and 2", a.status, a.header.Get("Retry-After"), a.header.Get("Ratelimit-Reset"))
	}
	if a := call(t, url, "GET", path, nil, nil); a.status != 200 {
		t.Errorf("after the rate-limited request: got %d, want 200", a.status)
	}

	fake.SetFaultPath("/v2/")
	fake.FailNext(1, 500)
	if a := call(t, url, "GET", path, nil, nil); a.status != 200 {
		t.Errorf("fault limited to /v2/: GET %s got %d, want 200", path, a.status)
	}
	fake.SetFaultPath("")
	fake.FailNext(0, 0)

	fake.SetDown(true)
	req, _ := http.NewRequest("GET", url+path, nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Errorf("down: got status %d, want a connection error", resp.StatusCode)
	}
	fake.SetDown(false)

	fake.SetLatency(200 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ = http.NewRequestWithContext(ctx, "GET", url+path, nil)
	req.Header.Set("Authorization", "Token token="+fakepd.SampleToken)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Errorf("latency 200ms, timeout 50ms: got status %d, want a timeout", resp.StatusCode)
	}
	fake.SetLatency(0)

	var statuses []int
	for _, r := range fake.Requests() {
		if r.Path == path {
			statuses = append(statuses, r.Status)
		}
	}
	// Then 0 for the dropped connections: one or more while down (Go's
	// transport retries a GET whose connection closed), one for the timeout.
	want := []int{503, 503, 200, 429, 200, 200}
	if len(statuses) < len(want)+2 || !slices.Equal(statuses[:len(want)], want) || slices.ContainsFunc(statuses[len(want):], func(s int) bool { return s != 0 }) {
		t.Errorf("recorded statuses: got %v, want %v then zeros", statuses, want)
	}
}
