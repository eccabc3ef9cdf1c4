package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/bot/fakeslack"
	"github.com/switchboard-dev/switchboard/migrations"

	"github.com/switchboard-dev/switchboard/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// testEnv returns an environment whose DATABASE_URL points at the test
// server, plus the buffers standing for stdout and stderr.
func testEnv(t *testing.T, vars map[string]string) (*Env, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	if _, ok := vars["DATABASE_URL"]; !ok {
		if srv := pgtest.Server(); srv != nil {
			vars["DATABASE_URL"] = srv.URL("postgres")
		} else {
			vars["DATABASE_URL"] = os.Getenv("TEST_DATABASE_URL")
		}
	}
	if _, ok := vars[envMavenRepositories]; !ok {
		vars[envMavenRepositories] = "off" // no test asks Maven Central
	}
	var out, errb bytes.Buffer
	return &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return vars[k] }}, &out, &errb
}

func TestDemoRun(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     []string
	}{
		{"owner", []string{"--run", "/whoowns checkout-api"}, 0, []string{"checkout-api", "Owner:", "payments", "Runbook:", "Repo:"}},
		{"ambiguous", []string{"--run", "/whoowns frontend"}, 0, []string{"2 services are called `frontend`", "storefront/frontend — owned by storefront", "backoffice/frontend — owned by backoffice"}},
		{"misspelt", []string{"--run", "/whoowns chekout-api"}, 0, []string{"Did you mean", "/whoowns checkout-api"}},
		{"several", []string{"--run", "/help", "--run", "/whoowns cart"}, 0, []string{"/whoowns SERVICE", "`cart` is an alias of `basket-service`"}},
		{"unknown command", []string{"--run", "/frobnicate"}, 0, []string{"There is no command /frobnicate"}},
		{"impact", []string{"--run", "/impact log4j-core <2.17.1"}, 0, []string{"log4j-core <2.17.1: 8 repos, 7 services, 5 teams — 2 transitive", "payment-gateway", "`2.14.1` in pom.xml", "sso-bridge", "acme/payments/payments-scripts",
			"shipping-api — acme/storefront/shipping-api", "`2.14.1` in pom.xml:8 (via spring-boot-starter-log4j2 2.6.1 at pom.xml:8)"}},
		{"impact advisory", []string{"--run", "/impact CVE-2021-44228"}, 0, []string{"GHSA-jfh8-c2jp-5v3q (CVE-2021-44228)", "CVE-2021-44228: 8 repos, 7 services, 5 teams — 2 transitive",
			// The resolver places a direct dependency at its <dependency> element.
			"`2.14.1` in pom.xml:15 (direct) — fixed in `2.15.0`", "`2.11.2` in pom.xml:15 (direct) — fixed in `2.12.2`", "Dependency graphs incomplete in",
			"`2.14.1` in pom.xml:8 (via spring-boot-starter-log4j2 2.6.1 at pom.xml:8) — fixed in `2.15.0`",
			// A version set outside the repo says by what; a BOM import's line is the one to change.
			"invoice-service — acme/backoffice/invoice-service", "`2.14.1` in pom.xml:14 (direct) — version set by `example.acme:java-parent:3.2.0` — fixed in `2.15.0`",
			"`2.14.1` in pom.xml:9 (direct) — version set by `org.apache.logging.log4j:log4j-bom:2.14.1`",
			"`2.14.1` in bom.json:42 (via acme-metrics-client 3.2.0 at build.gradle:20 → acme-logging 3.2.0)"}},
		{"impact go indirect", []string{"--run", "/impact GHSA-qppj-fm5r-hxr3"}, 0, []string{"GHSA-qppj-fm5r-hxr3: 1 repos, 1 services, 1 teams — 1 transitive",
			"`v0.10.0` in go.mod:8 (transitive: go.mod does not record through what) — fixed in `0.17.0`", "Every repo's dependency graph is complete"}},
		{"impact csv", []string{"--run", "/impact log4j-core <2.17.1 --csv"}, 0, []string{"The full list (10 lines) is sent to you as a file: `impact-log4j-core-2.17.1.csv`",
			"[file impact-log4j-core-2.17.1.csv", "status,team,services,repo,repo_url,ecosystem,package,version,relation,via,file,line,change_at,scope,version_set_by,fixed_version,note"}},
		{"impact advisory unknown", []string{"--run", "/impact CVE-2099-0001"}, 0, []string{"No advisory `CVE-2099-0001` found"}},
		{"scorecard", []string{"--run", "/scorecard checkout-api", "--run", "/scorecard payments", "--run", "/scorecard", "--run", "/scorecard service-mesh", "--run", "/whoowns checkout-api"}, 0, []string{
			// GitLab's last merge (a few days ago) lifts checkout-api to gold.
			"Scorecard: checkout-api", "Gold (level 3 of 3)", "✓ CI configuration", "✓ A merge in the last 90 days",
			"Scorecard: team payments", "The change that would lift most: Slack channel", "• `pricing-engine` — next Silver: Runbook",
			"Scorecard: the organisation", "44 services graded:", "• Gold: 2 (5%)", "• (no owner) (2)",
			// PagerDuty cannot be asked about a service known only by its integration key: unknown, not failed.
			"? Someone on call now — unknown: the descriptor gives only a PagerDuty integration key",
			"Scorecard: Gold — the top level"}},
		{"scorecard stale merge", []string{"--run", "/scorecard deploy-bot"}, 0, []string{
			"Silver (level 2 of 3)", "✗ A merge in the last 90 days (now 200d)"}},
		{"campaign", []string{"--run", "/campaign new log4j-core <2.17.1 --deadline 2026-12-31 --yes", "--run", "/campaign list"}, 0, []string{
			"Campaign started: `log4j-core-2-17-1`", "7 remaining, 0 done, 0 won't fix; due 2026-12-31", "• payments: 2 left, 0 done, 0 won't fix",
			"• storefront — shipping-api: `pom.xml:8` → move to `2.17.1`",
			"Move off log4j-core <2.17.1 (`log4j-core-2-17-1`): 7 remaining, 0 done, 0 won't fix; 5 teams; due 2026-12-31 █"}},
		{"campaign status", []string{"--run", "/campaign new file:.gitlab-ci.yml --deadline 2026-12-31 --name ci --yes", "--run", "/campaign status ci"}, 0, []string{
			"Remaining a day: █", "[file campaign-ci-burndown.png: Add .gitlab-ci.yml: burn-down"}},
		{"bad flag", []string{"--nope"}, 2, nil},
		{"stray argument", []string{"/whoowns", "x"}, 2, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, out, errb := testEnv(t, map[string]string{})
			code := run(context.Background(), append([]string{"demo"}, tt.args...), env)
			if code != tt.wantCode {
				t.Fatalf("exit code: got %d, want %d; stderr:\n%s", code, tt.wantCode, errb)
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q; got:\n%s", w, out)
				}
			}
		})
	}
}

func TestDemoShellFromStdin(t *testing.T) {
	env, out, errb := testEnv(t, map[string]string{})
	env.Stdin = strings.NewReader("/whoowns checkout-api\n\n/whoowns ledger\nexit\n/whoowns never-reached\n")
	if code := run(context.Background(), []string{"demo"}, env); code != 0 {
		t.Fatalf("exit code %d; stderr:\n%s", code, errb)
	}
	got := out.String()
	if !strings.Contains(got, "Takes the basket to a paid order.") || !strings.Contains(got, "Double-entry ledger") {
		t.Fatalf("got:\n%s", got)
	}
	if strings.Contains(got, "never-reached") {
		t.Fatal("commands after exit ran")
	}
}

// TestDemoEmbedded runs the demo with DATABASE_URL unset: it starts its own
// Postgres in --data-dir, answers, and stops it.
func TestDemoEmbedded(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Postgres server")
	}
	dir, err := os.MkdirTemp("", "sbdemo-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	dataDir := filepath.Join(dir, "pg")
	for range 2 { // the second run finds the cluster initialised
		env, out, errb := testEnv(t, map[string]string{"DATABASE_URL": ""})
		code := run(context.Background(), []string{"demo", "--data-dir", dataDir, "--run", "/whoowns checkout-api"}, env)
		if code != 0 || !strings.Contains(out.String(), "payments") {
			t.Fatalf("exit %d, output:\n%s\nstderr:\n%s", code, out, errb)
		}
	}
	if _, err := os.Stat(filepath.Join(dataDir, "postmaster.pid")); !os.IsNotExist(err) {
		t.Fatalf("postmaster.pid: got %v, want it gone (server stopped)", err)
	}
}

func TestMigrateCommand(t *testing.T) {
	env, out, errb := testEnv(t, map[string]string{})
	env.Getenv = func(k string) string {
		if k == "DATABASE_URL" {
			return pgtest.URL(t)
		}
		return ""
	}
	if code := run(context.Background(), []string{"migrate"}, env); code != 0 {
		t.Fatalf("exit %d: %s", code, errb)
	}
	files, _ := fs.Glob(migrations.FS, "*.sql")
	if want := fmt.Sprintf("schema at version %d of %d", len(files), len(files)); !strings.Contains(out.String(), want) {
		t.Fatalf("got %q", out)
	}
}

func TestUsage(t *testing.T) {
	env, out, _ := testEnv(t, map[string]string{})
	if code := run(context.Background(), nil, env); code != 0 || !strings.Contains(out.String(), "demo") {
		t.Fatalf("help: exit %d, %q", code, out)
	}
	env, _, errb := testEnv(t, map[string]string{})
	if code := run(context.Background(), []string{"frob"}, env); code != 2 || !strings.Contains(errb.String(), `unknown command "frob"`) {
		t.Fatalf("unknown: exit %d, %q", code, errb)
	}
}

func TestBadDatabaseURL(t *testing.T) {
	env, _, errb := testEnv(t, map[string]string{"DATABASE_URL": "postgres://nobody@127.0.0.1:1/x?connect_timeout=2"})
	if code := run(context.Background(), []string{"demo", "--run", "/help"}, env); code != 1 {
		t.Fatalf("exit: got %d, want 1", code)
	}
	if !strings.Contains(errb.String(), "127.0.0.1") {
		t.Fatalf("stderr should say which server failed; got %q", errb)
	}
}

// TestDemoListen serves the demo's Slack endpoints: a signed /whoowns is
// answered from the demo catalog, and the Web API calls the bot makes are
// logged.
func TestDemoListen(t *testing.T) {
	const secret = "demo-secret-0123456789"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	env, out, errb := testEnv(t, map[string]string{"SLACK_SIGNING_SECRET": secret})
	var mu sync.Mutex
	env.Stderr = &lockedWriter{mu: &mu, w: errb}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"demo", "--listen", addr}, env) }()

	post := func(path string, body []byte) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+path, bytes.NewReader(body))
		req.Header = fakeslack.Sign(secret, body, time.Now())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	body := fakeslack.SlashCommand("/whoowns", "checkout-api", "UPAY01", "C1", "", "T")
	var code int
	var answer string
	for i := 0; i < 100; i++ { // until the demo is up
		if code, answer = post("/slack/commands", body); code != 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code != 200 || !strings.Contains(answer, "payments") {
		t.Fatalf("got %d %s", code, answer)
	}
	event := []byte(`{"type":"event_callback","event_id":"Ev1","event":{"type":"app_home_opened","user":"UPAY01","tab":"home"}}`)
	if code, _ := post("/slack/events", event); code != 200 {
		t.Fatalf("event: %d", code)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		logged := strings.Contains(errb.String(), "method=views.publish")
		mu.Unlock()
		if logged {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("views.publish not logged; stderr:\n%s", errb)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if c := <-done; c != 0 {
		t.Fatalf("exit %d; stderr:\n%s", c, errb)
	}
	if !strings.Contains(out.String(), "Serving Slack's endpoints") {
		t.Fatalf("stdout: %s", out)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
