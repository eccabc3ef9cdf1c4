package digest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/slack-go/slack"

	"github.com/switchboard-dev/switchboard/bot"
	"github.com/switchboard-dev/switchboard/bot/fakeslack"
	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
	"github.com/switchboard-dev/switchboard/digest"
	"github.com/switchboard-dev/switchboard/gitlab"
	"github.com/switchboard-dev/switchboard/gitlab/fakegitlab"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
	"github.com/switchboard-dev/switchboard/jobs"
	"github.com/switchboard-dev/switchboard/manifest"
	"github.com/switchboard-dev/switchboard/reposync"
	"github.com/switchboard-dev/switchboard/shell"
	"github.com/switchboard-dev/switchboard/standards"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// clock is a settable clock shared by the posters of a test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// post is one message a recorder received.
type post struct {
	channel string
	resp    commands.Response
}

// recorder is a Publisher that records what it is asked to post; fail,
// when set, decides whether a post fails; delay makes each post slow.
type recorder struct {
	mu    sync.Mutex
	posts []post
	fail  func(channel string) error
	delay time.Duration
}

func (r *recorder) Publish(ctx context.Context, channel string, resp commands.Response) error {
	if r.delay > 0 {
		select {
		case <-time.After(r.delay):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		if err := r.fail(channel); err != nil {
			return err
		}
	}
	r.posts = append(r.posts, post{channel, resp})
	return nil
}

func (r *recorder) to(channel string) []post {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []post
	for _, p := range r.posts {
		if p.channel == channel {
			out = append(out, p)
		}
	}
	return out
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.posts)
}

func paris(t *testing.T) *time.Location { return mustLoad(t, "Europe/Paris") }

func testStandards() *standards.Standards {
	std := standards.Default()
	std.Digest.Channel = "catalog-digest"
	std.Digest.Schedule = "0 9 * * 1-5"
	std.Digest.Timezone = "Europe/Paris"
	return std
}

// replica is one "serve" process: its own pool on the shared database, and
// its own poster.
func replica(t *testing.T, url, name string, pub digest.Publisher, clk *clock) *digest.Poster {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	store := catalog.NewStore(pool, nil)
	store.Now = clk.Now
	p := digest.NewPoster(store, pub, testStandards(), nil)
	p.Replica = name
	p.Now = clk.Now
	return p
}

// seed puts a few repos in the catalog: payments has one catalogued and
// two without a descriptor, search one without.
func seed(t *testing.T, url string) {
	t.Helper()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	s := catalog.NewStore(pool, nil)
	for _, tm := range []catalog.Team{
		{Name: "payments", GitLabGroup: "acme/payments", SlackChannel: "#team-payments", PagerDutyEscalationPolicy: "PEP"},
		{Name: "search", GitLabGroup: "acme/search", SlackChannel: "#team-search", PagerDutyEscalationPolicy: "PEP"},
		{Name: "quiet", GitLabGroup: "acme/quiet", SlackChannel: "#team-quiet"},
	} {
		if _, err := s.PutTeam(ctx, tm); err != nil {
			t.Fatal(err)
		}
	}
	last := time.Date(2025, 11, 1, 12, 0, 0, 0, time.UTC)
	for i, r := range []struct{ path, status, svc string }{
		{"acme/payments/checkout", catalog.DescriptorOK, "checkout-api"},
		{"acme/payments/web", catalog.DescriptorMissing, ""},
		{"acme/payments/admin", catalog.DescriptorMissing, ""},
		{"acme/search/indexer", catalog.DescriptorMissing, ""},
	} {
		snap := catalog.RepoSnapshot{Repo: catalog.Repo{GitLabID: int64(i + 1), Path: r.path, WebURL: "https://gitlab.example.com/" + r.path, LastActivityAt: last},
			DescriptorStatus: r.status}
		if r.svc != "" {
			snap.Entities = []manifest.Entity{{Kind: manifest.KindComponent, Name: r.svc, Namespace: "default", Owner: "group:payments",
				Links: manifest.Links{Runbooks: []manifest.Link{{URL: "https://runbooks/x"}}}}}
		}
		if _, err := s.ApplyRepo(ctx, snap); err != nil {
			t.Fatal(err)
		}
	}
}

func header(p post) string {
	for _, b := range p.resp.Blocks {
		if h, ok := b.(*commands.Header); ok {
			return h.Text
		}
	}
	return ""
}

// worker is one replica's River client working digest jobs with its
// poster, its own pool on the shared database; done receives every digest
// job it finished (completed, failed or snoozed).
type worker struct {
	p       *digest.Poster
	client  *jobs.Client
	done    <-chan *river.Event
	stopped bool
}

// startWorker starts a replica's River client for p's digest jobs, with the
// digest's schedule when periodic is set; it is stopped at the end of the
// test, or by stop.
func startWorker(t *testing.T, p *digest.Poster, periodic bool) *worker {
	t.Helper()
	workers := river.NewWorkers()
	river.AddWorker(workers, &digest.Worker{Poster: p})
	cfg := jobs.Config{Workers: workers, MaxWorkers: 4}
	if periodic {
		job, err := p.PeriodicJob()
		if err != nil || job == nil {
			t.Fatalf("periodic job: %v %v", job, err)
		}
		cfg.Periodic = []*river.PeriodicJob{job}
	}
	c, err := jobs.New(p.Store.Pool(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	events, cancel := c.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed, river.EventKindJobSnoozed)
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	w := &worker{p: p, client: c, done: events}
	t.Cleanup(func() { cancel(); w.stop(t) })
	return w
}

func (w *worker) stop(t *testing.T) {
	t.Helper()
	if w.stopped {
		return
	}
	w.stopped = true
	if err := w.client.Stop(context.Background()); err != nil {
		t.Error(err)
	}
}

// insert inserts n digest jobs through w.
func (w *worker) insert(t *testing.T, n int) []int64 {
	t.Helper()
	var ids []int64
	for range n {
		res, err := w.client.Insert(context.Background(), digest.Args{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.Job.ID)
	}
	return ids
}

// waitFor waits until the workers have sent n events of kind, and returns
// the jobs of those events.
func waitFor(t *testing.T, kind river.EventKind, n int, ws ...*worker) []*rivertype.JobRow {
	t.Helper()
	var got []*rivertype.JobRow
	cases := make([]reflect.SelectCase, len(ws))
	for i, w := range ws {
		cases[i] = reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(w.done)}
	}
	for len(got) < n {
		_, v, ok := reflect.Select(cases)
		if !ok {
			t.Fatalf("events closed after %d %s events, want %d", len(got), kind, n)
		}
		ev := v.Interface().(*river.Event)
		if ev.Kind == kind && ev.Job.Kind == (digest.Args{}).Kind() {
			got = append(got, ev.Job)
		}
	}
	return got
}

// TestTwoReplicasPostOnce runs the digest's River jobs on two replicas,
// each with its own connections and the digest's schedule, over one
// database at the due time: the leader's job at start and three more
// inserted through each replica race, and one digest is posted.
func TestTwoReplicasPostOnce(t *testing.T) {
	url := pgtest.URL(t)
	seed(t, url)
	clk := &clock{t: time.Date(2025, 11, 3, 9, 0, 0, 0, paris(t))}
	pub := &recorder{delay: 100 * time.Millisecond}
	a, b := replica(t, url, "a", pub, clk), replica(t, url, "b", pub, clk)
	var ws []*worker
	for _, p := range []*digest.Poster{a, b} {
		p.Interval = 10 * time.Millisecond // a job that finds the day being posted looks again soon
		ws = append(ws, startWorker(t, p, true))
	}
	inserted := len(ws[0].insert(t, 3)) + len(ws[1].insert(t, 3))
	completed := waitFor(t, river.EventKindJobCompleted, inserted+1, ws...) // and the schedule's job at start
	periodic := 0
	for _, j := range completed {
		if bytes.Contains(j.Metadata, []byte("periodic")) {
			periodic++
		}
	}
	if periodic == 0 {
		t.Errorf("no job of the digest's schedule ran: %d jobs completed", len(completed))
	}
	posts := pub.to("catalog-digest")
	if len(posts) != 1 || pub.count() != 1 {
		t.Fatalf("posts: got %d to the digest channel (%d in all), want exactly 1", len(posts), pub.count())
	}
	if got := header(posts[0]); got != "Catalog digest — Mon 3 Nov 2025" {
		t.Errorf("header: got %q", got)
	}
	if !posts[0].resp.InChannel {
		t.Errorf("the digest is not posted in the channel")
	}
	rec, err := a.Days().Record(context.Background(), time.Date(2025, 11, 3, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if !rec.Posted() || rec.Coverage.Active != 4 || rec.Coverage.Catalogued != 1 {
		t.Errorf("day record: got %+v, want posted with the coverage shown", rec)
	}
}

// TestRunDueRace has four replicas work twenty digest jobs at the same
// instant, and call RunDue directly too: still one post.
func TestRunDueRace(t *testing.T) {
	url := pgtest.URL(t)
	seed(t, url)
	clk := &clock{t: time.Date(2025, 11, 3, 9, 0, 5, 0, paris(t))}
	pub := &recorder{delay: 20 * time.Millisecond}
	var ws []*worker
	for i := range 4 {
		p := replica(t, url, fmt.Sprintf("r%d", i), pub, clk)
		p.Interval = 10 * time.Millisecond
		ws = append(ws, startWorker(t, p, false))
	}
	var wg sync.WaitGroup
	start := make(chan struct{})
	n := 0
	for _, w := range ws {
		n += len(w.insert(t, 5))
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for range 5 {
				if _, err := w.p.RunDue(context.Background()); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	close(start)
	waitFor(t, river.EventKindJobCompleted, n, ws...)
	wg.Wait()
	if n := pub.count(); n != 1 {
		t.Errorf("posts: got %d, want 1", n)
	}
}

// TestMissedDayPostedOnce: every replica was down at Monday's due time; the
// first to come back (a new process, whose River client runs the digest's
// schedule once at start) posts Monday's digest, once, and Tuesday's comes
// at its time.
func TestMissedDayPostedOnce(t *testing.T) {
	url := pgtest.URL(t)
	seed(t, url)
	loc := paris(t)
	clk := &clock{}
	pub := &recorder{}
	ctx := context.Background()
	steps := []struct {
		name      string
		at        time.Time
		wantPosts int
		wantDay   string
	}{
		{"back on Tuesday morning: Monday's", time.Date(2025, 11, 4, 8, 0, 0, 0, loc), 1, "2025-11-03"},
		{"a minute later", time.Date(2025, 11, 4, 8, 1, 0, 0, loc), 1, "2025-11-03"},
		{"another restart", time.Date(2025, 11, 4, 8, 30, 0, 0, loc), 1, "2025-11-03"},
		{"Tuesday at 9", time.Date(2025, 11, 4, 9, 0, 0, 0, loc), 2, "2025-11-04"},
		{"Tuesday later", time.Date(2025, 11, 4, 17, 0, 0, 0, loc), 2, "2025-11-04"},
	}
	for i, st := range steps {
		clk.Set(st.at)
		p := replica(t, url, fmt.Sprintf("process-%d", i), pub, clk) // a new process each step
		w := startWorker(t, p, true)
		waitFor(t, river.EventKindJobCompleted, 1, w) // the schedule's job at start
		w.stop(t)
		if got := len(pub.to("catalog-digest")); got != st.wantPosts {
			t.Fatalf("%s: got %d posts, want %d", st.name, got, st.wantPosts)
		}
		day, _ := time.Parse(time.DateOnly, st.wantDay)
		if rec, err := p.Days().Record(ctx, day); err != nil || !rec.Posted() {
			t.Fatalf("%s: the record of %s: got %+v, %v, want posted", st.name, st.wantDay, rec, err)
		}
	}
	posts := pub.to("catalog-digest")
	if got := header(posts[0]); !strings.Contains(got, "Mon 3 Nov 2025") {
		t.Errorf("first post: got %q, want Monday's digest", got)
	}
	if got := flattenText(posts[1].resp); !strings.Contains(got, "since the digest of Mon 3 Nov") {
		t.Errorf("Tuesday's digest does not compare with Monday's:\n%s", got)
	}
}

// TestFailedJobRetried: Slack fails; the digest job fails, and River tries
// it again (snoozing while the day's last failure is recent) until it
// posts, once.
func TestFailedJobRetried(t *testing.T) {
	url := pgtest.URL(t)
	seed(t, url)
	clk := &clock{t: time.Date(2025, 11, 3, 9, 0, 0, 0, paris(t))}
	var mu sync.Mutex
	failing := true
	pub := &recorder{fail: func(string) error {
		mu.Lock()
		defer mu.Unlock()
		if failing {
			return errors.New("slack: service_unavailable")
		}
		return nil
	}}
	p := replica(t, url, "a", pub, clk)
	p.Interval = 10 * time.Millisecond
	w := startWorker(t, p, false)
	w.insert(t, 1)
	failed := waitFor(t, river.EventKindJobFailed, 1, w)
	if len(failed[0].Errors) == 0 || !strings.Contains(failed[0].Errors[0].Error, "service_unavailable") {
		t.Errorf("failed job: got errors %+v, want Slack's", failed[0].Errors)
	}
	mu.Lock()
	failing = false
	mu.Unlock()
	// River's retry finds the failure recent and snoozes; once the retry
	// delay has passed on the poster's clock, it posts.
	waitFor(t, river.EventKindJobSnoozed, 1, w)
	clk.Set(clk.Now().Add(digest.DefaultRetryAfter + time.Second))
	done := waitFor(t, river.EventKindJobCompleted, 1, w)
	if done[0].ID != failed[0].ID || done[0].Attempt != 2 {
		t.Errorf("completed: got job %d at attempt %d, want job %d at its second attempt", done[0].ID, done[0].Attempt, failed[0].ID)
	}
	if n := pub.count(); n != 1 {
		t.Errorf("posts: got %d, want 1", n)
	}
}

func flattenText(r commands.Response) string {
	var b strings.Builder
	for _, blk := range r.Blocks {
		switch blk := blk.(type) {
		case *commands.Header:
			b.WriteString(blk.Text + "\n")
		case *commands.Section:
			b.WriteString(blk.Text.String() + "\n")
		case *commands.Context:
			b.WriteString(blk.Text.String() + "\n")
		case *commands.Actions:
			for _, btn := range blk.Buttons {
				b.WriteString("[" + btn.Command + "]\n")
			}
		}
	}
	return b.String()
}

// TestFailedPostRetried: Slack fails; the day stays unposted, is tried
// again after the retry delay, and posted once; with team parts, a retry
// posts only the parts that failed.
func TestFailedPostRetried(t *testing.T) {
	url := pgtest.URL(t)
	seed(t, url)
	loc := paris(t)
	clk := &clock{t: time.Date(2025, 11, 3, 9, 0, 0, 0, loc)}
	failing := map[string]bool{"catalog-digest": true, "team-search": true}
	var mu sync.Mutex
	pub := &recorder{fail: func(ch string) error {
		mu.Lock()
		defer mu.Unlock()
		if failing[ch] {
			return errors.New("slack: service_unavailable")
		}
		return nil
	}}
	p := replica(t, url, "a", pub, clk)
	p.TeamDigests = true
	ctx := context.Background()
	day := time.Date(2025, 11, 3, 0, 0, 0, 0, time.UTC)

	if _, err := p.RunDue(ctx); err == nil {
		t.Fatal("first run: got no error, want Slack's")
	}
	rec, err := p.Days().Record(ctx, day)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Posted() || !rec.ClaimedAt.IsZero() || !strings.Contains(rec.LastError, "service_unavailable") {
		t.Fatalf("after a failure: got %+v, want unposted, unclaimed, with the error", rec)
	}

	mu.Lock()
	failing["catalog-digest"] = false
	mu.Unlock()
	clk.Set(clk.Now().Add(time.Minute))
	if res, err := p.RunDue(ctx); err != nil || res.Skipped != digest.SkippedClaimed {
		t.Fatalf("a minute later: got %+v, %v, want a wait", res, err)
	}
	clk.Set(clk.Now().Add(5 * time.Minute))
	if _, err := p.RunDue(ctx); err == nil {
		t.Fatal("second try: got no error, want the search team's channel to fail")
	}
	mu.Lock()
	failing["team-search"] = false
	mu.Unlock()
	clk.Set(clk.Now().Add(6 * time.Minute))
	res, err := p.RunDue(ctx)
	if err != nil || !res.Posted {
		t.Fatalf("third try: got %+v, %v, want posted", res, err)
	}
	if len(res.Channels) != 1 || res.Channels[0] != "team-search (team search)" {
		t.Errorf("third try posted to %v, want only the search team's part", res.Channels)
	}
	for _, tt := range []struct {
		channel string
		want    int
	}{{"catalog-digest", 1}, {"team-payments", 1}, {"team-search", 1}, {"team-quiet", 0}} {
		if got := len(pub.to(tt.channel)); got != tt.want {
			t.Errorf("posts to %s: got %d, want %d", tt.channel, got, tt.want)
		}
	}
	// Each team's part holds its own repos only.
	payments := flattenText(pub.to("team-payments")[0].resp)
	if !strings.Contains(payments, "Catalog digest for team payments") || !strings.Contains(payments, "acme/payments/web") || strings.Contains(payments, "acme/search") {
		t.Errorf("payments' part:\n%s", payments)
	}
}

// TestStaleClaimTakenOver: a replica claimed the day and died before
// posting; another posts once the claim is stale, and not before.
func TestStaleClaimTakenOver(t *testing.T) {
	url := pgtest.URL(t)
	seed(t, url)
	loc := paris(t)
	due := time.Date(2025, 11, 3, 9, 0, 0, 0, loc)
	clk := &clock{t: due}
	pub := &recorder{}
	b := replica(t, url, "b", pub, clk)
	ctx := context.Background()
	day := time.Date(2025, 11, 3, 0, 0, 0, 0, time.UTC)
	if _, ok, err := b.Days().Claim(ctx, digest.Claim{Day: day, DueAt: due, By: "dead", Now: due, StaleAfter: time.Minute}); err != nil || !ok {
		t.Fatalf("claim: %v %v", ok, err)
	}
	clk.Set(due.Add(time.Minute))
	if res, err := b.RunDue(ctx); err != nil || res.Posted {
		t.Fatalf("a minute after the claim: got %+v, %v, want nothing posted", res, err)
	}
	clk.Set(due.Add(digest.DefaultStaleAfter + time.Second))
	if res, err := b.RunDue(ctx); err != nil || !res.Posted {
		t.Fatalf("once the claim is stale: got %+v, %v, want posted", res, err)
	}
	if n := pub.count(); n != 1 {
		t.Errorf("posts: got %d, want 1", n)
	}
}

func TestPostNowAndText(t *testing.T) {
	url := pgtest.URL(t)
	seed(t, url)
	clk := &clock{t: time.Date(2025, 11, 3, 7, 30, 0, 0, paris(t))}
	pub := &recorder{}
	p := replica(t, url, "cli", pub, clk)
	ctx := context.Background()

	text, err := p.Text(ctx, shell.Render)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"Catalog digest — Mon 3 Nov 2025", "Coverage 25.0%: 1 of 4 active repos catalogued", "acme/payments (team payments) — 2 repos",
		"-> /service add acme/payments/web", "-> /service ignore acme/search/indexer"} {
		if !strings.Contains(text, w) {
			t.Errorf("text lacks %q:\n%s", w, text)
		}
	}
	if pub.count() != 0 {
		t.Errorf("Text posted %d messages", pub.count())
	}

	res, err := p.PostNow(ctx)
	if err != nil || !res.Posted || len(pub.to("catalog-digest")) != 1 {
		t.Fatalf("post now: got %+v, %v and %d posts", res, err, pub.count())
	}
	// The scheduler posts no other digest that day.
	clk.Set(time.Date(2025, 11, 3, 9, 0, 0, 0, paris(t)))
	if res, err := p.RunDue(ctx); err != nil || res.Skipped != digest.SkippedPosted {
		t.Errorf("at 9: got %+v, %v, want today's counted as posted", res, err)
	}

	p.Standards = standards.Default() // no channel
	if res, err := p.RunDue(ctx); err != nil || res.Skipped != digest.SkippedNoAudience {
		t.Errorf("without a channel: got %+v, %v", res, err)
	}
	if job, err := p.PeriodicJob(); job != nil || err != nil {
		t.Errorf("schedule without a channel: got %v, %v, want none", job, err)
	}
	bad := testStandards()
	bad.Digest.Schedule = "0 9 * *"
	p.Standards = bad
	if _, err := p.PeriodicJob(); err == nil {
		t.Error("schedule with a bad expression: got nil, want an error")
	}
}

// TestTextOfFakeOrg prints the digest of an organisation synced from the
// fake GitLab, with each team's part.
func TestTextOfFakeOrg(t *testing.T) {
	const token = "glpat-digest"
	fake := fakegitlab.New(fakegitlab.Generate(80, 3), fakegitlab.Options{Token: token})
	srv := httptest.NewServer(fake)
	defer srv.Close()
	fake.SetURL(srv.URL)
	client, err := gitlab.New(gitlab.Config{BaseURL: srv.URL, Token: token})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	url := pgtest.URL(t)
	clk := &clock{t: fakegitlab.GeneratedAt()}
	p := replica(t, url, "cli", &recorder{}, clk)
	if _, err := reposync.New(client, p.Store, reposync.Options{Rules: standards.Default().Rules(), Workers: 8}).Run(ctx, time.Time{}); err != nil {
		t.Fatal(err)
	}
	for _, g := range []string{"payments", "search"} {
		if _, err := p.Store.PutTeam(ctx, catalog.Team{Name: g, GitLabGroup: g, SlackChannel: "#team-" + g}); err != nil {
			t.Fatal(err)
		}
	}
	p.TeamDigests = true
	text, err := p.Text(ctx, shell.Render)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"── to catalog-digest ──", "── to team-payments (team payments) ──", "Catalog digest for team payments", "Broken descriptors", "Name conflicts"} {
		if !strings.Contains(text, w) {
			t.Errorf("text lacks %q", w)
		}
	}
	if testing.Verbose() {
		t.Log("\n" + text)
	}
}

// TestPostThroughBot posts a digest through the bot's Slack adapter to the
// fake Slack: one chat.postMessage to the digest channel, within Slack's
// limits, with the buttons' commands as their values, even with 300 repos
// to list.
func TestPostThroughBot(t *testing.T) {
	url := pgtest.URL(t)
	seed(t, url)
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	store := catalog.NewStore(pool, nil)
	for i := range 300 {
		p := fmt.Sprintf("acme/legacy/app-%03d", i)
		if _, err := store.ApplyRepo(ctx, catalog.RepoSnapshot{Repo: catalog.Repo{GitLabID: int64(1000 + i), Path: p, WebURL: "https://gitlab.example.com/" + p,
			LastActivityAt: time.Date(2025, 10, 1, 0, 0, 0, 0, time.UTC)}, DescriptorStatus: catalog.DescriptorMissing}); err != nil {
			t.Fatal(err)
		}
	}
	fs := fakeslack.NewForTest(t, nil, []fakeslack.Channel{{ID: "C100", Name: "catalog-digest"}})
	b, err := bot.New(bot.Config{API: slack.New(fakeslack.Token, slack.OptionAPIURL(fs.APIURL())), Commands: commands.NewRouter(nil, 0)})
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Date(2025, 11, 3, 9, 0, 0, 0, paris(t))}
	p := replica(t, url, "a", digest.PublisherFunc(b.Notify), clk)
	res, err := p.RunDue(ctx)
	if err != nil || !res.Posted {
		t.Fatalf("got %+v, %v, want posted", res, err)
	}
	calls := fs.Calls("chat.postMessage")
	if len(calls) != 1 {
		t.Fatalf("chat.postMessage: got %d calls, want 1", len(calls))
	}
	if ch := calls[0].Form.Get("channel"); ch != "catalog-digest" {
		t.Errorf("channel: got %q, want catalog-digest", ch)
	}
	var blocks []map[string]any
	if err := json.Unmarshal([]byte(calls[0].Form.Get("blocks")), &blocks); err != nil {
		t.Fatalf("blocks: %v", err)
	}
	if len(blocks) == 0 || len(blocks) > 50 {
		t.Errorf("got %d blocks, want 1 to 50", len(blocks))
	}
	raw := calls[0].Form.Get("blocks")
	for _, w := range []string{`"value":"/service add acme/legacy/app-`, `"value":"/service ignore acme/legacy/app-`, "…and 295 more", "/service uncatalogued acme/legacy"} {
		if !strings.Contains(raw, w) {
			t.Errorf("blocks lack %q", w)
		}
	}
	for i, blk := range blocks {
		if blk["type"] == "actions" {
			if els, _ := blk["elements"].([]any); len(els) > 25 {
				t.Errorf("block %d: %d elements, want at most 25", i, len(els))
			}
		}
		if blk["type"] == "section" {
			if txt, _ := blk["text"].(map[string]any); txt != nil {
				if s, _ := txt["text"].(string); len([]rune(s)) > 3000 {
					t.Errorf("block %d: a section of %d characters", i, len([]rune(s)))
				}
			}
		}
	}
}
