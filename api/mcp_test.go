package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/switchboard-dev/switchboard/mcpserver"
)

// The MCP server's tests live beside the API's: the tools answer from the
// same Reader, over the same sample organisation, and over HTTP behind the
// same tokens.

// mcpCalls are a call of each tool and what its text and structured
// content must hold.
var mcpCalls = []struct {
	tool       string
	args       map[string]any
	text       []string
	structured []string
	isError    bool
}{
	{"whoowns", map[string]any{"service": "checkout-api"}, []string{"checkout-api is owned by team payments", "channel #checkout", "runbook"}, []string{`"name":"payments"`, `"pageable":true`}, false},
	{"whoowns", map[string]any{"service": "chekout-api"}, []string{"no service named", "did you mean checkout-api"}, nil, true},
	{"whoowns", map[string]any{"service": "frontend"}, []string{"2 services", "storefront/frontend"}, nil, true},
	{"oncall", map[string]any{"service": "checkout-api"}, []string{"On call for checkout-api: level 1"}, []string{`"status":"ok"`}, false},
	{"oncall", map[string]any{"team": "payments"}, []string{"On call for team payments"}, []string{`"team":"payments"`}, false},
	{"oncall", map[string]any{}, []string{"give either service or team"}, nil, true},
	{"search_services", map[string]any{"team": "payments", "limit": 3}, []string{"3 services", "more: pass next_cursor"}, []string{`"next_cursor":"`}, false},
	{"search_services", map[string]any{"query": "checkout"}, []string{"checkout-api"}, []string{`"ref":"checkout-api"`}, false},
	{"search_services", map[string]any{"query": "credit notes"}, []string{"invoice-service"}, []string{`"ref":"invoice-service"`, `"why":["description: `}, false},
	{"impact", map[string]any{"package": "log4j-core", "constraint": "<2.17.1"}, []string{"1 repos, 1 services, 1 teams"}, []string{`"repo":"acme/payments/ledger-batch"`}, false},
	{"impact", map[string]any{"advisory": "CVE-2099-0001"}, []string{"No advisory", "CVE-2099-0001"}, nil, true},
	{"team", map[string]any{"name": "payments"}, []string{"Team payments:", "people", "On call for team payments"}, []string{`"services":[`}, false},
	{"blast", map[string]any{"service": "checkout-api"}, []string{"1 services in 1 teams depend on checkout-api, 1 directly", "It depends directly on 0."},
		[]string{`"ref":"ledger-batch"`, `"origin":"descriptor: dependencies component:checkout-api"`, `"on_call":{`}, false},
	{"blast", map[string]any{"service": "ledger-batch"}, []string{"Nothing in the catalog depends on ledger-batch", "It depends directly on 2."},
		[]string{`"target":"resource:default/ledger-db"`}, false},
	{"blast", map[string]any{"service": "chekout-api"}, []string{"no service named", "did you mean checkout-api"}, nil, true},
	{"changes", map[string]any{"service": "ledger-batch", "since": "7d"}, []string{"1 changes to ledger-batch and its 1 dependencies in the last 7d", "Retry ledger writes"},
		[]string{`"kind":"merge_request"`, `"author":"Ada (@ada)"`}, false},
	{"changes", map[string]any{"service": "ledger-batch", "since": "30m"}, []string{"0 changes", "the last before: merge_request Retry ledger writes"}, []string{`"last_before":{`}, false},
	{"changes", map[string]any{"service": "ledger-batch", "since": "yesterday"}, []string{"not a duration such as 30m, 24h, 7d or 2w"}, nil, true},
	{"changes", map[string]any{"service": "ledgr-batch"}, []string{"no service named", "did you mean ledger-batch"}, nil, true},
}

// checkSession lists the tools, every one read-only with an input schema,
// and calls each against the sample organisation.
func checkSession(t *testing.T, cs *mcp.ClientSession) {
	t.Helper()
	ctx := context.Background()
	list, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range list.Tools {
		names = append(names, tool.Name)
		if tool.Annotations == nil || !tool.Annotations.ReadOnlyHint {
			t.Errorf("tool %s is not marked read-only", tool.Name)
		}
		if tool.InputSchema == nil || tool.OutputSchema == nil || tool.Description == "" {
			t.Errorf("tool %s lacks a description or a schema", tool.Name)
		}
	}
	slices.Sort(names)
	if want := []string{"blast", "changes", "impact", "oncall", "search_services", "team", "whoowns"}; !slices.Equal(names, want) {
		t.Errorf("tools %v, want %v", names, want)
	}
	for _, c := range mcpCalls {
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: c.tool, Arguments: c.args})
		if err != nil {
			t.Errorf("%s %v: %v", c.tool, c.args, err)
			continue
		}
		var text strings.Builder
		for _, ct := range res.Content {
			if tc, ok := ct.(*mcp.TextContent); ok {
				text.WriteString(tc.Text)
			}
		}
		if res.IsError != c.isError {
			t.Errorf("%s %v: IsError %v, want %v: %s", c.tool, c.args, res.IsError, c.isError, text.String())
		}
		for _, w := range c.text {
			if !strings.Contains(text.String(), w) {
				t.Errorf("%s %v: text lacks %q: %s", c.tool, c.args, w, text.String())
			}
		}
		structured, _ := json.Marshal(res.StructuredContent)
		for _, w := range c.structured {
			if !strings.Contains(string(structured), w) {
				t.Errorf("%s %v: structured content lacks %s: %s", c.tool, c.args, w, structured)
			}
		}
	}
}

// TestMCPInMemory: a session through the SDK's own client over its
// in-memory transport.
func TestMCPInMemory(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	server := mcpserver.New(e.reader, "test")
	st, ct := mcp.NewInMemoryTransports()
	ss, err := server.Connect(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ss.Close()
	client := mcp.NewClient(&mcp.Implementation{Name: "test-client", Version: "1"}, nil)
	cs, err := client.Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	checkSession(t, cs)
}

// bearer adds a token to every request.
type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}

// TestMCPOverHTTP: the same session over streamable HTTP at /mcp with a
// token; without one, or with a revoked one, the client cannot connect.
func TestMCPOverHTTP(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	connect := func(token string) (*mcp.ClientSession, error) {
		client := mcp.NewClient(&mcp.Implementation{Name: "test-client", Version: "1"}, nil)
		transport := &mcp.StreamableClientTransport{Endpoint: e.srv.URL + "/mcp", MaxRetries: -1,
			HTTPClient: &http.Client{Transport: bearer{token: token, next: e.client.Transport}}}
		return client.Connect(ctx, transport, nil)
	}
	cs, err := connect(e.token)
	if err != nil {
		t.Fatal(err)
	}
	checkSession(t, cs)
	cs.Close()

	if _, err := connect("sb_wrong"); err == nil {
		t.Error("connected with a wrong token")
	}
	if _, err := e.store.RevokeAPIToken(ctx, "test", "UTEST"); err != nil {
		t.Fatal(err)
	}
	if _, err := connect(e.token); err == nil {
		t.Error("connected with a revoked token")
	}
}
