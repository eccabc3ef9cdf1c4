package main

import (
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/switchboard-dev/switchboard/pagerduty"
	"github.com/switchboard-dev/switchboard/pagerduty/fakepd"
	"github.com/switchboard-dev/switchboard/sampleorg"
)

// pagerDutyFromEnv builds the PagerDuty adapter from PAGERDUTY_TOKEN,
// PAGERDUTY_API_URL, PAGERDUTY_EVENTS_URL and PAGERDUTY_CACHE_TTL (a Go
// duration such as 60s). With PAGERDUTY_TOKEN unset it returns nil and no
// error: PagerDuty is not configured, and /oncall and /page say so. Errors
// name the variable that is wrong; the token is never echoed.
func pagerDutyFromEnv(getenv func(string) string, log *slog.Logger) (*pagerduty.Client, error) {
	token := strings.TrimSpace(getenv("PAGERDUTY_TOKEN"))
	if token == "" {
		return nil, nil
	}
	cfg := pagerduty.Config{
		Token:     token,
		APIURL:    strings.TrimSpace(getenv("PAGERDUTY_API_URL")),
		EventsURL: strings.TrimSpace(getenv("PAGERDUTY_EVENTS_URL")),
	}
	if v := strings.TrimSpace(getenv("PAGERDUTY_CACHE_TTL")); v != "" {
		ttl, err := time.ParseDuration(v)
		if err != nil || ttl <= 0 {
			return nil, fmt.Errorf("PAGERDUTY_CACHE_TTL is %q, want a positive duration such as 60s or 2m", v)
		}
		cfg.CacheTTL = ttl
	}
	client, err := pagerduty.New(cfg, log)
	if err != nil {
		return nil, err
	}
	return client, nil
}

// startDemoPagerDuty serves the fake PagerDuty's sample organisation (the
// demo catalog's teams, people, rotations and services, its clock frozen at
// now) on a local port and returns an adapter pointed at it. stop shuts the
// fake down.
func startDemoPagerDuty(now time.Time, log *slog.Logger) (client *pagerduty.Client, stop func(), err error) {
	fake := fakepd.Sample(now)
	if err := sampleorg.AddIncidents(fake, now); err != nil {
		return nil, nil, fmt.Errorf("demo pagerduty: %w", err)
	}
	srv := httptest.NewServer(fake)
	client, err = pagerduty.New(pagerduty.Config{Token: fakepd.SampleToken, APIURL: srv.URL, EventsURL: srv.URL}, log)
	if err != nil {
		srv.Close()
		return nil, nil, fmt.Errorf("demo pagerduty: %w", err)
	}
	return client, srv.Close, nil
}
