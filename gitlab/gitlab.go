// Package gitlab is Switchboard's adapter over GitLab's REST API, built on
// the official client library (gitlab.com/gitlab-org/api/client-go). It
// offers what the catalog sync needs — projects, trees, files, commits,
// group members, merge requests — with types of its own, and it is polite:
// it paces itself on GitLab's RateLimit-* headers, waits out 429s as
// Retry-After says, and retries 5xx answers and timeouts with exponential
// backoff, all bounded by the caller's context.
//
// Concurrency is the caller's: a Client is safe for concurrent use, and the
// rate-limit pacing is shared by everything that uses one Client.
package gitlab

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	retryablehttp "github.com/hashicorp/go-retryablehttp"
	gl "gitlab.com/gitlab-org/api/client-go"
)

// Errors returned by the Client, to match with errors.Is.
var (
	// ErrNotFound means the project, file, branch or ref does not exist
	// (GitLab answers 404 for an empty repository's tree too).
	ErrNotFound = errors.New("gitlab: not found")
	// ErrUnauthorized means GitLab refused the token (401).
	ErrUnauthorized = errors.New("gitlab: unauthorized")
	// ErrForbidden means the token lacks a scope or access (403).
	ErrForbidden = errors.New("gitlab: forbidden")
	// ErrRateLimited means GitLab still answered 429 after every retry.
	ErrRateLimited = errors.New("gitlab: rate limited")
	// ErrFileTooLarge means a file is larger than Config.MaxFileSize.
	ErrFileTooLarge = errors.New("gitlab: file too large")
)

// Config configures a Client. Only BaseURL and Token are required.
type Config struct {
	// BaseURL is the GitLab instance, such as "https://gitlab.example.com";
	// the API is under BaseURL + "/api/v4".
	BaseURL string
	// Token is a personal, group or project access token, sent as
	// PRIVATE-TOKEN. It is never logged.
	Token string
	// Logger receives rate-limit waits and retries; nothing is logged when
	// nil.
	Logger *slog.Logger
	// RetryMax is how many times one request is retried after a 429, a
	// 5xx or a timeout: 5 when zero, none when negative.
	RetryMax int
	// RetryWaitMin and RetryWaitMax bound the exponential backoff between
	// retries of 5xx answers and timeouts: 500ms and 15s when zero.
	RetryWaitMin, RetryWaitMax time.Duration
	// MaxRetryAfter caps the wait a 429's Retry-After or RateLimit-Reset
	// asks for: 5 minutes when zero. The caller's context bounds it too.
	MaxRetryAfter time.Duration
	// RequestTimeout bounds one attempt of one request: 30s when zero.
	RequestTimeout time.Duration
	// PerPage is the page size of listings: 100, GitLab's maximum, when
	// zero.
	PerPage int
	// MaxFileSize bounds what RawFile, File and JobArtifact read: 8 MiB
	// when zero.
	MaxFileSize int64
	// Transport carries the requests; a pooled http.Transport sized for
	// concurrent use when nil.
	Transport http.RoundTripper
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Limiter, when set, is a rate limit shared with the other replicas:
	// every request takes its share of it first (see Limiter). UseLimiter
	// sets it later.
	Limiter Limiter
	// SharedRate is the rate limit the replicas share, as configured
	// (GITLAB_RATE_LIMIT); the caller builds a Limiter from it.
	SharedRate Rate
	// LimiterBatch is how many requests are taken from Limiter at once: 10
	// when zero. Requests taken but not sent by the window's end are lost,
	// so keep it small beside the limit.
	LimiterBatch int
}

// LogValue keeps the token out of logs.
func (c Config) LogValue() slog.Value {
	token := ""
	if c.Token != "" {
		token = "[redacted]"
	}
	return slog.GroupValue(slog.String("base_url", c.BaseURL), slog.String("token", token))
}

// Stats counts what a Client sent.
type Stats struct {
	// Requests counts HTTP requests sent, retries included.
	Requests int64
	// RateLimited counts 429 answers.
	RateLimited int64
	// ServerErrors counts 5xx answers.
	ServerErrors int64
	// TransportErrors counts requests that got no answer (timeouts, resets).
	TransportErrors int64
	// Paused counts requests that waited for the rate limit before going.
	Paused int64
}

// Rate is a number of requests per window.
type Rate struct {
	Limit  int
	Window time.Duration
}

// SharedRate returns Config.SharedRate.
func (c *Client) SharedRate() Rate { return c.rate }

// UseLimiter makes every request take its share of l first; batch as
// Config.LimiterBatch. Call it before the Client is used.
func (c *Client) UseLimiter(l Limiter, batch int) {
	c.shared = &shared{lim: l, batch: cmp.Or(batch, 10), now: c.now, log: c.log}
}

// Counter counts the requests sent on behalf of contexts carrying it
// (WithCounter): one job's share of a Client used by many at once.
type Counter struct{ requests, rateLimited atomic.Int64 }

type counterKey struct{}

// WithCounter returns ctx carrying c: every request sent with it counts in c.
func WithCounter(ctx context.Context, c *Counter) context.Context {
	return context.WithValue(ctx, counterKey{}, c)
}

// Requests returns how many requests were sent, retries included.
func (c *Counter) Requests() int64 { return c.requests.Load() }

// RateLimited returns how many of them got 429.
func (c *Counter) RateLimited() int64 { return c.rateLimited.Load() }

// Client talks to one GitLab instance.
type Client struct {
	gl          *gl.Client
	log         *slog.Logger
	gov         *governor
	shared      *shared
	rate        Rate
	perPage     int64
	maxFileSize int64
	now         func() time.Time
	maxWait     time.Duration

	requests, rateLimited, serverErrors, transportErrors, paused atomic.Int64
}

// noLimit turns off client-go's own limiter, which would spend only two
// thirds of the allowance; the governor paces requests instead.
type noLimit struct{}

// Wait never waits.
func (noLimit) Wait(context.Context) error { return nil }

// New returns a Client for cfg.
func New(cfg Config) (*Client, error) {
	if cfg.BaseURL == "" {
		return nil, errors.New("gitlab: base URL is empty")
	}
	if cfg.Token == "" {
		return nil, errors.New("gitlab: token is empty")
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	c := &Client{
		log:         logger,
		gov:         newGovernor(now, logger),
		perPage:     int64(cmp.Or(cfg.PerPage, 100)),
		maxFileSize: cmp.Or(cfg.MaxFileSize, 8<<20),
		now:         now,
		maxWait:     cmp.Or(cfg.MaxRetryAfter, 5*time.Minute),
	}
	c.rate = cfg.SharedRate
	if cfg.Limiter != nil {
		c.UseLimiter(cfg.Limiter, cfg.LimiterBatch)
	}
	base := cfg.Transport
	if base == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConns = 256
		t.MaxIdleConnsPerHost = 128
		t.IdleConnTimeout = 90 * time.Second
		base = t
	}
	httpClient := &http.Client{
		Transport: &transport{base: base, c: c},
		Timeout:   cmp.Or(cfg.RequestTimeout, 30*time.Second),
	}
	retryMax := cmp.Or(cfg.RetryMax, 5)
	if retryMax < 0 {
		retryMax = 0
	}
	client, err := gl.NewClient(cfg.Token,
		gl.WithBaseURL(strings.TrimSuffix(cfg.BaseURL, "/")+"/api/v4"),
		gl.WithHTTPClient(httpClient),
		gl.WithCustomLimiter(noLimit{}),
		gl.WithCustomRetry(c.checkRetry(true)),
		gl.WithCustomBackoff(c.backoff),
		gl.WithCustomRetryMax(retryMax),
		gl.WithCustomRetryWaitMinMax(cmp.Or(cfg.RetryWaitMin, 500*time.Millisecond), cmp.Or(cfg.RetryWaitMax, 15*time.Second)),
		gl.WithURLWarningLogger(logger),
	)
	if err != nil {
		return nil, fmt.Errorf("gitlab: new client for %s: %w", cfg.BaseURL, err)
	}
	c.gl = client
	return c, nil
}

// Stats returns the counts so far.
func (c *Client) Stats() Stats {
	return Stats{
		Requests:        c.requests.Load(),
		RateLimited:     c.rateLimited.Load(),
		ServerErrors:    c.serverErrors.Load(),
		TransportErrors: c.transportErrors.Load(),
		Paused:          c.paused.Load(),
	}
}

// checkRetry decides whether a request is tried again: never once the
// context is done; after a 429 always; after a 5xx (but 501) and after a
// failure without an answer (timeout, reset) only when the request is
// idempotent, since a POST may have been carried out; a POST is retried
// after 502 and 503, which proxies send before GitLab sees the request,
// and after a failure to connect.
func (c *Client) checkRetry(idempotent bool) retryablehttp.CheckRetry {
	return func(ctx context.Context, resp *http.Response, err error) (bool, error) {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		if err != nil {
			if idempotent {
				return true, nil
			}
			var op *net.OpError
			return errors.As(err, &op) && op.Op == "dial", nil
		}
		switch code := resp.StatusCode; {
		case code == http.StatusTooManyRequests:
			return true, nil
		case code == http.StatusBadGateway || code == http.StatusServiceUnavailable:
			return true, nil
		case code >= 500 && code != http.StatusNotImplemented:
			return idempotent, nil
		}
		return false, nil
	}
}

// backoff is how long to wait before a retry: what a 429 (or 503) asks for
// with Retry-After, else until RateLimit-Reset for a 429, else an
// exponential backoff from min to max with jitter.
func (c *Client) backoff(minWait, maxWait time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
		if d, ok := retryAfter(resp.Header, c.now()); ok {
			return min(d, c.maxWait)
		}
		if resp.StatusCode == http.StatusTooManyRequests {
			if reset, ok := rateLimitReset(resp.Header); ok {
				return min(max(reset.Sub(c.now()), minWait), c.maxWait)
			}
		}
	}
	d := minWait << min(attempt, 30)
	if d <= 0 || d > maxWait {
		d = maxWait
	}
	// Half fixed, half random, so that many clients do not retry together.
	return d/2 + rand.N(d/2+1)
}

// retryAfter reads Retry-After, in seconds or as an HTTP date.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := h.Get("Retry-After")
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// rateLimitReset reads RateLimit-Reset, a Unix time in seconds.
func rateLimitReset(h http.Header) (time.Time, bool) {
	v := h.Get("RateLimit-Reset")
	if v == "" {
		return time.Time{}, false
	}
	secs, err := strconv.ParseInt(v, 10, 64)
	if err != nil || secs <= 0 {
		return time.Time{}, false
	}
	return time.Unix(secs, 0), true
}

// apiError maps client-go's errors to the package's.
func apiError(err error) error {
	if errors.Is(err, gl.ErrNotFound) {
		return ErrNotFound
	}
	var er *gl.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		switch er.Response.StatusCode {
		case http.StatusUnauthorized:
			return fmt.Errorf("%w: %v", ErrUnauthorized, err)
		case http.StatusForbidden:
			return fmt.Errorf("%w: %v", ErrForbidden, err)
		case http.StatusNotFound:
			return ErrNotFound
		case http.StatusTooManyRequests:
			return fmt.Errorf("%w: %v", ErrRateLimited, err)
		}
	}
	return err
}

// transport counts requests, holds them back as the governor says, and
// feeds it every answer's RateLimit-* headers.
type transport struct {
	base http.RoundTripper
	c    *Client
}

// RoundTrip sends one request when the governor lets it go.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	c := t.c
	waited, err := c.gov.acquire(req.Context())
	if waited {
		c.paused.Add(1)
	}
	if err != nil {
		return nil, err
	}
	// The shared budget last, right before sending: a request the governor
	// held must not carry a share of a window that has ended.
	if c.shared != nil {
		if err := c.shared.wait(req.Context()); err != nil {
			c.gov.release()
			return nil, err
		}
	}
	c.requests.Add(1)
	ctr, _ := req.Context().Value(counterKey{}).(*Counter)
	if ctr != nil {
		ctr.requests.Add(1)
	}
	resp, err := t.base.RoundTrip(req)
	c.gov.release()
	if err != nil {
		c.transportErrors.Add(1)
		return nil, err
	}
	c.gov.observe(resp)
	switch code := resp.StatusCode; {
	case code == http.StatusTooManyRequests:
		c.rateLimited.Add(1)
		if ctr != nil {
			ctr.rateLimited.Add(1)
		}
	case code >= 500:
		c.serverErrors.Add(1)
		c.log.Debug("gitlab server error", "status", code, "method", req.Method, "path", req.URL.Path)
	}
	if p := req.URL.EscapedPath(); strings.Contains(p, "/repository/files/") || strings.Contains(p, "/jobs/artifacts/") {
		resp.Body = &limitedBody{ReadCloser: resp.Body, left: c.maxFileSize}
	}
	return resp, nil
}
