package sampleorg_test

import (
	"strings"
	"testing"

	"github.com/switchboard-dev/switchboard/depfile"
	"github.com/switchboard-dev/switchboard/manifest"
	"github.com/switchboard-dev/switchboard/sampleorg"
	"github.com/switchboard-dev/switchboard/standards"
)

// TestSBOMRepo: the SBOM-only Gradle repo is what it claims to be: a
// valid descriptor, a build script that names log4j-core nowhere and no
// version of what it declares, and an SBOM, chosen as the folder's graph,
// in which log4j-core 2.14.1 is transitive.
func TestSBOMRepo(t *testing.T) {
	path, files, archived := sampleorg.SBOMRepo()
	if path != sampleorg.SBOMRepoPath || archived {
		t.Fatalf("got %s archived %v", path, archived)
	}
	d := manifest.Parse("catalog-info.yaml", files["catalog-info.yaml"], standards.Default().Rules())
	if d.HasErrors() || len(d.Entities) != 1 {
		t.Fatalf("descriptor: %+v", d.Findings)
	}
	var tree []string
	for p := range files {
		tree = append(tree, p)
	}
	var read []depfile.File
	for _, p := range depfile.SelectGraph(tree) {
		read = append(read, depfile.File{Path: p, Data: files[p]})
	}
	for _, r := range depfile.ParseDir(read) {
		if r.File == "build.gradle" {
			t.Fatalf("build.gradle read on its own: %+v", r)
		}
	}
	script := depfile.ParseFile("build.gradle", files["build.gradle"])
	for _, d := range script.Deps {
		if d.Name == "org.apache.logging.log4j:log4j-core" || d.Version != "" && !strings.Contains(d.Version, "${") {
			t.Errorf("build.gradle resolves %s %q statically: the repo is meant to need its SBOM", d.Name, d.Version)
		}
	}
	rs := depfile.ParseDir(read)
	if len(rs) != 1 || rs[0].File != "bom.json" || rs[0].Err != nil {
		t.Fatalf("got %+v, want bom.json as the repo's graph", rs)
	}
	found := false
	for _, d := range rs[0].Deps {
		if d.Name == "org.apache.logging.log4j:log4j-core" {
			found = d.Version == "2.14.1" && !d.Direct && len(d.Via) == 2
		}
	}
	if !found {
		t.Error("log4j-core 2.14.1 not found transitive in bom.json")
	}
}
