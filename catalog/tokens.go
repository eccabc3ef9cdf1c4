package catalog

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// APITokenPrefix starts every API token, so that a token pasted where it
// should not be (a log, a chat, a repository) is recognisable, and secret
// scanners can be taught it.
const APITokenPrefix = "sb_"

// apiTokenBytes is the entropy of a token: 256 bits from crypto/rand.
const apiTokenBytes = 32

// APITokenTouchEvery is how often a token's last-used time is written at
// most: a busy client costs one write a minute, not one per request.
const APITokenTouchEvery = time.Minute

// APITokenRevokedChannel is the Postgres notification channel
// RevokeAPIToken signals on, in the revocation's transaction, so that the
// notification is delivered when (and only if) the revocation commits. Its
// payload is the revoked token's hash in hex (HashAPIToken), never the
// token.
const APITokenRevokedChannel = "api_token_revoked"

// apiTokenName is what a token may be called (migration 033 checks it too).
var apiTokenName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// APIToken is a bearer token of the JSON API and the MCP server, as the
// catalog keeps it: never the token itself, only its hash (migration 033).
type APIToken struct {
	ID int64
	// Name says what the token is for ("deploy-pipeline").
	Name string
	// Prefix is the token's first characters ("sb_AbCd"), to tell tokens
	// apart in lists.
	Prefix    string
	CreatedBy string
	CreatedAt time.Time
	// LastUsedAt is when it was last used (to within
	// APITokenTouchEvery); zero when never.
	LastUsedAt time.Time
	// RevokedAt is when it was revoked; zero while valid.
	RevokedAt time.Time
	RevokedBy string
}

// Revoked reports whether the token was revoked.
func (t APIToken) Revoked() bool { return !t.RevokedAt.IsZero() }

// HashAPIToken is the SHA-256 of a token, the form the catalog stores and
// looks tokens up by. A fast hash is right here, unlike for passwords: a
// token carries 256 random bits, so no dictionary or brute force applies
// to its hash, and every API request checks one (bcrypt would cost ~50 ms
// a request). Looking a token up by its hash through a unique index needs
// no constant-time comparison: the secret is never compared byte by byte,
// and timing reveals at most whether some hash exists.
func HashAPIToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// LooksLikeAPIToken reports whether s has the shape of a token this
// catalog issues ("sb_" and 43 base64url characters).
func LooksLikeAPIToken(s string) bool {
	rest, ok := strings.CutPrefix(s, APITokenPrefix)
	if !ok || len(rest) != base64.RawURLEncoding.EncodedLen(apiTokenBytes) {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(rest)
	return err == nil
}

// newAPIToken returns a fresh token: the prefix and 32 bytes from
// crypto/rand in URL-safe base64 without padding.
func newAPIToken() (string, error) {
	b := make([]byte, apiTokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate api token: %w", err)
	}
	return APITokenPrefix + base64.RawURLEncoding.EncodeToString(b), nil
}

const apiTokenColumns = `id, name, prefix, created_by, created_at, COALESCE(last_used_at, 'epoch'), COALESCE(revoked_at, 'epoch'), revoked_by`

func scanAPIToken(row pgx.Row) (APIToken, error) {
	var t APIToken
	if err := row.Scan(&t.ID, &t.Name, &t.Prefix, &t.CreatedBy, &t.CreatedAt, &t.LastUsedAt, &t.RevokedAt, &t.RevokedBy); err != nil {
		return APIToken{}, err
	}
	epoch := time.Unix(0, 0)
	if t.LastUsedAt.Equal(epoch) {
		t.LastUsedAt = time.Time{}
	}
	if t.RevokedAt.Equal(epoch) {
		t.RevokedAt = time.Time{}
	}
	return t, nil
}

// CreateAPIToken issues a token named name for by (who asked: a Slack user
// id, or "cli:USER"), stores its hash, audits it, and returns it with the
// token itself, which is never shown again. Returns ErrInvalid for a bad
// name, ErrConflict when a valid token already has the name.
func (s *Store) CreateAPIToken(ctx context.Context, name, by string) (APIToken, string, error) {
	name = strings.TrimSpace(name)
	if !apiTokenName.MatchString(name) {
		return APIToken{}, "", fmt.Errorf("%w: a token's name is 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit (e.g. deploy-pipeline); got %q", ErrInvalid, name)
	}
	secret, err := newAPIToken()
	if err != nil {
		return APIToken{}, "", err
	}
	prefix := secret[:len(APITokenPrefix)+4]
	var t APIToken
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		t, err = scanAPIToken(tx.QueryRow(ctx, `
			INSERT INTO api_tokens (name, hash, prefix, created_by) VALUES ($1, $2, $3, $4)
			RETURNING `+apiTokenColumns, name, HashAPIToken(secret), prefix, by))
		if err != nil {
			return err
		}
		return appendAudit(ctx, tx, AuditEntry{Actor: by, Action: "api_token.create", Subject: "api_token:" + name,
			Detail: map[string]any{"token_id": t.ID, "prefix": prefix}})
	})
	if err != nil {
		err = translate(err)
		if errors.Is(err, ErrConflict) {
			return APIToken{}, "", fmt.Errorf("%w: a token named %q exists already (revoke it first, or choose another name)", ErrConflict, name)
		}
		return APIToken{}, "", fmt.Errorf("create api token %q: %w", name, err)
	}
	return t, secret, nil
}

// RevokeAPIToken revokes the valid token named name (ignoring case), for
// by, and audits it. It notifies APITokenRevokedChannel in the same
// transaction: replicas that remember valid tokens (api.TokenCache) forget
// it as the revocation commits, so the API refuses it from the next
// request on, on every replica. Returns ErrNotFound when no valid token
// has the name.
func (s *Store) RevokeAPIToken(ctx context.Context, name, by string) (APIToken, error) {
	var t APIToken
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		t, err = scanAPIToken(tx.QueryRow(ctx, `
			UPDATE api_tokens SET revoked_at = now(), revoked_by = $2
			WHERE lower(name) = lower($1) AND revoked_at IS NULL
			RETURNING `+apiTokenColumns, strings.TrimSpace(name), by))
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `SELECT pg_notify($1, encode(hash, 'hex')) FROM api_tokens WHERE id = $2`,
			APITokenRevokedChannel, t.ID); err != nil {
			return fmt.Errorf("notify: %w", err)
		}
		return appendAudit(ctx, tx, AuditEntry{Actor: by, Action: "api_token.revoke", Subject: "api_token:" + t.Name,
			Detail: map[string]any{"token_id": t.ID, "prefix": t.Prefix}})
	})
	if err != nil {
		err = translate(err)
		if errors.Is(err, ErrNotFound) {
			return APIToken{}, fmt.Errorf("%w: no valid api token named %q", ErrNotFound, name)
		}
		return APIToken{}, fmt.Errorf("revoke api token %q: %w", name, err)
	}
	return t, nil
}

// ListenAPITokenRevocations LISTENs on APITokenRevokedChannel on a
// connection of its own (taken out of the pool, as catalog.Cache's is),
// calls listening once LISTEN holds, then revoked with each revoked
// token's hash (HashAPIToken) as its revocation commits; with a nil hash
// when a payload is not one (some token was revoked, which is unknown).
// It returns when ctx ends (nil) or the connection is lost (why): every
// revocation from listening until then was passed to revoked, none after,
// so a caller that trusts what it remembers only in between misses none.
// The caller reconnects.
func (s *Store) ListenAPITokenRevocations(ctx context.Context, listening func(), revoked func(hash []byte)) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("listen for api token revocations: acquire connection: %w", err)
	}
	// The connection ends in LISTEN state: take it out of the pool for good.
	pc := conn.Hijack()
	defer pc.Close(context.Background())
	if _, err := pc.Exec(ctx, "LISTEN "+APITokenRevokedChannel); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("listen for api token revocations: %w", err)
	}
	listening()
	for {
		n, err := pc.WaitForNotification(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("wait for api token revocations: %w", err)
		}
		h, err := hex.DecodeString(n.Payload)
		if err != nil || len(h) != sha256.Size {
			h = nil
		}
		revoked(h)
	}
}

// APITokens lists the tokens, valid ones first, then by name; revoked ones
// only when withRevoked.
func (s *Store) APITokens(ctx context.Context, withRevoked bool) ([]APIToken, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+apiTokenColumns+` FROM api_tokens
		WHERE $1 OR revoked_at IS NULL ORDER BY revoked_at IS NOT NULL, lower(name), id`, withRevoked)
	if err != nil {
		return nil, fmt.Errorf("list api tokens: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (APIToken, error) { return scanAPIToken(r) })
	if err != nil {
		return nil, fmt.Errorf("list api tokens: %w", err)
	}
	return out, nil
}

// AuthenticateAPIToken returns the valid token whose secret is token, and
// records its use (at most once per APITokenTouchEvery: a conditional
// update, shared by every replica). Returns ErrNotFound for a token that
// is unknown or revoked, without reading the database when it does not
// even have a token's shape.
func (s *Store) AuthenticateAPIToken(ctx context.Context, token string) (APIToken, error) {
	if !LooksLikeAPIToken(token) {
		return APIToken{}, ErrNotFound
	}
	t, err := scanAPIToken(s.pool.QueryRow(ctx, `SELECT `+apiTokenColumns+` FROM api_tokens WHERE hash = $1`, HashAPIToken(token)))
	if err != nil {
		return APIToken{}, fmt.Errorf("authenticate api token: %w", translate(err))
	}
	if t.Revoked() {
		return APIToken{}, fmt.Errorf("authenticate api token %q: revoked: %w", t.Name, ErrNotFound)
	}
	if time.Since(t.LastUsedAt) >= APITokenTouchEvery {
		// The use is recorded best-effort: a failed write must not refuse
		// a valid token.
		if _, err := s.pool.Exec(ctx, `UPDATE api_tokens SET last_used_at = now()
			WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - make_interval(secs => $2))`,
			t.ID, APITokenTouchEvery.Seconds()); err != nil {
			s.log.WarnContext(ctx, "record api token use", "token", t.Name, "err", err)
		}
	}
	return t, nil
}
