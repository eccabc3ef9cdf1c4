package fakegitlab_test

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	gl "gitlab.com/gitlab-org/api/client-go"

	"github.com/switchboard-dev/switchboard/gitlab/fakegitlab"
)

// TestProtectedBranches reads protected-branch rules and branches'
// protection through client-go: the rule list, one rule, 404 for a
// branch a wildcard covers (GitLab looks rules up by name), 403 for a
// token refused, and the branch's own "protected".
func TestProtectedBranches(t *testing.T) {
	org := &fakegitlab.Org{Projects: []*fakegitlab.Project{
		{ID: 1, Path: "acme/a", ProtectedBranches: []string{"release/*"}, Files: map[string][]byte{"a": []byte("a")}},
		{ID: 2, Path: "acme/b", DefaultBranchUnprotected: true},
	}}
	s, _, c := mustStart(t, org, fakegitlab.Options{})

	rules, _, err := c.ProtectedBranches.ListProtectedBranches(1, &gl.ListProtectedBranchesOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range rules {
		names = append(names, r.Name)
		if len(r.PushAccessLevels) != 1 || r.PushAccessLevels[0].AccessLevel != gl.MaintainerPermissions || r.MergeAccessLevels[0].AccessLevelDescription != "Maintainers" {
			t.Errorf("rule %s: push %+v merge %+v, want Maintainers", r.Name, r.PushAccessLevels, r.MergeAccessLevels)
		}
	}
	if !slices.Equal(names, []string{"main", "release/*"}) {
		t.Errorf("rules: got %v, want [main release/*]", names)
	}
	if rules, _, err := c.ProtectedBranches.ListProtectedBranches(2, &gl.ListProtectedBranchesOptions{}); err != nil || len(rules) != 0 {
		t.Errorf("unprotected project: rules %v, %v; want none", rules, err)
	}

	tests := []struct {
		name       string
		project    int64
		rule       string
		wantStatus int
	}{
		{"the default branch's rule", 1, "main", 200},
		{"a wildcard rule by its name", 1, "release/*", 200},
		{"a branch a wildcard covers is not a rule", 1, "release/1.x", 404},
		{"no rule", 2, "main", 404},
		{"no project", 9, "main", 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, resp, err := c.ProtectedBranches.GetProtectedBranch(tt.project, tt.rule)
			if resp == nil || resp.StatusCode != tt.wantStatus {
				t.Fatalf("status: got %v (%v), want %d", resp, err, tt.wantStatus)
			}
			if tt.wantStatus == 200 && r.Name != tt.rule {
				t.Errorf("rule: got %q, want %q", r.Name, tt.rule)
			}
			if tt.wantStatus == 404 && !errors.Is(err, gl.ErrNotFound) {
				t.Errorf("error: got %v, want gl.ErrNotFound", err)
			}
		})
	}

	// A branch's "protected" says whether any rule covers it.
	for _, tc := range []struct {
		project int64
		branch  string
		want    bool
	}{{1, "main", true}, {2, "main", false}} {
		b, _, err := c.Branches.GetBranch(tc.project, tc.branch)
		if err != nil || b.Protected != tc.want {
			t.Errorf("branch %s of %d: protected %v (%v), want %v", tc.branch, tc.project, b != nil && b.Protected, err, tc.want)
		}
	}

	undo := s.Refuse(http.StatusForbidden, func(r *http.Request) bool { return strings.Contains(r.URL.Path, "/protected_branches") })
	_, resp, err := c.ProtectedBranches.GetProtectedBranch(1, "main")
	if resp == nil || resp.StatusCode != http.StatusForbidden || err == nil || !strings.Contains(err.Error(), "403 Forbidden") {
		t.Errorf("refused: got %v, %v; want 403 {\"message\":\"403 Forbidden\"}", resp, err)
	}
	undo()
	if _, _, err := c.ProtectedBranches.GetProtectedBranch(1, "main"); err != nil {
		t.Errorf("after undo: %v, want the rule", err)
	}
}
