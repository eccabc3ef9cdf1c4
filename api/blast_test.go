package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/switchboard-dev/switchboard/api"
	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/manifest"
	"github.com/switchboard-dev/switchboard/mcpserver"
	"github.com/switchboard-dev/switchboard/pagerduty/fakepd"
)

// sharedDependents applies n services that depend on checkout-api and
// are all linked to checkout-api's PagerDuty service.
func sharedDependents(t *testing.T, s *catalog.Store, n int) string {
	t.Helper()
	pdID := fakepd.SampleServiceID("checkout-api")
	if pdID == "" {
		t.Fatal("the sample PagerDuty has no checkout-api service")
	}
	for i := range n {
		name := fmt.Sprintf("checkout-worker-%d", i)
		e := manifest.Entity{Kind: manifest.KindComponent, APIVersion: "backstage.io/v1alpha1", Name: name, Namespace: "default",
			Owner: "group:payments", Lifecycle: "production", Type: "service", PagerDutyServiceID: pdID,
			DependsOn: []string{"component:checkout-api"}}
		if _, err := s.ApplyRepo(context.Background(), catalog.RepoSnapshot{
			Repo:             catalog.Repo{GitLabID: int64(9500 + i), Path: "acme/payments/" + name, DefaultBranch: "main", LastCommit: "c1"},
			DescriptorStatus: catalog.DescriptorOK, DescriptorPath: "catalog-info.yaml", Entities: []manifest.Entity{e},
		}); err != nil {
			t.Fatal(err)
		}
	}
	return pdID
}

// mcpBlast calls the MCP server's blast tool over the in-memory
// transport and decodes its structured answer.
func mcpBlast(t *testing.T, e *env, service string) api.Blast {
	t.Helper()
	ctx := context.Background()
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
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "blast", Arguments: map[string]any{"service": service}})
	if err != nil || res.IsError {
		t.Fatalf("blast %s: %v %+v", service, err, res)
	}
	raw, err := json.Marshal(res.StructuredContent)
	if err != nil {
		t.Fatal(err)
	}
	return decode[api.Blast](t, raw)
}

// TestBlastOnCallShared: dependents that share one PagerDuty service are
// asked about once (as /blast does), through the API and the MCP server,
// and each dependent carries the answer.
func TestBlastOnCallShared(t *testing.T) {
	e := newEnv(t, envOptions{})
	pdID := sharedDependents(t, e.store, 5)
	for _, via := range []string{"api", "mcp"} {
		t.Run(via, func(t *testing.T) {
			e.pd.ResetRequests()
			var b api.Blast
			if via == "api" {
				resp, body := e.get(t, "/api/v1/blast/checkout-api")
				if resp.StatusCode != 200 {
					t.Fatalf("got %d: %s", resp.StatusCode, body)
				}
				b = decode[api.Blast](t, body)
			} else {
				b = mcpBlast(t, e, "checkout-api")
			}
			workers := 0
			for _, d := range b.Dependents {
				if !strings.HasPrefix(d.Service.Ref, "checkout-worker-") {
					continue
				}
				workers++
				if d.OnCall.Status != api.OnCallOK || len(d.OnCall.Levels) == 0 {
					t.Errorf("%s: on call %+v, want ok with levels", d.Service.Ref, d.OnCall)
				}
			}
			if workers != 5 {
				t.Errorf("got %d checkout-worker dependents, want 5: %+v", workers, b.Dependents)
			}
			if n := e.pd.CountRequests("GET", "/services/"+pdID); n > 1 {
				t.Errorf("PagerDuty was asked %d times for service %s, want once at most (once per service)", n, pdID)
			}
		})
	}
}

// TestBlastPagerDutyDownOrSlow: PagerDuty down, or slower than the card
// timeout: every dependent's on call is unknown with why, and the rest of
// the answer (counts, dependents, dependencies) is intact, in the API and
// the MCP server.
func TestBlastPagerDutyDownOrSlow(t *testing.T) {
	for _, tc := range []struct {
		name   string
		break_ func(e *env)
		reason string
	}{
		{"down", func(e *env) { e.pd.SetDown(true) }, "PagerDuty"},
		{"slow", func(e *env) { e.reader.OnCall.CardTimeout = 100 * time.Millisecond; e.pd.SetLatency(3 * time.Second) }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOptions{})
			sharedDependents(t, e.store, 2)
			tc.break_(e)
			resp, body := e.get(t, "/api/v1/blast/checkout-api")
			if resp.StatusCode != 200 {
				t.Fatalf("got %d: %s", resp.StatusCode, body)
			}
			for via, b := range map[string]api.Blast{"api": decode[api.Blast](t, body), "mcp": mcpBlast(t, e, "checkout-api")} {
				if b.Total != 3 || len(b.Dependents) != 3 || b.Service.Ref != "checkout-api" {
					t.Errorf("%s: the rest of the answer is not intact: total %d, %d dependents", via, b.Total, len(b.Dependents))
				}
				for _, d := range b.Dependents {
					if d.OnCall.Status != api.OnCallUnknown || d.OnCall.Reason == "" || !strings.Contains(d.OnCall.Reason, tc.reason) {
						t.Errorf("%s: %s: on call %+v, want unknown with why", via, d.Service.Ref, d.OnCall)
					}
					if len(d.Via) == 0 {
						t.Errorf("%s: %s: no edges", via, d.Service.Ref)
					}
				}
			}
		})
	}
}
