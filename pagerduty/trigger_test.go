package pagerduty_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/switchboard-dev/switchboard/oncall"
	"github.com/switchboard-dev/switchboard/pagerduty"
	"github.com/switchboard-dev/switchboard/pagerduty/fakepd"
)

// page is a trigger on a sample service: through the Events API when it
// has an integration key (checkout-api), else through POST /incidents
// (auth-service).
func page(service, dedupKey string) oncall.TriggerRequest {
	return oncall.TriggerRequest{
		ServiceID:      fakepd.SampleServiceID(service),
		IntegrationKey: fakepd.SampleIntegrationKey(service),
		Summary:        "disk full on " + service,
		Details:        "paged from #incidents",
		DedupKey:       dedupKey,
		FromEmail:      fakepd.SampleEmail("Ken Thompson"),
	}
}

func TestTrigger(t *testing.T) {
	tests := []struct {
		name        string
		req         oncall.TriggerRequest
		wantVia     string
		wantUrgency string
	}{
		{"events API with the integration key", page("checkout-api", "k-events"), oncall.ViaEvents, "high"},
		{"REST without an integration key", page("auth-service", "k-rest"), oncall.ViaREST, "high"},
		{"low urgency through the events API", func() oncall.TriggerRequest {
			r := page("search-api", "k-low")
			r.Urgency = "low"
			return r
		}(), oncall.ViaEvents, "low"},
		{"low urgency through REST", func() oncall.TriggerRequest {
			r := page("permissions", "k-low-rest")
			r.Urgency = "low"
			return r
		}(), oncall.ViaREST, "low"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil, nil)
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			got, err := e.client.Trigger(ctx, tt.req)
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			incs := e.fake.Incidents()
			if len(incs) != 1 {
				t.Fatalf("got %d incidents, want 1", len(incs))
			}
			inc := incs[0]
			if got.ID != inc.ID || got.Number != inc.Number || !strings.HasSuffix(got.HTMLURL, "/incidents/"+inc.ID) ||
				got.Status != "triggered" || got.DedupKey != tt.req.DedupKey || got.ServiceID != tt.req.ServiceID || !got.Created || got.Via != tt.wantVia {
				t.Errorf("got %+v, want incident %s #%d triggered, dedup key %s, created via %s", got, inc.ID, inc.Number, tt.req.DedupKey, tt.wantVia)
			}
			if inc.Via != tt.wantVia || inc.IncidentKey != tt.req.DedupKey || inc.Title != tt.req.Summary || inc.Urgency != tt.wantUrgency {
				t.Errorf("fake got %+v, want via %s, key %s, title %q, urgency %s", inc, tt.wantVia, tt.req.DedupKey, tt.req.Summary, tt.wantUrgency)
			}
			if tt.wantVia == oncall.ViaREST && inc.From != tt.req.FromEmail {
				t.Errorf("got From %q, want %q", inc.From, tt.req.FromEmail)
			}
			if !strings.Contains(inc.Details, "paged from #incidents") {
				t.Errorf("got details %q, want them to hold %q", inc.Details, "paged from #incidents")
			}
			if tt.wantVia == oncall.ViaEvents {
				checkEvent(t, e.fake, tt.req)
			}
		})
	}
}

// checkEvent checks the one event sent to /v2/enqueue.
func checkEvent(t *testing.T, fake *fakepd.Server, req oncall.TriggerRequest) {
	t.Helper()
	var sent []fakepd.Request
	for _, r := range fake.Requests() {
		if r.Path == "/v2/enqueue" {
			sent = append(sent, r)
		}
	}
	if len(sent) != 1 {
		t.Fatalf("got %d events sent, want 1", len(sent))
	}
	if h := sent[0].Header.Get("Authorization"); h != "" {
		t.Errorf("event sent with Authorization %q, want none (the routing key authenticates)", h)
	}
	var ev struct {
		RoutingKey  string `json:"routing_key"`
		EventAction string `json:"event_action"`
		DedupKey    string `json:"dedup_key"`
		Payload     struct {
			Summary, Source, Severity string
		} `json:"payload"`
	}
	if err := json.Unmarshal(sent[0].Body, &ev); err != nil {
		t.Fatal(err)
	}
	wantSeverity := "critical"
	if req.Urgency == "low" {
		wantSeverity = "warning"
	}
	if ev.RoutingKey != req.IntegrationKey || ev.EventAction != "trigger" || ev.DedupKey != req.DedupKey ||
		ev.Payload.Summary != req.Summary || ev.Payload.Source != "switchboard" || ev.Payload.Severity != wantSeverity {
		t.Errorf("got event %+v, want trigger of %q with the routing key, dedup key %s, source switchboard, severity %s", ev, req.Summary, req.DedupKey, wantSeverity)
	}
}

func TestTriggerTwiceOpensOneIncident(t *testing.T) {
	tests := []struct {
		name       string
		service    string
		concurrent bool
	}{
		{"events API, one after the other", "checkout-api", false},
		{"REST, one after the other", "auth-service", false},
		{"events API, double click", "payment-gateway", true},
		{"REST, double click", "user-profile", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil, nil)
			req := page(tt.service, "confirmation-42")
			results := make([]oncall.Incident, 2)
			errs := make([]error, 2)
			if tt.concurrent {
				e.fake.SetLatency(20 * time.Millisecond)
				var wg sync.WaitGroup
				for i := range 2 {
					wg.Go(func() { results[i], errs[i] = e.client.Trigger(context.Background(), req) })
				}
				wg.Wait()
			} else {
				for i := range 2 {
					results[i], errs[i] = e.client.Trigger(context.Background(), req)
				}
			}
			for i, err := range errs {
				if err != nil {
					t.Fatalf("trigger %d: got error %v, want none", i+1, err)
				}
			}
			if n := len(e.fake.Incidents()); n != 1 {
				t.Fatalf("got %d incidents, want 1", n)
			}
			id := e.fake.Incidents()[0].ID
			if results[0].ID != id || results[1].ID != id {
				t.Errorf("got incidents %s and %s, want %s twice", results[0].ID, results[1].ID, id)
			}
			if !tt.concurrent && (!results[0].Created || results[1].Created) {
				t.Errorf("got created %v then %v, want true then false", results[0].Created, results[1].Created)
			}
			if !results[0].Created && !results[1].Created {
				t.Errorf("got created false twice, want one trigger to report it opened the incident")
			}
		})
	}
}

func TestTriggerFailuresAndRetries(t *testing.T) {
	tests := []struct {
		name    string
		service string
		setup   func(*fakepd.Server)
		mod     func(*oncall.TriggerRequest)
		token   string
		// deadline of the caller (default 3s, Slack's budget)
		deadline      time.Duration
		wantErr       error // nil: paged
		wantRejected  string
		wantIncidents int
		wantCreated   bool
		noLink        bool // paged, but the incident could not be looked up
		unknown       bool // the page may have gone through (TriggerOutcome Unknown)
		unreachable   bool // the client is pointed at a port nobody listens on
		// minElapsed is how long the client must have waited (a
		// Retry-After honoured): a lower bound, which real time cannot
		// break.
		minElapsed time.Duration
		// giveUpAtOnce: the client must give up before the caller's
		// deadline (PagerDuty asked to wait longer than it leaves), not
		// sleep into it. The deadline is then long (10s), so that the
		// check is on the event (the deadline passed or not), not a
		// tight wall-clock limit.
		giveUpAtOnce bool
	}{
		{name: "429 then success (REST)", service: "auth-service",
			setup:         func(f *fakepd.Server) { f.SetFaultPath("/incidents"); f.RateLimitNext(1, 0) },
			wantIncidents: 1, wantCreated: true},
		{name: "429 for 1s then success within the deadline (events)", service: "checkout-api",
			setup:         func(f *fakepd.Server) { f.SetFaultPath("/v2/enqueue"); f.RateLimitNext(1, time.Second) },
			wantIncidents: 1, wantCreated: true, minElapsed: time.Second},
		{name: "429 beyond the deadline (events)", service: "checkout-api",
			setup:    func(f *fakepd.Server) { f.SetFaultPath("/v2/enqueue"); f.RateLimitNext(10, time.Hour) },
			deadline: 10 * time.Second, wantErr: oncall.ErrRateLimited, giveUpAtOnce: true},
		{name: "429 beyond the deadline (REST)", service: "auth-service",
			setup:    func(f *fakepd.Server) { f.RateLimitNext(10, time.Hour) },
			deadline: 10 * time.Second, wantErr: oncall.ErrRateLimited, giveUpAtOnce: true},
		{name: "5xx burst then success (REST)", service: "auth-service",
			setup:         func(f *fakepd.Server) { f.FailNext(2, 500) },
			wantIncidents: 1, wantCreated: true},
		{name: "5xx burst then success (events)", service: "checkout-api",
			setup:         func(f *fakepd.Server) { f.SetFaultPath("/v2/enqueue"); f.FailNext(3, 503) },
			wantIncidents: 1, wantCreated: true},
		{name: "502s beyond the retries (REST): a gateway forwarded it", service: "auth-service",
			setup:   func(f *fakepd.Server) { f.FailNext(100, 502) },
			wantErr: oncall.ErrUnavailable, unknown: true},
		{name: "503s beyond the retries (REST)", service: "auth-service",
			setup:   func(f *fakepd.Server) { f.FailNext(100, 503) },
			wantErr: oncall.ErrUnavailable},
		{name: "5xx beyond the retries (events)", service: "checkout-api",
			setup:   func(f *fakepd.Server) { f.SetFaultPath("/v2/enqueue"); f.FailNext(100, 500) },
			wantErr: oncall.ErrUnavailable},
		{name: "hangs up after reading the request (REST)", service: "auth-service",
			setup: func(f *fakepd.Server) { f.SetDown(true) }, wantErr: oncall.ErrUnavailable, unknown: true},
		{name: "hangs up after reading the request (events)", service: "checkout-api",
			setup: func(f *fakepd.Server) { f.SetDown(true) }, wantErr: oncall.ErrUnavailable, unknown: true},
		{name: "connection refused (REST)", service: "auth-service", unreachable: true, wantErr: oncall.ErrUnavailable},
		{name: "connection refused (events)", service: "checkout-api", unreachable: true, wantErr: oncall.ErrUnavailable},
		{name: "every attempt times out", service: "auth-service",
			setup:    func(f *fakepd.Server) { f.SetLatency(time.Hour) },
			deadline: time.Second, wantErr: oncall.ErrUnavailable, unknown: true},
		{name: "accepted, every answer after the deadline (events)", service: "checkout-api",
			setup:    func(f *fakepd.Server) { f.SetFaultPath("/v2/enqueue"); f.DelayNextResponses(100, time.Hour) },
			deadline: time.Second, wantErr: oncall.ErrUnavailable, unknown: true, wantIncidents: 1},
		{name: "accepted, every answer after the deadline (REST)", service: "auth-service",
			setup:    func(f *fakepd.Server) { f.SetFaultPath("/incidents"); f.DelayNextResponses(100, time.Hour) },
			deadline: time.Second, wantErr: oncall.ErrUnavailable, unknown: true, wantIncidents: 1},
		{name: "answer lost after the incident was opened (REST)", service: "auth-service",
			setup:         func(f *fakepd.Server) { f.DelayNextResponses(1, time.Second) },
			wantIncidents: 1, wantCreated: false},
		{name: "answer lost after the event was accepted (events)", service: "checkout-api",
			setup:         func(f *fakepd.Server) { f.SetFaultPath("/v2/enqueue"); f.DelayNextResponses(1, time.Second) },
			wantIncidents: 1, wantCreated: true},
		{name: "From is no PagerDuty user", service: "auth-service",
			mod:          func(r *oncall.TriggerRequest) { r.FromEmail = "mallory@evil.example" },
			wantRejected: "Requester User Not Found"},
		{name: "no From", service: "auth-service",
			mod:          func(r *oncall.TriggerRequest) { r.FromEmail = "" },
			wantRejected: `You must specify a user's email address in the "From" header`},
		{name: "unknown routing key", service: "checkout-api",
			mod:          func(r *oncall.TriggerRequest) { r.IntegrationKey = strings.Repeat("0", 32) },
			wantRejected: "Event object is invalid: Invalid routing key"},
		{name: "unknown service (REST)", service: "auth-service",
			mod:     func(r *oncall.TriggerRequest) { r.ServiceID = "PNOPE00" },
			wantErr: oncall.ErrNotFound},
		{name: "bad token (REST)", service: "auth-service", token: "wrong", wantErr: oncall.ErrUnauthorized},
		{name: "bad REST token does not stop the events API", service: "checkout-api", token: "wrong",
			wantIncidents: 1, wantCreated: true, noLink: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil, func(c *pagerduty.Config) {
				if tt.token != "" {
					c.Token = tt.token
				}
				if tt.unreachable {
					c.APIURL, c.EventsURL = unreachable(t), unreachable(t)
				}
			})
			if tt.setup != nil {
				tt.setup(e.fake)
			}
			req := page(tt.service, "k-"+strings.ReplaceAll(tt.name, " ", "-"))
			if tt.mod != nil {
				tt.mod(&req)
			}
			deadline := tt.deadline
			if deadline == 0 {
				deadline = 3 * time.Second
			}
			ctx, cancel := context.WithTimeout(context.Background(), deadline)
			defer cancel()

			start := time.Now()
			got, err := e.client.Trigger(ctx, req)
			elapsed, deadlinePassed := time.Since(start), ctx.Err() != nil

			switch {
			case tt.wantRejected != "":
				var rej *oncall.ErrRejected
				if !errors.As(err, &rej) || !strings.Contains(rej.Message, tt.wantRejected) {
					t.Fatalf("got error %v, want ErrRejected with %q", err, tt.wantRejected)
				}
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("got error %v, want %v", err, tt.wantErr)
				}
			case err != nil:
				t.Fatalf("got error %v, want none", err)
			}
			want := oncall.Paged
			switch {
			case tt.unknown:
				want = oncall.Unknown
			case err != nil:
				want = oncall.NotPaged
			}
			if o := oncall.TriggerOutcome(err); o != want {
				t.Errorf("got outcome %s (error %v), want %s", o, err, want)
			}
			if err != nil && got != (oncall.Incident{}) {
				t.Errorf("got incident %+v with the error, want none", got)
			}
			if err == nil && ((got.ID == "") != tt.noLink || got.DedupKey != req.DedupKey || got.Created != tt.wantCreated) {
				t.Errorf("got %+v, want an incident with dedup key %s, created %v (no link: %v)", got, req.DedupKey, tt.wantCreated, tt.noLink)
			}
			if n := len(e.fake.Incidents()); n != tt.wantIncidents {
				t.Errorf("got %d incidents, want %d", n, tt.wantIncidents)
			}
			if elapsed < tt.minElapsed {
				t.Errorf("got an answer after %s, want one after at least %s", elapsed, tt.minElapsed)
			}
			if tt.giveUpAtOnce && deadlinePassed {
				t.Errorf("got an answer once the caller's deadline had passed, want one at once (PagerDuty asked to wait past it)")
			}
		})
	}
}

// unreachable is the URL of a local port nobody listens on: connections
// to it are refused.
func unreachable(t *testing.T) string {
	t.Helper()
	u, err := fakepd.UnreachableURL()
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestRateLimitErrorSaysHowLongToWait(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.fake.RateLimitNext(10, 30*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err := e.client.Trigger(ctx, page("auth-service", "k1"))
	var rl *oncall.RateLimitError
	if !errors.As(err, &rl) || rl.RetryAfter != 30*time.Second {
		t.Errorf("got %v, want a RateLimitError asking to wait 30s", err)
	}
}

func TestTriggerTruncatesLongSummaries(t *testing.T) {
	tests := []struct {
		name    string
		service string
		summary string
	}{
		{"ASCII through the events API", "checkout-api", strings.Repeat("x", 2000)},
		{"ASCII through REST", "auth-service", strings.Repeat("x", 2000)},
		{"multi-byte through the events API", "checkout-api", strings.Repeat("é", 600)},
		{"multi-byte through REST", "auth-service", strings.Repeat("日本", 300)},
		{"exactly the limit", "checkout-api", strings.Repeat("y", pagerduty.MaxSummaryLength)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil, nil)
			req := page(tt.service, "k-long")
			req.Summary = tt.summary
			if _, err := e.client.Trigger(context.Background(), req); err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			title := e.fake.Incidents()[0].Title
			if len(title) > pagerduty.MaxSummaryLength || !utf8.ValidString(title) {
				t.Errorf("got a %d-byte title (valid UTF-8: %v), want at most %d bytes of valid UTF-8", len(title), utf8.ValidString(title), pagerduty.MaxSummaryLength)
			}
			if len(tt.summary) <= pagerduty.MaxSummaryLength {
				if title != tt.summary {
					t.Errorf("got title %q, want the summary unchanged", title)
				}
				return
			}
			if !strings.HasSuffix(title, "…") || !strings.HasPrefix(tt.summary, strings.TrimSuffix(title, "…")) {
				t.Errorf("got title ending %q, want the summary's start and an ellipsis", title[max(0, len(title)-10):])
			}
		})
	}
}

func TestTriggerRefusesIncompleteRequests(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*oncall.TriggerRequest)
	}{
		{"no summary", func(r *oncall.TriggerRequest) { r.Summary = "  " }},
		{"no dedup key", func(r *oncall.TriggerRequest) { r.DedupKey = "" }},
		{"dedup key too long", func(r *oncall.TriggerRequest) { r.DedupKey = strings.Repeat("k", 256) }},
		{"bad urgency", func(r *oncall.TriggerRequest) { r.Urgency = "urgent" }},
		{"service ID with a path in it", func(r *oncall.TriggerRequest) { r.ServiceID = "P1/../../x" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil, nil)
			req := page("auth-service", "k1")
			tt.mod(&req)
			if _, err := e.client.Trigger(context.Background(), req); err == nil {
				t.Errorf("got no error, want one")
			}
			if n := len(e.fake.Requests()); n != 0 {
				t.Errorf("got %d requests, want none", n)
			}
		})
	}
}

func TestLogsHoldNoSecrets(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := context.Background()
	_, _ = e.client.OnCall(ctx, fakepd.SampleServiceID("checkout-api"))
	_, _ = e.client.Trigger(ctx, page("checkout-api", "k1"))
	_, _ = e.client.Trigger(ctx, page("auth-service", "k2"))
	e.fake.FailNext(2, 500)
	_, _ = e.client.Trigger(ctx, page("auth-service", "k3"))
	e.fake.SetDown(true)
	_, _ = e.client.Trigger(ctx, page("checkout-api", "k4"))
	logs := e.logs.String()
	if !strings.Contains(logs, "paged") || !strings.Contains(logs, "retrying") {
		t.Fatalf("got logs %q, want the pages and the retries logged", logs)
	}
	for _, secret := range []string{fakepd.SampleToken, fakepd.SampleIntegrationKey("checkout-api"), fakepd.SampleEmail("Ken Thompson")} {
		if strings.Contains(logs, secret) {
			t.Errorf("got %q in the logs, want it never logged", secret)
		}
	}
}

func TestNewChecksTheConfig(t *testing.T) {
	tests := []struct {
		name    string
		cfg     pagerduty.Config
		wantErr string
	}{
		{"no token", pagerduty.Config{}, "PAGERDUTY_TOKEN"},
		{"API URL without scheme", pagerduty.Config{Token: "t", APIURL: "api.pagerduty.com"}, "PAGERDUTY_API_URL"},
		{"events URL not http", pagerduty.Config{Token: "t", EventsURL: "ftp://events"}, "PAGERDUTY_EVENTS_URL"},
		{"page size above 100", pagerduty.Config{Token: "t", PageSize: 500}, "page size"},
		{"defaults", pagerduty.Config{Token: "t"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := pagerduty.New(tt.cfg, nil)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("got error %v, want %q", err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), tt.cfg.Token+"\"") && tt.cfg.Token != "" {
				t.Errorf("got the token in the error %v", err)
			}
		})
	}
}

// TestFindIncident: a page's incident is found by its dedup key whatever
// its status; a key PagerDuty does not hold is "not found", and a
// PagerDuty that cannot be asked is an error.
func TestFindIncident(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := context.Background()
	opened, err := e.client.Trigger(ctx, page("checkout-api", "k-find"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		service   string
		key       string
		resolve   bool
		wantFound bool
	}{
		{"on its service", fakepd.SampleServiceID("checkout-api"), "k-find", false, true},
		{"on any service (routing key only)", "", "k-find", false, true},
		{"on another service", fakepd.SampleServiceID("auth-service"), "k-find", false, false},
		{"unknown key", "", "k-nope", false, false},
		{"resolved meanwhile", "", "k-find", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.resolve {
				e.fake.ResolveIncident(opened.ID)
			}
			got, found, err := e.client.FindIncident(ctx, tt.service, tt.key)
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if found != tt.wantFound || (found && (got.ID != opened.ID || got.DedupKey != tt.key || got.HTMLURL == "")) {
				t.Errorf("got %+v found %v, want found %v (incident %s)", got, found, tt.wantFound, opened.ID)
			}
		})
	}
	e.fake.SetDown(true)
	if _, _, err := e.client.FindIncident(ctx, "", "k-find"); !errors.Is(err, oncall.ErrUnavailable) {
		t.Errorf("PagerDuty down: got %v, want ErrUnavailable", err)
	}
}
