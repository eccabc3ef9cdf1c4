package sampleorg

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// fixtures are the dependency files of the sample repos marked fixture,
// under testdata/<repo path>/, written by the real package managers (npm,
// yarn, pnpm, go mod tidy) or checked by them (Maven, Poetry): see
// testdata/SOURCES.md. Embedded, so the demo binary carries them.
//
//go:embed testdata/acme
var fixtures embed.FS

// fixtureRoot is where the repos' folders are in fixtures.
const fixtureRoot = "testdata"

// fixtureNames maps a file name kept in testdata to the name the repo has:
// a go.mod cannot be embedded (the go command takes its folder for
// another module).
var fixtureNames = map[string]string{"go.mod.txt": "go.mod"}

// addFixture adds the files of testdata/<repoPath> to files, at their path
// in the repo.
func addFixture(files map[string][]byte, repoPath string) error {
	root := path.Join(fixtureRoot, repoPath)
	n := 0
	err := fs.WalkDir(fixtures, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fixtures.ReadFile(p)
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(p, root+"/")
		dir, name := path.Split(rel)
		if to, ok := fixtureNames[name]; ok {
			rel = dir + to
		}
		files[rel] = data
		n++
		return nil
	})
	if err != nil {
		return fmt.Errorf("sample repo %s: %w", repoPath, err)
	}
	if n == 0 {
		return fmt.Errorf("sample repo %s: no files in %s", repoPath, root)
	}
	return nil
}

// published are the POMs the sample organisation's repos publish to its
// Maven repository: repository path -> the file in fixtures. The demo's
// Maven repository serves the very bytes the repo holds, so the two cannot
// drift.
var published = map[string]string{
	"example/acme/java-parent/3.2.0/java-parent-3.2.0.pom": "testdata/acme/platform/java-parent/pom.xml",
}

// MavenRepo returns base, a Maven repository in the repository layout (the
// public artifacts the demo serves), with the POMs the sample
// organisation publishes from its own repos laid over it: the parent POM
// of acme/platform/java-parent, which invoice-service inherits its log4j
// version from without having it in its repo.
func MavenRepo(base fs.FS) fs.FS { return overlay{base: base} }

// overlay is base with published laid over it.
type overlay struct{ base fs.FS }

// Open implements fs.FS.
func (o overlay) Open(name string) (fs.File, error) {
	if p, ok := published[name]; ok {
		return fixtures.Open(p)
	}
	return o.base.Open(name)
}
