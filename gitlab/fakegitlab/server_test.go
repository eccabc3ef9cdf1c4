package fakegitlab_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/switchboard-dev/switchboard/gitlab/fakegitlab"
)

const testToken = "glpat-test-token"

// mustStart serves a fake over httptest and returns it with a client-go
// client that does not retry.
func mustStart(t *testing.T, org *fakegitlab.Org, opts fakegitlab.Options) (*fakegitlab.Server, *httptest.Server, *gl.Client) {
	t.Helper()
	if opts.Token == "" {
		opts.Token = testToken
	}
	s := fakegitlab.New(org, opts)
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	s.SetURL(ts.URL)
	c, err := gl.NewClient(testToken, gl.WithBaseURL(ts.URL+"/api/v4"), gl.WithoutRetries())
	if err != nil {
		t.Fatal(err)
	}
	return s, ts, c
}

// mustGet does a raw GET with the test token.
func mustGet(t *testing.T, url string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("PRIVATE-TOKEN", testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func projectByPath(t *testing.T, s *fakegitlab.Server, path string) fakegitlab.Project {
	t.Helper()
	p, ok := s.ProjectByPath(path)
	if !ok {
		t.Fatalf("project %s: got none, want one", path)
	}
	return p
}

func TestListProjectsKeyset(t *testing.T) {
	s, ts, c := mustStart(t, fakegitlab.Generate(250, 1), fakegitlab.Options{})
	opts := &gl.ListProjectsOptions{ListOptions: gl.ListOptions{Pagination: "keyset", OrderBy: "id", Sort: "asc", PerPage: 100}}
	var ids []int64
	var pages int
	var reqOpts []gl.RequestOptionFunc
	for {
		ps, resp, err := c.Projects.ListProjects(opts, reqOpts...)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, p := range ps {
			ids = append(ids, p.ID)
		}
		if pages == 1 {
			want := regexp.MustCompile(`^<` + regexp.QuoteMeta(ts.URL) + `/api/v4/projects\?id_after=\d+&order_by=id&pagination=keyset&per_page=100&sort=asc>; rel="next"$`)
			if link := resp.Header.Get("Link"); !want.MatchString(link) {
				t.Errorf("Link: got %q, want %s", link, want)
			}
		}
		if resp.NextLink == "" {
			break
		}
		reqOpts = []gl.RequestOptionFunc{gl.WithKeysetPaginationParameters(resp.NextLink)}
	}
	if pages != 3 {
		t.Errorf("pages: got %d, want 3", pages)
	}
	if len(ids) != 250 || !slices.IsSorted(ids) || len(slices.Compact(slices.Clone(ids))) != 250 {
		t.Errorf("ids: got %d (sorted %v), want 250 distinct ascending", len(ids), slices.IsSorted(ids))
	}
	if got := s.Stats().ByRoute["GET /api/v4/projects"]; got != 3 {
		t.Errorf("requests to GET /api/v4/projects: got %d, want 3", got)
	}
}

func TestListProjectsOffset(t *testing.T) {
	_, _, c := mustStart(t, fakegitlab.Generate(120, 1), fakegitlab.Options{})
	seen := map[int64]bool{}
	opts := &gl.ListProjectsOptions{ListOptions: gl.ListOptions{PerPage: 50, Page: 1}}
	for {
		ps, resp, err := c.Projects.ListProjects(opts)
		if err != nil {
			t.Fatal(err)
		}
		if resp.TotalItems != 120 || resp.TotalPages != 3 || resp.ItemsPerPage != 50 || resp.CurrentPage != opts.Page {
			t.Errorf("page %d: got total %d pages %d per page %d current %d, want 120 3 50 %d",
				opts.Page, resp.TotalItems, resp.TotalPages, resp.ItemsPerPage, resp.CurrentPage, opts.Page)
		}
		for _, p := range ps {
			seen[p.ID] = true
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	if len(seen) != 120 {
		t.Errorf("projects: got %d, want 120", len(seen))
	}
}

func TestListProjectsFilters(t *testing.T) {
	org := fakegitlab.Generate(200, 3)
	var archived, recent, platform int
	since := fakegitlab.GeneratedAt().Add(-10 * 24 * time.Hour)
	for _, p := range org.Projects {
		if p.Archived {
			archived++
		}
		if p.LastActivity.After(since) {
			recent++
		}
		if strings.HasPrefix(p.Path, "platform/") {
			platform++
		}
	}
	_, _, c := mustStart(t, org, fakegitlab.Options{})
	count := func(t *testing.T, list func(page int64) ([]*gl.Project, *gl.Response, error)) []*gl.Project {
		t.Helper()
		var all []*gl.Project
		for page := int64(1); page != 0; {
			ps, resp, err := list(page)
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, ps...)
			page = resp.NextPage
		}
		return all
	}
	tests := []struct {
		name string
		list func(page int64) ([]*gl.Project, *gl.Response, error)
		want int
	}{
		{"archived=false", func(page int64) ([]*gl.Project, *gl.Response, error) {
			return c.Projects.ListProjects(&gl.ListProjectsOptions{ListOptions: gl.ListOptions{Page: page, PerPage: 100}, Archived: gl.Ptr(false)})
		}, 200 - archived},
		{"last_activity_after", func(page int64) ([]*gl.Project, *gl.Response, error) {
			return c.Projects.ListProjects(&gl.ListProjectsOptions{ListOptions: gl.ListOptions{Page: page, PerPage: 100}, LastActivityAfter: &since})
		}, recent},
		{"group with subgroups", func(page int64) ([]*gl.Project, *gl.Response, error) {
			return c.Groups.ListGroupProjects("platform", &gl.ListGroupProjectsOptions{ListOptions: gl.ListOptions{Page: page, PerPage: 100}, IncludeSubGroups: gl.Ptr(true)})
		}, platform},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := len(count(t, tt.list)); got != tt.want {
				t.Errorf("got %d projects, want %d", got, tt.want)
			}
		})
	}
	// Without include_subgroups, platform/tooling's projects stay out.
	ps, _, err := c.Groups.ListGroupProjects("platform", &gl.ListGroupProjectsOptions{ListOptions: gl.ListOptions{PerPage: 100}})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if strings.HasPrefix(p.PathWithNamespace, "platform/tooling/") {
			t.Errorf("group platform without subgroups: got %s, want only platform's own", p.PathWithNamespace)
		}
	}
}

func TestGetProject(t *testing.T) {
	s, ts, c := mustStart(t, fakegitlab.Generate(40, 1), fakegitlab.Options{})
	fork := projectByPath(t, s, "data/frontend")
	upstream := projectByPath(t, s, "search/frontend")
	p, _, err := c.Projects.GetProject("data/frontend", nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.ID != fork.ID || p.DefaultBranch != "main" || p.Namespace.FullPath != "data" || p.WebURL != ts.URL+"/data/frontend" {
		t.Errorf("project: got id %d branch %q namespace %q web %q, want %d main data %s/data/frontend", p.ID, p.DefaultBranch, p.Namespace.FullPath, p.WebURL, fork.ID, ts.URL)
	}
	if p.ForkedFromProject == nil || p.ForkedFromProject.ID != upstream.ID {
		t.Errorf("forked_from_project: got %+v, want id %d", p.ForkedFromProject, upstream.ID)
	}
	if p.LastActivityAt == nil || !p.LastActivityAt.Equal(fork.LastActivity.Truncate(time.Millisecond)) {
		t.Errorf("last_activity_at: got %v, want %v", p.LastActivityAt, fork.LastActivity)
	}
	byID, _, err := c.Projects.GetProject(int(fork.ID), nil)
	if err != nil || byID.PathWithNamespace != "data/frontend" {
		t.Errorf("project by id: got %v, %v, want data/frontend", byID, err)
	}
	if _, _, err := c.Projects.GetProject("nope/nothing", nil); !errors.Is(err, gl.ErrNotFound) {
		t.Errorf("missing project: got %v, want ErrNotFound", err)
	}
	archived, _, err := c.Projects.GetProject("identity/legacy-sso", nil)
	if err != nil || !archived.Archived {
		t.Errorf("identity/legacy-sso: got %v, %v, want archived", archived, err)
	}
}

// jsonKeys returns the keys of a JSON object.
func jsonKeys(t *testing.T, data []byte) map[string]bool {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	for k := range m {
		keys[k] = true
	}
	return keys
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// missingKeys lists the keys of the real payload the fake's lacks, except
// those named in ignore (retired or out of scope).
func missingKeys(real, fake map[string]bool, ignore ...string) []string {
	var out []string
	for k := range real {
		if !fake[k] && !slices.Contains(ignore, k) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func TestPayloadsMatchRealOnes(t *testing.T) {
	s, ts, _ := mustStart(t, fakegitlab.Generate(40, 1), fakegitlab.Options{})
	p := projectByPath(t, s, "payments/checkout-api")
	id := strconv.FormatInt(p.ID, 10)

	_, project := mustGet(t, ts.URL+"/api/v4/projects/"+id)
	if miss := missingKeys(jsonKeys(t, readTestdata(t, "gitlab4j__gitlab4j-api__src_test_resources_org_gitlab4j_api_project.json")), jsonKeys(t, project),
		"public", "visibility_level", "owner", "permissions", "container_registry_enabled", "runners_token", "public_jobs",
		"only_allow_merge_if_pipeline_succeeds", "only_allow_merge_if_all_discussions_are_resolved", "request_access_enabled", "shared_runners_enabled"); len(miss) > 0 {
		t.Errorf("project: got no %v, want the keys GitLab sends", miss)
	}

	_, file := mustGet(t, ts.URL+"/api/v4/projects/"+id+"/repository/files/pom.xml?ref=main")
	if miss := missingKeys(jsonKeys(t, readTestdata(t, "gitlab4j__gitlab4j-api__src_test_resources_org_gitlab4j_api_repository-file.json")), jsonKeys(t, file)); len(miss) > 0 {
		t.Errorf("file: got no %v, want the keys GitLab sends", miss)
	}

	_, tree := mustGet(t, ts.URL+"/api/v4/projects/"+id+"/repository/tree")
	var realTree, fakeTree []json.RawMessage
	if err := json.Unmarshal(readTestdata(t, "NARKOZ__gitlab__spec_fixtures_tree.json"), &realTree); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(tree, &fakeTree); err != nil || len(fakeTree) == 0 {
		t.Fatalf("tree: got %s, %v", tree, err)
	}
	if miss := missingKeys(jsonKeys(t, realTree[0]), jsonKeys(t, fakeTree[0])); len(miss) > 0 {
		t.Errorf("tree entry: got no %v, want the keys GitLab sends", miss)
	}

	body, header, err := s.PushEvent(p.ID)
	if err != nil {
		t.Fatal(err)
	}
	realPush := readTestdata(t, "xanzy__go-gitlab__testdata_webhooks_push.json")
	if miss := missingKeys(jsonKeys(t, realPush), jsonKeys(t, body)); len(miss) > 0 {
		t.Errorf("push hook: got no %v, want the keys GitLab sends", miss)
	}
	var realHook, fakeHook struct {
		Project json.RawMessage
		Commits []json.RawMessage
	}
	_ = json.Unmarshal(realPush, &realHook)
	if err := json.Unmarshal(body, &fakeHook); err != nil {
		t.Fatal(err)
	}
	if miss := missingKeys(jsonKeys(t, realHook.Project), jsonKeys(t, fakeHook.Project)); len(miss) > 0 {
		t.Errorf("push hook project: got no %v, want the keys GitLab sends", miss)
	}
	if miss := missingKeys(jsonKeys(t, realHook.Commits[0]), jsonKeys(t, fakeHook.Commits[0])); len(miss) > 0 {
		t.Errorf("push hook commit: got no %v, want the keys GitLab sends", miss)
	}
	if got := header.Get("X-Gitlab-Event"); got != "Push Hook" {
		t.Errorf("X-Gitlab-Event: got %q, want %q", got, "Push Hook")
	}

	_, created, err := s.CreateProject(fakegitlab.Project{Path: "payments/new-thing"})
	if err != nil {
		t.Fatal(err)
	}
	if miss := missingKeys(jsonKeys(t, readTestdata(t, "xanzy__go-gitlab__testdata_systemhooks_project_create.json")), jsonKeys(t, created.Body)); len(miss) > 0 {
		t.Errorf("project_create hook: got no %v, want the keys GitLab sends", miss)
	}
}

func TestTree(t *testing.T) {
	s, _, c := mustStart(t, fakegitlab.Generate(40, 1), fakegitlab.Options{})
	p := projectByPath(t, s, "platform/platform-services")
	if len(p.Files) <= 100 {
		t.Fatalf("platform/platform-services: got %d files, want more than a page", len(p.Files))
	}
	wantBlobs := map[string]bool{}
	for path := range p.Files {
		wantBlobs[path] = true
	}
	tests := []struct {
		name string
		next func(resp *gl.Response) []gl.RequestOptionFunc
		opts gl.ListOptions
	}{
		{"keyset", func(resp *gl.Response) []gl.RequestOptionFunc {
			if resp.NextLink == "" {
				return nil
			}
			return []gl.RequestOptionFunc{gl.WithKeysetPaginationParameters(resp.NextLink)}
		}, gl.ListOptions{Pagination: "keyset", PerPage: 100}},
		{"offset", func(resp *gl.Response) []gl.RequestOptionFunc {
			if resp.NextPage == 0 {
				return nil
			}
			return []gl.RequestOptionFunc{gl.WithOffsetPaginationParameters(resp.NextPage)}
		}, gl.ListOptions{PerPage: 40}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := &gl.ListTreeOptions{ListOptions: tt.opts, Recursive: gl.Ptr(true), Ref: gl.Ptr("main")}
			blobs := map[string]bool{}
			trees := 0
			var reqOpts []gl.RequestOptionFunc
			for pages := 0; ; pages++ {
				if pages > 20 {
					t.Fatal("pages: got more than 20, want the listing to end")
				}
				nodes, resp, err := c.Repositories.ListTree(p.ID, opts, reqOpts...)
				if err != nil {
					t.Fatal(err)
				}
				for _, n := range nodes {
					if n.Type == "blob" {
						if blobs[n.Path] {
							t.Errorf("%s: got it twice, want once", n.Path)
						}
						blobs[n.Path] = true
					} else {
						trees++
					}
				}
				if reqOpts = tt.next(resp); reqOpts == nil {
					break
				}
			}
			if !reflect.DeepEqual(blobs, wantBlobs) {
				t.Errorf("blobs: got %d, want %d", len(blobs), len(wantBlobs))
			}
			if trees == 0 {
				t.Error("folders: got none, want the tree's folders")
			}
		})
	}
	if _, _, err := c.Repositories.ListTree(p.ID, &gl.ListTreeOptions{Ref: gl.Ptr("no-such-branch")}); !errors.Is(err, gl.ErrNotFound) {
		t.Errorf("tree of a missing ref: got %v, want ErrNotFound", err)
	}
}

func TestFiles(t *testing.T) {
	s, _, c := mustStart(t, fakegitlab.Generate(40, 1), fakegitlab.Options{})
	p := projectByPath(t, s, "payments/checkout-api")
	raw, resp, err := c.RepositoryFiles.GetRawFile("payments/checkout-api", "src/main/resources/log4j2.xml", &gl.GetRawFileOptions{Ref: gl.Ptr("main")})
	if err != nil {
		t.Fatal(err)
	}
	if string(raw) != string(p.Files["src/main/resources/log4j2.xml"]) {
		t.Errorf("raw file: got %q, want the file", raw)
	}
	if got := resp.Header.Get("X-Gitlab-Commit-Id"); got != p.Commit {
		t.Errorf("X-Gitlab-Commit-Id: got %q, want %q", got, p.Commit)
	}
	f, _, err := c.RepositoryFiles.GetFile(p.ID, "pom.xml", &gl.GetFileOptions{Ref: gl.Ptr("main")})
	if err != nil {
		t.Fatal(err)
	}
	if f.Encoding != "base64" || f.CommitID != p.Commit || f.FilePath != "pom.xml" || f.Size != int64(len(p.Files["pom.xml"])) {
		t.Errorf("file: got %+v, want base64 pom.xml at %s", f, p.Commit)
	}
	meta, _, err := c.RepositoryFiles.GetFileMetaData(p.ID, "pom.xml", &gl.GetFileMetaDataOptions{Ref: gl.Ptr("main")})
	if err != nil || meta.BlobID != f.BlobID || meta.CommitID != p.Commit {
		t.Errorf("file metadata: got %+v, %v, want blob %s", meta, err, f.BlobID)
	}
	if _, _, err := c.RepositoryFiles.GetRawFile(p.ID, "nope.txt", nil); !errors.Is(err, gl.ErrNotFound) {
		t.Errorf("missing file: got %v, want ErrNotFound", err)
	}
	branch, _, err := c.Branches.GetBranch(p.ID, "main")
	if err != nil || branch.Commit.ID != p.Commit || !branch.Default {
		t.Errorf("branch main: got %+v, %v, want default at %s", branch, err, p.Commit)
	}
	commit, _, err := c.Commits.GetCommit(p.ID, p.Commit[:10], nil)
	if err != nil || commit.ID != p.Commit {
		t.Errorf("commit: got %+v, %v, want %s", commit, err, p.Commit)
	}
}

func TestAuthentication(t *testing.T) {
	_, ts, _ := mustStart(t, fakegitlab.Generate(3, 1), fakegitlab.Options{})
	tests := []struct {
		name   string
		header http.Header
		want   int
	}{
		{"no token", http.Header{}, http.StatusUnauthorized},
		{"wrong token", http.Header{"Private-Token": {"wrong"}}, http.StatusUnauthorized},
		{"private token", http.Header{"Private-Token": {testToken}}, http.StatusOK},
		{"bearer", http.Header{"Authorization": {"Bearer " + testToken}}, http.StatusOK},
		{"wrong bearer", http.Header{"Authorization": {"Bearer nope"}}, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(http.MethodGet, ts.URL+"/api/v4/projects", nil)
		req.Header = tt.header
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%s: got %d, want %d", tt.name, resp.StatusCode, tt.want)
		}
	}
	bad, err := gl.NewClient("wrong", gl.WithBaseURL(ts.URL+"/api/v4"), gl.WithoutRetries())
	if err != nil {
		t.Fatal(err)
	}
	_, resp, err := bad.Projects.ListProjects(nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("client-go with a wrong token: got %v, want a 401", err)
	}
}

func TestRateLimit(t *testing.T) {
	now := time.Unix(1_700_000_000, 250_000_000) // a quarter into a second
	s, ts, _ := mustStart(t, fakegitlab.Generate(3, 1), fakegitlab.Options{
		RateLimit: 3, RateWindow: time.Second, Now: func() time.Time { return now },
	})
	for i := 1; i <= 4; i++ {
		resp, _ := mustGet(t, ts.URL+"/api/v4/projects")
		h := resp.Header
		wantStatus, wantRemaining := http.StatusOK, strconv.Itoa(3-i)
		if i == 4 {
			wantStatus, wantRemaining = http.StatusTooManyRequests, "0"
		}
		if resp.StatusCode != wantStatus {
			t.Errorf("request %d: got %d, want %d", i, resp.StatusCode, wantStatus)
		}
		if h.Get("RateLimit-Limit") != "3" || h.Get("RateLimit-Observed") != strconv.Itoa(i) || h.Get("RateLimit-Remaining") != wantRemaining ||
			h.Get("RateLimit-Reset") != "1700000001" || h.Get("RateLimit-ResetTime") == "" {
			t.Errorf("request %d: got RateLimit-* %v, want limit 3, observed %d, remaining %s, reset 1700000001", i, h, i, wantRemaining)
		}
		if i == 4 && h.Get("Retry-After") != "1" {
			t.Errorf("429: got Retry-After %q, want 1", h.Get("Retry-After"))
		}
	}
	now = now.Add(time.Second)
	if resp, _ := mustGet(t, ts.URL+"/api/v4/projects"); resp.StatusCode != http.StatusOK || resp.Header.Get("RateLimit-Remaining") != "2" {
		t.Errorf("next window: got %d remaining %s, want 200 and 2", resp.StatusCode, resp.Header.Get("RateLimit-Remaining"))
	}
	if st := s.Stats(); st.RateLimited != 1 || st.Requests != 5 {
		t.Errorf("stats: got %+v, want 5 requests, 1 rate limited", st)
	}
	s.SetRateLimit(0, 0)
	if resp, _ := mustGet(t, ts.URL+"/api/v4/projects"); resp.Header.Get("RateLimit-Limit") != "" {
		t.Errorf("no limit: got RateLimit-Limit %q, want none", resp.Header.Get("RateLimit-Limit"))
	}
}

func TestErrorInjection(t *testing.T) {
	s, ts, c := mustStart(t, fakegitlab.Generate(40, 1), fakegitlab.Options{FailPaths: []string{"search/indexer"}})
	bad := projectByPath(t, s, "search/indexer")
	for _, path := range []string{"/api/v4/projects/" + strconv.FormatInt(bad.ID, 10), "/api/v4/projects/search%2Findexer/repository/tree", "/api/v4/projects/search%2Findexer/repository/files/pom.xml/raw"} {
		if resp, _ := mustGet(t, ts.URL+path); resp.StatusCode != http.StatusInternalServerError {
			t.Errorf("%s: got %d, want 500", path, resp.StatusCode)
		}
	}
	if _, _, err := c.Projects.GetProject("payments/checkout-api", nil); err != nil {
		t.Errorf("another project: got %v, want it served", err)
	}
	s.FailNext(2, http.StatusBadGateway)
	for i, want := range []int{502, 502, 200} {
		if resp, _ := mustGet(t, ts.URL+"/api/v4/projects"); resp.StatusCode != want {
			t.Errorf("request %d after FailNext: got %d, want %d", i, resp.StatusCode, want)
		}
	}
	s.SetErrorRate(1)
	if resp, _ := mustGet(t, ts.URL+"/api/v4/projects"); resp.StatusCode < 500 {
		t.Errorf("error rate 1: got %d, want a 5xx", resp.StatusCode)
	}
	if st := s.Stats(); st.Injected != 6 {
		t.Errorf("injected: got %d, want 6", st.Injected)
	}
}

func TestLatency(t *testing.T) {
	_, ts, _ := mustStart(t, fakegitlab.Generate(1, 1), fakegitlab.Options{Latency: 30 * time.Millisecond})
	start := time.Now()
	mustGet(t, ts.URL+"/api/v4/projects")
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Errorf("request took %v, want at least 30ms", d)
	}
}

func TestPushAndCompare(t *testing.T) {
	s, _, c := mustStart(t, fakegitlab.Generate(40, 1), fakegitlab.Options{WebhookSecret: "s3cret"})
	p := projectByPath(t, s, "payments/checkout-api")
	newPom := []byte(strings.ReplaceAll(string(p.Files["pom.xml"]), "2.14.1", "2.17.1"))
	hook, err := s.Push(p.ID, fakegitlab.Change{
		Message: "Bump log4j to 2.17.1",
		Files:   map[string][]byte{"pom.xml": newPom, "docs/upgrade.md": []byte("# Upgrade\n")},
		Delete:  []string{"src/main/resources/log4j2.xml"},
	})
	if err != nil {
		t.Fatal(err)
	}
	after := projectByPath(t, s, "payments/checkout-api")
	if after.Commit == p.Commit || !after.LastActivity.After(p.LastActivity) {
		t.Errorf("after push: got commit %s activity %v, want a new commit and activity", after.Commit, after.LastActivity)
	}
	var ev struct {
		ObjectKind string `json:"object_kind"`
		Before     string
		After      string
		Ref        string
		ProjectID  int64 `json:"project_id"`
		Commits    []struct{ Added, Modified, Removed []string }
	}
	if err := json.Unmarshal(hook.Body, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.ObjectKind != "push" || ev.Before != p.Commit || ev.After != after.Commit || ev.Ref != "refs/heads/main" || ev.ProjectID != p.ID {
		t.Errorf("push hook: got %+v, want push %s..%s on refs/heads/main", ev, p.Commit, after.Commit)
	}
	if len(ev.Commits) != 1 || !reflect.DeepEqual(ev.Commits[0].Added, []string{"docs/upgrade.md"}) ||
		!reflect.DeepEqual(ev.Commits[0].Modified, []string{"pom.xml"}) || !reflect.DeepEqual(ev.Commits[0].Removed, []string{"src/main/resources/log4j2.xml"}) {
		t.Errorf("push hook commits: got %+v, want docs/upgrade.md added, pom.xml modified, log4j2.xml removed", ev.Commits)
	}
	if hook.Header.Get("X-Gitlab-Token") != "s3cret" || hook.Header.Get("X-Gitlab-Event") != "Push Hook" || hook.Header.Get("Idempotency-Key") == "" {
		t.Errorf("push hook headers: got %v, want token, event and idempotency key", hook.Header)
	}
	body, _, err := s.PushEvent(p.ID)
	if err != nil || !strings.Contains(string(body), after.Commit) {
		t.Errorf("PushEvent: got %.80s, %v, want the last push", body, err)
	}
	raw, _, err := c.RepositoryFiles.GetRawFile(p.ID, "pom.xml", &gl.GetRawFileOptions{Ref: gl.Ptr("main")})
	if err != nil || string(raw) != string(newPom) {
		t.Errorf("pom.xml after push: got %v, want the new content", err)
	}
	// The old commit is still there.
	if old, _, err := c.RepositoryFiles.GetRawFile(p.ID, "pom.xml", &gl.GetRawFileOptions{Ref: gl.Ptr(p.Commit)}); err != nil || string(old) != string(p.Files["pom.xml"]) {
		t.Errorf("pom.xml at the old commit: got %v, want the old content", err)
	}
	cmp, _, err := c.Repositories.Compare(p.ID, &gl.CompareOptions{From: gl.Ptr(p.Commit), To: gl.Ptr("main")})
	if err != nil {
		t.Fatal(err)
	}
	changed := map[string]string{}
	for _, d := range cmp.Diffs {
		switch {
		case d.NewFile:
			changed[d.NewPath] = "added"
		case d.DeletedFile:
			changed[d.NewPath] = "removed"
		default:
			changed[d.NewPath] = "modified"
		}
	}
	want := map[string]string{"docs/upgrade.md": "added", "pom.xml": "modified", "src/main/resources/log4j2.xml": "removed"}
	if !reflect.DeepEqual(changed, want) || cmp.Commit.ID != after.Commit || len(cmp.Commits) != 1 {
		t.Errorf("compare: got %v head %s (%d commits), want %v head %s (1 commit)", changed, cmp.Commit.ID, len(cmp.Commits), want, after.Commit)
	}
	if got := s.Commits(p.ID); len(got) != 2 || got[0] != after.Commit {
		t.Errorf("commits: got %v, want the push then the initial commit", got)
	}
}

func TestSystemHooks(t *testing.T) {
	s, _, c := mustStart(t, fakegitlab.Generate(40, 1), fakegitlab.Options{WebhookSecret: "s3cret"})
	type event struct {
		EventName string `json:"event_name"`
		Path      string `json:"path_with_namespace"`
		Old       string `json:"old_path_with_namespace"`
		ProjectID int64  `json:"project_id"`
	}
	decode := func(h fakegitlab.Hook) event {
		var e event
		if err := json.Unmarshal(h.Body, &e); err != nil {
			t.Fatal(err)
		}
		if h.Header.Get("X-Gitlab-Event") != "System Hook" || h.Header.Get("X-Gitlab-Token") != "s3cret" {
			t.Errorf("%s headers: got %v, want System Hook with the token", e.EventName, h.Header)
		}
		return e
	}
	p, h, err := s.CreateProject(fakegitlab.Project{Path: "search/autocomplete", Files: map[string][]byte{"go.mod": []byte("module x\n")}})
	if err != nil {
		t.Fatal(err)
	}
	if e := decode(h); e.EventName != "project_create" || e.Path != "search/autocomplete" || e.ProjectID != p.ID {
		t.Errorf("create: got %+v, want project_create of search/autocomplete", e)
	}
	h, err = s.RenameProject(p.ID, "typeahead")
	if err != nil {
		t.Fatal(err)
	}
	if e := decode(h); e.EventName != "project_rename" || e.Path != "search/typeahead" || e.Old != "search/autocomplete" {
		t.Errorf("rename: got %+v, want project_rename from search/autocomplete to search/typeahead", e)
	}
	h, err = s.TransferProject(p.ID, "platform/tooling")
	if err != nil {
		t.Fatal(err)
	}
	if e := decode(h); e.EventName != "project_transfer" || e.Path != "platform/tooling/typeahead" || e.Old != "search/typeahead" {
		t.Errorf("transfer: got %+v, want project_transfer to platform/tooling/typeahead", e)
	}
	if got, _, err := c.Projects.GetProject("platform/tooling/typeahead", nil); err != nil || got.ID != p.ID {
		t.Errorf("moved project: got %v, %v, want id %d", got, err, p.ID)
	}
	if _, _, err := c.Projects.GetProject("search/autocomplete", nil); !errors.Is(err, gl.ErrNotFound) {
		t.Errorf("old path: got %v, want ErrNotFound", err)
	}
	h, err = s.DeleteProject(p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if e := decode(h); e.EventName != "project_destroy" || e.ProjectID != p.ID {
		t.Errorf("delete: got %+v, want project_destroy", e)
	}
	if _, _, err := c.Projects.GetProject(int(p.ID), nil); !errors.Is(err, gl.ErrNotFound) {
		t.Errorf("deleted project: got %v, want ErrNotFound", err)
	}
	if _, err := s.RenameProject(p.ID, "x"); err == nil {
		t.Error("rename a deleted project: got no error, want one")
	}
}

func TestHookSend(t *testing.T) {
	s, _, _ := mustStart(t, fakegitlab.Generate(3, 1), fakegitlab.Options{WebhookSecret: "s3cret"})
	var got http.Header
	var gotBody []byte
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		gotBody, _ = io.ReadAll(r.Body)
		w.WriteHeader(http.StatusAccepted)
	}))
	defer recv.Close()
	p := s.Projects()[0]
	h, err := s.Push(p.ID, fakegitlab.Change{Files: map[string][]byte{"x.txt": []byte("x")}})
	if err != nil {
		t.Fatal(err)
	}
	status, err := h.Send(context.Background(), nil, recv.URL+"/gitlab/webhook")
	if err != nil || status != http.StatusAccepted {
		t.Fatalf("send: got %d, %v, want 202", status, err)
	}
	if got.Get("X-Gitlab-Token") != "s3cret" || got.Get("Content-Type") != "application/json" || string(gotBody) != string(h.Body) {
		t.Errorf("delivery: got headers %v, want the hook's", got)
	}
}

func TestMergeRequestFlow(t *testing.T) {
	s, _, c := mustStart(t, fakegitlab.Generate(40, 1), fakegitlab.Options{})
	p := projectByPath(t, s, "search/indexer")
	if _, _, err := c.Branches.CreateBranch(p.ID, &gl.CreateBranchOptions{Branch: gl.Ptr("switchboard/descriptor"), Ref: gl.Ptr("main")}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Branches.CreateBranch(p.ID, &gl.CreateBranchOptions{Branch: gl.Ptr("switchboard/descriptor"), Ref: gl.Ptr("main")}); err == nil {
		t.Error("second branch of one name: got no error, want 400")
	}
	commit, _, err := c.Commits.CreateCommit(p.ID, &gl.CreateCommitOptions{
		Branch:        gl.Ptr("switchboard/descriptor"),
		CommitMessage: gl.Ptr("Add catalog-info.yaml"),
		Actions: []*gl.CommitActionOptions{
			{Action: gl.Ptr(gl.FileCreate), FilePath: gl.Ptr("catalog-info.yaml"), Content: gl.Ptr("kind: Component\n")},
			{Action: gl.Ptr(gl.FileUpdate), FilePath: gl.Ptr("README.md"), Content: gl.Ptr("# Indexer\n")},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Commits.CreateCommit(p.ID, &gl.CreateCommitOptions{
		Branch: gl.Ptr("switchboard/descriptor"), CommitMessage: gl.Ptr("again"),
		Actions: []*gl.CommitActionOptions{{Action: gl.Ptr(gl.FileCreate), FilePath: gl.Ptr("catalog-info.yaml"), Content: gl.Ptr("x")}},
	}); err == nil {
		t.Error("create of an existing file: got no error, want 400")
	}
	mr, _, err := c.MergeRequests.CreateMergeRequest(p.ID, &gl.CreateMergeRequestOptions{
		Title: gl.Ptr("Add a descriptor"), Description: gl.Ptr("From Switchboard"),
		SourceBranch: gl.Ptr("switchboard/descriptor"), TargetBranch: gl.Ptr("main"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if mr.IID != 1 || mr.State != "opened" || mr.SHA != commit.ID || !strings.HasSuffix(mr.WebURL, "/search/indexer/-/merge_requests/1") {
		t.Errorf("merge request: got iid %d state %s sha %s url %s, want 1 opened %s .../merge_requests/1", mr.IID, mr.State, mr.SHA, mr.WebURL, commit.ID)
	}
	_, resp, err := c.MergeRequests.CreateMergeRequest(p.ID, &gl.CreateMergeRequestOptions{
		Title: gl.Ptr("Again"), SourceBranch: gl.Ptr("switchboard/descriptor"), TargetBranch: gl.Ptr("main"),
	})
	if err == nil || resp.StatusCode != http.StatusConflict {
		t.Errorf("second merge request: got %v, want 409", err)
	}
	got, _, err := c.MergeRequests.GetMergeRequest(p.ID, 1, nil)
	if err != nil || got.Title != "Add a descriptor" {
		t.Errorf("get merge request: got %v, %v, want it", got, err)
	}
	list, _, err := c.MergeRequests.ListProjectMergeRequests(p.ID, &gl.ListProjectMergeRequestsOptions{State: gl.Ptr("opened")})
	if err != nil || len(list) != 1 {
		t.Errorf("list merge requests: got %d, %v, want 1", len(list), err)
	}
	mrs := s.MergeRequests(p.ID)
	if len(mrs) != 1 || string(mrs[0].Files["catalog-info.yaml"]) != "kind: Component\n" {
		t.Errorf("MergeRequests: got %+v, want one with catalog-info.yaml", mrs)
	}
	if after := projectByPath(t, s, "search/indexer"); after.Commit != p.Commit {
		t.Error("default branch: got a new commit, want it untouched by a branch commit")
	}
}

func TestGroupsAndMembers(t *testing.T) {
	s, _, c := mustStart(t, fakegitlab.Generate(40, 1), fakegitlab.Options{})
	groups, _, err := c.Groups.ListGroups(&gl.ListGroupsOptions{ListOptions: gl.ListOptions{PerPage: 100}})
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != len(s.Groups()) {
		t.Errorf("groups: got %d, want %d", len(groups), len(s.Groups()))
	}
	var tooling, platform fakegitlab.Group
	for _, g := range s.Groups() {
		switch g.Path {
		case "platform/tooling":
			tooling = g
		case "platform":
			platform = g
		}
	}
	members, _, err := c.Groups.ListAllGroupMembers("platform/tooling", nil)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, m := range members {
		got[m.Username] = true
		if m.Email == "" {
			t.Errorf("member %s: got no email, want the administrator's view", m.Username)
		}
	}
	for _, m := range append(tooling.Members, platform.Members...) {
		if !got[m.Username] {
			t.Errorf("platform/tooling members: got no %s, want direct and inherited members", m.Username)
		}
	}
	u := tooling.Members[0]
	users, _, err := c.Users.ListUsers(&gl.ListUsersOptions{Username: gl.Ptr(u.Username)})
	if err != nil || len(users) != 1 || users[0].Email != u.Email {
		t.Errorf("user %s: got %v, %v, want one with email %s", u.Username, users, err, u.Email)
	}
}

func TestStartAndClose(t *testing.T) {
	s := fakegitlab.New(fakegitlab.Generate(2, 1), fakegitlab.Options{Token: testToken})
	if err := s.Start(""); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	resp, body := mustGet(t, s.URL()+"/api/v4/projects")
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), s.URL()+"/payments/checkout-api") {
		t.Errorf("started server: got %d %.100s, want the projects with its URL", resp.StatusCode, body)
	}
	if err := s.Close(); err != nil {
		t.Errorf("close: got %v, want nil", err)
	}
}
