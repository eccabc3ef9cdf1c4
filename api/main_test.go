package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/switchboard-dev/switchboard/advisories"
	"github.com/switchboard-dev/switchboard/api"
	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
	"github.com/switchboard-dev/switchboard/digest"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
	"github.com/switchboard-dev/switchboard/manifest"
	"github.com/switchboard-dev/switchboard/mcpserver"
	"github.com/switchboard-dev/switchboard/pagerduty"
	"github.com/switchboard-dev/switchboard/pagerduty/fakepd"
	"github.com/switchboard-dev/switchboard/sampleorg"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// env is the API over the sample organisation in a fresh database, with
// the fake PagerDuty, served over HTTP; its client validates every request
// and response against openapi.json.
type env struct {
	store  *catalog.Store
	pd     *fakepd.Server
	api    *api.Server
	reader *api.Reader
	srv    *httptest.Server
	token  string
	client *http.Client
	spec   *specChecker
}

// envOptions change the API a test gets.
type envOptions struct {
	rate  float64
	burst int
	// catalog replaces the store the reader reads (a database that is down).
	catalog *catalog.Store
}

func newEnv(t *testing.T, o envOptions) *env {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	store := catalog.NewStore(pgtest.New(t), log)
	if err := sampleorg.Load(ctx, store); err != nil {
		t.Fatal(err)
	}
	seedRepos(t, store)
	pd := fakepd.Sample(time.Now())
	pdSrv := httptest.NewServer(pd)
	t.Cleanup(pdSrv.Close)
	pdc, err := pagerduty.New(pagerduty.Config{Token: fakepd.SampleToken, APIURL: pdSrv.URL, EventsURL: pdSrv.URL}, log)
	if err != nil {
		t.Fatal(err)
	}
	read := store
	if o.catalog != nil {
		read = o.catalog
	}
	finder := &advisories.Finder{Store: advisories.NewStore(read.Pool())}
	reader := &api.Reader{Services: read, Catalog: read, ImpactConfig: commands.ImpactConfig{Index: read, Advisories: advisoryIndex{finder}},
		OnCall: &commands.OnCallLookup{PagerDuty: pdc, People: read}, Digest: digest.Source{Store: read}, Graph: read, History: read}
	mcpSrv := mcpserver.New(reader, "test")
	mcpHandler := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return mcpSrv }, &mcp.StreamableHTTPOptions{Stateless: true, JSONResponse: true})
	a := api.New(api.Config{Reader: reader, Tokens: store, Rate: o.rate, Burst: o.burst, MCP: mcpHandler, Log: log})
	mux := http.NewServeMux()
	a.Mount(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	_, token, err := store.CreateAPIToken(ctx, "test", "UTEST")
	if err != nil {
		t.Fatal(err)
	}
	spec := newSpecChecker(t)
	return &env{store: store, pd: pd, api: a, reader: reader, srv: srv, token: token, spec: spec,
		client: &http.Client{Transport: &validating{t: t, spec: spec, next: http.DefaultTransport}}}
}

// advisoryIndex is the advisories as /impact reads them (serve's is the
// same two calls, in cmd/switchboard).
type advisoryIndex struct{ finder *advisories.Finder }

func (a advisoryIndex) Find(ctx context.Context, id string) ([]*advisories.Record, error) {
	return a.finder.Find(ctx, id)
}

func (a advisoryIndex) Packages(ctx context.Context, id string) ([]advisories.Affects, error) {
	return a.finder.Store.Packages(ctx, id)
}

// seedRepos adds repos with dependencies and files (for impact), one with
// a broken descriptor and one without any (for the digest).
func seedRepos(t *testing.T, s *catalog.Store) {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	for _, snap := range []catalog.RepoSnapshot{
		{Repo: catalog.Repo{GitLabID: 9001, Path: "acme/payments/ledger-batch", WebURL: "https://gitlab.example/acme/payments/ledger-batch", LastActivityAt: now},
			Files: []string{"pom.xml", "src/main/resources/log4j2.xml"}, DescriptorStatus: catalog.DescriptorOK,
			Entities: []manifest.Entity{{Kind: manifest.KindComponent, Name: "ledger-batch", Namespace: "default", Owner: "group:payments",
				DependsOn: []string{"component:checkout-api", "resource:default/ledger-db"}}},
			Dependencies: []catalog.Dependency{{Ecosystem: "maven", Name: "org.apache.logging.log4j:log4j-core", Version: "2.14.1", File: "pom.xml", Line: 12, Direct: true}}},
		{Repo: catalog.Repo{GitLabID: 9002, Path: "acme/data/old-etl", WebURL: "https://gitlab.example/acme/data/old-etl", LastActivityAt: now},
			Files: []string{"pom.xml"}, DescriptorStatus: catalog.DescriptorMissing,
			Dependencies: []catalog.Dependency{{Ecosystem: "maven", Name: "org.apache.logging.log4j:log4j-core", Version: "2.17.2", File: "pom.xml", Line: 3, Direct: true}}},
		{Repo: catalog.Repo{GitLabID: 9003, Path: "acme/payments/broken-thing", WebURL: "https://gitlab.example/acme/payments/broken-thing", DefaultBranch: "main", LastActivityAt: now},
			Files: []string{"catalog-info.yaml"}, DescriptorStatus: catalog.DescriptorInvalid, DescriptorPath: "catalog-info.yaml",
			Findings: []manifest.Finding{{Path: "catalog-info.yaml", Line: 4, Col: 3, Severity: manifest.SeverityError, Rule: "required", Message: "spec.owner is required"}}},
	} {
		if _, err := s.ApplyRepo(ctx, snap); err != nil {
			t.Fatal(err)
		}
	}
	// A merge an hour ago in ledger-batch's repo (for changes).
	if err := s.RecordChanges(ctx, []catalog.Change{{Kind: catalog.ChangeMerge, ProjectID: 9001, Ref: "7", At: now.Add(-time.Hour),
		AuthorName: "Ada", AuthorUsername: "ada", Title: "Retry ledger writes", WebURL: "https://gitlab.example/acme/payments/ledger-batch/-/merge_requests/7",
		Source: catalog.ChangeFromWebhook}}); err != nil {
		t.Fatal(err)
	}
}

// get asks path with the env's token.
func (e *env) get(t *testing.T, path string, header ...string) (*http.Response, []byte) {
	t.Helper()
	return e.do(t, http.MethodGet, path, "Bearer "+e.token, header...)
}

func (e *env) do(t *testing.T, method, path, auth string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func decode[T any](t *testing.T, body []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return v
}

// errorBody is the API's error shape.
type errorBody struct {
	Error struct {
		Code        string   `json:"code"`
		Message     string   `json:"message"`
		Suggestions []string `json:"suggestions"`
		Candidates  []string `json:"candidates"`
	} `json:"error"`
}

// specChecker validates requests and responses against openapi.json, and
// counts what it validated.
type specChecker struct {
	doc    *openapi3.T
	router routers.Router

	mu        sync.Mutex
	validated map[string]int // "GET /api/v1/services 200" -> count
}

func newSpecChecker(t *testing.T) *specChecker {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(api.OpenAPI)
	if err != nil {
		t.Fatalf("load openapi.json: %v", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("openapi.json is not valid: %v", err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return &specChecker{doc: doc, router: router, validated: map[string]int{}}
}

// check validates one exchange. Requests the description has no route
// for (a wrong method, an unknown path, /mcp) must answer an error in the
// Error schema, or be /mcp's.
func (c *specChecker) check(req *http.Request, resp *http.Response, body []byte) error {
	ctx := context.Background()
	if req.URL.Path == "/mcp" && resp.StatusCode < 400 {
		return nil
	}
	route, params, err := c.router.FindRoute(routable(req))
	if err != nil {
		if resp.StatusCode < 400 {
			return fmt.Errorf("%s %s answered %d but openapi.json has no such operation: %v", req.Method, req.URL.Path, resp.StatusCode, err)
		}
		if req.Method == http.MethodHead {
			return nil // no body to check
		}
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			return fmt.Errorf("%s %s: error body is not JSON: %q", req.Method, req.URL.Path, body)
		}
		if err := c.doc.Components.Schemas["Error"].Value.VisitJSON(v, openapi3.EnableJSONSchema2020()); err != nil {
			return fmt.Errorf("%s %s: error body does not match Error: %v", req.Method, req.URL.Path, err)
		}
		c.count(req.Method + " (no route) " + fmt.Sprint(resp.StatusCode))
		return nil
	}
	in := &openapi3filter.RequestValidationInput{Request: routable(req), PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true, MultiError: true}}
	if err := openapi3filter.ValidateRequest(ctx, in); err != nil && resp.StatusCode < 400 {
		return fmt.Errorf("request %s %s does not match openapi.json: %v", req.Method, req.URL, err)
	}
	if req.Method == http.MethodHead {
		body = nil
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
		Body: io.NopCloser(bytes.NewReader(body)), Options: in.Options}
	if req.Method == http.MethodHead || resp.StatusCode == http.StatusNotModified {
		out.Options = &openapi3filter.Options{IncludeResponseStatus: true, ExcludeResponseBody: true}
	}
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		return fmt.Errorf("response %d to %s %s does not match openapi.json: %v\nbody: %s", resp.StatusCode, req.Method, req.URL, err, body)
	}
	c.count(req.Method + " " + route.Path + " " + fmt.Sprint(resp.StatusCode))
	return nil
}

// routable is req as openapi.json's router finds it: HEAD as the GET it
// stands for (RFC 9110: the same answer without the body), and a
// namespace/name reference as the one path segment it is ({ref} takes the
// slash, escaped or not).
func routable(req *http.Request) *http.Request {
	r := req.Clone(req.Context())
	if r.Method == http.MethodHead {
		r.Method = http.MethodGet
	}
	for _, prefix := range []string{"/api/v1/services/", "/api/v1/oncall/services/"} {
		if rest, ok := strings.CutPrefix(r.URL.Path, prefix); ok && strings.Contains(rest, "/") {
			u := *r.URL
			u.RawPath = prefix + strings.ReplaceAll(rest, "/", "%2F")
			r.URL = &u
		}
	}
	return r
}

func (c *specChecker) count(key string) {
	c.mu.Lock()
	c.validated[key]++
	c.mu.Unlock()
}

// validating is a RoundTripper that checks every exchange with spec.
type validating struct {
	t    *testing.T
	spec *specChecker
	next http.RoundTripper
}

func (v *validating) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := v.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if strings.HasPrefix(req.URL.Path, "/api/") || req.URL.Path == "/mcp" {
		if err := v.spec.check(req, resp, body); err != nil {
			v.t.Error(err)
		}
	}
	return resp, nil
}

func jsonDecode(b []byte, v any) error { return json.Unmarshal(b, v) }
