package main

import "net/http"

// webConfig is the web catalog's configuration (issue 15 fills it in).
type webConfig struct {
	// BaseURL is the catalog's public address (WEB_BASE_URL), e.g.
	// https://switchboard.example.com; Slack answers link to pages under it.
	// Empty: no links.
	BaseURL string
}

// loadWebConfig reads the web catalog's configuration from the environment.
func loadWebConfig(getenv func(string) string) (webConfig, error) {
	return webConfig{BaseURL: getenv("WEB_BASE_URL")}, nil
}

// mountWeb adds the web catalog's routes to mux.
func mountWeb(mux *http.ServeMux, cfg serveConfig, d deps) error {
	return nil
}
