package pagerduty_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/oncall"
	"github.com/switchboard-dev/switchboard/pagerduty"
	"github.com/switchboard-dev/switchboard/pagerduty/fakepd"
)

// history adds n incidents to the sample's checkout-api and ledger,
// alternately, one every step from start.
func history(t testing.TB, f *fakepd.Server, start time.Time, step time.Duration, n int) {
	t.Helper()
	svcs := []string{fakepd.SampleServiceID("checkout-api"), fakepd.SampleServiceID("ledger")}
	incs := make([]fakepd.Incident, n)
	for i := range incs {
		incs[i] = fakepd.Incident{ID: fmt.Sprintf("QH%06d", i), ServiceID: svcs[i%2], CreatedAt: start.Add(time.Duration(i) * step)}
	}
	if err := f.AddIncidentHistory(incs...); err != nil {
		t.Fatal(err)
	}
}

func collect(t *testing.T, c *pagerduty.Client, since, until time.Time, svc []string) ([]pagerduty.Incident, pagerduty.IncidentListing, error) {
	t.Helper()
	var all []pagerduty.Incident
	cost, err := c.ListIncidents(context.Background(), since, until, svc, func(p []pagerduty.Incident) error {
		all = append(all, p...)
		return nil
	})
	return all, cost, err
}

func TestListIncidentsPaginates(t *testing.T) {
	tests := []struct {
		name         string
		n            int
		step         time.Duration // between incidents (default 10 minutes)
		services     []string
		want         int
		wantRequests int
		wantWindows  int
	}{
		{name: "none", n: 0, want: 0, wantRequests: 1, wantWindows: 1},
		{name: "one page", n: 100, want: 100, wantRequests: 1, wantWindows: 1},
		{name: "three pages", n: 250, want: 250, wantRequests: 3, wantWindows: 1},
		{name: "one service", n: 250, services: []string{fakepd.SampleServiceID("ledger")}, want: 125, wantRequests: 2, wantWindows: 1},
		// 10,050 incidents: past classic pagination's cap, the window is
		// split in two halves of about 5,025 (51 pages each), the first
		// page of the whole window asked in vain.
		{name: "past the 10,000 cap", n: 10050, want: 10050, wantRequests: 1 + 51 + 51, wantWindows: 2},
		// The same bunched within three hours: equal parts of 90 days are
		// split again and again until the incidents' few hours fit.
		{name: "past the cap, bunched", n: 10050, step: time.Second, want: 10050, wantRequests: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil, nil)
			start := now.Add(-80 * 24 * time.Hour)
			history(t, e.fake, start, cmp.Or(tt.step, 10*time.Minute), tt.n)
			got, cost, err := collect(t, e.client, now.Add(-90*24*time.Hour), now, tt.services)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.want {
				t.Fatalf("got %d incidents, want %d", len(got), tt.want)
			}
			seen := map[string]bool{}
			for i, in := range got {
				if seen[in.ID] {
					t.Fatalf("incident %s listed twice", in.ID)
				}
				seen[in.ID] = true
				if in.ServiceID == "" || in.CreatedAt.IsZero() || in.Status != "resolved" || in.Urgency != "high" {
					t.Fatalf("incident %d not decoded: %+v", i, in)
				}
				if tt.services != nil && in.ServiceID != tt.services[0] {
					t.Fatalf("incident of service %s, asked for %v", in.ServiceID, tt.services)
				}
			}
			if tt.wantRequests < 0 {
				t.Logf("cost %+v", cost)
			} else if cost.Requests != tt.wantRequests || cost.Windows != tt.wantWindows {
				t.Errorf("cost %+v, want %d requests in %d windows", cost, tt.wantRequests, tt.wantWindows)
			}
			for _, r := range e.fake.Requests() {
				if r.Status != http.StatusOK {
					t.Errorf("request %s?%s answered %d", r.Path, r.Query, r.Status)
				}
			}
		})
	}
}

func TestListIncidentsWindow(t *testing.T) {
	e := newEnv(t, nil, nil)
	start := now.Add(-48 * time.Hour)
	history(t, e.fake, start, time.Hour, 48)
	// [start+10h, start+20h): incidents 10..19; until is excluded.
	got, _, err := collect(t, e.client, start.Add(10*time.Hour), start.Add(20*time.Hour), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 10 || got[0].ID != "QH000010" || got[9].ID != "QH000019" {
		t.Fatalf("got %d incidents %v, want QH000010..QH000019", len(got), got)
	}
	q := e.fake.Requests()[0].Query
	for _, want := range []string{"since=", "until=", "limit=100", "total=true", "statuses%5B%5D=resolved", "time_zone=UTC"} {
		if !strings.Contains(q, want) {
			t.Errorf("query %q lacks %q", q, want)
		}
	}
}

func TestListIncidentsFailures(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(*fakepd.Server)
		wantErr error
	}{
		{name: "429 then success", setup: func(f *fakepd.Server) { f.RateLimitNext(2, 0) }},
		{name: "5xx then success", setup: func(f *fakepd.Server) { f.FailNext(1, http.StatusBadGateway) }},
		{name: "down", setup: func(f *fakepd.Server) { f.SetDown(true) }, wantErr: oncall.ErrUnavailable},
		{name: "429 beyond the retries", setup: func(f *fakepd.Server) { f.RateLimitNext(100, 0) }, wantErr: oncall.ErrRateLimited},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil, nil)
			history(t, e.fake, now.Add(-time.Hour), time.Minute, 30)
			tt.setup(e.fake)
			got, _, err := collect(t, e.client, now.Add(-2*time.Hour), now, nil)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil || len(got) != 30 {
				t.Fatalf("got %d incidents, err %v; want 30", len(got), err)
			}
		})
	}
}

func TestListIncidentsRefusesBadIDs(t *testing.T) {
	e := newEnv(t, nil, nil)
	_, _, err := collect(t, e.client, now.Add(-time.Hour), now, []string{"P1&x=y"})
	if !errors.Is(err, oncall.ErrNotFound) || len(e.fake.Requests()) != 0 {
		t.Fatalf("err = %v after %d requests, want ErrNotFound before any", err, len(e.fake.Requests()))
	}
}

func TestFakeRefusesPastTheCap(t *testing.T) {
	e := newEnv(t, nil, nil)
	req, _ := http.NewRequest(http.MethodGet, e.url+"/incidents?limit=100&offset=9901", nil)
	req.Header.Set("Authorization", "Token token="+fakepd.SampleToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("offset 9901 + limit 100: status %d, want 400", resp.StatusCode)
	}
}
