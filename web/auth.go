package web

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// User is who is signed in.
type User struct {
	// ID is the Slack user id (AuthSlack), the proxy header's value
	// (AuthProxy), or "" (AuthNone).
	ID    string `json:"sub"`
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
	Team  string `json:"team,omitempty"`
	// Exp is when the session ends (Unix seconds).
	Exp int64 `json:"exp"`
}

// Display is how the page header names the user.
func (u User) Display() string {
	switch {
	case u.Name != "":
		return u.Name
	case u.Email != "":
		return u.Email
	case u.ID != "":
		return u.ID
	}
	return "guest (no sign-in configured)"
}

// Cookie names.
const (
	sessionCookie = "sb_session"
	flowCookie    = "sb_signin"
)

// signedIn lets a request through to h only with a user: a valid session
// cookie (AuthSlack), the proxy's header (AuthProxy), or anyone (AuthNone).
// Without one, a page redirects to the sign-in (AuthSlack) or is refused
// (AuthProxy: the proxy should have signed the user in).
func (s *Server) signedIn(h func(http.ResponseWriter, *http.Request, User)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch s.cfg.Auth {
		case AuthNone:
			h(w, r, User{})
		case AuthProxy:
			id := strings.TrimSpace(r.Header.Get(s.cfg.Header))
			if id == "" {
				http.Error(w, "Sign-in required: this catalog trusts the "+s.cfg.Header+" header of the SSO proxy in front of it, and the request came without it.", http.StatusUnauthorized)
				return
			}
			h(w, r, User{ID: id, Email: id})
		default:
			u, err := s.session(r)
			if err != nil {
				if !errors.Is(err, http.ErrNoCookie) {
					s.log.InfoContext(r.Context(), "web: session refused", "err", err, "path", r.URL.Path)
					clearCookie(w, sessionCookie)
				}
				http.Redirect(w, r, LoginPath+"?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			h(w, r, u)
		}
	})
}

// session returns the user of the request's session cookie, or why there
// is none: no cookie, a bad signature, or an expired session.
func (s *Server) session(r *http.Request) (User, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return User{}, err
	}
	var u User
	if err := s.open(c.Value, &u); err != nil {
		return User{}, fmt.Errorf("session cookie: %w", err)
	}
	if u.ID == "" || s.cfg.Now().Unix() >= u.Exp {
		return User{}, errors.New("session cookie: expired")
	}
	return u, nil
}

// seal returns v as JSON, base64url, with an HMAC-SHA256 of it under the
// session key: "payload.mac".
func (s *Server) seal(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	p := base64.RawURLEncoding.EncodeToString(b)
	return p + "." + base64.RawURLEncoding.EncodeToString(s.mac(p)), nil
}

func (s *Server) mac(payload string) []byte {
	m := hmac.New(sha256.New, s.cfg.SessionKey)
	m.Write([]byte(payload))
	return m.Sum(nil)
}

// open checks value's signature and decodes its payload into v.
func (s *Server) open(value string, v any) error {
	p, sig, ok := strings.Cut(value, ".")
	if !ok {
		return errors.New("malformed")
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac(p)) {
		return errors.New("bad signature")
	}
	b, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		return errors.New("malformed")
	}
	if err := json.Unmarshal(b, v); err != nil {
		return errors.New("malformed")
	}
	return nil
}

func (s *Server) setCookie(w http.ResponseWriter, name, value string, ttl time.Duration) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: int(ttl.Seconds()),
		HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode})
}

func clearCookie(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode})
}

// flow is the sign-in in progress, kept in a signed short-lived cookie:
// the state and nonce sent to Slack, and where to go back to.
type flow struct {
	State string `json:"state"`
	Nonce string `json:"nonce"`
	Next  string `json:"next"`
	Exp   int64  `json:"exp"`
}

const flowTTL = 10 * time.Minute

// oidcClient discovers the provider on first use (a Slack outage at start
// does not stop serve) and keeps it once found.
type oidcClient struct {
	cfg      Config
	mu       sync.Mutex
	provider *oidc.Provider
}

func newOIDCClient(cfg Config) *oidcClient { return &oidcClient{cfg: cfg} }

func (o *oidcClient) ctx(ctx context.Context) context.Context {
	if o.cfg.HTTPClient != nil {
		return oidc.ClientContext(ctx, o.cfg.HTTPClient)
	}
	return ctx
}

func (o *oidcClient) get(ctx context.Context) (*oidc.Provider, oauth2.Config, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.provider == nil {
		p, err := oidc.NewProvider(o.ctx(ctx), o.cfg.Issuer)
		if err != nil {
			return nil, oauth2.Config{}, fmt.Errorf("discovering %s: %w", o.cfg.Issuer, err)
		}
		o.provider = p
	}
	oc := oauth2.Config{
		ClientID: o.cfg.ClientID, ClientSecret: o.cfg.ClientSecret,
		Endpoint:    o.provider.Endpoint(),
		RedirectURL: strings.TrimRight(o.cfg.BaseURL, "/") + CallbackPath,
		Scopes:      []string{oidc.ScopeOpenID, "email", "profile"},
	}
	return o.provider, oc, nil
}

func randomString() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// localPath returns next when it is a path on this site, else "/".
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

// login starts Sign in with Slack: a fresh state and nonce in a signed
// cookie, then Slack's authorize page.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if s.oidc == nil {
		http.Redirect(w, r, localPath(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	_, oc, err := s.oidc.get(r.Context())
	if err != nil {
		s.log.WarnContext(r.Context(), "web: sign-in unavailable", "err", err)
		s.errorPage(w, r, http.StatusServiceUnavailable, "Sign in with Slack is unavailable: Slack could not be reached. Try again in a minute.")
		return
	}
	f := flow{State: randomString(), Nonce: randomString(), Next: localPath(r.URL.Query().Get("next")), Exp: s.cfg.Now().Add(flowTTL).Unix()}
	v, err := s.seal(f)
	if err != nil {
		s.errorPage(w, r, http.StatusInternalServerError, "Could not start the sign-in.")
		return
	}
	s.setCookie(w, flowCookie, v, flowTTL)
	http.Redirect(w, r, oc.AuthCodeURL(f.State, oidc.Nonce(f.Nonce)), http.StatusFound)
}

// slackClaims are the ID token's claims the catalog uses.
type slackClaims struct {
	Sub    string `json:"sub"`
	Email  string `json:"email"`
	Name   string `json:"name"`
	UserID string `json:"https://slack.com/user_id"`
	TeamID string `json:"https://slack.com/team_id"`
}

// callback finishes the sign-in: the state must be the one this browser
// was sent with, the code is exchanged, the ID token verified (signature,
// issuer, audience, expiry) and its nonce matched.
func (s *Server) callback(w http.ResponseWriter, r *http.Request) {
	if s.oidc == nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	q := r.URL.Query()
	c, err := r.Cookie(flowCookie)
	var f flow
	if err != nil || s.open(c.Value, &f) != nil || s.cfg.Now().Unix() >= f.Exp {
		s.errorPage(w, r, http.StatusBadRequest, "This sign-in was not started here, or took too long. Start again.")
		return
	}
	clearCookie(w, flowCookie)
	if e := q.Get("error"); e != "" {
		s.errorPage(w, r, http.StatusForbidden, "Slack did not sign you in ("+e+").")
		return
	}
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(f.State)) != 1 {
		s.errorPage(w, r, http.StatusBadRequest, "The sign-in's state does not match the one this browser started. Start again.")
		return
	}
	provider, oc, err := s.oidc.get(r.Context())
	if err != nil {
		s.errorPage(w, r, http.StatusServiceUnavailable, "Sign in with Slack is unavailable: Slack could not be reached. Try again in a minute.")
		return
	}
	ctx := s.oidc.ctx(r.Context())
	tok, err := oc.Exchange(ctx, q.Get("code"))
	if err != nil {
		s.log.WarnContext(r.Context(), "web: code exchange failed", "err", err)
		s.errorPage(w, r, http.StatusBadGateway, "Slack refused the sign-in's code. Start again.")
		return
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		s.errorPage(w, r, http.StatusBadGateway, "Slack's answer had no ID token.")
		return
	}
	idt, err := provider.VerifierContext(ctx, &oidc.Config{ClientID: s.cfg.ClientID, Now: s.cfg.Now}).Verify(ctx, raw)
	if err != nil {
		s.log.WarnContext(r.Context(), "web: ID token refused", "err", err)
		s.errorPage(w, r, http.StatusForbidden, "Slack's ID token could not be verified.")
		return
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(f.Nonce)) != 1 {
		s.errorPage(w, r, http.StatusForbidden, "The ID token's nonce does not match this sign-in.")
		return
	}
	var cl slackClaims
	if err := idt.Claims(&cl); err != nil {
		s.errorPage(w, r, http.StatusForbidden, "Slack's ID token could not be read.")
		return
	}
	u := User{ID: cl.UserID, Name: cl.Name, Email: cl.Email, Team: cl.TeamID, Exp: s.cfg.Now().Add(s.cfg.SessionTTL).Unix()}
	if u.ID == "" {
		u.ID = cl.Sub
	}
	v, err := s.seal(u)
	if err != nil {
		s.errorPage(w, r, http.StatusInternalServerError, "Could not finish the sign-in.")
		return
	}
	s.setCookie(w, sessionCookie, v, s.cfg.SessionTTL)
	http.Redirect(w, r, localPath(f.Next), http.StatusSeeOther)
}

// logout ends the session. Another site's form cannot sign people out: a
// browser marks such a POST Sec-Fetch-Site: cross-site.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		s.errorPage(w, r, http.StatusForbidden, "Signing out is done from the catalog's own pages.")
		return
	}
	clearCookie(w, sessionCookie)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
