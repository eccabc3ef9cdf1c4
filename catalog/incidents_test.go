package catalog_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/pagerduty"
	"github.com/switchboard-dev/switchboard/pagerduty/fakepd"
	"github.com/switchboard-dev/switchboard/scorecard"
	"github.com/switchboard-dev/switchboard/standards"
)

// pdSource is the PagerDuty adapter as the refresh reads it (serve's
// incidentSource, over the real client and the fake over HTTP).
type pdSource struct{ pd *pagerduty.Client }

func (s pdSource) Incidents(ctx context.Context, since, until time.Time, fn func([]catalog.Incident) error) (int, error) {
	cost, err := s.pd.ListIncidents(ctx, since, until, nil, func(page []pagerduty.Incident) error {
		out := make([]catalog.Incident, len(page))
		for i, in := range page {
			out[i] = catalog.Incident{ID: in.ID, PDServiceID: in.ServiceID, CreatedAt: in.CreatedAt, Urgency: in.Urgency, Status: in.Status, Number: in.Number}
		}
		return fn(out)
	})
	return cost.Requests, err
}

func newPD(t *testing.T, now time.Time) (*fakepd.Server, pdSource) {
	t.Helper()
	fake := fakepd.Sample(now)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	c, err := pagerduty.New(pagerduty.Config{Token: fakepd.SampleToken, APIURL: srv.URL, EventsURL: srv.URL,
		Retry: pagerduty.RetryPolicy{InitialBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, AttemptTimeout: 300 * time.Millisecond}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return fake, pdSource{c}
}

// clockAt returns a settable clock for Store.Now.
func clockAt(t time.Time) (now func() time.Time, set func(time.Time)) {
	var mu sync.Mutex
	return func() time.Time { mu.Lock(); defer mu.Unlock(); return t },
		func(n time.Time) { mu.Lock(); defer mu.Unlock(); t = n }
}

func TestIncidentCounts(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	now := time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	noisy := mustPutService(t, s, catalog.Service{Name: "noisy", PagerDutyServiceID: "PNOISY"})
	quiet := mustPutService(t, s, catalog.Service{Name: "quiet", PagerDutyServiceID: "PQUIET"})
	unlinked := mustPutService(t, s, catalog.Service{Name: "unlinked"})
	var incs []catalog.Incident
	for i, ago := range []time.Duration{time.Hour, 6 * 24 * time.Hour, 29 * 24 * time.Hour, 31 * 24 * time.Hour, 89 * 24 * time.Hour, 91 * 24 * time.Hour, -time.Hour} {
		incs = append(incs, catalog.Incident{ID: fmt.Sprintf("I%d", i), PDServiceID: "PNOISY", CreatedAt: now.Add(-ago)})
	}
	if err := s.StoreIncidents(ctx, incs); err != nil {
		t.Fatal(err)
	}
	sum, err := s.ServiceIncidents(ctx, []int64{noisy.ID, quiet.ID, unlinked.ID}, catalog.BusinessHours{})
	if err != nil {
		t.Fatal(err)
	}
	// 1h and 6d ago in 7 days; and 29d in 30; and 31d, 89d in 90; 91d
	// ago and the one in the future nowhere.
	// All on weekdays at 11:00 or 12:00 UTC: none out of hours.
	if got, want := sum.Counts[noisy.ID], (catalog.IncidentCount{Last7: 2, Last30: 3, Last90: 5}); got != want {
		t.Errorf("noisy: %+v, want %+v", got, want)
	}
	if c, ok := sum.Counts[quiet.ID]; !ok || c != (catalog.IncidentCount{}) {
		t.Errorf("quiet: %+v (present %v), want a zero count", c, ok)
	}
	if _, ok := sum.Counts[unlinked.ID]; ok || len(sum.Unlinked) != 1 || sum.Unlinked[0] != unlinked.ID {
		t.Errorf("unlinked: counts %v, unlinked %v; want it unlinked only", sum.Counts, sum.Unlinked)
	}
	if sum.Known() {
		t.Error("never refreshed: counts known, want unknown")
	}
}

// TestOutOfHours: business hours in a time zone, daylight saving time
// included, counted the same by Postgres and by BusinessHours.OutOfHours.
func TestOutOfHours(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	london, _ := time.LoadLocation("Europe/London")
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	weekdays := catalog.BusinessHours{Location: london, Start: 9 * time.Hour, End: 18 * time.Hour}
	tests := []struct {
		name  string
		hours catalog.BusinessHours
		at    time.Time
		ooh   bool
	}{
		{"summer 08:30 UTC is 09:30 BST", weekdays, time.Date(2026, 7, 15, 8, 30, 0, 0, time.UTC), false},
		{"winter 08:30 UTC is 08:30 GMT", weekdays, time.Date(2026, 1, 14, 8, 30, 0, 0, time.UTC), true},
		{"summer 17:30 UTC is 18:30 BST", weekdays, time.Date(2026, 7, 15, 17, 30, 0, 0, time.UTC), true},
		{"winter 17:30 UTC is 17:30 GMT", weekdays, time.Date(2026, 1, 14, 17, 30, 0, 0, time.UTC), false},
		{"start included, first BST Monday", weekdays, time.Date(2026, 3, 30, 8, 0, 0, 0, time.UTC), false},
		{"end excluded, last BST Friday", weekdays, time.Date(2026, 10, 23, 17, 0, 0, 0, time.UTC), true},
		{"first GMT Monday 08:59", weekdays, time.Date(2026, 10, 26, 8, 59, 0, 0, time.UTC), true},
		{"Sunday of the change", weekdays, time.Date(2026, 3, 29, 10, 0, 0, 0, time.UTC), true},
		{"Friday night UTC is Saturday in Tokyo", catalog.BusinessHours{Location: tokyo}, time.Date(2026, 7, 17, 23, 30, 0, 0, time.UTC), true},
		{"Monday 00:30 UTC is 09:30 in Tokyo", catalog.BusinessHours{Location: tokyo}, time.Date(2026, 7, 20, 0, 30, 0, 0, time.UTC), false},
		{"Saturday working day", catalog.BusinessHours{Weekdays: []time.Weekday{time.Saturday}}, time.Date(2026, 7, 18, 10, 0, 0, 0, time.UTC), false},
		{"Monday not a working day", catalog.BusinessHours{Weekdays: []time.Weekday{time.Saturday}}, time.Date(2026, 7, 20, 10, 0, 0, 0, time.UTC), true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.hours.OutOfHours(tt.at); got != tt.ooh {
				t.Errorf("OutOfHours(%s) = %v, want %v", tt.at, got, tt.ooh)
			}
			pd := fmt.Sprintf("POOH%d", i)
			svc := mustPutService(t, s, catalog.Service{Name: fmt.Sprintf("ooh-%d", i), PagerDutyServiceID: pd})
			if err := s.StoreIncidents(ctx, []catalog.Incident{{ID: "OOH" + pd, PDServiceID: pd, CreatedAt: tt.at}}); err != nil {
				t.Fatal(err)
			}
			s.Now = func() time.Time { return tt.at.Add(time.Hour) }
			sum, err := s.ServiceIncidents(ctx, []int64{svc.ID}, tt.hours)
			if err != nil {
				t.Fatal(err)
			}
			want := 0
			if tt.ooh {
				want = 1
			}
			if c := sum.Counts[svc.ID]; c.Last30 != 1 || c.OutOfHours30 != want {
				t.Errorf("Postgres counted %+v, want 1 incident, %d out of hours", c, want)
			}
		})
	}
}

// TestRefreshIncidents: a full read of 90 days, then incremental reads
// from the end of the last one (less the overlap); overlapping reads and
// replicas refreshing at once never count an incident twice.
func TestRefreshIncidents(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	now := time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)
	clock, setClock := clockAt(now)
	s.Now = clock
	fake, src := newPD(t, now)
	checkout := fakepd.SampleServiceID("checkout-api")
	svc := mustPutService(t, s, catalog.Service{Name: "checkout-api", PagerDutyServiceID: checkout})
	var hist []fakepd.Incident
	for i := range 300 {
		hist = append(hist, fakepd.Incident{ID: fmt.Sprintf("QR%04d", i), ServiceID: checkout, CreatedAt: now.Add(-time.Duration(i)*7*time.Hour - time.Minute)})
	}
	if err := fake.AddIncidentHistory(hist...); err != nil {
		t.Fatal(err)
	}
	// 7h apart: 90 days hold 309 incidents, 300 of which exist.
	var wg sync.WaitGroup
	results := make([]catalog.IncidentRefreshResult, 4)
	errs := make([]error, 4)
	for r := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[r], errs[r] = s.RefreshIncidents(ctx, src, fmt.Sprintf("replica-%d", r))
		}()
	}
	wg.Wait()
	// One replica reads all; the others find it claimed, or (when the
	// scheduler ran them after it finished) read from where it ended.
	full := 0
	for r := range 4 {
		if errs[r] != nil {
			t.Fatalf("replica %d: %v", r, errs[r])
		}
		switch res := results[r]; {
		case res.Full:
			full++
			if res.Incidents != 300 || res.Requests != 3 {
				t.Errorf("full read: %+v, want 300 incidents in 3 requests", res)
			}
		case res.Claimed && !res.Since.Equal(now.Add(-catalog.IncidentsOverlap)):
			t.Errorf("read after the full one: %+v, want one from the end of it", res)
		}
	}
	if full != 1 {
		t.Errorf("%d full reads, want 1", full)
	}
	want := func(last30, last90 int) {
		t.Helper()
		sum, err := s.ServiceIncidents(ctx, []int64{svc.ID}, catalog.BusinessHours{})
		if err != nil {
			t.Fatal(err)
		}
		if !sum.Known() {
			t.Fatalf("counts unknown after a read: %+v", sum.State)
		}
		if c := sum.Counts[svc.ID]; c.Last30 != last30 || c.Last90 != last90 {
			t.Errorf("counts %+v, want %d in 30 days, %d in 90", c, last30, last90)
		}
	}
	// Within 30 days: 0, 7h, ..., 714h (103 incidents).
	want(103, 300)

	// Ten minutes later, two new incidents; two replicas read at once,
	// and both may (the first releases its claim): each from the end of
	// the full read, or, when the scheduler ran it after the other
	// finished, from the end of that one; nothing counted twice.
	setClock(now.Add(10 * time.Minute))
	fake.SetNow(now.Add(10 * time.Minute))
	if err := fake.AddIncidentHistory(
		fakepd.Incident{ID: "QNEW1", ServiceID: checkout, CreatedAt: now.Add(time.Minute)},
		fakepd.Incident{ID: "QNEW2", ServiceID: checkout, CreatedAt: now.Add(2 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	fake.ResetRequests()
	for r := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[r], errs[r] = s.RefreshIncidents(ctx, src, fmt.Sprintf("replica-%d", r))
		}()
	}
	wg.Wait()
	for r := range 2 {
		if errs[r] != nil {
			t.Fatal(errs[r])
		}
		from, after := now.Add(-catalog.IncidentsOverlap), now.Add(10*time.Minute-catalog.IncidentsOverlap)
		if res := results[r]; res.Claimed && (res.Full || !res.Since.Equal(from) && !res.Since.Equal(after)) {
			t.Errorf("incremental read %+v, want one from %s (or %s after the other's)", res, from, after)
		}
	}
	// 102 and the two new ones: the last 30 days now start 10 minutes
	// later, which drops none (the oldest is 714h ago).
	want(105, 302)
	if n := fake.CountRequests("GET", "/incidents"); n == 0 || n > 2 {
		t.Errorf("incremental reads made %d requests, want 1 each", n)
	}
}

// TestIncidentsUnknown: never read, PagerDuty down before the first read,
// and down for over an hour after one: unknown, saying why, never 0; the
// scorecard's incidents_30d is unknown then, not failed.
func TestIncidentsUnknown(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	now := time.Date(2026, 6, 10, 14, 2, 0, 0, time.UTC)
	clock, setClock := clockAt(now)
	s.Now = clock
	fake, src := newPD(t, now)
	checkout := fakepd.SampleServiceID("checkout-api")
	svc := mustPutService(t, s, catalog.Service{Name: "checkout-api", PagerDutyServiceID: checkout, Lifecycle: "production"})
	other := mustPutService(t, s, catalog.Service{Name: "no-pd", Lifecycle: "production"})
	var hist []fakepd.Incident
	for i := range 7 {
		hist = append(hist, fakepd.Incident{ID: fmt.Sprintf("QU%d", i), ServiceID: checkout, CreatedAt: now.Add(-time.Duration(i+1) * 24 * time.Hour)})
	}
	if err := fake.AddIncidentHistory(hist...); err != nil {
		t.Fatal(err)
	}
	card, err := scorecard.Compile([]scorecard.Level{{Name: "calm"}},
		[]scorecard.Check{{ID: "calm", Level: "calm", Fact: "incidents_30d", Op: scorecard.OpLt, Value: scorecard.Number(5)}})
	if err != nil {
		t.Fatal(err)
	}
	grade := func() map[int64]scorecard.Status {
		t.Helper()
		subs, err := s.ScoreSubjects(ctx, card, []int64{svc.ID, other.ID})
		if err != nil {
			t.Fatal(err)
		}
		out := map[int64]scorecard.Status{}
		for _, sub := range subs {
			out[sub.Service.ID] = card.Evaluate(sub.Attrs, sub.Values).Results[0].Status
		}
		return out
	}
	reason := func() string {
		t.Helper()
		sum, err := s.ServiceIncidents(ctx, []int64{svc.ID}, catalog.BusinessHours{})
		if err != nil {
			t.Fatal(err)
		}
		return sum.State.UnknownReason(sum.Now, time.UTC)
	}

	if r := reason(); r != "not read from PagerDuty yet" {
		t.Errorf("never read: reason %q", r)
	}
	if g := grade(); g[svc.ID] != scorecard.Unknown || g[other.ID] != scorecard.Unknown {
		t.Errorf("never read: incidents_30d < 5 graded %v, want unknown for both", g)
	}

	fake.SetDown(true)
	if _, err := s.RefreshIncidents(ctx, src, "r1"); err == nil {
		t.Fatal("refresh with PagerDuty down: no error")
	}
	if r := reason(); !strings.HasPrefix(r, "PagerDuty has not answered yet (last try 14:02") {
		t.Errorf("down before the first read: reason %q", r)
	}

	fake.SetDown(false)
	if _, err := s.RefreshIncidents(ctx, src, "r1"); err != nil {
		t.Fatal(err)
	}
	if r := reason(); r != "" {
		t.Errorf("after a read: reason %q, want known", r)
	}
	// 7 incidents: incidents_30d < 5 fails; the service without PagerDuty
	// stays unknown.
	if g := grade(); g[svc.ID] != scorecard.Failed || g[other.ID] != scorecard.Unknown {
		t.Errorf("7 incidents: graded %v, want failed and unknown", g)
	}

	fake.SetDown(true)
	setClock(now.Add(2 * time.Hour))
	if _, err := s.RefreshIncidents(ctx, src, "r1"); err == nil {
		t.Fatal("refresh with PagerDuty down: no error")
	}
	if r := reason(); r != "PagerDuty has not answered since 14:02" {
		t.Errorf("down 2 hours after a read: reason %q", r)
	}
	if g := grade(); g[svc.ID] != scorecard.Unknown {
		t.Errorf("down: graded %v, want unknown", g)
	}
}

// TestStoreIncidentsConcurrently: replicas storing overlapping pages at
// once store each incident once.
func TestStoreIncidentsConcurrently(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	now := time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	svc := mustPutService(t, s, catalog.Service{Name: "busy", PagerDutyServiceID: "PBUSY"})
	page := func(from int) []catalog.Incident {
		var out []catalog.Incident
		for i := from; i < from+100; i++ {
			out = append(out, catalog.Incident{ID: fmt.Sprintf("C%d", i), PDServiceID: "PBUSY", CreatedAt: now.Add(-time.Duration(i) * time.Minute)})
		}
		return out
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for r := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- s.StoreIncidents(ctx, page(r%4*50))
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	sum, err := s.ServiceIncidents(ctx, []int64{svc.ID}, catalog.BusinessHours{})
	if err != nil {
		t.Fatal(err)
	}
	// Pages from 0, 50, 100, 150: incidents 0..249.
	if c := sum.Counts[svc.ID]; c.Last7 != 250 {
		t.Errorf("stored %d incidents, want 250", c.Last7)
	}
}

// TestDigestNoisyServices: the digest lists the services with incidents in
// the week before it, most first, with their teams; a group's digest and a
// team's part keep their own; before any read it says nothing, after a
// failed one why they are unknown.
func TestDigestNoisyServices(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	now := time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	for _, tm := range []catalog.Team{{Name: "payments", GitLabGroup: "acme/payments"}, {Name: "search", GitLabGroup: "acme/search"}} {
		if _, err := s.PutTeam(ctx, tm); err != nil {
			t.Fatal(err)
		}
	}
	counts := map[string]int{"checkout": 4, "ledger": 1, "indexer": 2, "orphan": 3}
	teams := map[string]string{"checkout": "payments", "ledger": "payments", "indexer": "search"}
	var incs []catalog.Incident
	for name, n := range counts {
		mustPutService(t, s, catalog.Service{Name: name, Team: teams[name], PagerDutyServiceID: "P" + strings.ToUpper(name)})
		for i := range n {
			incs = append(incs, catalog.Incident{ID: fmt.Sprintf("%s%d", name, i), PDServiceID: "P" + strings.ToUpper(name), CreatedAt: now.Add(-time.Duration(i+1) * 24 * time.Hour)})
		}
		// Older than a week: not counted.
		incs = append(incs, catalog.Incident{ID: name + "-old", PDServiceID: "P" + strings.ToUpper(name), CreatedAt: now.Add(-8 * 24 * time.Hour)})
	}
	digestNoisy := func(group string) *catalog.Digest {
		t.Helper()
		d, err := s.Digest(ctx, catalog.DigestOptions{Group: group})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	names := func(ns []catalog.NoisyService) string {
		var out []string
		for _, n := range ns {
			out = append(out, fmt.Sprintf("%s:%d:%s", n.Ref, n.Incidents, n.Team))
		}
		return strings.Join(out, " ")
	}
	if d := digestNoisy(""); d.NoisyServices != nil || d.NoisyUnknown != "" {
		t.Errorf("never read: %v %q, want nothing said", d.NoisyServices, d.NoisyUnknown)
	}
	if err := s.FinishIncidentRefresh(ctx, "t", now, now, 1, fmt.Errorf("down")); err != nil {
		t.Fatal(err)
	}
	if d := digestNoisy(""); d.NoisyUnknown != "PagerDuty has not answered yet (last try 12:00)" {
		t.Errorf("failed read: %q", d.NoisyUnknown)
	}
	if err := s.StoreIncidents(ctx, incs); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishIncidentRefresh(ctx, "t", now.Add(-catalog.IncidentsFullSpan), now, 1, nil); err != nil {
		t.Fatal(err)
	}
	d := digestNoisy("")
	if got, want := names(d.NoisyServices), "checkout:4:payments orphan:3: indexer:2:search ledger:1:payments"; got != want {
		t.Errorf("digest: %s, want %s", got, want)
	}
	if got, want := names(d.ForTeam("payments").NoisyServices), "checkout:4:payments ledger:1:payments"; got != want {
		t.Errorf("payments' part: %s, want %s", got, want)
	}
	if got, want := names(digestNoisy("acme/search").NoisyServices), "indexer:2:search"; got != want {
		t.Errorf("acme/search's digest: %s, want %s", got, want)
	}
}

// TestFinishIncidentRefreshOddError: a read's error that is long, not
// UTF-8 or holds a NUL is still recorded and the claim released: cut
// inside a character (or kept as it was), Postgres refused the text, the
// failure went unrecorded and the claim stayed held.
func TestFinishIncidentRefreshOddError(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	now := time.Date(2026, 6, 10, 14, 2, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	for _, tc := range []struct{ name, msg, want string }{
		{"long", strings.Repeat("a", 499) + strings.Repeat("é", 100), strings.Repeat("a", 499)},
		{"not utf-8", "PagerDuty said \xff\xfe", "PagerDuty said \uFFFD"},
		{"nul", "bad\x00body", "badbody"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, ok, err := s.ClaimIncidentRefresh(ctx, "r1", time.Hour); err != nil || !ok {
				t.Fatalf("claim: %v %v", ok, err)
			}
			if err := s.FinishIncidentRefresh(ctx, "r1", now, now, 1, fmt.Errorf("%s", tc.msg)); err != nil {
				t.Fatalf("finish: %v", err)
			}
			st, err := s.IncidentRefresh(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if st.LastError != tc.want || st.LastErrorAt.IsZero() {
				t.Errorf("last error %q at %v, want %q", st.LastError, st.LastErrorAt, tc.want)
			}
			if _, ok, err := s.ClaimIncidentRefresh(ctx, "r2", time.Hour); err != nil || !ok {
				t.Errorf("claim by another replica after the failure: %v %v, want released", ok, err)
			}
			if err := s.FinishIncidentRefresh(ctx, "r2", now, now, 1, fmt.Errorf("x")); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestBusinessHoursZeroIsStandardsDefault: the zero BusinessHours are the
// hours standards.Hours gives when the standards say none (UTC), at every
// half hour of a week.
func TestBusinessHoursZeroIsStandardsDefault(t *testing.T) {
	start, end, days, _ := standards.Default().Hours()
	def := catalog.BusinessHours{Location: time.UTC, Start: start, End: end, Weekdays: days}
	monday := time.Date(2026, 7, 13, 0, 0, 0, 0, time.UTC)
	out := 0
	for at := monday; at.Before(monday.AddDate(0, 0, 7)); at = at.Add(30 * time.Minute) {
		if got, want := (catalog.BusinessHours{}).OutOfHours(at), def.OutOfHours(at); got != want {
			t.Errorf("%s: zero value says out of hours %v, the standards' defaults %v", at, got, want)
		}
		if def.OutOfHours(at) {
			out++
		}
	}
	if in := 7*48 - out; in != 5*18 {
		t.Errorf("%d working half hours a week, want 90 (09:00-18:00, Monday to Friday)", in)
	}
}
