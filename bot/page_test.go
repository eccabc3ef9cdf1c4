package bot_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/switchboard-dev/switchboard/bot"
	"github.com/switchboard-dev/switchboard/bot/fakeslack"
	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
	"github.com/switchboard-dev/switchboard/internal/pagetest"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
	"github.com/switchboard-dev/switchboard/pagerduty"
	"github.com/switchboard-dev/switchboard/pagerduty/fakepd"
	"github.com/switchboard-dev/switchboard/sampleorg"
)

// pageEnv is the bot over the sample organisation, with the fake
// PagerDuty's rotations, through the signed HTTP endpoints.
type pageEnv struct {
	*harness
	pd *fakepd.Server
}

// denyPolicy refuses one user.
type denyPolicy struct{ user string }

func (d denyPolicy) MayPage(_ context.Context, user string) (bool, string, error) {
	if user == d.user {
		return false, "only the on-call managers may page", nil
	}
	return true, "", nil
}

func newPageEnv(t *testing.T) *pageEnv {
	t.Helper()
	ctx := context.Background()
	store := catalog.NewStore(pgtest.New(t), nil)
	if err := sampleorg.Load(ctx, store); err != nil {
		t.Fatal(err)
	}
	pd := fakepd.Sample(time.Now())
	psrv := httptest.NewServer(pd)
	t.Cleanup(psrv.Close)
	client, err := pagerduty.New(pagerduty.Config{Token: fakepd.SampleToken, APIURL: psrv.URL, EventsURL: psrv.URL,
		Retry: pagerduty.RetryPolicy{MaxRetries: 2, InitialBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var users []fakeslack.User
	for _, p := range sampleorg.People() {
		users = append(users, fakeslack.User{ID: p.SlackUserID, Name: p.GitLabUsername, RealName: p.Name, Email: p.Email})
	}
	fs := fakeslack.NewForTest(t, append(users, fakeslack.User{ID: "UMALLORY", Name: "mallory", Email: "mallory@acme.example"}), nil)
	t.Cleanup(fs.Close)
	router := commands.NewRouter(slog.New(slog.DiscardHandler), 5*time.Second)
	oc := &commands.OnCallLookup{PagerDuty: client, People: store}
	router.Register(commands.OnCall(store, store, oc))
	pageCfg := commands.PageConfig{Catalog: store, Pages: store, Pager: client, OnCall: oc, Policy: denyPolicy{"UMALLORY"},
		LookupEvery: 50 * time.Millisecond, LookupFor: time.Second}
	router.Register(commands.Page(pageCfg))
	b, err := bot.New(bot.Config{SigningSecret: secret, API: slack.New(fakeslack.Token, slack.OptionAPIURL(fs.APIURL())), Commands: router, Deliveries: store})
	if err != nil {
		t.Fatal(err)
	}
	// The lookups of unconfirmed pages, worked as serve's River job works
	// them, answering at the request's response_url through the bot.
	lookups := commands.NewPageLookups(pageCfg, b.AnswerAt)
	lctx, stopLookups := context.WithCancel(context.Background())
	var working sync.WaitGroup
	t.Cleanup(func() { stopLookups(); working.Wait() })
	store.PageLookups = func(_ context.Context, l catalog.PageLookup) error {
		working.Go(func() { pagetest.Work(lctx, lookups, l, t.Logf) })
		return nil
	}
	srv := httptest.NewServer(b.Handler())
	t.Cleanup(srv.Close)
	t.Cleanup(func() { b.Shutdown(context.Background()) })
	return &pageEnv{harness: &harness{t: t, store: store, slack: fs, server: srv, bot: b, router: router}, pd: pd}
}

// command sends a signed slash command and returns the immediate answer.
func (e *pageEnv) command(user, name, text string) string {
	e.t.Helper()
	body := fakeslack.SlashCommand(name, text, user, "C1", e.slack.ResponseURL("cmd"), "T")
	code, resp := e.post("/slack/commands", body, fakeslack.Sign(secret, body, time.Now()))
	if code != 200 {
		e.t.Fatalf("%s %s: status %d", name, text, code)
	}
	return resp
}

// click presses the button whose command starts with prefix in a reply,
// answering to response URL id, and returns the command it ran.
func (e *pageEnv) click(user, reply, prefix, id string) string {
	e.t.Helper()
	i := strings.Index(reply, `"value":"`+prefix)
	if i < 0 {
		e.t.Fatalf("no button %q in %s", prefix, reply)
	}
	rest := reply[i+len(`"value":"`):]
	value := rest[:strings.Index(rest, `"`)]
	body, _ := fakeslack.Interaction(map[string]any{
		"type": "block_actions", "user": map[string]any{"id": user}, "channel": map[string]any{"id": "C1"},
		"response_url": e.slack.ResponseURL(id), "trigger_id": "T2",
		"actions": []any{map[string]any{"action_id": "run:9:0", "block_id": "b", "type": "button", "value": value}},
	})
	if code, _ := e.post("/slack/interactions", body, fakeslack.Sign(secret, body, time.Now())); code != 200 {
		e.t.Fatalf("click %s: %d", value, code)
	}
	return value
}

// answers returns what was posted to response URLs, in order.
func (e *pageEnv) answers(n int) []map[string]any {
	e.t.Helper()
	calls := e.slack.WaitFor("response_url", n, 10*time.Second)
	var out []map[string]any
	for _, c := range calls {
		out = append(out, c.JSON)
	}
	return out
}

func TestPageThroughSlack(t *testing.T) {
	e := newPageEnv(t)
	confirm := e.command("UPAY01", "/page", "checkout-api disk full on db-3")
	if !strings.Contains(confirm, "disk full on db-3") || !strings.Contains(confirm, "/page --confirm") || !strings.Contains(confirm, "ephemeral") {
		t.Fatalf("confirmation: %s", confirm)
	}
	if len(e.pd.Incidents()) != 0 {
		t.Fatal("paged before the confirmation")
	}
	// A double click: the same button twice.
	e.click("UPAY01", confirm, "/page --confirm", "c1")
	e.click("UPAY01", confirm, "/page --confirm", "c2")
	got := e.answers(3) // the announcement, the deleted confirmation, the second click's answer
	if n := len(e.pd.Incidents()); n != 1 {
		t.Fatalf("incidents after a double click: got %d, want 1", n)
	}
	announced := 0
	for _, a := range got {
		if a["response_type"] == "in_channel" && strings.Contains(fmt.Sprint(a["text"]), "paged") {
			announced++
		}
	}
	if announced != 1 {
		t.Fatalf("in-channel announcements: got %d, want 1: %+v", announced, got)
	}
}

// TestPageFailuresThroughSlack: what the requester reads when PagerDuty
// fails, as Slack receives it through response_url: "NOT paged" only when
// no incident exists; a page PagerDuty did not confirm in time "may have
// gone through", then corrected in place once the incident is looked up.
func TestPageFailuresThroughSlack(t *testing.T) {
	const unknown = "PagerDuty did not confirm in time — the page may have gone through"
	tests := []struct {
		name   string
		break_ func(pd *fakepd.Server)
		// answers: the texts posted to response_url, in order; "delete"
		// is the removal of the ephemeral answer after an announcement.
		answers   []string
		inChannel []bool
		incidents int
	}{
		{"server errors", func(pd *fakepd.Server) { pd.FailNext(50, 500) }, []string{"NOT paged"}, []bool{false}, 0},
		{"429 then success", func(pd *fakepd.Server) { pd.RateLimitNext(1, 200*time.Millisecond) }, []string{"paged", "delete"}, []bool{true, false}, 1},
		{"accepted, answered after the deadline", func(pd *fakepd.Server) {
			pd.SetFaultPath("/v2/enqueue")
			pd.DelayNextResponses(100, 6*time.Second)
		}, []string{unknown, "paged", "delete"}, []bool{false, true, false}, 1},
		{"timeout: never taken", func(pd *fakepd.Server) {
			pd.SetFaultPath("/v2/enqueue")
			pd.SetLatency(4 * time.Second)
		}, []string{unknown, "NOT paged"}, []bool{false, false}, 0},
		{"down: cannot even be asked", func(pd *fakepd.Server) { pd.SetDown(true) },
			[]string{unknown, "could not look the incident up"}, []bool{false, false}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newPageEnv(t)
			confirm := e.command("UPAY01", "/page", "checkout-api "+tt.name)
			tt.break_(e.pd)
			e.click("UPAY01", confirm, "/page --confirm", "c")
			got := e.answers(len(tt.answers))
			if len(got) != len(tt.answers) {
				t.Fatalf("got %d answers, want %d: %+v", len(got), len(tt.answers), got)
			}
			for i, a := range got {
				text := fmt.Sprint(a["text"])
				if tt.answers[i] == "delete" {
					if a["delete_original"] != true {
						t.Errorf("answer %d: got %v, want the ephemeral answer deleted", i, a)
					}
					continue
				}
				if !strings.Contains(text, tt.answers[i]) {
					t.Errorf("answer %d: got %q, want %q", i, text, tt.answers[i])
				}
				if inChannel := a["response_type"] == "in_channel"; inChannel != tt.inChannel[i] {
					t.Errorf("answer %d: got in channel %v, want %v: %q", i, inChannel, tt.inChannel[i], text)
				}
				if !tt.inChannel[i] && a["replace_original"] != true {
					t.Errorf("answer %d: got %v, want it in place of the message clicked", i, a)
				}
				if strings.Contains(text, "NOT paged") && len(e.pd.Incidents()) != 0 {
					t.Errorf("answer %d says NOT paged, but PagerDuty holds %d incidents: %q", i, len(e.pd.Incidents()), text)
				}
			}
			e.pd.SetDown(false)
			e.pd.SetLatency(0)
			if n := len(e.pd.Incidents()); n != tt.incidents {
				t.Fatalf("incidents: got %d, want %d", n, tt.incidents)
			}
			// Every answer is out: nothing more comes once the bot is idle.
			if err := e.bot.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			if n := len(e.slack.Calls("response_url")); n != len(tt.answers) {
				t.Errorf("got %d answers after shutdown, want %d", n, len(tt.answers))
			}
		})
	}
}

func TestPageRefusedUser(t *testing.T) {
	e := newPageEnv(t)
	reply := e.command("UMALLORY", "/page", "checkout-api let me in")
	if !strings.Contains(reply, "only the on-call managers may page") || strings.Contains(reply, "--confirm") {
		t.Fatalf("refusal: %s", reply)
	}
	entries, err := e.store.AuditLog(context.Background(), "", 10)
	if err != nil || len(entries) == 0 || entries[0].Result != "refused" {
		t.Fatalf("audit: %+v %v", entries, err)
	}
}

func TestOnCallShowsEveryEntry(t *testing.T) {
	e := newPageEnv(t)
	var targets []fakepd.Target
	for i := range 30 {
		u := fakepd.User{ID: fmt.Sprintf("PU%03d", i), Name: fmt.Sprintf("Person %02d", i), Email: fmt.Sprintf("p%02d@acme.example", i)}
		if err := e.pd.AddUser(u); err != nil {
			t.Fatal(err)
		}
		targets = append(targets, fakepd.Target{Type: fakepd.TargetUser, ID: u.ID})
	}
	if err := e.pd.AddEscalationPolicy(fakepd.EscalationPolicy{ID: "PBIG", Name: "Everyone", Rules: []fakepd.Rule{{DelayMinutes: 30, Targets: targets}}}); err != nil {
		t.Fatal(err)
	}
	if err := e.pd.AddService(fakepd.Service{ID: "PSVCBIG", Name: "big", EscalationPolicyID: "PBIG"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.PutService(context.Background(), catalog.Service{Name: "big-service", Team: "platform", Source: catalog.SourceImport, PagerDutyServiceID: "PSVCBIG"}); err != nil {
		t.Fatal(err)
	}
	reply := e.command("UPAY01", "/oncall", "big-service")
	for i := range 30 {
		if !strings.Contains(reply, fmt.Sprintf("Person %02d", i)) {
			t.Fatalf("Person %02d missing from /oncall:\n%s", i, reply)
		}
	}
}

// TestWhoOwnsWithOnCallGolden is the /whoowns card with its on-call
// section, on a fixed clock, as Slack receives it.
func TestWhoOwnsWithOnCallGolden(t *testing.T) {
	ctx := context.Background()
	store := catalog.NewStore(pgtest.New(t), nil)
	if err := sampleorg.Load(ctx, store); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	pd := fakepd.Sample(now)
	psrv := httptest.NewServer(pd)
	defer psrv.Close()
	client, err := pagerduty.New(pagerduty.Config{Token: fakepd.SampleToken, APIURL: psrv.URL, EventsURL: psrv.URL}, nil)
	if err != nil {
		t.Fatal(err)
	}
	client.Now = func() time.Time { return now }
	fs := fakeslack.NewForTest(t, nil, nil)
	defer fs.Close()
	router := commands.NewRouter(slog.New(slog.DiscardHandler), 5*time.Second)
	router.Register(commands.WhoOwnsWithOnCall(store, &commands.OnCallLookup{PagerDuty: client, People: store, Now: func() time.Time { return now }}))
	b, err := bot.New(bot.Config{SigningSecret: secret, API: slack.New(fakeslack.Token, slack.OptionAPIURL(fs.APIURL())), Commands: router})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(b.Handler())
	defer srv.Close()
	h := &harness{t: t, store: store, slack: fs, server: srv, bot: b, router: router}
	code, body := h.slash("checkout-api")
	if code != 200 {
		t.Fatalf("status %d", code)
	}
	goldenJSON(t, filepath.Join("testdata", "whoowns_oncall.json"), []byte(body))
}
