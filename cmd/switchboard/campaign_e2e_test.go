package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/advisories"
	"github.com/switchboard-dev/switchboard/bot/fakeslack"
	"github.com/switchboard-dev/switchboard/campaigns"
	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/gitlab"
	"github.com/switchboard-dev/switchboard/gitlab/fakegitlab"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
	"github.com/switchboard-dev/switchboard/jobs/jobstest"
	"github.com/switchboard-dev/switchboard/standards"
)

// e2eSecret signs the test's Slack requests.
const e2eSecret = "0123456789abcdef0123456789abcdef"

// e2eReplica is one serve process of the test: its server and address.
type e2eReplica struct {
	srv  *server
	addr string
}

// post sends a signed Slack request to the replica.
func (r e2eReplica) post(t *testing.T, path string, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://"+r.addr+path, strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = fakeslack.Sign(e2eSecret, body, time.Now())
	if strings.HasPrefix(string(body), "payload=") || path == "/slack/commands" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// buttonValue is the value of the button labelled label in a message's
// blocks (as Slack shows them); "" when there is none.
func buttonValue(blocks any, label string) string {
	var found string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if x["type"] == "button" {
				if txt, ok := x["text"].(map[string]any); ok && txt["text"] == label {
					if s, ok := x["value"].(string); ok && found == "" {
						found = s
					}
				}
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(blocks)
	return found
}

// callText is everything a Web API call or a response_url post carries,
// as one string to search.
func callText(c fakeslack.Call) string {
	b, _ := json.Marshal(c.JSON)
	return c.Form.Encode() + string(b)
}

// TestCampaignEndToEnd is issue 14's acceptance: /impact CVE-2021-44228,
// its Start a campaign button, the modal, one message in each affected
// team's channel, a fix pushed to one repo whose webhook updates that
// team's message in place and /campaign status one fewer, every repo
// fixed, the final report in the updates channel; reminders sent once
// with two replicas running, each its own pool, River client and HTTP
// endpoints, over one database.
func TestCampaignEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end: two replicas, a sync and River jobs")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := slog.New(slog.DiscardHandler)
	url := pgtest.URL(t)

	// A generated organisation on a fake GitLab, synced for real.
	const token, hookSecret = "glpat-e2e", "hook-secret-e2e"
	org := fakegitlab.Generate(40, 1)
	fake := fakegitlab.New(org, fakegitlab.Options{Token: token, WebhookSecret: hookSecret})
	gsrv := newHTTPServer(t, fake)
	fake.SetURL(gsrv)
	client, err := gitlab.New(gitlab.Config{BaseURL: gsrv, Token: token, RetryMax: -1})
	if err != nil {
		t.Fatal(err)
	}
	seed := jobstest.NewReplica(t, url, 4)
	store := catalog.NewStore(seed.Pool, log)
	std := standards.Default()
	if _, err := newSyncer(client, store, std, log, nil, nil).Run(ctx, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := loadDemoAdvisories(ctx, advisories.NewStore(seed.Pool), log); err != nil {
		t.Fatal(err)
	}

	fs := fakeslack.NewForTest(t, []fakeslack.User{{ID: "U0ADA", Name: "ada", RealName: "Ada Lovelace", Email: "ada@acme.test"}}, nil)
	env := envMap{"SLACK_BOT_TOKEN": fakeslack.Token, "SLACK_SIGNING_SECRET": e2eSecret, "SLACK_API_URL": fs.APIURL(), "LISTEN_ADDR": "127.0.0.1:0",
		"OSV_API_URL": "off", "MAVEN_REPOSITORIES": "off", "GITLAB_URL": gsrv, "GITLAB_WEBHOOK_SECRET": hookSecret}
	var replicas []e2eReplica
	for i := range 2 {
		cfg, err := loadServeConfig(env.get)
		if err != nil {
			t.Fatal(err)
		}
		rep := jobstest.NewReplica(t, url, 10)
		srv, err := newServer(cfg, &database{Pool: rep.Pool}, log.With("replica", i), extras{standards: std})
		if err != nil {
			t.Fatal(err)
		}
		if err := srv.withGitLab(client, std, log); err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- srv.serve(ctx, ln) }()
		t.Cleanup(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("replica %d: serve: %v", i, err)
			}
		})
		replicas = append(replicas, e2eReplica{srv: srv, addr: ln.Addr().String()})
	}

	// /impact CVE-2021-44228 → its Start a campaign button → the preview's
	// "Change in a form" → the modal, submitted.
	// An answer is the ack's body when it was ready in time, else a post
	// to the response URL.
	answers := 0
	answer := func(what, ack string) fakeslack.Call {
		t.Helper()
		if strings.TrimSpace(ack) != "" {
			var m map[string]any
			if err := json.Unmarshal([]byte(ack), &m); err != nil {
				t.Fatalf("%s: ack %q: %v", what, ack, err)
			}
			return fakeslack.Call{Method: "ack", JSON: m}
		}
		answers++
		got := fs.WaitFor("response_url", answers, 20*time.Second)
		if len(got) < answers {
			t.Fatalf("%s: no answer (%d answers)", what, len(got))
		}
		return got[answers-1]
	}
	body := fakeslack.SlashCommand("/impact", "CVE-2021-44228", "U0ADA", "C0ASK", fs.ResponseURL("impact"), "trigger-impact")
	code, ack := replicas[0].post(t, "/slack/commands", body)
	if code != 200 {
		t.Fatalf("/impact: %d", code)
	}
	impact := answer("/impact", ack)
	start := buttonValue(impact.JSON["blocks"], "Start a campaign")
	if start != "/campaign new CVE-2021-44228" {
		t.Fatalf("/impact's Start a campaign button: %q\n%s", start, callText(impact))
	}
	click := func(rep e2eReplica, value, trigger string) string {
		t.Helper()
		p, err := fakeslack.Interaction(map[string]any{"type": "block_actions", "trigger_id": trigger, "user": map[string]any{"id": "U0ADA", "name": "ada"},
			"channel": map[string]any{"id": "C0ASK"}, "response_url": fs.ResponseURL(trigger),
			"actions": []any{map[string]any{"type": "button", "action_id": "run:0", "block_id": "a", "value": value}}})
		if err != nil {
			t.Fatal(err)
		}
		code, resp := rep.post(t, "/slack/interactions", p)
		if code != 200 {
			t.Fatalf("click %q: %d %s", value, code, resp)
		}
		return resp
	}
	preview := answer("preview", click(replicas[1], start, "trigger-preview"))
	form := buttonValue(preview.JSON["blocks"], "Change in a form")
	if !strings.HasSuffix(form, "--form") || !strings.Contains(callText(preview), "would start with") {
		t.Fatalf("preview: form button %q\n%s", form, callText(preview))
	}
	click(replicas[0], form, "trigger-form")
	opened := fs.WaitFor("views.open", 1, 10*time.Second)
	if len(opened) != 1 || opened[0].JSON["trigger_id"] != "trigger-form" {
		t.Fatalf("views.open: %+v", opened)
	}
	view := opened[0].JSON["view"].(map[string]any)
	today := time.Now().UTC().Truncate(24 * time.Hour)
	s := callText(opened[0])
	for _, want := range []string{`"initial_value":"CVE-2021-44228"`, `"initial_value":"Fix CVE-2021-44228"`, `"initial_value":"7d,1d"`,
		`"type":"datepicker"`, `"initial_date":"` + today.AddDate(0, 0, 30).Format(time.DateOnly) + `"`, `"type":"conversations_select"`} {
		if !strings.Contains(s, want) {
			t.Errorf("modal lacks %s", want)
		}
	}
	if view["callback_id"] != "campaign-new" || len(view["blocks"].([]any)) != 8 {
		t.Fatalf("modal: %s", s)
	}
	deadline := today.AddDate(0, 0, 3).Format(time.DateOnly)
	values := map[string]any{
		"title":     map[string]any{"title": map[string]any{"type": "plain_text_input", "value": "Log4Shell"}},
		"question":  map[string]any{"question": map[string]any{"type": "plain_text_input", "value": "CVE-2021-44228"}},
		"deadline":  map[string]any{"deadline": map[string]any{"type": "datepicker", "selected_date": deadline}},
		"channel":   map[string]any{"channel": map[string]any{"type": "conversations_select", "selected_conversation": "C0LOG4J"}},
		"reminders": map[string]any{"reminders": map[string]any{"type": "plain_text_input", "value": "7d,1d"}},
	}
	submit := func() (int, string) {
		p, _ := fakeslack.Interaction(map[string]any{"type": "view_submission", "user": map[string]any{"id": "U0ADA", "name": "ada"},
			"view": map[string]any{"callback_id": "campaign-new", "private_metadata": "", "state": map[string]any{"values": values}}})
		return replicas[1].post(t, "/slack/interactions", p)
	}
	// A past deadline keeps the modal open, the error beside the field.
	values["deadline"] = map[string]any{"deadline": map[string]any{"type": "datepicker", "selected_date": today.AddDate(0, 0, -1).Format(time.DateOnly)}}
	if code, resp := submit(); code != 200 || !strings.Contains(resp, `"response_action":"errors"`) || !strings.Contains(resp, `"deadline":`) || !strings.Contains(resp, "is past") {
		t.Fatalf("submission with a past deadline: %d %s", code, resp)
	}
	if _, err := store.CampaignByName(ctx, "cve-2021-44228"); err == nil {
		t.Fatal("a refused submission started the campaign")
	}
	values["deadline"] = map[string]any{"deadline": map[string]any{"type": "datepicker", "selected_date": deadline}}
	if code, resp := submit(); code != 200 || !strings.Contains(resp, `"response_action":"clear"`) {
		t.Fatalf("submission: %d %s", code, resp)
	}
	camp, err := store.CampaignByName(ctx, "cve-2021-44228")
	if err != nil {
		t.Fatal(err)
	}
	if camp.Campaign.Title != "Log4Shell" || camp.Campaign.UpdatesChannel != "C0LOG4J" || camp.Remaining() < 2 || len(camp.ByTeam) < 2 {
		t.Fatalf("started: %+v, %d remaining of %d teams; want two teams or more", camp.Campaign, camp.Remaining(), len(camp.ByTeam))
	}
	channelOf := map[string]string{} // team → its channel
	for _, tm := range camp.ByTeam {
		// The generated teams have no channel: give each one (as the
		// directory does in the sample organisation).
		team, err := store.FindTeam(ctx, tm.Team)
		if err != nil {
			t.Fatalf("team %s: %v", tm.Team, err)
		}
		team.SlackChannel = "#team-" + tm.Team
		if _, err := store.PutTeam(ctx, team); err != nil {
			t.Fatal(err)
		}
		channelOf[tm.Team] = team.SlackChannel
	}

	// The campaign started a week ago, so that its 7-day reminder is due
	// (a reminder is never for before the campaign's start).
	if _, err := seed.Pool.Exec(ctx, `UPDATE campaigns SET created_at = now() - interval '8 days' WHERE name = 'cve-2021-44228'`); err != nil {
		t.Fatal(err)
	}
	// sweep has rep queue a campaign_sweep (or finds the one queued) and
	// waits until some replica has worked it.
	sweep := func(rep e2eReplica) {
		t.Helper()
		c, err := rep.srv.work.Client()
		if err != nil {
			t.Fatal(err)
		}
		res, err := c.Insert(ctx, campaigns.SweepArgs{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		waitJob(t, seed, res.Job.ID)
	}
	// Both replicas sweep, twice: each team is told once and reminded once.
	for _, rep := range append(replicas, replicas...) {
		sweep(rep)
	}
	posts := func() map[string][]fakeslack.Call {
		out := map[string][]fakeslack.Call{}
		for _, c := range fs.Calls("chat.postMessage") {
			out[c.Form.Get("channel")] = append(out[c.Form.Get("channel")], c)
		}
		return out
	}
	byChannel := posts()
	for team, ch := range channelOf {
		var told, reminded int
		for _, c := range byChannel[ch] {
			if !strings.Contains(callText(c), "cve-2021-44228") && !strings.Contains(callText(c), "Log4Shell") {
				continue
			}
			if strings.HasPrefix(c.Form.Get("text"), "Reminder: cve-2021-44228 is due") {
				reminded++
			} else {
				told++
			}
		}
		if told != 1 || reminded != 1 {
			t.Errorf("team %s in %s: %d messages and %d reminders, want one of each:\n%v", team, ch, told, reminded, byChannel[ch])
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	// The fix pushed to one repo of the first team; its webhook (signed,
	// to either replica) → the repo's sync → its re-evaluation → that
	// team's message updated in place.
	type affected struct {
		project fakegitlab.Project
		team    string
	}
	var repos []affected
	for _, pr := range org.Projects {
		if _, v := fakegitlab.Describe(*pr); v == "" || v == "2.17.1" {
			continue
		}
		var team string
		err := seed.Pool.QueryRow(ctx, `SELECT coalesce(min(t.name), '') FROM repos r JOIN service_repos sr ON sr.repo_id = r.id
			JOIN services s ON s.id = sr.service_id LEFT JOIN teams t ON t.id = s.team_id WHERE r.gitlab_id = $1`, pr.ID).Scan(&team)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := channelOf[team]; ok {
			repos = append(repos, affected{*pr, team})
		}
	}
	// The first fix is to a pom.xml.
	slices.SortStableFunc(repos, func(a, b affected) int {
		_, pa := a.project.Files["pom.xml"]
		_, pb := b.project.Files["pom.xml"]
		switch {
		case pa && !pb:
			return -1
		case pb && !pa:
			return 1
		}
		return 0
	})
	if _, ok := repos[0].project.Files["pom.xml"]; !ok || len(repos) < 2 {
		t.Fatalf("%d affected repos of the campaign's teams, want 2 or more", len(repos))
	}
	fix := func(a affected, rep e2eReplica) {
		t.Helper()
		files := map[string][]byte{}
		_, v := fakegitlab.Describe(a.project)
		for path, b := range a.project.Files {
			// The build file and any lock file beside it.
			if strings.Contains(string(b), "log4j-core") {
				files[path] = []byte(strings.ReplaceAll(string(b), v, "2.17.1"))
			}
		}
		if len(files) == 0 {
			t.Fatalf("%s: no build file names log4j-core", a.project.Path)
		}
		hook, err := fake.Push(a.project.ID, fakegitlab.Change{Message: "Log4j 2.17.1", Files: files})
		if err != nil {
			t.Fatal(err)
		}
		code, err := hook.Send(ctx, nil, "http://"+rep.addr+"/gitlab/webhook")
		if err != nil || code != http.StatusAccepted {
			t.Fatalf("webhook of %s: %d %v", a.project.Path, code, err)
		}
	}
	first := repos[0]
	var ts, channelID string
	if err := seed.Pool.QueryRow(ctx, `SELECT m.ts, m.channel FROM campaign_messages m JOIN campaigns c ON c.id = m.campaign_id
		WHERE c.name = 'cve-2021-44228' AND m.team = $1`, first.team).Scan(&ts, &channelID); err != nil || ts == "" {
		t.Fatalf("%s's message: ts %q, %v", first.team, ts, err)
	}
	before := camp.Remaining()
	fix(first, replicas[1])
	updates := fs.WaitFor("chat.update", 1, 30*time.Second)
	if len(updates) != 1 || updates[0].Form.Get("ts") != ts || updates[0].Form.Get("channel") != channelID {
		t.Fatalf("after the fix of %s: chat.update %+v, want one of ts %s in %s", first.project.Path, updates, ts, channelID)
	}
	if original := posts()[channelOf[first.team]][0]; original.Form.Get("blocks") == updates[0].Form.Get("blocks") {
		t.Errorf("the update shows what the first post showed:\n%s", updates[0].Form.Get("blocks"))
	}
	status := func() string {
		t.Helper()
		body := fakeslack.SlashCommand("/campaign", "status cve-2021-44228", "U0ADA", "C0ASK", fs.ResponseURL("status"), "trigger-status")
		code, ack := replicas[0].post(t, "/slack/commands", body)
		if code != 200 {
			t.Fatalf("/campaign status: %d", code)
		}
		return callText(answer("/campaign status", ack))
	}
	if got, want := status(), fmt.Sprintf("cve-2021-44228`: %d remaining, 1 done,", before-1); !strings.Contains(got, want) {
		t.Fatalf("/campaign status after one fix: want %q:\n%s", want, got)
	}
	if n := len(posts()[channelOf[first.team]]); n != 2 {
		t.Errorf("%s's channel: %d posts after the fix, want still 2 (the message and the reminder)", first.team, n)
	}

	// Every other repo fixed (by turns through each replica): the final
	// report goes to the updates channel, once.
	for i, a := range repos[1:] {
		fix(a, replicas[i%2])
	}
	reports := func() []fakeslack.Call {
		return posts()["C0LOG4J"]
	}
	deadlineAt := time.Now().Add(60 * time.Second)
	for len(reports()) == 0 && time.Now().Before(deadlineAt) {
		time.Sleep(100 * time.Millisecond)
	}
	for _, rep := range replicas {
		sweep(rep) // a sweep after the end sends nothing more
	}
	if got := reports(); len(got) != 1 || !strings.Contains(callText(got[0]), "Log4Shell") {
		t.Fatalf("updates channel: %d posts, want the final report once: %v\n%s", len(got), got, status())
	}
	if got := status(); !strings.Contains(got, fmt.Sprintf("cve-2021-44228`: 0 remaining, %d done,", before)) {
		t.Errorf("/campaign status at the end:\n%s", got)
	}
}

// waitJob waits until River job id is completed (by any replica).
func waitJob(t *testing.T, r *jobstest.Replica, id int64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var state string
		var errs []byte
		if err := r.Pool.QueryRow(context.Background(), `SELECT state, coalesce(errors::text, '') FROM river_job WHERE id = $1`, id).Scan(&state, &errs); err != nil {
			t.Fatalf("job %d: %v", id, err)
		}
		switch state {
		case "completed":
			return
		case "discarded", "cancelled":
			t.Fatalf("job %d %s: %s", id, state, errs)
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %d still %s after 30 s: %s", id, state, errs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// newHTTPServer serves h until the test ends; it returns its URL.
func newHTTPServer(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}
