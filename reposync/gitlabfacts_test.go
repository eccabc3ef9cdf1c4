package reposync_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/gitlab"
	"github.com/switchboard-dev/switchboard/gitlab/fakegitlab"
	"github.com/switchboard-dev/switchboard/internal/catalogtest"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
	"github.com/switchboard-dev/switchboard/reposync"
	"github.com/switchboard-dev/switchboard/standards"
)

// TestSyncReadsGitLabFacts syncs repos whose last merge and default
// branch protection GitLab tells, or not (403, a failing endpoint), and
// checks what the catalog stores: known facts, unknown ones with why, and
// a sync that is green all the same.
func TestSyncReadsGitLabFacts(t *testing.T) {
	ctx := context.Background()
	day := 24 * time.Hour
	mergedAt := time.Now().Add(-5 * day).UTC().Truncate(time.Millisecond)
	ada := fakegitlab.Member{ID: 7, Username: "ada", Name: "Ada"}
	files := func(name string) map[string][]byte {
		return map[string][]byte{"catalog-info.yaml": []byte("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: " + name +
			"\nspec:\n  type: service\n  lifecycle: production\n  owner: group:payments\n")}
	}
	org := &fakegitlab.Org{Groups: []fakegitlab.Group{{ID: 1, Path: "acme", Name: "Acme"}}, Projects: []*fakegitlab.Project{
		{ID: 11, Path: "acme/merged", Files: files("merged"), MergedMergeRequests: []fakegitlab.MergedMergeRequest{
			{Title: "older", Author: ada, MergedAt: mergedAt.Add(-30 * day)},
			{Title: "last", Author: ada, MergedAt: mergedAt},
		}},
		{ID: 12, Path: "acme/never-merged", Files: files("never-merged"), DefaultBranchUnprotected: true},
		{ID: 13, Path: "acme/mrs-off", Files: files("mrs-off"), MergeRequestsDisabled: true},
		{ID: 14, Path: "acme/mrs-failing", Files: files("mrs-failing")},
	}}
	fake := fakegitlab.New(org, fakegitlab.Options{Token: token})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	fake.SetURL(srv.URL)
	fake.Refuse(http.StatusInternalServerError, func(r *http.Request) bool {
		return strings.HasPrefix(r.URL.Path, "/api/v4/projects/14/merge_requests")
	})
	client, err := gitlab.New(gitlab.Config{BaseURL: srv.URL, Token: token, RetryWaitMin: time.Millisecond, RetryWaitMax: 5 * time.Millisecond, RetryMax: 2})
	if err != nil {
		t.Fatal(err)
	}
	store := catalog.NewStore(pgtest.New(t), nil)
	syncer := reposync.New(client, store, reposync.Options{Rules: standards.Default().Rules(), Workers: 4})

	sum, err := syncer.Run(ctx, time.Time{})
	if err != nil || sum.Failed != 0 || sum.DependencyFilesUnread != 0 || sum.Catalogued != 4 {
		t.Fatalf("sync: %+v, %v; want 4 repos catalogued, none failed, no file unread", sum, err)
	}
	yes, no := true, false
	tests := []struct {
		id          int64
		wantMerge   *catalog.LastMerge
		mergeErr    string
		wantProt    *bool
		wantProtErr string
	}{
		{11, &catalog.LastMerge{At: mergedAt, IID: 2, Author: "ada", URL: srv.URL + "/acme/merged/-/merge_requests/2"}, "", &yes, ""},
		{12, nil, "", &no, ""},
		{13, nil, "the GitLab token may not read the project's merge requests (403)", &yes, ""},
		{14, nil, "GitLab did not tell the project's merge requests", &yes, ""},
	}
	for _, tt := range tests {
		got, err := catalogtest.GitLabFacts(ctx, store, tt.id)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(got.MergeError, tt.mergeErr) || (got.MergeError == "") != (tt.mergeErr == "") {
			t.Errorf("repo %d: merge error %q, want %q", tt.id, got.MergeError, tt.mergeErr)
		}
		if tt.mergeErr == "" && got.MergeReadAt.IsZero() {
			t.Errorf("repo %d: last merge not marked read", tt.id)
		}
		switch {
		case (got.LastMerge == nil) != (tt.wantMerge == nil):
			t.Errorf("repo %d: last merge %+v, want %+v", tt.id, got.LastMerge, tt.wantMerge)
		case got.LastMerge != nil && (!got.LastMerge.At.Equal(tt.wantMerge.At) || got.LastMerge.IID != tt.wantMerge.IID ||
			got.LastMerge.Author != tt.wantMerge.Author || got.LastMerge.URL != tt.wantMerge.URL):
			t.Errorf("repo %d: last merge %+v, want %+v", tt.id, *got.LastMerge, *tt.wantMerge)
		}
		if got.ProtectionError != tt.wantProtErr || (got.Protected == nil) != (tt.wantProt == nil) || got.Protected != nil && *got.Protected != *tt.wantProt {
			t.Errorf("repo %d: protected %v (%q), want %v (%q)", tt.id, got.Protected, got.ProtectionError, tt.wantProt, tt.wantProtErr)
		}
	}
	states, err := store.RepoStates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for id, st := range states {
		if st.SyncError != "" {
			t.Errorf("repo %d: sync error %q, want none (a GitLab fact not read is not a failed sync)", id, st.SyncError)
		}
	}

	// Verification: the default branches did not move, so no merge can be
	// newer: the last merges read are kept and only those whose read
	// failed are asked again; protection read minutes ago is kept.
	fake.ResetStats()
	if sum, err := syncer.Verify(ctx); err != nil || sum.Failed != 0 {
		t.Fatalf("verify: %+v %v", sum, err)
	}
	byRoute := fake.Stats().ByRoute
	// acme/mrs-off once (a 403 is not retried), acme/mrs-failing three
	// times (a 500 and two retries).
	if n := byRoute["GET /api/v4/projects/{id}/merge_requests"]; n != 1+3 {
		t.Errorf("verify: %d merge request listings, want 4: only the 2 repos whose read failed asked again", n)
	}
	if n := byRoute["GET /api/v4/projects/{id}/repository/branches/{branch}"]; n != 0 {
		t.Errorf("verify: %d branch reads, want 0 (protection read minutes ago)", n)
	}

	// A push moves a default branch: its last merge is read again; its
	// protection once older than ProtectionMaxAge too, and a token that
	// may no longer read it makes it unknown, not false.
	fake.Refuse(http.StatusForbidden, func(r *http.Request) bool {
		return strings.HasPrefix(r.URL.Path, "/api/v4/projects/11/repository/branches/")
	})
	push := func() {
		t.Helper()
		if _, err := fake.Push(11, fakegitlab.Change{Files: map[string][]byte{"README.md": []byte(time.Now().String())}}); err != nil {
			t.Fatal(err)
		}
		fake.ResetStats()
		if sum, err := syncer.Run(ctx, time.Time{}); err != nil || sum.Failed != 0 {
			t.Fatalf("sync after push: %+v %v", sum, err)
		}
	}
	push()
	byRoute = fake.Stats().ByRoute
	if n := byRoute["GET /api/v4/projects/{id}/merge_requests"]; n != 1 {
		t.Errorf("after a push: %d merge request listings, want 1", n)
	}
	if n := byRoute["GET /api/v4/projects/{id}/repository/branches/{branch}"]; n != 0 {
		t.Errorf("after a push: %d branch reads, want 0 (protection read minutes ago)", n)
	}
	if _, err := store.Pool().Exec(ctx, `UPDATE repos SET protection_read_at = now() - interval '21 hours' WHERE gitlab_id = 11`); err != nil {
		t.Fatal(err)
	}
	push()
	got, err := catalogtest.GitLabFacts(ctx, store, 11)
	if err != nil {
		t.Fatal(err)
	}
	if got.Protected != nil || got.ProtectionError != "the GitLab token may not read the project's default branch's protection (403)" {
		t.Errorf("after the push: protected %v (%q), want unknown for a 403", got.Protected, got.ProtectionError)
	}
	if got.LastMerge == nil || got.LastMerge.IID != 2 || got.MergeError != "" {
		t.Errorf("after the push: last merge %+v (%q), want !2 still", got.LastMerge, got.MergeError)
	}
}
