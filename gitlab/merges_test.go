package gitlab_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/gitlab"
	"github.com/switchboard-dev/switchboard/gitlab/fakegitlab"
)

// mergeOrg has projects with merged merge requests in every shape LastMerge
// must read.
func mergeOrg(now time.Time) *fakegitlab.Org {
	ada := fakegitlab.Member{ID: 7, Username: "ada", Name: "Ada Lovelace"}
	bob := fakegitlab.Member{ID: 8, Username: "bob", Name: "Bob"}
	day := 24 * time.Hour
	return &fakegitlab.Org{Projects: []*fakegitlab.Project{
		{ID: 1, Path: "acme/merged", MergedMergeRequests: []fakegitlab.MergedMergeRequest{
			// iid order is not merge order: !2 was merged last into main.
			{Title: "old", Author: bob, MergedAt: now.Add(-40 * day)},
			{Title: "newest into main", Author: ada, MergedAt: now.Add(-3 * day), CreatedAt: now.Add(-60 * day)},
			{Title: "middle", Author: bob, MergedAt: now.Add(-10 * day)},
			{Title: "into a release branch", Author: bob, TargetBranch: "release/1.x", MergedAt: now.Add(-time.Hour)},
		}},
		{ID: 2, Path: "acme/never-merged"},
		{ID: 3, Path: "acme/mrs-off", MergeRequestsDisabled: true, MergedMergeRequests: []fakegitlab.MergedMergeRequest{{Title: "x", Author: ada, MergedAt: now}}},
		{ID: 4, Path: "acme/unprotected", DefaultBranchUnprotected: true, ProtectedBranches: []string{"release/*"}},
		// Protected by a wildcard rule only, which GET
		// /protected_branches/main would not find.
		{ID: 5, Path: "acme/wildcard", DefaultBranchUnprotected: true, ProtectedBranches: []string{"ma*"}},
	}}
}

func TestLastMerge(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	tests := []struct {
		name      string
		opts      fakegitlab.Options
		project   int64
		wantFound bool
		want      gitlab.Merge
		wantErr   error
		wantReqs  int64
	}{
		{"last merged into the branch", fakegitlab.Options{}, 1, true,
			gitlab.Merge{IID: 2, Title: "newest into main", Author: "ada", AuthorName: "Ada Lovelace", MergedAt: now.Add(-3 * day)}, nil, 1},
		{"GitLab before 17.2: ordered by updated_at", fakegitlab.Options{NoMergedAtOrder: true}, 1, true,
			gitlab.Merge{IID: 2, Title: "newest into main", Author: "ada", AuthorName: "Ada Lovelace", MergedAt: now.Add(-3 * day)}, nil, 2},
		{"never merged", fakegitlab.Options{}, 2, false, gitlab.Merge{}, nil, 1},
		{"merge requests disabled", fakegitlab.Options{}, 3, false, gitlab.Merge{}, gitlab.ErrForbidden, 1},
		{"no such project", fakegitlab.Options{}, 99, false, gitlab.Merge{}, gitlab.ErrNotFound, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Now = func() time.Time { return now }
			_, url := mustFake(t, mergeOrg(now), tt.opts)
			c := mustClient(t, url, nil)
			got, found, err := c.LastMerge(context.Background(), tt.project, "main")
			if !errors.Is(err, tt.wantErr) || (err != nil) != (tt.wantErr != nil) {
				t.Fatalf("error: got %v, want %v", err, tt.wantErr)
			}
			if found != tt.wantFound {
				t.Fatalf("found: got %v, want %v", found, tt.wantFound)
			}
			wantURL := ""
			if found {
				wantURL = url + "/acme/merged/-/merge_requests/2"
			}
			tt.want.WebURL = wantURL
			if !got.MergedAt.Equal(tt.want.MergedAt) {
				t.Errorf("merged at: got %v, want %v", got.MergedAt, tt.want.MergedAt)
			}
			got.MergedAt, tt.want.MergedAt = time.Time{}, time.Time{}
			if got != tt.want {
				t.Errorf("merge: got %+v, want %+v", got, tt.want)
			}
			if n := c.Stats().Requests; n != tt.wantReqs {
				t.Errorf("requests: got %d, want %d", n, tt.wantReqs)
			}
		})
	}
}

func TestDefaultBranchProtected(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name    string
		project int64
		branch  string
		refuse  bool
		want    bool
		wantErr error
	}{
		{"protected, as GitLab makes a new project's default branch", 1, "main", false, true, nil},
		{"unprotected (another branch's rule does not count)", 4, "main", false, false, nil},
		{"protected by a wildcard rule", 5, "main", false, true, nil},
		{"the token may not read it: unknown, not false", 1, "main", true, false, gitlab.ErrForbidden},
		{"no such branch", 1, "nope", false, false, gitlab.ErrNotFound},
		{"no such project", 99, "main", false, false, gitlab.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, url := mustFake(t, mergeOrg(now), fakegitlab.Options{})
			if tt.refuse {
				s.Refuse(http.StatusForbidden, func(r *http.Request) bool { return strings.Contains(r.URL.Path, "/repository/branches/") })
			}
			got, err := mustClient(t, url, nil).DefaultBranchProtected(context.Background(), tt.project, tt.branch)
			if !errors.Is(err, tt.wantErr) || (err != nil) != (tt.wantErr != nil) {
				t.Fatalf("error: got %v, want %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("protected: got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestMergedShape checks that a merged merge request carries the fields
// GitLab gives one (GET /projects/:id/merge_requests/:iid), with their
// JSON types.
func TestMergedShape(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	_, url := mustFake(t, mergeOrg(now), fakegitlab.Options{})
	req, _ := http.NewRequest("GET", url+"/api/v4/projects/1/merge_requests?state=merged&order_by=merged_at&sort=desc&per_page=1&target_branch=main", nil)
	req.Header.Set("PRIVATE-TOKEN", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got []map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("got %d merge requests, want 1 (per_page=1)", len(got))
	}
	if h := resp.Header.Get("X-Total"); h != "3" {
		t.Errorf("X-Total: got %q, want 3 (merged into main)", h)
	}
	mr := got[0]
	for key, kind := range map[string]string{
		"iid": "number", "state": "string", "merged_at": "string", "merge_commit_sha": "string",
		"merged_by": "object", "merge_user": "object", "author": "object", "web_url": "string",
		"target_branch": "string", "source_branch": "string", "updated_at": "string", "closed_at": "null",
	} {
		v, ok := mr[key]
		if !ok {
			t.Errorf("%s: missing", key)
			continue
		}
		var k string
		switch v.(type) {
		case float64:
			k = "number"
		case string:
			k = "string"
		case map[string]any:
			k = "object"
		case nil:
			k = "null"
		}
		if k != kind {
			t.Errorf("%s: got a %s (%v), want a %s", key, k, v, kind)
		}
	}
	if mr["state"] != "merged" || mr["merged_at"] != "2026-11-27T12:00:00.000Z" {
		t.Errorf("state %v merged_at %v: want merged at 2026-11-27T12:00:00.000Z", mr["state"], mr["merged_at"])
	}
}
