package api

import (
	"context"
	"crypto/sha256"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/switchboard-dev/switchboard/catalog"
)

// DefaultTokenTTL is how long a replica trusts a valid token it checked
// without asking the database again, while it hears revocations. It is a
// backstop, not the revocation delay (revocations are heard at once, see
// TokenCache): it bounds how long a revocation that bypasses
// catalog.Store.RevokeAPIToken (an UPDATE by hand) or one lost on a
// connection that died without the replica noticing is ignored, and it
// keeps a busy token's last-used time current.
const DefaultTokenTTL = time.Second

// defaultTokenRetry is the first pause before listening again after the
// listening connection was lost; it doubles up to maxTokenRetry.
const (
	defaultTokenRetry = 100 * time.Millisecond
	maxTokenRetry     = 30 * time.Second
)

// maxCachedTokens bounds the cache (tokens are few; this only guards
// memory).
const maxCachedTokens = 10_000

// Revocations tells of API tokens as they are revoked
// (catalog.Store.ListenAPITokenRevocations).
type Revocations interface {
	// ListenAPITokenRevocations calls listening once it listens, then
	// revoked with each revoked token's SHA-256 (nil: unknown which),
	// until ctx ends (nil) or its connection is lost (an error).
	ListenAPITokenRevocations(ctx context.Context, listening func(), revoked func(hash []byte)) error
}

// TokenCache remembers valid tokens in front of an Authenticator, so that
// a busy client costs the database one check per TTL instead of one a
// request, without delaying revocations: Run LISTENs for them (every
// replica hears a revocation as it commits) and forgets the token at once.
// It trusts what it remembers only while Run is listening: before Run has
// listened, and from a lost connection (a database restart) until it
// listens again, every request is checked in the database. Only valid
// tokens are remembered (a new token works at once; an unknown or revoked
// one is asked about every time), keyed by the token's SHA-256, never the
// token itself.
type TokenCache struct {
	next        Authenticator
	revocations Revocations
	// TTL is how long a check holds (DefaultTokenTTL when zero).
	TTL time.Duration
	// Retry is the first pause before listening again after the
	// connection was lost (100 ms when zero); it doubles up to 30 s.
	Retry time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Log is where lost connections are told (nothing when nil).
	Log *slog.Logger

	// checks makes concurrent checks of one token one database query
	// (64 clients whose check expires together ask once).
	checks singleflight.Group

	mu sync.Mutex
	// live: Run listens, so what is remembered can be trusted.
	live bool
	// gen counts what may have made a check under way stale (revocations,
	// the listener lost or found): a check is remembered only if gen did
	// not change while it was made.
	gen     uint64
	entries map[[sha256.Size]byte]cachedToken
}

type cachedToken struct {
	token   catalog.APIToken
	checked time.Time
}

// NewTokenCache returns a cache in front of next, hearing revocations from
// revocations once Run is started. Until then it asks next every time.
func NewTokenCache(next Authenticator, revocations Revocations) *TokenCache {
	return &TokenCache{next: next, revocations: revocations, entries: map[[sha256.Size]byte]cachedToken{}}
}

// Run listens for revocations until ctx ends, listening again with a
// growing pause (Retry, doubling up to 30 s) whenever its connection is
// lost; meanwhile every request is checked in the database.
func (c *TokenCache) Run(ctx context.Context) error {
	if c.revocations == nil {
		return errors.New("token cache: no source of revocations")
	}
	first := c.Retry
	if first <= 0 {
		first = defaultTokenRetry
	}
	pause := first
	for {
		listened := false
		err := c.revocations.ListenAPITokenRevocations(ctx, func() {
			listened = true
			c.setLive(true)
		}, c.forget)
		c.setLive(false)
		if ctx.Err() != nil {
			return nil
		}
		if listened {
			pause = first
		}
		if c.Log != nil {
			c.Log.Warn("api token cache: not hearing revocations; checking every request in the database until listening again", "err", err, "retry_in", pause)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(pause):
		}
		pause = min(2*pause, maxTokenRetry)
	}
}

// Live reports whether the cache hears revocations, and so answers from
// memory.
func (c *TokenCache) Live() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.live
}

// setLive forgets every token: one revoked while nobody listened may be
// among them.
func (c *TokenCache) setLive(live bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.live = live
	c.gen++
	clear(c.entries)
}

// forget drops the token whose hash is hash; every token when nil.
func (c *TokenCache) forget(hash []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if len(hash) == sha256.Size {
		delete(c.entries, [sha256.Size]byte(hash))
	} else {
		clear(c.entries)
	}
}

// AuthenticateAPIToken is next's, from memory when checked within TTL
// while Run listens.
func (c *TokenCache) AuthenticateAPIToken(ctx context.Context, token string) (catalog.APIToken, error) {
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	ttl := c.TTL
	if ttl <= 0 {
		ttl = DefaultTokenTTL
	}
	key := sha256.Sum256([]byte(token))
	c.mu.Lock()
	live, gen := c.live, c.gen
	e, ok := c.entries[key]
	c.mu.Unlock()
	if !live {
		// A revocation now would go unheard: ask, and do not share the
		// answer with requests that may come after one.
		return c.next.AuthenticateAPIToken(ctx, token)
	}
	if ok && now().Sub(e.checked) < ttl {
		return e.token, nil
	}
	// Requests join a check only while nothing was heard since it began.
	v, err, _ := c.checks.Do(string(key[:])+strconv.FormatUint(gen, 10), func() (any, error) {
		// Checked when asked: an entry is never older than the check.
		checked := now()
		t, err := c.next.AuthenticateAPIToken(context.WithoutCancel(ctx), token)
		c.mu.Lock()
		defer c.mu.Unlock()
		if err != nil {
			delete(c.entries, key)
			return t, err
		}
		// A revocation heard, or the listener lost, while checking may be
		// this token's: trust the answer once, remember it only if not.
		if c.live && c.gen == gen {
			if len(c.entries) >= maxCachedTokens {
				clear(c.entries)
			}
			c.entries[key] = cachedToken{token: t, checked: checked}
		}
		return t, nil
	})
	return v.(catalog.APIToken), err
}
