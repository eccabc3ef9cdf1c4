package gitlab_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/switchboard-dev/switchboard/gitlab"
	"github.com/switchboard-dev/switchboard/gitlab/fakegitlab"
)

// TestJobArtifact reads one file of a job's artifacts through the real
// client and the fake's endpoint: the file when the job and file exist on
// the ref, ErrNotFound when any of them does not, ErrFileTooLarge over
// the limit, and the server's failure (after the retries) otherwise.
func TestJobArtifact(t *testing.T) {
	bom := []byte(`{"bomFormat": "CycloneDX"}`)
	big := bytes.Repeat([]byte("x"), 2048)
	org := &fakegitlab.Org{Projects: []*fakegitlab.Project{{
		ID: 7, Path: "acme/data/metrics", DefaultBranch: "main",
		Files: map[string][]byte{"README.md": []byte("# metrics\n")},
		JobArtifacts: []fakegitlab.JobArtifact{
			{Job: "sbom", Path: "build/reports/bom.json", Content: bom},
			{Job: "sbom", Path: "build/reports/big.json", Content: big},
			{Job: "broken", Path: "bom.json", Content: bom, FailStatus: http.StatusInternalServerError},
			{Ref: "release", Job: "sbom", Path: "build/reports/bom.json", Content: []byte("release")},
		},
	}}}
	fake, url := mustFake(t, org, fakegitlab.Options{})
	c := mustClient(t, url, func(cfg *gitlab.Config) { cfg.MaxFileSize = 1024; cfg.RetryMax = 2 })
	tests := []struct {
		name           string
		project        int64
		ref, job, path string
		want           []byte
		err            error
		status         string
	}{
		{"present", 7, "main", "sbom", "build/reports/bom.json", bom, nil, ""},
		{"another ref", 7, "release", "sbom", "build/reports/bom.json", []byte("release"), nil, ""},
		{"no such file", 7, "main", "sbom", "build/reports/bom.xml", nil, gitlab.ErrNotFound, ""},
		{"no such job", 7, "main", "cyclonedx", "build/reports/bom.json", nil, gitlab.ErrNotFound, ""},
		{"no such ref", 7, "develop", "sbom", "build/reports/bom.json", nil, gitlab.ErrNotFound, ""},
		{"no such project", 8, "main", "sbom", "build/reports/bom.json", nil, gitlab.ErrNotFound, ""},
		{"over the size limit", 7, "main", "sbom", "build/reports/big.json", nil, gitlab.ErrFileTooLarge, ""},
		{"server error", 7, "main", "broken", "bom.json", nil, nil, "500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.JobArtifact(context.Background(), tt.project, tt.ref, tt.job, tt.path)
			switch {
			case tt.status != "":
				if err == nil || errors.Is(err, gitlab.ErrNotFound) || !strings.Contains(err.Error(), tt.status) {
					t.Fatalf("got %q, %v; want a %s error", got, err, tt.status)
				}
			case tt.err != nil:
				if !errors.Is(err, tt.err) || got != nil {
					t.Fatalf("got %q, %v; want %v", got, err, tt.err)
				}
			case err != nil || !bytes.Equal(got, tt.want):
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	// The fake counts the requests of the route: the 500 was retried.
	if n := fake.Stats().ByRoute["GET /api/v4/projects/{id}/jobs/artifacts/{ref}/raw/{path...}"]; n != int64(len(tests)+2) {
		t.Errorf("artifact requests: got %d, want %d (each once, the failing one thrice)", n, len(tests)+2)
	}
	if _, err := c.JobArtifact(context.Background(), 7, "main", "", "bom.json"); err == nil {
		t.Error("no job named: got no error")
	}
}
