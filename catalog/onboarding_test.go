package catalog_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
)

func TestOnboarding(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	open := func() *catalog.Store {
		t.Helper()
		pool, err := pgxpool.New(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		return catalog.NewStore(pool, nil)
	}
	s := open()
	payments := mustPutTeam(t, s, catalog.Team{Name: "payments", SlackChannel: "#team-payments"})
	search := mustPutTeam(t, s, catalog.Team{Name: "search"})
	dev, err := s.PutPerson(ctx, catalog.Person{Name: "new.dev", Email: "new.dev@acme.example"})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 9, 9, 0, 0, 0, time.UTC)

	o, created, err := s.StartOnboarding(ctx, dev.ID, payments.ID, "UPAY01", "ada.lovelace", t0)
	if err != nil {
		t.Fatal(err)
	}
	if !created || !o.StartedAt.Equal(t0) || o.StartedBy != "UPAY01" || o.Team.SlackChannel != "#team-payments" || o.Person.Email != dev.Email || len(o.Done) != 0 {
		t.Fatalf("got %+v (created %v), want a new onboarding started by UPAY01 at %s", o, created, t0)
	}
	// Starting again, later and by someone else, keeps the first start.
	o, created, err = s.StartOnboarding(ctx, dev.ID, payments.ID, "USEA01", "karen", t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if created || !o.StartedAt.Equal(t0) || o.StartedBy != "UPAY01" {
		t.Errorf("second start: got created %v, started %s by %s, want the first start kept", created, o.StartedAt, o.StartedBy)
	}
	if _, _, err := s.StartOnboarding(ctx, dev.ID, 9999, "UPAY01", "", t0); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("start with an unknown team: got %v, want ErrNotFound", err)
	}
	if err := s.MarkOnboardingSent(ctx, dev.ID, payments.ID, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkOnboardingSent(ctx, dev.ID, search.ID, t0); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("mark sent of no onboarding: got %v, want ErrNotFound", err)
	}

	ticks := []struct {
		item    string
		done    bool
		by      string
		changed bool
	}{
		{"read-the-runbooks", true, "UNEW01", true},
		{"read-the-runbooks", true, "UNEW01", false}, // a second click
		{"first-merge-request", true, "UPAY01", true},
		{"get-pagerduty-access", true, "UNEW01", true},
		{"get-pagerduty-access", false, "UNEW01", true},
		{"get-pagerduty-access", false, "UNEW01", false},
	}
	for i, tk := range ticks {
		changed, err := s.SetOnboardingItem(ctx, dev.ID, tk.item, tk.done, tk.by, t0.Add(time.Duration(i+2)*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if changed != tk.changed {
			t.Errorf("tick %d (%s done=%v): got changed %v, want %v", i, tk.item, tk.done, changed, tk.changed)
		}
	}
	if _, err := s.SetOnboardingItem(ctx, 9999, "x", true, "", t0); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("tick for an unknown person: got %v, want ErrNotFound", err)
	}
	if _, err := s.SetOnboardingItem(ctx, dev.ID, " ", true, "", t0); !errors.Is(err, catalog.ErrInvalid) {
		t.Errorf("tick an empty item: got %v, want ErrInvalid", err)
	}
	if _, _, err := s.StartOnboarding(ctx, dev.ID, search.ID, "UPAY01", "ada.lovelace", t0.Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}

	// A restart: a new pool and store on the same database see it all.
	s2 := open()
	check := func(name string, got catalog.Onboarding, team string, sent bool) {
		t.Helper()
		if got.Team.Name != team || got.SentAt.IsZero() == sent || got.StartedBy != "UPAY01" {
			t.Errorf("%s: got team %s, sent %s, started by %s; want %s, sent %v, UPAY01", name, got.Team.Name, got.SentAt, got.StartedBy, team, sent)
		}
		want := map[string]string{"read-the-runbooks": "UNEW01", "first-merge-request": "UPAY01"}
		if len(got.Done) != len(want) {
			t.Errorf("%s: got done %v, want %v", name, got.Done, want)
		}
		for item, by := range want {
			if d, ok := got.Done[item]; !ok || d.By != by || d.At.IsZero() {
				t.Errorf("%s: got %s done %+v, want done by %s", name, item, d, by)
			}
		}
	}
	got, err := s2.GetOnboarding(ctx, dev.ID, payments.ID)
	if err != nil {
		t.Fatal(err)
	}
	check("GetOnboarding after restart", got, "payments", true)
	of, err := s2.OnboardingsOf(ctx, dev.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(of) != 2 {
		t.Fatalf("OnboardingsOf: got %d, want 2", len(of))
	}
	check("OnboardingsOf[0]", of[0], "payments", true)
	check("OnboardingsOf[1]", of[1], "search", false)
	by, err := s2.OnboardingsStartedBy(ctx, "UPAY01")
	if err != nil {
		t.Fatal(err)
	}
	if len(by) != 2 || by[0].Team.Name != "search" {
		t.Errorf("OnboardingsStartedBy: got %d, first %s; want 2, newest (search) first", len(by), by[0].Team.Name)
	}
	if none, err := s2.OnboardingsStartedBy(ctx, "USEA01"); err != nil || len(none) != 0 {
		t.Errorf("OnboardingsStartedBy(USEA01): got %v, %v; want none", none, err)
	}
	if _, err := s2.GetOnboarding(ctx, 9999, payments.ID); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("GetOnboarding of nobody: got %v, want ErrNotFound", err)
	}
}
