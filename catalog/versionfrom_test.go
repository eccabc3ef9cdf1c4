package catalog_test

import (
	"context"
	"testing"

	"github.com/switchboard-dev/switchboard/catalog"
)

// TestApplyVersionFrom: the parent or BOM outside the repo that sets a
// Maven dependency's version is stored with it (dependencies.version_from)
// and replaced with the file's dependencies.
func TestApplyVersionFrom(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	versionFrom := func(t *testing.T) map[string]string {
		t.Helper()
		rs, err := s.Pool().Query(ctx, `SELECT name, file, line, version_from FROM dependencies WHERE repo_id = (SELECT id FROM repos WHERE gitlab_id = 1)`)
		if err != nil {
			t.Fatal(err)
		}
		defer rs.Close()
		out := map[string]string{}
		for rs.Next() {
			var name, file, from string
			var line int
			if err := rs.Scan(&name, &file, &line, &from); err != nil {
				t.Fatal(err)
			}
			out[name] = from
		}
		if err := rs.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	tests := []struct {
		name string
		deps []catalog.Dependency
		want map[string]string
	}{
		{
			name: "parent outside the repo, BOM import, the repo's own",
			deps: []catalog.Dependency{
				{Ecosystem: "maven", Name: "org.apache.logging.log4j:log4j-core", Version: "2.14.1", File: "pom.xml", Line: 14, Direct: true,
					VersionFrom: "example.acme:java-parent:3.2.0"},
				{Ecosystem: "maven", Name: "org.apache.logging.log4j:log4j-api", Version: "2.14.1", File: "pom.xml", Line: 9,
					Via: []string{"org.apache.logging.log4j:log4j-core@2.14.1"}, VersionFrom: "org.apache.logging.log4j:log4j-bom:2.14.1"},
				{Ecosystem: "maven", Name: "com.fasterxml.jackson.core:jackson-databind", Version: "2.15.2", File: "pom.xml", Line: 18, Direct: true},
			},
			want: map[string]string{
				"org.apache.logging.log4j:log4j-core":         "example.acme:java-parent:3.2.0",
				"org.apache.logging.log4j:log4j-api":          "org.apache.logging.log4j:log4j-bom:2.14.1",
				"com.fasterxml.jackson.core:jackson-databind": "",
			},
		},
		{
			name: "the repo now overrides the version",
			deps: []catalog.Dependency{
				{Ecosystem: "maven", Name: "org.apache.logging.log4j:log4j-core", Version: "2.17.1", File: "pom.xml", Line: 14, Direct: true},
			},
			want: map[string]string{"org.apache.logging.log4j:log4j-core": ""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap := snapshot(1, "acme/backoffice/invoice-service", catalog.DescriptorMissing)
			snap.Dependencies = tt.deps
			mustApply(t, s, snap)
			got := versionFrom(t)
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for name, want := range tt.want {
				if g, ok := got[name]; !ok || g != want {
					t.Errorf("%s: version_from %q (stored %v), want %q", name, g, ok, want)
				}
			}
		})
	}
}
