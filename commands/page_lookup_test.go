package commands_test

import (
	"context"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
	"github.com/switchboard-dev/switchboard/pagerduty/fakepd"
)

// addressed is a transport's Later that can say where its answers go, as
// the Slack bot's does (its response_url).
type addressed struct {
	commands.Later
	addr string
}

func (a addressed) Address() string { return a.addr }

// TestPageLookupsHandedOver: when the page store takes the lookups of an
// unconfirmed page (serve: a River job), they are not run in memory; the
// lookups, tried one at a time by another replica (as after a restart),
// settle the page and correct the answer at the request's address, once.
func TestPageLookupsHandedOver(t *testing.T) {
	const addr = "https://hooks.slack.test/actions/T1/1/abc"
	tests := []struct {
		name      string
		fault     func(f *fakepd.Server)
		want      []string
		inChannel bool
		tries     int
		state     string
		audits    string
	}{
		{name: "accepted, answered after the deadline", fault: func(f *fakepd.Server) { f.DelayNextResponses(100, time.Hour) },
			want: []string{"ada.lovelace paged ", "Incident #1", "found its incident afterwards"}, inChannel: true, tries: 1,
			state: catalog.PageSent, audits: "unknown,sent"},
		{name: "too slow to take the request at all", fault: func(f *fakepd.Server) { f.SetLatency(time.Hour) },
			want:  []string{"NOT paged: checkout-api — PagerDuty did not confirm it in time and holds no incident for it", "button:/page --retry "},
			tries: 2, state: catalog.PageFailed, audits: "unknown,failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newPageEnv(t, pageOptions{})
			handed := make(chan catalog.PageLookup, 1)
			e.store.PageLookups = func(_ context.Context, l catalog.PageLookup) error {
				handed <- l
				return nil
			}
			tok := confirmToken(t, e.page(t, ada, "/page checkout-api disk full"))
			e.fake.SetFaultPath("/v2/enqueue")
			tt.fault(e.fake)
			ctx := commands.WithLater(context.Background(), addressed{Later: e.later, addr: addr})
			resp, err := e.router.Dispatch(ctx, commands.Request{Command: "/page", Text: "--confirm " + tok, User: ada, ChannelID: "CINCIDENT"})
			if err != nil {
				t.Fatal(err)
			}
			checkReply(t, flatten(resp), []string{"may have gone through", "will update this message"}, []string{"NOT paged"})
			l := <-handed
			if l.Token != tok || l.AnswerTo != addr || l.Every <= 0 || l.Until.IsZero() {
				t.Errorf("handed over: got %+v, want page %s answered at %s", l, tok, addr)
			}
			e.later.release()
			e.noMoreAnswers(t) // nothing runs in memory

			// Another replica, with its own connections, tries until done.
			_, cfg := e.replicaConfig(t)
			var answers []commands.Response
			lookups := commands.NewPageLookups(cfg, func(got string) commands.Answer {
				if got != addr {
					t.Errorf("answer at %q, want %q", got, addr)
				}
				return func(_ context.Context, r commands.Response) error {
					answers = append(answers, r)
					return nil
				}
			})
			tries := 0
			for done := false; !done; {
				tries++
				final := tries == tt.tries
				if done, err = lookups.Try(context.Background(), tok, addr, final); err != nil {
					t.Fatalf("try %d: %v", tries, err)
				}
				if final && !done {
					t.Fatalf("the final try is not the last")
				}
			}
			if tries != tt.tries || len(answers) != 1 {
				t.Fatalf("got %d tries and %d answers, want %d tries and 1 answer", tries, len(answers), tt.tries)
			}
			e.checkNotPaged(t, answers[0], -1, tok)
			if answers[0].InChannel != tt.inChannel {
				t.Errorf("answer in channel %v, want %v", answers[0].InChannel, tt.inChannel)
			}
			checkReply(t, flatten(answers[0]), tt.want, nil)
			if p := e.storedPage(t, tok); p.State != tt.state {
				t.Errorf("stored page: got %s, want %s", p.State, tt.state)
			}
			// Settled: a later try (a duplicate job) answers nothing more.
			if done, err := lookups.Try(context.Background(), tok, addr, true); !done || err != nil || len(answers) != 1 {
				t.Errorf("a try after the page is settled: got done %v, %v, %d answers", done, err, len(answers))
			}
		})
	}
}
