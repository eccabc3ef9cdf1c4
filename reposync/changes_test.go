package reposync_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
	"github.com/switchboard-dev/switchboard/gitlab/fakegitlab"
	"github.com/switchboard-dev/switchboard/reposync"
	"github.com/switchboard-dev/switchboard/standards"
)

// historyEnv is newEnv with the change history read by the sync.
func historyEnv(t testing.TB, opts fakegitlab.Options) *env {
	t.Helper()
	return newOrgEnv(t, fakegitlab.Generate(30, 1), opts, reposync.Options{Rules: standards.Default().Rules(), Workers: 8, History: true})
}

// changeHook is the webhook handler recording changes into e's store (no
// River: re-syncs are not what these tests look at).
func changeHook(t testing.TB, e *env) *httptest.Server {
	t.Helper()
	hook, err := reposync.NewWebhook(hookSecret, nopInserter{}, e.store, nil)
	if err != nil {
		t.Fatal(err)
	}
	hook.RecordChangesTo(e.store)
	srv := httptest.NewServer(hook)
	t.Cleanup(srv.Close)
	return srv
}

func sendHook(t testing.TB, srv *httptest.Server, h fakegitlab.Hook) int {
	t.Helper()
	code, err := h.Send(context.Background(), nil, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// changesOf reads the service's recorded changes, newest first.
func changesOf(t testing.TB, s *catalog.Store, name string) []catalog.Change {
	t.Helper()
	l, err := s.FindService(context.Background(), name)
	if err != nil || len(l.Services) != 1 {
		t.Fatalf("find %s: %v", name, err)
	}
	cs, err := s.RecentChanges(context.Background(), []int64{l.Services[0].ID}, time.Now().Add(-48*time.Hour), 100)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func countKind(cs []catalog.Change, kind string) int {
	n := 0
	for _, c := range cs {
		if c.Kind == kind {
			n++
		}
	}
	return n
}

func rowCount(t testing.TB, s *catalog.Store, kind string) int {
	t.Helper()
	var n int
	if err := s.Pool().QueryRow(context.Background(), `SELECT count(*) FROM changes WHERE kind = $1`, kind).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestChangesBackfillAndWebhooks: the sync backfills merged merge
// requests, direct pushes and deployments per environment from the fake's
// real API shapes; the merge's own push is not a direct push; the
// webhooks of the same changes, delivered twice, add no row.
func TestChangesBackfillAndWebhooks(t *testing.T) {
	e := historyEnv(t, fakegitlab.Options{WebhookSecret: hookSecret})
	srv := changeHook(t, e)
	ctx := context.Background()
	p := checkoutProject(t, e)
	ada := fakegitlab.Member{ID: 7, Username: "ada", Name: "Ada Lovelace"}
	mrHook, mergePush, err := e.fake.Merge(p.ID, fakegitlab.MergedMergeRequest{Title: "Retry card payments", Author: ada, MergedAt: time.Now().Add(-3 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	direct, err := e.fake.Push(p.ID, fakegitlab.Change{Message: "Hotfix: raise timeout", Files: map[string][]byte{"README.md": []byte("x")}, Author: ada})
	if err != nil {
		t.Fatal(err)
	}
	prod, _, err := e.fake.Deploy(p.ID, fakegitlab.Deployment{Environment: "production", User: ada, At: time.Now().Add(-2 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	staging, _, err := e.fake.Deploy(p.ID, fakegitlab.Deployment{Environment: "staging", Status: "failed", User: ada, At: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.fake.Deploy(p.ID, fakegitlab.Deployment{Environment: "production", Status: "running"}); err != nil {
		t.Fatal(err)
	}

	if _, err := e.syncer.Run(ctx, time.Time{}); err != nil {
		t.Fatal(err)
	}
	got := changesOf(t, e.store, "checkout-api")
	if countKind(got, catalog.ChangeMerge) != 1 || countKind(got, catalog.ChangePush) != 1 || countKind(got, catalog.ChangeDeployment) != 2 {
		t.Fatalf("after the backfill: %+v", got)
	}
	envs := map[string]string{}
	for _, c := range got {
		switch c.Kind {
		case catalog.ChangeDeployment:
			envs[c.Environment] = c.Status
			if !strings.Contains(c.WebURL, "/-/jobs/") || c.Source != catalog.ChangeFromSync {
				t.Errorf("deployment: %+v", c)
			}
		case catalog.ChangeMerge:
			if c.Title != "Retry card payments" || c.Author() != "Ada Lovelace (@ada)" || !strings.Contains(c.WebURL, "/-/merge_requests/") {
				t.Errorf("merge: %+v", c)
			}
		case catalog.ChangePush:
			if c.Title != "Hotfix: raise timeout" || c.AuthorUsername != "ada" {
				t.Errorf("push: %+v", c)
			}
		}
	}
	if envs["production"] != "success" || envs["staging"] != "failed" {
		t.Errorf("deployments by environment: %v", envs)
	}

	// Every webhook of the same changes, twice: 202, and no new row.
	rows := map[string]int{}
	for _, k := range []string{catalog.ChangeMerge, catalog.ChangePush, catalog.ChangeDeployment} {
		rows[k] = rowCount(t, e.store, k)
	}
	for range 2 {
		for _, h := range []fakegitlab.Hook{mrHook, mergePush, direct, prod, staging} {
			if code := sendHook(t, srv, h); code != http.StatusAccepted {
				t.Fatalf("hook %s: %d", h.Header.Get("X-Gitlab-Event"), code)
			}
		}
	}
	for k, n := range rows {
		if m := rowCount(t, e.store, k); m != n {
			t.Errorf("%s rows: %d after the webhooks, %d before", k, m, n)
		}
	}
	if again := changesOf(t, e.store, "checkout-api"); len(again) != len(got) {
		t.Errorf("changes after the webhooks: %d, before %d", len(again), len(got))
	}
}

// TestChangesWebhookFirst: a merge request webhook shows up at once (the
// handler records it before answering); the merge's push, arriving first
// or after, is never a direct push; the backfill of the same merge adds
// no row. Unknown events are acknowledged and ignored; malformed ones 400.
func TestChangesWebhookFirst(t *testing.T) {
	e := historyEnv(t, fakegitlab.Options{WebhookSecret: hookSecret})
	srv := changeHook(t, e)
	ctx := context.Background()
	if _, err := e.syncer.Run(ctx, time.Time{}); err != nil {
		t.Fatal(err)
	}
	p := checkoutProject(t, e)
	mrHook, push, err := e.fake.Merge(p.ID, fakegitlab.MergedMergeRequest{Title: "Add <!channel> & *bold* ideas", Author: fakegitlab.Member{ID: 9, Username: "bob", Name: "Bob"}})
	if err != nil {
		t.Fatal(err)
	}
	// The push first, then the merge.
	for _, h := range []fakegitlab.Hook{push, mrHook} {
		if code := sendHook(t, srv, h); code != http.StatusAccepted {
			t.Fatalf("hook: %d", code)
		}
	}
	got := changesOf(t, e.store, "checkout-api")
	if len(got) != 1 || got[0].Kind != catalog.ChangeMerge || got[0].Title != "Add <!channel> & *bold* ideas" || got[0].Source != catalog.ChangeFromWebhook {
		t.Fatalf("after the hooks: %+v", got)
	}
	if _, err := e.syncer.Verify(ctx); err != nil {
		t.Fatal(err)
	}
	if n := rowCount(t, e.store, catalog.ChangeMerge); n != 1 {
		t.Errorf("merge rows after the backfill: %d", n)
	}
	if again := changesOf(t, e.store, "checkout-api"); len(again) != 1 {
		t.Errorf("after the backfill: %+v", again)
	}

	tests := []struct {
		name, event string
		body        string
		want        int
	}{
		{"unknown event", "Note Hook", `{"object_kind":"note","project":{"id":1}}`, http.StatusAccepted},
		{"opened merge request", "Merge Request Hook", `{"object_kind":"merge_request","project":{"id":1,"default_branch":"main"},"object_attributes":{"iid":5,"action":"open","state":"opened"}}`, http.StatusAccepted},
		{"running deployment", "Deployment Hook", `{"object_kind":"deployment","status":"running","deployment_id":3,"project":{"id":1}}`, http.StatusAccepted},
		{"malformed JSON", "Merge Request Hook", `{"object_kind":"merge_request",`, http.StatusBadRequest},
		{"iid of the wrong type", "Merge Request Hook", `{"object_kind":"merge_request","object_attributes":{"iid":"five","action":"merge"}}`, http.StatusBadRequest},
		{"merge without project", "Merge Request Hook", `{"object_kind":"merge_request","object_attributes":{"iid":5,"action":"merge"}}`, http.StatusBadRequest},
		{"deployment without id", "Deployment Hook", `{"object_kind":"deployment","status":"success","project":{"id":1}}`, http.StatusBadRequest},
	}
	before := rowCount(t, e.store, catalog.ChangeMerge) + rowCount(t, e.store, catalog.ChangeDeployment)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader([]byte(tt.body)))
			req.Header.Set("X-Gitlab-Event", tt.event)
			req.Header.Set("X-Gitlab-Token", hookSecret)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
	if after := rowCount(t, e.store, catalog.ChangeMerge) + rowCount(t, e.store, catalog.ChangeDeployment); after != before {
		t.Errorf("rows: %d, before %d", after, before)
	}
}

// TestChangesBackfillGitLabRefuses: a history listing GitLab refuses
// (403, or down) leaves the history partial — what was read stored, the
// reason recorded, the watermark where it was — and the sync succeeds;
// the next sync fills the gap, losing nothing stored.
func TestChangesBackfillGitLabRefuses(t *testing.T) {
	e := historyEnv(t, fakegitlab.Options{})
	ctx := context.Background()
	p := checkoutProject(t, e)
	if _, _, err := e.fake.Merge(p.ID, fakegitlab.MergedMergeRequest{Title: "Merged before the outage", MergedAt: time.Now().Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.fake.Deploy(p.ID, fakegitlab.Deployment{Environment: "production", At: time.Now().Add(-30 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	undo := e.fake.Refuse(http.StatusForbidden, func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/deployments") })
	down := e.fake.Refuse(http.StatusServiceUnavailable, func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/events") })
	sum, err := e.syncer.Run(ctx, time.Time{})
	if err != nil || sum.Failed != 0 {
		t.Fatalf("sync with the history refused: %+v, %v", sum, err)
	}
	got := changesOf(t, e.store, "checkout-api")
	if countKind(got, catalog.ChangeMerge) != 1 || countKind(got, catalog.ChangeDeployment) != 0 {
		t.Fatalf("partial history: %+v", got)
	}
	wm, err := e.store.ChangeWatermarks(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	w := wm[p.ID]
	if w.Merges.IsZero() || !w.Deployments.IsZero() || !w.Pushes.IsZero() || !strings.Contains(w.Problem, "deployments (403)") || !strings.Contains(w.Problem, "push events") {
		t.Errorf("watermark: %+v", w)
	}
	undo()
	down()
	if _, err := e.syncer.Verify(ctx); err != nil {
		t.Fatal(err)
	}
	got = changesOf(t, e.store, "checkout-api")
	if countKind(got, catalog.ChangeMerge) != 1 || countKind(got, catalog.ChangeDeployment) != 1 {
		t.Fatalf("after GitLab came back: %+v", got)
	}
	if w := mustWatermark(t, e.store, p.ID); w.Problem != "" || w.Deployments.IsZero() {
		t.Errorf("watermark after: %+v", w)
	}
}

func mustWatermark(t testing.TB, s *catalog.Store, id int64) catalog.ChangeWatermark {
	t.Helper()
	wm, err := s.ChangeWatermarks(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return wm[id]
}

// TestMergeWebhookInChangesWithin2s: a merge request webhook, sent by the
// fake GitLab as GitLab sends it (SetHookURL) to the real handler, shows
// up in the real /changes command's answer within 2 seconds.
func TestMergeWebhookInChangesWithin2s(t *testing.T) {
	e := historyEnv(t, fakegitlab.Options{WebhookSecret: hookSecret})
	srv := changeHook(t, e)
	ctx := context.Background()
	if _, err := e.syncer.Run(ctx, time.Time{}); err != nil {
		t.Fatal(err)
	}
	cmd := commands.Changes(commands.ChangesConfig{Catalog: e.store, History: e.store, Graph: e.store})
	answer := func() string {
		resp, err := cmd.Handler(ctx, commands.Request{Command: "/changes", Text: "checkout-api"})
		if err != nil {
			t.Fatal(err)
		}
		return resp.Text
	}
	if got := answer(); !strings.HasPrefix(got, "No recorded changes") {
		t.Fatalf("before the merge: %s", got)
	}
	e.fake.SetHookURL(srv.URL)
	p := checkoutProject(t, e)
	start := time.Now()
	if _, _, err := e.fake.Merge(p.ID, fakegitlab.MergedMergeRequest{Title: "Bump the card SDK", Author: fakegitlab.Member{ID: 3, Username: "grace", Name: "Grace Hopper"}}); err != nil {
		t.Fatal(err)
	}
	for {
		got := answer()
		if strings.Contains(got, "merged · Bump the card SDK · Grace Hopper (@grace)") {
			break
		}
		if time.Since(start) > 2*time.Second {
			t.Fatalf("not in /changes 2s after the merge: %s", got)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestChangesBackfillCost: the daily verification asks a project whose
// default branch did not move (since a complete backfill) for its
// deployments only; one that moved is asked for its pushes (and merges)
// too.
func TestChangesBackfillCost(t *testing.T) {
	e := historyEnv(t, fakegitlab.Options{})
	ctx := context.Background()
	sum, err := e.syncer.Run(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	const events, deployments = "GET /api/v4/projects/{id}/events", "GET /api/v4/projects/{id}/deployments"
	first := e.fake.Stats().ByRoute
	stored := sum.Reread + sum.Changed + sum.Verified
	if int(first[events]) < stored-2 || int(first[deployments]) < stored-2 {
		t.Fatalf("first sync of %d repos: %d event and %d deployment listings", stored, first[events], first[deployments])
	}
	p := checkoutProject(t, e)
	if _, err := e.fake.Push(p.ID, fakegitlab.Change{Message: "Quick fix", Files: map[string][]byte{"README.md": []byte("y")}}); err != nil {
		t.Fatal(err)
	}
	e.fake.ResetStats()
	if _, err := e.syncer.Verify(ctx); err != nil {
		t.Fatal(err)
	}
	after := e.fake.Stats().ByRoute
	// The pushed repo, and the few the generated organisation has read
	// whole again (unreadable files) or whose last backfill was partial
	// (merge requests disabled).
	if after[events] < 1 || int(after[events]) > stored/4 {
		t.Errorf("verification: %d event listings for %d repos, want the pushed repo and the few read whole", after[events], stored)
	}
	if int(after[deployments]) < stored-2 {
		t.Errorf("verification: %d deployment listings for %d repos", after[deployments], stored)
	}
	if got := changesOf(t, e.store, "checkout-api"); countKind(got, catalog.ChangePush) != 1 {
		t.Errorf("the push: %+v", got)
	}
}

// TestChangesWebhookDatabaseDown: a merge GitLab reports while the
// database is unreachable is answered 503, for GitLab to deliver it again
// (recording is idempotent), never 2xx with the change lost.
func TestChangesWebhookDatabaseDown(t *testing.T) {
	e := historyEnv(t, fakegitlab.Options{WebhookSecret: hookSecret})
	srv := changeHook(t, e)
	p := checkoutProject(t, e)
	mrHook, _, err := e.fake.Merge(p.ID, fakegitlab.MergedMergeRequest{Title: "During the outage"})
	if err != nil {
		t.Fatal(err)
	}
	e.store.Pool().Close()
	if code := sendHook(t, srv, mrHook); code != http.StatusServiceUnavailable {
		t.Errorf("database down: %d, want 503", code)
	}
}
