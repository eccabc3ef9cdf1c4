package pagerduty

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/switchboard-dev/switchboard/oncall"
)

// RetryPolicy bounds the retries of one request to PagerDuty. Every wait
// also has to fit before the caller's context deadline (with a margin for
// the retry itself): a wait that would not fit is not started, and the last
// answer is returned at once.
type RetryPolicy struct {
	// MaxRetries is how many times a request that got a 5xx, a 408, a
	// timeout or a connection error is retried (default 3; negative: never).
	MaxRetries int
	// MaxRateLimitRetries is how many times a request that got a 429 is
	// retried after the wait PagerDuty asked for (default 3; negative:
	// never).
	MaxRateLimitRetries int
	// InitialBackoff is the first wait before retrying a 5xx or timeout
	// (default 100ms); it doubles, with jitter, up to MaxBackoff (default
	// 1s).
	InitialBackoff time.Duration
	// MaxBackoff caps the exponential backoff.
	MaxBackoff time.Duration
	// AttemptTimeout is how long one attempt may take before it counts as
	// a timeout and is retried (default 2s). Retrying a trigger is safe:
	// the dedup key makes PagerDuty answer with the same incident.
	AttemptTimeout time.Duration
	// MaxWait is the longest single wait, even when the deadline would
	// allow more (default 10s).
	MaxWait time.Duration
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxRetries == 0 {
		p.MaxRetries = 3
	}
	if p.MaxRateLimitRetries == 0 {
		p.MaxRateLimitRetries = 3
	}
	if p.InitialBackoff <= 0 {
		p.InitialBackoff = 100 * time.Millisecond
	}
	if p.MaxBackoff <= 0 {
		p.MaxBackoff = time.Second
	}
	if p.AttemptTimeout <= 0 {
		p.AttemptTimeout = 2 * time.Second
	}
	if p.MaxWait <= 0 {
		p.MaxWait = 10 * time.Second
	}
	return p
}

// retryMargin is the time a retry needs at least after its wait; a wait that
// leaves less before the deadline is not worth starting.
const retryMargin = 50 * time.Millisecond

// trace is what the transport saw while serving one go-pagerduty call; it
// travels in the request's context and lets classify tell a timeout from a
// refused connection from a 429, which go-pagerduty's errors do not carry.
type trace struct {
	mu         sync.Mutex
	retryAfter time.Duration
	noRetry    bool   // best-effort calls: one attempt only
	errorBody  []byte // body of the last error answer
	// tries is every attempt, oldest first: for decide, and last.
	tries []attempt
}

type traceKey struct{}

func withTrace(ctx context.Context) (context.Context, *trace) {
	tr := &trace{}
	return context.WithValue(ctx, traceKey{}, tr), tr
}

func traceFrom(ctx context.Context) *trace {
	if tr, ok := ctx.Value(traceKey{}).(*trace); ok {
		return tr
	}
	return &trace{}
}

func (t *trace) note(status int, err error, wrote bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.tries = append(t.tries, attempt{status: status, err: err, wrote: wrote})
}

// outcome is what the attempts so far mean for a trigger (decide).
func (t *trace) outcome() oncall.Outcome {
	t.mu.Lock()
	defer t.mu.Unlock()
	return decide(t.tries)
}

// last is the last attempt's status (0 when it got no answer) and error
// (nil when it was answered), and how many attempts were made.
func (t *trace) last() (status, attempts int, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.tries) == 0 {
		return 0, 0, nil
	}
	a := t.tries[len(t.tries)-1]
	return a.status, len(t.tries), a.err
}

func (t *trace) setErrorBody(b []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.errorBody = b
}

func (t *trace) body() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.errorBody
}

func (t *trace) setRetryAfter(d time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.retryAfter = d
}

func (t *trace) retryAfterWait() time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.retryAfter
}

func (t *trace) setOnce() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.noRetry = true
}

func (t *trace) once() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.noRetry
}

// retryingDoer is the HTTP client go-pagerduty uses: it retries 5xx,
// timeouts and connection errors with exponential backoff, and 429 after the
// wait PagerDuty asks for, within the caller's deadline. It never logs
// headers or bodies (they hold the token, the routing key and emails).
type retryingDoer struct {
	base   *http.Client
	policy RetryPolicy
	logger *slog.Logger
}

// Do implements go-pagerduty's HTTPClient.
func (d *retryingDoer) Do(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	tr := traceFrom(ctx)
	bo := &backoff.ExponentialBackOff{
		InitialInterval:     d.policy.InitialBackoff,
		RandomizationFactor: 0.2,
		Multiplier:          2,
		MaxInterval:         d.policy.MaxBackoff,
	}
	bo.Reset()
	replayable := req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
	var retries, limited int
	for attempt := 1; ; attempt++ {
		resp, wrote, err := d.attempt(req, attempt)
		if err != nil {
			tr.note(0, err, wrote)
			if ctx.Err() != nil {
				return nil, err
			}
			wait := bo.NextBackOff()
			if tr.once() || !replayable || retries >= d.policy.MaxRetries || !d.fits(ctx, wait) {
				return nil, err
			}
			retries++
			d.logger.Warn("pagerduty request failed, retrying", "method", req.Method, "path", req.URL.Path, "attempt", attempt, "wait", wait, "err", redactURL(err, req))
			if !sleep(ctx, wait) {
				return nil, err
			}
			continue
		}
		tr.note(resp.StatusCode, nil, true)
		var wait time.Duration
		switch {
		case resp.StatusCode == http.StatusTooManyRequests:
			w, ok := retryAfter(resp.Header, time.Now())
			if !ok {
				w = bo.NextBackOff()
			}
			tr.setRetryAfter(w)
			if tr.once() || !replayable || limited >= d.policy.MaxRateLimitRetries || !d.fits(ctx, w) {
				d.logger.Warn("pagerduty rate limit, not retrying", "method", req.Method, "path", req.URL.Path, "attempt", attempt, "retry_after", w)
				return keepErrorBody(tr, resp), nil
			}
			limited++
			wait = w
		case retriableStatus(resp.StatusCode):
			wait = bo.NextBackOff()
			if tr.once() || !replayable || retries >= d.policy.MaxRetries || !d.fits(ctx, wait) {
				return keepErrorBody(tr, resp), nil
			}
			retries++
		default:
			return keepErrorBody(tr, resp), nil
		}
		d.logger.Warn("pagerduty answered an error, retrying", "method", req.Method, "path", req.URL.Path, "status", resp.StatusCode, "attempt", attempt, "wait", wait)
		drain(resp)
		if !sleep(ctx, wait) {
			// The deadline passed while waiting; classify finds the last
			// status in the trace.
			return nil, ctx.Err()
		}
	}
}

// attempt sends one try of req with its own timeout; the returned body
// releases the timeout when closed. wrote reports whether the whole request
// was written to a connection (so PagerDuty may have received it), as
// httptrace saw it.
func (d *retryingDoer) attempt(req *http.Request, n int) (resp *http.Response, wrote bool, err error) {
	actx, cancel := context.WithTimeout(req.Context(), d.policy.AttemptTimeout)
	var written atomic.Bool
	actx = httptrace.WithClientTrace(actx, &httptrace.ClientTrace{
		WroteRequest: func(info httptrace.WroteRequestInfo) {
			if info.Err == nil {
				written.Store(true)
			}
		},
	})
	areq := req.Clone(actx)
	if n > 1 && req.GetBody != nil {
		body, err := req.GetBody()
		if err != nil {
			cancel()
			return nil, false, err
		}
		areq.Body = body
	}
	resp, err = d.base.Do(areq)
	if err != nil {
		cancel()
		return nil, written.Load(), err
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, true, nil
}

// fits reports whether waiting d still leaves time for a retry before the
// deadline of ctx.
func (d *retryingDoer) fits(ctx context.Context, wait time.Duration) bool {
	if wait > d.policy.MaxWait {
		return false
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		return true
	}
	return time.Until(deadline) > wait+retryMargin
}

func retriableStatus(code int) bool {
	return code == http.StatusRequestTimeout || code == http.StatusInternalServerError ||
		code == http.StatusBadGateway || code == http.StatusServiceUnavailable || code == http.StatusGatewayTimeout
}

// retryAfter reads how long PagerDuty asks to wait: Retry-After (seconds or
// an HTTP date), else ratelimit-reset (seconds until the window resets).
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if secs, err := strconv.ParseFloat(v, 64); err == nil && secs >= 0 {
			return time.Duration(secs * float64(time.Second)), true
		}
		if t, err := http.ParseTime(v); err == nil {
			return max(t.Sub(now), 0), true
		}
	}
	if v := strings.TrimSpace(h.Get("Ratelimit-Reset")); v != "" {
		if secs, err := strconv.ParseFloat(v, 64); err == nil && secs >= 0 {
			return time.Duration(secs * float64(time.Second)), true
		}
	}
	return 0, false
}

func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// keepErrorBody copies the body of an error answer into the trace:
// go-pagerduty reads Events API errors as REST errors and loses their
// message, which classify then finds here.
func keepErrorBody(tr *trace, resp *http.Response) *http.Response {
	if resp.StatusCode < 400 {
		return resp
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	if err != nil {
		b = nil
	}
	tr.setErrorBody(b)
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp
}

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
}

// redactURL keeps a transport error's message free of the query string.
func redactURL(err error, req *http.Request) string {
	msg := err.Error()
	if req.URL.RawQuery != "" {
		msg = strings.ReplaceAll(msg, "?"+req.URL.RawQuery, "")
	}
	return msg
}

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}
