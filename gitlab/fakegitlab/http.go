package fakegitlab

import (
	"cmp"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// gitlabTime formats a time the way GitLab's API does:
// "2024-01-15T10:20:30.123Z".
func gitlabTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func notFound(w http.ResponseWriter, what string) {
	writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 " + what + " Not Found"})
}

func badRequest(w http.ResponseWriter, msg string) {
	writeJSON(w, http.StatusBadRequest, map[string]string{"message": msg})
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// baseURL is the instance's URL as seen by this request's client.
func (s *Server) baseURL(r *http.Request) string {
	if r != nil && r.Host != "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		return scheme + "://" + r.Host
	}
	return s.instanceURL()
}

// instanceURL is the base URL for payloads made outside a request.
// Callers hold s.mu or know nobody changes s.url.
func (s *Server) instanceURL() string {
	if s.url != "" {
		return s.url
	}
	return "https://gitlab.example.com"
}

// pageParams reads page and per_page (GitLab's defaults: 1 and 20; per_page
// is capped).
func (s *Server) pageParams(r *http.Request) (page, perPage int) {
	q := r.URL.Query()
	page, _ = strconv.Atoi(q.Get("page"))
	if page < 1 {
		page = 1
	}
	perPage, _ = strconv.Atoi(q.Get("per_page"))
	if perPage < 1 {
		perPage = 20
	}
	if perPage > s.maxPerPage {
		perPage = s.maxPerPage
	}
	return page, perPage
}

// pageURL is this request's URL with the query changed by set.
func pageURL(base string, r *http.Request, set map[string]string) string {
	q := r.URL.Query()
	for k, v := range set {
		q.Set(k, v)
	}
	return base + r.URL.EscapedPath() + "?" + q.Encode()
}

// orderThenID is the comparator of a GitLab listing's order_by and sort:
// by, ties broken by ascending id, the whole order reversed when desc.
func orderThenID[T any](desc bool, id func(T) int64, by func(a, b T) int) func(a, b T) int {
	return func(a, b T) int {
		c := by(a, b)
		if c == 0 {
			c = cmp.Compare(id(a), id(b))
		}
		if desc {
			c = -c
		}
		return c
	}
}

// pageOf is the requested page of items, with offsetPage's headers,
// totals included.
func pageOf[T any](s *Server, w http.ResponseWriter, r *http.Request, items []T) []T {
	from, to := s.offsetPage(w, r, len(items), true)
	return items[from:to]
}

// offsetPage slices n items into the requested page and sets GitLab's
// offset pagination headers: X-Page, X-Per-Page, X-Next-Page, X-Prev-Page,
// X-Total, X-Total-Pages and a Link header with prev, next, first and last.
// withTotals false leaves out the totals, as GitLab does for trees.
func (s *Server) offsetPage(w http.ResponseWriter, r *http.Request, n int, withTotals bool) (from, to int) {
	page, perPage := s.pageParams(r)
	totalPages := max((n+perPage-1)/perPage, 1)
	from = min((page-1)*perPage, n)
	to = min(from+perPage, n)

	h := w.Header()
	h.Set("X-Page", strconv.Itoa(page))
	h.Set("X-Per-Page", strconv.Itoa(perPage))
	next, prev := "", ""
	if to < n {
		next = strconv.Itoa(page + 1)
	}
	if page > 1 {
		prev = strconv.Itoa(page - 1)
	}
	h.Set("X-Next-Page", next)
	h.Set("X-Prev-Page", prev)
	if withTotals {
		h.Set("X-Total", strconv.Itoa(n))
		h.Set("X-Total-Pages", strconv.Itoa(totalPages))
	}
	base := s.baseURL(r)
	pp := strconv.Itoa(perPage)
	var links []string
	if prev != "" {
		links = append(links, "<"+pageURL(base, r, map[string]string{"page": prev, "per_page": pp})+`>; rel="prev"`)
	}
	if next != "" {
		links = append(links, "<"+pageURL(base, r, map[string]string{"page": next, "per_page": pp})+`>; rel="next"`)
	}
	links = append(links, "<"+pageURL(base, r, map[string]string{"page": "1", "per_page": pp})+`>; rel="first"`)
	if withTotals {
		links = append(links, "<"+pageURL(base, r, map[string]string{"page": strconv.Itoa(totalPages), "per_page": pp})+`>; rel="last"`)
	}
	h.Set("Link", strings.Join(links, ", "))
	return from, to
}

// setKeysetNext sets the Link header of a keyset page that has a next page.
func (s *Server) setKeysetNext(w http.ResponseWriter, r *http.Request, set map[string]string) {
	w.Header().Set("Link", "<"+pageURL(s.baseURL(r), r, set)+`>; rel="next"`)
}

// pathValue is a path wildcard; ServeMux unescapes it segment by segment,
// so "payments%2Fcheckout-api" is "payments/checkout-api".
func pathValue(r *http.Request, name string) string {
	return r.PathValue(name)
}

// boolParam reads a "true"/"false" query parameter; ok is false when absent.
func boolParam(r *http.Request, name string) (value, ok bool) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return false, false
	}
	b, err := strconv.ParseBool(v)
	return b, err == nil
}

// timeParam reads an ISO 8601 time query parameter.
func timeParam(r *http.Request, name string) (time.Time, bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return time.Time{}, false, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, true, nil
		}
	}
	return time.Time{}, false, fmt.Errorf("%s is invalid", name)
}

// decodeBody reads a JSON or form body into v; GitLab accepts both, and
// parameters in the query string as well.
func decodeBody(r *http.Request, v any) error {
	ct := r.Header.Get("Content-Type")
	if strings.HasPrefix(ct, "application/json") {
		dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 10<<20))
		if err := dec.Decode(v); err != nil {
			return err
		}
	}
	return nil
}

// param reads a parameter from the decoded body map first, then the query.
func param(body map[string]any, r *http.Request, name string) string {
	if v, ok := body[name]; ok {
		switch x := v.(type) {
		case string:
			return x
		case float64:
			return strconv.FormatFloat(x, 'f', -1, 64)
		case bool:
			return strconv.FormatBool(x)
		}
	}
	if v := r.URL.Query().Get(name); v != "" {
		return v
	}
	return r.PostFormValue(name)
}
