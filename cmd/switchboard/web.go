package main

import "net/http"

// webConfig is the web catalog's configuration (issue 15 fills it in).
type webConfig struct{}

// loadWebConfig reads the web catalog's configuration from the environment.
func loadWebConfig(getenv func(string) string) (webConfig, error) {
	return webConfig{}, nil
}

// mountWeb adds the web catalog's routes to mux.
func mountWeb(mux *http.ServeMux, cfg serveConfig, d deps) error {
	return nil
}
