package grading_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/slack-go/slack"

	"github.com/switchboard-dev/switchboard/bot"
	"github.com/switchboard-dev/switchboard/bot/fakeslack"
	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
	"github.com/switchboard-dev/switchboard/gitlab"
	"github.com/switchboard-dev/switchboard/gitlab/fakegitlab"
	"github.com/switchboard-dev/switchboard/grading"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
	"github.com/switchboard-dev/switchboard/jobs"
	"github.com/switchboard-dev/switchboard/jobs/jobstest"
	"github.com/switchboard-dev/switchboard/pagerduty"
	"github.com/switchboard-dev/switchboard/pagerduty/fakepd"
	"github.com/switchboard-dev/switchboard/reposync"
	"github.com/switchboard-dev/switchboard/scorecard"
	"github.com/switchboard-dev/switchboard/standards"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

const (
	token      = "grading-test-token"
	hookSecret = "grading-hook-secret"
	pdToken    = "grading-pd-token"
	checkout   = "payments/checkout-api"
)

// testCard: bronze is owned and valid; silver has a runbook and someone
// on call (production services); gold a SECURITY.md, which none has.
func testCard(t testing.TB, extra ...scorecard.Check) *scorecard.Card {
	t.Helper()
	checks := append([]scorecard.Check{
		{ID: "has-owner", Level: "bronze", Name: "Has an owner", Fact: "has_owner", Message: "Set spec.owner."},
		{ID: "descriptor-valid", Level: "bronze", Fact: "descriptor_valid", Message: "Fix the descriptor."},
		{ID: "runbook", Level: "silver", Name: "Runbook", Fact: "runbook", Op: scorecard.OpExists, Message: "Add a link titled Runbook to metadata.links."},
		{ID: "oncall-now", Level: "silver", Name: "Someone on call now", Fact: "oncall_now", AppliesTo: scorecard.AppliesTo{Lifecycles: []string{"production"}}, Message: "Put someone on call."},
		{ID: "security-policy", Level: "gold", Fact: "file:SECURITY.md", Message: "Add a SECURITY.md."},
	}, extra...)
	card, err := scorecard.Compile([]scorecard.Level{{Name: "bronze"}, {Name: "silver"}, {Name: "gold"}}, checks)
	if err != nil {
		t.Fatal(err)
	}
	return card
}

// world is what replicas share: the database, a fake GitLab and PagerDuty
// (both slow, as real ones are), and a fake Slack.
type world struct {
	dbURL     string
	store     *catalog.Store
	gitlab    *fakegitlab.Server
	gitlabURL string
	pd        *fakepd.Server
	pdURL     string
	slack     *fakeslack.Server
	card      *scorecard.Card
	// offset moves the stores' clocks (PagerDuty facts going stale).
	mu     sync.Mutex
	offset time.Duration
}

func (w *world) now() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return time.Now().Add(w.offset)
}

func (w *world) advance(d time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.offset += d
}

// newWorld syncs a generated organisation once, and gives checkout-api's
// PagerDuty service an escalation policy with someone always on call.
func newWorld(t testing.TB, card *scorecard.Card, prepare func(*fakegitlab.Server)) *world {
	t.Helper()
	w := &world{card: card}
	w.gitlab = fakegitlab.New(fakegitlab.Generate(30, 1), fakegitlab.Options{Token: token, WebhookSecret: hookSecret, Latency: 5 * time.Millisecond})
	srv := httptest.NewServer(w.gitlab)
	t.Cleanup(srv.Close)
	w.gitlab.SetURL(srv.URL)
	w.gitlabURL = srv.URL
	if prepare != nil {
		prepare(w.gitlab)
	}
	w.dbURL = pgtest.URL(t)
	pool, err := pgxpool.New(context.Background(), w.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	w.store = catalog.NewStore(pool, nil)
	w.store.Now = w.now
	gl := newGitLab(t, srv.URL)
	if _, err := reposync.New(gl, w.store, reposync.Options{Rules: standards.Default().Rules(), Workers: 4}).Run(context.Background(), time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.store.PutTeam(context.Background(), catalog.Team{Name: "payments", SlackChannel: "#payments"}); err != nil {
		t.Fatal(err)
	}

	w.pd = fakepd.New(pdToken)
	w.pd.SetLatency(5 * time.Millisecond)
	must(t, w.pd.AddUser(fakepd.User{ID: "PADA001", Name: "Ada Lovelace", Email: "ada@example.com"}))
	must(t, w.pd.AddEscalationPolicy(fakepd.EscalationPolicy{ID: "PPOL001", Name: "Payments", Rules: []fakepd.Rule{
		{DelayMinutes: 15, Targets: []fakepd.Target{{Type: fakepd.TargetUser, ID: "PADA001"}}}}}))
	must(t, w.pd.AddService(fakepd.Service{ID: w.service(t, "checkout-api").PagerDutyServiceID, Name: "checkout-api", EscalationPolicyID: "PPOL001"}))
	pdSrv := httptest.NewServer(w.pd)
	t.Cleanup(pdSrv.Close)
	w.pdURL = pdSrv.URL
	w.slack = fakeslack.NewForTest(t, nil, []fakeslack.Channel{{ID: "C1", Name: "payments"}})
	return w
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func newGitLab(t testing.TB, url string) *gitlab.Client {
	t.Helper()
	gl, err := gitlab.New(gitlab.Config{BaseURL: url, Token: token, RetryWaitMin: time.Millisecond, RetryWaitMax: 20 * time.Millisecond, RetryMax: 3})
	if err != nil {
		t.Fatal(err)
	}
	return gl
}

func (w *world) service(t testing.TB, name string) catalog.Service {
	t.Helper()
	l, err := w.store.FindService(context.Background(), name)
	if err != nil || len(l.Services) != 1 {
		t.Fatalf("find %s: %+v, %v", name, l, err)
	}
	return l.Services[0]
}

func (w *world) grade(t testing.TB, name string) catalog.ServiceGrade {
	t.Helper()
	sg, err := w.store.ServiceGrade(context.Background(), w.service(t, name).ID)
	if err != nil {
		t.Fatalf("grade of %s: %v", name, err)
	}
	return sg
}

// posts are the messages the fake Slack received.
func (w *world) posts() []string {
	var out []string
	for _, c := range w.slack.Calls("chat.postMessage") {
		out = append(out, c.Form.Get("channel")+": "+c.Form.Get("text"))
	}
	return out
}

// replica is one Switchboard process: its own pool, GitLab, PagerDuty and
// Slack clients, and a River client working the sync's and the
// scorecard's jobs.
type replica struct {
	name     string
	store    *catalog.Store
	grader   *grading.Grader
	notifier *grading.Notifier
	jobs     *jobs.Client
	hook     *httptest.Server
	events   <-chan *river.Event
}

func (w *world) replica(t testing.TB, name string) *replica {
	t.Helper()
	db := jobstest.NewReplica(t, w.dbURL, 16)
	store := catalog.NewStore(db.Pool, nil)
	store.Now = w.now
	pd, err := pagerduty.New(pagerduty.Config{Token: pdToken, APIURL: w.pdURL, EventsURL: w.pdURL,
		Retry: pagerduty.RetryPolicy{InitialBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, AttemptTimeout: 300 * time.Millisecond}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	g, err := grading.New(store, w.card, nil)
	if err != nil {
		t.Fatal(err)
	}
	g.PagerDuty = pd
	b, err := bot.New(bot.Config{API: slack.New(fakeslack.Token, slack.OptionAPIURL(w.slack.APIURL())), Commands: commands.NewRouter(nil, 0)})
	if err != nil {
		t.Fatal(err)
	}
	n := grading.NewNotifier(store, w.card, grading.PublisherFunc(b.Notify), nil)
	workers := river.NewWorkers()
	sync := reposync.NewWorkers(reposync.New(newGitLab(t, w.gitlabURL), store, reposync.Options{Rules: standards.Default().Rules()}), store)
	sync.Repo.Changed = grading.QueueGrade
	sync.Register(workers)
	grading.NewWorkers(g, n).Register(workers)
	jc, err := jobs.New(db.Pool, jobs.Config{Workers: workers})
	if err != nil {
		t.Fatal(err)
	}
	hook, err := reposync.NewWebhook(hookSecret, jc, store, nil)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(hook)
	t.Cleanup(hs.Close)
	events, cancel := jc.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
	if err := jc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, stop := context.WithTimeout(context.Background(), 10*time.Second)
		defer stop()
		_ = jc.Stop(ctx)
		cancel()
	})
	return &replica{name: name, store: store, grader: g, notifier: n, jobs: jc, hook: hs, events: events}
}

// waitFor waits until cond holds, looking again at each job finished on
// any replica.
func waitFor(t testing.TB, what string, cond func() bool, rs ...*replica) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tick := time.NewTicker(200 * time.Millisecond) // a job finished before the subscription
	defer tick.Stop()
	for !cond() {
		var ev <-chan *river.Event
		var ev2 <-chan *river.Event
		if len(rs) > 0 {
			ev = rs[0].events
		}
		if len(rs) > 1 {
			ev2 = rs[1].events
		}
		select {
		case <-ev:
		case <-ev2:
		case <-tick.C:
		case <-ctx.Done():
			t.Fatalf("waited 30 s for %s", what)
		}
	}
}

// withoutRunbook drops the runbook link of a Backstage descriptor.
func withoutRunbook(t testing.TB, desc []byte) []byte {
	t.Helper()
	lines := strings.Split(string(desc), "\n")
	for i := range lines {
		if strings.TrimSpace(lines[i]) == "title: Runbook" {
			// - url: ..., title, type, icon
			return []byte(strings.Join(append(lines[:i-1:i-1], lines[i+3:]...), "\n"))
		}
	}
	t.Fatal("the descriptor has no runbook link")
	return nil
}

func (r *replica) push(t testing.TB, w *world, files map[string][]byte) {
	t.Helper()
	p, _ := w.gitlab.ProjectByPath(checkout)
	h, err := w.gitlab.Push(p.ID, fakegitlab.Change{Files: files})
	if err != nil {
		t.Fatal(err)
	}
	if code, err := h.Send(context.Background(), nil, r.hook.URL); err != nil || code != http.StatusAccepted {
		t.Fatalf("hook: %d, %v", code, err)
	}
}

// TestPushRegradesAndTellsDropOnce: checkout-api starts without a runbook
// (bronze). A push adding one is synced by a job, which queues its
// grading: silver, and nothing told. A push removing it drops it back to
// bronze: the team's channel is told once, though two replicas work the
// jobs and the notification job runs again on each.
func TestPushRegradesAndTellsDropOnce(t *testing.T) {
	var original []byte
	w := newWorld(t, testCard(t), func(f *fakegitlab.Server) {
		p, _ := f.ProjectByPath(checkout)
		original = p.Files["catalog-info.yaml"]
		if _, err := f.Push(p.ID, fakegitlab.Change{Files: map[string][]byte{"catalog-info.yaml": withoutRunbook(t, original)}}); err != nil {
			t.Fatal(err)
		}
	})
	a, b := w.replica(t, "a"), w.replica(t, "b")
	ctx := context.Background()
	if res, err := a.grader.Refresh(ctx); err != nil || res.PagerDuty != nil || res.Graded.Services < 10 {
		t.Fatalf("first refresh: %+v, %v", res, err)
	}
	sg := w.grade(t, "checkout-api")
	if sg.Grade.Level != 1 || sg.Grade.Next != 2 || len(sg.Grade.Missing) != 1 || sg.Grade.Missing[0].ID != "runbook" {
		t.Fatalf("before: level %d, missing %+v; want bronze, missing the runbook", sg.Grade.Level, sg.Grade.Missing)
	}
	if w := sg.Grade.Missing[0].Value.Where; w == nil || w.Path != "catalog-info.yaml" {
		t.Errorf("the runbook's fix: got %v, want catalog-info.yaml", w)
	}

	// The runbook added: silver after the sync's job, nothing told.
	a.push(t, w, map[string][]byte{"catalog-info.yaml": original})
	waitFor(t, "checkout-api at silver", func() bool { return w.grade(t, "checkout-api").Grade.Level == 2 }, a, b)
	if p := w.posts(); len(p) != 0 {
		t.Errorf("a rise was told: %v", p)
	}

	// The runbook removed: bronze, told once in the team's channel.
	b.push(t, w, map[string][]byte{"catalog-info.yaml": withoutRunbook(t, original)})
	waitFor(t, "checkout-api back to bronze and told", func() bool {
		return w.grade(t, "checkout-api").Grade.Level == 1 && len(w.posts()) > 0
	}, a, b)
	// The notification job again, on both replicas, and both notifiers
	// directly: nothing more is posted.
	for _, r := range []*replica{a, b} {
		res, err := r.jobs.Insert(ctx, grading.NotifyArgs{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		id := res.Job.ID
		waitFor(t, "the notification job to finish", func() bool {
			var done bool
			err := w.store.Pool().QueryRow(ctx, `SELECT finalized_at IS NOT NULL FROM river_job WHERE id = $1`, id).Scan(&done)
			return err == nil && done
		}, a, b)
	}
	var wg sync.WaitGroup
	for i, r := range []*replica{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if n, err := r.notifier.TellDrops(ctx, "direct-"+string(rune('a'+i))); err != nil || n != 0 {
				t.Errorf("replica %s told %d again (%v)", r.name, n, err)
			}
		}()
	}
	wg.Wait()
	posts := w.posts()
	if len(posts) != 1 || posts[0] != "#payments: checkout-api dropped from silver to bronze" {
		t.Fatalf("posts: got %q, want one to #payments", posts)
	}
	blocks := w.slack.Calls("chat.postMessage")[0].Form.Get("blocks")
	for _, want := range []string{"Runbook", "Add a link titled Runbook", "catalog-info.yaml", `"value":"/scorecard checkout-api"`} {
		if !strings.Contains(blocks, want) {
			t.Errorf("the message lacks %q: %s", want, blocks)
		}
	}
	changes, err := w.store.LevelChanges(ctx, time.Time{})
	if err != nil || len(changes) != 0 {
		// silver and back: no net change since the start.
		t.Errorf("net changes since the start: got %+v, %v, want none", changes, err)
	}
}

// TestPagerDutyDownIsUnknown: PagerDuty answers, then goes down; once its
// facts are stale, checkout-api's on-call check is unknown, not failed:
// its level goes down with the ceiling kept, and nobody is told.
func TestPagerDutyDownIsUnknown(t *testing.T) {
	w := newWorld(t, testCard(t), nil)
	a, b := w.replica(t, "a"), w.replica(t, "b")
	ctx := context.Background()
	if res, err := a.grader.Refresh(ctx); err != nil || res.PagerDuty != nil {
		t.Fatalf("refresh: %+v, %v", res, err)
	}
	if sg := w.grade(t, "checkout-api"); sg.Grade.Level != 2 {
		t.Fatalf("PagerDuty up: level %d, results %+v; want silver", sg.Grade.Level, sg.Grade.Results)
	}
	w.pd.SetDown(true)
	tests := []struct {
		after   time.Duration
		status  scorecard.Status
		level   int
		ceiling int
	}{
		{0, scorecard.Passed, 2, 2},                                     // a failure: the facts hold
		{catalog.PagerDutyStale + time.Minute, scorecard.Unknown, 1, 2}, // stale: unknown
	}
	for _, tc := range tests {
		w.advance(tc.after)
		for _, res := range refreshAll(t, a, b) {
			if res.PagerDuty == nil {
				t.Fatalf("refresh with PagerDuty down: %+v; want its error recorded", res)
			}
		}
		sg := w.grade(t, "checkout-api")
		var oncall scorecard.Result
		for _, r := range sg.Grade.Results {
			if r.ID == "oncall-now" {
				oncall = r
			}
		}
		if oncall.Status != tc.status || sg.Grade.Level != tc.level || sg.Grade.Ceiling != tc.ceiling {
			t.Errorf("%v after: on call %s (%s), level %d, ceiling %d; want %s, %d, %d",
				tc.after, oncall.Status, oncall.Value, sg.Grade.Level, sg.Grade.Ceiling, tc.status, tc.level, tc.ceiling)
		}
		if tc.status == scorecard.Unknown && !strings.Contains(oncall.Value.Reason, "PagerDuty not answered since") {
			t.Errorf("reason: got %q", oncall.Value.Reason)
		}
	}
	drops, err := w.store.PendingDrops(ctx, time.Time{})
	if err != nil || len(drops) != 0 {
		t.Errorf("drops: got %+v, %v, want none", drops, err)
	}
	if n, err := a.notifier.TellDrops(ctx, "x"); err != nil || n != 0 || len(w.posts()) != 0 {
		t.Errorf("told %d (%v), posts %v; want nothing", n, err, w.posts())
	}
	// PagerDuty back: known again, silver, still nothing told.
	w.pd.SetDown(false)
	if res, err := a.grader.Refresh(ctx); err != nil || res.PagerDuty != nil {
		t.Fatalf("refresh: %+v, %v", res, err)
	}
	if sg := w.grade(t, "checkout-api"); sg.Grade.Level != 2 {
		t.Errorf("PagerDuty back: level %d, want 2", sg.Grade.Level)
	}
	if ch, err := w.store.LevelChanges(ctx, time.Time{}); err != nil || len(ch) != 0 {
		t.Errorf("changes: got %+v, %v, want none (the dip was unknown facts)", ch, err)
	}
}

// refreshAll runs a refresh on each replica at once.
func refreshAll(t testing.TB, rs ...*replica) []grading.RefreshResult {
	t.Helper()
	out := make([]grading.RefreshResult, len(rs))
	errs := make([]error, len(rs))
	var wg sync.WaitGroup
	for i, r := range rs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i], errs[i] = r.grader.Refresh(context.Background())
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("refresh on %s: %v", rs[i].name, err)
		}
	}
	return out
}

// TestChangedCardRegrades: a refresh with another card grades every
// service again under it, and tells no drop the new check causes.
func TestChangedCardRegrades(t *testing.T) {
	w := newWorld(t, testCard(t), nil)
	a, b := w.replica(t, "a"), w.replica(t, "b")
	ctx := context.Background()
	if _, err := a.grader.GradeAll(ctx); err != nil {
		t.Fatal(err)
	}
	before := w.grade(t, "checkout-api")
	stricter := testCard(t, scorecard.Check{ID: "contributing", Level: "bronze", Fact: "file:CONTRIBUTING.md"})
	// Both replicas restarted with the new card refresh at once.
	var graders []*grading.Grader
	for _, r := range []*replica{a, b} {
		g, err := grading.New(r.store, stricter, nil)
		if err != nil {
			t.Fatal(err)
		}
		graders = append(graders, g)
	}
	if before.CardHash == graders[0].CardHash() {
		t.Fatal("two cards, one hash")
	}
	results := make([]grading.RefreshResult, 2)
	var wg sync.WaitGroup
	for i, g := range graders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := g.Refresh(ctx)
			if err != nil {
				t.Error(err)
			}
			results[i] = res
		}()
	}
	wg.Wait()
	counts, err := w.store.LevelCounts(ctx, graders[0].CardHash())
	if err != nil {
		t.Fatal(err)
	}
	graded, stale := 0, 0
	for _, c := range counts {
		graded += c.Services
		stale += c.Stale
	}
	if sum := results[0].Graded.Services + results[1].Graded.Services; sum < graded || stale != 0 {
		t.Errorf("the refreshes graded %d of %d, %d left of the old card", sum, graded, stale)
	}
	after := w.grade(t, "checkout-api")
	if after.CardHash != graders[0].CardHash() || after.Grade.Level != 0 || len(after.Grade.Missing) == 0 || after.Grade.Missing[0].ID != "contributing" {
		t.Errorf("after: hash %s level %d missing %+v; want the new card's, no level, missing CONTRIBUTING.md", after.CardHash, after.Grade.Level, after.Grade.Missing)
	}
	if d := results[0].Graded.Drops() + results[1].Graded.Drops(); d != 0 {
		t.Errorf("a new card told %d drops", d)
	}
	if ch, err := w.store.LevelChanges(ctx, time.Time{}); err != nil || len(ch) != 0 {
		t.Errorf("changes: got %d, %v, want none", len(ch), err)
	}
	// Graded again with the same card: nothing to do.
	res, err := graders[1].Refresh(ctx)
	if err != nil || res.Graded.Services != 0 {
		t.Errorf("second refresh: graded %d (%v), want 0", res.Graded.Services, err)
	}
}

// TestDropToldOnceConcurrently: a drop recorded outside a job is told by
// the notifiers of two replicas at once, twice each: one post. Slack
// failing first leaves it to be told at the next try, once.
func TestDropToldOnceConcurrently(t *testing.T) {
	w := newWorld(t, testCard(t), nil)
	a, b := w.replica(t, "a"), w.replica(t, "b")
	ctx := context.Background()
	if _, err := a.grader.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	sg := w.grade(t, "checkout-api")
	if sg.Grade.Level != 2 {
		t.Fatalf("level %d, want silver", sg.Grade.Level)
	}
	drop := func() {
		t.Helper()
		g := w.card.Evaluate(scorecard.Service{Lifecycle: "production"}, scorecard.Values{
			"has_owner": scorecard.Bool(true), "descriptor_valid": scorecard.Bool(true),
			"runbook": scorecard.Text("").At("catalog-info.yaml", 0), "oncall_now": scorecard.Bool(true), "file:SECURITY.md": scorecard.Bool(false)})
		rise := g
		rise.Level, rise.Ceiling = 2, 2
		for _, gr := range []scorecard.Grade{rise, g} {
			if _, err := w.store.PutGrades(ctx, []catalog.ServiceGrade{{Service: sg.Service, Grade: gr, CardHash: sg.CardHash}}, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	tellAll := func() (told int, errs int) {
		var (
			wg    sync.WaitGroup
			mu    sync.Mutex
			start = make(chan struct{})
		)
		for i := range 4 {
			r := []*replica{a, b}[i%2]
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				n, err := r.notifier.TellDrops(ctx, r.name+"-"+string(rune('0'+i)))
				mu.Lock()
				defer mu.Unlock()
				told += n
				if err != nil {
					errs++
				}
			}()
		}
		close(start)
		wg.Wait()
		return told, errs
	}

	drop()
	if told, errs := tellAll(); told != 1 || errs != 0 {
		t.Errorf("told %d with %d errors, want 1", told, errs)
	}
	if p := w.posts(); len(p) != 1 {
		t.Fatalf("posts: got %q, want one", p)
	}

	// Slack fails once: the drop is released, then told once.
	drop()
	w.slack.FailNext(1, "internal_error")
	told, errs := tellAll()
	if told == 0 { // every notifier had given up before the release
		t2, e2 := tellAll()
		told, errs = told+t2, errs+e2
	}
	if told != 1 || errs != 1 {
		t.Errorf("Slack failing once: told %d with %d errors, want told once after one error", told, errs)
	}
	// The fake records the refused call too: one post, one refused, one post.
	if p := w.posts(); len(p) != 3 {
		t.Errorf("posts: got %q, want three calls", p)
	}
}
