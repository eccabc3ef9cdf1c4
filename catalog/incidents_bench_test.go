package catalog_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/pagerduty"
	"github.com/switchboard-dev/switchboard/pagerduty/fakepd"
)

// benchIncidentServices is the size of the benchmark's organisation.
const benchIncidentServices = 10_000

// seedIncidentAccount is a fake PagerDuty account of n services whose
// incidents over 90 days before now follow a heavy-tailed distribution
// (log-normal: most services a handful, a few hundreds), deterministic.
// It returns the fake, the service ids and the incidents' rate per hour.
func seedIncidentAccount(b *testing.B, n int, now time.Time) (*fakepd.Server, []string, float64) {
	b.Helper()
	fake := fakepd.New("bench-token")
	fake.SetNow(now)
	if err := fake.AddEscalationPolicy(fakepd.EscalationPolicy{ID: "PBENCH", Name: "bench"}); err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(16, 3))
	ids := make([]string, n)
	var incs []fakepd.Incident
	for i := range n {
		ids[i] = fmt.Sprintf("PS%05d", i)
		if err := fake.AddService(fakepd.Service{ID: ids[i], Name: fmt.Sprintf("svc-%d", i), EscalationPolicyID: "PBENCH"}); err != nil {
			b.Fatal(err)
		}
		// median 2 in 90 days, mean about 5.5, a long tail.
		count := int(math.Exp(rng.NormFloat64()*1.4 + math.Log(2)))
		for range count {
			at := now.Add(-time.Duration(rng.Int64N(int64(90 * 24 * time.Hour))))
			incs = append(incs, fakepd.Incident{ID: fmt.Sprintf("Q%07d", len(incs)), ServiceID: ids[i], CreatedAt: at})
		}
	}
	if err := fake.AddIncidentHistory(incs...); err != nil {
		b.Fatal(err)
	}
	return fake, ids, float64(len(incs)) / (90 * 24)
}

// BenchmarkIncidentRefresh reads the incidents of an account of 10,000
// services through the real client and the fake PagerDuty over HTTP: a
// full read of 90 days (the first refresh), then an incremental one ten
// minutes later (the periodic refresh), and the counts /whoowns and the
// digest read. It reports the requests each refresh makes and how long
// they take at PagerDuty's documented 960 requests a minute.
func BenchmarkIncidentRefresh(b *testing.B) {
	ctx := context.Background()
	s := newStore(b)
	now := time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)
	clock, setClock := clockAt(now)
	s.Now = clock
	fake, pdIDs, perHour := seedIncidentAccount(b, benchIncidentServices, now)
	srv := httptest.NewServer(fake)
	b.Cleanup(srv.Close)
	client, err := pagerduty.New(pagerduty.Config{Token: "bench-token", APIURL: srv.URL, EventsURL: srv.URL}, nil)
	if err != nil {
		b.Fatal(err)
	}
	src := pdSource{client}
	// The catalog's 10,000 services, linked to the account's.
	names := seedServices(b, s, benchIncidentServices)
	if _, err := s.Pool().Exec(ctx, `
		UPDATE services s SET pagerduty_service_id = p.pd FROM unnest($1::text[], $2::text[]) AS p(name, pd) WHERE s.name = p.name`,
		names, pdIDs); err != nil {
		b.Fatal(err)
	}
	var svcIDs []int64
	if err := s.Pool().QueryRow(ctx, `SELECT array_agg(id ORDER BY id) FROM services`).Scan(&svcIDs); err != nil {
		b.Fatal(err)
	}

	var full, incr catalog.IncidentRefreshResult
	var fullTime, incrTime, countTimes, noisyTimes []time.Duration
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		if _, err := s.Pool().Exec(ctx, `TRUNCATE pd_incidents; UPDATE pd_incident_refresh SET covered_from = NULL, covered_until = NULL, last_success_at = NULL`); err != nil {
			b.Fatal(err)
		}
		setClock(now)
		fake.SetNow(now)
		b.StartTimer()

		start := time.Now()
		if full, err = s.RefreshIncidents(ctx, src, "bench"); err != nil || !full.Full {
			b.Fatalf("full refresh: %+v, %v", full, err)
		}
		fullTime = append(fullTime, time.Since(start))

		// Ten minutes later, the incidents of those ten minutes.
		b.StopTimer()
		later := now.Add(10 * time.Minute)
		var fresh []fakepd.Incident
		for j := range int(math.Ceil(perHour / 6)) {
			fresh = append(fresh, fakepd.Incident{ID: fmt.Sprintf("QN%d-%d", i, j), ServiceID: pdIDs[j*37%len(pdIDs)], CreatedAt: now.Add(time.Duration(j+1) * time.Minute)})
		}
		if err := fake.AddIncidentHistory(fresh...); err != nil {
			b.Fatal(err)
		}
		setClock(later)
		fake.SetNow(later)
		b.StartTimer()

		start = time.Now()
		if incr, err = s.RefreshIncidents(ctx, src, "bench"); err != nil || incr.Full {
			b.Fatalf("incremental refresh: %+v, %v", incr, err)
		}
		incrTime = append(incrTime, time.Since(start))

		// What /whoowns reads (one service), and the digest (the noisiest).
		for k := range 20 {
			start = time.Now()
			if _, err := s.ServiceIncidents(ctx, []int64{svcIDs[(i*20+k)*7919%len(svcIDs)]}, catalog.BusinessHours{}); err != nil {
				b.Fatal(err)
			}
			countTimes = append(countTimes, time.Since(start))
		}
		start = time.Now()
		if _, ok, err := s.NoisiestServices(ctx, later.Add(-7*24*time.Hour), 5); err != nil || !ok {
			b.Fatalf("noisiest: %v (known %v)", err, ok)
		}
		noisyTimes = append(noisyTimes, time.Since(start))
	}
	b.StopTimer()
	b.ReportMetric(float64(full.Incidents), "incidents_90d")
	b.ReportMetric(float64(full.Requests), "full_requests")
	b.ReportMetric(float64(incr.Requests), "incr_requests")
	b.ReportMetric(float64(full.Requests)/pagerduty.RateLimitPerMinute*60, "full_s_at_960rpm")
	b.ReportMetric(float64(incr.Requests)/pagerduty.RateLimitPerMinute*60, "incr_s_at_960rpm")
	b.ReportMetric(pct(fullTime, 50).Seconds()*1000, "full_ms_p50")
	b.ReportMetric(pct(incrTime, 50).Seconds()*1000, "incr_ms_p50")
	b.ReportMetric(pct(countTimes, 50).Seconds()*1000, "count_ms_p50")
	b.ReportMetric(pct(countTimes, 99).Seconds()*1000, "count_ms_p99")
	b.ReportMetric(pct(noisyTimes, 50).Seconds()*1000, "noisiest_ms_p50")
}

// pct is the p-th percentile of ds.
func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)]
}
