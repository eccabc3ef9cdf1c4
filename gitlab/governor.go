package gitlab

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// resetMargin is waited past a rate-limit window's end, for clocks that
// disagree a little.
const resetMargin = 10 * time.Millisecond

// lowShare is the part of a window's allowance under which requests are
// spread evenly over what is left of the window instead of going at once.
const lowShare = 10

// governor paces requests on GitLab's rate-limit headers. GitLab counts
// requests in fixed windows and says, on every answer, how many remain
// (RateLimit-Remaining) and when the window ends (RateLimit-Reset). The
// governor lets a request go while the lowest remaining count reported for
// the current window, less the requests still in flight, is above zero;
// when little is left it spreads the rest over the window; at zero it
// holds every request until the window ends. A 429 holds every request for
// as long as its Retry-After says. Without those headers it does nothing.
type governor struct {
	now func() time.Time
	log *slog.Logger

	mu         sync.Mutex
	limit      int       // RateLimit-Limit of the last answer; 0 when unknown
	remaining  int       // lowest RateLimit-Remaining for the window ending at reset
	reset      time.Time // end of the current window; zero when unknown
	inflight   int       // requests sent and not answered
	lastSend   time.Time
	pauseUntil time.Time
	wake       chan struct{} // closed and replaced when waiters should look again
}

func newGovernor(now func() time.Time, log *slog.Logger) *governor {
	return &governor{now: now, log: log, wake: make(chan struct{})}
}

// acquire waits until a request may go, or the context is done. waited
// says whether it had to wait.
func (g *governor) acquire(ctx context.Context) (waited bool, err error) {
	for {
		g.mu.Lock()
		now := g.now()
		d, known := g.delayLocked(now)
		if d <= 0 {
			g.inflight++
			g.lastSend = now
			g.mu.Unlock()
			return waited, nil
		}
		wake := g.wake
		g.mu.Unlock()
		if !known {
			// Nothing tells when the allowance comes back: look again when
			// an answer arrives, or soon.
			d = min(d, time.Second)
		}
		waited = true
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return waited, ctx.Err()
		case <-t.C:
		case <-wake:
			t.Stop()
		}
	}
}

// delayLocked returns how long a request must still wait, and whether that
// is known (false: wait for an answer to tell).
func (g *governor) delayLocked(now time.Time) (time.Duration, bool) {
	if now.Before(g.pauseUntil) {
		return g.pauseUntil.Sub(now), true
	}
	if g.limit <= 0 {
		return 0, true
	}
	if !g.reset.IsZero() && !now.Before(g.reset) {
		// The window is over; until an answer says otherwise, the whole
		// allowance is back.
		g.reset = time.Time{}
		g.remaining = g.limit
	}
	avail := g.remaining - g.inflight
	if g.reset.IsZero() {
		if avail > 0 || g.inflight == 0 {
			return 0, true
		}
		return time.Second, false
	}
	if avail <= 0 {
		return g.reset.Sub(now) + resetMargin, true
	}
	if avail*lowShare < g.limit {
		// Little is left: spread it over the rest of the window.
		gap := g.reset.Sub(now) / time.Duration(avail+1)
		if next := g.lastSend.Add(gap); now.Before(next) {
			return next.Sub(now), true
		}
	}
	return 0, true
}

// release marks a request as answered (or failed).
func (g *governor) release() {
	g.mu.Lock()
	g.inflight--
	g.mu.Unlock()
}

// observe reads an answer's rate-limit headers.
func (g *governor) observe(resp *http.Response) {
	h := resp.Header
	limit, errL := strconv.Atoi(h.Get("RateLimit-Limit"))
	remaining, errR := strconv.Atoi(h.Get("RateLimit-Remaining"))
	reset, hasReset := rateLimitReset(h)
	is429 := resp.StatusCode == http.StatusTooManyRequests
	if (errL != nil || errR != nil || !hasReset) && !is429 {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	changed := false
	if errL == nil && errR == nil && hasReset && limit > 0 {
		g.limit = limit
		switch {
		case g.reset.IsZero() || reset.After(g.reset):
			// A new window (or the first news of one).
			changed = g.reset.IsZero() || remaining > g.remaining
			g.reset, g.remaining = reset, remaining
		case reset.Equal(g.reset) && remaining < g.remaining:
			g.remaining = remaining
		}
	}
	if is429 {
		now := g.now()
		until := now.Add(time.Second)
		if d, ok := retryAfter(h, now); ok {
			until = now.Add(d)
		} else if hasReset {
			until = reset.Add(resetMargin)
		}
		if until.After(g.pauseUntil) {
			g.pauseUntil = until
			g.log.Info("gitlab rate limited: pausing requests", "until", until, "retry_after", h.Get("Retry-After"))
		}
		if g.remaining > 0 {
			g.remaining = 0
		}
	}
	if changed {
		close(g.wake)
		g.wake = make(chan struct{})
	}
}

// limitedBody fails a read past a size limit with ErrFileTooLarge.
type limitedBody struct {
	io.ReadCloser
	left int64
}

// Read reads up to the limit, then fails with ErrFileTooLarge if more is
// left.
func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		var one [1]byte
		n, err := b.ReadCloser.Read(one[:])
		if n > 0 {
			return 0, ErrFileTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	return n, err
}
