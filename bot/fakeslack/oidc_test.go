package fakeslack_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/switchboard-dev/switchboard/bot/fakeslack"
)

// TestOIDC drives the fake's Sign in with Slack with go-oidc and oauth2, as
// the web catalog does: discovery, authorize (auto-consent), the token in
// Slack's shape with an RS256 ID token carrying the nonce and Slack's
// claims, verified against the key set; userInfo; and the errors.
func TestOIDC(t *testing.T) {
	users := []fakeslack.User{{ID: "U0ADA", Name: "ada", RealName: "Ada Lovelace", Email: "ada@example.com"}}
	s := fakeslack.NewForTest(t, users, nil)
	if err := s.EnableOIDC("1.2", "secret", "U0ADA"); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p, err := oidc.NewProvider(ctx, s.Issuer())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(p.Endpoint().TokenURL, "/api/openid.connect.token") || !strings.HasSuffix(p.Endpoint().AuthURL, "/openid/connect/authorize") {
		t.Fatalf("endpoints: %+v", p.Endpoint())
	}
	cfg := oauth2.Config{ClientID: "1.2", ClientSecret: "secret", Endpoint: p.Endpoint(), RedirectURL: "http://app.example/cb", Scopes: []string{"openid", "email", "profile"}}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	authorize := func(u string) url.Values {
		t.Helper()
		resp, err := noFollow.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, err := url.Parse(resp.Header.Get("Location"))
		if err != nil || resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc.String(), "http://app.example/cb?") {
			t.Fatalf("authorize: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		return loc.Query()
	}
	q := authorize(cfg.AuthCodeURL("st4te", oidc.Nonce("n0nce")))
	if q.Get("state") != "st4te" || q.Get("code") == "" {
		t.Fatalf("callback query: %v", q)
	}
	tok, err := cfg.Exchange(ctx, q.Get("code"))
	if err != nil {
		t.Fatal(err)
	}
	if tok.Extra("ok") != true || tok.TokenType != "Bearer" {
		t.Errorf("token response lacks Slack's shape: ok=%v type=%q", tok.Extra("ok"), tok.TokenType)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := p.Verifier(&oidc.Config{ClientID: "1.2"}).Verify(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	if idt.Nonce != "n0nce" || idt.Subject != "U0ADA" || claims["https://slack.com/user_id"] != "U0ADA" || claims["https://slack.com/team_id"] != fakeslack.TeamID ||
		claims["email"] != "ada@example.com" || claims["name"] != "Ada Lovelace" {
		t.Errorf("claims: nonce %q %v", idt.Nonce, claims)
	}
	if _, err := p.Verifier(&oidc.Config{ClientID: "other-app"}).Verify(ctx, raw); err == nil {
		t.Error("an ID token for another app was accepted")
	}
	info, err := p.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		t.Fatal(err)
	}
	if info.Email != "ada@example.com" || info.Subject != "U0ADA" {
		t.Errorf("userInfo: %+v", info)
	}

	// Errors come as Slack's: ok false with a code.
	post := func(form url.Values) map[string]any {
		t.Helper()
		resp, err := http.PostForm(s.Issuer()+"/api/openid.connect.token", form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	code := authorize(cfg.AuthCodeURL("s", oidc.Nonce("n"))).Get("code")
	for name, tt := range map[string]struct {
		form url.Values
		want string
	}{
		"bad secret":   {url.Values{"client_id": {"1.2"}, "client_secret": {"nope"}, "code": {code}, "redirect_uri": {"http://app.example/cb"}}, "bad_client_secret"},
		"unknown app":  {url.Values{"client_id": {"9.9"}, "client_secret": {"secret"}, "code": {code}}, "invalid_client_id"},
		"used code":    {url.Values{"client_id": {"1.2"}, "client_secret": {"secret"}, "code": {q.Get("code")}, "redirect_uri": {"http://app.example/cb"}}, "invalid_code"},
		"bad redirect": {url.Values{"client_id": {"1.2"}, "client_secret": {"secret"}, "code": {code}, "redirect_uri": {"http://evil.example/cb"}}, "bad_redirect_uri"},
	} {
		if out := post(tt.form); out["ok"] != false || out["error"] != tt.want {
			t.Errorf("%s: %v, want error %s", name, out, tt.want)
		}
	}
	if q := authorize(strings.Replace(cfg.AuthCodeURL("s"), "client_id=1.2", "client_id=9.9", 1)); q.Get("error") != "invalid_client_id" || q.Get("state") != "s" {
		t.Errorf("authorize with an unknown app: %v", q)
	}
}
