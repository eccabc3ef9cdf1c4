package main

import (
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/switchboard-dev/switchboard/api"
	"github.com/switchboard-dev/switchboard/commands"
	"github.com/switchboard-dev/switchboard/digest"
	"github.com/switchboard-dev/switchboard/mcpserver"
)

// Environment variables of the API.
const (
	envAPIRate  = "SWITCHBOARD_API_RATE"
	envAPIBurst = "SWITCHBOARD_API_BURST"
)

// apiConfig is the JSON API's and MCP server's configuration.
type apiConfig struct {
	// Rate and Burst are each API token's limit on one replica: requests
	// a second, and the burst allowed (api.DefaultRate, DefaultBurst).
	Rate  float64
	Burst int
}

// loadAPIConfig reads the API's configuration from the environment.
func loadAPIConfig(getenv func(string) string) (apiConfig, error) {
	c := apiConfig{Rate: api.DefaultRate, Burst: api.DefaultBurst}
	var errs []error
	if v := strings.TrimSpace(getenv(envAPIRate)); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f <= 0 {
			errs = append(errs, fmt.Errorf("%s must be a number of requests a second above 0, such as 20 or 0.5; got %q", envAPIRate, v))
		}
		c.Rate = f
	}
	if v := strings.TrimSpace(getenv(envAPIBurst)); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			errs = append(errs, fmt.Errorf("%s must be a whole number of requests of 1 or more, such as 40; got %q", envAPIBurst, v))
		}
		c.Burst = n
	}
	return c, errors.Join(errs...)
}

// apiReader is the API's and the MCP server's reader over the same parts
// the slash commands are built from (newRouter).
func apiReader(d deps) *api.Reader {
	r := &api.Reader{Services: d.lookups, OnCall: onCallLookup(d), Scorecards: scorecards(d), Incidents: incidentCounts(d), Links: d.links}
	if d.store != nil {
		r.Catalog = d.store
		r.ImpactConfig = impactConfig(d)
		r.Digest = digest.Source{Store: d.store, Standards: d.standards}
		// /blast's and /changes' sources (newRouter, changesConfig).
		r.Graph, r.History = d.store, d.store
	}
	if g, ok := d.lookups.(commands.ServiceGraph); ok {
		r.Graph = g
	}
	return r
}

// buildVersion is the binary's module version, for the MCP server's
// implementation info.
func buildVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "dev"
}

// newAPI is the JSON API with the MCP server at /mcp (streamable HTTP,
// stateless: any replica answers any request, so no session stickiness is
// needed behind a load balancer), and its token cache, which checks every
// request in the database until its Run listens for revocations.
func newAPI(cfg serveConfig, d deps) (*api.Server, *api.TokenCache) {
	reader := apiReader(d)
	srv := mcpserver.New(reader, buildVersion())
	// The SDK's DNS-rebinding protection refuses requests reaching a
	// loopback address under another Host, which is how a sidecar proxy
	// forwards them; /mcp needs a bearer token, which a rebound page
	// cannot have, so it is off.
	mcpHandler := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv },
		&mcp.StreamableHTTPOptions{Stateless: true, JSONResponse: true, Logger: d.log, DisableLocalhostProtection: true})
	tokens := api.NewTokenCache(d.store, d.store)
	tokens.Log = d.log
	return api.New(api.Config{Reader: reader, Tokens: tokens, Rate: cfg.API.Rate, Burst: cfg.API.Burst, MCP: mcpHandler, Log: d.log}), tokens
}

// mountAPI adds /api/v1/ and /mcp to mux and returns the API's token
// cache, for serve to run. Without a store (no database) there is no API
// (and a nil cache).
func mountAPI(mux *http.ServeMux, cfg serveConfig, d deps) (*api.TokenCache, error) {
	if d.store == nil {
		return nil, nil
	}
	a, tokens := newAPI(cfg, d)
	a.Mount(mux)
	return tokens, nil
}
