package sampleorg

import (
	"bytes"
	"io/fs"
	"testing"
	"testing/fstest"
	"time"
)

// TestFixtureRepos checks that every repo built from testdata carries the
// dependency files its case is about, at their names in the repo.
func TestFixtureRepos(t *testing.T) {
	projects := map[string]map[string][]byte{}
	for _, p := range GitLabOrg(time.Now()).Projects {
		projects[p.Path] = p.Files
	}
	tests := []struct {
		repo  string
		files []string
	}{
		{"acme/platform/java-parent", []string{"pom.xml", "catalog-info.yaml"}},
		{"acme/backoffice/invoice-service", []string{"pom.xml", "catalog-info.yaml"}},
		{"acme/identity/audit-trail", []string{"pom.xml"}},
		{"acme/mobile/notification-center", []string{"package.json", "package-lock.json"}},
		{"acme/backoffice/partner-api", []string{"package.json", "yarn.lock"}},
		{"acme/storefront/label-printer", []string{"package.json", "pnpm-lock.yaml"}},
		{"acme/search/synonyms-editor", []string{"package.json", "yarn.lock"}},
		{"acme/platform/registry-janitor", []string{"pyproject.toml", "poetry.lock"}},
		{"acme/platform/edge-certs", []string{"go.mod", "go.sum", "main.go"}},
	}
	for _, tt := range tests {
		t.Run(tt.repo, func(t *testing.T) {
			files, ok := projects[tt.repo]
			if !ok {
				t.Fatalf("GitLabOrg has no repo %s", tt.repo)
			}
			for _, f := range tt.files {
				if len(files[f]) == 0 {
					t.Errorf("%s has no %s", tt.repo, f)
				}
			}
			if _, ok := files["go.mod.txt"]; ok {
				t.Errorf("%s: go.mod.txt kept under its testdata name", tt.repo)
			}
		})
	}
}

// TestMavenRepoPublishesTheRepoPOM checks that the Maven repository serves
// the parent POM with the very bytes its repo holds, and still serves the
// base repository's files.
func TestMavenRepoPublishesTheRepoPOM(t *testing.T) {
	base := fstest.MapFS{"org/example/a/1/a-1.pom": {Data: []byte("<project/>")}}
	repo := MavenRepo(base)
	var parent []byte
	for _, p := range GitLabOrg(time.Now()).Projects {
		if p.Path == "acme/platform/java-parent" {
			parent = p.Files["pom.xml"]
		}
	}
	tests := []struct {
		path string
		want []byte
	}{
		{"example/acme/java-parent/3.2.0/java-parent-3.2.0.pom", parent},
		{"org/example/a/1/a-1.pom", []byte("<project/>")},
	}
	for _, tt := range tests {
		got, err := fs.ReadFile(repo, tt.path)
		if err != nil {
			t.Errorf("%s: %v", tt.path, err)
			continue
		}
		if len(tt.want) == 0 || !bytes.Equal(got, tt.want) {
			t.Errorf("%s: got %d bytes, want the %d of the repo's file", tt.path, len(got), len(tt.want))
		}
	}
	if _, err := fs.ReadFile(repo, "example/acme/java-parent/9.9.9/java-parent-9.9.9.pom"); err == nil {
		t.Error("a version nobody published is served")
	}
}
