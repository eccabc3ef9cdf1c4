package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/switchboard-dev/switchboard/api"
	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/sampleorg"
)

// TestEndpoints asks every endpoint what the sample organisation answers,
// through the validating client: every response is checked against
// openapi.json.
func TestEndpoints(t *testing.T) {
	e := newEnv(t, envOptions{rate: 1e9, burst: 1e9})
	tests := []struct {
		name   string
		path   string
		status int
		want   []string
	}{
		{"service", "/api/v1/services/checkout-api", 200, []string{`"ref":"checkout-api"`, `"owner":{"name":"payments"`, `"kind":"runbook"`, `"pageable":true`, `"matched_by":"name"`}},
		{"service by alias", "/api/v1/services/cart", 200, []string{`"ref":"basket-service"`, `"matched_by":"alias"`}},
		{"service by namespace/name", "/api/v1/services/storefront/frontend", 200, []string{`"ref":"storefront/frontend"`, `"namespace":"storefront"`}},
		{"service by escaped namespace/name", "/api/v1/services/storefront%2Ffrontend", 200, []string{`"ref":"storefront/frontend"`}},
		{"ambiguous", "/api/v1/services/frontend", 409, []string{`"code":"ambiguous"`, `"storefront/frontend"`, `"backoffice/frontend"`}},
		{"unknown service with suggestions", "/api/v1/services/chekout-api", 404, []string{`"code":"not_found"`, `"suggestions":["checkout-api"`}},
		{"no service named", "/api/v1/services/", 400, []string{`"code":"invalid_request"`}},
		{"list", "/api/v1/services?limit=5", 200, []string{`"items":[`, `"next_cursor":"`}},
		{"list by team", "/api/v1/services?team=payments&limit=200", 200, []string{`"ref":"checkout-api"`, `"next_cursor":null`}},
		{"list by text", "/api/v1/services?q=checkout", 200, []string{`"ref":"checkout-api"`}},
		// Words of invoice-service's description, not its name: /search's
		// ranked search, first, saying why; one page, no cursor.
		{"search by words", "/api/v1/services?q=credit+notes", 200, []string{`"items":[{"ref":"invoice-service"`, `"why":["description: `, `"next_cursor":null`}},
		{"search, filtered", "/api/v1/services?q=credit+notes&team=backoffice", 200, []string{`"items":[{"ref":"invoice-service"`}},
		{"search, filtered out", "/api/v1/services?q=credit+notes&team=payments&tier=1", 200, []string{`"items":[]`, `"next_cursor":null`}},
		{"search with a cursor", "/api/v1/services?q=credit&cursor=abc", 400, []string{`"code":"invalid_request"`, "no cursor"}},
		{"search with too large a limit", "/api/v1/services?q=credit&limit=150", 400, []string{"limit must be from 1 to 100"}},
		{"list by tier", "/api/v1/services?tier=1&lifecycle=production", 200, []string{`"tier":"1"`}},
		{"list, nothing", "/api/v1/services?tag=no-such-tag", 200, []string{`"items":[]`, `"next_cursor":null`}},
		{"bad cursor", "/api/v1/services?cursor=garbage", 400, []string{`"code":"invalid_request"`, "cursor"}},
		{"bad limit", "/api/v1/services?limit=1000", 400, []string{"limit must be from 1 to 200"}},
		{"limit not a number", "/api/v1/services?limit=ten", 400, []string{"limit must be a whole number"}},
		{"team", "/api/v1/teams/payments", 200, []string{`"name":"payments"`, `"people":[{`, `"ref":"checkout-api"`, `"on_call":{"status":"ok"`}},
		{"team by @name", "/api/v1/teams/@payments", 200, []string{`"name":"payments"`}},
		{"unknown team", "/api/v1/teams/paymnets", 404, []string{`"suggestions":["payments"`}},
		{"on call for service", "/api/v1/oncall/services/checkout-api", 200, []string{`"status":"ok"`, `"levels":[{"level":1`, `"slack_user_id":"U`}},
		{"on call for team", "/api/v1/oncall/teams/payments", 200, []string{`"team":"payments"`, `"status":"ok"`}},
		{"on call for unknown service", "/api/v1/oncall/services/nope-nothing-like-it", 404, []string{`"code":"not_found"`}},
		{"impact of a package", "/api/v1/impact?package=log4j-core&constraint=%3C2.17.1", 200, []string{`"kind":"package"`, `"repos":1`, `"repo":"acme/payments/ledger-batch"`, `"services":[{"ref":"ledger-batch","team":"payments"}]`, `"version":"2.14.1"`, `"declared_at":"pom.xml:12"`}},
		{"impact without constraint", "/api/v1/impact?package=log4j-core", 200, []string{`"repos":2`, "acme/data/old-etl"}},
		{"impact of a file", "/api/v1/impact?file=log4j2.xml", 200, []string{`"kind":"file"`, `"file":"src/main/resources/log4j2.xml"`}},
		{"impact bad constraint", "/api/v1/impact?package=log4j-core&constraint=%3C%3Dbanana", 400, []string{"is not a version constraint"}},
		{"impact of two things", "/api/v1/impact?package=a&file=b", 400, []string{"exactly one"}},
		{"impact of an unknown advisory", "/api/v1/impact?advisory=CVE-2099-0001", 404, []string{`"code":"not_found"`, "CVE-2099-0001"}},
		{"impact of no advisory id", "/api/v1/impact?advisory=log4shell", 400, []string{"not an advisory id"}},
		{"digest", "/api/v1/digest", 200, []string{`"coverage":{"active":`, `"broken":1`}},
		{"digest of a team", "/api/v1/digest?team=payments", 200, []string{`"team":"payments"`}},
		{"uncatalogued", "/api/v1/digest/uncatalogued", 200, []string{`"path":"acme/data/old-etl"`, `"descriptor_status":"missing"`}},
		{"broken", "/api/v1/digest/broken", 200, []string{`"path":"acme/payments/broken-thing"`, `"first_error":{"line":4,"column":3,"rule":"required"`}},
		{"blast", "/api/v1/blast/checkout-api", 200, []string{`"total":1`, `"by_depth":[1]`, `"service":{"ref":"ledger-batch","team":"payments"},"depth":1`,
			`"origin":"descriptor: dependencies component:checkout-api"`, `"to":"checkout-api"`, `"on_call":{"status":"`}},
		{"blast, dependencies", "/api/v1/blast/ledger-batch", 200, []string{`"total":0`, `"dependencies":[{"service":{"ref":"checkout-api"`, `"service":null,"target":"resource:default/ledger-db"`}},
		{"blast by alias, page past the end", "/api/v1/blast/checkout-api?page=99", 200, []string{`"page":1`, `"ref":"ledger-batch"`}},
		{"blast, bad page", "/api/v1/blast/auth-service?page=0x", 400, []string{"page must be a whole number"}},
		{"blast of unknown service", "/api/v1/blast/auth-servce", 404, []string{`"suggestions":["auth-service"`}},
		{"changes", "/api/v1/changes/ledger-batch?since=7d", 200, []string{`"window":"7d"`, `"scope":["ledger-batch","checkout-api"]`,
			`"changes":[{"service":"ledger-batch","kind":"merge_request","ref":"7"`, `"author":"Ada (@ada)"`, `"more":false`}},
		{"changes, none in the window", "/api/v1/changes/ledger-batch?since=30m", 200, []string{`"changes":[]`, `"last_before":{"service":"ledger-batch"`}},
		{"changes, bad since", "/api/v1/changes/auth-service?since=yesterday", 400, []string{"not a duration such as 30m, 24h, 7d or 2w"}},
		{"changes, too far back", "/api/v1/changes/auth-service?since=20w", 400, []string{"90 days"}},
		{"changes of unknown service", "/api/v1/changes/auth-servce", 404, []string{`"suggestions":["auth-service"`}},
		{"openapi", "/api/v1/openapi.json", 200, []string{`"openapi": "3.1.0"`}},
		{"unknown path", "/api/v1/nothing", 404, []string{`"code":"not_found"`, "no such API path"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := e.get(t, tt.path)
			if resp.StatusCode != tt.status {
				t.Fatalf("got %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q, want application/json", ct)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(body), w) {
					t.Errorf("body lacks %s:\n%s", w, body)
				}
			}
		})
	}
	// Every route of the description answered 200 here, validated.
	for _, r := range e.api.Routes() {
		if r.OpenAPIPath != "" && e.spec.validated[r.Method+" "+r.OpenAPIPath+" 200"] == 0 {
			t.Errorf("no 200 of %s %s was validated against openapi.json", r.Method, r.OpenAPIPath)
		}
	}
}

// TestListPages walks the whole list a page at a time: every service
// once, in order, and the last page says so.
func TestListPages(t *testing.T) {
	e := newEnv(t, envOptions{})
	var seen []string
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("the list does not end")
		}
		path := "/api/v1/services?limit=7"
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		resp, body := e.get(t, path)
		if resp.StatusCode != 200 {
			t.Fatalf("got %d: %s", resp.StatusCode, body)
		}
		page := decode[api.Page[api.ServiceSummary]](t, body)
		for _, s := range page.Items {
			seen = append(seen, s.Ref)
		}
		if page.NextCursor == nil {
			break
		}
		cursor = *page.NextCursor
	}
	// The sample organisation's, and the one seedRepos adds.
	if want := sampleorg.Services() + 1; len(seen) != want || len(slices.Compact(slices.Sorted(slices.Values(seen)))) != want {
		t.Errorf("got %d services (%d distinct), want %d", len(seen), len(slices.Compact(slices.Sorted(slices.Values(seen)))), want)
	}
	if !slices.IsSortedFunc(seen, func(a, b string) int { return strings.Compare(strings.ToLower(nameOf(a)), strings.ToLower(nameOf(b))) }) {
		t.Errorf("not in name order: %v", seen)
	}
	// A cursor of one list is refused by another.
	_, body := e.get(t, "/api/v1/services?limit=1")
	c := *decode[api.Page[api.ServiceSummary]](t, body).NextCursor
	if resp, body := e.get(t, "/api/v1/digest/broken?cursor="+url.QueryEscape(c)); resp.StatusCode != 400 {
		t.Errorf("another list's cursor: got %d, want 400: %s", resp.StatusCode, body)
	}
}

func nameOf(ref string) string {
	if i := strings.IndexByte(ref, '/'); i >= 0 {
		return ref[i+1:]
	}
	return ref
}

// TestETag: an answer's ETag in If-None-Match gets 304 without a body,
// HEAD gets the headers only, and a changed answer a new ETag.
func TestETag(t *testing.T) {
	e := newEnv(t, envOptions{})
	resp, body := e.get(t, "/api/v1/services/checkout-api")
	etag := resp.Header.Get("ETag")
	if resp.StatusCode != 200 || etag == "" {
		t.Fatalf("got %d with ETag %q", resp.StatusCode, etag)
	}
	resp2, body2 := e.get(t, "/api/v1/services/checkout-api", "If-None-Match", etag)
	if resp2.StatusCode != http.StatusNotModified || len(body2) != 0 {
		t.Errorf("If-None-Match: got %d with %d bytes, want 304 and none", resp2.StatusCode, len(body2))
	}
	head, hbody := e.do(t, http.MethodHead, "/api/v1/services/checkout-api", "Bearer "+e.token)
	if head.StatusCode != 200 || len(hbody) != 0 || head.Header.Get("ETag") != etag || head.Header.Get("Content-Length") != strconv.Itoa(len(body)) {
		t.Errorf("HEAD: got %d, %d bytes, ETag %q, length %q", head.StatusCode, len(hbody), head.Header.Get("ETag"), head.Header.Get("Content-Length"))
	}
	svc, err := e.store.FindService(context.Background(), "checkout-api")
	if err != nil {
		t.Fatal(err)
	}
	s := svc.Services[0]
	s.Description = "changed"
	if _, err := e.store.PutService(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	resp3, _ := e.get(t, "/api/v1/services/checkout-api", "If-None-Match", etag)
	if resp3.StatusCode != 200 || resp3.Header.Get("ETag") == etag {
		t.Errorf("after a change: got %d with ETag %q, want 200 and a new ETag", resp3.StatusCode, resp3.Header.Get("ETag"))
	}
}

// TestWrongMethod: a known path with another method is 405 in JSON, with
// Allow.
func TestWrongMethod(t *testing.T) {
	e := newEnv(t, envOptions{})
	for _, path := range []string{"/api/v1/services", "/api/v1/services/checkout-api", "/api/v1/impact", "/mcp"} {
		for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch} {
			if path == "/mcp" && m == http.MethodPost {
				continue
			}
			resp, body := e.do(t, m, path, "Bearer "+e.token)
			if resp.StatusCode != http.StatusMethodNotAllowed {
				t.Errorf("%s %s: got %d, want 405: %s", m, path, resp.StatusCode, body)
				continue
			}
			if b := decode[errorBody](t, body); b.Error.Code != "method_not_allowed" || resp.Header.Get("Allow") == "" {
				t.Errorf("%s %s: got code %q, Allow %q", m, path, b.Error.Code, resp.Header.Get("Allow"))
			}
		}
	}
}

// TestAuthEveryRoute: every route of the API's table, with every method,
// refuses a request without a valid token: none, another scheme, a
// malformed token, an unknown one, a revoked one. A route added to the
// table without the guard fails here.
func TestAuthEveryRoute(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	_, revoked, err := e.store.CreateAPIToken(ctx, "to-revoke", "UTEST")
	if err != nil {
		t.Fatal(err)
	}
	if resp, body := e.get(t, "/api/v1/services/checkout-api"); resp.StatusCode != 200 {
		t.Fatalf("a valid token: got %d: %s", resp.StatusCode, body)
	}
	if _, err := e.store.RevokeAPIToken(ctx, "to-revoke", "UTEST"); err != nil {
		t.Fatal(err)
	}
	unknown := catalog.APITokenPrefix + strings.Repeat("A", 43)
	auths := map[string]string{
		"missing":   "",
		"basic":     "Basic dXNlcjpwYXNz",
		"empty":     "Bearer ",
		"malformed": "Bearer not-a-token",
		"unknown":   "Bearer " + unknown,
		"revoked":   "Bearer " + revoked,
	}
	routes := e.api.Routes()
	if len(routes) < 10 {
		t.Fatalf("only %d routes", len(routes))
	}
	for _, r := range routes {
		path := strings.NewReplacer("{ref...}", "checkout-api", "{name}", "payments").Replace(r.Path)
		methods := []string{r.Method}
		if r.Method == http.MethodGet {
			methods = append(methods, http.MethodHead)
		}
		for _, m := range methods {
			for name, auth := range auths {
				resp, body := e.do(t, m, path, auth)
				if resp.StatusCode != http.StatusUnauthorized {
					t.Errorf("%s %s with %s token: got %d, want 401", m, path, name, resp.StatusCode)
					continue
				}
				if resp.Header.Get("WWW-Authenticate") == "" {
					t.Errorf("%s %s with %s token: no WWW-Authenticate", m, path, name)
				}
				if m != http.MethodHead {
					if b := decode[errorBody](t, body); b.Error.Code != "unauthorized" || b.Error.Message == "" {
						t.Errorf("%s %s with %s token: body %s", m, path, name, body)
					}
				}
			}
		}
	}
	// Other methods and unknown paths are refused before they say anything.
	for _, p := range []string{"/api/v1/services", "/api/v1/nothing"} {
		if resp, _ := e.do(t, http.MethodPost, p, ""); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("POST %s without a token: got %d, want 401", p, resp.StatusCode)
		}
	}
}

// TestRouteTableMatchesOpenAPI: every route of the table is described in
// openapi.json (GET, with 401 and 429), and every path described is
// routed.
func TestRouteTableMatchesOpenAPI(t *testing.T) {
	e := newEnv(t, envOptions{})
	doc := e.spec.doc
	routed := map[string]bool{}
	for _, r := range e.api.Routes() {
		if r.OpenAPIPath == "" {
			continue
		}
		routed[r.OpenAPIPath] = true
		item := doc.Paths.Value(r.OpenAPIPath)
		if item == nil || item.GetOperation(r.Method) == nil {
			t.Errorf("%s %s is not in openapi.json", r.Method, r.OpenAPIPath)
			continue
		}
		op := item.GetOperation(r.Method)
		for _, status := range []int{200, 401, 429, 503} {
			if op.Responses.Status(status) == nil {
				t.Errorf("%s %s: openapi.json does not describe %d", r.Method, r.OpenAPIPath, status)
			}
		}
	}
	for path := range doc.Paths.Map() {
		if !routed[path] {
			t.Errorf("openapi.json describes %s, which no route serves", path)
		}
	}
	// The file served is the one checked in.
	resp, body := e.get(t, "/api/v1/openapi.json")
	if resp.StatusCode != 200 || string(body) != string(api.OpenAPI) {
		t.Errorf("served description differs from api/openapi.json")
	}
}

// TestRateLimit: a burst past the token's bucket gets 429 with
// Retry-After and the JSON error; another token is not affected.
func TestRateLimit(t *testing.T) {
	e := newEnv(t, envOptions{rate: 0.5, burst: 3})
	var limited *http.Response
	var body []byte
	for i := 0; i < 4; i++ {
		resp, b := e.get(t, "/api/v1/services/checkout-api")
		if i < 3 && resp.StatusCode != 200 {
			t.Fatalf("request %d of the burst: got %d: %s", i+1, resp.StatusCode, b)
		}
		limited, body = resp, b
	}
	if limited.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("past the burst: got %d, want 429", limited.StatusCode)
	}
	if ra, err := strconv.Atoi(limited.Header.Get("Retry-After")); err != nil || ra < 1 || ra > 2 {
		t.Errorf("Retry-After %q, want 1-2 s at 0.5 request/s", limited.Header.Get("Retry-After"))
	}
	if b := decode[errorBody](t, body); b.Error.Code != "rate_limited" {
		t.Errorf("body %s", body)
	}
	_, other, err := e.store.CreateAPIToken(context.Background(), "other", "UTEST")
	if err != nil {
		t.Fatal(err)
	}
	if resp, b := e.do(t, http.MethodGet, "/api/v1/services/checkout-api", "Bearer "+other); resp.StatusCode != 200 {
		t.Errorf("another token: got %d: %s", resp.StatusCode, b)
	}
}

// TestPagerDutyDown: on-call is "unknown" with the reason, and the rest
// of the answer stands.
func TestPagerDutyDown(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.pd.SetDown(true)
	resp, body := e.get(t, "/api/v1/teams/payments")
	if resp.StatusCode != 200 {
		t.Fatalf("got %d: %s", resp.StatusCode, body)
	}
	team := decode[api.Team](t, body)
	if team.OnCall.Status != api.OnCallUnknown || !strings.Contains(team.OnCall.Reason, "PagerDuty") {
		t.Errorf("on call: %+v, want unknown with PagerDuty's reason", team.OnCall)
	}
	if len(team.People) == 0 || len(team.Services) == 0 {
		t.Errorf("the rest of the team is missing: %s", body)
	}
	resp, body = e.get(t, "/api/v1/oncall/services/checkout-api")
	if resp.StatusCode != 200 || decode[api.ServiceOnCall](t, body).OnCall.Status != api.OnCallUnknown {
		t.Errorf("on call for a service: got %d: %s", resp.StatusCode, body)
	}
}

// TestDatabaseDown: a database that cannot be reached is 503 with the JSON
// error, whether the token check or the answer needs it; never 401.
func TestDatabaseDown(t *testing.T) {
	cfg, err := pgxpool.ParseConfig("postgres://nobody@127.0.0.1:1/none?connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	down := catalog.NewStore(pool, nil)
	e := newEnv(t, envOptions{catalog: down})
	resp, body := e.get(t, "/api/v1/services?team=payments")
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("reader down: got %d: %s", resp.StatusCode, body)
	}
	if b := decode[errorBody](t, body); b.Error.Code != "unavailable" {
		t.Errorf("body %s", body)
	}
	// The token check over the same dead database.
	a := api.New(api.Config{Reader: e.reader, Tokens: down})
	mux := http.NewServeMux()
	a.Mount(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	e.srv = srv
	if resp, body := e.get(t, "/api/v1/services"); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("token check down: got %d, want 503: %s", resp.StatusCode, body)
	}
}
