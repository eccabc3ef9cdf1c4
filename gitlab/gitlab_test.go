package gitlab_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/gitlab"
	"github.com/switchboard-dev/switchboard/gitlab/fakegitlab"
)

const token = "glpat-adapter-test"

// mustFake serves a fake GitLab over httptest.
func mustFake(t testing.TB, org *fakegitlab.Org, opts fakegitlab.Options) (*fakegitlab.Server, string) {
	t.Helper()
	opts.Token = token
	s := fakegitlab.New(org, opts)
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	s.SetURL(ts.URL)
	return s, ts.URL
}

// mustClient returns a Client for url with fast retries.
func mustClient(t testing.TB, url string, edit func(*gitlab.Config)) *gitlab.Client {
	t.Helper()
	cfg := gitlab.Config{
		BaseURL:      url,
		Token:        token,
		RetryWaitMin: time.Millisecond,
		RetryWaitMax: 5 * time.Millisecond,
	}
	if edit != nil {
		edit(&cfg)
	}
	c, err := gitlab.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustProject(t testing.TB, s *fakegitlab.Server, path string) fakegitlab.Project {
	t.Helper()
	p, ok := s.ProjectByPath(path)
	if !ok {
		t.Fatalf("project %s: got none, want one", path)
	}
	return p
}

func listAll(t *testing.T, c *gitlab.Client, opts gitlab.ListOptions) []gitlab.Project {
	t.Helper()
	var out []gitlab.Project
	if err := c.ListProjects(context.Background(), opts, func(p gitlab.Project) error {
		out = append(out, p)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestNewValidates(t *testing.T) {
	for _, cfg := range []gitlab.Config{{Token: "x"}, {BaseURL: "https://gitlab.example.com"}} {
		if _, err := gitlab.New(cfg); err == nil {
			t.Errorf("New(%+v): got no error, want one", cfg)
		}
	}
}

func TestListProjectsPages(t *testing.T) {
	s, url := mustFake(t, fakegitlab.Generate(250, 1), fakegitlab.Options{})
	c := mustClient(t, url, nil)
	got := listAll(t, c, gitlab.ListOptions{})
	if len(got) != 250 {
		t.Fatalf("projects: got %d, want 250", len(got))
	}
	ids := make([]int64, len(got))
	for i, p := range got {
		ids[i] = p.ID
	}
	if !slices.IsSorted(ids) {
		t.Error("projects: got them out of id order, want keyset order")
	}
	if st := c.Stats(); st.Requests != 3 {
		t.Errorf("requests: got %d, want 3 pages", st.Requests)
	}
	if n := s.Stats().ByRoute["GET /api/v4/projects"]; n != 3 {
		t.Errorf("fake saw %d project list requests, want 3", n)
	}
	checkout := got[0]
	want := mustProject(t, s, "payments/checkout-api")
	if checkout.Path != want.Path || checkout.DefaultBranch != "main" || checkout.Namespace != "payments" ||
		!checkout.LastActivityAt.Equal(want.LastActivity.Truncate(time.Millisecond)) || checkout.WebURL != url+"/payments/checkout-api" {
		t.Errorf("first project: got %+v, want payments/checkout-api with its fields", checkout)
	}
}

func TestListProjectsOptions(t *testing.T) {
	org := fakegitlab.Generate(200, 2)
	s, url := mustFake(t, org, fakegitlab.Options{})
	var archived, forks, platform int
	for _, p := range s.Projects() {
		if p.Archived {
			archived++
		}
		if p.ForkedFrom != "" {
			forks++
		}
		if strings.HasPrefix(p.Path, "platform/") {
			platform++
		}
	}
	// Two pushes after generation: only they are newer than GeneratedAt.
	for _, path := range []string{"platform/tooling/deploy-cli", "payments/ledger"} {
		if _, err := s.Push(mustProject(t, s, path).ID, fakegitlab.Change{Files: map[string][]byte{"NOTES.md": []byte("x")}}); err != nil {
			t.Fatal(err)
		}
	}
	since := fakegitlab.GeneratedAt()
	tests := []struct {
		name      string
		opts      gitlab.ListOptions
		want      int
		wantPaths []string
		maxReqs   int64
	}{
		{"skip archived", gitlab.ListOptions{SkipArchived: true}, 200 - archived, nil, 2},
		{"skip forks", gitlab.ListOptions{SkipForks: true}, 200 - forks, nil, 2},
		{"group with subgroups", gitlab.ListOptions{Groups: []string{"platform"}}, platform, nil, 1},
		{"group and its subgroup once", gitlab.ListOptions{Groups: []string{"platform", "platform/tooling"}}, platform, nil, 2},
		{"since", gitlab.ListOptions{Since: since}, 2, []string{"payments/ledger", "platform/tooling/deploy-cli"}, 1},
		{"since in a group", gitlab.ListOptions{Since: since, Groups: []string{"platform"}}, 1, []string{"platform/tooling/deploy-cli"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustClient(t, url, nil)
			got := listAll(t, c, tt.opts)
			if len(got) != tt.want {
				t.Errorf("projects: got %d, want %d", len(got), tt.want)
			}
			if tt.wantPaths != nil {
				var paths []string
				for _, p := range got {
					paths = append(paths, p.Path)
				}
				sort.Strings(paths)
				if !slices.Equal(paths, tt.wantPaths) {
					t.Errorf("projects: got %v, want %v", paths, tt.wantPaths)
				}
			}
			for _, p := range got {
				if tt.opts.SkipArchived && p.Archived || tt.opts.SkipForks && p.Forked {
					t.Errorf("%s: got it, want it skipped", p.Path)
				}
			}
			if n := c.Stats().Requests; n > tt.maxReqs {
				t.Errorf("requests: got %d, want at most %d", n, tt.maxReqs)
			}
		})
	}
}

func TestListProjectsStopsOnCallbackError(t *testing.T) {
	_, url := mustFake(t, fakegitlab.Generate(250, 1), fakegitlab.Options{})
	c := mustClient(t, url, nil)
	stop := errors.New("enough")
	n := 0
	err := c.ListProjects(context.Background(), gitlab.ListOptions{}, func(gitlab.Project) error {
		n++
		if n == 5 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 5 {
		t.Errorf("got %v after %d projects, want the callback's error after 5", err, n)
	}
	if r := c.Stats().Requests; r > 2 {
		t.Errorf("requests: got %d, want at most 2 (one page ahead)", r)
	}
}

func TestTreeFilesAndCommits(t *testing.T) {
	s, url := mustFake(t, fakegitlab.Generate(40, 1), fakegitlab.Options{})
	c := mustClient(t, url, nil)
	ctx := context.Background()
	mono := mustProject(t, s, "platform/platform-services")
	paths, err := c.Tree(ctx, mono.ID, "main")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for p := range mono.Files {
		want = append(want, p)
	}
	sort.Strings(want)
	sort.Strings(paths)
	if !slices.Equal(paths, want) {
		t.Errorf("tree: got %d paths, want the %d files", len(paths), len(want))
	}
	if r := c.Stats().Requests; r < 2 {
		t.Errorf("tree requests: got %d, want a page per 100 entries", r)
	}
	if _, err := c.Tree(ctx, mono.ID, "no-such-ref"); !errors.Is(err, gitlab.ErrNotFound) {
		t.Errorf("tree of a missing ref: got %v, want ErrNotFound", err)
	}

	p := mustProject(t, s, "payments/checkout-api")
	f, err := c.File(ctx, p.ID, "pom.xml", "main")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(f.Content, p.Files["pom.xml"]) || f.CommitID != p.Commit || f.BlobID == "" {
		t.Errorf("file: got commit %q blob %q, want the pom at %s", f.CommitID, f.BlobID, p.Commit)
	}
	raw, err := c.RawFile(ctx, p.ID, "src/main/resources/log4j2.xml", p.Commit)
	if err != nil || !bytes.Equal(raw, p.Files["src/main/resources/log4j2.xml"]) {
		t.Errorf("raw file at a commit: got %v, want the file", err)
	}
	if _, err := c.RawFile(ctx, p.ID, "nope.yaml", "main"); !errors.Is(err, gitlab.ErrNotFound) {
		t.Errorf("missing file: got %v, want ErrNotFound", err)
	}
	sha, err := c.DefaultBranchCommit(ctx, p.ID, "main")
	if err != nil || sha != p.Commit {
		t.Errorf("default branch commit: got %q, %v, want %s", sha, err, p.Commit)
	}
	if _, err := c.DefaultBranchCommit(ctx, p.ID, "gone"); !errors.Is(err, gitlab.ErrNotFound) {
		t.Errorf("missing branch: got %v, want ErrNotFound", err)
	}
	got, err := c.Project(ctx, p.ID)
	if err != nil || got.Path != p.Path {
		t.Errorf("project: got %+v, %v, want %s", got, err, p.Path)
	}
	if _, err := c.Project(ctx, 1); !errors.Is(err, gitlab.ErrNotFound) {
		t.Errorf("missing project: got %v, want ErrNotFound", err)
	}

	small := mustClient(t, url, func(cfg *gitlab.Config) { cfg.MaxFileSize = 100 })
	if _, err := small.RawFile(ctx, p.ID, "pom.xml", "main"); !errors.Is(err, gitlab.ErrFileTooLarge) {
		t.Errorf("file over MaxFileSize: got %v, want ErrFileTooLarge", err)
	}
}

func TestCompare(t *testing.T) {
	s, url := mustFake(t, fakegitlab.Generate(40, 1), fakegitlab.Options{})
	c := mustClient(t, url, nil)
	p := mustProject(t, s, "identity/auth-service")
	same, err := c.Compare(context.Background(), p.ID, p.Commit, "main")
	if err != nil || !same.Same || len(same.Changes) != 0 || same.Head != p.Commit {
		t.Errorf("compare with itself: got %+v, %v, want same", same, err)
	}
	if _, err := s.Push(p.ID, fakegitlab.Change{Files: map[string][]byte{"go.mod": []byte("module x\n"), "new.go": []byte("package x\n")}, Delete: []string{"main.go"}}); err != nil {
		t.Fatal(err)
	}
	cmp, err := c.Compare(context.Background(), p.ID, p.Commit, "main")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, ch := range cmp.Changes {
		kind := "modified"
		if ch.Added {
			kind = "added"
		} else if ch.Deleted {
			kind = "deleted"
		}
		got[ch.Path] = kind
	}
	want := map[string]string{"go.mod": "modified", "new.go": "added", "main.go": "deleted"}
	if len(got) != len(want) || got["go.mod"] != "modified" || got["new.go"] != "added" || got["main.go"] != "deleted" {
		t.Errorf("changes: got %v, want %v", got, want)
	}
	if cmp.Head != mustProject(t, s, p.Path).Commit || cmp.Same {
		t.Errorf("head: got %s, want the new commit", cmp.Head)
	}
}

func TestGroupMembers(t *testing.T) {
	s, url := mustFake(t, fakegitlab.Generate(10, 1), fakegitlab.Options{})
	c := mustClient(t, url, nil)
	members, err := c.GroupMembers(context.Background(), "payments")
	if err != nil {
		t.Fatal(err)
	}
	var want fakegitlab.Group
	for _, g := range s.Groups() {
		if g.Path == "payments" {
			want = g
		}
	}
	if len(members) != len(want.Members) {
		t.Fatalf("members: got %d, want %d", len(members), len(want.Members))
	}
	byName := map[string]gitlab.Member{}
	for _, m := range members {
		byName[m.Username] = m
	}
	for _, m := range want.Members {
		got := byName[m.Username]
		if got.Email != m.Email || got.Name != m.Name || got.AccessLevel != m.AccessLevel {
			t.Errorf("member %s: got %+v, want %+v", m.Username, got, m)
		}
	}
	if _, err := c.GroupMembers(context.Background(), "nope"); !errors.Is(err, gitlab.ErrNotFound) {
		t.Errorf("missing group: got %v, want ErrNotFound", err)
	}
}

func TestCreateMergeRequest(t *testing.T) {
	s, url := mustFake(t, fakegitlab.Generate(40, 1), fakegitlab.Options{})
	c := mustClient(t, url, nil)
	p := mustProject(t, s, "search/indexer")
	files := map[string][]byte{"catalog-info.yaml": []byte("kind: Component\n"), "README.md": []byte("# Indexer\n")}
	webURL, err := c.CreateMergeRequest(context.Background(), p.ID, "switchboard/add-descriptor", files, "Add a descriptor", "Opened by Switchboard.")
	if err != nil {
		t.Fatal(err)
	}
	if webURL != url+"/search/indexer/-/merge_requests/1" {
		t.Errorf("web URL: got %q, want %q", webURL, url+"/search/indexer/-/merge_requests/1")
	}
	mrs := s.MergeRequests(p.ID)
	if len(mrs) != 1 || mrs[0].TargetBranch != "main" || mrs[0].Description != "Opened by Switchboard." ||
		string(mrs[0].Files["catalog-info.yaml"]) != "kind: Component\n" || string(mrs[0].Files["README.md"]) != "# Indexer\n" {
		t.Errorf("merge requests: got %+v, want one with both files", mrs)
	}
	// Again on the same branch: the files are committed on it, the open
	// merge request is returned.
	files["catalog-info.yaml"] = []byte("kind: Component\nmetadata: {name: indexer}\n")
	again, err := c.CreateMergeRequest(context.Background(), p.ID, "switchboard/add-descriptor", files, "Add a descriptor", "")
	if err != nil || again != webURL {
		t.Errorf("second call: got %q, %v, want %q", again, err, webURL)
	}
	if mrs := s.MergeRequests(p.ID); len(mrs) != 1 || !strings.Contains(string(mrs[0].Files["catalog-info.yaml"]), "indexer") {
		t.Errorf("merge requests after the second call: got %+v, want one with the new content", mrs)
	}
	if mustProject(t, s, p.Path).Commit != p.Commit {
		t.Error("default branch: got a new commit, want it untouched")
	}
}

func TestRateLimitStormThenSuccess(t *testing.T) {
	s, url := mustFake(t, fakegitlab.Generate(40, 1), fakegitlab.Options{})
	c := mustClient(t, url, nil)
	p := mustProject(t, s, "payments/checkout-api")
	s.FailNext(3, http.StatusTooManyRequests) // each with Retry-After: 1
	start := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range 3 {
		wg.Go(func() {
			_, errs[i] = c.RawFile(context.Background(), p.ID, "pom.xml", "main")
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	for _, err := range errs {
		if err != nil {
			t.Errorf("after a 429 storm: got %v, want success", err)
		}
	}
	if elapsed < time.Second {
		t.Errorf("elapsed: got %v, want at least the 1s Retry-After", elapsed)
	}
	if elapsed > 3*time.Second {
		t.Errorf("elapsed: got %v, want the requests to wait together, not one after another", elapsed)
	}
	if st := c.Stats(); st.RateLimited != 3 || st.Requests != 6 {
		t.Errorf("stats: got %+v, want 3 rate limited of 6 requests", st)
	}
}

func TestRateLimitPacing(t *testing.T) {
	s, url := mustFake(t, fakegitlab.Generate(40, 1), fakegitlab.Options{RateLimit: 20, RateWindow: time.Second})
	c := mustClient(t, url, nil)
	p := mustProject(t, s, "payments/checkout-api")
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Int64
	start := time.Now()
	for range 8 {
		wg.Go(func() {
			for next.Add(1) <= 50 {
				if _, err := c.RawFile(context.Background(), p.ID, "pom.xml", "main"); err != nil {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if failed.Load() != 0 {
		t.Errorf("failed requests: got %d, want none", failed.Load())
	}
	st := c.Stats()
	if st.RateLimited != 0 {
		t.Errorf("429s: got %d, want none: the client should wait for the window to end", st.RateLimited)
	}
	if st.Paused == 0 {
		t.Error("paused: got no request held back, want some")
	}
	// 50 requests at 20 a second need three windows: more than one second.
	if elapsed < time.Second {
		t.Errorf("elapsed: got %v, want over 1s", elapsed)
	}
	t.Logf("50 requests at 20/s: %v, %+v", elapsed, st)
}

func TestServerErrorBurstThenSuccess(t *testing.T) {
	s, url := mustFake(t, fakegitlab.Generate(10, 1), fakegitlab.Options{})
	c := mustClient(t, url, nil)
	s.FailNext(3, http.StatusInternalServerError)
	got := listAll(t, c, gitlab.ListOptions{})
	if len(got) != 10 {
		t.Errorf("projects: got %d, want 10", len(got))
	}
	if st := c.Stats(); st.ServerErrors != 3 || st.Requests != 4 {
		t.Errorf("stats: got %+v, want 3 server errors of 4 requests", st)
	}
}

func TestProjectThatAlwaysFails(t *testing.T) {
	s, url := mustFake(t, fakegitlab.Generate(40, 1), fakegitlab.Options{FailPaths: []string{"search/indexer"}})
	c := mustClient(t, url, func(cfg *gitlab.Config) { cfg.RetryMax = 3 })
	bad := mustProject(t, s, "search/indexer")
	_, err := c.Tree(context.Background(), bad.ID, "main")
	if err == nil || errors.Is(err, gitlab.ErrNotFound) {
		t.Fatalf("tree of a failing project: got %v, want a server error", err)
	}
	if !strings.Contains(err.Error(), "500") {
		t.Errorf("error: got %q, want the status in it", err)
	}
	if st := c.Stats(); st.Requests != 4 {
		t.Errorf("requests: got %d, want 1 + 3 retries", st.Requests)
	}
	good := mustProject(t, s, "payments/checkout-api")
	if _, err := c.Tree(context.Background(), good.ID, "main"); err != nil {
		t.Errorf("another project: got %v, want it read", err)
	}
}

func TestWrongToken(t *testing.T) {
	_, url := mustFake(t, fakegitlab.Generate(3, 1), fakegitlab.Options{})
	c := mustClient(t, url, func(cfg *gitlab.Config) { cfg.Token = "wrong" })
	err := c.ListProjects(context.Background(), gitlab.ListOptions{}, func(gitlab.Project) error { return nil })
	if !errors.Is(err, gitlab.ErrUnauthorized) {
		t.Errorf("got %v, want ErrUnauthorized", err)
	}
	if st := c.Stats(); st.Requests != 1 {
		t.Errorf("requests: got %d, want 1 (a 401 is not retried)", st.Requests)
	}
}

func TestContextDeadlineStopsWaiting(t *testing.T) {
	s, url := mustFake(t, fakegitlab.Generate(3, 1), fakegitlab.Options{RateLimit: 1, RateWindow: time.Hour})
	c := mustClient(t, url, nil)
	p := s.Projects()[0]
	ctx := context.Background()
	if _, err := c.Project(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Project(ctx, p.ID)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("returned after %v, want soon after the 100ms deadline", d)
	}
}

func TestContextDeadlineStopsRetryAfter(t *testing.T) {
	s, url := mustFake(t, fakegitlab.Generate(3, 1), fakegitlab.Options{})
	c := mustClient(t, url, nil)
	s.FailNext(1, http.StatusTooManyRequests) // Retry-After: 1
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Project(ctx, s.Projects()[0].ID)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 900*time.Millisecond {
		t.Errorf("returned after %v, want before the 1s Retry-After ends", d)
	}
	if st := c.Stats(); st.Requests != 1 || st.RateLimited != 1 {
		t.Errorf("stats: got %+v, want one request, rate limited", st)
	}
}

// flaky fails the first n requests as timeouts, then passes them on.
type flaky struct {
	n    atomic.Int64
	base http.RoundTripper
}

func (f *flaky) RoundTrip(r *http.Request) (*http.Response, error) {
	if f.n.Add(-1) >= 0 {
		return nil, &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}
	}
	return f.base.RoundTrip(r)
}

func TestTimeoutsAreRetried(t *testing.T) {
	_, url := mustFake(t, fakegitlab.Generate(3, 1), fakegitlab.Options{})
	f := &flaky{base: http.DefaultTransport}
	f.n.Store(2)
	c := mustClient(t, url, func(cfg *gitlab.Config) { cfg.Transport = f })
	if got := listAll(t, c, gitlab.ListOptions{}); len(got) != 3 {
		t.Errorf("projects: got %d, want 3", len(got))
	}
	if st := c.Stats(); st.TransportErrors != 2 || st.Requests != 3 {
		t.Errorf("stats: got %+v, want 2 timeouts of 3 requests", st)
	}
}

func TestTokenIsNeverLogged(t *testing.T) {
	s, url := mustFake(t, fakegitlab.Generate(5, 1), fakegitlab.Options{})
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := mustClient(t, url, func(cfg *gitlab.Config) {
		cfg.Logger = logger
		logger.Info("gitlab client", "config", *cfg)
	})
	s.FailNext(1, http.StatusTooManyRequests)
	s.FailNext(1, http.StatusBadGateway)
	listAll(t, c, gitlab.ListOptions{})
	if buf.Len() == 0 {
		t.Fatal("log: got nothing, want the configuration and the 429")
	}
	if strings.Contains(buf.String(), token) {
		t.Errorf("log: got the token in %s, want it never logged", buf.String())
	}
}
