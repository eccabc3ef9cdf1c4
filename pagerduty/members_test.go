package pagerduty_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/oncall"
	"github.com/switchboard-dev/switchboard/pagerduty/fakepd"
)

func TestPolicyMembers(t *testing.T) {
	// A policy whose level 1 is a schedule and level 2 a user who is on no
	// schedule, plus a schedule shared by two levels.
	custom := fakepd.New(fakepd.SampleToken)
	custom.SetNow(now)
	for _, u := range []fakepd.User{
		{ID: "PUSER01", Name: "Una One", Email: "una@example.com"},
		{ID: "PUSER02", Name: "Dos Two", Email: "dos@example.com"},
		{ID: "PBOSS01", Name: "Boss", Email: "boss@example.com"},
	} {
		if err := custom.AddUser(u); err != nil {
			t.Fatal(err)
		}
	}
	if err := custom.AddSchedule(fakepd.Schedule{ID: "PSCHED1", Name: "Primary", Users: []string{"PUSER02", "PUSER01"}, Start: now.Add(-time.Hour), Shift: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if err := custom.AddEscalationPolicy(fakepd.EscalationPolicy{ID: "PPOL001", Name: "Custom", Rules: []fakepd.Rule{
		{DelayMinutes: 10, Targets: []fakepd.Target{{Type: fakepd.TargetSchedule, ID: "PSCHED1"}}},
		{DelayMinutes: 10, Targets: []fakepd.Target{{Type: fakepd.TargetSchedule, ID: "PSCHED1"}, {Type: fakepd.TargetUser, ID: "PBOSS01"}}},
	}}); err != nil {
		t.Fatal(err)
	}

	payments := []string{"Ada Lovelace", "Grace Hopper", "Alan Turing", "Barbara Liskov"}
	var paymentsEmails []string
	for _, n := range payments {
		paymentsEmails = append(paymentsEmails, fakepd.SampleEmail(n))
	}

	tests := []struct {
		name       string
		fake       *fakepd.Server
		policy     string
		wantEmails []string
		// wantRequests counts the GETs: policy, schedules, users.
		wantRequests int
	}{
		{"sample team: primary and secondary rotations of the same people", nil, fakepd.SampleEscalationPolicyID("payments"), paymentsEmails, 1 + 2 + 4},
		{"two-person team with its manager at level 2", nil, fakepd.SampleEscalationPolicyID("mobile"), []string{fakepd.SampleEmail("Jean Sammet"), fakepd.SampleEmail("Frances Allen")}, 1 + 1 + 2},
		{"schedule read once, direct user target", custom, "PPOL001", []string{"dos@example.com", "una@example.com", "boss@example.com"}, 1 + 1 + 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.fake, nil)
			users, err := e.client.PolicyMembers(context.Background(), tt.policy)
			if err != nil {
				t.Fatalf("PolicyMembers(%s): %v", tt.policy, err)
			}
			var emails []string
			for _, u := range users {
				emails = append(emails, u.Email)
				if u.ID == "" || u.Name == "" {
					t.Errorf("got user %+v, want an id and a name", u)
				}
			}
			if !slices.Equal(emails, tt.wantEmails) {
				t.Errorf("got emails %v, want %v", emails, tt.wantEmails)
			}
			if got := len(e.fake.Requests()); got != tt.wantRequests {
				t.Errorf("got %d requests, want %d", got, tt.wantRequests)
			}
		})
	}
}

func TestPolicyMembersErrors(t *testing.T) {
	tests := []struct {
		name   string
		policy string
		setup  func(*fakepd.Server)
		want   error
	}{
		{"unknown policy", "PNOPE00", nil, oncall.ErrNotFound},
		{"not a PagerDuty id", "../users", nil, oncall.ErrNotFound},
		{"PagerDuty down", fakepd.SampleEscalationPolicyID("payments"), func(f *fakepd.Server) { f.SetDown(true) }, oncall.ErrUnavailable},
		{"PagerDuty failing on schedules", fakepd.SampleEscalationPolicyID("payments"), func(f *fakepd.Server) { f.SetFaultPath("/schedules"); f.FailNext(20, 503) }, oncall.ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := fakepd.Sample(now)
			if tt.setup != nil {
				tt.setup(fake)
			}
			e := newEnv(t, fake, nil)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			users, err := e.client.PolicyMembers(ctx, tt.policy)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got users %v, error %v, want %v", users, err, tt.want)
			}
		})
	}
}
