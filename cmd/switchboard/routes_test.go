package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/gitlab"
	"github.com/switchboard-dev/switchboard/gitlab/fakegitlab"
	"github.com/switchboard-dev/switchboard/sampleorg"
	"github.com/switchboard-dev/switchboard/standards"
)

// TestRoutesMethods: every endpoint asked with the wrong method answers 405
// with the methods it takes in Allow; a path nobody serves is 404.
func TestRoutesMethods(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	srv := testServer(t, envMap{
		"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "0123456789abcdef0123456789abcdef",
		"SLACK_API_URL": "http://127.0.0.1:1/api/", "GITLAB_WEBHOOK_SECRET": "hook-secret", "GITLAB_URL": "http://gitlab.invalid",
	}, log)
	fake := httptest.NewServer(fakegitlab.New(sampleorg.GitLabOrg(time.Now()), fakegitlab.Options{Token: "glpat-t"}))
	defer fake.Close()
	client, err := gitlab.New(gitlab.Config{BaseURL: fake.URL, Token: "glpat-t", Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	std := standards.Default()
	// Only the routes: serve (and its background work) is not started.
	if err := srv.withGitLab(client, std, log); err != nil {
		t.Fatal(err)
	}
	h := srv.http.Handler

	tests := []struct {
		method, path string
		wantCode     int
		wantAllow    string
	}{
		{http.MethodGet, "/gitlab/webhook", 405, "POST"},
		{http.MethodPut, "/gitlab/webhook", 405, "POST"},
		{http.MethodGet, "/slack/commands", 405, "POST"},
		{http.MethodGet, "/slack/interactions", 405, "POST"},
		{http.MethodGet, "/slack/events", 405, "POST"},
		{http.MethodGet, "/slack/options", 405, "POST"},
		{http.MethodPost, "/healthz", 405, "GET"},
		{http.MethodPost, "/readyz", 405, "GET"},
		{http.MethodPost, "/metrics", 405, "GET"},
		{http.MethodDelete, "/metrics", 405, "GET"},
		{http.MethodGet, "/healthz", 200, ""},
		{http.MethodHead, "/healthz", 200, ""},
		{http.MethodGet, "/metrics", 200, ""},
		{http.MethodGet, "/nothing-here", 404, ""},
		{http.MethodGet, "/slack/nothing", 404, ""},
		{http.MethodPost, "/gitlab/webhook", 401, ""}, // served: no X-Gitlab-Token
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, strings.NewReader("")))
			if rec.Code != tt.wantCode {
				body, _ := io.ReadAll(rec.Body)
				t.Fatalf("got %d %q, want %d", rec.Code, body, tt.wantCode)
			}
			if allow := rec.Header().Get("Allow"); !strings.Contains(allow, tt.wantAllow) || (tt.wantAllow == "" && allow != "") {
				t.Fatalf("Allow: got %q, want it to name %q", allow, tt.wantAllow)
			}
		})
	}
}

// TestServeConfigErrorsBeforeDatabase: a configuration error stops serve
// with exit 2 before it touches the database (DATABASE_URL points at
// nothing: had serve tried to connect, it would have failed with 1).
func TestServeConfigErrorsBeforeDatabase(t *testing.T) {
	base := map[string]string{
		"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "0123456789abcdef0123456789abcdef",
		"DATABASE_URL": "postgres://nobody@127.0.0.1:1/nothing?connect_timeout=1",
	}
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"webhook secret without GitLab", map[string]string{"GITLAB_WEBHOOK_SECRET": "s"}, "GITLAB_WEBHOOK_SECRET is set but GITLAB_URL is not"},
		{"GitLab token without URL", map[string]string{"GITLAB_TOKEN": "glpat-x"}, "GITLAB_TOKEN is set but GITLAB_URL is not"},
		{"GitLab URL without scheme", map[string]string{"GITLAB_URL": "gitlab.example.com", "GITLAB_TOKEN": "glpat-x"}, "GITLAB_URL must be an http(s) URL"},
		{"standards file missing", map[string]string{"SWITCHBOARD_CONFIG": "/nonexistent/standards.yaml"}, "SWITCHBOARD_CONFIG"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vars := map[string]string{}
			for k, v := range base {
				vars[k] = v
			}
			for k, v := range tt.env {
				vars[k] = v
			}
			env, _, stderr := testEnv(t, vars)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if code := runServe(ctx, nil, env); code != 2 {
				t.Fatalf("exit %d, want 2; stderr:\n%s", code, stderr)
			}
			if !strings.Contains(stderr.String(), tt.want) {
				t.Fatalf("stderr lacks %q:\n%s", tt.want, stderr)
			}
			if strings.Contains(stderr.String(), "127.0.0.1:1") || strings.Contains(stderr.String(), "migrat") {
				t.Fatalf("serve touched the database before finding the configuration error:\n%s", stderr)
			}
		})
	}
}
