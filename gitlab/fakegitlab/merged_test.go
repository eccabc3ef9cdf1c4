package fakegitlab_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/gitlab/fakegitlab"
)

// TestMergedListing lists seeded merged merge requests with GitLab's
// ordering parameters, pagination and refusals.
func TestMergedListing(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	ada := fakegitlab.Member{ID: 7, Username: "ada", Name: "Ada"}
	org := func() *fakegitlab.Org {
		return &fakegitlab.Org{Projects: []*fakegitlab.Project{
			{ID: 1, Path: "acme/a", MergedMergeRequests: []fakegitlab.MergedMergeRequest{
				{Title: "b", Author: ada, MergedAt: now.Add(-5 * day), CreatedAt: now.Add(-6 * day)},
				{Title: "a", Author: ada, MergedAt: now.Add(-1 * day), CreatedAt: now.Add(-30 * day)},
				{Title: "c", Author: ada, MergedAt: now.Add(-9 * day), CreatedAt: now.Add(-10 * day)},
				{Title: "d", Author: ada, TargetBranch: "dev", MergedAt: now, CreatedAt: now.Add(-time.Hour)},
			}},
			{ID: 2, Path: "acme/off", MergeRequestsDisabled: true},
		}}
	}
	tests := []struct {
		name       string
		opts       fakegitlab.Options
		query      string
		wantStatus int
		wantIIDs   []int64
		wantNext   string
	}{
		{"default: created_at desc", fakegitlab.Options{}, "state=merged&target_branch=main", 200, []int64{1, 3, 2}, ""},
		{"merged_at desc", fakegitlab.Options{}, "state=merged&target_branch=main&order_by=merged_at&sort=desc", 200, []int64{2, 1, 3}, ""},
		{"merged_at asc", fakegitlab.Options{}, "state=merged&target_branch=main&order_by=merged_at&sort=asc", 200, []int64{3, 1, 2}, ""},
		{"updated_at desc, every branch", fakegitlab.Options{}, "state=merged&order_by=updated_at", 200, []int64{4, 2, 1, 3}, ""},
		{"title asc", fakegitlab.Options{}, "order_by=title&sort=asc", 200, []int64{2, 1, 3, 4}, ""},
		{"a page of one", fakegitlab.Options{}, "state=merged&target_branch=main&order_by=merged_at&per_page=1", 200, []int64{2}, "2"},
		{"the second page", fakegitlab.Options{}, "state=merged&target_branch=main&order_by=merged_at&per_page=1&page=2", 200, []int64{1}, "3"},
		{"opened only: none", fakegitlab.Options{}, "state=opened", 200, []int64{}, ""},
		{"merged_at before GitLab 17.2", fakegitlab.Options{NoMergedAtOrder: true}, "order_by=merged_at", 400, nil, ""},
		{"an unknown order", fakegitlab.Options{}, "order_by=size", 400, nil, ""},
		{"an unknown sort", fakegitlab.Options{}, "sort=up", 400, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ts, _ := mustStart(t, org(), tt.opts)
			resp, body := mustGet(t, ts.URL+"/api/v4/projects/1/merge_requests?"+tt.query)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status: got %d, want %d: %s", resp.StatusCode, tt.wantStatus, body)
			}
			if tt.wantStatus != http.StatusOK {
				return
			}
			var mrs []struct {
				IID int64 `json:"iid"`
			}
			if err := json.Unmarshal(body, &mrs); err != nil {
				t.Fatal(err)
			}
			got := []int64{}
			for _, mr := range mrs {
				got = append(got, mr.IID)
			}
			if !slices.Equal(got, tt.wantIIDs) {
				t.Errorf("iids: got %v, want %v", got, tt.wantIIDs)
			}
			if next := resp.Header.Get("X-Next-Page"); next != tt.wantNext {
				t.Errorf("X-Next-Page: got %q, want %q", next, tt.wantNext)
			}
		})
	}
	t.Run("merge requests disabled: 403", func(t *testing.T) {
		_, ts, _ := mustStart(t, org(), fakegitlab.Options{})
		resp, body := mustGet(t, ts.URL+"/api/v4/projects/2/merge_requests?state=merged")
		if resp.StatusCode != http.StatusForbidden || string(body) != `{"message":"403 Forbidden"}`+"\n" && string(body) != `{"message":"403 Forbidden"}` {
			t.Errorf("got %d %s, want 403 {\"message\":\"403 Forbidden\"}", resp.StatusCode, body)
		}
	})
	t.Run("seeded merge requests are read back, by iid and through MergeRequests", func(t *testing.T) {
		s, ts, _ := mustStart(t, org(), fakegitlab.Options{})
		resp, body := mustGet(t, ts.URL+"/api/v4/projects/1/merge_requests/4")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET !4: %d %s", resp.StatusCode, body)
		}
		mrs := s.MergeRequests(1)
		if len(mrs) != 4 || mrs[3].State != "merged" || mrs[3].TargetBranch != "dev" {
			t.Errorf("MergeRequests: got %+v, want the 4 seeded, !4 merged into dev", mrs)
		}
	})
}
