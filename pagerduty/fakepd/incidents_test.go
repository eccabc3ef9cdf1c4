package fakepd_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/pagerduty/fakepd"
)

// TestListIncidentHistory: GET /incidents over a history: the since..until
// range (until excluded), service and urgency filters, newest first on
// request, created_at in the asked time zone, the total, and PagerDuty's
// refusals (offset past 10,000, a range over 6 months, a bad time zone).
func TestListIncidentHistory(t *testing.T) {
	f := fakepd.Sample(now)
	checkout, ledger := fakepd.SampleServiceID("checkout-api"), fakepd.SampleServiceID("ledger")
	if err := f.AddIncidentHistory(
		fakepd.Incident{ID: "QA", ServiceID: checkout, CreatedAt: now.Add(-3 * time.Hour)},
		fakepd.Incident{ID: "QB", ServiceID: ledger, CreatedAt: now.Add(-2 * time.Hour), Urgency: "low"},
		fakepd.Incident{ID: "QC", ServiceID: checkout, CreatedAt: now.Add(-time.Hour)},
	); err != nil {
		t.Fatal(err)
	}
	if err := f.AddIncidentHistory(fakepd.Incident{ID: "QX", ServiceID: "PNOPE", CreatedAt: now}); err == nil {
		t.Error("an incident of an unknown service was added")
	}
	srv := httptest.NewServer(f)
	defer srv.Close()
	ts := func(d time.Duration) string { return url.QueryEscape(now.Add(d).Format(time.RFC3339)) }
	tests := []struct {
		name   string
		query  string
		status int
		ids    []string
		total  float64
		first  string // created_at of the first
	}{
		{name: "range, until excluded", query: "since=" + ts(-3*time.Hour) + "&until=" + ts(-time.Hour) + "&total=true", status: 200, ids: []string{"QA", "QB"}, total: 2},
		{name: "service", query: "since=" + ts(-24*time.Hour) + "&until=" + ts(0) + "&service_ids[]=" + checkout, status: 200, ids: []string{"QA", "QC"}},
		{name: "urgency", query: "since=" + ts(-24*time.Hour) + "&until=" + ts(0) + "&urgencies[]=low", status: 200, ids: []string{"QB"}},
		{name: "newest first", query: "since=" + ts(-24*time.Hour) + "&until=" + ts(0) + "&sort_by=created_at:desc&limit=1", status: 200, ids: []string{"QC"}},
		{name: "time zone", query: "since=" + ts(-24*time.Hour) + "&until=" + ts(0) + "&time_zone=Asia/Tokyo&limit=1", status: 200, ids: []string{"QA"}, first: "2026-03-11T21:04:05+09:00"},
		{name: "offset past the cap", query: "limit=100&offset=9950", status: 400},
		{name: "range over 6 months", query: "since=" + ts(-200*24*time.Hour) + "&until=" + ts(0), status: 400},
		{name: "until before since", query: "since=" + ts(0) + "&until=" + ts(-time.Hour), status: 400},
		{name: "bad time zone", query: "time_zone=Mars/Olympus", status: 400},
		{name: "bad date", query: "since=yesterday", status: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := call(t, srv.URL, http.MethodGet, "/incidents?"+tt.query, nil, nil)
			if a.status != tt.status {
				t.Fatalf("status %d, want %d: %s", a.status, tt.status, a.raw)
			}
			if tt.status != 200 {
				return
			}
			incs, _ := a.body["incidents"].([]any)
			var ids []string
			for _, in := range incs {
				ids = append(ids, in.(map[string]any)["id"].(string))
			}
			if len(ids) != len(tt.ids) || (len(ids) > 0 && ids[0] != tt.ids[0]) || (len(ids) > 1 && ids[1] != tt.ids[1]) {
				t.Errorf("incidents %v, want %v", ids, tt.ids)
			}
			if tt.total > 0 && a.body["total"] != tt.total {
				t.Errorf("total %v, want %v", a.body["total"], tt.total)
			}
			if tt.first != "" && incs[0].(map[string]any)["created_at"] != tt.first {
				t.Errorf("created_at %v, want %s", incs[0].(map[string]any)["created_at"], tt.first)
			}
		})
	}
}
