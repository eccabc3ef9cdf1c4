package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
	"github.com/switchboard-dev/switchboard/digest"
	"github.com/switchboard-dev/switchboard/web"
)

// webConfig is the web catalog's configuration (docs/web.md).
type webConfig struct {
	// BaseURL is the catalog's public address (WEB_BASE_URL), e.g.
	// https://switchboard.example.com; Slack answers link to pages under it.
	// Empty: no links.
	BaseURL string
	// Auth is WEB_AUTH: slack, proxy or none; "" when WEB_AUTH is unset
	// and Sign in with Slack is not configured: the web catalog is then
	// not served at all (never open by default).
	Auth string
	// Header is WEB_AUTH_HEADER, the SSO proxy's identity header.
	Header string
	// ClientID and ClientSecret are SLACK_CLIENT_ID and SLACK_CLIENT_SECRET.
	ClientID, ClientSecret string
	// SessionKey is WEB_SESSION_KEY.
	SessionKey string
	// Issuer is SLACK_OIDC_URL, https://slack.com by default.
	Issuer string
}

// minSessionKey is the shortest WEB_SESSION_KEY accepted.
const minSessionKey = 32

// loadWebConfig reads the web catalog's configuration from the environment.
// Every problem names its variable; no secret is echoed.
func loadWebConfig(getenv func(string) string) (webConfig, error) {
	c := webConfig{
		BaseURL:      strings.TrimRight(strings.TrimSpace(getenv("WEB_BASE_URL")), "/"),
		Auth:         strings.ToLower(strings.TrimSpace(getenv("WEB_AUTH"))),
		Header:       strings.TrimSpace(getenv("WEB_AUTH_HEADER")),
		ClientID:     strings.TrimSpace(getenv("SLACK_CLIENT_ID")),
		ClientSecret: strings.TrimSpace(getenv("SLACK_CLIENT_SECRET")),
		SessionKey:   getenv("WEB_SESSION_KEY"),
		Issuer:       strings.TrimRight(strings.TrimSpace(getenv("SLACK_OIDC_URL")), "/"),
	}
	var errs []error
	if c.BaseURL != "" {
		if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			errs = append(errs, errors.New("WEB_BASE_URL must be the catalog's http(s) address with no path, like https://switchboard.example.com"))
		}
	}
	if c.Issuer != "" {
		if u, err := url.Parse(c.Issuer); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, errors.New("SLACK_OIDC_URL must be an http(s) URL, the OpenID Connect issuer (https://slack.com unless a fake Slack stands in)"))
		}
	}
	if c.Auth == "" && (c.ClientID != "" || c.ClientSecret != "") {
		c.Auth = web.AuthSlack
	}
	switch c.Auth {
	case "":
		// No web catalog: nothing asked for one.
	case web.AuthNone:
	case web.AuthProxy:
		if c.Header == "" {
			errs = append(errs, errors.New("WEB_AUTH=proxy needs WEB_AUTH_HEADER: the header your SSO proxy sets to the signed-in user's email, like X-Forwarded-Email"))
		}
	case web.AuthSlack:
		if c.ClientID == "" || c.ClientSecret == "" {
			errs = append(errs, errors.New("WEB_AUTH=slack (Sign in with Slack) needs SLACK_CLIENT_ID and SLACK_CLIENT_SECRET from the Slack app's Basic Information > App Credentials; or set WEB_AUTH=proxy with WEB_AUTH_HEADER, or WEB_AUTH=none to serve the catalog without sign-in"))
		}
		if len(c.SessionKey) < minSessionKey {
			errs = append(errs, fmt.Errorf("WEB_SESSION_KEY must be set to a random secret of at least %d bytes (the same on every replica; e.g. openssl rand -base64 48)", minSessionKey))
		}
		if c.BaseURL == "" {
			errs = append(errs, errors.New("WEB_AUTH=slack needs WEB_BASE_URL, the catalog's public address: Slack sends users back to WEB_BASE_URL/auth/callback"))
		}
	default:
		errs = append(errs, errors.New("WEB_AUTH must be slack (Sign in with Slack), proxy (an SSO proxy's header) or none (no sign-in)"))
	}
	return c, errors.Join(errs...)
}

// webCatalog is the catalog as the web pages read it: lookups through the
// commands' cache, the rest from the store.
type webCatalog struct {
	*catalog.Store
	lookups commands.ServiceCatalog
}

func (c webCatalog) FindService(ctx context.Context, q string) (catalog.Lookup, error) {
	return c.lookups.FindService(ctx, q)
}

func (c webCatalog) Profile(ctx context.Context, id int64) (catalog.Profile, error) {
	return c.lookups.Profile(ctx, id)
}

// mountWeb adds the web catalog's routes to mux (serve's *http.ServeMux;
// tests record the routes), its pages answering with the same commands as
// Slack (router). Nothing is mounted when no WEB_AUTH was chosen.
func mountWeb(mux web.Registrar, cfg serveConfig, d deps, router *commands.Router) error {
	if cfg.Web.Auth == "" || d.store == nil {
		return nil
	}
	lookups := d.lookups
	if lookups == nil {
		lookups = d.store
	}
	// The service graph /blast reads: from memory with a catalog.Cache,
	// else the store.
	var graph web.Graph = d.store
	if g, ok := lookups.(web.Graph); ok {
		graph = g
	}
	w, err := web.New(web.Config{
		Auth: cfg.Web.Auth, Header: cfg.Web.Header, BaseURL: cfg.Web.BaseURL,
		SessionKey: []byte(cfg.Web.SessionKey), ClientID: cfg.Web.ClientID, ClientSecret: cfg.Web.ClientSecret,
		Issuer: cfg.Web.Issuer, Log: d.log,
	}, web.Sources{
		Commands: router,
		Catalog:  webCatalog{Store: d.store, lookups: lookups},
		Digest:   digest.Source{Store: d.store, Standards: d.standards},
		Search:   d.store,
		Graph:    graph,
	})
	if err != nil {
		return err
	}
	w.Mount(mux)
	return nil
}
