package pagerduty

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/switchboard-dev/switchboard/oncall"
)

// sweepAbove is the entry count above which a write also drops the entries
// too old to be served even as stale.
const sweepAbove = 512

// onCallCache holds on-call answers by key ("service:ID", "policy:ID") and
// makes concurrent fetches of one key share a single request.
type onCallCache struct {
	mu      sync.Mutex
	entries map[string]oncall.Now
	group   singleflight.Group
}

func newOnCallCache() *onCallCache {
	return &onCallCache{entries: map[string]oncall.Now{}}
}

func (c *onCallCache) get(key string) (oncall.Now, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.entries[key]
	return v, ok
}

func (c *onCallCache) put(key string, v oncall.Now, now time.Time, staleTTL time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries[key] = v
	if len(c.entries) > sweepAbove {
		for k, e := range c.entries {
			if now.Sub(e.FetchedAt) >= staleTTL {
				delete(c.entries, k)
			}
		}
	}
}

// cached answers from the cache when the entry is younger than CacheTTL,
// else fetches (one fetch per key at a time, shared by every caller waiting
// for it). The shared fetch keeps the first caller's deadline but not its
// cancellation, so one caller giving up does not fail the others; each
// caller still stops waiting at its own deadline. When the fetch fails with
// ErrUnavailable or ErrRateLimited, an entry younger than StaleTTL is
// returned marked Stale.
func (c *Client) cached(ctx context.Context, key string, fetch func(context.Context) (oncall.Now, error)) (oncall.Now, error) {
	if v, ok := c.cache.get(key); ok && c.Now().Sub(v.FetchedAt) < c.cfg.CacheTTL {
		return clone(v), nil
	}
	ch := c.cache.group.DoChan(key, func() (any, error) {
		if v, ok := c.cache.get(key); ok && c.Now().Sub(v.FetchedAt) < c.cfg.CacheTTL {
			return v, nil // refreshed by a fetch that just finished
		}
		fctx, cancel := flightContext(ctx, c.cfg.FetchTimeout)
		defer cancel()
		v, err := fetch(fctx)
		if err != nil {
			return nil, err
		}
		v.FetchedAt = c.Now()
		c.cache.put(key, v, v.FetchedAt, c.cfg.StaleTTL)
		return v, nil
	})
	var err error
	select {
	case res := <-ch:
		if res.Err == nil {
			return clone(res.Val.(oncall.Now)), nil
		}
		err = res.Err
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.Canceled) {
			return oncall.Now{}, fmt.Errorf("request cancelled: %w", ctx.Err())
		}
		err = fmt.Errorf("%w: no answer before the deadline: %w", oncall.ErrUnavailable, ctx.Err())
	}
	if errors.Is(err, oncall.ErrUnavailable) || errors.Is(err, oncall.ErrRateLimited) {
		if v, ok := c.cache.get(key); ok && c.cfg.StaleTTL > 0 && c.Now().Sub(v.FetchedAt) < c.cfg.StaleTTL {
			c.logger.Warn("pagerduty unavailable, serving a stale on-call answer", "key", key, "fetched_at", v.FetchedAt, "err", err)
			v = clone(v)
			v.Stale = true
			return v, nil
		}
	}
	return oncall.Now{}, err
}

// flightContext is the context of a shared fetch: the values and deadline
// of the first caller's context, without its cancellation; FetchTimeout
// when it has no deadline.
func flightContext(ctx context.Context, fallback time.Duration) (context.Context, context.CancelFunc) {
	fctx := context.WithoutCancel(ctx)
	if deadline, ok := ctx.Deadline(); ok {
		return context.WithDeadline(fctx, deadline)
	}
	return context.WithTimeout(fctx, fallback)
}
