package main

import "net/http"

// apiConfig is the JSON API's and MCP server's configuration (issue 17
// fills it in).
type apiConfig struct{}

// loadAPIConfig reads the API's configuration from the environment.
func loadAPIConfig(getenv func(string) string) (apiConfig, error) {
	return apiConfig{}, nil
}

// mountAPI adds /api/v1/ and /mcp to mux.
func mountAPI(mux *http.ServeMux, cfg serveConfig, d deps) error {
	return nil
}
