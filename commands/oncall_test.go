package commands_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
	"github.com/switchboard-dev/switchboard/pagerduty"
	"github.com/switchboard-dev/switchboard/pagerduty/fakepd"
	"github.com/switchboard-dev/switchboard/sampleorg"
)

// pdNow is a Wednesday afternoon: the sample's weekly rotations are
// mid-shift.
var pdNow = time.Date(2026, 3, 11, 15, 4, 5, 0, time.UTC)

// testClock is a settable clock shared by the commands and the adapter.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// allowList is a PagePolicy: only the listed Slack users may page.
type allowList map[string]bool

func (a allowList) MayPage(_ context.Context, userID string) (bool, string, error) {
	if a[userID] {
		return true, "", nil
	}
	return false, "only members of @incident-commanders may page", nil
}

// pdEnv is the demo organisation in a fresh catalog, the fake PagerDuty's
// sample served over HTTP, the real adapter pointed at it, and a router
// with /whoowns, /oncall and /page.
type pdEnv struct {
	store  *catalog.Store
	fake   *fakepd.Server
	pd     *pagerduty.Client
	clock  *testClock
	router *commands.Router
}

// pdOptions change what newPDEnv builds.
type pdOptions struct {
	// noPagerDuty leaves PagerDuty unconfigured.
	noPagerDuty bool
	policy      commands.PagePolicy
}

func newPDEnv(t testing.TB, opts pdOptions) *pdEnv {
	t.Helper()
	ctx := context.Background()
	e := &pdEnv{store: catalog.NewStore(pgtest.New(t), nil), clock: &testClock{t: pdNow}, fake: fakepd.Sample(pdNow)}
	if err := sampleorg.Load(ctx, e.store); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e.fake)
	t.Cleanup(srv.Close)
	var err error
	e.pd, err = pagerduty.New(pagerduty.Config{
		Token: fakepd.SampleToken, APIURL: srv.URL, EventsURL: srv.URL,
		LookupTimeout: 200 * time.Millisecond,
		Retry:         pagerduty.RetryPolicy{InitialBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond, AttemptTimeout: 300 * time.Millisecond},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.pd.Now = e.clock.Now
	oc := &commands.OnCallLookup{People: e.store, Now: e.clock.Now}
	page := commands.PageConfig{Catalog: e.store, Pages: e.store, OnCall: oc, Policy: opts.policy, Now: e.clock.Now}
	if !opts.noPagerDuty {
		oc.PagerDuty, page.Pager = e.pd, e.pd
	}
	e.router = commands.NewRouter(slog.New(slog.DiscardHandler), 10*time.Second)
	e.router.Register(commands.WhoOwnsWithOnCall(e.store, oc))
	e.router.Register(commands.OnCall(e.store, e.store, oc))
	e.router.Register(commands.Page(page))
	return e
}

// ada is the sample user the tests act as: known to the catalog, Slack and
// PagerDuty.
var ada = commands.User{ID: "UPAY01", Name: "ada.lovelace", Email: "ada.lovelace@acme.example"}

func (e *pdEnv) run(t *testing.T, user commands.User, line string) commands.Response {
	t.Helper()
	cmd, text, _ := strings.Cut(line, " ")
	resp, err := e.router.Dispatch(context.Background(), commands.Request{Command: cmd, Text: text, User: user, ChannelID: "CINCIDENT"})
	if err != nil {
		t.Fatalf("%s: got error %v, want none", line, err)
	}
	return resp
}

// levelOne is the Slack user and name of whoever the fake has on call at
// level 1 for a sample service, as the catalog knows them.
func (e *pdEnv) levelOne(t *testing.T, ref string) (slackID, name string) {
	t.Helper()
	now, err := e.pd.OnCall(context.Background(), fakepd.SampleServiceID(ref))
	if err != nil {
		t.Fatal(err)
	}
	if len(now.Levels) == 0 || now.Levels[0].Level != 1 || len(now.Levels[0].Users) == 0 {
		t.Fatalf("got levels %+v, want someone at level 1", now.Levels)
	}
	u := now.Levels[0].Users[0]
	for _, p := range sampleorg.People() {
		if strings.EqualFold(p.Email, u.Email) {
			return p.SlackUserID, u.Name
		}
	}
	t.Fatalf("on-call user %s is not in the sample catalog", u.Email)
	return "", ""
}

// mentions lists the Slack users a response mentions.
func mentions(resp commands.Response) []string {
	var out []string
	add := func(t commands.Text) {
		for _, s := range t {
			if s.UserID != "" {
				out = append(out, s.UserID)
			}
		}
	}
	for _, b := range resp.Blocks {
		switch b := b.(type) {
		case *commands.Section:
			add(b.Text)
			for _, f := range b.Fields {
				add(f.Value)
			}
		case *commands.Context:
			add(b.Text)
		}
	}
	return out
}

// buttons lists a response's buttons.
func buttons(resp commands.Response) []commands.Button {
	var out []commands.Button
	for _, b := range resp.Blocks {
		if a, ok := b.(*commands.Actions); ok {
			out = append(out, a.Buttons...)
		}
	}
	return out
}

func has(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func checkReply(t *testing.T, got string, want, notWant []string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("reply lacks %q; got:\n%s", w, got)
		}
	}
	for _, w := range notWant {
		if strings.Contains(got, w) {
			t.Errorf("reply has %q; got:\n%s", w, got)
		}
	}
}

func TestOnCall(t *testing.T) {
	e := newPDEnv(t, pdOptions{})
	adaID, adaName := e.levelOne(t, "checkout-api")
	tests := []struct {
		name        string
		text        string
		want        []string
		notWant     []string
		wantMention string
	}{
		{"service", "checkout-api", []string{"H:On call for checkout-api", "Escalation policy: Payments escalation policy", "PagerDuty service checkout-api",
			"Level 1: " + adaName + " — until Mon 16 Mar 09:00 UTC (for 4d 17h)", "schedule Payments primary", "Level 2: ", "schedule Payments secondary",
			"button:/page checkout-api"}, []string{"as of", "unavailable"}, adaID},
		{"alias", "checkout", []string{"H:On call for checkout-api", "Level 1: " + adaName}, nil, adaID},
		{"team", "payments", []string{"H:On call for team payments", "Escalation policy: Payments escalation policy", "Level 1: " + adaName}, []string{"button:/page"}, adaID},
		{"team of a service without its own PagerDuty service", "pricing-engine", []string{"H:On call for pricing-engine (team payments)", "Level 1: " + adaName}, []string{"button:/page"}, adaID},
		{"team with a manager at level 3", "platform", []string{"Level 1: ", "Level 2: ", "Level 3: Margaret Hamilton — with no end"}, nil, ""},
		{"ambiguous", "frontend", []string{"2 services are called", "option:/oncall backoffice/frontend", "option:/oncall storefront/frontend"}, []string{"H:"}, ""},
		{"misspelt", "chekout-api", []string{"Did you mean", "button:/oncall checkout-api"}, []string{"H:"}, ""},
		{"no PagerDuty link", "legacy-cron", []string{"legacy-cron has no PagerDuty link", "pagerduty.com/service-id", "catalog-info.yaml"}, []string{"H:"}, ""},
		{"unknown", "qqqzzzx", []string{"No service or team named qqqzzzx"}, nil, ""},
		{"no argument", "", []string{"Usage: /oncall SERVICE|TEAM"}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := e.run(t, ada, strings.TrimSpace("/oncall "+tt.text))
			if resp.InChannel {
				t.Error("got an in-channel reply, want ephemeral")
			}
			checkReply(t, flatten(resp), tt.want, tt.notWant)
			if tt.wantMention != "" && !has(mentions(resp), tt.wantMention) {
				t.Errorf("got mentions %v, want %s", mentions(resp), tt.wantMention)
			}
		})
	}
}

func TestOnCallPagerDutyNotConfigured(t *testing.T) {
	e := newPDEnv(t, pdOptions{noPagerDuty: true})
	for _, line := range []string{"/oncall checkout-api", "/page checkout-api disk full"} {
		got := flatten(e.run(t, ada, line))
		checkReply(t, got, []string{"PagerDuty is not configured", "PAGERDUTY_TOKEN"}, nil)
	}
	// /whoowns has no on-call section then.
	checkReply(t, flatten(e.run(t, ada, "/whoowns checkout-api")), []string{"Owner=payments"}, []string{"On call", "/page"})
}

// TestOnCallPagerDutyDown: a recent answer is shown marked stale; with none,
// the user is told PagerDuty is unreachable.
func TestOnCallPagerDutyDown(t *testing.T) {
	t.Run("stale answer", func(t *testing.T) {
		e := newPDEnv(t, pdOptions{})
		_, adaName := e.levelOne(t, "checkout-api") // fills the adapter's cache
		e.fake.SetDown(true)
		e.clock.Advance(2 * time.Minute) // past the cache's 60 s, within its 15 min
		got := flatten(e.run(t, ada, "/oncall checkout-api"))
		checkReply(t, got, []string{"Level 1: " + adaName, "as of 15:04 UTC (PagerDuty unreachable)"}, nil)
		got = flatten(e.run(t, ada, "/whoowns checkout-api"))
		checkReply(t, got, []string{"On call=" + adaName, "as of 15:04 UTC (PagerDuty unreachable)"}, nil)
	})
	t.Run("no recent answer", func(t *testing.T) {
		e := newPDEnv(t, pdOptions{})
		e.fake.SetDown(true)
		got := flatten(e.run(t, ada, "/oncall checkout-api"))
		checkReply(t, got, []string{"On-call unavailable: PagerDuty is not reachable"}, []string{"Level 1"})
		got = flatten(e.run(t, ada, "/oncall payments"))
		checkReply(t, got, []string{"H:On call for team payments", "On-call unavailable: PagerDuty is not reachable"}, nil)
	})
}

func TestWhoOwnsOnCall(t *testing.T) {
	e := newPDEnv(t, pdOptions{})
	adaID, adaName := e.levelOne(t, "checkout-api")
	tests := []struct {
		name        string
		text        string
		down        bool
		want        []string
		notWant     []string
		wantMention string
	}{
		{"on call at level 1", "checkout-api", false, []string{"Owner=payments", "On call=" + adaName + " until Mon 16 Mar 09:00 UTC (for 4d 17h)",
			"button:/oncall checkout-api", "button:/page checkout-api"}, []string{"PagerDuty link"}, adaID},
		{"team policy only: no page button", "pricing-engine", false, []string{"On call=" + adaName}, []string{"button:/page"}, adaID},
		{"no PagerDuty link", "legacy-cron", false, []string{"On call=no PagerDuty link", "Missing: owner", "PagerDuty link (add the pagerduty.com/service-id annotation"}, []string{"button:/page"}, ""},
		{"ambiguous", "frontend", false, []string{"option:/whoowns storefront/frontend"}, []string{"On call"}, ""},
		{"PagerDuty down: the card still answers", "ledger", true, []string{"H:ledger", "Owner=payments", "On call=on-call unavailable: PagerDuty is not reachable", "button:/page ledger"}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.fake.SetDown(tt.down)
			defer e.fake.SetDown(false)
			resp := e.run(t, ada, "/whoowns "+tt.text)
			checkReply(t, flatten(resp), tt.want, tt.notWant)
			if tt.wantMention != "" && !has(mentions(resp), tt.wantMention) {
				t.Errorf("got mentions %v, want %s", mentions(resp), tt.wantMention)
			}
		})
	}
}

// BenchmarkWhoownsWithOnCall is /whoowns with its on-call section against a
// fake PagerDuty that takes 100 ms per request: with the adapter's on-call
// cache warm, and cold (every lookup asks PagerDuty). Latency percentiles
// are reported as p50-ms and p99-ms.
func BenchmarkWhoownsWithOnCall(b *testing.B) {
	for _, bc := range []struct {
		name string
		cold bool
	}{{"warm", false}, {"cold", true}} {
		b.Run(bc.name, func(b *testing.B) {
			e := newPDEnv(b, pdOptions{})
			pdClock := &testClock{t: pdNow}
			e.pd.Now = pdClock.Now
			e.fake.SetLatency(100 * time.Millisecond)
			ctx := context.Background()
			req := commands.Request{Command: "/whoowns", Text: "checkout-api", User: ada}
			if _, err := e.router.Dispatch(ctx, req); err != nil { // warms the cache
				b.Fatal(err)
			}
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for range b.N {
				if bc.cold {
					pdClock.Advance(2 * time.Minute) // past the cache's TTL
				}
				start := time.Now()
				resp, err := e.router.Dispatch(ctx, req)
				lat = append(lat, time.Since(start))
				if err != nil {
					b.Fatal(err)
				}
				if got := flatten(resp); !strings.Contains(got, "On call=") || strings.Contains(got, "unavailable") || strings.Contains(got, "as of") {
					b.Fatalf("got %q, want a fresh on-call field", got)
				}
			}
			b.StopTimer()
			slices.Sort(lat)
			pct := func(p float64) float64 { return float64(lat[int(float64(len(lat)-1)*p)].Microseconds()) / 1000 }
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.99), "p99-ms")
		})
	}
}
