package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/switchboard-dev/switchboard/bot/fakeslack"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
)

func TestServeConfig(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantErr []string
		notErr  []string
	}{
		{"http mode", map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "0123456789abcdef0123"}, nil, nil},
		{"socket mode", map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}, nil, nil},
		{"nothing", map[string]string{}, []string{"SLACK_BOT_TOKEN is not set", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"}, nil},
		{"user token", map[string]string{"SLACK_BOT_TOKEN": "xoxp-secret-value", "SLACK_APP_TOKEN": "xapp-1"}, []string{"SLACK_BOT_TOKEN must start with xoxb-"}, []string{"secret-value"}},
		{"bot token as app token", map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xoxb-2"}, []string{"SLACK_APP_TOKEN must start with xapp-"}, nil},
		{"bad listen", map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1", "LISTEN_ADDR": "8080"}, []string{"LISTEN_ADDR must be host:port"}, nil},
		{"bad api url", map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1", "SLACK_API_URL": "slack.com"}, []string{"SLACK_API_URL must be an http(s) URL"}, nil},
		{"bad maven repositories", map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1", "MAVEN_REPOSITORIES": "nexus.example.com"}, []string{"MAVEN_REPOSITORIES: maven repository 1"}, nil},
		{"maven off", map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1", "MAVEN_REPOSITORIES": "off"}, nil, nil},
		{"short secret", map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "abc"}, []string{"SLACK_SIGNING_SECRET is too short"}, []string{"abc"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadServeConfig(func(k string) string { return tt.env[k] })
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatal("got nil error")
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q: %v", w, err)
				}
			}
			for _, w := range tt.notErr {
				if strings.Contains(err.Error(), w) {
					t.Errorf("error echoes a secret %q: %v", w, err)
				}
			}
		})
	}
}

// TestServe runs the server on a loopback port: a signed /whoowns is
// answered, the metrics count it, and cancelling shuts it down cleanly.
func TestServe(t *testing.T) {
	fs := fakeslack.NewForTest(t, nil, nil)
	const secret = "0123456789abcdef0123456789abcdef"
	var logs bytes.Buffer
	srv := testServer(t, envMap{
		"SLACK_BOT_TOKEN": fakeslack.Token, "SLACK_SIGNING_SECRET": secret, "SLACK_API_URL": fs.APIURL(), "LISTEN_ADDR": "127.0.0.1:0",
	}, slog.New(slog.NewTextHandler(&logs, nil)))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.serve(ctx, ln) }()
	base := "http://" + ln.Addr().String()

	body := fakeslack.SlashCommand("/whoowns", "nothing-here", "U1", "C1", fs.ResponseURL("x"), "T")
	req, _ := http.NewRequest(http.MethodPost, base+"/slack/commands", bytes.NewReader(body))
	req.Header = fakeslack.Sign(secret, body, time.Now())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(answer), "No service named") {
		t.Fatalf("slash command: %d %s", resp.StatusCode, answer)
	}
	for path, want := range map[string]string{
		"/metrics": `switchboard_commands_total{command="/whoowns",outcome="ok"} 1`,
		"/readyz":  "ready",
		"/healthz": "ok",
	} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(got), want) {
			t.Errorf("%s lacks %q:\n%.2000s", path, want, got)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop within 10 s of cancellation")
	}
	if strings.Contains(logs.String(), secret) || strings.Contains(logs.String(), fakeslack.Token) {
		t.Fatal("a secret appears in the logs")
	}
}

type envMap map[string]string

// get returns m's value of k; MAVEN_REPOSITORIES is "off" unless given, so
// that no test asks Maven Central.
func (m envMap) get(k string) string {
	if v, ok := m[k]; ok || k != envMavenRepositories {
		return v
	}
	return "off"
}

// testServer is newServer over env's configuration and a fresh database,
// closed when the test ends.
func testServer(t *testing.T, env envMap, log *slog.Logger) *server {
	t.Helper()
	cfg, err := loadServeConfig(env.get)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.New(context.Background(), pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	db := &database{Pool: pool}
	t.Cleanup(db.Close)
	srv, err := newServer(cfg, db, log, extras{})
	if err != nil {
		t.Fatal(err)
	}
	return srv
}
