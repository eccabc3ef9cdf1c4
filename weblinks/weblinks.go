// Package weblinks builds the web catalog's addresses: the absolute URLs that
// Slack answers link to, and the path patterns the web mux serves them under.
// It is the one place that knows the catalog's URL layout, so the links in
// Slack and the routes of the web catalog cannot drift apart.
package weblinks

import (
	"net/url"
	"strconv"
	"strings"
)

// Path patterns for net/http.ServeMux (Go 1.22+ syntax). The wildcard names
// are the ones the web handlers read with Request.PathValue.
const (
	// ServicePattern is a service's page: {namespace} and {name}.
	ServicePattern = "GET /services/{namespace}/{name}"
	// TeamPattern is a team's page: {name}.
	TeamPattern = "GET /teams/{name}"
	// SearchPattern is the search page; the query is the q parameter.
	SearchPattern = "GET /search"
	// CampaignPattern is a campaign's page: {id}.
	CampaignPattern = "GET /campaigns/{id}"
)

// Links turns catalog objects into absolute URLs of the web catalog under
// Base (for example "https://switchboard.example.com"). The zero Links has no
// base: every method returns "", and answers then carry no links.
type Links struct {
	// Base is the web catalog's external base URL, without a trailing slash
	// (New trims one). Empty means no web catalog is configured.
	Base string
}

// New returns Links under base, trimming surrounding space and trailing
// slashes. An empty base gives Links that produce no URLs.
func New(base string) Links {
	return Links{Base: strings.TrimRight(strings.TrimSpace(base), "/")}
}

// Enabled reports whether a base URL is configured.
func (l Links) Enabled() bool { return l.Base != "" }

// ServicePath is the path (no base) of the service namespace/name's page.
func ServicePath(namespace, name string) string {
	if namespace == "" {
		namespace = "default"
	}
	return "/services/" + url.PathEscape(namespace) + "/" + url.PathEscape(name)
}

// TeamPath is the path (no base) of the team's page.
func TeamPath(name string) string { return "/teams/" + url.PathEscape(name) }

// SearchPath is the path (no base) of the search page for query.
func SearchPath(query string) string {
	if query == "" {
		return "/search"
	}
	return "/search?q=" + url.QueryEscape(query)
}

// CampaignPath is the path (no base) of the campaign's page.
func CampaignPath(id int64) string { return "/campaigns/" + strconv.FormatInt(id, 10) }

// Service is the absolute URL of the service namespace/name's page, or ""
// without a base. An empty namespace means the default one.
func (l Links) Service(namespace, name string) string {
	return l.abs(name != "", ServicePath(namespace, name))
}

// Team is the absolute URL of the team's page, or "" without a base.
func (l Links) Team(name string) string { return l.abs(name != "", TeamPath(name)) }

// Search is the absolute URL of the search page for query, or "" without a
// base.
func (l Links) Search(query string) string { return l.abs(true, SearchPath(query)) }

// Campaign is the absolute URL of the campaign's page, or "" without a base.
func (l Links) Campaign(id int64) string { return l.abs(id > 0, CampaignPath(id)) }

func (l Links) abs(ok bool, path string) string {
	if !ok || l.Base == "" {
		return ""
	}
	return l.Base + path
}
