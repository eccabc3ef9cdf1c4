package api_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/mcpserver"
	"github.com/switchboard-dev/switchboard/weblinks"
)

// TestServiceIncidentsAndWebURL: the service answer (API and MCP whoowns)
// carries /whoowns's incident counts — not configured, unknown with why
// before PagerDuty's incidents were read, unknown for a service with no
// PagerDuty link, then the counts — and its page in the web catalog when
// a base URL is configured. Every response is validated against
// openapi.json.
func TestServiceIncidentsAndWebURL(t *testing.T) {
	e := newEnv(t, envOptions{rate: 1e9, burst: 1e9})
	ctx := context.Background()
	want := func(t *testing.T, path string, wants ...string) {
		t.Helper()
		resp, body := e.get(t, path)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, body)
		}
		for _, w := range wants {
			if !strings.Contains(string(body), w) {
				t.Errorf("%s lacks %s:\n%s", path, w, body)
			}
		}
	}
	want(t, "/api/v1/services/checkout-api", `"incidents":{"status":"not_configured"`, `"web_url":null`)

	e.reader.Incidents = catalog.IncidentCounts{Store: e.store}
	e.reader.Links = weblinks.New("https://switchboard.example.com")
	want(t, "/api/v1/services/checkout-api", `"incidents":{"status":"unknown","reason":"`, `"last_30_days":null`,
		`"web_url":"https://switchboard.example.com/services/default/checkout-api"`)

	l, err := e.store.FindService(ctx, "checkout-api")
	if err != nil || len(l.Services) != 1 || l.Services[0].PagerDutyServiceID == "" {
		t.Fatalf("checkout-api: %+v %v (the sample links it to PagerDuty)", l, err)
	}
	pd := l.Services[0].PagerDutyServiceID
	now := time.Now()
	if _, ok, err := e.store.ClaimIncidentRefresh(ctx, "test", time.Minute); err != nil || !ok {
		t.Fatalf("claim: %v %v", ok, err)
	}
	var incs []catalog.Incident
	for i, ago := range []time.Duration{time.Hour, 10 * 24 * time.Hour, 40 * 24 * time.Hour} {
		incs = append(incs, catalog.Incident{ID: "I" + string(rune('a'+i)), PDServiceID: pd, CreatedAt: now.Add(-ago)})
	}
	if err := e.store.StoreIncidents(ctx, incs); err != nil {
		t.Fatal(err)
	}
	if err := e.store.FinishIncidentRefresh(ctx, "test", now.Add(-91*24*time.Hour), now, 1, nil); err != nil {
		t.Fatal(err)
	}
	want(t, "/api/v1/services/checkout-api", `"incidents":{"status":"known","last_30_days":2,"out_of_hours_30_days":`, `"last_90_days":3}`)
	// A service with no PagerDuty link: unknown, with why.
	want(t, "/api/v1/services/ledger-batch", `"incidents":{"status":"unknown","reason":"no PagerDuty service in the descriptor"`)

	// MCP whoowns: the same answer, and the counts in its text.
	st, ct := mcp.NewInMemoryTransports()
	ss, err := mcpserver.New(e.reader, "test").Connect(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ss.Close()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test-client", Version: "1"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "whoowns", Arguments: map[string]any{"service": "checkout-api"}})
	if err != nil || res.IsError {
		t.Fatalf("whoowns: %+v %v", res, err)
	}
	var text strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			text.WriteString(tc.Text)
		}
	}
	if structured, _ := json.Marshal(res.StructuredContent); !strings.Contains(string(structured), `"last_90_days":3`) {
		t.Errorf("whoowns structured content lacks the counts: %s", structured)
	}
	if s := text.String(); !strings.Contains(s, "incidents: 2 in 30 days") || !strings.Contains(s, "3 in 90 days") || !strings.Contains(s, "https://switchboard.example.com/services/default/checkout-api") {
		t.Errorf("whoowns text: %s", s)
	}
}
