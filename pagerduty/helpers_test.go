package pagerduty_test

import (
	"bytes"
	"log/slog"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/pagerduty"
	"github.com/switchboard-dev/switchboard/pagerduty/fakepd"
)

// now is a Wednesday afternoon: the sample's rotations are mid-week.
var now = time.Date(2026, 3, 11, 15, 4, 5, 0, time.UTC)

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// clock is a settable clock for Client.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is a fake PagerDuty served over HTTP and an adapter pointed at it.
type env struct {
	fake   *fakepd.Server
	url    string
	client *pagerduty.Client
	clock  *clock
	logs   *syncBuffer
}

// testConfig is fast: millisecond backoffs, short attempt timeouts.
func testConfig(url string) pagerduty.Config {
	return pagerduty.Config{
		Token:         fakepd.SampleToken,
		APIURL:        url,
		EventsURL:     url,
		LookupTimeout: 200 * time.Millisecond,
		Retry: pagerduty.RetryPolicy{
			InitialBackoff: 5 * time.Millisecond,
			MaxBackoff:     20 * time.Millisecond,
			AttemptTimeout: 300 * time.Millisecond,
		},
	}
}

// newEnv serves fake (the sample organisation when nil) and builds a client,
// after mod has adjusted its configuration.
func newEnv(t testing.TB, fake *fakepd.Server, mod func(*pagerduty.Config)) *env {
	t.Helper()
	if fake == nil {
		fake = fakepd.Sample(now)
	}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	cfg := testConfig(srv.URL)
	if mod != nil {
		mod(&cfg)
	}
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	client, err := pagerduty.New(cfg, logger)
	if err != nil {
		t.Fatalf("new client: %v", err)
	}
	clk := &clock{t: now}
	client.Now = clk.Now
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("adapter logs:\n%s", logs.String())
		}
	})
	return &env{fake: fake, url: srv.URL, client: client, clock: clk, logs: logs}
}
