package reposync_test

import (
	"bytes"
	"context"
	"fmt"
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

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/gitlab/fakegitlab"
	"github.com/switchboard-dev/switchboard/reposync"
)

const hookSecret = "s3cret-webhook-token"

// newHookEnv is a synced catalog and one replica working the webhook's
// jobs.
func newHookEnv(t testing.TB) (*env, *replica) {
	t.Helper()
	e := newEnv(t, 30, fakegitlab.Options{WebhookSecret: hookSecret})
	if _, err := e.syncer.Run(context.Background(), time.Time{}); err != nil {
		t.Fatal(err)
	}
	return e, e.newReplica(t, "a", replicaOpts{start: true})
}

// jobCount counts the jobs ever inserted.
func jobCount(t testing.TB, s *catalog.Store) int {
	t.Helper()
	var n int
	if err := s.Pool().QueryRow(context.Background(), `SELECT count(*) FROM river_job`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
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
	e, r := newHookEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p := checkoutProject(t, e)
	if got := owner(t, e.store, "checkout-api"); got != "payments" {
		t.Fatalf("before: owner %q", got)
	}
	hook, err := e.fake.Push(p.ID, fakegitlab.Change{Files: map[string][]byte{"catalog-info.yaml": withOwner(p.Files["catalog-info.yaml"], "fulfilment")}})
	if err != nil {
		t.Fatal(err)
	}
	r.send(t, hook)
	r.waitCompleted(t, ctx, p.ID)
	if got := owner(t, e.store, "checkout-api"); got != "fulfilment" {
		t.Fatalf("after the push: owner %q, want fulfilment", got)
	}

	// A push to another branch changes nothing: no job is queued.
	jobsBefore := jobCount(t, e.store)
	hook, err = e.fake.Push(p.ID, fakegitlab.Change{Branch: "feature", Files: map[string][]byte{"catalog-info.yaml": withOwner(p.Files["catalog-info.yaml"], "nobody")}})
	if err != nil {
		t.Fatal(err)
	}
	r.send(t, hook)
	if n := jobCount(t, e.store); n != jobsBefore {
		t.Fatalf("a feature-branch push queued %d jobs", n-jobsBefore)
	}
}

func TestWebhookRejectsBadRequests(t *testing.T) {
	e, r := newHookEnv(t)
	srv := r.hook
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
	// Refused before anything was queued.
	if n := jobCount(t, e.store); n != 0 {
		t.Fatalf("rejected hooks queued %d jobs", n)
	}
}

func TestSystemHooks(t *testing.T) {
	e, r := newHookEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p := checkoutProject(t, e)
	hook, err := e.fake.RenameProject(p.ID, "checkout-service")
	if err != nil {
		t.Fatal(err)
	}
	r.send(t, hook)
	r.waitCompleted(t, ctx, p.ID)
	var path string
	if err := e.store.Pool().QueryRow(ctx, `SELECT path FROM repos WHERE gitlab_id = $1`, p.ID).Scan(&path); err != nil || path != "payments/checkout-service" {
		t.Fatalf("after the rename: path %q, %v", path, err)
	}
	hook, err = e.fake.DeleteProject(p.ID)
	if err != nil {
		t.Fatal(err)
	}
	r.send(t, hook)
	r.waitIdle(t, ctx, (reposync.DestroyArgs{}).Kind())
	l, err := e.store.FindService(ctx, "checkout-api")
	if err != nil || len(l.Services) != 1 || l.Services[0].Status != catalog.StatusOrphaned {
		t.Fatalf("after destroy: %+v %v; want checkout-api orphaned, not gone", l.Services, err)
	}
}

// BenchmarkWebhookToVisible measures a push to the catalog showing it: the
// push hook is sent to a replica, which answers once the job is queued; a
// replica works it (its settling, then the comparison and the changed
// descriptor from the fake GitLab at 50 ms a request) and the new owner
// becomes visible. With two replicas, hooks go to each in turn.
func BenchmarkWebhookToVisible(b *testing.B) {
	for _, n := range []int{1, 2} {
		b.Run(fmt.Sprintf("replicas-%d", n), func(b *testing.B) {
			e := newEnv(b, 30, fakegitlab.Options{WebhookSecret: hookSecret})
			if _, err := e.syncer.Run(context.Background(), time.Time{}); err != nil {
				b.Fatal(err)
			}
			var rs []*replica
			for i := range n {
				rs = append(rs, e.newReplica(b, string(rune('a'+i)), replicaOpts{start: true}))
			}
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
				rs[i%n].send(b, hook)
				for owner(b, e.store, "checkout-api") != team {
					time.Sleep(time.Millisecond)
				}
				lat = append(lat, time.Since(start))
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		})
	}
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
	hook, err := reposync.NewWebhook(hookSecret, nopInserter{}, e.store, slog.New(logs))
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
	if n := jobCount(t, e.store); n != 0 {
		t.Fatalf("refused hooks queued %d jobs", n)
	}
	if got := owner(t, e.store, "checkout-api"); got != "payments" {
		t.Fatalf("a refused hook changed the owner to %q", got)
	}
	if n := logs.errors.Load(); n != 0 {
		t.Fatalf("ERROR logged %d times", n)
	}
}

// nopInserter queues nothing.
type nopInserter struct{}

func (nopInserter) Insert(context.Context, river.JobArgs, *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	return &rivertype.JobInsertResult{Job: &rivertype.JobRow{}}, nil
}
