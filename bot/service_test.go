package bot_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/switchboard-dev/switchboard/bot"
	"github.com/switchboard-dev/switchboard/bot/fakeslack"
	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
	"github.com/switchboard-dev/switchboard/gitlab"
	"github.com/switchboard-dev/switchboard/gitlab/fakegitlab"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
	"github.com/switchboard-dev/switchboard/manifest"
	"github.com/switchboard-dev/switchboard/reposync"
	"github.com/switchboard-dev/switchboard/standards"
)

// TestServiceAddEndToEnd drives /service add through the real HTTP
// endpoints: the signed command opens a modal; a submission with a
// reserved name gets an inline error; the corrected one registers the
// service at once, and the merge request adding its descriptor is opened
// on the fake GitLab (after a GitLab outage, retried).
func TestServiceAddEndToEnd(t *testing.T) {
	ctx := context.Background()
	fake := fakegitlab.New(fakegitlab.Generate(30, 1), fakegitlab.Options{Token: "glpat-x"})
	gsrv := httptest.NewServer(fake)
	defer gsrv.Close()
	fake.SetURL(gsrv.URL)
	gl, err := gitlab.New(gitlab.Config{BaseURL: gsrv.URL, Token: "glpat-x", RetryMax: -1})
	if err != nil {
		t.Fatal(err)
	}
	store := catalog.NewStore(pgtest.New(t), nil)
	std := standards.Default()
	if _, err := reposync.New(gl, store, reposync.Options{Rules: std.Rules()}).Run(ctx, time.Time{}); err != nil {
		t.Fatal(err)
	}
	repos, err := store.UncataloguedRepos(ctx, "", 100)
	if err != nil || len(repos) == 0 {
		t.Fatalf("uncatalogued repos: %d, %v", len(repos), err)
	}
	repo := repos[0]

	fs := fakeslack.NewForTest(t, []fakeslack.User{{ID: "U0ADA", Name: "ada", RealName: "Ada Lovelace", Email: "ada@acme.test"}}, nil)
	router := commands.NewRouter(slog.New(slog.DiscardHandler), 5*time.Second)
	commands.RegisterServiceCommand(router, commands.ServiceConfig{Catalog: store, Standards: std})
	b, err := bot.New(bot.Config{SigningSecret: secret, API: slack.New(fakeslack.Token, slack.OptionAPIURL(fs.APIURL())), Commands: router, Deliveries: store})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(b.Handler())
	defer srv.Close()
	h := &harness{t: t, store: store, slack: fs, server: srv, bot: b, router: router}

	// The command opens the modal, prefilled.
	body := fakeslack.SlashCommand("/service", "add "+repo.Path, "U0ADA", "C1", fs.ResponseURL("s"), "trigger-1")
	if code, resp := h.post("/slack/commands", body, fakeslack.Sign(secret, body, time.Now())); code != 200 || resp != "" {
		t.Fatalf("slash: %d %q, want an empty ack", code, resp)
	}
	opened := fs.WaitFor("views.open", 1, 5*time.Second)
	if len(opened) != 1 || opened[0].JSON["trigger_id"] != "trigger-1" {
		t.Fatalf("views.open: %+v", opened)
	}
	view := opened[0].JSON["view"].(map[string]any)
	if view["callback_id"] != "service-add" || len(view["blocks"].([]any)) < 10 {
		t.Fatalf("modal: %v", view)
	}
	if s, _ := json.Marshal(view); !strings.Contains(string(s), repo.Path) {
		t.Fatalf("modal is not prefilled with %s", repo.Path)
	}

	// Options of the repo search.
	sugg, _ := fakeslack.Interaction(map[string]any{"type": "block_suggestion", "action_id": "repo", "block_id": "repo",
		"value": repo.Path[:4], "user": map[string]any{"id": "U0ADA"}, "view": map[string]any{"callback_id": "service-add"}})
	if code, resp := h.post("/slack/options", sugg, fakeslack.Sign(secret, sugg, time.Now())); code != 200 || !strings.Contains(resp, repo.Path) {
		t.Fatalf("options: %d %s", code, resp)
	}

	submit := func(name string) (int, string) {
		values := map[string]any{
			"name":      map[string]any{"name": map[string]any{"type": "plain_text_input", "value": name}},
			"team":      map[string]any{"team": map[string]any{"type": "static_select", "selected_option": map[string]any{"value": "payments"}}},
			"repo":      map[string]any{"repo": map[string]any{"type": "external_select", "selected_option": map[string]any{"value": repo.Path}}},
			"language":  map[string]any{"language": map[string]any{"type": "static_select", "selected_option": map[string]any{"value": "go"}}},
			"tier":      map[string]any{"tier": map[string]any{"type": "static_select", "selected_option": map[string]any{"value": std.Tiers[0].Value}}},
			"lifecycle": map[string]any{"lifecycle": map[string]any{"type": "static_select", "selected_option": map[string]any{"value": "production"}}},
			"channel":   map[string]any{"channel": map[string]any{"type": "conversations_select", "selected_conversation": "C0PAY1234"}},
		}
		p, _ := fakeslack.Interaction(map[string]any{"type": "view_submission", "user": map[string]any{"id": "U0ADA", "name": "ada"},
			"view": map[string]any{"callback_id": "service-add", "private_metadata": "C1", "state": map[string]any{"values": values}}})
		return h.post("/slack/interactions", p, fakeslack.Sign(secret, p, time.Now()))
	}
	code, resp := submit("frontend")
	if code != 200 || !strings.Contains(resp, `"response_action":"errors"`) || !strings.Contains(resp, `"name":`) || !strings.Contains(resp, "generic") {
		t.Fatalf("reserved name: %d %s", code, resp)
	}
	if n, _ := store.CountServices(ctx); n == 0 {
		t.Fatal("no services at all")
	}
	if l, _ := store.FindService(ctx, "payments-refunds-bot"); len(l.Services) != 0 {
		t.Fatal("registered before a valid submission")
	}
	code, resp = submit("payments-refunds-bot")
	if code != 200 || !strings.Contains(resp, `"response_action":"clear"`) {
		t.Fatalf("valid submission: %d %s", code, resp)
	}
	l, err := store.FindService(ctx, "payments-refunds-bot")
	if err != nil || len(l.Services) != 1 || l.Services[0].Source != catalog.SourceSlack || l.Services[0].Team != "payments" {
		t.Fatalf("catalog after submission: %+v %v", l.Services, err)
	}
	if got := fs.WaitFor("chat.postEphemeral", 1, 5*time.Second); len(got) != 1 {
		t.Fatalf("confirmation: got %d ephemeral messages", len(got))
	}

	// GitLab fails: the service stays, the user is told, it is retried.
	mr := &commands.MRWorker{Queue: store, GitLab: gl, Notify: b}
	fake.SetFailPaths(repo.Path)
	if n, err := mr.RunOnce(ctx); n != 1 || err != nil {
		t.Fatalf("first attempt: %d %v", n, err)
	}
	if dm := fs.WaitFor("chat.postMessage", 1, 5*time.Second); len(dm) != 1 || !strings.Contains(dm[0].Form.Get("blocks"), "stays registered") {
		t.Fatalf("failure notice: %+v", dm)
	}
	if _, err := store.Pool().Exec(ctx, `UPDATE registrations SET next_attempt_at = now()`); err != nil { // skip the pause
		t.Fatal(err)
	}
	fake.SetFailPaths()
	if n, err := mr.RunOnce(ctx); n != 1 || err != nil {
		t.Fatalf("retry: %d %v", n, err)
	}
	mrs := fake.MergeRequests(repo.GitLabID)
	if len(mrs) != 1 {
		t.Fatalf("merge requests: got %d, want 1", len(mrs))
	}
	d := manifest.Parse("catalog-info.yaml", mrs[0].Files["catalog-info.yaml"], std.Rules())
	if d.HasErrors() || len(d.Entities) != 1 || d.Entities[0].Name != "payments-refunds-bot" || d.Entities[0].Owner != "group:payments" {
		t.Fatalf("descriptor in the merge request: %+v\n%s", d, mrs[0].Files["catalog-info.yaml"])
	}
	if dm := fs.WaitFor("chat.postMessage", 2, 5*time.Second); len(dm) != 2 || !strings.Contains(dm[1].Form.Get("blocks"), "merge_requests") {
		t.Fatalf("merge request link: %+v", dm)
	}
	if n, _ := mr.RunOnce(ctx); n != 0 {
		t.Fatalf("a third run found %d registrations due; want none", n)
	}
}
