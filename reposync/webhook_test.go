package reposync_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/gitlab/fakegitlab"
	"github.com/switchboard-dev/switchboard/reposync"
)

const hookSecret = "s3cret-webhook-token"

func newHookEnv(t testing.TB) (*env, *httptest.Server) {
	t.Helper()
	e := newEnv(t, 30, fakegitlab.Options{WebhookSecret: hookSecret})
	if _, err := e.syncer.Run(context.Background(), time.Time{}); err != nil {
		t.Fatal(err)
	}
	hook, err := reposync.NewWebhook(hookSecret, e.syncer, e.store, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go hook.Run(ctx, 4)
	srv := httptest.NewServer(hook)
	t.Cleanup(srv.Close)
	return e, srv
}

func checkoutProject(t testing.TB, e *env) fakegitlab.Project {
	t.Helper()
	p, ok := e.fake.ProjectByPath("payments/checkout-api")
	if !ok {
		t.Fatal("no payments/checkout-api in the fake")
	}
	return p
}

func owner(t testing.TB, s *catalog.Store, name string) string {
	t.Helper()
	l, err := s.FindService(context.Background(), name)
	if err != nil || len(l.Services) != 1 {
		return ""
	}
	return l.Services[0].Team
}

func waitUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func withOwner(descriptor []byte, team string) []byte {
	lines := strings.Split(string(descriptor), "\n")
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "owner:") {
			lines[i] = l[:strings.Index(l, "owner:")] + "owner: group:" + team
		}
	}
	return []byte(strings.Join(lines, "\n"))
}

func TestWebhookPushResyncsRepo(t *testing.T) {
	e, srv := newHookEnv(t)
	p := checkoutProject(t, e)
	if got := owner(t, e.store, "checkout-api"); got != "payments" {
		t.Fatalf("before: owner %q", got)
	}
	hook, err := e.fake.Push(p.ID, fakegitlab.Change{Files: map[string][]byte{"catalog-info.yaml": withOwner(p.Files["catalog-info.yaml"], "fulfilment")}})
	if err != nil {
		t.Fatal(err)
	}
	if code, err := hook.Send(context.Background(), nil, srv.URL); err != nil || code != http.StatusAccepted {
		t.Fatalf("send: %d %v", code, err)
	}
	waitUntil(t, "the new owner", func() bool { return owner(t, e.store, "checkout-api") == "fulfilment" })

	// A push to another branch changes nothing.
	hook, err = e.fake.Push(p.ID, fakegitlab.Change{Branch: "feature", Files: map[string][]byte{"catalog-info.yaml": withOwner(p.Files["catalog-info.yaml"], "nobody")}})
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := hook.Send(context.Background(), nil, srv.URL); code != http.StatusAccepted {
		t.Fatalf("feature push: %d", code)
	}
	time.Sleep(200 * time.Millisecond)
	if got := owner(t, e.store, "checkout-api"); got != "fulfilment" {
		t.Fatalf("a feature-branch push changed the owner to %q", got)
	}
}

func TestWebhookRejectsBadRequests(t *testing.T) {
	e, srv := newHookEnv(t)
	p := checkoutProject(t, e)
	hook, err := e.fake.Push(p.ID, fakegitlab.Change{Files: map[string][]byte{"catalog-info.yaml": withOwner(p.Files["catalog-info.yaml"], "mallory")}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		token string
		body  []byte
		want  int
	}{
		{"no token", "", hook.Body, http.StatusUnauthorized},
		{"wrong token", "s3cret-webhook-tokem", hook.Body, http.StatusUnauthorized},
		{"malformed", hookSecret, []byte(`{"object_kind": "push", "project_id": `), http.StatusBadRequest},
		{"push without project", hookSecret, []byte(`{"object_kind": "push"}`), http.StatusBadRequest},
		{"oversized", hookSecret, append([]byte(`{"object_kind":"push","x":"`), bytes.Repeat([]byte("a"), 6<<20)...), http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(tt.body))
			req.Header.Set("X-Gitlab-Event", "Push Hook")
			if tt.token != "" {
				req.Header.Set("X-Gitlab-Token", tt.token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Fatalf("status: got %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
	time.Sleep(200 * time.Millisecond)
	if got := owner(t, e.store, "checkout-api"); got != "payments" {
		t.Fatalf("a rejected hook changed the owner to %q", got)
	}
}

func TestSystemHooks(t *testing.T) {
	e, srv := newHookEnv(t)
	ctx := context.Background()
	p := checkoutProject(t, e)
	hook, err := e.fake.RenameProject(p.ID, "checkout-service")
	if err != nil {
		t.Fatal(err)
	}
	if code, err := hook.Send(ctx, nil, srv.URL); err != nil || code != http.StatusAccepted {
		t.Fatalf("rename: %d %v", code, err)
	}
	waitUntil(t, "the new path", func() bool {
		var path string
		_ = e.store.Pool().QueryRow(ctx, `SELECT path FROM repos WHERE gitlab_id = $1`, p.ID).Scan(&path)
		return path == "payments/checkout-service"
	})
	hook, err = e.fake.DeleteProject(p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if code, err := hook.Send(ctx, nil, srv.URL); err != nil || code != http.StatusAccepted {
		t.Fatalf("destroy: %d %v", code, err)
	}
	l, err := e.store.FindService(ctx, "checkout-api")
	if err != nil || len(l.Services) != 1 || l.Services[0].Status != catalog.StatusOrphaned {
		t.Fatalf("after destroy: %+v %v; want checkout-api orphaned, not gone", l.Services, err)
	}
}

// BenchmarkWebhookToVisible measures a push to the catalog showing it: the
// push hook is sent, the webhook syncs the repo (its tree and files from
// the fake GitLab, 50 ms a request), and the new owner becomes visible.
func BenchmarkWebhookToVisible(b *testing.B) {
	e, srv := newHookEnv(b)
	e.fake.SetLatency(50 * time.Millisecond)
	p := checkoutProject(b, e)
	var lat []time.Duration
	for i := 0; b.Loop(); i++ {
		team := []string{"fulfilment", "payments"}[i%2]
		hook, err := e.fake.Push(p.ID, fakegitlab.Change{Files: map[string][]byte{"catalog-info.yaml": withOwner(p.Files["catalog-info.yaml"], team)}})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if code, err := hook.Send(context.Background(), nil, srv.URL); err != nil || code != http.StatusAccepted {
			b.Fatalf("send: %d %v", code, err)
		}
		for owner(b, e.store, "checkout-api") != team {
			time.Sleep(time.Millisecond)
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
}

// levelCounter counts log records at ERROR.
type levelCounter struct {
	slog.Handler
	errors atomic.Int32
}

func (c *levelCounter) Enabled(context.Context, slog.Level) bool { return true }
func (c *levelCounter) Handle(_ context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError {
		c.errors.Add(1)
	}
	return nil
}
func (c *levelCounter) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c *levelCounter) WithGroup(string) slog.Handler      { return c }

// TestWebhookRefusesNULAndInvalidUTF8 answers a hook whose body holds a NUL
// character (raw or \u0000) or bytes that are not UTF-8 with 400 and a body
// naming the problem, before anything is queued or stored, and logs no
// ERROR. An escaped backslash before "u0000" is text, and taken.
func TestWebhookRefusesNULAndInvalidUTF8(t *testing.T) {
	e := newEnv(t, 30, fakegitlab.Options{WebhookSecret: hookSecret})
	if _, err := e.syncer.Run(context.Background(), time.Time{}); err != nil {
		t.Fatal(err)
	}
	logs := &levelCounter{}
	hook, err := reposync.NewWebhook(hookSecret, e.syncer, e.store, slog.New(logs))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(hook)
	t.Cleanup(srv.Close)
	p := checkoutProject(t, e)
	push, err := e.fake.Push(p.ID, fakegitlab.Change{Files: map[string][]byte{"catalog-info.yaml": withOwner(p.Files["catalog-info.yaml"], "mallory")}})
	if err != nil {
		t.Fatal(err)
	}
	inject := func(field, value string) []byte {
		b := bytes.Replace(push.Body, []byte(`"`+field+`":"`), []byte(`"`+field+`":"`+value), 1)
		if bytes.Equal(b, push.Body) {
			t.Fatalf("no %q in the push body %s", field, push.Body)
		}
		return b
	}
	tests := []struct {
		name string
		body []byte
		want int
		says string
	}{
		{"escaped NUL in the ref", inject("ref", `\u0000`), http.StatusBadRequest, `NUL character (\u0000)`},
		{"escaped NUL in a system hook's path", []byte(`{"event_name":"project_rename","project_id":` + strconv.FormatInt(p.ID, 10) + `,"path_with_namespace":"payments/a\u0000b"}`), http.StatusBadRequest, `NUL character (\u0000)`},
		{"raw NUL", inject("ref", "\x00"), http.StatusBadRequest, "NUL byte"},
		{"invalid UTF-8", inject("ref", "\xff\xfe"), http.StatusBadRequest, "not valid UTF-8"},
		{"escaped backslash then u0000: text", []byte(`{"object_kind":"push","project_id":` + strconv.FormatInt(p.ID, 10) + `,"ref":"refs/heads/feature","project":{"default_branch":"main"},"x":"\\u0000"}`), http.StatusAccepted, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(tt.body))
			req.Header.Set("X-Gitlab-Token", hookSecret)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.want || !strings.Contains(string(body), tt.says) {
				t.Fatalf("got %d %q, want %d saying %q", resp.StatusCode, body, tt.want, tt.says)
			}
		})
	}
	// Refused before anything was queued: nothing ran, nothing changed.
	if got := owner(t, e.store, "checkout-api"); got != "payments" {
		t.Fatalf("a refused hook changed the owner to %q", got)
	}
	if n := logs.errors.Load(); n != 0 {
		t.Fatalf("ERROR logged %d times", n)
	}
}
