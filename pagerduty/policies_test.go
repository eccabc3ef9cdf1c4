package pagerduty_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/oncall"
	"github.com/switchboard-dev/switchboard/pagerduty"
	"github.com/switchboard-dev/switchboard/pagerduty/fakepd"
)

func TestAllOnCall(t *testing.T) {
	// A page of 2 entries: the listing must follow every page.
	e := newEnv(t, nil, func(c *pagerduty.Config) { c.PageSize = 2 })
	ctx := context.Background()
	got, err := e.client.AllOnCall(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]oncall.PolicyNow{}
	services := 0
	for _, p := range got {
		byID[p.Policy.ID] = p
		services += len(p.Services)
	}
	if services != len(fakepd.SampleServices()) {
		t.Errorf("got %d services over %d policies, want %d", services, len(got), len(fakepd.SampleServices()))
	}
	tests := []struct {
		team         string
		rules        int
		services     int
		firstOnCall  bool
		levelsOnCall int
	}{
		{"payments", 2, 5, true, 2},
		{"platform", 3, 6, true, 3},
		{"mobile", 2, 3, true, 2},
	}
	for _, tc := range tests {
		p, ok := byID[fakepd.SampleEscalationPolicyID(tc.team)]
		if !ok {
			t.Errorf("%s: no policy", tc.team)
			continue
		}
		if p.Rules != tc.rules || len(p.Services) != tc.services || p.OnCallAtFirstLevel() != tc.firstOnCall || len(p.Levels) != tc.levelsOnCall {
			t.Errorf("%s: got %d rules, %d services, first level on call %v, %d levels on call; want %d, %d, %v, %d",
				tc.team, p.Rules, len(p.Services), p.OnCallAtFirstLevel(), len(p.Levels), tc.rules, tc.services, tc.firstOnCall, tc.levelsOnCall)
		}
	}
	if n := e.fake.CountRequests(http.MethodGet, "/services/"+fakepd.SampleServiceID("checkout-api")); n != 0 {
		t.Errorf("asked for a service %d times: the listing should be enough", n)
	}

	// Before the rotations start nobody is on call: known, and false.
	e.fake.SetNow(fakepd.SampleRotationStart(now).Add(-time.Hour))
	got, err = e.client.AllOnCall(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range got {
		if p.OnCallAtFirstLevel() {
			t.Errorf("%s: someone on call at level 1 before the rotations start", p.Policy.ID)
		}
	}

	// PagerDuty down: an error of the adapter's kinds, never an empty answer.
	e.fake.SetDown(true)
	if _, err := e.client.AllOnCall(ctx); !errors.Is(err, oncall.ErrUnavailable) {
		t.Errorf("down: got %v, want ErrUnavailable", err)
	}
}
