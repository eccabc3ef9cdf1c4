package main

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
	"github.com/switchboard-dev/switchboard/pagerduty"
	"github.com/switchboard-dev/switchboard/pagerduty/fakepd"
	"github.com/switchboard-dev/switchboard/sampleorg"
)

// noLater is a transport's Later that can say where its answers go; work
// given to it is dropped (its replica dies right after answering).
type noLater struct{ addr string }

func (noLater) Go(func(context.Context, commands.Answer)) {}
func (l noLater) Address() string                         { return l.addr }

// TestPageLookupJob: PagerDuty takes a page but does not confirm it in
// time; the replica that answered "may have gone through" hands the
// lookups to a River job and dies; another replica's River client works
// the job, finds the incident by its dedup key and corrects the answer at
// the request's address.
func TestPageLookupJob(t *testing.T) {
	const addr = "https://hooks.slack.test/commands/T1/1/abc"
	ctx := context.Background()
	pool := pgtest.New(t)
	store := catalog.NewStore(pool, nil)
	if err := sampleorg.Load(ctx, store); err != nil {
		t.Fatal(err)
	}
	fake := fakepd.Sample(time.Now())
	srv := httptest.NewServer(fake)
	defer srv.Close()
	pd, err := pagerduty.New(pagerduty.Config{Token: fakepd.SampleToken, APIURL: srv.URL, EventsURL: srv.URL, LookupTimeout: time.Second,
		Retry: pagerduty.RetryPolicy{InitialBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond, AttemptTimeout: 200 * time.Millisecond}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	cfg := commands.PageConfig{Catalog: store, Pages: store, Pager: pd, Log: log, TriggerTimeout: 500 * time.Millisecond, LookupEvery: 50 * time.Millisecond}
	answers := make(chan commands.Response, 4)
	answerAt := func(got string) commands.Answer {
		return func(_ context.Context, r commands.Response) error {
			if got != addr {
				t.Errorf("answered at %q, want %q", got, addr)
			}
			answers <- r
			return nil
		}
	}
	// Replica A answers the page and hands the lookups over; its River
	// client only inserts (it dies before working anything).
	a := newWork(pool, prometheus.NewRegistry(), log)
	addPageLookups(a, store, commands.NewPageLookups(cfg, answerAt), log)
	router := commands.NewRouter(log, 10*time.Second)
	router.Register(commands.Page(cfg))
	run := func(text string) commands.Response {
		t.Helper()
		resp, err := router.Dispatch(commands.WithLater(ctx, noLater{addr}), commands.Request{Command: "/page", Text: text,
			User: commands.User{ID: "UPAY01", Name: "ada.lovelace", Email: "ada.lovelace@acme.example"}, ChannelID: "CINCIDENT"})
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	var tok string
	for _, b := range blocksButtons(run("checkout-api disk full")) {
		if s, ok := strings.CutPrefix(b.Command, "/page --confirm "); ok {
			tok = s
		}
	}
	if tok == "" {
		t.Fatal("no confirmation")
	}
	fake.SetFaultPath("/v2/enqueue")
	fake.DelayNextResponses(100, time.Hour) // accepted, never confirmed in time
	if got := run("--confirm " + tok).Text; !strings.Contains(got, "may have gone through") {
		t.Fatalf("first answer: got %q, want unknown", got)
	}

	// Replica B works the job.
	b := newWork(pool, prometheus.NewRegistry(), log)
	addPageLookups(b, catalog.NewStore(pool, nil), commands.NewPageLookups(cfg, answerAt), log)
	c, err := b.Client()
	if err != nil {
		t.Fatal(err)
	}
	events, cancel := c.Subscribe(river.EventKindJobCompleted)
	defer cancel()
	if err := b.start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = b.stop(ctx) }()
	got := <-answers
	if !got.InChannel || !strings.Contains(got.Text, "paged") {
		t.Errorf("corrected answer: got %q (in channel %v), want the page announced", got.Text, got.InChannel)
	}
	if ev := <-events; ev.Job.Kind != (pageLookupArgs{}).Kind() {
		t.Errorf("completed: got a %s job", ev.Job.Kind)
	}
	p, err := store.GetPage(ctx, tok)
	if err != nil || p.State != catalog.PageSent || p.IncidentID == "" {
		t.Errorf("page: got %s (incident %q), %v, want sent with its incident", p.State, p.IncidentID, err)
	}
}

// blocksButtons returns the buttons of a response.
func blocksButtons(r commands.Response) []commands.Button {
	var out []commands.Button
	for _, blk := range r.Blocks {
		if a, ok := blk.(*commands.Actions); ok {
			out = append(out, a.Buttons...)
		}
	}
	return out
}
