package api

import (
	"context"
	"crypto/sha256"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/switchboard-dev/switchboard/catalog"
)

// DefaultTokenTTL is how long a replica trusts a valid token it checked
// without asking the database again: a revoked token is refused by every
// replica at most this long after its revocation.
const DefaultTokenTTL = time.Second

// maxCachedTokens bounds the cache (tokens are few; this only guards
// memory).
const maxCachedTokens = 10_000

// TokenCache remembers valid tokens for a short while in front of an
// Authenticator, so that a busy client costs the database one check a
// second instead of one a request. Only valid tokens are remembered (a
// new token works at once; an unknown or revoked one is asked about every
// time), keyed by the token's SHA-256, never the token itself.
type TokenCache struct {
	next Authenticator
	// TTL is how long a check holds (DefaultTokenTTL when zero).
	TTL time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time

	// checks makes concurrent checks of one token one database query
	// (64 clients whose check expires together ask once).
	checks singleflight.Group

	mu      sync.Mutex
	entries map[[sha256.Size]byte]cachedToken
}

type cachedToken struct {
	token   catalog.APIToken
	checked time.Time
}

// NewTokenCache returns a cache in front of next.
func NewTokenCache(next Authenticator) *TokenCache {
	return &TokenCache{next: next, entries: map[[sha256.Size]byte]cachedToken{}}
}

// AuthenticateAPIToken is next's, from memory when checked within TTL.
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
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && now().Sub(e.checked) < ttl {
		return e.token, nil
	}
	v, err, _ := c.checks.Do(string(key[:]), func() (any, error) {
		// Checked when asked: an entry is never older than the check.
		checked := now()
		t, err := c.next.AuthenticateAPIToken(context.WithoutCancel(ctx), token)
		c.mu.Lock()
		defer c.mu.Unlock()
		if err != nil {
			delete(c.entries, key)
			return t, err
		}
		if len(c.entries) >= maxCachedTokens {
			clear(c.entries)
		}
		c.entries[key] = cachedToken{token: t, checked: checked}
		return t, nil
	})
	return v.(catalog.APIToken), err
}
