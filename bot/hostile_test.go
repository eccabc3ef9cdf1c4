package bot_test

import (
	"context"
	"encoding/json"
	"fmt"
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
	"github.com/switchboard-dev/switchboard/digest"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
	"github.com/switchboard-dev/switchboard/manifest"
	"github.com/switchboard-dev/switchboard/pagerduty"
	"github.com/switchboard-dev/switchboard/pagerduty/fakepd"
	"github.com/switchboard-dev/switchboard/sampleorg"
	"github.com/switchboard-dev/switchboard/standards"
	"github.com/switchboard-dev/switchboard/weblinks"
)

// hostileEnv is every command, the App Home and the digest over the sample
// organisation plus, for each hostile value, services, teams, people, repos,
// links and descriptor findings that hold it.
type hostileEnv struct {
	*harness
	caller string
	std    *standards.Standards
	events int
}

func newHostileEnv(t *testing.T) *hostileEnv {
	t.Helper()
	ctx := context.Background()
	store := catalog.NewStore(pgtest.New(t), nil)
	if err := sampleorg.Load(ctx, store); err != nil {
		t.Fatal(err)
	}
	pd := fakepd.Sample(time.Now())
	psrv := httptest.NewServer(pd)
	t.Cleanup(psrv.Close)
	client, err := pagerduty.New(pagerduty.Config{Token: fakepd.SampleToken, APIURL: psrv.URL, EventsURL: psrv.URL}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var users []fakeslack.User
	for _, p := range sampleorg.People() {
		users = append(users, fakeslack.User{ID: p.SlackUserID, Name: p.GitLabUsername, RealName: p.Name, Email: p.Email})
	}
	caller := sampleorg.People()[0]
	fs := fakeslack.NewForTest(t, users, []fakeslack.Channel{{ID: "C100", Name: "catalog-digest"}})
	std := standards.Default()
	for _, h := range fakeslack.Hostile {
		std.Onboarding.Checklist = append(std.Onboarding.Checklist, standards.ChecklistItem{Title: h.Value, URL: h.Value})
	}
	seedHostile(t, store, std, caller.Email)
	seedHostileIncidents(t, store)
	incidents := catalog.IncidentCounts{Store: store}

	api := slack.New(fakeslack.Token, slack.OptionAPIURL(fs.APIURL()))
	dir := bot.NewDirectory(api, nil, nil)
	router := commands.NewRouter(slog.New(slog.DiscardHandler), 10*time.Second)
	oc := &commands.OnCallLookup{PagerDuty: client, People: store, Slack: dir}
	links := weblinks.New("https://sb.example")
	oc.Links = links
	router.Register(commands.WhoOwnsWith(commands.WhoOwnsConfig{Catalog: store, OnCall: oc, Search: store, Incidents: incidents, Links: links}))
	router.Register(commands.Search(store, links))
	router.Register(commands.OnCall(store, store, oc))
	router.Register(commands.Page(commands.PageConfig{Catalog: store, Pages: store, Pager: client, OnCall: oc,
		Context: &commands.PageContext{Dependents: store, History: store, Graph: store}}))
	router.Register(commands.Changes(commands.ChangesConfig{Catalog: store, History: store, Graph: store}))
	router.Register(commands.Impact(store))
	router.Register(commands.Blast(store, store, oc))
	src := digest.Source{Store: store, Standards: std}
	router.Register(commands.Digest(src))
	commands.RegisterServiceCommand(router, commands.ServiceConfig{Catalog: store, Standards: std, More: map[string]commands.SubcommandFunc{
		"uncatalogued": commands.Uncatalogued(src), "ignore": commands.IgnoreRepo(src),
		"unignore": commands.UnignoreRepo(src), "ignored": commands.Ignored(src),
	}})
	router.Register(commands.TeamWithIncidents(store, oc, incidents))
	router.Register(commands.Onboard(commands.OnboardConfig{Catalog: store, OnCall: oc, Checklist: std.Onboarding.Checklist, Messenger: dir, Users: dir}))
	home := commands.HomeView{Catalog: store, OnCall: oc, Checklist: std.Onboarding.Checklist}
	b, err := bot.New(bot.Config{SigningSecret: secret, API: api, Directory: dir,
		Commands: router, Deliveries: store, Home: home.Build, AckBudget: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(b.Handler())
	t.Cleanup(srv.Close)
	t.Cleanup(func() { b.Shutdown(context.Background()) })
	// Hostile text must never come back as is: the control-sequence check
	// alone would accept "<@U123>".
	for _, h := range fakeslack.Hostile {
		if strings.Contains(h.Value, "<") {
			fs.Forbid(h.Value)
		}
	}
	return &hostileEnv{harness: &harness{t: t, store: store, slack: fs, server: srv, bot: b, router: router}, caller: caller.SlackUserID, std: std}
}

// yamlString quotes s for YAML (JSON strings are YAML double-quoted
// scalars).
func yamlString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// seedHostile puts each hostile value in every synced field: through the
// sync's own path (a descriptor parsed and applied, valid or not) for what
// a descriptor may hold, and through the store for what validation would
// refuse (names, channels, tiers, repo paths, link addresses).
func seedHostile(t *testing.T, store *catalog.Store, std *standards.Standards, member string) {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	checkout := "checkout-api"
	for i, h := range fakeslack.Hostile {
		v := yamlString(h.Value)
		// A valid descriptor whose free text is hostile, and a broken one
		// whose structured fields are (its findings echo them).
		valid := fmt.Sprintf(`apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: synced-%d
  title: %s
  description: %s
  links:
    - url: https://wiki.example/runbooks/synced-%d
      title: %s
      type: runbook
    - url: %s
      title: docs
spec:
  type: service
  lifecycle: production
  owner: group:synced-team-%d
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: synced-team-%d
  description: %s
spec:
  type: team
  profile:
    displayName: %s
  children: []
`, i, v, v, i, v, yamlString("https://docs.example/?q="+h.Value), i, i, v, v)
		broken := fmt.Sprintf(`apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: broken-%d
  description: %s
  tags: [%s]
  annotations:
    slack.com/bot-notify: %s
  links:
    - url: %s
      title: %s
spec:
  type: %s
  lifecycle: %s
  owner: %s
  tier: %s
`, i, v, v, v, v, v, v, v, yamlString("group:"+h.Value), v)
		for _, d := range []struct{ name, yaml string }{{"synced", valid}, {"broken", broken}} {
			parsed := manifest.Parse("catalog-info.yaml", []byte(d.yaml), std.Rules())
			status := catalog.DescriptorOK
			if parsed.HasErrors() {
				status = catalog.DescriptorInvalid
			}
			if d.name == "synced" && status != catalog.DescriptorOK {
				t.Fatalf("%s: the valid descriptor has errors: %+v", h.Name, parsed.Findings)
			}
			path := fmt.Sprintf("acme/hostile/%s-%d", d.name, i)
			_, err := store.ApplyRepo(ctx, catalog.RepoSnapshot{
				Repo:             catalog.Repo{GitLabID: int64(20000 + 10*i + len(d.name)), Path: path, DefaultBranch: "main", WebURL: "https://gitlab.example/" + path, LastCommit: "c1", LastActivityAt: time.Now()},
				Files:            []string{"catalog-info.yaml", h.Value + "/log4j2.xml"},
				Dependencies:     []catalog.Dependency{{Ecosystem: "maven", Name: "org.hostile:lib", Version: h.Value, File: h.Value + "/pom.xml"}},
				DescriptorStatus: status, DescriptorPath: "catalog-info.yaml", Findings: parsed.Findings, Entities: parsed.Entities,
			})
			must(err)
		}
		// A repo without a descriptor: in the digest, Register and Ignore.
		_, err := store.ApplyRepo(ctx, catalog.RepoSnapshot{
			Repo:             catalog.Repo{GitLabID: int64(30000 + i), Path: fmt.Sprintf("acme/hostile/missing-%d", i), DefaultBranch: "main", WebURL: h.Value, LastCommit: "c1", LastActivityAt: time.Now()},
			Files:            []string{h.Value},
			DescriptorStatus: catalog.DescriptorMissing,
		})
		must(err)

		// What validation would refuse, straight into the store.
		team := fmt.Sprintf("hteam-%d", i)
		_, err = store.PutTeam(ctx, catalog.Team{Name: team, Title: h.Value, Description: h.Value, SlackChannel: h.Value, GitLabGroup: "acme/hostile"})
		must(err)
		_, err = store.PutTeam(ctx, catalog.Team{Name: h.Value, Title: h.Value, SlackChannel: h.Value})
		must(err)
		email := fmt.Sprintf("hostile%d@acme.test", i)
		_, err = store.PutPerson(ctx, catalog.Person{Name: h.Value, Email: email, SlackUserID: h.Value, GitLabUsername: h.Value})
		must(err)
		must(store.AddMember(ctx, team, email, "gitlab", h.Value))
		must(store.AddMember(ctx, team, member, "gitlab", ""))
		must(store.AddMember(ctx, h.Value, email, "gitlab", ""))
		svc, err := store.PutService(ctx, catalog.Service{Name: fmt.Sprintf("hsvc-%d", i), Title: h.Value, Description: h.Value, Team: team,
			Tier: h.Value, Lifecycle: h.Value, Type: h.Value, Language: h.Value, Framework: h.Value, Tags: []string{h.Value}, Aliases: []string{h.Value},
			SlackChannel: h.Value, PagerDutyServiceID: fakepd.SampleServiceID(checkout), PagerDutyIntegrationKey: fakepd.SampleIntegrationKey(checkout),
			Source: catalog.SourceDescriptor, Links: []catalog.Link{
				{Kind: catalog.LinkRunbook, Title: h.Value, URL: h.Value},
				{Kind: catalog.LinkDocs, Title: h.Value, URL: "https://docs.example/?q=" + h.Value},
				{Kind: catalog.LinkDashboard, Title: "", URL: h.Value},
			}})
		must(err)
		repo, err := store.PutRepo(ctx, catalog.Repo{GitLabID: int64(40000 + i), Path: "acme/hostile/" + h.Value, WebURL: h.Value, LastActivityAt: time.Now()})
		must(err)
		must(store.AttachRepo(ctx, svc.ID, repo.ID, h.Value))
		// Its change history as GitLab would report it: every field
		// hostile (/changes, the /page confirmation).
		must(store.RecordChanges(ctx, []catalog.Change{
			{Kind: catalog.ChangeMerge, ProjectID: repo.GitLabID, Ref: "1", At: time.Now().Add(-time.Hour), Title: h.Value,
				AuthorName: h.Value, AuthorUsername: h.Value, WebURL: h.Value, Source: catalog.ChangeFromWebhook},
			{Kind: catalog.ChangeDeployment, ProjectID: repo.GitLabID, Ref: "2", At: time.Now().Add(-time.Minute), Title: h.Value,
				Environment: h.Value, Status: "success", WebURL: "https://gitlab.example/-/jobs/1?" + h.Value, Source: catalog.ChangeFromSync},
		}))

		// The service graph (/blast): a dependent of hsvc-i owned by the
		// hostile team, declared in a hostile file, naming a hostile
		// reference the catalog does not hold.
		dep := fmt.Sprintf("hdep-%d", i)
		_, err = store.ApplyRepo(ctx, catalog.RepoSnapshot{
			Repo:             catalog.Repo{GitLabID: int64(60000 + i), Path: "acme/hostile/" + dep, DefaultBranch: "main", LastCommit: "c1"},
			DescriptorStatus: catalog.DescriptorOK, DescriptorPath: h.Value + "/catalog-info.yaml",
			Entities: []manifest.Entity{{Kind: manifest.KindComponent, APIVersion: "backstage.io/v1alpha1", Name: dep, Namespace: "default",
				DependsOn: []string{fmt.Sprintf("component:hsvc-%d", i), "component:default/" + h.Value}, ConsumesAPIs: []string{"api:default/" + h.Value}}},
		})
		must(err)
		_, err = store.PutService(ctx, catalog.Service{Name: dep, Team: h.Value, Source: catalog.SourceDescriptor})
		must(err)
	}
}

// slash runs a slash command as the caller and returns the ack's body.
func (e *hostileEnv) slash(line string) string {
	e.t.Helper()
	cmd, text, _ := strings.Cut(line, " ")
	body := fakeslack.SlashCommand(cmd, text, e.caller, "C1", e.slack.ResponseURL("cmd"), "trigger")
	code, resp := e.post("/slack/commands", body, fakeslack.Sign(secret, body, time.Now()))
	if code != 200 {
		e.t.Fatalf("%s: status %d %s", line, code, resp)
	}
	return resp
}

// interact sends an interaction payload and returns the ack's body.
func (e *hostileEnv) interact(payload map[string]any) string {
	e.t.Helper()
	body, err := fakeslack.Interaction(payload)
	if err != nil {
		e.t.Fatal(err)
	}
	code, resp := e.post("/slack/interactions", body, fakeslack.Sign(secret, body, time.Now()))
	if code != 200 {
		e.t.Fatalf("interaction: status %d %s", code, resp)
	}
	return resp
}

// click presses a button of value in a message with a response_url.
func (e *hostileEnv) click(actionID, value string) {
	e.t.Helper()
	e.interact(map[string]any{
		"type": "block_actions", "user": map[string]any{"id": e.caller}, "channel": map[string]any{"id": "C1"},
		"response_url": e.slack.ResponseURL("click"), "trigger_id": "T2",
		"actions": []any{map[string]any{"action_id": actionID, "block_id": "b", "type": "button", "value": value}},
	})
}

// buttonValue is the value of the first button in an ack whose value
// starts with prefix, "" when none.
func buttonValue(ack, prefix string) string {
	i := strings.Index(ack, `"value":"`+prefix)
	if i < 0 {
		return ""
	}
	rest := ack[i+len(`"value":"`):]
	var v string
	if err := json.Unmarshal([]byte(`"`+rest[:strings.Index(rest, `"`)]+`"`), &v); err != nil {
		return ""
	}
	return v
}

// submit sends the /service add form with values (field: value).
func (e *hostileEnv) submit(values map[string]string) string {
	e.t.Helper()
	state := map[string]any{}
	for field, v := range values {
		switch field {
		case "name", "description":
			state[field] = map[string]any{field: map[string]any{"type": "plain_text_input", "value": v}}
		case "channel":
			state[field] = map[string]any{field: map[string]any{"type": "conversations_select", "selected_conversation": v}}
		default:
			state[field] = map[string]any{field: map[string]any{"type": "static_select", "selected_option": map[string]any{"value": v}}}
		}
	}
	return e.interact(map[string]any{"type": "view_submission", "user": map[string]any{"id": e.caller},
		"view": map[string]any{"callback_id": "service-add", "private_metadata": "C1", "state": map[string]any{"values": state}}})
}

// TestHostileTextNeverLive sends each hostile value through every command
// that echoes what was typed, every synced field (descriptors applied as
// the sync applies them, and the store), forms, buttons, the App Home, the
// direct messages of /onboard and the digest post; the fake Slack fails
// the test (fakeslack.NewForTest) on any payload, answer or ack that holds
// "<!", "<@", "<#" or "<http" Switchboard did not mean, or a hostile value
// as is.
func TestHostileTextNeverLive(t *testing.T) {
	if testing.Short() {
		t.Skip("long: every command for every hostile value")
	}
	e := newHostileEnv(t)
	ctx := context.Background()
	clicks := 0
	for i, h := range fakeslack.Hostile {
		t.Run(h.Name, func(t *testing.T) {
			e.t = t
			v := h.Value
			for _, line := range []string{
				"/whoowns " + v, "/whoowns the thing that " + v, "/search " + v, "/search hsvc " + v, fmt.Sprintf("/whoowns hsvc-%d", i), fmt.Sprintf("/whoowns synced-%d", i), fmt.Sprintf("/whoowns broken-%d", i),
				"/oncall " + v, fmt.Sprintf("/oncall hsvc-%d", i), fmt.Sprintf("/oncall hteam-%d", i), fmt.Sprintf("/oncall synced-team-%d", i),
				"/changes " + v, fmt.Sprintf("/changes hsvc-%d", i), fmt.Sprintf("/changes hsvc-%d --since ", i) + v,
				"/impact " + v, "/impact org.hostile:lib", "/impact org.hostile:lib " + v, "/impact file:" + v, "/impact file:*.xml",
				"/service show " + v, fmt.Sprintf("/service show hsvc-%d", i), "/service add " + v, "/service " + v,
				fmt.Sprintf("/service ignore acme/hostile/missing-%d %s", i, v), "/service ignored", "/service uncatalogued", "/service uncatalogued " + v,
				"/team " + v, fmt.Sprintf("/team hteam-%d", i), "/whoowns " + v, fmt.Sprintf("/team synced-team-%d", i),
				"/onboard " + v, fmt.Sprintf("/onboard hostile%d@acme.test hteam-%d", i, i), fmt.Sprintf("/onboard hteam-%d", i), "/onboard <@U123> " + v, "/onboard",
				"/digest", "/digest " + v, "/digest acme/hostile",
				"/blast " + v, fmt.Sprintf("/blast hsvc-%d", i), fmt.Sprintf("/blast hdep-%d", i), fmt.Sprintf("/blast hdep-%d --page %s", i, v),
				"/" + v, "/help " + v,
				fmt.Sprintf("/page hsvc-%d %s --yes", i, v),
			} {
				e.slash(line)
			}
			e.slash(fmt.Sprintf("/service unignore acme/hostile/missing-%d", i))

			// The page's confirmation echoes the message; its
			// confirmation posts the announcement in the channel.
			ack := e.slash(fmt.Sprintf("/page hsvc-%d %s", i, v))
			if confirm := buttonValue(ack, "/page --confirm "); confirm != "" {
				e.click("run:9:0", confirm)
				clicks++
			} else {
				t.Errorf("no confirmation button in %s", ack)
			}
			// Share in channel, and a button that runs a command.
			e.click("share", fmt.Sprintf("/whoowns hsvc-%d", i))
			e.click("run:1:0", "/whoowns "+v)
			clicks += 2

			// /service add: the modal (team options hold hostile titles),
			// its search, and submissions: refused with hostile names,
			// accepted with a hostile description, a NUL kept beside its
			// field.
			e.slash("/service add")
			sugg, _ := fakeslack.Interaction(map[string]any{"type": "block_suggestion", "action_id": "repo", "block_id": "repo",
				"value": v, "user": map[string]any{"id": e.caller}, "view": map[string]any{"callback_id": "service-add"}})
			e.post("/slack/options", sugg, fakeslack.Sign(secret, sugg, time.Now()))
			e.submit(map[string]string{"name": v, "team": v, "repo": v, "language": v, "tier": v, "lifecycle": v, "description": v, "channel": v})
			resp := e.submit(map[string]string{"name": fmt.Sprintf("hostile-reg-%d", i), "team": fmt.Sprintf("hteam-%d", i),
				"repo": fmt.Sprintf("acme/hostile/missing-%d", i), "language": "go", "tier": e.std.Tiers[0].Value, "lifecycle": "production", "description": v})
			if !strings.Contains(resp, `"response_action":"clear"`) {
				t.Errorf("registration with a hostile description: %s", resp)
			}
			resp = e.submit(map[string]string{"name": "nul-" + v, "description": "a\x00b"})
			if !strings.Contains(resp, `"response_action":"errors"`) || !strings.Contains(resp, `"description":"This field contains a NUL byte`) {
				t.Errorf("NUL in a form field: got %s, want the form kept open with the error beside the description", resp)
			}

			// The App Home of a member of every hostile team.
			e.events++
			ev := []byte(fmt.Sprintf(`{"type":"event_callback","event_id":"EvHostile%d","event":{"type":"app_home_opened","user":%q,"tab":"home"}}`, e.events, e.caller))
			if code, _ := e.post("/slack/events", ev, fakeslack.Sign(secret, ev, time.Now())); code != 200 {
				t.Fatalf("app_home_opened: %d", code)
			}
		})
	}
	e.t = t
	// NUL and invalid UTF-8 typed: an answer, not a failure.
	for _, text := range []string{"check\x00out", "check\xffout"} {
		if ack := e.slash("/whoowns " + text); !strings.Contains(ack, "try again") || strings.Contains(ack, "failed on our side") {
			t.Errorf("/whoowns %q: got %s", text, ack)
		}
	}
	// The digest, posted as the scheduler posts it, team parts included.
	poster := digest.NewPoster(e.store, digest.PublisherFunc(e.bot.Notify), e.std, nil)
	poster.TeamDigests = true
	if _, err := poster.PostNow(ctx); err != nil {
		t.Fatalf("post the digest: %v", err)
	}
	if err := e.bot.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}

	// Everything was said, escaped: the checks ran on real payloads.
	for method, atLeast := range map[string]int{"response_url": clicks, "views.open": len(fakeslack.Hostile),
		"views.publish": len(fakeslack.Hostile), "chat.postMessage": 2, "chat.postEphemeral": len(fakeslack.Hostile)} {
		if n := len(e.slack.Calls(method)); n < atLeast {
			t.Errorf("%s: got %d calls, want at least %d", method, n, atLeast)
		}
	}
	announced := false
	for _, c := range e.slack.Calls("response_url") {
		if c.JSON["response_type"] == "in_channel" && strings.Contains(fmt.Sprint(c.JSON["text"]), "paged") &&
			strings.Contains(fmt.Sprint(c.JSON["text"]), "&lt;!channel&gt;") {
			announced = true
		}
	}
	if !announced {
		t.Error("no channel announcement of a page with the message <!channel>, escaped")
	}
}

// TestSlashTextUnescapedOnce gives a command the text as typed, though Slack
// sends "&", "<" and ">" as entities, and escapes it once on the way back:
// "/impact log4j-core <2.17.1" works, and nothing shows as "&amp;lt;".
func TestSlashTextUnescapedOnce(t *testing.T) {
	h := newHarness(t, 2*time.Second)
	got := make(chan string, 2)
	h.router.Register(commands.Command{Name: "/echo", Handler: func(_ context.Context, req commands.Request) (commands.Response, error) {
		got <- req.Text
		return commands.Response{Text: req.Text, Blocks: []commands.Block{&commands.Section{Text: commands.T(commands.Plain(req.Text))}}}, nil
	}})
	tests := []struct{ sent, typed, shown string }{
		{"log4j-core &lt;2.17.1", "log4j-core <2.17.1", "log4j-core &lt;2.17.1"},
		{"&lt;!channel&gt; &amp;amp;", "<!channel> &amp;", "&lt;!channel&gt; &amp;amp;"},
		{"<@U0ADA|ada> R&D", "<@U0ADA|ada> R&D", "&lt;@U0ADA|ada&gt; R&amp;D"},
	}
	for _, tt := range tests {
		body := fakeslack.SlashCommand("/echo", tt.sent, "U0ADA", "C1", h.slack.ResponseURL("e"), "T")
		code, ack := h.post("/slack/commands", body, fakeslack.Sign(secret, body, time.Now()))
		if typed := <-got; typed != tt.typed {
			t.Errorf("%q: the command got %q, want %q", tt.sent, typed, tt.typed)
		}
		var msg struct{ Text string }
		if err := json.Unmarshal([]byte(ack), &msg); code != 200 || err != nil || msg.Text != tt.shown {
			t.Errorf("%q: got %d %q, want the text %q", tt.sent, code, ack, tt.shown)
		}
	}
}
