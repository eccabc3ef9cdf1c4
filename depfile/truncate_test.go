package depfile_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/depfile"
)

// TestTruncatedLockfiles cuts every real lockfile of testdata/ short, at
// every tenth of its length and at the line boundary before, and wants
// each cut rejected with a positioned *Error: JSON and YAML end
// unterminated, a requirement loses its entry, or the section a format
// writes last (poetry's [metadata], Gemfile.lock's DEPENDENCIES,
// gradle.lockfile's "empty=", pnpm 9's snapshots) is missing. Some cuts
// remain undetectable in principle (go.mod, or a Gemfile.lock cut inside
// its DEPENDENCIES, at a line boundary); none in this corpus is.
func TestTruncatedLockfiles(t *testing.T) {
	lockfiles := map[string]bool{
		"package-lock.json": true, "yarn.lock": true, "pnpm-lock.yaml": true, "poetry.lock": true,
		"Pipfile.lock": true, "uv.lock": true, "Cargo.lock": true, "Gemfile.lock": true,
		"composer.lock": true, "gradle.lockfile": true, "packages.lock.json": true,
		"bom.json": true, "bom.xml": true, "npm-sbom.spdx.json": true, "npm-sbom.cdx.json": true,
	}
	err := filepath.WalkDir("testdata", func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !lockfiles[d.Name()] {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("testdata", p)
		for tenth := 1; tenth <= 9; tenth++ {
			cut := len(data) * tenth / 10
			cuts := []int{cut}
			for b := cut - 1; b > 0; b-- {
				if data[b] == '\n' {
					cuts = append(cuts, b+1)
					break
				}
			}
			for _, c := range cuts {
				r := depfile.ParseFile(rel, data[:c])
				if r.Err != nil {
					var perr *depfile.Error
					if !errors.As(r.Err, &perr) || perr.Line == 0 {
						t.Errorf("%s cut at %d: got error %v, want a positioned *depfile.Error", rel, c, r.Err)
					}
					continue
				}
				t.Errorf("%s cut at %d: got %d dependencies and no error, want the cut detected", rel, c, len(r.Deps))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestGraphHostileInput feeds each graph builder a chain of many
// thousands of packages, each requiring the next, and wants it read
// quickly with every Via bounded by MaxVia (a quadratic answer would be
// gigabytes).
func TestGraphHostileInput(t *testing.T) {
	const n = 20000
	chain := func(format func(i int) string) string {
		var b strings.Builder
		for i := range n {
			b.WriteString(format(i))
		}
		return b.String()
	}
	tests := []struct {
		name, path, data string
	}{
		{"Cargo.lock chain", "Cargo.lock", "[[package]]\nname = \"me\"\nversion = \"0.1.0\"\ndependencies = [\"p0\"]\n" + chain(func(i int) string {
			next := ""
			if i+1 < n {
				next = fmt.Sprintf("dependencies = [\"p%d\"]\n", i+1)
			}
			return fmt.Sprintf("[[package]]\nname = \"p%d\"\nversion = \"1.0.0\"\nsource = \"registry+x\"\n%s", i, next)
		})},
		{"yarn.lock chain", "yarn.lock", "# yarn lockfile v1\n\n" + chain(func(i int) string {
			next := ""
			if i+1 < n {
				next = fmt.Sprintf("  dependencies:\n    p%d \"^1\"\n", i+1)
			}
			return fmt.Sprintf("p%d@^1:\n  version \"1.0.0\"\n%s\n", i, next)
		})},
		{"pnpm-lock.yaml chain", "pnpm-lock.yaml", "lockfileVersion: '6.0'\ndependencies:\n  p0:\n    specifier: ^1\n    version: 1.0.0\npackages:\n" + chain(func(i int) string {
			next := ""
			if i+1 < n {
				next = fmt.Sprintf("    dependencies:\n      p%d: 1.0.0\n", i+1)
			}
			return fmt.Sprintf("  /p%d@1.0.0:\n    resolution: {integrity: x}\n%s", i, next)
		})},
		{"Gemfile.lock chain", "Gemfile.lock", "GEM\n  specs:\n" + chain(func(i int) string {
			return fmt.Sprintf("    p%d (1.0)\n      p%d\n", i, i+1)
		}) + "\nDEPENDENCIES\n  p0\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			r := depfile.ParseFile(tt.path, []byte(tt.data))
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v, want well under 5s", d)
			}
			if r.Err != nil {
				t.Fatalf("got error %v, want none", r.Err)
			}
			if len(r.Deps) < n {
				t.Fatalf("got %d deps, want at least %d", len(r.Deps), n)
			}
			last := r.Deps[len(r.Deps)-1]
			if len(last.Via) != depfile.MaxVia || last.Via[1] != "…" || !strings.HasPrefix(last.Via[0], "p0@") {
				t.Errorf("last: got Via of %d starting %.60v, want %d starting with p0 and …", len(last.Via), last.Via, depfile.MaxVia)
			}
		})
	}
}
