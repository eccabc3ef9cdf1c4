package catalog_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
)

func kinds(cs []catalog.Change) string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Kind+":"+c.Ref)
	}
	return strings.Join(out, " ")
}

// TestRecordChanges: duplicates from the webhook, the backfill and
// several replicas are one row; a push a merged merge request brought is
// not a direct push whichever arrived first; deployments keep their
// latest status, per environment; catalog changes come from the trigger.
func TestRecordChanges(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	mustApply(t, s, snapshot(10, "pay/checkout", catalog.DescriptorOK, component("checkout", "group:payments")))
	mustApply(t, s, snapshot(11, "pay/ledger", catalog.DescriptorOK, component("ledger", "group:payments")))
	checkout, ledger := serviceID(t, s, "checkout"), serviceID(t, s, "ledger")
	base := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)

	mr := catalog.Change{Kind: catalog.ChangeMerge, ProjectID: 10, Ref: "7", At: base, AuthorName: "Ada", AuthorUsername: "ada",
		Title: "Retry payments", WebURL: "https://gitlab/pay/checkout/-/merge_requests/7", SHA: "m1", MergeCommits: []string{"m1", "head7"},
		Source: catalog.ChangeFromWebhook}
	// The merge's push arrives first; a direct push arrives too.
	mergePush := catalog.Change{Kind: catalog.ChangePush, ProjectID: 10, Ref: "m1", SHA: "m1", At: base, Title: "Merge branch", Source: catalog.ChangeFromWebhook}
	direct := catalog.Change{Kind: catalog.ChangePush, ProjectID: 10, Ref: "d1", SHA: "d1", At: base.Add(time.Hour), Title: "hotfix", AuthorUsername: "bob", Source: catalog.ChangeFromWebhook}
	if err := s.RecordChanges(ctx, []catalog.Change{mergePush, direct}); err != nil {
		t.Fatal(err)
	}
	// The MR: webhook and backfill, from several replicas at once.
	var wg sync.WaitGroup
	for i := range 6 {
		c := mr
		if i%2 == 1 {
			c.Source, c.AuthorName = catalog.ChangeFromSync, ""
		}
		wg.Go(func() {
			if err := s.RecordChanges(ctx, []catalog.Change{c}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	deploy := func(id, env, status string, at time.Time) catalog.Change {
		return catalog.Change{Kind: catalog.ChangeDeployment, ProjectID: 11, Ref: id, At: at, Environment: env, Status: status, Title: "deploy " + id, Source: catalog.ChangeFromWebhook}
	}
	if err := s.RecordChanges(ctx, []catalog.Change{
		deploy("100", "production", "failed", base.Add(2*time.Hour)),
		deploy("100", "production", "success", base.Add(3*time.Hour)), // the same deployment, later
		deploy("100", "production", "failed", base.Add(2*time.Hour)),  // a late redelivery of the first
		deploy("101", "staging", "success", base.Add(30*time.Minute)),
	}); err != nil {
		t.Fatal(err)
	}

	got, err := s.RecentChanges(ctx, []int64{checkout, ledger}, time.Time{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if want := "deployment:100 push:d1 deployment:101 merge_request:7"; kinds(got) != want {
		t.Fatalf("changes = %s, want %s", kinds(got), want)
	}
	if got[0].Status != "success" || got[0].ServiceID != ledger || got[0].Environment != "production" {
		t.Errorf("deployment = %+v", got[0])
	}
	if m := got[3]; m.Author() != "Ada (@ada)" || m.ServiceID != checkout {
		t.Errorf("merge = %+v (%s)", m, m.Author())
	}
	var n int
	if err := s.Pool().QueryRow(ctx, `SELECT count(*) FROM changes WHERE kind = 'merge_request'`).Scan(&n); err != nil || n != 1 {
		t.Errorf("merge rows = %d, %v", n, err)
	}
	// The window, and the limit.
	if w, _ := s.RecentChanges(ctx, []int64{checkout, ledger}, base.Add(150*time.Minute), 10); kinds(w) != "deployment:100" {
		t.Errorf("since: %s", kinds(w))
	}
	if w, _ := s.ChangesBefore(ctx, []int64{checkout}, base.Add(30*time.Minute), 5); kinds(w) != "merge_request:7" {
		t.Errorf("before: %s", kinds(w))
	}
	if w, _ := s.RecentChanges(ctx, []int64{checkout, ledger}, time.Time{}, 2); len(w) != 2 {
		t.Errorf("limit 2: %d", len(w))
	}

	// An owner change through the sync: recorded by the database.
	mustApply(t, s, snapshot(10, "pay/checkout", catalog.DescriptorOK, component("checkout", "group:storefront")))
	got, _ = s.RecentChanges(ctx, []int64{checkout}, time.Time{}, 10)
	if got[0].Kind != catalog.ChangeCatalog || got[0].Title != "owner: payments → storefront" || got[0].ServiceID != checkout {
		t.Errorf("catalog change = %+v", got[0])
	}

	// Invalid input writes nothing.
	if err := s.RecordChanges(ctx, []catalog.Change{{Kind: "comment", ProjectID: 1, Ref: "x", At: base, Source: "webhook"}}); !errors.Is(err, catalog.ErrInvalid) {
		t.Errorf("bad kind: %v", err)
	}
}

// TestChangeWatermarks only move forward.
func TestChangeWatermarks(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	t1 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	if err := s.SetChangeWatermark(ctx, 5, catalog.ChangeWatermark{Merges: t1.Add(time.Hour), Pushes: t1}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetChangeWatermark(ctx, 5, catalog.ChangeWatermark{Merges: t1, Deployments: t1, Problem: "403"}); err != nil {
		t.Fatal(err)
	}
	w, err := s.ChangeWatermarks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := w[5]
	if !got.Merges.Equal(t1.Add(time.Hour)) || !got.Deployments.Equal(t1) || !got.Pushes.Equal(t1) || got.Problem != "403" {
		t.Errorf("watermark = %+v", got)
	}
}

// TestPageNoticeClaims: each channel's notice of a page is claimed once,
// whatever the concurrent clicks; a failed post, or one whose sender died
// (sending for over a minute), is claimed again, and the sender that lost
// its claim cannot record an outcome over the new claimant's; an unknown
// page is ErrNotFound.
func TestPageNoticeClaims(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	mustApply(t, s, snapshot(10, "pay/checkout", catalog.DescriptorOK, component("checkout", "group:payments")))
	page := mustCreatePage(t, s, serviceID(t, s, "checkout"), time.Now())
	channels := []string{"#a", "#b", "#c"}
	var mu sync.Mutex
	got := map[string][]catalog.NoticeClaim{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			claimed, err := s.ClaimPageNotices(ctx, page.Token, channels)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			for _, c := range claimed {
				got[c.Channel] = append(got[c.Channel], c)
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	for _, c := range channels {
		if len(got[c]) != 1 {
			t.Fatalf("%s claimed %d times", c, len(got[c]))
		}
	}
	if err := s.FinishPageNotice(ctx, page.Token, got["#a"][0], nil); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishPageNotice(ctx, page.Token, got["#b"][0], errors.New("channel_not_found")); err != nil {
		t.Fatal(err)
	}
	channelsOf := func(cs []catalog.NoticeClaim) string {
		var names []string
		for _, c := range cs {
			names = append(names, c.Channel)
		}
		return strings.Join(names, ",")
	}
	// #c is still sending: its sender is slow; after a minute it is free.
	again, err := s.ClaimPageNotices(ctx, page.Token, channels)
	if err != nil || channelsOf(again) != "#b" {
		t.Errorf("second click: %v, %v", again, err)
	}
	if _, err := s.Pool().Exec(ctx, `UPDATE page_dependent_notices SET claimed_at = claimed_at - interval '2 minutes' WHERE channel = '#c'`); err != nil {
		t.Fatal(err)
	}
	stale := got["#c"][0]
	stale.ClaimedAt = stale.ClaimedAt.Add(-2 * time.Minute) // the slow sender's claim, as the database now has it
	again, err = s.ClaimPageNotices(ctx, page.Token, channels)
	if err != nil || channelsOf(again) != "#c" {
		t.Fatalf("after the sender went stale: %v, %v", again, err)
	}
	// The slow sender finishes after all: the notice is the new
	// claimant's, and stays sending until it finishes.
	if err := s.FinishPageNotice(ctx, page.Token, stale, nil); !errors.Is(err, catalog.ErrNoticeClaimLost) {
		t.Errorf("finish by the sender that lost its claim: %v, want ErrNoticeClaimLost", err)
	}
	states, err := s.PageNotices(ctx, page.Token)
	if err != nil || states["#a"] != catalog.NoticeSent || states["#b"] != catalog.NoticeSending || states["#c"] != catalog.NoticeSending {
		t.Errorf("states: %v, %v", states, err)
	}
	if err := s.FinishPageNotice(ctx, page.Token, again[0], errors.New("rate_limited")); err != nil {
		t.Errorf("finish by the new claimant: %v", err)
	}
	// Finishing twice: the claim ended with the first.
	if err := s.FinishPageNotice(ctx, page.Token, again[0], nil); !errors.Is(err, catalog.ErrNoticeClaimLost) {
		t.Errorf("finish twice: %v, want ErrNoticeClaimLost", err)
	}
	if states, err := s.PageNotices(ctx, page.Token); err != nil || states["#c"] != catalog.NoticeFailed {
		t.Errorf("#c once its new claimant failed: %v, %v", states, err)
	}
	if _, err := s.ClaimPageNotices(ctx, "no-such-page", channels); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("unknown page: %v", err)
	}
}
