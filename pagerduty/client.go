// Package pagerduty is Switchboard's adapter over PagerDuty, built on the
// official client (github.com/PagerDuty/go-pagerduty): who is on call right
// now for a service or an escalation policy, every level with its schedule
// and when the shift ends (cached briefly, one request for concurrent
// callers); and paging, through the Events API v2 when the service has an
// integration key, else by opening an incident with the REST API, with a
// dedup key so that a retry or a double click never opens a second
// incident.
//
// Requests are retried within the caller's deadline (429 after the wait
// PagerDuty asks for; 5xx, timeouts and connection errors with exponential
// backoff) and failures are typed: oncall.ErrRateLimited, ErrUnavailable,
// ErrNotFound, ErrUnauthorized, *ErrRejected. A trigger succeeds only when
// PagerDuty accepted it; when it fails, oncall.TriggerOutcome says whether
// Switchboard knows no incident was opened or the page may have gone
// through (FindIncident then looks it up by its dedup key). The API token,
// routing keys, emails and payloads are never logged.
//
// Results and errors are the domain types of package oncall, never
// go-pagerduty's: whoever consumes them needs neither this package nor its
// client library to compile.
package pagerduty

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	pd "github.com/PagerDuty/go-pagerduty"
)

// Default endpoints, those of PagerDuty's US service region.
const (
	DefaultAPIURL    = "https://api.pagerduty.com"
	DefaultEventsURL = "https://events.pagerduty.com"
)

// Config is how to reach PagerDuty and how hard to try. Zero values mean the
// defaults.
type Config struct {
	// Token is the REST API token (PAGERDUTY_TOKEN). Required.
	Token string
	// APIURL is the REST API's base URL (PAGERDUTY_API_URL); default
	// DefaultAPIURL.
	APIURL string
	// EventsURL is the Events API v2's base URL, without /v2/enqueue
	// (PAGERDUTY_EVENTS_URL); default DefaultEventsURL.
	EventsURL string
	// CacheTTL is how long an on-call answer is served from memory
	// (default 60s).
	CacheTTL time.Duration
	// StaleTTL is how long after it was fetched an on-call answer may still
	// be served, marked Stale, when PagerDuty is unavailable or rate
	// limited (default 15m; negative: never).
	StaleTTL time.Duration
	// FetchTimeout bounds an on-call fetch whose first caller has no
	// deadline (default 10s).
	FetchTimeout time.Duration
	// LookupTimeout bounds the best-effort incident lookups around an
	// Events API trigger (default 500ms).
	LookupTimeout time.Duration
	// PageSize is the limit of each GET /oncalls page, 1 to 100 (default
	// 100; PagerDuty's own default is 25).
	PageSize int
	// Source is the Events API payload.source (default "switchboard").
	Source string
	// Retry bounds the retries of each request.
	Retry RetryPolicy
	// HTTPClient sends the requests (default: a client of its own). Its
	// Timeout should be zero: attempts are timed by Retry.AttemptTimeout.
	HTTPClient *http.Client
}

// LogValue keeps the token out of logs.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("api_url", c.APIURL),
		slog.String("events_url", c.EventsURL),
		slog.Bool("token_set", c.Token != ""),
		slog.Duration("cache_ttl", c.CacheTTL),
	)
}

func (c Config) withDefaults() Config {
	if c.APIURL == "" {
		c.APIURL = DefaultAPIURL
	}
	if c.EventsURL == "" {
		c.EventsURL = DefaultEventsURL
	}
	c.APIURL = strings.TrimRight(c.APIURL, "/")
	c.EventsURL = strings.TrimSuffix(strings.TrimRight(c.EventsURL, "/"), "/v2/enqueue")
	if c.CacheTTL <= 0 {
		c.CacheTTL = 60 * time.Second
	}
	if c.StaleTTL == 0 {
		c.StaleTTL = 15 * time.Minute
	}
	if c.FetchTimeout <= 0 {
		c.FetchTimeout = 10 * time.Second
	}
	if c.LookupTimeout <= 0 {
		c.LookupTimeout = 500 * time.Millisecond
	}
	if c.PageSize <= 0 {
		c.PageSize = 100
	}
	if c.Source == "" {
		c.Source = "switchboard"
	}
	c.Retry = c.Retry.withDefaults()
	return c
}

func (c Config) validate() error {
	if strings.TrimSpace(c.Token) == "" {
		return errors.New("api token is empty: set PAGERDUTY_TOKEN")
	}
	for name, u := range map[string]string{"PAGERDUTY_API_URL": c.APIURL, "PAGERDUTY_EVENTS_URL": c.EventsURL} {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return fmt.Errorf("%s is %q, want an http(s) URL such as https://api.pagerduty.com", name, u)
		}
	}
	if c.PageSize > 100 {
		return fmt.Errorf("page size is %d, want 1 to 100", c.PageSize)
	}
	return nil
}

// Client is the PagerDuty adapter. It is safe for concurrent use.
type Client struct {
	// Now is the clock of the on-call cache (default time.Now); tests move
	// it to expire entries.
	Now func() time.Time

	cfg    Config
	pd     *pd.Client
	logger *slog.Logger
	cache  *onCallCache
}

// New returns a client for cfg. logger may be nil (nothing is logged).
func New(cfg Config, logger *slog.Logger) (*Client, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("pagerduty config: %w", err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("component", "pagerduty")
	base := cfg.HTTPClient
	if base == nil {
		base = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	client := pd.NewClient(cfg.Token, pd.WithAPIEndpoint(cfg.APIURL), pd.WithV2EventsAPIEndpoint(cfg.EventsURL))
	client.HTTPClient = &retryingDoer{base: base, policy: cfg.Retry, logger: logger}
	return &Client{
		Now:    time.Now,
		cfg:    cfg,
		pd:     client,
		logger: logger,
		cache:  newOnCallCache(),
	}, nil
}

// validID reports whether id looks like a PagerDuty object ID (letters and
// digits). IDs go into URL paths unescaped (go-pagerduty concatenates them),
// so anything else is refused before a request is made.
func validID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if (r < 'A' || r > 'Z') && (r < 'a' || r > 'z') && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}
