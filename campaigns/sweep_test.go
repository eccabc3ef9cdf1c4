package campaigns_test

import (
	"context"
	"fmt"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/slack-go/slack"

	"github.com/switchboard-dev/switchboard/bot"
	"github.com/switchboard-dev/switchboard/bot/fakeslack"
	"github.com/switchboard-dev/switchboard/campaigns"
	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
)

// noCommands is the bot's dispatcher in tests that only post.
type noCommands struct{}

func (noCommands) Dispatch(context.Context, commands.Request) (commands.Response, error) {
	return commands.Response{}, nil
}

// clock is a settable time shared by the replicas of a test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

// slackReplicas is a fake Slack, the real bot over it, and n replicas'
// Notifiers posting through the bot on one clock.
func slackReplicas(t *testing.T, store *catalog.Store, n int, clk *clock) (*fakeslack.Server, []*campaigns.Notifier) {
	t.Helper()
	channels := []fakeslack.Channel{{ID: "CUPDATES", Name: "campaign-updates"}}
	for i := range 10 {
		channels = append(channels, fakeslack.Channel{ID: fmt.Sprintf("CTEAM%d", i), Name: fmt.Sprintf("team-%d", i)})
	}
	fs := fakeslack.NewForTest(t, nil, channels)
	b, err := bot.New(bot.Config{SigningSecret: "secret", API: slack.New(fakeslack.Token, slack.OptionAPIURL(fs.APIURL())),
		Commands: noCommands{}, Deliveries: store})
	if err != nil {
		t.Fatal(err)
	}
	var ns []*campaigns.Notifier
	for i := range n {
		ns = append(ns, &campaigns.Notifier{Store: store, Poster: b, Replica: fmt.Sprintf("replica-%d", i), Now: clk.now})
	}
	return fs, ns
}

// sweepAll runs a sweep on every replica at once, twice.
func sweepAll(t *testing.T, ns []*campaigns.Notifier) {
	t.Helper()
	for range 2 {
		var wg sync.WaitGroup
		errs := make([]error, len(ns))
		for i, n := range ns {
			wg.Go(func() {
				errs[i] = (&campaigns.SweepWorker{Notifier: n}).Work(context.Background(), &river.Job[campaigns.SweepArgs]{})
			})
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
}

// posts returns the chat.postMessage calls' channels and texts.
func posts(fs *fakeslack.Server, method string) (channels, texts []string) {
	for _, c := range fs.Calls(method) {
		channels = append(channels, c.Form.Get("channel"))
		texts = append(texts, c.Form.Get("text"))
	}
	return channels, texts
}

// TestThroughTheBot follows a campaign on two replicas through the real
// bot and the fake Slack: each team's message posted once and updated in
// place when a service is fixed, each reminder sent once to the teams
// with services left, the final report once at the deadline, with the
// burn-down, and the campaign closed (audited).
func TestThroughTheBot(t *testing.T) {
	store := seed(t, 100)
	ctx := context.Background()
	inserter, err := river.NewClient(riverpgxv5.New(store.Pool()), &river.Config{}) // insert-only
	if err != nil {
		t.Fatal(err)
	}
	e := &campaigns.Evaluator{Store: store, QueueSweep: func(ctx context.Context) error { return campaigns.QueueSweep(ctx, inserter) }}
	ci := campaign("ci", catalog.CampaignCondition{Kind: catalog.ConditionFile, FileGlob: ".gitlab-ci.yml"})
	ci.Deadline = time.Now().Add(30 * 24 * time.Hour).Truncate(time.Hour)
	ci.UpdatesChannel = "#campaign-updates"
	ci.Reminders = []time.Duration{7 * 24 * time.Hour, 24 * time.Hour}
	if _, err := e.Start(ctx, ci); err != nil {
		t.Fatal(err)
	}
	var queued int
	if err := store.Pool().QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'campaign_sweep'`).Scan(&queued); err != nil {
		t.Fatal(err)
	}
	if queued != 1 {
		t.Errorf("after the start: %d campaign_sweep jobs queued, want 1 (the teams told right after)", queued)
	}
	clk := &clock{t: time.Now()}
	fs, ns := slackReplicas(t, store, 2, clk)

	// Started: the sweep tells teams 7, 8 and 9 (those with services
	// left), once each.
	sweepAll(t, ns)
	channels, texts := posts(fs, "chat.postMessage")
	if strings.Join(channels, ",") == "" || len(channels) != 3 {
		t.Fatalf("after the start: posted to %q, want the 3 teams' channels once each", channels)
	}
	seen := map[string]bool{}
	for _, c := range channels {
		if seen[c] {
			t.Fatalf("posted twice to %s: %q", c, channels)
		}
		seen[c] = true
	}
	for _, want := range []string{"#team-7", "#team-8", "#team-9"} {
		if !seen[want] {
			t.Errorf("no message to %s: %q", want, channels)
		}
	}
	if !strings.Contains(strings.Join(texts, "\n"), "team-7 has 10 of 10 services left") {
		t.Errorf("messages %q lack team-7's services", texts)
	}
	msgs, err := store.CampaignMessages(ctx, mustID(t, store, "ci"))
	if err != nil {
		t.Fatal(err)
	}
	team7 := msgs["team-7"]
	team7TS := team7.TS
	if team7.Channel != "CTEAM7" || team7TS == "" {
		t.Fatalf("team-7's message stored as %+v, want in CTEAM7 (the id Slack answered) with a ts", team7)
	}

	// svc-7 is fixed: team-7's message is updated in place, not posted
	// again, and only once though both replicas evaluate it.
	if _, err := store.Pool().Exec(ctx, `INSERT INTO repo_files (repo_id, path) SELECT id, '.gitlab-ci.yml' FROM repos WHERE gitlab_id = 7`); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(ns))
	for i, n := range ns {
		w := &campaigns.EvaluateWorker{Evaluator: e, Notifier: n}
		wg.Go(func() {
			errs[i] = w.Work(ctx, &river.Job[campaigns.EvaluateArgs]{Args: campaigns.EvaluateArgs{ProjectID: 7}})
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := len(fs.Calls("chat.postMessage")); got != 3 {
		t.Errorf("after svc-7's fix: %d posts, want still 3", got)
	}
	updates := fs.Calls("chat.update")
	if len(updates) != 1 || updates[0].Form.Get("channel") != "CTEAM7" || updates[0].Form.Get("ts") != team7TS ||
		!strings.Contains(updates[0].Form.Get("text"), "team-7 has 9 of 10 services left") {
		t.Fatalf("after svc-7's fix: updates %+v, want one of CTEAM7 %s saying 9 of 10 left", updates, team7TS)
	}

	// Reminders: each once, to the teams with services left; none before
	// the first is due.
	deadline := ci.Deadline
	for _, tt := range []struct {
		at        time.Time
		wantPosts int
	}{
		{deadline.Add(-8 * 24 * time.Hour), 3},
		{deadline.Add(-7*24*time.Hour + time.Minute), 6},
		{deadline.Add(-6 * 24 * time.Hour), 6},
		{deadline.Add(-time.Hour), 9},
	} {
		clk.set(tt.at)
		sweepAll(t, ns)
		channels, texts := posts(fs, "chat.postMessage")
		if len(channels) != tt.wantPosts {
			t.Fatalf("at %s: %d posts (%q), want %d", tt.at, len(channels), channels, tt.wantPosts)
		}
		for _, text := range texts[3:] {
			if !strings.HasPrefix(text, "Reminder: ci is due") {
				t.Errorf("at %s: a reminder says %q", tt.at, text)
			}
		}
	}

	// The deadline: the final report once, in the updates channel, with
	// the burn-down; the campaign closes.
	clk.set(deadline.Add(time.Minute))
	sweepAll(t, ns)
	channels, texts = posts(fs, "chat.postMessage")
	if len(channels) != 10 || channels[9] != "#campaign-updates" {
		t.Fatalf("at the deadline: posts to %q, want one more, to #campaign-updates", channels)
	}
	for _, want := range []string{"reached its deadline", "with 29 services left", "Done 1, won't fix 0, left 29", "team-7: done 1, won't fix 0, left 9"} {
		if !strings.Contains(texts[9], want) {
			t.Errorf("report %q lacks %q", texts[9], want)
		}
	}
	if files := fs.Files(); len(files) != 1 || files[0].Channel != "CUPDATES" || !strings.HasSuffix(files[0].Name, ".png") {
		t.Errorf("files %+v, want the burn-down PNG in CUPDATES", files)
	}
	p, err := store.CampaignByName(ctx, "ci")
	if err != nil {
		t.Fatal(err)
	}
	if p.Campaign.ClosedAt == nil {
		t.Error("the campaign is still open after its final report")
	}
	var audited int
	if err := store.Pool().QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'campaign.close' AND actor = 'switchboard' AND subject = 'campaign:ci'`).Scan(&audited); err != nil {
		t.Fatal(err)
	}
	if audited != 1 {
		t.Errorf("%d audited closes, want 1", audited)
	}
}

// mustID is the id of the campaign called name.
func mustID(t *testing.T, store *catalog.Store, name string) int64 {
	t.Helper()
	p, err := store.CampaignByName(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return p.Campaign.ID
}

func TestReminderDue(t *testing.T) {
	day := 24 * time.Hour
	deadline := time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)
	created := deadline.Add(-30 * day)
	for _, tt := range []struct {
		name      string
		reminders []time.Duration
		now       time.Time
		want      time.Duration
		ok        bool
	}{
		{"none set", nil, deadline.Add(-time.Hour), 0, false},
		{"not yet", []time.Duration{7 * day}, deadline.Add(-8 * day), 0, false},
		{"the first due", []time.Duration{day, 7 * day}, deadline.Add(-7 * day), 7 * day, true},
		{"the nearest the deadline due", []time.Duration{7 * day, day}, deadline.Add(-time.Hour), day, true},
		{"before the campaign started", []time.Duration{60 * day}, deadline.Add(-time.Hour), 0, false},
		{"a zero offset", []time.Duration{0}, deadline.Add(-time.Hour), 0, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := catalog.Campaign{Deadline: deadline, CreatedAt: created, Reminders: tt.reminders}
			got, ok := campaigns.ReminderDue(c, tt.now)
			if got != tt.want || ok != tt.ok {
				t.Errorf("ReminderDue = %v, %v; want %v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

// TestLastServiceDone: when a re-evaluation leaves no service, the final
// report goes once to the teams' channels (no updates channel) and the
// campaign closes, though both replicas evaluate it.
func TestLastServiceDone(t *testing.T) {
	store := seed(t, 100)
	ctx := context.Background()
	e := &campaigns.Evaluator{Store: store}
	c := campaign("log4shell", log4shell)
	c.Deadline = time.Now().Add(30 * 24 * time.Hour)
	if _, err := e.Start(ctx, c); err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Now()}
	fs, ns := slackReplicas(t, store, 2, clk)
	sweepAll(t, ns)
	if channels, _ := posts(fs, "chat.postMessage"); len(channels) != 1 || channels[0] != "#team-0" {
		t.Fatalf("after the start: posts to %q, want one to #team-0", channels)
	}
	if _, err := store.Pool().Exec(ctx, `UPDATE dependencies SET version = '2.17.1' WHERE name = 'org.apache.logging.log4j:log4j-core'`); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(ns))
	for i, n := range ns {
		wg.Go(func() {
			errs[i] = (&campaigns.EvaluateAllWorker{Evaluator: e, Notifier: n}).Work(ctx, &river.Job[campaigns.EvaluateAllArgs]{})
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	sweepAll(t, ns)
	channels, texts := posts(fs, "chat.postMessage")
	if len(channels) != 2 || channels[1] != "#team-0" || !strings.Contains(texts[1], "is done: every service is fixed or exempted") ||
		!strings.Contains(texts[1], "Done 10, won't fix 0, left 0") {
		t.Fatalf("after the fix: posts to %q (%q), want the final report once to #team-0", channels, texts)
	}
	if got := len(fs.Calls("chat.update")); got != 1 {
		t.Errorf("%d updates of team-0's message, want 1 (all done)", got)
	}
	if p, err := store.CampaignByName(ctx, "log4shell"); err != nil || p.Campaign.ClosedAt == nil {
		t.Errorf("campaign %+v (%v), want closed", p.Campaign, err)
	}
}
