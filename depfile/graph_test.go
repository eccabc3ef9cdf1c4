package depfile_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/switchboard-dev/switchboard/depfile"
)

// npmLs is the tree `npm ls --all --json` prints.
type npmLs struct {
	Version      string           `json:"version"`
	Dependencies map[string]npmLs `json:"dependencies"`
}

// npmTruth is what npm says of a project's graph: every package, the
// direct ones, every chain from a direct one to each package ("a@1>b@2"),
// and the length of the shortest chain to each.
type npmTruth struct {
	all, direct map[string]bool
	chains      map[string]bool
	shortest    map[string]int
}

func mustReadNpmLs(t *testing.T, path string) npmTruth {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var tree npmLs
	if err := json.Unmarshal(data, &tree); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	tr := npmTruth{all: map[string]bool{}, direct: map[string]bool{}, chains: map[string]bool{}, shortest: map[string]int{}}
	var walk func(n npmLs, chain []string)
	walk = func(n npmLs, chain []string) {
		for name, d := range n.Dependencies {
			id := name + "@" + d.Version
			c := append(slices.Clone(chain), id)
			if len(c) > 64 {
				t.Fatalf("%s: a chain longer than 64: a cycle npm did not cut", path)
			}
			tr.all[id] = true
			if len(chain) == 0 {
				tr.direct[id] = true
			}
			tr.chains[strings.Join(c, ">")] = true
			if s, ok := tr.shortest[id]; !ok || len(c) < s {
				tr.shortest[id] = len(c)
			}
			walk(d, c)
		}
	}
	walk(tree, nil)
	return tr
}

// mustParseDir reads the files of a testdata folder with ParseDir and
// returns the one result for file.
func mustParseDir(t *testing.T, dir, file string) depfile.Result {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var files []depfile.File
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, depfile.File{Path: e.Name(), Data: data})
	}
	for _, r := range depfile.ParseDir(files) {
		if r.File == file {
			if r.Err != nil {
				t.Fatalf("ParseDir %s: got error %v, want none", file, r.Err)
			}
			return r
		}
	}
	t.Fatalf("ParseDir(%s): no result for %s", dir, file)
	return depfile.Result{}
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestNPMGraphMatchesResolvers holds depfile's graph of each npm-family
// fixture (testdata/npmfx, made by regen.sh) to the resolver's own: npm ls
// over npm's lockfiles, npm ls over the node_modules yarn installed, pnpm
// list: the same packages and versions, the same direct ones, and for each
// transitive package a chain the resolver also has, as short as its
// shortest.
func TestNPMGraphMatchesResolvers(t *testing.T) {
	tests := []struct {
		dir, file, npmLs string
		wantManifest     string
	}{
		{"web-v1", "package-lock.json", "web-v1/npm-ls.json", "package.json"},
		{"web-v2", "package-lock.json", "web-v2/npm-ls.json", "package.json"},
		{"web-v3", "package-lock.json", "web-v3/npm-ls.json", "package.json"},
		{"yarn1", "yarn.lock", "yarn1/npm-ls.json", "package.json"},
		{"berry", "yarn.lock", "berry/npm-ls.json", "package.json"},
		{"pnpm", "pnpm-lock.yaml", "pnpm/pnpm-ls.json", ""},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			truth := mustReadNpmLs(t, filepath.Join("testdata", "npmfx", tt.npmLs))
			r := mustParseDir(t, filepath.Join("testdata", "npmfx", tt.dir), tt.file)
			if r.Graph != depfile.GraphPaths {
				t.Errorf("graph: got %v, want %v", r.Graph, depfile.GraphPaths)
			}
			if r.Manifest != tt.wantManifest {
				t.Errorf("manifest: got %q, want %q", r.Manifest, tt.wantManifest)
			}
			if r.Note != "" {
				t.Errorf("note: got %q, want none", r.Note)
			}
			all, direct := map[string]bool{}, map[string]bool{}
			for _, d := range r.Deps {
				id := d.Name + "@" + d.Version
				all[id] = true
				if d.Direct {
					direct[id] = true
					if d.Via != nil {
						t.Errorf("%s: direct with Via %v, want none", id, d.Via)
					}
					continue
				}
				chain := strings.Join(append(slices.Clone(d.Via), id), ">")
				if !truth.chains[chain] {
					t.Errorf("%s: got chain %s, which npm ls does not have", id, chain)
				}
				if got, want := len(d.Via)+1, truth.shortest[id]; got != want {
					t.Errorf("%s: got a chain of %d, want npm's shortest, %d", id, got, want)
				}
			}
			if got, want := sortedSet(all), sortedSet(truth.all); !slices.Equal(got, want) {
				t.Errorf("packages:\ngot  %v\nwant %v", got, want)
			}
			if got, want := sortedSet(direct), sortedSet(truth.direct); !slices.Equal(got, want) {
				t.Errorf("direct:\ngot  %v\nwant %v", got, want)
			}
		})
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
