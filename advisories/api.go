package advisories

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultAPIURL is the OSV API's base URL.
const DefaultAPIURL = "https://api.osv.dev"

// EnvAPIURL names the environment variable that overrides DefaultAPIURL
// (the tests and the demo point it at advisories/fakeosv).
const EnvAPIURL = "OSV_API_URL"

// maxResponse bounds one API response.
const maxResponse = 64 << 20

// Client is a client of the OSV API v1 (https://google.github.io/osv.dev/api/):
// GET /v1/vulns/{id}.
type Client struct {
	baseURL string
	http    *http.Client
}

// NewClient returns a client of the OSV API at baseURL (DefaultAPIURL when
// empty), over hc (a client with a 30-second timeout when nil).
func NewClient(baseURL string, hc *http.Client) (*Client, error) {
	if baseURL == "" {
		baseURL = DefaultAPIURL
	}
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%s: want an http(s) URL such as %s, got %q", EnvAPIURL, DefaultAPIURL, baseURL)
	}
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	return &Client{baseURL: strings.TrimRight(baseURL, "/"), http: hc}, nil
}

// APIError is an answer of the OSV API other than 200 (and other than 404
// for a vulnerability, which is ErrNotFound).
type APIError struct {
	// Status is the HTTP status code.
	Status int
	// Code and Message are the API's error body ({"code":3,"message":...}),
	// when it has one.
	Code    int
	Message string
}

// Error says what the API answered.
func (e *APIError) Error() string {
	if e.Message != "" {
		return fmt.Sprintf("OSV API: HTTP %d: %s", e.Status, e.Message)
	}
	return fmt.Sprintf("OSV API: HTTP %d", e.Status)
}

// Vuln returns the record with this id (GET /v1/vulns/{id}). Returns
// ErrNotFound when the API has none.
func (c *Client) Vuln(ctx context.Context, id string) (*Record, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.baseURL+"/v1/vulns/"+url.PathEscape(strings.TrimSpace(id)), nil)
	if err != nil {
		return nil, fmt.Errorf("get advisory %q: %w", id, err)
	}
	var rec Record
	if err := c.do(req, &rec); err != nil {
		var ae *APIError
		if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
			return nil, fmt.Errorf("get advisory %q from the OSV API: %w", id, ErrNotFound)
		}
		return nil, fmt.Errorf("get advisory %q: %w", id, err)
	}
	if err := rec.Validate(); err != nil {
		return nil, fmt.Errorf("get advisory %q: %w", id, err)
	}
	return &rec, nil
}

// do sends req and decodes a 200 answer into v; any other status is an
// *APIError.
func (c *Client) do(req *http.Request, v any) error {
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return fmt.Errorf("read OSV API answer: %w", err)
	}
	if len(body) > maxResponse {
		return fmt.Errorf("OSV API answer larger than %d bytes", maxResponse)
	}
	if resp.StatusCode != http.StatusOK {
		ae := &APIError{Status: resp.StatusCode}
		var e struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		}
		if json.Unmarshal(body, &e) == nil {
			ae.Code, ae.Message = e.Code, e.Message
		}
		return ae
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("decode OSV API answer: %w", err)
	}
	return nil
}

// maxAliasFetches bounds the aliases Finder fetches for one id.
const maxAliasFetches = 8

// Finder finds advisories by id (own or alias, any case): in the store,
// else from the OSV API, storing what the API answered so that the next
// question is the store's.
type Finder struct {
	// Store is where advisories are looked up first, and kept.
	Store *Store
	// API, when set, is asked for ids the store does not hold (nil in
	// air-gapped installations, which load export archives instead).
	API *Client
}

// Find returns the advisories known by id. From the API it fetches id,
// then the aliases that record names (osv.dev's CVE records name the GHSA,
// GO, PYSEC records that carry the package ranges), up to 8. Returns
// ErrNotFound when neither knows the id.
func (f *Finder) Find(ctx context.Context, id string) ([]*Record, error) {
	recs, err := f.Store.Lookup(ctx, id)
	if err == nil || !errors.Is(err, ErrNotFound) || f.API == nil {
		return recs, err
	}
	first, err := f.API.Vuln(ctx, id)
	if err != nil {
		return nil, err
	}
	fetched := []*Record{first}
	seen := map[string]bool{strings.ToUpper(first.ID): true}
	for _, alias := range first.Aliases {
		if len(fetched) > maxAliasFetches {
			break
		}
		if seen[strings.ToUpper(alias)] {
			continue
		}
		seen[strings.ToUpper(alias)] = true
		r, err := f.API.Vuln(ctx, alias)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		fetched = append(fetched, r)
	}
	if _, err := f.Store.Put(ctx, fetched); err != nil {
		return nil, fmt.Errorf("find advisory %q: %w", id, err)
	}
	return f.Store.Lookup(ctx, id)
}
