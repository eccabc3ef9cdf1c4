package fakegitlab_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/switchboard-dev/switchboard/gitlab/fakegitlab"
)

// TestJobArtifactRaw: the artifact endpoint over HTTP, as GitLab answers
// it: the file, 404 for no such job, file or ref, 400 without a job, the
// injected failure, and SetJobArtifact's change seen at once.
func TestJobArtifactRaw(t *testing.T) {
	s := fakegitlab.New(&fakegitlab.Org{Projects: []*fakegitlab.Project{{
		ID: 3, Path: "acme/x", Files: map[string][]byte{"a": []byte("a")},
		JobArtifacts: []fakegitlab.JobArtifact{{Job: "sbom", Path: "out/bom.json", Content: []byte("{}")}},
	}}}, fakegitlab.Options{})
	ts := httptest.NewServer(s)
	defer ts.Close()
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(ts.URL + "/api/v4/projects/" + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, strings.TrimSpace(string(b))
	}
	tests := []struct {
		name, path string
		status     int
		body       string
	}{
		{"by id", "3/jobs/artifacts/main/raw/out/bom.json?job=sbom", 200, "{}"},
		{"by path", "acme%2Fx/jobs/artifacts/main/raw/out/bom.json?job=sbom", 200, "{}"},
		{"no such file", "3/jobs/artifacts/main/raw/out/bom.xml?job=sbom", 404, `{"message":"404 Not Found"}`},
		{"no such job", "3/jobs/artifacts/main/raw/out/bom.json?job=build", 404, `{"message":"404 Not Found"}`},
		{"no such ref", "3/jobs/artifacts/dev/raw/out/bom.json?job=sbom", 404, `{"message":"404 Not Found"}`},
		{"no job", "3/jobs/artifacts/main/raw/out/bom.json", 400, `{"message":"job is missing"}`},
	}
	for _, tt := range tests {
		if status, body := get(tt.path); status != tt.status || body != tt.body {
			t.Errorf("%s: got %d %s, want %d %s", tt.name, status, body, tt.status, tt.body)
		}
	}
	s.SetJobArtifact(3, fakegitlab.JobArtifact{Job: "sbom", Path: "out/bom.json", FailStatus: 503})
	if status, _ := get("3/jobs/artifacts/main/raw/out/bom.json?job=sbom"); status != 503 {
		t.Errorf("failing: got %d, want 503", status)
	}
	s.SetJobArtifact(3, fakegitlab.JobArtifact{Job: "sbom", Path: "out/bom.json", Content: []byte("[]")})
	if status, body := get("3/jobs/artifacts/main/raw/out/bom.json?job=sbom"); status != 200 || body != "[]" {
		t.Errorf("replaced: got %d %s, want 200 []", status, body)
	}
	s.RemoveJobArtifacts(3)
	if status, _ := get("3/jobs/artifacts/main/raw/out/bom.json?job=sbom"); status != 404 {
		t.Errorf("removed: got %d, want 404", status)
	}
}
