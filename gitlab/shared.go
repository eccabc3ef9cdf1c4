package gitlab

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Limiter is a rate limit shared with other processes using the same token
// (several replicas): a budget of requests per window, kept where they all
// see it (catalog.RateBudget keeps it in Postgres). Take grants up to n
// requests of the window in progress (0 when it is spent) and says how long
// that window has left.
type Limiter interface {
	Take(ctx context.Context, n int) (granted int, left time.Duration, err error)
}

// shared spends a Limiter's budget: it takes requests in small batches
// (one round trip to the Limiter for batch requests), spends them until
// their window ends, and when the window is spent waits for the next. One
// Take at a time: other requests wait for it.
type shared struct {
	lim   Limiter
	batch int
	now   func() time.Time
	log   *slog.Logger

	mu     sync.Mutex
	tokens int
	end    time.Time     // end of the window the tokens are of
	taking chan struct{} // closed when the Take in progress returns
}

// wait returns when a request may go, or ctx ends. A Limiter that fails
// lets the request go (the governor still paces on GitLab's headers): the
// shared budget must not stop GitLab traffic when Postgres hiccups.
func (s *shared) wait(ctx context.Context) error {
	for {
		s.mu.Lock()
		now := s.now()
		if now.Before(s.end) && !now.Before(s.end.Add(-sendMargin)) {
			// The window is about to end: a request sent now could reach
			// GitLab in the next one, on top of its whole budget.
			d := s.end.Sub(now)
			s.mu.Unlock()
			if err := sleepCtx(ctx, d); err != nil {
				return err
			}
			continue
		}
		if s.tokens > 0 && now.Before(s.end) {
			s.tokens--
			s.mu.Unlock()
			return nil
		}
		if s.taking != nil {
			ch := s.taking
			s.mu.Unlock()
			select {
			case <-ch:
				continue
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		ch := make(chan struct{})
		s.taking = ch
		s.mu.Unlock()

		n, left, err := s.lim.Take(ctx, s.batch)
		s.mu.Lock()
		s.taking = nil
		close(ch)
		if err != nil {
			s.mu.Unlock()
			if ctx.Err() != nil {
				return ctx.Err()
			}
			s.log.Warn("gitlab shared rate limit unavailable: request sent on GitLab's headers alone", "err", err)
			return nil
		}
		s.end = s.now().Add(left)
		if n > 0 && left > sendMargin {
			// This request takes one at once.
			s.tokens = n - 1
			s.mu.Unlock()
			return nil
		}
		s.tokens = 0
		s.mu.Unlock()
		if err := sleepCtx(ctx, left+time.Millisecond); err != nil {
			return err
		}
	}
}

// sendMargin is the end of each window in which no request of that window
// is sent: GitLab counts a request when it arrives, a little later.
const sendMargin = 100 * time.Millisecond

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
