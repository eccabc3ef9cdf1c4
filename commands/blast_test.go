package commands_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
	"github.com/switchboard-dev/switchboard/manifest"
	"github.com/switchboard-dev/switchboard/pagerduty/fakepd"
)

// declare applies a one-service descriptor repo: name owned by team,
// linked to the sample PagerDuty service of that name, with relations.
func declare(t *testing.T, s *catalog.Store, id int64, name, team string, dependsOn, consumes, provides []string) {
	t.Helper()
	e := manifest.Entity{Kind: manifest.KindComponent, APIVersion: "backstage.io/v1alpha1", Name: name, Namespace: "default",
		Owner: "group:" + team, Lifecycle: "production", Type: "service", PagerDutyServiceID: fakepd.SampleServiceID(name),
		DependsOn: dependsOn, ConsumesAPIs: consumes, ProvidesAPIs: provides}
	path := fmt.Sprintf("acme/%s/%s", team, name)
	if _, err := s.ApplyRepo(context.Background(), catalog.RepoSnapshot{
		Repo:             catalog.Repo{GitLabID: 50000 + id, Path: path, DefaultBranch: "main", LastCommit: "c1"},
		DescriptorStatus: catalog.DescriptorOK, DescriptorPath: "catalog-info.yaml", Entities: []manifest.Entity{e},
	}); err != nil {
		t.Fatal(err)
	}
}

// blastEnv is the sample organisation with a graph around auth-service:
// direct dependents, dependents of dependents, an API, a cycle
// (permissions), a reference to nothing catalogued, and extra dependents
// enough for two pages.
func blastEnv(t *testing.T, opts pdOptions, extra int) *pdEnv {
	t.Helper()
	e := newPDEnv(t, opts)
	s := e.store
	declare(t, s, 1, "auth-service", "identity", []string{"component:permissions", "resource:sessions-db"}, nil, nil)
	declare(t, s, 2, "permissions", "identity", []string{"component:auth-service"}, nil, []string{"permissions-api"})
	declare(t, s, 3, "checkout-api", "payments", []string{"component:auth-service", "component:payment-gateway"}, []string{"permissions-api"}, nil)
	declare(t, s, 4, "user-profile", "identity", []string{"component:default/auth-service"}, nil, nil)
	declare(t, s, 5, "mobile-bff", "mobile", []string{"component:user-profile"}, nil, nil)
	declare(t, s, 6, "ios-app", "mobile", []string{"component:mobile-bff"}, nil, nil)
	for i := range extra {
		declare(t, s, int64(100+i), fmt.Sprintf("extra-%02d", i), "data", []string{"component:checkout-api"}, nil, nil)
	}
	oc := &commands.OnCallLookup{People: s, Now: e.clock.Now}
	if !opts.noPagerDuty {
		oc.PagerDuty = e.pd
	}
	e.router.Register(commands.Blast(s, s, oc))
	return e
}

func TestBlast(t *testing.T) {
	e := blastEnv(t, pdOptions{}, 0)
	_, checkoutOnCall := e.levelOne(t, "checkout-api")
	resp := e.run(t, ada, "/blast auth-service")
	got := flatten(resp)
	checkReply(t, got, []string{
		"H:Blast radius of auth-service",
		"5 services in 3 teams depend on auth-service: 3 directly, 1 at depth 2, 1 at depth 3.",
		"Teams: identity 2 · mobile 2 · payments 1",
		"Cycle: auth-service also depends, through others, on permissions.",
		"Depth 1 (direct)",
		"• checkout-api — team payments · on call: " + checkoutOnCall + " · via dependsOn",
		"• permissions — team identity · on call: ",
		"· via dependsOn · on a cycle",
		"Depth 2\n• mobile-bff — team mobile",
		"via user-profile (dependsOn)",
		"Depth 3\n• ios-app — team mobile",
		"auth-service depends on 1 service and 1 not in the catalog:",
		"• permissions — team identity · dependsOn · on a cycle",
		"• resource:default/sessions-db — not in the catalog · dependsOn",
		"From: catalog-info.yaml: spec.dependsOn component:permissions",
	}, []string{"page 1 of", "auth-service — team"})
	if !strings.HasPrefix(resp.Text, "5 services in 3 teams depend on auth-service (3 directly); it depends on 2 services or references.") {
		t.Errorf("fallback text: %q", resp.Text)
	}

	// Via the API: checkout-api's edges to permissions.
	got = flatten(e.run(t, ada, "/blast permissions"))
	checkReply(t, got, []string{"• checkout-api — team payments", "via consumes api:default/permissions-api"}, nil)

	// Nothing depends on a leaf; an alias resolves; a misspelling gets
	// "did you mean" with /blast buttons.
	got = flatten(e.run(t, ada, "/blast ios-app"))
	checkReply(t, got, []string{"Nothing in the catalog depends on ios-app.", "ios-app depends on 1 service:", "• mobile-bff"}, nil)
	got = flatten(e.run(t, ada, "/blast auth-servce"))
	checkReply(t, got, []string{"Did you mean", "/blast auth-service"}, []string{"Blast radius"})
	got = flatten(e.run(t, ada, "/blast"))
	checkReply(t, got, []string{"Which service?", "/blast SERVICE"}, nil)
	got = flatten(e.run(t, ada, "/blast auth-service --page x"))
	checkReply(t, got, []string{"--page wants a page number from 1", "/blast SERVICE --page 2"}, nil)
}

func TestBlastLargeRadiusPages(t *testing.T) {
	e := blastEnv(t, pdOptions{}, 40)
	resp := e.run(t, ada, "/blast auth-service")
	got := flatten(resp)
	checkReply(t, got, []string{"45 services in 4 teams depend on auth-service: 3 directly, 41 at depth 2, 1 at depth 3.",
		"Teams: data 40 · identity 2 · mobile 2 · payments 1", "Dependents 1–20 of 45 (page 1 of 3).", "button:/blast auth-service --page 2"},
		[]string{"button:/blast auth-service --page 0"})
	if len(resp.Blocks) > 50 {
		t.Errorf("%d blocks, Slack allows 50", len(resp.Blocks))
	}
	for _, b := range resp.Blocks {
		if s, ok := b.(*commands.Section); ok && len(s.Text.String()) > 3000 {
			t.Errorf("a section of %d characters, Slack allows 3,000", len(s.Text.String()))
		}
	}
	got = flatten(e.run(t, ada, "/blast auth-service --page 3"))
	checkReply(t, got, []string{"Dependents 41–45 of 45 (page 3 of 3).", "button:/blast auth-service --page 2", "Depth 3\n• ios-app"},
		[]string{"button:/blast auth-service --page 4"})
	// A page past the end shows the last.
	got = flatten(e.run(t, ada, "/blast auth-service --page 99"))
	checkReply(t, got, []string{"(page 3 of 3)"}, nil)
}

func TestBlastPagerDutyDown(t *testing.T) {
	e := blastEnv(t, pdOptions{}, 0)
	e.fake.SetDown(true)
	e.clock.Advance(20 * time.Minute) // past what the adapter may answer from its cache
	got := flatten(e.run(t, ada, "/blast auth-service"))
	checkReply(t, got, []string{"5 services in 3 teams depend on auth-service",
		"• checkout-api — team payments · on call: unknown (PagerDuty is not reachable) · via dependsOn",
		"• resource:default/sessions-db — not in the catalog"}, nil)

	e = blastEnv(t, pdOptions{noPagerDuty: true}, 0)
	got = flatten(e.run(t, ada, "/blast auth-service"))
	checkReply(t, got, []string{"• checkout-api — team payments · via dependsOn"}, []string{"on call"})
}

// TestBlastCatalogDown: with the service names still answered from the
// cache's memory but the database gone, the graph cannot be read: an
// error the router explains, never "nothing depends on it".
func TestBlastCatalogDown(t *testing.T) {
	e := blastEnv(t, pdOptions{noPagerDuty: true}, 0)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cache := catalog.NewCache(e.store)
	go cache.Run(ctx)
	deadline := time.Now().Add(5 * time.Second)
	for !cache.Live() {
		if time.Now().After(deadline) {
			t.Fatal("the cache never went live")
		}
		time.Sleep(10 * time.Millisecond)
	}
	r := commands.NewRouter(slog.New(slog.DiscardHandler), 5*time.Second)
	r.Register(commands.Blast(cache, cache, nil))
	e.store.Pool().Close()
	resp, err := r.Dispatch(context.Background(), commands.Request{Command: "/blast", Text: "auth-service", User: ada})
	if err == nil {
		t.Fatalf("got no error, want the database's; reply %q", flatten(resp))
	}
	checkReply(t, flatten(resp), nil, []string{"Nothing in the catalog depends"})
	if got := flatten(resp); !strings.Contains(got, "did nothing") && !strings.Contains(got, "not reachable") && !strings.Contains(got, "try again") {
		t.Fatalf("reply: got %q, want an explanation", got)
	}
}

// TestBlastTeamPolicy: dependents without a PagerDuty service get their
// team's escalation policy's on call (as /whoowns does), PagerDuty asked
// once for the policy however many of the team's services depend; a team
// without a policy is "no PagerDuty link".
func TestBlastTeamPolicy(t *testing.T) {
	e := blastEnv(t, pdOptions{}, 0)
	ctx := context.Background()
	bare := func(id int64, name, team string) {
		t.Helper()
		ent := manifest.Entity{Kind: manifest.KindComponent, APIVersion: "backstage.io/v1alpha1", Name: name, Namespace: "default",
			Owner: "group:" + team, Lifecycle: "production", Type: "service", DependsOn: []string{"component:auth-service"}}
		if _, err := e.store.ApplyRepo(ctx, catalog.RepoSnapshot{
			Repo:             catalog.Repo{GitLabID: 60000 + id, Path: fmt.Sprintf("acme/%s/%s", team, name), DefaultBranch: "main", LastCommit: "c1"},
			DescriptorStatus: catalog.DescriptorOK, DescriptorPath: "catalog-info.yaml", Entities: []manifest.Entity{ent},
		}); err != nil {
			t.Fatal(err)
		}
	}
	bare(1, "sso-a", "mobile")
	bare(2, "sso-b", "mobile")
	bare(3, "sso-c", "mobile")
	policy := fakepd.SampleEscalationPolicyID("mobile")
	if tm, err := e.store.FindTeam(ctx, "mobile"); err != nil || tm.PagerDutyEscalationPolicy != policy {
		t.Fatalf("team mobile: %+v, %v; want policy %s", tm, err, policy)
	}
	now, err := e.pd.OnCallForPolicy(ctx, policy)
	if err != nil || len(now.Levels) == 0 || len(now.Levels[0].Users) == 0 {
		t.Fatalf("on call for %s: %+v, %v", policy, now, err)
	}
	name := now.Levels[0].Users[0].Name
	e.clock.Advance(20 * time.Minute) // past the adapter's cache
	e.fake.ResetRequests()
	got := flatten(e.run(t, ada, "/blast auth-service"))
	for _, svc := range []string{"sso-a", "sso-b", "sso-c"} {
		checkReply(t, got, []string{"• " + svc + " — team mobile · on call: " + name}, nil)
	}
	checkReply(t, got, nil, []string{"no PagerDuty link"})
	// The policy is read once (the on-call lookups of mobile's own
	// PagerDuty services ask about it too, by its id, so only this read
	// counts the policy lookups).
	if n := e.fake.CountRequests("GET", "/escalation_policies/"+policy); n != 1 {
		t.Errorf("PagerDuty was asked %d times for policy %s, want once", n, policy)
	}

	// Without the team's policy: no link, said so.
	if _, err := e.store.Pool().Exec(ctx, `UPDATE teams SET pagerduty_escalation_policy = '' WHERE name = 'mobile'`); err != nil {
		t.Fatal(err)
	}
	got = flatten(e.run(t, ada, "/blast auth-service"))
	checkReply(t, got, []string{"• sso-a — team mobile · on call: no PagerDuty link"}, nil)
}
