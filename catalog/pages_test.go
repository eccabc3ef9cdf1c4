package catalog_test

import (
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
)

var pageTime = time.Date(2026, 3, 11, 15, 4, 5, 0, time.UTC)

// claim is ClaimPage of one page, with no other page holding it back.
func claim(s *catalog.Store, token string, from []string, at, staleBefore time.Time) (catalog.Page, bool, error) {
	res, err := s.ClaimPage(context.Background(), catalog.PageClaim{Token: token, From: from, At: at, StaleBefore: staleBefore})
	return res.Page, res.Claimed, err
}

func mustCreatePage(t testing.TB, s *catalog.Store, serviceID int64, at time.Time) catalog.Page {
	t.Helper()
	p, err := s.CreatePage(context.Background(), catalog.Page{
		ServiceID: serviceID, ServiceRef: "checkout-api", RequesterID: "U1", RequesterName: "ada",
		RequesterEmail: "ada@acme.test", ChannelID: "C1", Message: "disk full", CreatedAt: at,
		OnCall: []catalog.PageTarget{{Name: "Grace Hopper", SlackUserID: "U2"}},
	})
	if err != nil {
		t.Fatalf("create page: %v", err)
	}
	return p
}

func TestCreatePage(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	svc := mustPutService(t, s, catalog.Service{Name: "checkout-api"})
	p := mustCreatePage(t, s, svc.ID, pageTime)
	raw, err := base64.RawURLEncoding.DecodeString(p.Token)
	if err != nil || len(raw) != 16 {
		t.Errorf("got token %q (%d bytes, %v), want 128 bits of URL-safe base64", p.Token, len(raw), err)
	}
	if p.DedupKey != "switchboard-"+p.Token {
		t.Errorf("got dedup key %q, want switchboard-%s", p.DedupKey, p.Token)
	}
	if p.State != catalog.PagePending || !p.CreatedAt.Equal(pageTime) || !p.SentAt.IsZero() {
		t.Errorf("got state %s created %v sent %v, want pending created %v, not sent", p.State, p.CreatedAt, p.SentAt, pageTime)
	}
	got, err := s.GetPage(ctx, p.Token)
	if err != nil {
		t.Fatal(err)
	}
	if got.Message != "disk full" || got.RequesterEmail != "ada@acme.test" || len(got.OnCall) != 1 || got.OnCall[0].SlackUserID != "U2" {
		t.Errorf("got %+v, want the page as created", got)
	}
	other := mustCreatePage(t, s, svc.ID, pageTime)
	if other.Token == p.Token {
		t.Errorf("got the same token twice: %s", p.Token)
	}

	for _, tt := range []struct {
		name string
		page catalog.Page
		want error
	}{
		{"no service", catalog.Page{RequesterID: "U1", Message: "x"}, catalog.ErrInvalid},
		{"no requester", catalog.Page{ServiceID: svc.ID, Message: "x"}, catalog.ErrInvalid},
		{"no message", catalog.Page{ServiceID: svc.ID, RequesterID: "U1", Message: "  "}, catalog.ErrInvalid},
		{"token taken", catalog.Page{Token: p.Token, ServiceID: svc.ID, RequesterID: "U1", Message: "x"}, catalog.ErrConflict},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.CreatePage(ctx, tt.page); !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := s.GetPage(ctx, "nope"); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("unknown token: got %v, want ErrNotFound", err)
	}
}

// TestClaimPageOnce: of many concurrent claims of one page, exactly one
// wins; the others see it sending.
func TestClaimPageOnce(t *testing.T) {
	s := newStore(t)
	svc := mustPutService(t, s, catalog.Service{Name: "checkout-api"})
	p := mustCreatePage(t, s, svc.ID, pageTime)

	const n = 8
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		wins int
	)
	for range n {
		wg.Go(func() {
			got, ok, err := claim(s, p.Token, []string{catalog.PagePending}, pageTime.Add(time.Second), time.Time{})
			if err != nil {
				t.Error(err)
				return
			}
			if got.State != catalog.PageSending {
				t.Errorf("got state %s, want sending", got.State)
			}
			mu.Lock()
			defer mu.Unlock()
			if ok {
				wins++
			}
		})
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("got %d successful claims, want 1", wins)
	}
	if _, _, err := claim(s, "nope", []string{catalog.PagePending}, pageTime, time.Time{}); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("unknown token: got %v, want ErrNotFound", err)
	}
}

func TestMovePage(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	svc := mustPutService(t, s, catalog.Service{Name: "checkout-api"})
	tests := []struct {
		name      string
		setup     func(p catalog.Page)
		from      []string
		to        string
		wantMoved bool
		wantState string
	}{
		{"cancel a pending page", nil, []string{catalog.PagePending}, catalog.PageCancelled, true, catalog.PageCancelled},
		{"expire a pending page", nil, []string{catalog.PagePending}, catalog.PageExpired, true, catalog.PageExpired},
		{"cancel a page being sent", func(p catalog.Page) {
			if _, _, err := claim(s, p.Token, []string{catalog.PagePending}, pageTime, time.Time{}); err != nil {
				t.Fatal(err)
			}
		}, []string{catalog.PagePending}, catalog.PageCancelled, false, catalog.PageSending},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustCreatePage(t, s, svc.ID, pageTime)
			if tt.setup != nil {
				tt.setup(p)
			}
			got, moved, err := s.MovePage(ctx, p.Token, tt.from, tt.to, pageTime.Add(time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			if moved != tt.wantMoved || got.State != tt.wantState {
				t.Errorf("got moved %v state %s, want moved %v state %s", moved, got.State, tt.wantMoved, tt.wantState)
			}
		})
	}
}

func TestFinishPage(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	svc := mustPutService(t, s, catalog.Service{Name: "checkout-api"})

	p := mustCreatePage(t, s, svc.ID, pageTime)
	if _, err := s.FinishPage(ctx, catalog.Page{Token: p.Token, State: catalog.PageSent}); !errors.Is(err, catalog.ErrConflict) {
		t.Errorf("finish a pending page: got %v, want ErrConflict", err)
	}
	if _, err := s.FinishPage(ctx, catalog.Page{Token: p.Token, State: catalog.PageCancelled}); !errors.Is(err, catalog.ErrInvalid) {
		t.Errorf("finish as cancelled: got %v, want ErrInvalid", err)
	}
	if _, _, err := claim(s, p.Token, []string{catalog.PagePending}, pageTime, time.Time{}); err != nil {
		t.Fatal(err)
	}
	sentAt := pageTime.Add(2 * time.Second)
	got, err := s.FinishPage(ctx, catalog.Page{Token: p.Token, State: catalog.PageSent, SentAt: sentAt, UpdatedAt: sentAt,
		IncidentID: "PINC1", IncidentNumber: 7, IncidentURL: "https://acme.pagerduty.com/incidents/PINC1", Via: "events",
		OnCall: []catalog.PageTarget{{Name: "Alan Turing", SlackUserID: "U3"}}})
	if err != nil {
		t.Fatal(err)
	}
	if got.State != catalog.PageSent || !got.SentAt.Equal(sentAt) || got.IncidentNumber != 7 || got.Via != "events" || got.OnCall[0].Name != "Alan Turing" {
		t.Errorf("got %+v, want sent at %v with incident #7 via events, on call Alan Turing", got, sentAt)
	}
	if _, err := s.FinishPage(ctx, catalog.Page{Token: p.Token, State: catalog.PageFailed, Error: "late"}); !errors.Is(err, catalog.ErrConflict) {
		t.Errorf("finish twice: got %v, want ErrConflict", err)
	}

	// A failed page may be claimed again to retry it.
	f := mustCreatePage(t, s, svc.ID, pageTime)
	if _, _, err := claim(s, f.Token, []string{catalog.PagePending}, pageTime, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.FinishPage(ctx, catalog.Page{Token: f.Token, State: catalog.PageFailed, Error: "PagerDuty is not reachable"}); err != nil || got.Error == "" || !got.SentAt.IsZero() {
		t.Fatalf("got %+v, %v; want failed with its error and no sent time", got, err)
	}
	if _, ok, err := claim(s, f.Token, []string{catalog.PagePending}, pageTime, time.Time{}); err != nil || ok {
		t.Errorf("claim a failed page as pending: got claimed %v (%v), want not claimed", ok, err)
	}
	if got, ok, err := claim(s, f.Token, []string{catalog.PageFailed}, pageTime, time.Time{}); err != nil || !ok || got.State != catalog.PageSending {
		t.Errorf("claim a failed page to retry: got %s claimed %v (%v), want sending, claimed", got.State, ok, err)
	}
}

// TestClaimStaleSending: a page whose sender died in the middle is claimable
// again once it has been sending since before staleBefore.
func TestClaimStaleSending(t *testing.T) {
	s := newStore(t)
	svc := mustPutService(t, s, catalog.Service{Name: "checkout-api"})
	p := mustCreatePage(t, s, svc.ID, pageTime)
	if _, ok, err := claim(s, p.Token, []string{catalog.PagePending}, pageTime, time.Time{}); err != nil || !ok {
		t.Fatalf("first claim: got %v, %v", ok, err)
	}
	if _, ok, _ := claim(s, p.Token, []string{catalog.PagePending}, pageTime.Add(time.Second), pageTime.Add(-time.Minute)); ok {
		t.Error("claimed a page that is being sent right now, want refused")
	}
	if _, ok, err := claim(s, p.Token, []string{catalog.PagePending}, pageTime.Add(2*time.Minute), pageTime.Add(time.Minute)); err != nil || !ok {
		t.Errorf("claim a page stuck sending: got %v, %v; want claimed", ok, err)
	}
}

func TestLastSentPage(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	svc := mustPutService(t, s, catalog.Service{Name: "checkout-api"})
	other := mustPutService(t, s, catalog.Service{Name: "ledger"})
	send := func(serviceID int64, at time.Time, state string) catalog.Page {
		t.Helper()
		p := mustCreatePage(t, s, serviceID, at)
		if _, _, err := claim(s, p.Token, []string{catalog.PagePending}, at, time.Time{}); err != nil {
			t.Fatal(err)
		}
		p, err := s.FinishPage(ctx, catalog.Page{Token: p.Token, State: state, SentAt: at, Error: "x"})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	send(svc.ID, pageTime.Add(-10*time.Minute), catalog.PageSent)
	recent := send(svc.ID, pageTime.Add(-3*time.Minute), catalog.PageSent)
	send(svc.ID, pageTime.Add(-time.Minute), catalog.PageFailed)
	send(other.ID, pageTime, catalog.PageSent)
	mustCreatePage(t, s, svc.ID, pageTime) // pending

	got, err := s.LastSentPage(ctx, svc.ID, pageTime.Add(-5*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if got.Token != recent.Token {
		t.Errorf("got page sent at %v, want the one sent at %v", got.SentAt, recent.SentAt)
	}
	if _, err := s.LastSentPage(ctx, svc.ID, pageTime.Add(-2*time.Minute)); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("nothing sent since: got %v, want ErrNotFound", err)
	}
}

func TestAcknowledgePage(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	svc := mustPutService(t, s, catalog.Service{Name: "checkout-api"})
	p := mustCreatePage(t, s, svc.ID, pageTime)
	got, err := s.AcknowledgePage(ctx, p.Token, "earlier", []catalog.PageTarget{{Name: "Alan Turing"}}, pageTime.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if got.AcknowledgedToken != "earlier" || got.OnCall[0].Name != "Alan Turing" {
		t.Errorf("got %+v, want acknowledged earlier with Alan Turing on call", got)
	}
	if _, _, err := s.MovePage(ctx, p.Token, []string{catalog.PagePending}, catalog.PageCancelled, pageTime); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AcknowledgePage(ctx, p.Token, "later", nil, pageTime); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("acknowledge a cancelled page: got %v, want ErrNotFound", err)
	}
}

func TestPeopleByEmail(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	for _, p := range []catalog.Person{
		{Name: "Ada Lovelace", Email: "Ada.Lovelace@acme.test", SlackUserID: "U1"},
		{Name: "Grace Hopper", Email: "grace@acme.test"},
	} {
		if _, err := s.PutPerson(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name   string
		emails []string
		want   string // lower-cased email=slack id, sorted
	}{
		{"mixed case", []string{"ada.lovelace@ACME.test", "GRACE@acme.test"}, "ada.lovelace@acme.test=U1,grace@acme.test="},
		{"unknown", []string{"nobody@acme.test"}, ""},
		{"none", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.PeopleByEmail(ctx, tt.emails)
			if err != nil {
				t.Fatal(err)
			}
			var parts []string
			for _, e := range []string{"ada.lovelace@acme.test", "grace@acme.test", "nobody@acme.test"} {
				if p, ok := got[e]; ok {
					parts = append(parts, e+"="+p.SlackUserID)
				}
			}
			if s := strings.Join(parts, ","); s != tt.want || len(got) != len(parts) {
				t.Errorf("got %q (%d entries), want %q", s, len(got), tt.want)
			}
		})
	}
}

// twoReplicas is two stores, each with its own pool, on one fresh database.
func twoReplicas(t *testing.T) (*catalog.Store, *catalog.Store) {
	t.Helper()
	url := pgtest.URL(t)
	var stores [2]*catalog.Store
	for i := range stores {
		pool, err := pgxpool.New(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		stores[i] = catalog.NewStore(pool, slog.New(slog.DiscardHandler))
	}
	return stores[0], stores[1]
}

// TestClaimPageSerialisesAService: two replicas claiming different pages of
// one service at the same moment: one claims, the other is shown that page
// (whether it is still sending or already sent) and claims only once its
// requester acknowledged it. Pages of other services are not held back.
func TestClaimPageSerialisesAService(t *testing.T) {
	a, b := twoReplicas(t)
	ctx := context.Background()
	svc := mustPutService(t, a, catalog.Service{Name: "checkout-api"})
	other := mustPutService(t, a, catalog.Service{Name: "ledger"})
	for round := range 10 { // many rounds: the race must never be won twice
		at := pageTime.Add(time.Duration(round) * time.Hour)
		since := at.Add(-5 * time.Minute)
		p1 := mustCreatePage(t, a, svc.ID, at)
		p2 := mustCreatePage(t, b, svc.ID, at)
		var (
			wg      sync.WaitGroup
			results [2]catalog.PageClaimResult
		)
		start := make(chan struct{})
		for i, st := range []*catalog.Store{a, b} {
			tok := []string{p1.Token, p2.Token}[i]
			wg.Go(func() {
				<-start
				res, err := st.ClaimPage(ctx, catalog.PageClaim{Token: tok, From: []string{catalog.PagePending}, At: at, RecentSince: since})
				if err != nil {
					t.Error(err)
				}
				results[i] = res
			})
		}
		close(start)
		wg.Wait()
		if results[0].Claimed == results[1].Claimed {
			t.Fatalf("round %d: got claimed %v and %v, want exactly one", round, results[0].Claimed, results[1].Claimed)
		}
		won, lost := results[0], results[1]
		if lost.Claimed {
			won, lost = lost, won
		}
		if lost.Recent == nil || lost.Recent.Token != won.Page.Token || lost.Recent.State != catalog.PageSending || lost.Page.State != catalog.PagePending {
			t.Fatalf("round %d: held back claim: got recent %+v, page %s; want the winner %s sending, this page pending", round, lost.Recent, lost.Page.State, won.Page.Token)
		}
		// The winner's page is sent; the other requester, shown it, pages
		// again.
		if _, err := a.FinishPage(ctx, catalog.Page{Token: won.Page.Token, State: catalog.PageSent, SentAt: at}); err != nil {
			t.Fatal(err)
		}
		again, err := b.ClaimPage(ctx, catalog.PageClaim{Token: lost.Page.Token, From: []string{catalog.PagePending}, At: at, RecentSince: since})
		if err != nil || again.Claimed || again.Recent == nil || again.Recent.State != catalog.PageSent {
			t.Fatalf("round %d: claim before acknowledging: got %+v (%v), want held back by the sent page", round, again, err)
		}
		if _, err := b.AcknowledgePage(ctx, lost.Page.Token, won.Page.Token, nil, at); err != nil {
			t.Fatal(err)
		}
		again, err = b.ClaimPage(ctx, catalog.PageClaim{Token: lost.Page.Token, From: []string{catalog.PagePending}, At: at, RecentSince: since})
		if err != nil || !again.Claimed {
			t.Fatalf("round %d: claim after acknowledging: got %+v (%v), want claimed", round, again, err)
		}
		if _, err := b.FinishPage(ctx, catalog.Page{Token: lost.Page.Token, State: catalog.PageFailed, Error: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	o := mustCreatePage(t, b, other.ID, pageTime)
	if res, err := b.ClaimPage(ctx, catalog.PageClaim{Token: o.Token, From: []string{catalog.PagePending}, At: pageTime, RecentSince: pageTime.Add(-time.Hour)}); err != nil || !res.Claimed {
		t.Errorf("another service: got %+v (%v), want claimed", res, err)
	}
}

// TestClaimPageHeldBack: which other pages of the service hold a claim
// back.
func TestClaimPageHeldBack(t *testing.T) {
	tests := []struct {
		name     string
		state    string // the other page's outcome; "" leaves it sending
		claimAt  time.Duration
		wantHeld bool
	}{
		{"sending", "", 0, true},
		{"sending, its sender dead long ago: unknown", "", 4 * time.Minute, true},
		{"unknown", catalog.PageUnknown, time.Minute, true},
		{"sent", catalog.PageSent, time.Minute, true},
		{"failed: no incident", catalog.PageFailed, time.Minute, false},
		{"sent more than five minutes ago", catalog.PageSent, 6 * time.Minute, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			ctx := context.Background()
			svc := mustPutService(t, s, catalog.Service{Name: "checkout-api"})
			first := mustCreatePage(t, s, svc.ID, pageTime)
			if _, ok, err := claim(s, first.Token, []string{catalog.PagePending}, pageTime, time.Time{}); err != nil || !ok {
				t.Fatalf("claim: %v %v", ok, err)
			}
			if tt.state != "" {
				if _, err := s.FinishPage(ctx, catalog.Page{Token: first.Token, State: tt.state, SentAt: pageTime, Error: "x"}); err != nil {
					t.Fatal(err)
				}
			}
			now := pageTime.Add(tt.claimAt)
			recent, err := s.RecentPage(ctx, svc.ID, now.Add(-5*time.Minute))
			if tt.wantHeld != (err == nil) || (err == nil && recent.Token != first.Token) {
				t.Errorf("RecentPage: got %s (%v), want %s: %v", recent.Token, err, first.Token, tt.wantHeld)
			}
			p := mustCreatePage(t, s, svc.ID, now)
			res, err := s.ClaimPage(ctx, catalog.PageClaim{Token: p.Token, From: []string{catalog.PagePending}, At: now,
				StaleBefore: now.Add(-time.Minute), RecentSince: now.Add(-5 * time.Minute)})
			if err != nil {
				t.Fatal(err)
			}
			if held := res.Recent != nil; held != tt.wantHeld || held == res.Claimed {
				t.Errorf("got held back %v, claimed %v; want held back %v", held, res.Claimed, tt.wantHeld)
			}
			if res.Recent != nil && res.Recent.Token != first.Token {
				t.Errorf("got held back by %s, want %s", res.Recent.Token, first.Token)
			}
		})
	}
}

// TestSettlePage: an unknown page becomes sent or failed once.
func TestSettlePage(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	svc := mustPutService(t, s, catalog.Service{Name: "checkout-api"})
	p := mustCreatePage(t, s, svc.ID, pageTime)
	if _, _, err := s.SettlePage(ctx, catalog.Page{Token: p.Token, State: catalog.PageSent}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetPage(ctx, p.Token); got.State != catalog.PagePending {
		t.Fatalf("settled a pending page: %s", got.State)
	}
	if _, _, err := claim(s, p.Token, []string{catalog.PagePending}, pageTime, time.Time{}); err != nil {
		t.Fatal(err)
	}
	got, err := s.FinishPage(ctx, catalog.Page{Token: p.Token, State: catalog.PageUnknown, Error: "PagerDuty did not confirm in time"})
	if err != nil || got.State != catalog.PageUnknown || !got.ClaimedAt.Equal(pageTime) {
		t.Fatalf("finish as unknown: got %+v (%v)", got, err)
	}
	if _, _, err := s.SettlePage(ctx, catalog.Page{Token: p.Token, State: catalog.PageUnknown}); !errors.Is(err, catalog.ErrInvalid) {
		t.Errorf("settle as unknown: got %v, want ErrInvalid", err)
	}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		settled int
	)
	for i := range 4 {
		wg.Go(func() {
			st := catalog.Page{Token: p.Token, State: catalog.PageSent, SentAt: pageTime.Add(time.Minute), IncidentID: "PINC1", IncidentNumber: 3}
			if i%2 == 1 {
				st = catalog.Page{Token: p.Token, State: catalog.PageFailed, Error: "no incident"}
			}
			_, ok, err := s.SettlePage(ctx, st)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if ok {
				settled++
			}
		})
	}
	wg.Wait()
	if settled != 1 {
		t.Errorf("got %d settlements, want 1", settled)
	}
}
