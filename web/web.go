// Package web is Switchboard's read-only web catalog: server-rendered HTML
// pages (search, service, team, coverage, campaigns) over the same catalog
// reads and slash-command answers as Slack, behind a sign-in (Sign in with
// Slack, a trusted SSO proxy header, or none when explicitly configured).
//
// Pages work without JavaScript; the search page's one small script (with a
// CSP nonce) only fetches results as the user types. Charts are SVG drawn by
// package charts from the same data as the Slack charts.
package web

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
	"github.com/switchboard-dev/switchboard/weblinks"
)

// Dispatcher runs a slash command and returns its answer
// (*commands.Router): the service, team and campaign pages show the very
// answers Slack shows.
type Dispatcher interface {
	Dispatch(ctx context.Context, req commands.Request) (commands.Response, error)
}

// Catalog is what the pages read of the catalog (*catalog.Store, with the
// digest read through digest.Source so the standards' ignore rules apply).
type Catalog interface {
	FindService(ctx context.Context, query string) (catalog.Lookup, error)
	Profile(ctx context.Context, id int64) (catalog.Profile, error)
	RepoDetails(ctx context.Context, serviceID int64, depLimit int) ([]catalog.RepoDetail, error)
	FindTeam(ctx context.Context, name string) (catalog.Team, error)
	TeamServiceRefs(ctx context.Context, teamID int64, limit int) ([]catalog.ServiceRef, int, error)
	Campaigns(ctx context.Context, open bool) ([]catalog.CampaignProgress, error)
	// CoverageHistory is the coverage recorded each day since since,
	// oldest first.
	CoverageHistory(ctx context.Context, since time.Time) ([]catalog.CoverageDay, error)
}

// DigestReader reads the digest's coverage (digest.Source).
type DigestReader interface {
	Digest(ctx context.Context, opts catalog.DigestOptions) (*catalog.Digest, error)
}

// Searcher is the catalog's full-text search (*catalog.Store).
type Searcher interface {
	Search(ctx context.Context, query string, limit int) ([]catalog.SearchHit, error)
}

// Graph is the service graph (*catalog.Cache from memory, or
// *catalog.Store), the one /blast reads: what depends on a service,
// summarised with a page of them, and what it depends on directly, each
// edge saying where it comes from. Optional.
type Graph interface {
	Radius(ctx context.Context, serviceID int64, offset, limit int) (catalog.Radius, error)
	Dependencies(ctx context.Context, serviceID int64) ([]catalog.ServiceDependency, error)
}

// Sources are what the pages are built from.
type Sources struct {
	Commands Dispatcher
	Catalog  Catalog
	Digest   DigestReader
	Search   Searcher
	// Graph is the service graph; nil: the service page says the graph
	// is not available.
	Graph Graph
}

// Auth modes (WEB_AUTH).
const (
	AuthSlack = "slack"
	AuthProxy = "proxy"
	AuthNone  = "none"
)

// Config is the web catalog's configuration.
type Config struct {
	// Auth is AuthSlack, AuthProxy or AuthNone.
	Auth string
	// Header carries the signed-in user's identity (email) with AuthProxy.
	Header string
	// BaseURL is the catalog's external address; the OIDC redirect URL is
	// BaseURL + "/auth/callback".
	BaseURL string
	// SessionKey signs session cookies (at least 32 bytes) with AuthSlack.
	SessionKey []byte
	// ClientID and ClientSecret are the Slack app's (Basic Information >
	// App Credentials).
	ClientID, ClientSecret string
	// Issuer is the OpenID Connect issuer, https://slack.com unless a fake
	// Slack stands in.
	Issuer string
	// SessionTTL is how long a sign-in lasts; 12 hours when zero.
	SessionTTL time.Duration
	// HTTPClient is used for the OIDC calls; http.DefaultClient when nil.
	HTTPClient *http.Client
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	Log *slog.Logger
}

// DefaultIssuer is Slack's OpenID Connect issuer.
const DefaultIssuer = "https://slack.com"

//go:embed templates/*.html
var templateFS embed.FS

// Server serves the web catalog.
type Server struct {
	cfg   Config
	src   Sources
	pages map[string]*template.Template
	oidc  *oidcClient
	log   *slog.Logger
	// coverage is the coverage page's digest, reused for coverageTTL.
	coverageMemo coverageMemo
}

// New checks cfg and returns the web catalog's server.
func New(cfg Config, src Sources) (*Server, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	if cfg.Issuer == "" {
		cfg.Issuer = DefaultIssuer
	}
	s := &Server{cfg: cfg, src: src, log: cfg.Log}
	switch cfg.Auth {
	case AuthNone:
	case AuthProxy:
		if strings.TrimSpace(cfg.Header) == "" {
			return nil, errors.New("web: WEB_AUTH=proxy needs WEB_AUTH_HEADER, the header the proxy sets")
		}
	case AuthSlack:
		if len(cfg.SessionKey) < 32 {
			return nil, errors.New("web: the session key must be at least 32 bytes")
		}
		if cfg.ClientID == "" || cfg.ClientSecret == "" || cfg.BaseURL == "" {
			return nil, errors.New("web: Sign in with Slack needs the client id, client secret and base URL")
		}
		s.oidc = newOIDCClient(cfg)
	default:
		return nil, fmt.Errorf("web: unknown auth mode %q", cfg.Auth)
	}
	if src.Catalog == nil || src.Commands == nil || src.Digest == nil {
		return nil, errors.New("web: catalog, commands and digest are required")
	}
	pages, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	s.pages = pages
	return s, nil
}

// Registrar is where routes are registered (*http.ServeMux).
type Registrar interface {
	Handle(pattern string, h http.Handler)
}

// Public routes: those reachable without a session (the sign-in flow).
const (
	LoginPath    = "/auth/login"
	CallbackPath = "/auth/callback"
	LogoutPath   = "/auth/logout"
)

// PublicPatterns are the patterns Mount registers that need no session.
var PublicPatterns = []string{"GET " + LoginPath, "GET " + CallbackPath, "POST " + LogoutPath}

// Mount registers every page on mux: the pages behind the sign-in, the
// sign-in flow's own routes in the open.
func (s *Server) Mount(mux Registrar) {
	pages := []struct {
		pattern string
		h       func(w http.ResponseWriter, r *http.Request, u User)
	}{
		{"GET /{$}", s.home},
		{weblinks.SearchPattern, s.search},
		{weblinks.ServicePattern, s.service},
		{weblinks.TeamPattern, s.team},
		{"GET /coverage", s.coverage},
		{"GET /campaigns", s.campaigns},
		{weblinks.CampaignPattern, s.campaign},
	}
	for _, p := range pages {
		mux.Handle(p.pattern, s.headers(s.signedIn(p.h)))
	}
	mux.Handle("GET "+LoginPath, s.headers(http.HandlerFunc(s.login)))
	mux.Handle("GET "+CallbackPath, s.headers(http.HandlerFunc(s.callback)))
	mux.Handle("POST "+LogoutPath, s.headers(http.HandlerFunc(s.logout)))
}

type nonceKey struct{}

// headers sets the security headers of every response, with a fresh nonce
// for the page's script.
func (s *Server) headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b [16]byte
		_, _ = rand.Read(b[:])
		nonce := base64.RawStdEncoding.EncodeToString(b[:])
		h := w.Header()
		// Styles may be inline (the pages' one <style> and the SVG charts'
		// style attributes); scripts only with the response's nonce.
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'nonce-"+nonce+"'; style-src 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), nonceKey{}, nonce)))
	})
}

func nonceOf(r *http.Request) string {
	n, _ := r.Context().Value(nonceKey{}).(string)
	return n
}
