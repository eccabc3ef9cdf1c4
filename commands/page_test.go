package commands_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
	"github.com/switchboard-dev/switchboard/internal/pagetest"
	"github.com/switchboard-dev/switchboard/oncall"
	"github.com/switchboard-dev/switchboard/pagerduty"
	"github.com/switchboard-dev/switchboard/pagerduty/fakepd"
)

// confirmToken returns the token of a confirmation's Page button, failing
// the test when the reply is no confirmation.
func confirmToken(t *testing.T, resp commands.Response) string {
	t.Helper()
	for _, b := range buttons(resp) {
		if tok, ok := strings.CutPrefix(b.Command, "/page --confirm "); ok {
			if b.Style != "danger" {
				t.Errorf("got Page button style %q, want danger", b.Style)
			}
			return tok
		}
	}
	t.Fatalf("got no Page button; reply:\n%s", flatten(resp))
	return ""
}

// audits returns the results of the "page" audit entries about subject,
// oldest first.
func (e *pageEnv) audits(t *testing.T, subject string) []string {
	t.Helper()
	entries, err := e.store.AuditLog(context.Background(), subject, 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(entries) - 1; i >= 0; i-- {
		if entries[i].Action == "page" {
			out = append(out, entries[i].Result)
		}
	}
	return out
}

func (e *pageEnv) checkIncidents(t *testing.T, want int) []fakepd.Incident {
	t.Helper()
	incs := e.fake.Incidents()
	if len(incs) != want {
		t.Fatalf("got %d incidents in PagerDuty, want %d: %+v", len(incs), want, incs)
	}
	return incs
}

func TestPageConfirmation(t *testing.T) {
	e := newPageEnv(t, pageOptions{})
	adaID, adaName := e.levelOne(t, "checkout-api")
	tests := []struct {
		name    string
		line    string
		user    commands.User
		want    []string
		notWant []string
	}{
		{"with a message", "/page checkout-api disk full", ada, []string{"H:Page checkout-api?", "Service=checkout-api (team payments)",
			"Pages (on call now)=" + adaName, "Message=disk full", "How=PagerDuty Events API", "button:/page --cancel ", "expires at 15:19 UTC"}, []string{"already paged"}},
		{"default message", "/page checkout-api", ada, []string{"Message=Paged from Slack by ada.lovelace"}, nil},
		{"through REST in the requester's name", "/page auth-service login down", ada, []string{"H:Page auth-service?", "How=a PagerDuty incident opened in your name (ada.lovelace@acme.example)"}, nil},
		{"ambiguous: the picker keeps the message", "/page frontend checkout is blank", ada, []string{"2 services are called",
			"option:/page storefront/frontend checkout is blank", "option:/page backoffice/frontend checkout is blank"}, []string{"H:"}},
		{"misspelt", "/page chekout-api disk full", ada, []string{"Did you mean", "button:/page checkout-api disk full"}, []string{"H:"}},
		{"no PagerDuty service", "/page pricing-engine prices wrong", ada, []string{"pricing-engine has no PagerDuty service", "Nothing was paged",
			"Reach the owners directly: " + adaName + " (on call for team payments) · channel #team-payments", "pagerduty.com/service-id"}, []string{"H:"}},
		{"no argument", "/page", ada, []string{"Usage: /page SERVICE [message]"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := e.page(t, tt.user, tt.line)
			if resp.InChannel {
				t.Error("got an in-channel reply, want ephemeral")
			}
			got := flatten(resp)
			checkReply(t, got, tt.want, tt.notWant)
			if strings.Contains(got, "H:Page ") {
				confirmToken(t, resp)
				if !has(mentions(resp), adaID) && strings.Contains(tt.line, "checkout-api") {
					t.Errorf("got mentions %v, want the on-call %s", mentions(resp), adaID)
				}
			}
		})
	}
	e.checkIncidents(t, 0)
}

// TestPageConfirm: a confirmed page opens one incident (through the Events
// API or REST), announces it in the channel with the on-call mention, and a
// second click shows the first outcome without paging again.
func TestPageConfirm(t *testing.T) {
	tests := []struct {
		name    string
		service string
		via     string
	}{
		{"events API", "checkout-api", "events"},
		{"REST", "auth-service", "rest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newPageEnv(t, pageOptions{})
			onCallID, onCallName := e.levelOne(t, tt.service)
			tok := confirmToken(t, e.page(t, ada, "/page "+tt.service+" disk full"))
			resp := e.page(t, ada, "/page --confirm "+tok)
			if !resp.InChannel {
				t.Errorf("got an ephemeral reply, want the page announced in the channel:\n%s", flatten(resp))
			}
			incs := e.checkIncidents(t, 1)
			inc := incs[0]
			if inc.IncidentKey != "switchboard-"+tok || inc.Title != "disk full" || inc.Via != tt.via || inc.ServiceID != fakepd.SampleServiceID(tt.service) {
				t.Errorf("got incident %+v, want key switchboard-%s, title %q via %s on %s", inc, tok, "disk full", tt.via, tt.service)
			}
			if tt.via == "rest" && inc.From != ada.Email {
				t.Errorf("got From %q, want %q", inc.From, ada.Email)
			}
			got := flatten(resp)
			checkReply(t, got, []string{"ada.lovelace paged " + onCallName + " for " + tt.service + ": disk full", "Incident #" + strconv.Itoa(inc.Number)}, []string{"NOT paged"})
			if m := mentions(resp); len(m) < 2 || m[0] != ada.ID || !has(m, onCallID) {
				t.Errorf("got mentions %v, want the requester %s then the on-call %s", m, ada.ID, onCallID)
			}
			if !hasLinkTo(resp, inc.ID) {
				t.Errorf("announcement has no link to incident %s:\n%s", inc.ID, got)
			}

			again := e.page(t, ada, "/page --confirm "+tok)
			if again.InChannel {
				t.Error("second click: got an in-channel reply, want ephemeral")
			}
			checkReply(t, flatten(again), []string{"Already paged", "paged nobody again", "Incident #"}, []string{"NOT paged"})
			e.checkIncidents(t, 1)
			if got, want := strings.Join(e.audits(t, tt.service), ","), "sent"; got != want {
				t.Errorf("got audit results %s, want %s", got, want)
			}
		})
	}
}

func hasLinkTo(resp commands.Response, id string) bool {
	for _, b := range resp.Blocks {
		var texts []commands.Text
		switch b := b.(type) {
		case *commands.Section:
			texts = append(texts, b.Text)
		case *commands.Context:
			texts = append(texts, b.Text)
		}
		for _, t := range texts {
			for _, s := range t {
				if strings.HasSuffix(s.URL, "/incidents/"+id) {
					return true
				}
			}
		}
	}
	return false
}

// TestPageConcurrentConfirms: clicks arriving together (a double click, a
// Slack retry, two replicas) page once; every other click is told the
// first outcome.
func TestPageConcurrentConfirms(t *testing.T) {
	e := newPageEnv(t, pageOptions{})
	tok := confirmToken(t, e.page(t, ada, "/page checkout-api disk full"))
	const clicks = 5
	resps := make([]commands.Response, clicks)
	var wg sync.WaitGroup
	for i := range clicks {
		wg.Go(func() { resps[i] = e.page(t, ada, "/page --confirm "+tok) })
	}
	wg.Wait()
	e.checkIncidents(t, 1)
	announced := 0
	for _, r := range resps {
		got := flatten(r)
		switch {
		case r.InChannel:
			announced++
		case !strings.Contains(got, "Already paged"):
			t.Errorf("got %q, want the first click's outcome (Already paged)", got)
		}
	}
	if announced != 1 {
		t.Errorf("got %d announcements, want 1", announced)
	}
	if got, want := strings.Join(e.audits(t, "checkout-api"), ","), "sent"; got != want {
		t.Errorf("got audit results %s, want %s", got, want)
	}
}

// TestPageLifecycle covers what is not a plain confirm: cancel, expiry,
// a recent page asking again, --yes.
func TestPageLifecycle(t *testing.T) {
	t.Run("cancel", func(t *testing.T) {
		e := newPageEnv(t, pageOptions{})
		tok := confirmToken(t, e.page(t, ada, "/page checkout-api disk full"))
		checkReply(t, flatten(e.page(t, ada, "/page --cancel "+tok)), []string{"Cancelled: checkout-api was not paged"}, nil)
		checkReply(t, flatten(e.page(t, ada, "/page --confirm "+tok)), []string{"This page was cancelled", "not paged", "button:/page checkout-api disk full"}, []string{"Already paged"})
		e.checkIncidents(t, 0)
		if got, want := strings.Join(e.audits(t, "checkout-api"), ","), "cancelled"; got != want {
			t.Errorf("got audit results %s, want %s", got, want)
		}
	})
	t.Run("expired", func(t *testing.T) {
		e := newPageEnv(t, pageOptions{})
		tok := confirmToken(t, e.page(t, ada, "/page checkout-api disk full"))
		e.clock.Advance(16 * time.Minute)
		checkReply(t, flatten(e.page(t, ada, "/page --confirm "+tok)), []string{"This confirmation expired", "nothing was paged", "button:/page checkout-api disk full"}, nil)
		checkReply(t, flatten(e.page(t, ada, "/page --confirm "+tok)), []string{"expired"}, nil)
		e.checkIncidents(t, 0)
		if got, want := strings.Join(e.audits(t, "checkout-api"), ","), "expired"; got != want {
			t.Errorf("got audit results %s, want %s", got, want)
		}
	})
	t.Run("sender died mid-send: the next click sends it", func(t *testing.T) {
		e := newPageEnv(t, pageOptions{})
		tok := confirmToken(t, e.page(t, ada, "/page checkout-api disk full"))
		// A replica claimed the page and died before sending it.
		if res, err := e.store.ClaimPage(context.Background(), catalog.PageClaim{Token: tok, From: []string{catalog.PagePending}, At: e.clock.Now()}); err != nil || !res.Claimed {
			t.Fatalf("claim: got %+v, %v", res, err)
		}
		e.clock.Advance(2 * time.Minute)
		if r := e.page(t, ada, "/page --confirm "+tok); !r.InChannel {
			t.Fatalf("got %q, want the stuck page sent", flatten(r))
		}
		e.checkIncidents(t, 1)
	})
	t.Run("someone else's confirmation", func(t *testing.T) {
		e := newPageEnv(t, pageOptions{})
		tok := confirmToken(t, e.page(t, ada, "/page checkout-api disk full"))
		grace := commands.User{ID: "UPAY02", Name: "grace.hopper", Email: "grace.hopper@acme.example"}
		checkReply(t, flatten(e.page(t, grace, "/page --confirm "+tok)), []string{"Only ada.lovelace, who asked for this page, can confirm"}, nil)
		e.checkIncidents(t, 0)
		checkReply(t, flatten(e.page(t, ada, "/page --confirm nosuchtoken")), []string{"no page with this confirmation"}, nil)
	})
	t.Run("paged in the last five minutes asks again", func(t *testing.T) {
		e := newPageEnv(t, pageOptions{})
		first := e.page(t, ada, "/page checkout-api disk full --yes")
		if !first.InChannel {
			t.Fatalf("--yes: got %q, want the page announced", flatten(first))
		}
		e.clock.Advance(2 * time.Minute)
		grace := commands.User{ID: "UPAY02", Name: "grace.hopper", Email: "grace.hopper@acme.example"}
		resp := e.page(t, grace, "/page checkout-api still full --yes")
		got := flatten(resp)
		checkReply(t, got, []string{"checkout-api was already paged 2m ago (15:04 UTC) by ada.lovelace: “disk full” — Incident #", "Page again anyway?"}, nil)
		if !has(mentions(resp), ada.ID) {
			t.Errorf("got mentions %v, want the earlier pager %s", mentions(resp), ada.ID)
		}
		tok := confirmToken(t, resp)
		e.checkIncidents(t, 1)
		if r := e.page(t, grace, "/page --confirm "+tok); !r.InChannel {
			t.Fatalf("confirm again: got %q, want the page announced", flatten(r))
		}
		e.checkIncidents(t, 2)
		// Six minutes on, the service is no longer "recently paged".
		e.clock.Advance(6 * time.Minute)
		if r := e.page(t, grace, "/page checkout-api third time --yes"); !r.InChannel {
			t.Fatalf("after five minutes: got %q, want paged at once", flatten(r))
		}
		e.checkIncidents(t, 3)
	})
	t.Run("paged meanwhile asks again at confirm", func(t *testing.T) {
		e := newPageEnv(t, pageOptions{})
		tok := confirmToken(t, e.page(t, ada, "/page checkout-api disk full"))
		grace := commands.User{ID: "UPAY02", Name: "grace.hopper", Email: "grace.hopper@acme.example"}
		if r := e.page(t, grace, "/page checkout-api disk full --yes"); !r.InChannel {
			t.Fatalf("got %q, want grace's page announced", flatten(r))
		}
		resp := e.page(t, ada, "/page --confirm "+tok)
		checkReply(t, flatten(resp), []string{"already paged", "by grace.hopper", "Page again anyway?"}, nil)
		if again := confirmToken(t, resp); again != tok {
			t.Errorf("got a new token %s, want the same page %s asked again", again, tok)
		}
		e.checkIncidents(t, 1)
		if r := e.page(t, ada, "/page --confirm "+tok); !r.InChannel {
			t.Fatalf("second confirm: got %q, want the page announced", flatten(r))
		}
		e.checkIncidents(t, 2)
	})
}

// TestPageRefused: who may not page, or cannot be paged for, is told why,
// nothing is sent, and the attempt is audited.
func TestPageRefused(t *testing.T) {
	e := newPageEnv(t, pageOptions{policy: allowList{ada.ID: true}})
	grace := commands.User{ID: "UPAY02", Name: "grace.hopper", Email: "grace.hopper@acme.example"}
	tests := []struct {
		name    string
		user    commands.User
		line    string
		subject string
		want    []string
	}{
		{"not allowed", grace, "/page checkout-api disk full", "checkout-api", []string{"You may not page: only members of @incident-commanders may page", "Nothing was paged"}},
		{"no email for a REST page", commands.User{ID: ada.ID, Name: ada.Name}, "/page auth-service login down", "auth-service",
			[]string{"NOT paged", "could not learn your email address"}},
		{"no PagerDuty service", ada, "/page legacy-cron stuck", "legacy-cron", []string{"legacy-cron has no PagerDuty service", "Nothing was paged"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := e.page(t, tt.user, tt.line)
			checkReply(t, flatten(resp), tt.want, []string{"H:Page"})
			if got, want := strings.Join(e.audits(t, tt.subject), ","), "refused"; got != want {
				t.Errorf("got audit results %s, want %s", got, want)
			}
		})
	}
	e.checkIncidents(t, 0)
	// Allowed: the same page goes through.
	if r := e.page(t, ada, "/page checkout-api disk full --yes"); !r.InChannel {
		t.Fatalf("allowed user: got %q, want paged", flatten(r))
	}
	e.checkIncidents(t, 1)
}

// TestPageAuditDetail: the audit log says who paged whom, with what, and
// the incident.
func TestPageAuditDetail(t *testing.T) {
	e := newPageEnv(t, pageOptions{})
	_, onCallName := e.levelOne(t, "checkout-api")
	if r := e.page(t, ada, "/page checkout-api disk full --yes"); !r.InChannel {
		t.Fatalf("got %q, want paged", flatten(r))
	}
	entries, err := e.store.AuditLog(context.Background(), "checkout-api", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Fatalf("got %d audit entries, want 1", len(entries))
	}
	a := entries[0]
	inc := e.checkIncidents(t, 1)[0]
	d := a.Detail
	if a.Actor != ada.ID || a.Action != "page" || a.Result != "sent" || d["message"] != "disk full" || d["requester_email"] != ada.Email ||
		d["incident_id"] != inc.ID || d["via"] != "events" || d["dedup_key"] != inc.IncidentKey || !strings.Contains(strings.Join(toStrings(d["on_call"]), ","), onCallName) {
		t.Errorf("got audit entry %+v, want ada's page of incident %s via events with %s on call", a, inc.ID, onCallName)
	}
	page, err := e.store.RecentPage(context.Background(), pageServiceID(t, e, "checkout-api"), pdNow.Add(-time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if page.State != catalog.PageSent || page.IncidentID != inc.ID || page.RequesterID != ada.ID || page.ChannelID != "CINCIDENT" {
		t.Errorf("got stored page %+v, want sent with incident %s", page, inc.ID)
	}
}

func toStrings(v any) []string {
	l, _ := v.([]any)
	var out []string
	for _, x := range l {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

func pageServiceID(t *testing.T, e *pageEnv, ref string) int64 {
	t.Helper()
	l, err := e.store.FindService(context.Background(), ref)
	if err != nil || len(l.Services) != 1 {
		t.Fatalf("find %s: %v, %d services", ref, err, len(l.Services))
	}
	return l.Services[0].ID
}

// testTriggerTimeout is the tests' window for a trigger: production's
// (2.5 s), so that a PagerDuty slow "within the window" (400 ms, a 1 s
// Retry-After, a 1 s attempt timeout then a retry) stays within it on a
// loaded CI machine; a late PagerDuty is an hour late, so nothing depends on
// how short the window is.
const testTriggerTimeout = 2500 * time.Millisecond

// pageOptions change what newPageEnv builds.
type pageOptions struct {
	policy commands.PagePolicy
	// lookupFor is how long an unknown page's incident is looked for
	// (default 1s).
	lookupFor time.Duration
}

// pageEnv is pdEnv with /page wired as in production: its own PagerDuty
// client (on a second server of the same fake) with realistic attempt
// timeouts, behind a Pager that can be made unreachable, and the
// transport's Later, whose answers the tests read.
type pageEnv struct {
	*pdEnv
	pager   *switchPager
	pageURL string
	later   *laterRecorder
	cfg     commands.PageConfig
}

func newPageEnv(t *testing.T, o pageOptions) *pageEnv {
	t.Helper()
	e := &pageEnv{pdEnv: newPDEnv(t, pdOptions{policy: o.policy})}
	srv := httptest.NewServer(e.fake)
	t.Cleanup(srv.Close)
	e.pageURL = srv.URL
	e.pager = &switchPager{}
	e.pager.p.Store(e.newPager(t, srv.URL))
	e.later = newLaterRecorder(t)
	if o.lookupFor == 0 {
		o.lookupFor = time.Second
	}
	e.cfg = commands.PageConfig{
		Catalog: e.store, Pages: e.store, Pager: e.pager, Policy: o.policy, Now: e.clock.Now,
		OnCall:         &commands.OnCallLookup{PagerDuty: e.pd, People: e.store, Now: e.clock.Now},
		TriggerTimeout: testTriggerTimeout, LookupEvery: 20 * time.Millisecond, LookupFor: o.lookupFor,
	}
	e.router.Register(commands.Page(e.cfg))
	e.followPages(t, e.store, e.cfg)
	return e
}

// followPages makes store take the lookups of unconfirmed pages as serve's
// River job does (pagetest.Work), worked once the test has the answer that
// handed them over, answering on the later recorder.
func (e *pageEnv) followPages(t *testing.T, store *catalog.Store, cfg commands.PageConfig) {
	lookups := commands.NewPageLookups(cfg, func(string) commands.Answer { return e.later.answer })
	store.PageLookups = func(_ context.Context, l catalog.PageLookup) error {
		e.later.Go(func(ctx context.Context, _ commands.Answer) { pagetest.Work(ctx, lookups, l, t.Logf) })
		return nil
	}
}

// newPager is a PagerDuty client for /page at url: attempts time out
// after a second, within the trigger's window.
func (e *pageEnv) newPager(t *testing.T, url string) *pagerduty.Client {
	t.Helper()
	c, err := pagerduty.New(pagerduty.Config{
		Token: fakepd.SampleToken, APIURL: url, EventsURL: url, LookupTimeout: 200 * time.Millisecond,
		Retry: pagerduty.RetryPolicy{InitialBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond, AttemptTimeout: time.Second},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Now = e.clock.Now
	return c
}

// unreachable points /page at a port nobody listens on (connections are
// refused), or back at the fake.
func (e *pageEnv) unreachable(t *testing.T, on bool) {
	t.Helper()
	url := e.pageURL
	if on {
		var err error
		if url, err = fakepd.UnreachableURL(); err != nil {
			t.Fatal(err)
		}
	}
	e.pager.p.Store(e.newPager(t, url))
}

// replicaConfig is e's page configuration with another replica's own
// pool, store and PagerDuty client.
func (e *pageEnv) replicaConfig(t *testing.T) (*catalog.Store, commands.PageConfig) {
	t.Helper()
	pool, err := pgxpool.NewWithConfig(context.Background(), e.store.Pool().Config().Copy())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	store := catalog.NewStore(pool, nil)
	cfg := e.cfg
	cfg.Catalog, cfg.Pages, cfg.Pager = store, store, e.newPager(t, e.pageURL)
	return store, cfg
}

// replica is another Switchboard replica on the same database and the same
// PagerDuty: its own pool, store, PagerDuty client and router.
func (e *pageEnv) replica(t *testing.T) *commands.Router {
	t.Helper()
	store, cfg := e.replicaConfig(t)
	cfg.OnCall = &commands.OnCallLookup{PagerDuty: e.pd, People: store, Now: e.clock.Now}
	e.followPages(t, store, cfg)
	r := commands.NewRouter(nil, 10*time.Second)
	r.Register(commands.Page(cfg))
	return r
}

// switchPager is a commands.Pager whose PagerDuty can be swapped.
type switchPager struct {
	p atomic.Pointer[pagerduty.Client]
}

func (s *switchPager) Trigger(ctx context.Context, req oncall.TriggerRequest) (oncall.Incident, error) {
	return s.p.Load().Trigger(ctx, req)
}

func (s *switchPager) FindIncident(ctx context.Context, serviceID, key string) (oncall.Incident, bool, error) {
	return s.p.Load().FindIncident(ctx, serviceID, key)
}

// laterRecorder is the transport's Later in the tests: the lookups handed
// over to it (followPages) start once the test has the command's answer
// (serve's job makes its first try a pause later), and its answers arrive
// on a channel.
type laterRecorder struct {
	ctx     context.Context
	mu      sync.Mutex
	pending []func(context.Context, commands.Answer)
	wg      sync.WaitGroup
	answers chan commands.Response
}

func newLaterRecorder(t *testing.T) *laterRecorder {
	ctx, cancel := context.WithCancel(context.Background())
	l := &laterRecorder{ctx: ctx, answers: make(chan commands.Response, 32)}
	t.Cleanup(func() { cancel(); l.wg.Wait() })
	return l
}

// Go queues work until release.
func (l *laterRecorder) Go(work func(context.Context, commands.Answer)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pending = append(l.pending, work)
}

// Address implements commands.Later: the answers of lookups
// handed over (followPages) come back to this recorder.
func (l *laterRecorder) Address() string { return "test:later" }

// answer is where later answers go: the test reads them from answers.
func (l *laterRecorder) answer(ctx context.Context, r commands.Response) error {
	select {
	case l.answers <- r:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// release starts the work handed over so far.
func (l *laterRecorder) release() {
	l.mu.Lock()
	works := l.pending
	l.pending = nil
	l.mu.Unlock()
	for _, w := range works {
		l.wg.Go(func() { w(l.ctx, l.answer) })
	}
}

// page runs line as user on the first replica, through a transport with
// Later, and checks the answer (checkNotPaged).
func (e *pageEnv) page(t *testing.T, user commands.User, line string) commands.Response {
	t.Helper()
	return e.pageOn(t, e.router, true, user, line)
}

// pageOn runs line as user on router, with the transport's Later or
// without, starts the later work once it has the answer, and checks it.
func (e *pageEnv) pageOn(t *testing.T, router *commands.Router, later bool, user commands.User, line string) commands.Response {
	t.Helper()
	before := len(e.fake.Incidents())
	ctx := context.Background()
	if later {
		ctx = commands.WithLater(ctx, e.later)
	}
	cmd, text, _ := strings.Cut(line, " ")
	resp, err := router.Dispatch(ctx, commands.Request{Command: cmd, Text: text, User: user, ChannelID: "CINCIDENT"})
	if err != nil {
		t.Fatalf("%s: got error %v, want none", line, err)
	}
	e.checkNotPaged(t, resp, before, pageTokens(line, resp)...)
	e.later.release()
	return resp
}

// nextAnswer waits for the next later answer, about the page with token,
// and checks it.
func (e *pageEnv) nextAnswer(t *testing.T, token string) commands.Response {
	t.Helper()
	select {
	case r := <-e.later.answers:
		e.checkNotPaged(t, r, -1, append(pageTokens("", r), token)...)
		return r
	case <-time.After(15 * time.Second):
		t.Fatalf("no later answer about page %s", token)
	}
	return commands.Response{}
}

// noMoreAnswers waits for every later work to end and checks it answered
// nothing more.
func (e *pageEnv) noMoreAnswers(t *testing.T) {
	t.Helper()
	e.later.wg.Wait()
	select {
	case r := <-e.later.answers:
		t.Errorf("got another later answer, want none:\n%s", flatten(r))
	default:
	}
}

// checkNotPaged is the rule every page test holds Switchboard to: an
// answer says "NOT paged" only when the fake PagerDuty holds no incident
// for the pages it is about (by their dedup keys), and, when it names no
// page, when no incident was opened while it was made (before is how many
// there were; -1: not known).
func (e *pageEnv) checkNotPaged(t *testing.T, resp commands.Response, before int, tokens ...string) {
	t.Helper()
	got := flatten(resp)
	if !strings.Contains(got, "NOT paged") {
		return
	}
	incs := e.fake.Incidents()
	if len(tokens) == 0 {
		if before >= 0 && len(incs) != before {
			t.Errorf("answer says NOT paged, but PagerDuty opened %d incidents meanwhile:\n%s", len(incs)-before, got)
		}
		return
	}
	for _, tok := range tokens {
		for _, inc := range incs {
			if inc.IncidentKey == catalog.DedupKeyPrefix+tok {
				t.Errorf("answer says NOT paged, but PagerDuty holds incident %s (#%d) for page %s:\n%s", inc.ID, inc.Number, tok, got)
			}
		}
	}
}

// pageTokens are the page tokens a command line and an answer's buttons
// name.
func pageTokens(line string, resp commands.Response) []string {
	var out []string
	cmds := []string{line}
	for _, b := range buttons(resp) {
		cmds = append(cmds, b.Command)
	}
	for _, c := range cmds {
		f := strings.Fields(c)
		if len(f) == 3 && f[0] == "/page" && strings.HasPrefix(f[1], "--") {
			out = append(out, f[2])
		}
	}
	return out
}

// checkToken returns the token of an answer's Check again button.
func checkToken(t *testing.T, resp commands.Response) string {
	t.Helper()
	for _, b := range buttons(resp) {
		if tok, ok := strings.CutPrefix(b.Command, "/page --check "); ok {
			return tok
		}
	}
	t.Fatalf("got no Check again button; reply:\n%s", flatten(resp))
	return ""
}

func (e *pageEnv) storedPage(t *testing.T, token string) catalog.Page {
	t.Helper()
	p, err := e.store.GetPage(context.Background(), token)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPageSlowPagerDuty: a slow PagerDuty that answers within the window
// pages; one that answers after it (or not at all) is told as it is: the
// page may have gone through, with the on-call to reach, never "NOT
// paged"; and the answer is corrected once the incident is found by its
// dedup key, or PagerDuty is known to hold none.
func TestPageSlowPagerDuty(t *testing.T) {
	const unknown = "PagerDuty did not confirm in time — the page may have gone through"
	tests := []struct {
		name  string
		fault func(f *fakepd.Server)
		// paged: the first answer is the announcement; else it is unknown
		// and later says want.
		paged     bool
		want      []string
		laterPage bool // the later answer announces the page
		state     string
		incidents int
		audits    string
	}{
		{name: "slow, answers within the window", fault: func(f *fakepd.Server) { f.SetLatency(400 * time.Millisecond) },
			paged: true, want: []string{"ada.lovelace paged ", "Incident #1"}, state: catalog.PageSent, incidents: 1, audits: "sent"},
		{name: "rate limited, then accepted within the window", fault: func(f *fakepd.Server) { f.RateLimitNext(1, time.Second) },
			paged: true, want: []string{"ada.lovelace paged ", "Incident #1"}, state: catalog.PageSent, incidents: 1, audits: "sent"},
		{name: "answer lost, retried with the same dedup key", fault: func(f *fakepd.Server) { f.DelayNextResponses(1, time.Hour) },
			paged: true, want: []string{"ada.lovelace paged ", "Incident #1"}, state: catalog.PageSent, incidents: 1, audits: "sent"},
		{name: "accepted, answered after the deadline", fault: func(f *fakepd.Server) { f.DelayNextResponses(100, time.Hour) },
			want: []string{"ada.lovelace paged ", "Incident #1", "found its incident afterwards"}, laterPage: true,
			state: catalog.PageSent, incidents: 1, audits: "unknown,sent"},
		{name: "too slow to take the request at all", fault: func(f *fakepd.Server) { f.SetLatency(time.Hour) },
			want:  []string{"NOT paged: checkout-api — PagerDuty did not confirm it in time and holds no incident for it", "Reach the on-call directly: ", "button:/page --retry "},
			state: catalog.PageFailed, incidents: 0, audits: "unknown,failed"},
		{name: "hangs up after reading the request", fault: func(f *fakepd.Server) { f.SetDown(true) },
			want:  []string{"NOT paged: checkout-api — PagerDuty did not confirm it in time and holds no incident for it"},
			state: catalog.PageFailed, incidents: 0, audits: "unknown,failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newPageEnv(t, pageOptions{})
			onCallID, _ := e.levelOne(t, "checkout-api")
			tok := confirmToken(t, e.page(t, ada, "/page checkout-api disk full"))
			e.fake.SetFaultPath("/v2/enqueue")
			tt.fault(e.fake)
			// Answers PagerDuty holds back are held an hour: a command
			// that waited past its window for one would never answer.
			resp := e.page(t, ada, "/page --confirm "+tok)
			got := flatten(resp)
			if tt.paged {
				if !resp.InChannel {
					t.Fatalf("got %s, want the page announced", got)
				}
				checkReply(t, got, tt.want, nil)
			} else {
				if resp.InChannel {
					t.Errorf("got an in-channel answer before the page is known:\n%s", got)
				}
				checkReply(t, got, []string{unknown, "Reach the on-call directly: ", "will update this message", "button:/page --check " + tok}, []string{"NOT paged"})
				if !has(mentions(resp), onCallID) {
					t.Errorf("got mentions %v, want the on-call %s to reach directly", mentions(resp), onCallID)
				}
				if p := e.storedPage(t, tok); p.State != catalog.PageUnknown {
					t.Errorf("got stored state %s, want unknown until the incident is looked up", p.State)
				}
				// A second click meanwhile tells the same, never NOT paged.
				checkReply(t, flatten(e.page(t, ada, "/page --confirm "+tok)), nil, []string{"Already paged"})

				later := e.nextAnswer(t, tok)
				if later.InChannel != tt.laterPage {
					t.Errorf("later answer in channel %v, want %v:\n%s", later.InChannel, tt.laterPage, flatten(later))
				}
				checkReply(t, flatten(later), tt.want, nil)
				e.noMoreAnswers(t)
			}
			e.checkIncidents(t, tt.incidents)
			if p := e.storedPage(t, tok); p.State != tt.state || (tt.state == catalog.PageSent && p.IncidentID == "") {
				t.Errorf("got stored page %s (incident %q), want %s", p.State, p.IncidentID, tt.state)
			}
			if got := strings.Join(e.audits(t, "checkout-api"), ","); got != tt.audits {
				t.Errorf("got audit results %s, want %s", got, tt.audits)
			}
		})
	}
}

// TestPageUnconfirmedLookupFails: when PagerDuty can be asked neither to
// page nor whether it was paged, the outcome stays unknown, and says so.
func TestPageUnconfirmedLookupFails(t *testing.T) {
	e := newPageEnv(t, pageOptions{lookupFor: 300 * time.Millisecond})
	tok := confirmToken(t, e.page(t, ada, "/page checkout-api disk full"))
	e.fake.SetDown(true)
	resp := e.page(t, ada, "/page --confirm "+tok)
	checkReply(t, flatten(resp), []string{"may have gone through"}, []string{"NOT paged"})
	later := e.nextAnswer(t, tok)
	checkReply(t, flatten(later), []string{"may have gone through", "could not look the incident up", "button:/page --check " + tok}, []string{"NOT paged"})
	e.noMoreAnswers(t)
	if p := e.storedPage(t, tok); p.State != catalog.PageUnknown {
		t.Errorf("got stored state %s, want unknown", p.State)
	}
	// PagerDuty back: Check again settles it (no incident: it never got the
	// request, and the lookups went on long enough).
	e.fake.SetDown(false)
	e.clock.Advance(time.Second)
	checkReply(t, flatten(e.page(t, ada, "/page --check "+tok)), []string{"NOT paged", "holds no incident for it", "button:/page --retry " + tok}, nil)
	e.checkIncidents(t, 0)
}

// TestPageCheck: without a transport that can answer later, the answer
// says to check, and Check again finds the incident.
func TestPageCheck(t *testing.T) {
	e := newPageEnv(t, pageOptions{lookupFor: time.Hour})
	tok := confirmToken(t, e.page(t, ada, "/page checkout-api disk full"))
	e.fake.SetFaultPath("/v2/enqueue")
	e.fake.DelayNextResponses(100, 5*time.Second)
	resp := e.pageOn(t, e.router, false, ada, "/page --confirm "+tok)
	checkReply(t, flatten(resp), []string{"may have gone through", "Click Check again"}, []string{"NOT paged", "will update"})
	if got := checkToken(t, resp); got != tok {
		t.Errorf("got Check again for %s, want %s", got, tok)
	}
	checked := e.page(t, ada, "/page --check "+tok)
	if !checked.InChannel {
		t.Fatalf("check: got %s, want the page announced", flatten(checked))
	}
	checkReply(t, flatten(checked), []string{"ada.lovelace paged ", "Incident #1"}, nil)
	again := e.page(t, ada, "/page --check "+tok)
	checkReply(t, flatten(again), []string{"Already paged", "paged nobody again"}, nil)
	e.checkIncidents(t, 1)
	if got, want := strings.Join(e.audits(t, "checkout-api"), ","), "unknown,sent"; got != want {
		t.Errorf("got audit results %s, want %s", got, want)
	}
}

// TestPageNotPaged: when Switchboard knows no incident exists (the
// connection was refused, PagerDuty said no), the answer says NOT paged,
// why, and whom to reach; retrying is safe.
func TestPageNotPaged(t *testing.T) {
	tests := []struct {
		name    string
		service string
		user    commands.User
		fault   func(t *testing.T, e *pageEnv)
		want    []string
		retry   bool // PagerDuty back, Try again pages
	}{
		{"connection refused", "checkout-api", ada, func(t *testing.T, e *pageEnv) { e.unreachable(t, true) },
			[]string{"NOT paged: checkout-api — PagerDuty is not reachable", "Reach the on-call directly: "}, true},
		{"rate limited beyond the deadline", "checkout-api", ada, func(_ *testing.T, e *pageEnv) { e.fake.RateLimitNext(20, time.Hour) },
			[]string{"NOT paged: checkout-api — PagerDuty's rate limit is reached; try again in 3600 s"}, true},
		{"server errors", "checkout-api", ada, func(_ *testing.T, e *pageEnv) { e.fake.FailNext(20, 503) },
			[]string{"NOT paged: checkout-api — PagerDuty is not reachable", "Reach the on-call directly: "}, true},
		{"PagerDuty refuses the requester", "auth-service", commands.User{ID: ada.ID, Name: ada.Name, Email: "mallory@evil.example"}, nil,
			[]string{"NOT paged: auth-service — PagerDuty refused it: ", "Requester User Not Found"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newPageEnv(t, pageOptions{})
			onCallID, _ := e.levelOne(t, tt.service)
			tok := confirmToken(t, e.page(t, tt.user, "/page "+tt.service+" disk full"))
			if tt.fault != nil {
				tt.fault(t, e)
			}
			// A rate limit asks to wait an hour: a command that waited
			// for it would never answer.
			resp := e.page(t, tt.user, "/page --confirm "+tok)
			if resp.InChannel {
				t.Error("got an in-channel reply, want the failure told to the requester")
			}
			got := flatten(resp)
			checkReply(t, got, append(tt.want, "button:/page --retry "+tok), []string{"Already paged", "may have gone through"})
			if !has(mentions(resp), onCallID) {
				t.Errorf("got mentions %v, want the on-call %s to reach directly", mentions(resp), onCallID)
			}
			e.checkIncidents(t, 0)
			if p := e.storedPage(t, tok); p.State != catalog.PageFailed {
				t.Errorf("got stored state %s, want failed", p.State)
			}
			e.noMoreAnswers(t)

			// A second click tells the same failure; nothing is sent.
			checkReply(t, flatten(e.page(t, tt.user, "/page --confirm "+tok)), []string{"already tried", "NOT paged"}, nil)
			if !tt.retry {
				return
			}
			// PagerDuty back: Try again pages, once, with the same dedup key.
			e.unreachable(t, false)
			e.fake.FailNext(0, 0)
			e.fake.RateLimitNext(0, 0)
			retry := e.page(t, tt.user, "/page --retry "+tok)
			if !retry.InChannel {
				t.Fatalf("retry: got %q, want the page announced", flatten(retry))
			}
			if incs := e.checkIncidents(t, 1); incs[0].IncidentKey != "switchboard-"+tok {
				t.Errorf("got dedup key %s, want switchboard-%s", incs[0].IncidentKey, tok)
			}
			if got, want := strings.Join(e.audits(t, tt.service), ","), "failed,sent"; got != want {
				t.Errorf("got audit results %s, want %s", got, want)
			}
			if p := e.storedPage(t, tok); p.State != catalog.PageSent || p.Error != "" {
				t.Errorf("got stored page %+v, want sent without the first attempt's error", p)
			}
		})
	}
}

// TestPageRacingConfirmations: two replicas (two pools on one database),
// a slow PagerDuty, and two people confirming different pages of one
// service at the same moment: one page goes out, the other confirmation
// shows it (sending or sent) and asks again; paging again is then a
// choice. The same confirmation clicked on both replicas pages once.
func TestPageRacingConfirmations(t *testing.T) {
	grace := commands.User{ID: "UPAY02", Name: "grace.hopper", Email: "grace.hopper@acme.example"}
	e := newPageEnv(t, pageOptions{})
	replicas := []*commands.Router{e.router, e.replica(t)}
	e.fake.SetFaultPath("/v2/enqueue")
	e.fake.SetLatency(300 * time.Millisecond)
	incidents := 0
	for round := range 3 {
		users := []commands.User{ada, grace}
		var toks [2]string
		for i, r := range replicas {
			toks[i] = confirmToken(t, e.pageOn(t, r, true, users[i], fmt.Sprintf("/page checkout-api round %d from %s", round, users[i].Name)))
		}
		var (
			wg    sync.WaitGroup
			resps [2]commands.Response
		)
		start := make(chan struct{})
		for i, r := range replicas {
			wg.Go(func() {
				<-start
				resps[i] = e.pageOn(t, r, true, users[i], "/page --confirm "+toks[i])
			})
		}
		close(start)
		wg.Wait()
		incidents++
		e.checkIncidents(t, incidents)
		if resps[0].InChannel == resps[1].InChannel {
			t.Fatalf("round %d: got in channel %v and %v, want exactly one page announced:\n%s\n%s", round, resps[0].InChannel, resps[1].InChannel, flatten(resps[0]), flatten(resps[1]))
		}
		won, lost := 0, 1
		if resps[1].InChannel {
			won, lost = 1, 0
		}
		got := flatten(resps[lost])
		if !strings.Contains(got, "checkout-api is being paged right now") && !strings.Contains(got, "checkout-api was already paged") {
			t.Errorf("round %d: the second confirmation does not show the first page:\n%s", round, got)
		}
		checkReply(t, got, []string{"by " + users[won].Name, "round " + fmt.Sprint(round) + " from " + users[won].Name, "Page again anyway?"}, []string{"NOT paged"})
		if again := confirmToken(t, resps[lost]); again != toks[lost] {
			t.Errorf("round %d: got a new token %s, want the same page %s asked again", round, again, toks[lost])
		}
		// Shown the first page, the second person pages again: a choice.
		if r := e.pageOn(t, replicas[lost], true, users[lost], "/page --confirm "+toks[lost]); !r.InChannel {
			t.Fatalf("round %d: page again: got %s, want the page announced", round, flatten(r))
		}
		incidents++
		e.checkIncidents(t, incidents)
		e.clock.Advance(6 * time.Minute) // the next round starts afresh
	}

	// One confirmation clicked on both replicas at once: one page.
	tok := confirmToken(t, e.page(t, ada, "/page checkout-api double click"))
	var (
		wg    sync.WaitGroup
		resps [2]commands.Response
	)
	for i, r := range replicas {
		wg.Go(func() { resps[i] = e.pageOn(t, r, true, ada, "/page --confirm "+tok) })
	}
	wg.Wait()
	incidents++
	e.checkIncidents(t, incidents)
	if resps[0].InChannel == resps[1].InChannel {
		t.Errorf("double click: got in channel %v and %v, want one announcement", resps[0].InChannel, resps[1].InChannel)
	}
	for _, r := range resps {
		if !r.InChannel {
			checkReply(t, flatten(r), []string{"Already paged", "paged nobody again"}, nil)
		}
	}
}

// TestPageSenderDied: a replica that died while sending a page does not
// block its service: a sending page older than the trigger's window is
// shown as one that may have gone through, and paging again is offered.
func TestPageSenderDied(t *testing.T) {
	grace := commands.User{ID: "UPAY02", Name: "grace.hopper", Email: "grace.hopper@acme.example"}
	e := newPageEnv(t, pageOptions{})
	dead := confirmToken(t, e.page(t, ada, "/page checkout-api disk full"))
	if res, err := e.store.ClaimPage(context.Background(), catalog.PageClaim{Token: dead, From: []string{catalog.PagePending}, At: e.clock.Now()}); err != nil || !res.Claimed {
		t.Fatalf("claim: got %+v, %v", res, err)
	}
	e.clock.Advance(time.Minute)
	resp := e.page(t, grace, "/page checkout-api still full --yes")
	checkReply(t, flatten(resp), []string{"checkout-api was paged 1m ago", "by ada.lovelace", "PagerDuty did not confirm it; it may have gone through", "Page again anyway?"}, []string{"NOT paged"})
	e.checkIncidents(t, 0)
	if r := e.page(t, grace, "/page --confirm "+confirmToken(t, resp)); !r.InChannel {
		t.Fatalf("page again: got %s, want the page announced", flatten(r))
	}
	e.checkIncidents(t, 1)
}
