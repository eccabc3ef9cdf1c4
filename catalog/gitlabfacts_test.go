package catalog_test

import (
	"context"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/internal/catalogtest"
	"github.com/switchboard-dev/switchboard/scorecard"
)

// TestGitLabFactsScored stores repos' GitLab facts as a sync reads them
// and checks last_merge_age and default_branch_protected, known and
// unknown with the reason.
func TestGitLabFactsScored(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	day := 24 * time.Hour

	facts := map[string]*catalog.GitLabFacts{
		"recent": {LastMerge: &catalog.LastMerge{At: now.Add(-10 * day), IID: 42, Author: "ada", URL: "https://gitlab/acme/recent/-/merge_requests/42"}, Protected: true},
		"never":  {Protected: false},
		"denied": {MergeError: "the GitLab token may not read the project's merge requests (403)", ProtectionError: "the GitLab token may not read the project's default branch's protection (403)"},
		"unread": nil,
	}
	ids := map[string]int64{"recent": 1, "never": 2, "denied": 3, "unread": 4}
	for name, f := range facts {
		snap := snapshot(ids[name], "acme/"+name, catalog.DescriptorOK, component(name, "group:payments"))
		snap.GitLab = f
		mustApply(t, s, snap)
	}
	// A second repo of "recent" (a service may live in several): never
	// merged, its protection unknown.
	other := snapshot(5, "acme/recent-tools", catalog.DescriptorMissing)
	other.GitLab = &catalog.GitLabFacts{ProtectionError: "GitLab did not find the project's default branch's protection (404)"}
	mustApply(t, s, other)
	if _, err := s.Pool().Exec(ctx, `INSERT INTO service_repos (service_id, repo_id) SELECT $1, id FROM repos WHERE gitlab_id = 5`, serviceID(t, s, "recent")); err != nil {
		t.Fatal(err)
	}

	card := testCard(t,
		scorecard.Check{ID: "merged", Level: "gold", Fact: "last_merge_age", Op: scorecard.OpLe, Value: scorecard.Duration(90 * day)},
		scorecard.Check{ID: "protected", Level: "gold", Fact: "default_branch_protected"},
	)
	vals, err := scoreFacts(ctx, s, card, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		service, fact, want string
	}{
		{"recent", "last_merge_age", "10d"},
		{"recent", "default_branch_protected", "unknown (acme/recent-tools: GitLab did not find the project's default branch's protection (404))"},
		{"never", "last_merge_age", scorecard.FormatDuration(catalog.NeverMerged)},
		{"never", "default_branch_protected", "false"},
		{"denied", "last_merge_age", "unknown (the GitLab token may not read the project's merge requests (403))"},
		{"denied", "default_branch_protected", "unknown (the GitLab token may not read the project's default branch's protection (403))"},
		{"unread", "last_merge_age", "unknown (the repo's merges have not been read from GitLab yet: its next sync reads them)"},
		{"unread", "default_branch_protected", "unknown (the repo's default branch protection has not been read from GitLab yet: its next sync reads it)"},
	}
	for _, tc := range tests {
		if got := vals[serviceID(t, s, tc.service)][tc.fact].String(); got != tc.want {
			t.Errorf("%s %s: got %s, want %s", tc.service, tc.fact, got, tc.want)
		}
	}

	// Stored as read, with the merge request's number, author and page.
	got, err := catalogtest.GitLabFacts(ctx, s, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got.LastMerge == nil || !got.LastMerge.At.Equal(now.Add(-10*day)) || got.LastMerge.IID != 42 || got.LastMerge.Author != "ada" ||
		got.LastMerge.URL != "https://gitlab/acme/recent/-/merge_requests/42" || got.MergeReadAt.IsZero() || got.MergeError != "" ||
		got.Protected == nil || !*got.Protected || got.ProtectionError != "" {
		t.Errorf("stored facts of acme/recent: got %+v (merge %+v)", got, got.LastMerge)
	}

	// A later read that fails makes the fact unknown; one that succeeds
	// makes it known again. A snapshot without GitLab facts keeps them.
	steps := []struct {
		name     string
		facts    *catalog.GitLabFacts
		wantAge  string
		wantProt string
	}{
		{"a failed read", &catalog.GitLabFacts{MergeError: "GitLab did not tell the project's merge requests: 502", Protected: true},
			"unknown (GitLab did not tell the project's merge requests: 502)", "true"},
		{"not read", nil, "unknown (GitLab did not tell the project's merge requests: 502)", "true"},
		{"read again", &catalog.GitLabFacts{LastMerge: &catalog.LastMerge{At: now.Add(-2 * day), IID: 43}, Protected: false}, "2d", "false"},
	}
	for _, st := range steps {
		snap := snapshot(2, "acme/never", catalog.DescriptorOK, component("never", "group:payments"))
		snap.GitLab = st.facts
		mustApply(t, s, snap)
		id := serviceID(t, s, "never")
		vals, err := scoreFacts(ctx, s, card, []int64{id})
		if err != nil {
			t.Fatal(err)
		}
		if g := vals[id]["last_merge_age"].String(); g != st.wantAge {
			t.Errorf("%s: last_merge_age %s, want %s", st.name, g, st.wantAge)
		}
		if g := vals[id]["default_branch_protected"].String(); g != st.wantProt {
			t.Errorf("%s: default_branch_protected %s, want %s", st.name, g, st.wantProt)
		}
	}
}

func TestMergeAgeRounding(t *testing.T) {
	day := 24 * time.Hour
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		age  time.Duration
		want string
	}{
		{90 * day, "90d"},
		{90*day + time.Second, "91d"}, // past 90 days: "le 90d" fails
		{89*day + time.Hour, "90d"},
		{day, "1d"},
		{3*time.Hour + 10*time.Second, "3h1m0s"},
		{-time.Hour, "0s"}, // a clock a little ahead of GitLab's
	}
	for _, tt := range tests {
		at := now.Add(-tt.age)
		s := newStore(t)
		s.Now = func() time.Time { return now }
		snap := snapshot(1, "acme/a", catalog.DescriptorOK, component("a", "group:payments"))
		snap.GitLab = &catalog.GitLabFacts{LastMerge: &catalog.LastMerge{At: at}}
		mustApply(t, s, snap)
		card := testCard(t, scorecard.Check{ID: "merged", Level: "gold", Fact: "last_merge_age", Op: scorecard.OpLe, Value: scorecard.Duration(90 * day)})
		vals, err := scoreFacts(context.Background(), s, card, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := vals[serviceID(t, s, "a")]["last_merge_age"].String(); got != tt.want {
			t.Errorf("merged %v ago: got %s, want %s", tt.age, got, tt.want)
		}
	}
}
