package catalog_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
)

// TestAPITokens: a token is stored as its hash only, authenticates until
// revoked (at once: the store has no cache), its name is unique among valid tokens and
// free again once revoked, and bad names are refused.
func TestAPITokens(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	s := catalog.NewStore(pool, nil)
	tok, secret, err := s.CreateAPIToken(ctx, "deploy-pipeline", "UADMIN")
	if err != nil {
		t.Fatal(err)
	}
	if !catalog.LooksLikeAPIToken(secret) || !strings.HasPrefix(secret, tok.Prefix) || len(secret) != 46 {
		t.Fatalf("token %q, prefix %q", secret, tok.Prefix)
	}
	var stored []byte
	if err := pool.QueryRow(ctx, `SELECT hash FROM api_tokens WHERE id = $1`, tok.ID).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(stored, catalog.HashAPIToken(secret)) || bytes.Contains(stored, []byte(secret)) {
		t.Errorf("stored %x, want the SHA-256 of the token", stored)
	}
	if _, _, err := s.CreateAPIToken(ctx, "Deploy-Pipeline", "UADMIN"); !errors.Is(err, catalog.ErrConflict) {
		t.Errorf("same name: %v, want ErrConflict", err)
	}
	for _, bad := range []string{"", "-x", "a b", strings.Repeat("x", 65), "ü"} {
		if _, _, err := s.CreateAPIToken(ctx, bad, "UADMIN"); !errors.Is(err, catalog.ErrInvalid) {
			t.Errorf("name %q: %v, want ErrInvalid", bad, err)
		}
	}
	got, err := s.AuthenticateAPIToken(ctx, secret)
	if err != nil || got.ID != tok.ID || got.Name != "deploy-pipeline" {
		t.Fatalf("authenticate: %+v, %v", got, err)
	}
	for _, bad := range []string{"", "sb_short", secret + "x", strings.Replace(secret, secret[5:6], "~", 1), catalog.APITokenPrefix + strings.Repeat("A", 43)} {
		if _, err := s.AuthenticateAPIToken(ctx, bad); !errors.Is(err, catalog.ErrNotFound) {
			t.Errorf("token %q: %v, want ErrNotFound", bad, err)
		}
	}
	if _, err := s.RevokeAPIToken(ctx, "DEPLOY-pipeline", "UADMIN"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AuthenticateAPIToken(ctx, secret); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("revoked: %v, want ErrNotFound", err)
	}
	if _, err := s.RevokeAPIToken(ctx, "deploy-pipeline", "UADMIN"); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("revoked twice: %v, want ErrNotFound", err)
	}
	if _, _, err := s.CreateAPIToken(ctx, "deploy-pipeline", "UADMIN"); err != nil {
		t.Errorf("the name of a revoked token: %v", err)
	}
	all, err := s.APITokens(ctx, true)
	if err != nil || len(all) != 2 || all[0].Revoked() || !all[1].Revoked() || all[1].RevokedBy != "UADMIN" {
		t.Errorf("list: %+v, %v", all, err)
	}
	valid, err := s.APITokens(ctx, false)
	if err != nil || len(valid) != 1 {
		t.Errorf("valid ones: %+v, %v", valid, err)
	}
	audit, err := s.AuditLog(ctx, "api_token:deploy-pipeline", 10)
	if err != nil || len(audit) != 3 {
		t.Fatalf("audit: %+v, %v", audit, err)
	}
	for _, e := range audit {
		for _, v := range e.Detail {
			if s, ok := v.(string); ok && strings.Contains(s, secret[3:]) {
				t.Errorf("the audit log holds the token: %+v", e)
			}
		}
	}
}

// TestAPITokenLastUsed: using a token records when, at most once a
// minute however many requests (and replicas) use it.
func TestAPITokenLastUsed(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	s := catalog.NewStore(pool, nil)
	tok, secret, err := s.CreateAPIToken(ctx, "busy", "UADMIN")
	if err != nil {
		t.Fatal(err)
	}
	if !tok.LastUsedAt.IsZero() {
		t.Fatalf("a new token was used at %v", tok.LastUsedAt)
	}
	// writes is the row's xmin: the transaction that last wrote it.
	writes := func() int64 {
		var n int64
		if err := pool.QueryRow(ctx, `SELECT xmin::text::bigint FROM api_tokens WHERE id = $1`, tok.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := writes()
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.AuthenticateAPIToken(ctx, secret); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	first := writes()
	if first == before {
		t.Fatal("the first use was not recorded")
	}
	for i := 0; i < 10; i++ {
		if _, err := s.AuthenticateAPIToken(ctx, secret); err != nil {
			t.Fatal(err)
		}
	}
	if writes() != first {
		t.Error("uses within the minute wrote the row again")
	}
	// A minute later, the next use is recorded.
	if _, err := pool.Exec(ctx, `UPDATE api_tokens SET last_used_at = now() - interval '61 seconds' WHERE id = $1`, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AuthenticateAPIToken(ctx, secret); err != nil {
		t.Fatal(err)
	}
	list, err := s.APITokens(ctx, false)
	if err != nil || len(list) != 1 || time.Since(list[0].LastUsedAt) > 10*time.Second {
		t.Errorf("last used: %+v, %v", list, err)
	}
}

// TestAPITokenRevocationNotifies: a revocation is told to listeners as it
// commits, as the token's hash (never the token); a revocation that fails
// tells nothing; a listener stops when its context ends.
func TestAPITokenRevocationNotifies(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := catalog.NewStore(pgtest.New(t), nil)
	_, secret, err := s.CreateAPIToken(ctx, "deploy-pipeline", "UADMIN")
	if err != nil {
		t.Fatal(err)
	}
	listening := make(chan struct{})
	heard := make(chan []byte, 10)
	done := make(chan error, 1)
	go func() {
		done <- s.ListenAPITokenRevocations(ctx, func() { close(listening) }, func(h []byte) { heard <- h })
	}()
	select {
	case <-listening:
	case err := <-done:
		t.Fatalf("listen: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("timed out waiting to listen")
	}
	if _, err := s.RevokeAPIToken(ctx, "no-such-token", "UADMIN"); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("revoke unknown: %v", err)
	}
	if _, err := s.RevokeAPIToken(ctx, "deploy-pipeline", "UADMIN"); err != nil {
		t.Fatal(err)
	}
	select {
	case h := <-heard:
		if !bytes.Equal(h, catalog.HashAPIToken(secret)) {
			t.Errorf("heard %x, want the revoked token's hash %x", h, catalog.HashAPIToken(secret))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("timed out waiting for the revocation's notification")
	}
	select {
	case h := <-heard:
		t.Errorf("heard %x more", h)
	default:
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("listener after its context ended: %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the listener did not stop with its context")
	}
}
