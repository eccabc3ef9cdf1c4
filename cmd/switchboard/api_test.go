package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
	"github.com/switchboard-dev/switchboard/sampleorg"
)

// TestTokenCommand: switchboard token create prints the token alone on
// stdout, once; the API accepts it until switchboard token revoke; both
// are audited; mistakes exit 2 with what is wrong.
func TestTokenCommand(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	tokenRun := func(args ...string) (int, string, string) {
		env, out, errb := testEnv(t, map[string]string{"DATABASE_URL": url, "USER": "ops"})
		code := run(ctx, append([]string{"token"}, args...), env)
		return code, out.String(), errb.String()
	}
	code, out, errb := tokenRun("create", "deploy-pipeline")
	if code != 0 {
		t.Fatalf("create: exit %d: %s", code, errb)
	}
	token := strings.TrimSpace(out)
	if !catalog.LooksLikeAPIToken(token) || !strings.Contains(errb, "shown this once") {
		t.Fatalf("create printed %q (stderr %q)", out, errb)
	}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	store := catalog.NewStore(pool, nil)
	if got, err := store.AuthenticateAPIToken(ctx, token); err != nil || got.Name != "deploy-pipeline" || got.CreatedBy != "cli:ops" {
		t.Fatalf("authenticate: %+v, %v", got, err)
	}
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"create", "deploy-pipeline"}, 2, "exists already"},
		{[]string{"create", "no spaces allowed"}, 2, "a token's name is"},
		{[]string{"create", "a", "b"}, 2, "give the token's name"},
		{[]string{"create", "-bad"}, 2, "flag provided but not defined"},
		{[]string{"create", "bad/name"}, 2, "a token's name is"},
		{[]string{"create"}, 2, "give the token's name"},
		{[]string{"rotate", "x"}, 2, "unknown action"},
		{[]string{"list"}, 0, "deploy-pipeline"},
		{[]string{"revoke", "deploy-pipeline"}, 0, "Revoked"},
		{[]string{"revoke", "deploy-pipeline"}, 2, "no valid api token"},
		{[]string{"list"}, 0, "No API tokens"},
		{[]string{"list", "--all"}, 0, "deploy-pipeline"},
	} {
		code, out, errb := tokenRun(tt.args...)
		if code != tt.code || !strings.Contains(out+errb, tt.want) {
			t.Errorf("token %v: exit %d, want %d; output %q, want %q", tt.args, code, tt.code, out+errb, tt.want)
		}
	}
	if _, err := store.AuthenticateAPIToken(ctx, token); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("revoked token authenticated: %v", err)
	}
	log, err := store.AuditLog(ctx, "api_token:deploy-pipeline", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 2 || log[0].Action != "api_token.revoke" || log[1].Action != "api_token.create" || log[0].Actor != "cli:ops" {
		t.Errorf("audit: %+v", log)
	}
}

// pipe is one direction of a stdio connection.
type pipeRWC struct {
	io.Reader
	io.Writer
	close func() error
}

func (p pipeRWC) Close() error { return p.close() }

// TestMCPStdio: switchboard mcp speaks MCP on stdin/stdout; the SDK's
// client lists the tools and asks whoowns of the catalog of DATABASE_URL.
func TestMCPStdio(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	url := pgtest.URL(t)
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := sampleorg.Load(ctx, catalog.NewStore(pool, nil)); err != nil {
		t.Fatal(err)
	}
	env, _, errb := testEnv(t, map[string]string{"DATABASE_URL": url})
	inR, inW := io.Pipe()   // client -> switchboard mcp
	outR, outW := io.Pipe() // switchboard mcp -> client
	env.Stdin, env.Stdout = inR, outW
	done := make(chan int, 1)
	go func() {
		code := run(ctx, []string{"mcp"}, env)
		outW.Close()
		done <- code
	}()
	client := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil)
	cs, err := client.Connect(ctx, &mcp.IOTransport{Reader: outR, Writer: pipeRWC{Writer: inW, close: inW.Close}}, nil)
	if err != nil {
		t.Fatalf("connect: %v; stderr: %s", err, errb)
	}
	tools, err := cs.ListTools(ctx, nil)
	if err != nil || len(tools.Tools) != 7 {
		t.Fatalf("tools: %v, %v", tools, err)
	}
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "whoowns", Arguments: map[string]any{"service": "checkout-api"}})
	if err != nil || res.IsError {
		t.Fatalf("whoowns: %+v, %v", res, err)
	}
	if b, _ := json.Marshal(res.StructuredContent); !strings.Contains(string(b), `"name":"payments"`) {
		t.Errorf("whoowns: %s", b)
	}
	cs.Close() // closes stdin: the server ends
	if code := <-done; code != 0 {
		t.Errorf("exit %d; stderr: %s", code, errb)
	}
}

// TestServeMountsAPI: serve's mux has the API, behind tokens, over the
// catalog it serves.
func TestServeMountsAPI(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	srv := testServer(t, envMap{"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "0123456789abcdef0123456789abcdef",
		"SLACK_API_URL": "http://127.0.0.1:1/api/"}, log)
	ctx := context.Background()
	if err := sampleorg.Load(ctx, srv.store); err != nil {
		t.Fatal(err)
	}
	_, token, err := srv.store.CreateAPIToken(ctx, "t", "UTEST")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		auth string
		code int
		want string
	}{
		{"", 401, `"unauthorized"`},
		{"Bearer " + token, 200, `"name":"payments"`},
	} {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/services/checkout-api", nil)
		if tt.auth != "" {
			req.Header.Set("Authorization", tt.auth)
		}
		rec := httptest.NewRecorder()
		srv.http.Handler.ServeHTTP(rec, req)
		if rec.Code != tt.code || !strings.Contains(rec.Body.String(), tt.want) {
			t.Errorf("auth %q: got %d %s", tt.auth, rec.Code, rec.Body)
		}
	}
	// /mcp through a proxy on the same host: a loopback connection with
	// the public Host is served (the token is what protects it).
	hs := httptest.NewServer(srv.http.Handler)
	defer hs.Close()
	initialize := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`
	req, _ := http.NewRequest(http.MethodPost, hs.URL+"/mcp", strings.NewReader(initialize))
	req.Host = "switchboard.example.com"
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"serverInfo"`) {
		t.Errorf("/mcp behind a local proxy: got %d %s", resp.StatusCode, body)
	}
}

// TestDemoListenAPI: switchboard demo --listen without a signing secret
// prints a demo API token, and the API answers with it: checkout-api is
// the payments team's, as the docs' curl shows.
func TestDemoListenAPI(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	env, out, errb := testEnv(t, map[string]string{})
	var mu sync.Mutex
	env.Stderr = &lockedWriter{mu: &mu, w: errb}
	env.Stdout = &lockedWriter{mu: &mu, w: out}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"demo", "--listen", addr}, env) }()
	var token string
	deadline := time.Now().Add(60 * time.Second)
	for token == "" {
		mu.Lock()
		stdout := out.String()
		mu.Unlock()
		if _, rest, ok := strings.Cut(stdout, "Demo API token: "); ok {
			token, _, _ = strings.Cut(rest, "\n")
			break
		}
		select {
		case c := <-done:
			t.Fatalf("demo ended with %d; stderr: %s", c, errb)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no token printed; stdout: %s", stdout)
		}
	}
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/api/v1/services/checkout-api", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	// The demo grades its services: the level /whoowns shows is in the answer.
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"owner":{"name":"payments"`) || !strings.Contains(string(body), `"scorecard":{"level":3,"level_name":"Gold"`) {
		t.Errorf("got %d %s", resp.StatusCode, body)
	}
	cancel()
	if c := <-done; c != 0 {
		t.Fatalf("exit %d; stderr:\n%s", c, errb)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, w := range []string{"/mcp", "curl -H \"Authorization: Bearer " + token + "\"", "SLACK_SIGNING_SECRET is unset"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("stdout lacks %q: %s", w, out)
		}
	}
}
