package pagerduty_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/pagerduty"
	"github.com/switchboard-dev/switchboard/pagerduty/fakepd"
)

// BenchmarkOnCall measures OnCall against the fake answering in 100 ms,
// with the cache cold (every call asks PagerDuty: the service, then its
// on-calls) and warm. It reports the 99th percentile in p99-ms.
func BenchmarkOnCall(b *testing.B) {
	for _, bc := range []struct {
		name string
		cold bool
	}{{"cold", true}, {"warm", false}} {
		b.Run(bc.name, func(b *testing.B) {
			// Default retry policy: no attempt timeout shorter than a slow answer.
			e := newEnv(b, nil, func(c *pagerduty.Config) { c.Retry = pagerduty.RetryPolicy{} })
			e.fake.SetLatency(100 * time.Millisecond)
			id := fakepd.SampleServiceID("checkout-api")
			if _, err := e.client.OnCall(context.Background(), id); err != nil {
				b.Fatal(err)
			}
			var took []time.Duration
			for b.Loop() {
				if bc.cold {
					e.clock.Advance(2 * time.Minute)
				}
				start := time.Now()
				if _, err := e.client.OnCall(context.Background(), id); err != nil {
					b.Fatal(err)
				}
				took = append(took, time.Since(start))
			}
			slices.Sort(took)
			p99 := took[min(len(took)-1, len(took)*99/100)]
			b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
		})
	}
}
