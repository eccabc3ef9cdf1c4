package gitlab_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/gitlab"
	"github.com/switchboard-dev/switchboard/gitlab/fakegitlab"
)

// TestHistoryListings reads merged merge requests, deployments and push
// events page by page (two a page) through the real client against the
// fake's GitLab shapes, since a time.
func TestHistoryListings(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	ada := fakegitlab.Member{ID: 7, Username: "ada", Name: "Ada Lovelace"}
	p := &fakegitlab.Project{ID: 1, Path: "acme/history"}
	for i := range 5 {
		at := now.Add(-time.Duration(10-i) * 24 * time.Hour)
		p.MergedMergeRequests = append(p.MergedMergeRequests, fakegitlab.MergedMergeRequest{Title: "mr " + string(rune('a'+i)), Author: ada, MergedAt: at})
		p.Deployments = append(p.Deployments, fakegitlab.Deployment{Environment: []string{"production", "staging"}[i%2], User: ada, At: at.Add(time.Hour), Title: "deploy " + string(rune('a'+i))})
		p.DirectPushes = append(p.DirectPushes, fakegitlab.DirectPush{Title: "push " + string(rune('a'+i)), Author: ada, At: at.Add(2 * time.Hour), Commits: i + 1})
	}
	p.MergedMergeRequests = append(p.MergedMergeRequests, fakegitlab.MergedMergeRequest{Title: "into release", TargetBranch: "release/1", Author: ada, MergedAt: now})
	_, url := mustFake(t, &fakegitlab.Org{Projects: []*fakegitlab.Project{p, {ID: 2, Path: "acme/mrs-off", MergeRequestsDisabled: true}}}, fakegitlab.Options{MaxPerPage: 2})
	c := mustClient(t, url, func(c *gitlab.Config) { c.PerPage = 2 })
	ctx := context.Background()
	since := now.Add(-8*24*time.Hour - time.Minute)

	var merges []gitlab.MergedMR
	if err := c.MergedSince(ctx, 1, "main", since, func(m gitlab.MergedMR) error { merges = append(merges, m); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(merges) != 3 || merges[0].Title != "mr c" || merges[2].Title != "mr e" || merges[0].MergedBy != "ada" || merges[0].MergeCommit == "" ||
		!strings.Contains(merges[0].WebURL, "/acme/history/-/merge_requests/3") {
		t.Errorf("merges since: %+v", merges)
	}
	var deps []gitlab.Deployment
	if err := c.DeploymentsSince(ctx, 1, since, func(d gitlab.Deployment) error { deps = append(deps, d); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(deps) != 3 || deps[0].Title != "deploy c" || deps[0].Environment != "production" || deps[1].Environment != "staging" ||
		deps[0].Status != "success" || deps[0].User != "ada" || deps[0].JobID == 0 || deps[0].UpdatedAt.IsZero() {
		t.Errorf("deployments since: %+v", deps)
	}
	var pushes []gitlab.PushEvent
	if err := c.PushesSince(ctx, 1, since, func(e gitlab.PushEvent) error { pushes = append(pushes, e); return nil }); err != nil {
		t.Fatal(err)
	}
	// Three direct pushes, the three merges' own pushes since and the
	// release branch's merge (the caller keeps the default branch's), the
	// newest first; none before since (the day before is asked, and
	// filtered).
	direct := 0
	for _, e := range pushes {
		if e.At.Before(since) {
			t.Errorf("push before since: %+v", e)
		}
		if strings.HasPrefix(e.Title, "push ") {
			direct++
			if e.Author != "ada" || e.Ref != "main" || e.Head == "" {
				t.Errorf("push: %+v", e)
			}
		}
	}
	if direct != 3 || len(pushes) != 7 || pushes[0].Ref != "release/1" || pushes[1].Title != "push e" || pushes[1].CommitCount != 5 {
		t.Errorf("pushes since: %d direct of %d: %+v", direct, len(pushes), pushes)
	}
	if err := c.MergedSince(ctx, 2, "main", since, func(gitlab.MergedMR) error { return nil }); !errors.Is(err, gitlab.ErrForbidden) {
		t.Errorf("merge requests disabled: %v", err)
	}
	if err := c.DeploymentsSince(ctx, 99, since, func(gitlab.Deployment) error { return nil }); !errors.Is(err, gitlab.ErrNotFound) {
		t.Errorf("no such project: %v", err)
	}
}

func TestParseTime(t *testing.T) {
	want := time.Date(2021, 4, 28, 19, 50, 0, 0, time.UTC)
	for _, s := range []string{"2021-04-28T19:50:00Z", "2021-04-28 21:50:00 +0200", "2021-04-28 19:50:00 UTC", "2021-04-28T19:50:00.000Z"} {
		got, err := gitlab.ParseTime(s)
		if err != nil || !got.Equal(want) {
			t.Errorf("%q: %v, %v", s, got, err)
		}
	}
	if _, err := gitlab.ParseTime("yesterday"); err == nil {
		t.Error("yesterday parsed")
	}
}
