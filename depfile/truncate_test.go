package depfile_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

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
