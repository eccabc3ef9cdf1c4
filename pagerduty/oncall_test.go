package pagerduty_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/oncall"
	"github.com/switchboard-dev/switchboard/pagerduty"
	"github.com/switchboard-dev/switchboard/pagerduty/fakepd"
)

func names(users []oncall.User) []string {
	var out []string
	for _, u := range users {
		out = append(out, u.Name)
	}
	return out
}

func TestOnCallForSampleServices(t *testing.T) {
	e := newEnv(t, nil, nil)
	start := fakepd.SampleRotationStart(now)
	thisWeekEnds := start.AddDate(0, 0, 9*7)

	type level struct {
		users    []string
		schedule string
		until    time.Time
	}
	tests := []struct {
		name       string
		service    string // a catalog ref; "" for a policy
		policy     string
		wantPolicy string
		wantLevels []level
	}{
		{"service with a secondary rotation", "checkout-api", "EPPAY", "Payments escalation policy", []level{
			{[]string{"Ada Lovelace"}, "Payments primary", thisWeekEnds},
			{[]string{"Grace Hopper"}, "Payments secondary", thisWeekEnds},
		}},
		{"service of a two-person team: the manager at level 2", "ios-app", "EPMOB", "Mobile escalation policy", []level{
			{[]string{"Jean Sammet"}, "Mobile primary", thisWeekEnds},
			{[]string{"Frances Allen"}, "", time.Time{}},
		}},
		{"service with three levels", "deploy-bot", "EPPLA", "Platform / SRE escalation policy", []level{
			{[]string{"Margaret Hamilton"}, "Platform / SRE primary", thisWeekEnds},
			{[]string{"Linus Torvalds"}, "Platform / SRE secondary", thisWeekEnds},
			{[]string{"Margaret Hamilton"}, "", time.Time{}},
		}},
		{"team policy", "", "EPIDE", "Identity & Access escalation policy", []level{
			// Eight weeks after the start with three people: the third one's turn.
			{[]string{"Whitfield Diffie"}, "Identity & Access primary", thisWeekEnds},
			{[]string{"Ken Thompson"}, "Identity & Access secondary", thisWeekEnds},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			var (
				got oncall.Now
				err error
			)
			if tt.service != "" {
				got, err = e.client.OnCall(ctx, fakepd.SampleServiceID(tt.service))
			} else {
				got, err = e.client.OnCallForPolicy(ctx, tt.policy)
			}
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if tt.service != "" && (got.Service.ID != fakepd.SampleServiceID(tt.service) || got.Service.Name != tt.service || got.Service.HTMLURL == "") {
				t.Errorf("got service %+v, want %s named %s with a link", got.Service, fakepd.SampleServiceID(tt.service), tt.service)
			}
			if got.Policy.ID != tt.policy || got.Policy.Name != tt.wantPolicy || got.Policy.HTMLURL == "" {
				t.Errorf("got policy %+v, want %s %q with a link", got.Policy, tt.policy, tt.wantPolicy)
			}
			if !got.FetchedAt.Equal(now) || got.Stale {
				t.Errorf("got fetched at %s stale %v, want %s and fresh", got.FetchedAt, got.Stale, now)
			}
			if len(got.Levels) != len(tt.wantLevels) {
				t.Fatalf("got %d levels (%+v), want %d", len(got.Levels), got.Levels, len(tt.wantLevels))
			}
			for i, want := range tt.wantLevels {
				l := got.Levels[i]
				if l.Level != i+1 || !slices.Equal(names(l.Users), want.users) || l.Schedule.Name != want.schedule || !l.Until.Equal(want.until) {
					t.Errorf("level %d: got %d %v %q until %s, want %v %q until %s",
						i+1, l.Level, names(l.Users), l.Schedule.Name, l.Until, want.users, want.schedule, want.until)
				}
				for _, u := range l.Users {
					if u.Email != fakepd.SampleEmail(u.Name) || u.ID == "" || u.HTMLURL == "" {
						t.Errorf("level %d: got user %+v, want id, link and email %s", i+1, u, fakepd.SampleEmail(u.Name))
					}
				}
				if len(l.Shifts) != len(l.Users) {
					t.Errorf("level %d: got %d shifts, want %d", i+1, len(l.Shifts), len(l.Users))
				}
			}
		})
	}
}

// bigPolicy is a fake whose policy PBIG has n users at level 1 (targeted
// directly) and a rotation at level 2.
func bigPolicy(t *testing.T, n int) *fakepd.Server {
	t.Helper()
	fake := fakepd.New(fakepd.SampleToken)
	fake.SetNow(now)
	var targets []fakepd.Target
	for i := range n {
		u := fakepd.User{ID: fmt.Sprintf("PU%04d", i), Name: fmt.Sprintf("Engineer %d", i), Email: fmt.Sprintf("engineer%d@acme.example", i)}
		if err := fake.AddUser(u); err != nil {
			t.Fatal(err)
		}
		targets = append(targets, fakepd.Target{Type: fakepd.TargetUser, ID: u.ID})
	}
	steps := []error{
		fake.AddSchedule(fakepd.Schedule{ID: "PROTA", Name: "Rota", Users: []string{"PU0000", "PU0001"}, Start: now.Add(-time.Hour), Shift: 24 * time.Hour}),
		fake.AddEscalationPolicy(fakepd.EscalationPolicy{ID: "PBIG", Name: "Everyone", Rules: []fakepd.Rule{
			{Targets: targets}, {Targets: []fakepd.Target{{Type: fakepd.TargetSchedule, ID: "PROTA"}}},
		}}),
		fake.AddService(fakepd.Service{ID: "PSBIG", Name: "monolith", EscalationPolicyID: "PBIG"}),
	}
	for _, err := range steps {
		if err != nil {
			t.Fatal(err)
		}
	}
	return fake
}

func TestOnCallFollowsPagination(t *testing.T) {
	tests := []struct {
		name        string
		users       int
		pageSize    int
		wantOffsets []string
	}{
		{"PagerDuty's default page of 25", 60, 25, []string{"", "25", "50"}},
		{"pages of 100", 130, 0, []string{"", "100"}},
		{"one page", 10, 0, []string{""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, bigPolicy(t, tt.users), func(c *pagerduty.Config) { c.PageSize = tt.pageSize })
			got, err := e.client.OnCall(context.Background(), "PSBIG")
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if len(got.Levels) != 2 || len(got.Levels[0].Users) != tt.users || len(got.Levels[1].Users) != 1 {
				t.Fatalf("got %d levels, want 2 with %d users then 1", len(got.Levels), tt.users)
			}
			if got.Levels[1].Until != now.Add(23*time.Hour) {
				t.Errorf("level 2: got until %s, want %s", got.Levels[1].Until, now.Add(23*time.Hour))
			}
			var offsets []string
			for _, r := range e.fake.Requests() {
				if r.Path == "/oncalls" {
					q, _ := url.ParseQuery(r.Query)
					offsets = append(offsets, q.Get("offset"))
					if q.Get("earliest") != "true" || q.Get("escalation_policy_ids[]") != "PBIG" {
						t.Errorf("got query %s, want earliest=true and escalation_policy_ids[]=PBIG", r.Query)
					}
				}
			}
			if !slices.Equal(offsets, tt.wantOffsets) {
				t.Errorf("got GET /oncalls offsets %q, want %q", offsets, tt.wantOffsets)
			}
		})
	}
}

func TestOnCallIsCached(t *testing.T) {
	e := newEnv(t, nil, func(c *pagerduty.Config) { c.CacheTTL = time.Minute })
	id := fakepd.SampleServiceID("checkout-api")
	steps := []struct {
		name         string
		advance      time.Duration
		wantRequests int
	}{
		{"first call", 0, 2}, // the service, then its on-calls
		{"within the TTL", 59 * time.Second, 0},
		{"after the TTL", 2 * time.Second, 2},
		{"within the new TTL", 30 * time.Second, 0},
	}
	for _, st := range steps {
		e.clock.Advance(st.advance)
		e.fake.ResetRequests()
		got, err := e.client.OnCall(context.Background(), id)
		if err != nil {
			t.Fatalf("%s: got error %v, want none", st.name, err)
		}
		if n := len(e.fake.Requests()); n != st.wantRequests {
			t.Errorf("%s: got %d requests, want %d", st.name, n, st.wantRequests)
		}
		if len(got.Levels) != 2 {
			t.Errorf("%s: got %d levels, want 2", st.name, len(got.Levels))
		}
	}
}

func TestOnCallConcurrentCallersShareOneRequest(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.fake.SetLatency(50 * time.Millisecond)
	id := fakepd.SampleServiceID("search-api")
	const callers = 20
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for range callers {
		wg.Go(func() {
			got, err := e.client.OnCall(context.Background(), id)
			if err == nil && len(got.Levels) != 2 {
				err = fmt.Errorf("got %d levels, want 2", len(got.Levels))
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := e.fake.CountRequests("GET", "/services/"+id); n != 1 {
		t.Errorf("%d concurrent callers: got %d GET /services, want 1", callers, n)
	}
	if n := e.fake.CountRequests("GET", "/oncalls"); n != 1 {
		t.Errorf("%d concurrent callers: got %d GET /oncalls, want 1", callers, n)
	}
}

func TestOnCallServesStaleAnswerWhenPagerDutyIsDown(t *testing.T) {
	e := newEnv(t, nil, func(c *pagerduty.Config) { c.CacheTTL = time.Minute; c.StaleTTL = 10 * time.Minute })
	id := fakepd.SampleServiceID("checkout-api")
	if _, err := e.client.OnCall(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	e.fake.SetDown(true)
	tests := []struct {
		name      string
		advance   time.Duration
		wantStale bool
		wantErr   error
	}{
		{"fresh: from the cache", 30 * time.Second, false, nil},
		{"expired: stale", 5 * time.Minute, true, nil},
		{"too old to serve", 10 * time.Minute, false, oncall.ErrUnavailable},
	}
	for _, tt := range tests {
		e.clock.Advance(tt.advance)
		got, err := e.client.OnCall(context.Background(), id)
		if !errors.Is(err, tt.wantErr) {
			t.Fatalf("%s: got error %v, want %v", tt.name, err, tt.wantErr)
		}
		if err == nil && (got.Stale != tt.wantStale || !got.FetchedAt.Equal(now) || len(got.Levels) != 2) {
			t.Errorf("%s: got stale %v fetched at %s with %d levels, want stale %v fetched at %s with 2", tt.name, got.Stale, got.FetchedAt, len(got.Levels), tt.wantStale, now)
		}
	}
}

func TestOnCallErrors(t *testing.T) {
	tests := []struct {
		name         string
		service      string
		setup        func(*fakepd.Server)
		token        string
		deadline     time.Duration
		wantErr      error
		wantRequests int // -1: any
		// giveUpAtOnce: the client must give up before the caller's
		// deadline (PagerDuty asked to wait longer than it leaves), not
		// sleep into it; the deadline is long, so that the check is on
		// the event (the deadline passed or not), not a wall-clock limit.
		giveUpAtOnce bool
	}{
		{name: "unknown service", service: "PNOPE00", wantErr: oncall.ErrNotFound, wantRequests: 1},
		{name: "not an ID", service: "../oncalls", wantErr: oncall.ErrNotFound, wantRequests: 0},
		{name: "bad token", service: "checkout-api", token: "wrong", wantErr: oncall.ErrUnauthorized, wantRequests: 1},
		{name: "down", service: "checkout-api", setup: func(f *fakepd.Server) { f.SetDown(true) }, wantErr: oncall.ErrUnavailable, wantRequests: -1},
		{name: "5xx beyond retries", service: "checkout-api", setup: func(f *fakepd.Server) { f.FailNext(10, 500) }, wantErr: oncall.ErrUnavailable, wantRequests: 4},
		{name: "5xx burst then success", service: "checkout-api", setup: func(f *fakepd.Server) { f.FailNext(2, 502) }, wantRequests: 4},
		{name: "429 beyond the deadline", service: "checkout-api", setup: func(f *fakepd.Server) { f.RateLimitNext(10, time.Hour) },
			deadline: 10 * time.Second, wantErr: oncall.ErrRateLimited, wantRequests: 1, giveUpAtOnce: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil, func(c *pagerduty.Config) {
				if tt.token != "" {
					c.Token = tt.token
				}
			})
			if tt.setup != nil {
				tt.setup(e.fake)
			}
			ctx := context.Background()
			if tt.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.deadline)
				defer cancel()
			}
			id := tt.service
			if sid := fakepd.SampleServiceID(tt.service); sid != "" {
				id = sid
			}
			_, err := e.client.OnCall(ctx, id)
			deadlinePassed := ctx.Err() != nil
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("got error %v, want %v", err, tt.wantErr)
			}
			if n := len(e.fake.Requests()); tt.wantRequests >= 0 && n != tt.wantRequests {
				t.Errorf("got %d requests, want %d", n, tt.wantRequests)
			}
			if tt.giveUpAtOnce && deadlinePassed {
				t.Errorf("got an answer once the caller's deadline had passed, want one at once (PagerDuty asked to wait past it)")
			}
		})
	}
}
