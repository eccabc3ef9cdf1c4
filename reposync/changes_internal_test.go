package reposync

import (
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/gitlab"
)

// TestDeploymentChange: only a finished deployment with an id and a time
// is a change; one without a time made RecordChanges refuse the whole
// batch it came in, and the backfill stayed partial at every sync.
func TestDeploymentChange(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		d    gitlab.Deployment
		ok   bool
	}{
		{"success", gitlab.Deployment{ID: 1, Status: "success", UpdatedAt: at}, true},
		{"failed", gitlab.Deployment{ID: 1, Status: "failed", UpdatedAt: at}, true},
		{"running", gitlab.Deployment{ID: 1, Status: "running", UpdatedAt: at}, false},
		{"no id", gitlab.Deployment{Status: "success", UpdatedAt: at}, false},
		{"no time", gitlab.Deployment{ID: 1, Status: "success"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, ok := deploymentChange(7, "https://gitlab/p", tc.d, "sync")
			if ok != tc.ok {
				t.Fatalf("ok %v, want %v (%+v)", ok, tc.ok, c)
			}
			if ok && (c.At.IsZero() || c.Ref != "1" || c.ProjectID != 7) {
				t.Errorf("change %+v", c)
			}
		})
	}
}
