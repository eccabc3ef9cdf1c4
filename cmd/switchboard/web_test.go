package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/bot/fakeslack"
	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/digest"
	"github.com/switchboard-dev/switchboard/sampleorg"
	"github.com/switchboard-dev/switchboard/web"
)

const (
	webTestClientID     = "123.456"
	webTestClientSecret = "web-test-client-secret"
	webTestSessionKey   = "0123456789abcdef0123456789abcdef-web-test"
)

// TestWebConfig: each auth mode's requirements, every problem naming its
// variable and no secret echoed.
func TestWebConfig(t *testing.T) {
	key := strings.Repeat("k", 40)
	tests := []struct {
		name     string
		env      map[string]string
		wantAuth string
		wantErr  []string
	}{
		{"nothing asked: no web catalog", map[string]string{}, "", nil},
		{"none by choice", map[string]string{"WEB_AUTH": "none"}, "none", nil},
		{"proxy", map[string]string{"WEB_AUTH": "proxy", "WEB_AUTH_HEADER": "X-Forwarded-Email"}, "proxy", nil},
		{"proxy without header", map[string]string{"WEB_AUTH": "proxy"}, "proxy", []string{"WEB_AUTH_HEADER"}},
		{"slack", map[string]string{"WEB_AUTH": "slack", "SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "s3cr3t-value", "WEB_SESSION_KEY": key, "WEB_BASE_URL": "https://sb.example.com"}, "slack", nil},
		{"client id alone means slack", map[string]string{"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "s3cr3t-value", "WEB_SESSION_KEY": key, "WEB_BASE_URL": "https://sb.example.com"}, "slack", nil},
		{"slack without app", map[string]string{"WEB_AUTH": "slack", "WEB_SESSION_KEY": key, "WEB_BASE_URL": "https://sb.example.com"}, "slack", []string{"SLACK_CLIENT_ID and SLACK_CLIENT_SECRET", "WEB_AUTH=none"}},
		{"short session key", map[string]string{"WEB_AUTH": "slack", "SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "s3cr3t-value", "WEB_SESSION_KEY": "short-secret-key", "WEB_BASE_URL": "https://sb.example.com"}, "slack", []string{"WEB_SESSION_KEY", "at least 32 bytes"}},
		{"slack without base URL", map[string]string{"WEB_AUTH": "slack", "SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "s3cr3t-value", "WEB_SESSION_KEY": key}, "slack", []string{"WEB_BASE_URL"}},
		{"bad base URL", map[string]string{"WEB_AUTH": "none", "WEB_BASE_URL": "sb.example.com/x"}, "none", []string{"WEB_BASE_URL must be"}},
		{"bad issuer", map[string]string{"WEB_AUTH": "none", "SLACK_OIDC_URL": "ftp://x"}, "none", []string{"SLACK_OIDC_URL"}},
		{"unknown mode", map[string]string{"WEB_AUTH": "open"}, "open", []string{"WEB_AUTH must be slack"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := loadWebConfig(func(k string) string { return tt.env[k] })
			if c.Auth != tt.wantAuth {
				t.Errorf("auth %q, want %q", c.Auth, tt.wantAuth)
			}
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", tt.wantErr)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			for _, secret := range []string{"s3cr3t-value", "short-secret-key", key} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error echoes a secret: %q", err)
				}
			}
		})
	}
	// serve refuses to start (exit 2) on a web configuration error, like
	// the others.
	if _, err := loadServeConfig(envMap{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "0123456789abcdef0123", "WEB_AUTH": "slack"}.get); err == nil || !strings.Contains(err.Error(), "SLACK_CLIENT_ID") {
		t.Fatalf("serve config with WEB_AUTH=slack and no app: %v", err)
	}
}

// recordingMux records the patterns registered on it.
type recordingMux struct {
	*http.ServeMux
	patterns []string
}

func (m *recordingMux) Handle(pattern string, h http.Handler) {
	m.patterns = append(m.patterns, pattern)
	m.ServeMux.Handle(pattern, h)
}

// concretePath is a request path matching pattern ("GET /teams/{name}" ->
// "/teams/x").
func concretePath(pattern string) (method, path string) {
	method, path, _ = strings.Cut(pattern, " ")
	path = strings.ReplaceAll(path, "{$}", "")
	for strings.Contains(path, "{") {
		i := strings.Index(path, "{")
		j := strings.Index(path[i:], "}")
		path = path[:i] + "1" + path[i+j+1:]
	}
	return method, path
}

// TestWebEveryPageNeedsSignIn: with Sign in with Slack, every route the
// web catalog registers, except the sign-in flow's own, redirects a request
// without a session to the sign-in; so does one with a forged, tampered or
// expired cookie. A new page mounted without the sign-in fails here.
func TestWebEveryPageNeedsSignIn(t *testing.T) {
	fake := fakeslack.NewForTest(t, nil, nil)
	srv := testServer(t, envMap{"SLACK_BOT_TOKEN": fakeslack.Token, "SLACK_SIGNING_SECRET": "0123456789abcdef0123456789abcdef", "SLACK_API_URL": fake.APIURL()}, slog.New(slog.DiscardHandler))
	mux, rec := mountForTest(t, srv, envMap{"WEB_AUTH": "slack", "SLACK_CLIENT_ID": webTestClientID, "SLACK_CLIENT_SECRET": webTestClientSecret,
		"WEB_SESSION_KEY": webTestSessionKey, "WEB_BASE_URL": "https://sb.example.com", "SLACK_OIDC_URL": fake.Issuer()})
	public := map[string]bool{}
	for _, p := range web.PublicPatterns {
		public[p] = true
	}
	if len(rec.patterns) < 7 {
		t.Fatalf("only %d routes registered: %v", len(rec.patterns), rec.patterns)
	}
	now := time.Now()
	cookies := map[string]string{
		"none":     "",
		"forged":   sealWith([]byte(strings.Repeat("x", 40)), web.User{ID: "U1", Exp: now.Add(time.Hour).Unix()}),
		"expired":  sealWith([]byte(webTestSessionKey), web.User{ID: "U1", Exp: now.Add(-time.Minute).Unix()}),
		"tampered": tamper(sealWith([]byte(webTestSessionKey), web.User{ID: "U1", Exp: now.Add(time.Hour).Unix()})),
		"garbage":  "not-a-cookie",
	}
	for _, p := range rec.patterns {
		if public[p] {
			continue
		}
		method, path := concretePath(p)
		for name, c := range cookies {
			t.Run(p+"/"+name, func(t *testing.T) {
				req := httptest.NewRequest(method, path, nil)
				req.Header.Set("X-Forwarded-Email", "mallory@example.com") // ignored: not WEB_AUTH=proxy
				if c != "" {
					req.AddCookie(&http.Cookie{Name: "sb_session", Value: c})
				}
				w := httptest.NewRecorder()
				mux.ServeHTTP(w, req)
				if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), web.LoginPath+"?next=") {
					t.Fatalf("%s %s with %s cookie: %d Location %q, want a redirect to the sign-in", method, path, name, w.Code, w.Header().Get("Location"))
				}
				if w.Header().Get("Content-Security-Policy") == "" || w.Header().Get("X-Content-Type-Options") != "nosniff" {
					t.Errorf("security headers missing: %v", w.Header())
				}
			})
		}
	}
	// The same, valid cookie is let in: the refusals above are about the
	// cookie, not the route.
	req := httptest.NewRequest(http.MethodGet, "/coverage", nil)
	req.AddCookie(&http.Cookie{Name: "sb_session", Value: sealWith([]byte(webTestSessionKey), web.User{ID: "U1", Name: "Ada", Exp: now.Add(time.Hour).Unix()})})
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, req)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "Signed in as Ada") {
		t.Fatalf("valid session: %d %.500s", w.Code, w.Body.String())
	}
}

// mountForTest mounts the web catalog with env's configuration over srv's
// store on a recording mux.
func mountForTest(t *testing.T, srv *server, env envMap) (*http.ServeMux, *recordingMux) {
	t.Helper()
	cfg, err := loadWebConfig(env.get)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recordingMux{ServeMux: http.NewServeMux()}
	d := deps{log: slog.New(slog.DiscardHandler), store: srv.store, lookups: srv.store}
	if err := mountWeb(rec, serveConfig{Web: cfg}, d, newRouter(d)); err != nil {
		t.Fatal(err)
	}
	return rec.ServeMux, rec
}

// sealWith makes a session cookie as web does, under key.
func sealWith(key []byte, u web.User) string {
	b, _ := json.Marshal(u)
	p := base64.RawURLEncoding.EncodeToString(b)
	m := hmac.New(sha256.New, key)
	m.Write([]byte(p))
	return p + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// tamper changes the payload of a sealed cookie, keeping its MAC.
func tamper(c string) string {
	p, sig, _ := strings.Cut(c, ".")
	b, _ := base64.RawURLEncoding.DecodeString(p)
	b = []byte(strings.Replace(string(b), `"U1"`, `"U2"`, 1))
	return base64.RawURLEncoding.EncodeToString(b) + "." + sig
}

// TestWebProxyHeader: the identity header is trusted with WEB_AUTH=proxy
// only; without it a page is refused.
func TestWebProxyHeader(t *testing.T) {
	srv := testServer(t, envMap{"SLACK_BOT_TOKEN": fakeslack.Token, "SLACK_SIGNING_SECRET": "0123456789abcdef0123456789abcdef", "SLACK_API_URL": "http://127.0.0.1:1/api/"}, slog.New(slog.DiscardHandler))
	proxy, _ := mountForTest(t, srv, envMap{"WEB_AUTH": "proxy", "WEB_AUTH_HEADER": "X-Forwarded-Email"})
	none, _ := mountForTest(t, srv, envMap{"WEB_AUTH": "none"})
	get := func(h http.Handler, header string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, "/coverage", nil)
		if header != "" {
			req.Header.Set("X-Forwarded-Email", header)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}
	if w := get(proxy, "grace@example.com"); w.Code != 200 || !strings.Contains(w.Body.String(), "Signed in as grace@example.com") {
		t.Errorf("proxy with header: %d %.300s", w.Code, w.Body.String())
	}
	if w := get(proxy, ""); w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), "X-Forwarded-Email") {
		t.Errorf("proxy without header: %d %.300s", w.Code, w.Body.String())
	}
	if w := get(none, "grace@example.com"); w.Code != 200 || strings.Contains(w.Body.String(), "grace@example.com") {
		t.Errorf("none mode took the header as an identity: %d", w.Code)
	}
}

// TestWebSignInWithSlack runs Sign in with Slack against the fake Slack
// through go-oidc and oauth2: the session works; a wrong state, another
// sign-in's code (so a nonce that is not this one's), a replayed code and a
// refusal at Slack are all refused.
func TestWebSignInWithSlack(t *testing.T) {
	var users []fakeslack.User
	for _, p := range sampleorg.People() {
		users = append(users, fakeslack.User{ID: p.SlackUserID, Name: strings.Split(p.Email, "@")[0], RealName: p.Name, Email: p.Email})
	}
	fake := fakeslack.NewForTest(t, users, nil)
	if err := fake.EnableOIDC(webTestClientID, webTestClientSecret, users[0].ID); err != nil {
		t.Fatal(err)
	}
	srv := testServer(t, envMap{"SLACK_BOT_TOKEN": fakeslack.Token, "SLACK_SIGNING_SECRET": "0123456789abcdef0123456789abcdef", "SLACK_API_URL": fake.APIURL()}, slog.New(slog.DiscardHandler))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	mux, _ := mountForTest(t, srv, envMap{"WEB_AUTH": "slack", "SLACK_CLIENT_ID": webTestClientID, "SLACK_CLIENT_SECRET": webTestClientSecret,
		"WEB_SESSION_KEY": webTestSessionKey, "WEB_BASE_URL": base, "SLACK_OIDC_URL": fake.Issuer()})
	hs := &http.Server{Handler: mux}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { _ = hs.Shutdown(context.Background()) })

	// The session cookie is Secure; the test's client sends it over http
	// to 127.0.0.1 as browsers do for localhost.
	newClient := func() (*http.Client, *cookiejar.Jar) {
		jar, _ := cookiejar.New(nil)
		return &http.Client{Jar: jar, Timeout: 10 * time.Second}, jar
	}
	noRedirect := func(c *http.Client) *http.Client {
		cc := *c
		cc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		return &cc
	}
	// authorize starts a sign-in for next and returns the callback URL the
	// fake Slack sends the browser to.
	authorize := func(c *http.Client, next string) *url.URL {
		t.Helper()
		nr := noRedirect(c)
		resp, err := nr.Get(base + web.LoginPath + "?next=" + url.QueryEscape(next))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusFound {
			t.Fatalf("login: %d", resp.StatusCode)
		}
		fixSecureCookies(c.Jar, base, resp)
		resp, err = nr.Get(resp.Header.Get("Location"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		cb, err := url.Parse(resp.Header.Get("Location"))
		if err != nil || cb.Query().Get("code") == "" {
			t.Fatalf("authorize: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		return cb
	}
	finish := func(c *http.Client, cb *url.URL) (int, string, string) {
		t.Helper()
		resp, err := noRedirect(c).Get(cb.String())
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fixSecureCookies(c.Jar, base, resp)
		return resp.StatusCode, resp.Header.Get("Location"), string(body)
	}

	t.Run("signs in", func(t *testing.T) {
		c, _ := newClient()
		cb := authorize(c, "/coverage")
		code, loc, body := finish(c, cb)
		if code != http.StatusSeeOther || loc != "/coverage" {
			t.Fatalf("callback: %d %q %s", code, loc, body)
		}
		resp, err := c.Get(base + loc)
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(page), "Signed in as "+users[0].RealName) {
			t.Fatalf("after sign-in: %d %.500s", resp.StatusCode, page)
		}
		// The code is good once.
		if code, _, _ := finish(c, cb); code == http.StatusSeeOther {
			t.Fatal("a replayed code signed in again")
		}
	})
	t.Run("wrong state", func(t *testing.T) {
		c, _ := newClient()
		cb := authorize(c, "/")
		q := cb.Query()
		q.Set("state", "forged-state")
		cb.RawQuery = q.Encode()
		if code, _, body := finish(c, cb); code != http.StatusBadRequest || !strings.Contains(body, "state does not match") {
			t.Fatalf("forged state: %d %.300s", code, body)
		}
	})
	t.Run("another sign-in's code", func(t *testing.T) {
		victim, _ := newClient()
		cbVictim := authorize(victim, "/")
		attacker, _ := newClient()
		cbAttacker := authorize(attacker, "/")
		// The attacker's browser is sent back with the victim's code and
		// its own state: the ID token's nonce is the victim's.
		q := cbAttacker.Query()
		q.Set("code", cbVictim.Query().Get("code"))
		cbAttacker.RawQuery = q.Encode()
		if code, _, body := finish(attacker, cbAttacker); code != http.StatusForbidden || !strings.Contains(body, "nonce") {
			t.Fatalf("mixed-up code: %d %.300s", code, body)
		}
	})
	t.Run("no sign-in started", func(t *testing.T) {
		c, _ := newClient()
		cb := authorize(c, "/")
		fresh, _ := newClient()
		if code, _, _ := finish(fresh, cb); code != http.StatusBadRequest {
			t.Fatalf("callback without the flow cookie: %d", code)
		}
	})
	t.Run("Slack refuses", func(t *testing.T) {
		fake.SignInAs("U-NOBODY")
		defer fake.SignInAs(users[0].ID)
		c, _ := newClient()
		nr := noRedirect(c)
		resp, err := nr.Get(base + web.LoginPath)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		fixSecureCookies(c.Jar, base, resp)
		resp, err = nr.Get(resp.Header.Get("Location"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		cb, _ := url.Parse(resp.Header.Get("Location"))
		if code, _, body := finish(c, cb); code != http.StatusForbidden || !strings.Contains(body, "access_denied") {
			t.Fatalf("refused at Slack: %d %.300s", code, body)
		}
	})
}

// fixSecureCookies stores resp's Secure cookies for base even over http
// (Go's jar, unlike browsers, does not treat 127.0.0.1 as secure).
func fixSecureCookies(jar http.CookieJar, base string, resp *http.Response) {
	u, _ := url.Parse(base)
	var cs []*http.Cookie
	for _, c := range resp.Cookies() {
		c2 := *c
		c2.Secure = false
		cs = append(cs, &c2)
	}
	jar.SetCookies(u, cs)
}

// TestWebPagesOverStore: with WEB_AUTH=none, the coverage page shows the
// days the coverage job recorded, a campaign's page its status and burn-down
// as SVG, unknown services, teams and campaigns are 404 with a sentence,
// and a database that is down is said as such.
func TestWebPagesOverStore(t *testing.T) {
	srv := testServer(t, envMap{"SLACK_BOT_TOKEN": fakeslack.Token, "SLACK_SIGNING_SECRET": "0123456789abcdef0123456789abcdef", "SLACK_API_URL": "http://127.0.0.1:1/api/"}, slog.New(slog.DiscardHandler))
	ctx := context.Background()
	store := srv.store
	// The coverage job, as River runs it.
	job := &coverageWorker{digests: digest.Source{Store: store}, store: store, log: slog.New(slog.DiscardHandler)}
	if err := store.RecordCoverageDay(ctx, time.Now().AddDate(0, 0, -3), catalog.Coverage{Active: 7, Catalogued: 3, NoDescriptor: 4}); err != nil {
		t.Fatal(err)
	}
	if err := job.Work(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if hist, err := store.CoverageHistory(ctx, time.Now().AddDate(0, 0, -1)); err != nil || len(hist) != 1 {
		t.Fatalf("the job recorded no day: %v %+v", err, hist)
	}
	team, err := store.PutTeam(ctx, catalog.Team{Name: "payments"})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := store.PutService(ctx, catalog.Service{Name: "checkout-api", Team: team.Name, Source: catalog.SourceImport, Description: "Takes <b>orders</b>"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := store.CreateCampaign(ctx, catalog.Campaign{Name: "ci", Title: "CI everywhere",
		Condition: catalog.CampaignCondition{Kind: catalog.ConditionFile, FileGlob: ".gitlab-ci.yml"}, Deadline: time.Now().Add(72 * time.Hour)},
		[]catalog.CampaignService{{Service: svc, Status: catalog.CampaignOpen}})
	if err != nil {
		t.Fatal(err)
	}
	mux, _ := mountForTest(t, srv, envMap{"WEB_AUTH": "none"})
	get := func(path string) (int, string) {
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		return w.Code, w.Body.String()
	}
	tests := []struct {
		path string
		code int
		want []string
	}{
		{"/coverage", 200, []string{"<svg", `<title id="coverage-chart-t">`, time.Now().AddDate(0, 0, -3).UTC().Format(time.DateOnly), "<th scope=\"row\">now</th>"}},
		{"/campaigns", 200, []string{`href="/campaigns/` + fmt.Sprint(c.ID) + `"`, "CI everywhere"}},
		{"/campaigns/" + fmt.Sprint(c.ID), 200, []string{"CI everywhere", `<title id="burndown-t">`, "Services left each day"}},
		{"/services/default/checkout-api", 200, []string{"Takes &lt;b&gt;orders&lt;/b&gt;", `href="/teams/payments"`, "No known dependents."}},
		{"/teams/payments", 200, []string{"Team payments", `href="/services/default/checkout-api"`}},
		{"/services/default/nothing-here", 404, []string{"There is no service default/nothing-here"}},
		{"/teams/nobody", 404, []string{"There is no team nobody"}},
		{"/campaigns/999999", 404, []string{"There is no campaign 999999"}},
		{"/campaigns/x", 404, []string{"ends with its number"}},
		{"/search?q=orders&partial=1", 200, []string{`href="/services/default/checkout-api"`}},
	}
	for _, tt := range tests {
		code, body := get(tt.path)
		if code != tt.code {
			t.Errorf("%s: %d, want %d\n%.500s", tt.path, code, tt.code, body)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s lacks %q", tt.path, w)
			}
		}
	}
	// The database down: a sentence saying so, not a stack.
	srv.store.Pool().Close()
	if code, body := get("/teams/payments"); code != http.StatusServiceUnavailable || !strings.Contains(body, "could not be read") {
		t.Errorf("database closed: %d %.300s", code, body)
	}
}
