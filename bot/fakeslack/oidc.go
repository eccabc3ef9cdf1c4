package fakeslack

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// TeamID is the fake workspace's id, in Sign in with Slack's claims.
const TeamID = "T0FAKE000"

// Paths of Sign in with Slack (OpenID Connect) as Slack serves them.
const (
	oidcDiscoveryPath = "/.well-known/openid-configuration"
	oidcAuthorizePath = "/openid/connect/authorize"
	oidcKeysPath      = "/openid/connect/keys"
	oidcTokenPath     = "/api/openid.connect.token"
	oidcUserInfoPath  = "/api/openid.connect.userInfo"
)

// oidcState is the fake's Sign in with Slack: one app (client id and
// secret), the user the authorize page signs in without asking, the
// signing key and the codes and tokens it issued.
type oidcState struct {
	mu           sync.Mutex
	clientID     string
	clientSecret string
	signInAs     string
	key          *rsa.PrivateKey
	keyID        string
	codes        map[string]oidcCode
	tokens       map[string]string // access token -> user id
	// ttl is the ID token's lifetime.
	ttl time.Duration
	now func() time.Time
}

type oidcCode struct {
	user, nonce, redirect string
	expires               time.Time
}

// EnableOIDC turns on the fake's Sign in with Slack for the app with
// clientID and clientSecret; the authorize page signs in as userID (a
// member given to New) with no consent screen. Call it before use.
func (s *Server) EnableOIDC(clientID, clientSecret, userID string) error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.oidc = &oidcState{clientID: clientID, clientSecret: clientSecret, signInAs: userID, key: key, keyID: "fake-" + randomToken(6),
		codes: map[string]oidcCode{}, tokens: map[string]string{}, ttl: time.Hour, now: time.Now}
	return nil
}

// SignInAs changes who the authorize page signs in.
func (s *Server) SignInAs(userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.oidc != nil {
		s.oidc.mu.Lock()
		s.oidc.signInAs = userID
		s.oidc.mu.Unlock()
	}
}

// Issuer is the fake's OpenID Connect issuer (Slack's is
// https://slack.com): its discovery document is under
// Issuer()+"/.well-known/openid-configuration".
func (s *Server) Issuer() string { return s.srv.URL }

func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// serveOIDC answers Sign in with Slack's endpoints; false when the path is
// not one of them (or OIDC is not enabled).
func (s *Server) serveOIDC(w http.ResponseWriter, r *http.Request) bool {
	s.mu.Lock()
	o := s.oidc
	s.mu.Unlock()
	if o == nil {
		return false
	}
	switch r.URL.Path {
	case oidcDiscoveryPath:
		base := s.Issuer()
		writeJSON(w, map[string]any{
			"issuer":                                base,
			"authorization_endpoint":                base + oidcAuthorizePath,
			"token_endpoint":                        base + oidcTokenPath,
			"userinfo_endpoint":                     base + oidcUserInfoPath,
			"jwks_uri":                              base + oidcKeysPath,
			"scopes_supported":                      []string{"openid", "profile", "email"},
			"response_types_supported":              []string{"code"},
			"response_modes_supported":              []string{"query"},
			"grant_types_supported":                 []string{"authorization_code"},
			"subject_types_supported":               []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256"},
			"claims_supported":                      []string{"sub", "auth_time", "iss"},
			"token_endpoint_auth_methods_supported": []string{"client_secret_post", "client_secret_basic"},
		})
	case oidcKeysPath:
		writeJSON(w, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &o.key.PublicKey, KeyID: o.keyID, Algorithm: "RS256", Use: "sig"}}})
	case oidcAuthorizePath:
		s.oidcAuthorize(o, w, r)
	case oidcTokenPath:
		s.record(Call{Method: "openid.connect.token", At: time.Now()})
		s.oidcToken(o, w, r)
	case oidcUserInfoPath:
		s.record(Call{Method: "openid.connect.userInfo", At: time.Now()})
		s.oidcUserInfo(o, w, r)
	default:
		return false
	}
	return true
}

// oidcAuthorize checks the request as Slack does and, consenting for the
// chosen user, redirects back with a code and the state.
func (s *Server) oidcAuthorize(o *oidcState, w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirect := q.Get("redirect_uri")
	u, err := url.Parse(redirect)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		http.Error(w, "bad redirect_uri", http.StatusBadRequest)
		return
	}
	back := func(params url.Values) {
		if st := q.Get("state"); st != "" {
			params.Set("state", st)
		}
		u.RawQuery = params.Encode()
		http.Redirect(w, r, u.String(), http.StatusFound)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	switch {
	case q.Get("client_id") != o.clientID:
		back(url.Values{"error": {"invalid_client_id"}})
	case q.Get("response_type") != "code":
		back(url.Values{"error": {"unsupported_response_type"}})
	case !strings.Contains(" "+q.Get("scope")+" ", " openid "):
		back(url.Values{"error": {"invalid_scope"}})
	default:
		if _, ok := s.users[o.signInAs]; !ok {
			back(url.Values{"error": {"access_denied"}})
			return
		}
		code := randomToken(24)
		o.codes[code] = oidcCode{user: o.signInAs, nonce: q.Get("nonce"), redirect: redirect, expires: o.now().Add(10 * time.Minute)}
		back(url.Values{"code": {code}})
	}
}

// oidcToken is openid.connect.token: a code for an access token and an
// ID token signed RS256 with the nonce, in Slack's response shape. Errors
// are Slack's: HTTP 200 with ok false.
func (s *Server) oidcToken(o *oidcState, w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeJSON(w, map[string]any{"ok": false, "error": "invalid_form_data"})
		return
	}
	id, secret, basic := r.BasicAuth()
	if !basic {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if id != o.clientID {
		writeJSON(w, map[string]any{"ok": false, "error": "invalid_client_id"})
		return
	}
	if secret != o.clientSecret {
		writeJSON(w, map[string]any{"ok": false, "error": "bad_client_secret"})
		return
	}
	code := r.PostForm.Get("code")
	c, ok := o.codes[code]
	delete(o.codes, code) // a code is good once
	if !ok || o.now().After(c.expires) {
		writeJSON(w, map[string]any{"ok": false, "error": "invalid_code"})
		return
	}
	if r.PostForm.Get("redirect_uri") != c.redirect {
		writeJSON(w, map[string]any{"ok": false, "error": "bad_redirect_uri"})
		return
	}
	s.mu.Lock()
	user := s.users[c.user]
	s.mu.Unlock()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: o.key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", o.keyID))
	if err != nil {
		writeJSON(w, map[string]any{"ok": false, "error": "internal_error"})
		return
	}
	now := o.now()
	claims := userClaims(user)
	claims["iss"] = s.Issuer()
	claims["aud"] = o.clientID
	claims["exp"] = now.Add(o.ttl).Unix()
	claims["iat"] = now.Unix()
	claims["auth_time"] = now.Unix()
	if c.nonce != "" {
		claims["nonce"] = c.nonce
	}
	idToken, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		writeJSON(w, map[string]any{"ok": false, "error": "internal_error"})
		return
	}
	access := "xoxp-fake-" + randomToken(12)
	o.tokens[access] = user.ID
	writeJSON(w, map[string]any{"ok": true, "access_token": access, "token_type": "Bearer", "id_token": idToken})
}

// oidcUserInfo is openid.connect.userInfo for a token openid.connect.token
// gave.
func (s *Server) oidcUserInfo(o *oidcState, w http.ResponseWriter, r *http.Request) {
	token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if token == "" {
		_ = r.ParseForm()
		token = r.Form.Get("token")
	}
	o.mu.Lock()
	id, ok := o.tokens[token]
	o.mu.Unlock()
	if !ok {
		writeJSON(w, map[string]any{"ok": false, "error": "invalid_auth"})
		return
	}
	s.mu.Lock()
	user := s.users[id]
	s.mu.Unlock()
	resp := userClaims(user)
	resp["ok"] = true
	writeJSON(w, resp)
}

// userClaims are Sign in with Slack's claims about u.
func userClaims(u User) map[string]any {
	name := u.RealName
	if name == "" {
		name = u.Name
	}
	return map[string]any{
		"sub":                           u.ID,
		"https://slack.com/user_id":     u.ID,
		"https://slack.com/team_id":     TeamID,
		"https://slack.com/team_name":   "Fake Workspace",
		"https://slack.com/team_domain": "fake",
		"email":                         u.Email,
		"email_verified":                true,
		"name":                          name,
		"given_name":                    name,
		"locale":                        "en-US",
	}
}
