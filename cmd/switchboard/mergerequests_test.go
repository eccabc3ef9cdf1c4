package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
	"github.com/switchboard-dev/switchboard/gitlab"
	"github.com/switchboard-dev/switchboard/gitlab/fakegitlab"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
)

// failFirst fails the first merge request, as a GitLab outage would.
type failFirst struct {
	commands.MergeRequester
	failed atomic.Bool
}

func (f *failFirst) CreateMergeRequest(ctx context.Context, projectID int64, branch string, files map[string][]byte, title, desc string) (string, error) {
	if f.failed.CompareAndSwap(false, true) {
		return "", errors.New("gitlab: 502 Bad Gateway")
	}
	return f.MergeRequester.CreateMergeRequest(ctx, projectID, branch, files, title, desc)
}

// dms records the direct messages a worker sends.
type dms chan commands.Response

func (d dms) Notify(_ context.Context, _ string, resp commands.Response) error {
	d <- resp
	return nil
}

func text(r commands.Response) string {
	var b strings.Builder
	b.WriteString(r.Text)
	for _, blk := range r.Blocks {
		if s, ok := blk.(*commands.Section); ok {
			b.WriteString("\n" + s.Text.String())
		}
	}
	return b.String()
}

// TestMergeRequestJob: registering a service with a repo inserts its
// merge-request job in the same transaction; GitLab fails the first
// attempt (the requester is told once that it stays registered and is
// tried again), River retries it, the merge request is opened on the fake
// GitLab and its link sent.
func TestMergeRequestJob(t *testing.T) {
	ctx := context.Background()
	org := fakegitlab.Generate(10, 1)
	p := org.Projects[0]
	fake := fakegitlab.New(org, fakegitlab.Options{Token: "glpat-x"})
	gsrv := httptest.NewServer(fake)
	defer gsrv.Close()
	fake.SetURL(gsrv.URL)
	gl, err := gitlab.New(gitlab.Config{BaseURL: gsrv.URL, Token: "glpat-x", RetryMax: -1})
	if err != nil {
		t.Fatal(err)
	}
	pool := pgtest.New(t)
	store := catalog.NewStore(pool, nil)
	if _, err := store.ApplyRepo(ctx, catalog.RepoSnapshot{Repo: catalog.Repo{GitLabID: p.ID, Path: p.Path, WebURL: gsrv.URL + "/" + p.Path,
		LastActivityAt: time.Now()}, DescriptorStatus: catalog.DescriptorMissing}); err != nil {
		t.Fatal(err)
	}

	told := make(dms, 10)
	w := newWork(pool, prometheus.NewRegistry(), slog.New(slog.DiscardHandler))
	addMergeRequests(w, store, &commands.MRWorker{Queue: store, GitLab: &failFirst{MergeRequester: gl}, Notify: told})
	c, err := w.Client()
	if err != nil {
		t.Fatal(err)
	}
	events, cancel := c.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
	defer cancel()
	if err := w.start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = w.stop(ctx) }()

	if _, _, err := store.RegisterService(ctx, catalog.Service{Name: "refunds-bot", Lifecycle: "production"}, p.Path, "U0ADA", "apiVersion: backstage.io/v1alpha1\n"); err != nil {
		t.Fatal(err)
	}
	// A registration that fails inserts no job.
	if _, _, err := store.RegisterService(ctx, catalog.Service{Name: "refunds-bot"}, p.Path, "U0ADA", ""); !errors.Is(err, catalog.ErrConflict) {
		t.Fatalf("second registration of the name: got %v, want ErrConflict", err)
	}
	var queued int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'merge_request'`).Scan(&queued); err != nil || queued != 1 {
		t.Fatalf("merge-request jobs: got %d (%v), want 1", queued, err)
	}

	first := <-told
	if s := text(first); !strings.Contains(s, "stays registered") || !strings.Contains(s, "tries again in") {
		t.Errorf("first notice: got %q, want the service kept and a retry announced", s)
	}
	ev := <-events
	if ev.Kind != river.EventKindJobFailed || ev.Job.Attempt != 1 {
		t.Fatalf("first event: got %s at attempt %d, want the first attempt failed", ev.Kind, ev.Job.Attempt)
	}
	second := <-told
	if s := text(second); !strings.Contains(s, "Merge request opened") {
		t.Errorf("second notice: got %q, want the link", s)
	}
	if ev := <-events; ev.Kind != river.EventKindJobCompleted || ev.Job.Attempt != 2 {
		t.Fatalf("second event: got %s at attempt %d, want completed at the second", ev.Kind, ev.Job.Attempt)
	}
	if mrs := fake.MergeRequests(p.ID); len(mrs) != 1 {
		t.Errorf("merge requests: got %d, want 1", len(mrs))
	}
	var state, url string
	var attempts int
	if err := pool.QueryRow(ctx, `SELECT state, mr_url, attempts FROM registrations`).Scan(&state, &url, &attempts); err != nil {
		t.Fatal(err)
	}
	if state != "opened" || url == "" || attempts != 2 {
		t.Errorf("registration: got %s %q after %d attempts, want opened with its link after 2", state, url, attempts)
	}
	select {
	case extra := <-told:
		t.Errorf("a third notice: %q", text(extra))
	default:
	}
}
