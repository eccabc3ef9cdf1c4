package commands_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
	"github.com/switchboard-dev/switchboard/pagerduty/fakepd"
)

// confirmToken returns the token of a confirmation's Page button, failing
// the test when the reply is no confirmation.
func confirmToken(t *testing.T, resp commands.Response) string {
	t.Helper()
	for _, b := range buttons(resp) {
		if tok, ok := strings.CutPrefix(b.Command, "/page --confirm "); ok {
			if b.Style != "danger" {
				t.Errorf("got Page button style %q, want danger", b.Style)
			}
			return tok
		}
	}
	t.Fatalf("got no Page button; reply:\n%s", flatten(resp))
	return ""
}

// audits returns the results of the "page" audit entries about subject,
// oldest first.
func (e *pdEnv) audits(t *testing.T, subject string) []string {
	t.Helper()
	entries, err := e.store.AuditLog(context.Background(), subject, 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(entries) - 1; i >= 0; i-- {
		if entries[i].Action == "page" {
			out = append(out, entries[i].Result)
		}
	}
	return out
}

func (e *pdEnv) checkIncidents(t *testing.T, want int) []fakepd.Incident {
	t.Helper()
	incs := e.fake.Incidents()
	if len(incs) != want {
		t.Fatalf("got %d incidents in PagerDuty, want %d: %+v", len(incs), want, incs)
	}
	return incs
}

func TestPageConfirmation(t *testing.T) {
	e := newPDEnv(t, pdOptions{})
	adaID, adaName := e.levelOne(t, "checkout-api")
	tests := []struct {
		name    string
		line    string
		user    commands.User
		want    []string
		notWant []string
	}{
		{"with a message", "/page checkout-api disk full", ada, []string{"H:Page checkout-api?", "Service=checkout-api (team payments)",
			"Pages (on call now)=" + adaName, "Message=disk full", "How=PagerDuty Events API", "button:/page --cancel ", "expires at 15:19 UTC"}, []string{"already paged"}},
		{"default message", "/page checkout-api", ada, []string{"Message=Paged from Slack by ada.lovelace"}, nil},
		{"through REST in the requester's name", "/page auth-service login down", ada, []string{"H:Page auth-service?", "How=a PagerDuty incident opened in your name (ada.lovelace@acme.example)"}, nil},
		{"ambiguous: the picker keeps the message", "/page frontend checkout is blank", ada, []string{"2 services are called",
			"option:/page storefront/frontend checkout is blank", "option:/page backoffice/frontend checkout is blank"}, []string{"H:"}},
		{"misspelt", "/page chekout-api disk full", ada, []string{"Did you mean", "button:/page checkout-api disk full"}, []string{"H:"}},
		{"no PagerDuty service", "/page pricing-engine prices wrong", ada, []string{"pricing-engine has no PagerDuty service", "Nothing was paged",
			"Reach the owners directly: " + adaName + " (on call for team payments) · channel #team-payments", "pagerduty.com/service-id"}, []string{"H:"}},
		{"no argument", "/page", ada, []string{"Usage: /page SERVICE [message]"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := e.run(t, tt.user, tt.line)
			if resp.InChannel {
				t.Error("got an in-channel reply, want ephemeral")
			}
			got := flatten(resp)
			checkReply(t, got, tt.want, tt.notWant)
			if strings.Contains(got, "H:Page ") {
				confirmToken(t, resp)
				if !has(mentions(resp), adaID) && strings.Contains(tt.line, "checkout-api") {
					t.Errorf("got mentions %v, want the on-call %s", mentions(resp), adaID)
				}
			}
		})
	}
	e.checkIncidents(t, 0)
}

// TestPageConfirm: a confirmed page opens one incident (through the Events
// API or REST), announces it in the channel with the on-call mention, and a
// second click shows the first outcome without paging again.
func TestPageConfirm(t *testing.T) {
	tests := []struct {
		name    string
		service string
		via     string
	}{
		{"events API", "checkout-api", "events"},
		{"REST", "auth-service", "rest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newPDEnv(t, pdOptions{})
			onCallID, onCallName := e.levelOne(t, tt.service)
			tok := confirmToken(t, e.run(t, ada, "/page "+tt.service+" disk full"))
			resp := e.run(t, ada, "/page --confirm "+tok)
			if !resp.InChannel {
				t.Errorf("got an ephemeral reply, want the page announced in the channel:\n%s", flatten(resp))
			}
			incs := e.checkIncidents(t, 1)
			inc := incs[0]
			if inc.IncidentKey != "switchboard-"+tok || inc.Title != "disk full" || inc.Via != tt.via || inc.ServiceID != fakepd.SampleServiceID(tt.service) {
				t.Errorf("got incident %+v, want key switchboard-%s, title %q via %s on %s", inc, tok, "disk full", tt.via, tt.service)
			}
			if tt.via == "rest" && inc.From != ada.Email {
				t.Errorf("got From %q, want %q", inc.From, ada.Email)
			}
			got := flatten(resp)
			checkReply(t, got, []string{"ada.lovelace paged " + onCallName + " for " + tt.service + ": disk full", "Incident #" + strconv.Itoa(inc.Number)}, []string{"NOT paged"})
			if m := mentions(resp); len(m) < 2 || m[0] != ada.ID || !has(m, onCallID) {
				t.Errorf("got mentions %v, want the requester %s then the on-call %s", m, ada.ID, onCallID)
			}
			if !hasLinkTo(resp, inc.ID) {
				t.Errorf("announcement has no link to incident %s:\n%s", inc.ID, got)
			}

			again := e.run(t, ada, "/page --confirm "+tok)
			if again.InChannel {
				t.Error("second click: got an in-channel reply, want ephemeral")
			}
			checkReply(t, flatten(again), []string{"Already paged", "paged nobody again", "Incident #"}, []string{"NOT paged"})
			e.checkIncidents(t, 1)
			if got, want := strings.Join(e.audits(t, tt.service), ","), "sent"; got != want {
				t.Errorf("got audit results %s, want %s", got, want)
			}
		})
	}
}

func hasLinkTo(resp commands.Response, id string) bool {
	for _, b := range resp.Blocks {
		var texts []commands.Text
		switch b := b.(type) {
		case *commands.Section:
			texts = append(texts, b.Text)
		case *commands.Context:
			texts = append(texts, b.Text)
		}
		for _, t := range texts {
			for _, s := range t {
				if strings.HasSuffix(s.URL, "/incidents/"+id) {
					return true
				}
			}
		}
	}
	return false
}

// TestPageConcurrentConfirms: clicks arriving together (a double click, a
// Slack retry, two replicas) page once; every other click is told the
// first outcome.
func TestPageConcurrentConfirms(t *testing.T) {
	e := newPDEnv(t, pdOptions{})
	tok := confirmToken(t, e.run(t, ada, "/page checkout-api disk full"))
	const clicks = 5
	resps := make([]commands.Response, clicks)
	var wg sync.WaitGroup
	for i := range clicks {
		wg.Go(func() { resps[i] = e.run(t, ada, "/page --confirm "+tok) })
	}
	wg.Wait()
	e.checkIncidents(t, 1)
	announced := 0
	for _, r := range resps {
		got := flatten(r)
		switch {
		case r.InChannel:
			announced++
		case !strings.Contains(got, "Already paged"):
			t.Errorf("got %q, want the first click's outcome (Already paged)", got)
		}
	}
	if announced != 1 {
		t.Errorf("got %d announcements, want 1", announced)
	}
	if got, want := strings.Join(e.audits(t, "checkout-api"), ","), "sent"; got != want {
		t.Errorf("got audit results %s, want %s", got, want)
	}
}

// TestPageLifecycle covers what is not a plain confirm: cancel, expiry,
// a recent page asking again, --yes.
func TestPageLifecycle(t *testing.T) {
	t.Run("cancel", func(t *testing.T) {
		e := newPDEnv(t, pdOptions{})
		tok := confirmToken(t, e.run(t, ada, "/page checkout-api disk full"))
		checkReply(t, flatten(e.run(t, ada, "/page --cancel "+tok)), []string{"Cancelled: checkout-api was not paged"}, nil)
		checkReply(t, flatten(e.run(t, ada, "/page --confirm "+tok)), []string{"This page was cancelled", "not paged", "button:/page checkout-api disk full"}, []string{"Already paged"})
		e.checkIncidents(t, 0)
		if got, want := strings.Join(e.audits(t, "checkout-api"), ","), "cancelled"; got != want {
			t.Errorf("got audit results %s, want %s", got, want)
		}
	})
	t.Run("expired", func(t *testing.T) {
		e := newPDEnv(t, pdOptions{})
		tok := confirmToken(t, e.run(t, ada, "/page checkout-api disk full"))
		e.clock.Advance(16 * time.Minute)
		checkReply(t, flatten(e.run(t, ada, "/page --confirm "+tok)), []string{"This confirmation expired", "nothing was paged", "button:/page checkout-api disk full"}, nil)
		checkReply(t, flatten(e.run(t, ada, "/page --confirm "+tok)), []string{"expired"}, nil)
		e.checkIncidents(t, 0)
		if got, want := strings.Join(e.audits(t, "checkout-api"), ","), "expired"; got != want {
			t.Errorf("got audit results %s, want %s", got, want)
		}
	})
	t.Run("sender died mid-send: the next click sends it", func(t *testing.T) {
		e := newPDEnv(t, pdOptions{})
		tok := confirmToken(t, e.run(t, ada, "/page checkout-api disk full"))
		// A replica claimed the page and died before sending it.
		if _, ok, err := e.store.ClaimPage(context.Background(), tok, []string{catalog.PagePending}, e.clock.Now(), time.Time{}); err != nil || !ok {
			t.Fatalf("claim: got %v, %v", ok, err)
		}
		e.clock.Advance(2 * time.Minute)
		if r := e.run(t, ada, "/page --confirm "+tok); !r.InChannel {
			t.Fatalf("got %q, want the stuck page sent", flatten(r))
		}
		e.checkIncidents(t, 1)
	})
	t.Run("someone else's confirmation", func(t *testing.T) {
		e := newPDEnv(t, pdOptions{})
		tok := confirmToken(t, e.run(t, ada, "/page checkout-api disk full"))
		grace := commands.User{ID: "UPAY02", Name: "grace.hopper", Email: "grace.hopper@acme.example"}
		checkReply(t, flatten(e.run(t, grace, "/page --confirm "+tok)), []string{"Only ada.lovelace, who asked for this page, can confirm"}, nil)
		e.checkIncidents(t, 0)
		checkReply(t, flatten(e.run(t, ada, "/page --confirm nosuchtoken")), []string{"no page with this confirmation"}, nil)
	})
	t.Run("paged in the last five minutes asks again", func(t *testing.T) {
		e := newPDEnv(t, pdOptions{})
		first := e.run(t, ada, "/page checkout-api disk full --yes")
		if !first.InChannel {
			t.Fatalf("--yes: got %q, want the page announced", flatten(first))
		}
		e.clock.Advance(2 * time.Minute)
		grace := commands.User{ID: "UPAY02", Name: "grace.hopper", Email: "grace.hopper@acme.example"}
		resp := e.run(t, grace, "/page checkout-api still full --yes")
		got := flatten(resp)
		checkReply(t, got, []string{"checkout-api was already paged 2m ago (15:04 UTC) by ada.lovelace: “disk full” — Incident #", "Page again anyway?"}, nil)
		if !has(mentions(resp), ada.ID) {
			t.Errorf("got mentions %v, want the earlier pager %s", mentions(resp), ada.ID)
		}
		tok := confirmToken(t, resp)
		e.checkIncidents(t, 1)
		if r := e.run(t, grace, "/page --confirm "+tok); !r.InChannel {
			t.Fatalf("confirm again: got %q, want the page announced", flatten(r))
		}
		e.checkIncidents(t, 2)
		// Six minutes on, the service is no longer "recently paged".
		e.clock.Advance(6 * time.Minute)
		if r := e.run(t, grace, "/page checkout-api third time --yes"); !r.InChannel {
			t.Fatalf("after five minutes: got %q, want paged at once", flatten(r))
		}
		e.checkIncidents(t, 3)
	})
	t.Run("paged meanwhile asks again at confirm", func(t *testing.T) {
		e := newPDEnv(t, pdOptions{})
		tok := confirmToken(t, e.run(t, ada, "/page checkout-api disk full"))
		grace := commands.User{ID: "UPAY02", Name: "grace.hopper", Email: "grace.hopper@acme.example"}
		if r := e.run(t, grace, "/page checkout-api disk full --yes"); !r.InChannel {
			t.Fatalf("got %q, want grace's page announced", flatten(r))
		}
		resp := e.run(t, ada, "/page --confirm "+tok)
		checkReply(t, flatten(resp), []string{"already paged", "by grace.hopper", "Page again anyway?"}, nil)
		if again := confirmToken(t, resp); again != tok {
			t.Errorf("got a new token %s, want the same page %s asked again", again, tok)
		}
		e.checkIncidents(t, 1)
		if r := e.run(t, ada, "/page --confirm "+tok); !r.InChannel {
			t.Fatalf("second confirm: got %q, want the page announced", flatten(r))
		}
		e.checkIncidents(t, 2)
	})
}

// TestPageRefused: who may not page, or cannot be paged for, is told why,
// nothing is sent, and the attempt is audited.
func TestPageRefused(t *testing.T) {
	e := newPDEnv(t, pdOptions{policy: allowList{ada.ID: true}})
	grace := commands.User{ID: "UPAY02", Name: "grace.hopper", Email: "grace.hopper@acme.example"}
	tests := []struct {
		name    string
		user    commands.User
		line    string
		subject string
		want    []string
	}{
		{"not allowed", grace, "/page checkout-api disk full", "checkout-api", []string{"You may not page: only members of @incident-commanders may page", "Nothing was paged"}},
		{"no email for a REST page", commands.User{ID: ada.ID, Name: ada.Name}, "/page auth-service login down", "auth-service",
			[]string{"NOT paged", "could not learn your email address"}},
		{"no PagerDuty service", ada, "/page legacy-cron stuck", "legacy-cron", []string{"legacy-cron has no PagerDuty service", "Nothing was paged"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := e.run(t, tt.user, tt.line)
			checkReply(t, flatten(resp), tt.want, []string{"H:Page"})
			if got, want := strings.Join(e.audits(t, tt.subject), ","), "refused"; got != want {
				t.Errorf("got audit results %s, want %s", got, want)
			}
		})
	}
	e.checkIncidents(t, 0)
	// Allowed: the same page goes through.
	if r := e.run(t, ada, "/page checkout-api disk full --yes"); !r.InChannel {
		t.Fatalf("allowed user: got %q, want paged", flatten(r))
	}
	e.checkIncidents(t, 1)
}

// TestPageFailures: when PagerDuty does not accept the page, the reply says
// NOT paged with the reason and whom to reach directly; retrying is safe.
func TestPageFailures(t *testing.T) {
	tests := []struct {
		name   string
		fault  func(f *fakepd.Server)
		want   []string
		budget time.Duration
	}{
		{"rate limited beyond the deadline", func(f *fakepd.Server) { f.RateLimitNext(20, 30*time.Second) },
			[]string{"NOT paged: checkout-api — PagerDuty's rate limit is reached; try again in 30 s"}, 3 * time.Second},
		{"down", func(f *fakepd.Server) { f.SetDown(true) },
			[]string{"NOT paged: checkout-api — PagerDuty is not reachable", "Reach the on-call directly: "}, 3 * time.Second},
		{"server errors", func(f *fakepd.Server) { f.FailNext(20, 503) },
			[]string{"NOT paged: checkout-api — PagerDuty is not reachable", "Reach the on-call directly: "}, 3 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newPDEnv(t, pdOptions{})
			onCallID, _ := e.levelOne(t, "checkout-api")
			tok := confirmToken(t, e.run(t, ada, "/page checkout-api disk full"))
			tt.fault(e.fake)
			start := time.Now()
			resp := e.run(t, ada, "/page --confirm "+tok)
			if d := time.Since(start); d > tt.budget {
				t.Errorf("answered in %v, want within %v (Slack's window)", d, tt.budget)
			}
			if resp.InChannel {
				t.Error("got an in-channel reply, want the failure told to the requester")
			}
			got := flatten(resp)
			checkReply(t, got, tt.want, []string{"Already paged", " paged " + "Ada"})
			if !has(mentions(resp), onCallID) {
				t.Errorf("got mentions %v, want the on-call %s to reach directly", mentions(resp), onCallID)
			}
			checkReply(t, got, []string{"button:/page --retry " + tok}, nil)
			e.checkIncidents(t, 0)

			// A second click tells the same failure; nothing is sent.
			checkReply(t, flatten(e.run(t, ada, "/page --confirm "+tok)), []string{"already tried", "NOT paged"}, nil)

			// PagerDuty back: Try again pages, once, with the same dedup key.
			e.fake.SetDown(false)
			e.fake.FailNext(0, 0)
			e.fake.RateLimitNext(0, 0)
			retry := e.run(t, ada, "/page --retry "+tok)
			if !retry.InChannel {
				t.Fatalf("retry: got %q, want the page announced", flatten(retry))
			}
			if incs := e.checkIncidents(t, 1); incs[0].IncidentKey != "switchboard-"+tok {
				t.Errorf("got dedup key %s, want switchboard-%s", incs[0].IncidentKey, tok)
			}
			if got, want := strings.Join(e.audits(t, "checkout-api"), ","), "failed,sent"; got != want {
				t.Errorf("got audit results %s, want %s", got, want)
			}
			if p, err := e.store.GetPage(context.Background(), tok); err != nil || p.State != catalog.PageSent || p.Error != "" {
				t.Errorf("got stored page %+v (%v), want sent without the first attempt's error", p, err)
			}
		})
	}
}

// TestPageAuditDetail: the audit log says who paged whom, with what, and
// the incident.
func TestPageAuditDetail(t *testing.T) {
	e := newPDEnv(t, pdOptions{})
	_, onCallName := e.levelOne(t, "checkout-api")
	if r := e.run(t, ada, "/page checkout-api disk full --yes"); !r.InChannel {
		t.Fatalf("got %q, want paged", flatten(r))
	}
	entries, err := e.store.AuditLog(context.Background(), "checkout-api", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Fatalf("got %d audit entries, want 1", len(entries))
	}
	a := entries[0]
	inc := e.checkIncidents(t, 1)[0]
	d := a.Detail
	if a.Actor != ada.ID || a.Action != "page" || a.Result != "sent" || d["message"] != "disk full" || d["requester_email"] != ada.Email ||
		d["incident_id"] != inc.ID || d["via"] != "events" || d["dedup_key"] != inc.IncidentKey || !strings.Contains(strings.Join(toStrings(d["on_call"]), ","), onCallName) {
		t.Errorf("got audit entry %+v, want ada's page of incident %s via events with %s on call", a, inc.ID, onCallName)
	}
	page, err := e.store.LastSentPage(context.Background(), pageServiceID(t, e, "checkout-api"), pdNow.Add(-time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if page.State != catalog.PageSent || page.IncidentID != inc.ID || page.RequesterID != ada.ID || page.ChannelID != "CINCIDENT" {
		t.Errorf("got stored page %+v, want sent with incident %s", page, inc.ID)
	}
}

func toStrings(v any) []string {
	l, _ := v.([]any)
	var out []string
	for _, x := range l {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

func pageServiceID(t *testing.T, e *pdEnv, ref string) int64 {
	t.Helper()
	l, err := e.store.FindService(context.Background(), ref)
	if err != nil || len(l.Services) != 1 {
		t.Fatalf("find %s: %v, %d services", ref, err, len(l.Services))
	}
	return l.Services[0].ID
}

// TestPageSlowPagerDuty: a trigger is retried within Slack's window; what
// PagerDuty accepted is announced once, what it did not is NOT paged.
func TestPageSlowPagerDuty(t *testing.T) {
	tests := []struct {
		name       string
		fault      func(f *fakepd.Server)
		wantPaged  bool
		want       []string
		incidents  int
		maxAnswerT time.Duration
	}{
		{"rate limited, then accepted within the deadline", func(f *fakepd.Server) { f.RateLimitNext(1, time.Second) },
			true, []string{"ada.lovelace paged ", "Incident #1"}, 1, 2500 * time.Millisecond},
		{"answer lost, retried with the same dedup key", func(f *fakepd.Server) { f.DelayNextResponses(1, 2*time.Second) },
			true, []string{"ada.lovelace paged ", "Incident #1"}, 1, 2500 * time.Millisecond},
		{"no answer within the deadline", func(f *fakepd.Server) { f.SetLatency(5 * time.Second) },
			false, []string{"NOT paged: checkout-api — PagerDuty did not answer in time", "Reach the on-call directly: "}, 0, 3 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newPDEnv(t, pdOptions{})
			tok := confirmToken(t, e.run(t, ada, "/page checkout-api disk full"))
			e.fake.SetFaultPath("/v2/enqueue")
			tt.fault(e.fake)
			start := time.Now()
			resp := e.run(t, ada, "/page --confirm "+tok)
			if d := time.Since(start); d > tt.maxAnswerT {
				t.Errorf("answered in %v, want within %v", d, tt.maxAnswerT)
			}
			if resp.InChannel != tt.wantPaged {
				t.Errorf("got in channel %v, want %v: %s", resp.InChannel, tt.wantPaged, flatten(resp))
			}
			checkReply(t, flatten(resp), tt.want, nil)
			e.checkIncidents(t, tt.incidents)
			want := "sent"
			if !tt.wantPaged {
				want = "failed"
			}
			if got := strings.Join(e.audits(t, "checkout-api"), ","); got != want {
				t.Errorf("got audit results %s, want %s", got, want)
			}
		})
	}
}
