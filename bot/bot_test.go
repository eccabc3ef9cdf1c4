package bot_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/switchboard-dev/switchboard/bot"
	"github.com/switchboard-dev/switchboard/bot/fakeslack"
	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const secret = "8f742231b10e8888abcd99yyyzzz85a5"

// harness is a bot over a real catalog, served over HTTP, with a fake
// Slack.
type harness struct {
	t      *testing.T
	store  *catalog.Store
	slack  *fakeslack.Server
	server *httptest.Server
	bot    *bot.Bot
	router *commands.Router
}

func newHarness(t *testing.T, ackBudget time.Duration) *harness {
	t.Helper()
	ctx := context.Background()
	store := catalog.NewStore(pgtest.New(t), nil)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := store.PutTeam(ctx, catalog.Team{Name: "payments", Title: "Payments", SlackChannel: "#team-payments"})
	must(err)
	_, err = store.PutPerson(ctx, catalog.Person{Name: "Ada Lovelace", Email: "ada@acme.test", SlackUserID: "U0ADA"})
	must(err)
	must(store.AddMember(ctx, "payments", "ada@acme.test", "gitlab", ""))
	co, err := store.PutService(ctx, catalog.Service{Name: "checkout-api", Team: "payments", Tier: "1", Lifecycle: "production",
		Source: catalog.SourceDescriptor, Description: "Takes the basket to a paid order & <more>.",
		Links: []catalog.Link{{Kind: catalog.LinkRunbook, Title: "Runbook", URL: "https://wiki.acme.test/runbooks/checkout-api"}}})
	must(err)
	repo, err := store.PutRepo(ctx, catalog.Repo{GitLabID: 7, Path: "acme/payments/checkout-api", WebURL: "https://gitlab.acme.test/acme/payments/checkout-api"})
	must(err)
	must(store.AttachRepo(ctx, co.ID, repo.ID, ""))
	for _, svc := range []catalog.Service{
		{Namespace: "storefront", Name: "frontend", Team: "storefront", Source: catalog.SourceImport},
		{Namespace: "backoffice", Name: "frontend", Team: "backoffice", Source: catalog.SourceImport},
	} {
		_, err := store.PutService(ctx, svc)
		must(err)
	}

	fs := fakeslack.NewForTest(t, []fakeslack.User{{ID: "U0ADA", Name: "ada", RealName: "Ada Lovelace", Email: "ada@acme.test"}}, []fakeslack.Channel{{ID: "C1", Name: "general"}})
	router := commands.NewRouter(slog.New(slog.DiscardHandler), 5*time.Second)
	router.Register(commands.WhoOwns(store))
	b, err := bot.New(bot.Config{
		SigningSecret: secret,
		API:           slack.New(fakeslack.Token, slack.OptionAPIURL(fs.APIURL())),
		Commands:      router,
		Deliveries:    store,
		AckBudget:     ackBudget,
		Ready:         func(ctx context.Context) error { return store.Pool().Ping(ctx) },
	})
	must(err)
	srv := httptest.NewServer(b.Handler())
	t.Cleanup(srv.Close)
	t.Cleanup(func() { b.Shutdown(context.Background()) })
	return &harness{t: t, store: store, slack: fs, server: srv, bot: b, router: router}
}

// post sends body to path signed at the given time (zero: now) and
// returns the status and body. The fake Slack checks the body as it checks
// every payload it receives.
func (h *harness) post(path string, body []byte, header http.Header) (int, string) {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.server.URL+path, bytes.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	h.slack.ReceiveAck(path, out) // what the bot answers Slack is checked too
	return resp.StatusCode, string(out)
}

func (h *harness) slash(text string) (int, string) {
	body := fakeslack.SlashCommand("/whoowns", text, "U0ADA", "C1", h.slack.ResponseURL("r1"), "T1")
	return h.post("/slack/commands", body, fakeslack.Sign(secret, body, time.Now()))
}

func TestSlashWhoOwnsGolden(t *testing.T) {
	h := newHarness(t, 2*time.Second)
	tests := []struct{ name, text string }{
		{"owner", "checkout-api"},
		{"ambiguous", "frontend"},
		{"did_you_mean", "chekout-api"},
		{"unknown", "qqqzzzx"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := h.slash(tt.text)
			if code != http.StatusOK {
				t.Fatalf("status: got %d, want 200; body %s", code, body)
			}
			var msg map[string]any
			if err := json.Unmarshal([]byte(body), &msg); err != nil {
				t.Fatalf("reply is not JSON: %v\n%s", err, body)
			}
			if msg["response_type"] != "ephemeral" {
				t.Errorf("response_type: got %v, want ephemeral", msg["response_type"])
			}
			goldenJSON(t, filepath.Join("testdata", "whoowns_"+tt.name+".json"), []byte(body))
		})
	}
}

// goldenJSON compares a JSON document, indented, with a golden file.
func goldenJSON(t *testing.T, path string, doc []byte) {
	t.Helper()
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, doc)
	}
	var pretty bytes.Buffer
	enc := json.NewEncoder(&pretty)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	golden(t, path, pretty.Bytes())
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test ./bot -update to create it): %v", err)
	}
	if !bytes.Equal(bytes.TrimSpace(got), bytes.TrimSpace(want)) {
		t.Fatalf("%s differs (go test ./bot -run %s -update rewrites it):\ngot:\n%s", path, t.Name(), got)
	}
}

func TestRejectedRequests(t *testing.T) {
	h := newHarness(t, 2*time.Second)
	body := fakeslack.SlashCommand("/whoowns", "checkout-api", "U0ADA", "C1", h.slack.ResponseURL("r"), "T1")
	big := append(bytes.Repeat([]byte("a"), 1<<20), body...)
	tests := []struct {
		name   string
		body   []byte
		header http.Header
		want   int
	}{
		{"no signature", body, http.Header{}, http.StatusUnauthorized},
		{"wrong secret", body, fakeslack.Sign("not-the-secret", body, time.Now()), http.StatusUnauthorized},
		{"body changed after signing", append(bytes.Clone(body), '&', 'x', '=', '1'), fakeslack.Sign(secret, body, time.Now()), http.StatusUnauthorized},
		{"stale", body, fakeslack.Sign(secret, body, time.Now().Add(-6*time.Minute)), http.StatusUnauthorized},
		{"from the future", body, fakeslack.Sign(secret, body, time.Now().Add(6*time.Minute)), http.StatusUnauthorized},
		{"oversized", big, fakeslack.Sign(secret, big, time.Now()), http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, resp := h.post("/slack/commands", tt.body, tt.header)
			if code != tt.want {
				t.Fatalf("status: got %d, want %d (%s)", code, tt.want, resp)
			}
			if strings.Contains(resp, "checkout-api") {
				t.Fatalf("a rejected request was answered: %s", resp)
			}
		})
	}
	if calls := h.slack.Calls(""); len(calls) != 0 {
		t.Fatalf("Slack calls after rejected requests: got %d, want 0", len(calls))
	}
	entries, err := h.store.AuditLog(context.Background(), "", 10)
	if err != nil || len(entries) != 0 {
		t.Fatalf("audit log after rejected requests: got %d entries, %v", len(entries), err)
	}
}

func TestURLVerification(t *testing.T) {
	h := newHarness(t, time.Second)
	body := []byte(`{"token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`)
	code, resp := h.post("/slack/events", body, fakeslack.Sign(secret, body, time.Now()))
	if code != http.StatusOK || resp != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
		t.Fatalf("got %d %q", code, resp)
	}
}

// TestRetriedEventHandledOnce sends the same app_home_opened event three
// times, as Slack does when an ack is late: the home is published once.
func TestRetriedEventHandledOnce(t *testing.T) {
	h := newHarness(t, time.Second)
	body := []byte(`{"token":"x","team_id":"T1","api_app_id":"A1","type":"event_callback","event_id":"Ev0PV52K21","event_time":1700000000,
		"event":{"type":"app_home_opened","user":"U0ADA","channel":"D1","tab":"home","event_ts":"1700000000.1"}}`)
	for i := range 3 {
		hdr := fakeslack.Sign(secret, body, time.Now())
		if i > 0 {
			hdr.Set("X-Slack-Retry-Num", fmt.Sprint(i))
			hdr.Set("X-Slack-Retry-Reason", "http_timeout")
		}
		if code, resp := h.post("/slack/events", body, hdr); code != http.StatusOK {
			t.Fatalf("delivery %d: status %d %s", i, code, resp)
		}
	}
	// Every delivery handled: Close returns once every handler has
	// returned, and an event is handled (the Home published) before its
	// handler returns.
	h.server.Close()
	calls := h.slack.Calls("views.publish")
	if len(calls) != 1 {
		t.Fatalf("views.publish: got %d calls, want 1", len(calls))
	}
	if calls[0].JSON["user_id"] != "U0ADA" {
		t.Fatalf("published for %v, want U0ADA", calls[0].JSON["user_id"])
	}
}

// TestSlowCommandAnsweredThroughResponseURL: a command slower than the
// ack budget is acknowledged empty at once and answered later. The command
// runs until the test has the ack: an ack that waited for it would come
// only once the command gave up waiting, and say so.
func TestSlowCommandAnsweredThroughResponseURL(t *testing.T) {
	h := newHarness(t, 50*time.Millisecond)
	var ran atomic.Int32
	release := make(chan struct{})
	h.router.Register(commands.Command{Name: "/slow", Handler: func(ctx context.Context, req commands.Request) (commands.Response, error) {
		select {
		case <-release:
		case <-time.After(10 * time.Second): // never, unless the ack waited for the command
		}
		ran.Add(1)
		return commands.Response{Text: "done slowly", Blocks: []commands.Block{&commands.Section{Text: commands.T(commands.Plain("done slowly"))}}}, nil
	}})
	body := fakeslack.SlashCommand("/slow", "", "U0ADA", "C1", h.slack.ResponseURL("slow"), "T1")
	code, resp := h.post("/slack/commands", body, fakeslack.Sign(secret, body, time.Now()))
	if n := ran.Load(); n != 0 {
		t.Fatalf("the command had finished when the ack came (%d runs); the ack must not wait for it", n)
	}
	close(release)
	if code != http.StatusOK || resp != "" {
		t.Fatalf("ack: got %d %q, want 200 and an empty body", code, resp)
	}
	calls := h.slack.WaitFor("response_url", 1, 5*time.Second)
	if len(calls) != 1 || calls[0].JSON["text"] != "done slowly" {
		t.Fatalf("response_url: got %+v", calls)
	}
}

func interactionBody(t *testing.T, actionID, value, selected string) []byte {
	t.Helper()
	action := map[string]any{"action_id": actionID, "block_id": "b", "type": "button", "value": value, "action_ts": "1"}
	if selected != "" {
		action = map[string]any{"action_id": actionID, "block_id": "b", "type": "static_select", "selected_option": map[string]any{"value": selected, "text": map[string]any{"type": "plain_text", "text": "x"}}}
	}
	body, err := fakeslack.Interaction(map[string]any{
		"type": "block_actions", "user": map[string]any{"id": "U0ADA", "name": "ada"},
		"channel": map[string]any{"id": "C1"}, "response_url": "", "trigger_id": "T2",
		"actions": []any{action},
	})
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func TestButtonsAndShare(t *testing.T) {
	h := newHarness(t, time.Second)
	tests := []struct {
		name        string
		actionID    string
		value       string
		selected    string
		wantType    string
		wantReplace bool
		wantText    string
	}{
		{"did you mean button", "run:2:0", "/whoowns checkout-api", "", "ephemeral", true, "checkout-api is owned by payments (Payments)"},
		{"picker", "run:3:select", "", "/whoowns storefront/frontend", "ephemeral", true, "storefront/frontend is owned by storefront"},
		{"share", "share", "/whoowns checkout-api", "", "in_channel", false, "checkout-api is owned by payments (Payments)"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := interactionBody(t, tt.actionID, tt.value, tt.selected)
			// Point response_url at the fake: rebuild the payload with it.
			var payload map[string]any
			body = bytes.Replace(body, []byte("response_url%22%3A%22%22"), []byte("response_url%22%3A%22"+urlEscape(h.slack.ResponseURL(fmt.Sprint(i)))+"%22"), 1)
			code, resp := h.post("/slack/interactions", body, fakeslack.Sign(secret, body, time.Now()))
			if code != http.StatusOK {
				t.Fatalf("status %d %s", code, resp)
			}
			calls := h.slack.WaitFor("response_url", i+1, 5*time.Second)
			if len(calls) != i+1 {
				t.Fatalf("response_url calls: got %d, want %d", len(calls), i+1)
			}
			payload = calls[i].JSON
			if payload["response_type"] != tt.wantType || payload["replace_original"] != tt.wantReplace || payload["text"] != tt.wantText {
				t.Fatalf("got response_type=%v replace_original=%v text=%v; want %v %v %q",
					payload["response_type"], payload["replace_original"], payload["text"], tt.wantType, tt.wantReplace, tt.wantText)
			}
		})
	}
}

func urlEscape(s string) string {
	r := strings.NewReplacer(":", "%3A", "/", "%2F")
	return r.Replace(s)
}

func TestHealthAndReady(t *testing.T) {
	h := newHarness(t, time.Second)
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(h.server.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: got %d, want 200", path, resp.StatusCode)
		}
	}
	h.store.Pool().Close()
	resp, err := http.Get(h.server.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("/readyz with the database closed: got %d, want 503", resp.StatusCode)
	}
}

// TestHomeButtonRepublishes: a button of the App Home has no response_url;
// its command runs and the Home is published again.
func TestHomeButtonRepublishes(t *testing.T) {
	h := newHarness(t, time.Second)
	body, err := fakeslack.Interaction(map[string]any{
		"type": "block_actions", "user": map[string]any{"id": "U0ADA"}, "trigger_id": "T",
		"view":    map[string]any{"type": "home", "id": "VHOME"},
		"actions": []any{map[string]any{"action_id": "run:1:0", "block_id": "b", "type": "button", "value": "/whoowns checkout-api"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if code, resp := h.post("/slack/interactions", body, fakeslack.Sign(secret, body, time.Now())); code != 200 {
		t.Fatalf("status %d %s", code, resp)
	}
	// Shutdown returns once the click's work is done: the Home is then
	// published, once.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.bot.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if got := h.slack.Calls("views.publish"); len(got) != 1 || got[0].JSON["user_id"] != "U0ADA" {
		t.Fatalf("views.publish: got %+v, want one, for U0ADA", got)
	}
}

// watchedContext reports, by closing waiting, the first time Done is
// asked: when a Shutdown given it starts waiting on it.
type watchedContext struct {
	context.Context
	once    sync.Once
	waiting chan struct{}
}

func (c *watchedContext) Done() <-chan struct{} {
	c.once.Do(func() { close(c.waiting) })
	return c.Context.Done()
}

// TestShutdownFinishesInFlightWork: an answer still owed when shutdown
// starts is delivered before Shutdown returns. The command runs until
// Shutdown is waiting, so the answer is owed then, whatever the speed of
// the machine.
func TestShutdownFinishesInFlightWork(t *testing.T) {
	h := newHarness(t, 50*time.Millisecond)
	release := make(chan struct{})
	h.router.Register(commands.Command{Name: "/slow", Handler: func(ctx context.Context, req commands.Request) (commands.Response, error) {
		<-release
		return commands.Response{Text: "finished after all"}, nil
	}})
	body := fakeslack.SlashCommand("/slow", "", "U0ADA", "C1", h.slack.ResponseURL("late"), "T")
	if code, _ := h.post("/slack/commands", body, fakeslack.Sign(secret, body, time.Now())); code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	base, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ctx := &watchedContext{Context: base, waiting: make(chan struct{})}
	done := make(chan error, 1)
	go func() { done <- h.bot.Shutdown(ctx) }()
	<-ctx.waiting
	if got := h.slack.Calls("response_url"); len(got) != 0 {
		t.Fatalf("answers before the command finished: got %+v, want none", got)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if got := h.slack.Calls("response_url"); len(got) != 1 || got[0].JSON["text"] != "finished after all" {
		t.Fatalf("answers delivered by the time Shutdown returned: %+v", got)
	}
}
