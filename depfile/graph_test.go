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
			if d.Version == "" {
				// An optional dependency not installed here (npm ls
				// over node_modules says "missing").
				continue
			}
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

// otherPlatform says whether a package is, or comes in only through, an
// optional package that installs on another platform than this one (linux):
// fsevents is macOS's.
func otherPlatform(d depfile.Dependency) bool {
	if d.Name == "fsevents" {
		return true
	}
	return slices.ContainsFunc(d.Via, func(v string) bool { return strings.HasPrefix(v, "fsevents@") })
}

// diff returns what got has and want does not, and the converse, sorted.
func diff(got, want map[string]bool) (extra, missing []string) {
	for k := range got {
		if !want[k] {
			extra = append(extra, k)
		}
	}
	for k := range want {
		if !got[k] {
			missing = append(missing, k)
		}
	}
	sort.Strings(extra)
	sort.Strings(missing)
	return extra, missing
}

// TestNPMGraphMatchesResolvers holds depfile's graph of each npm-family
// fixture (testdata/npmfx/{web,app}, made by regen.sh) to the resolver's
// own: npm ls over npm's lockfiles v1-v3, npm ls over the node_modules
// yarn classic and berry installed, pnpm list: the same packages and
// versions, the same direct ones, and for each transitive package a chain
// the resolver also has, as short as its shortest. The one allowance:
// yarn's lockfiles record macOS's optional fsevents (and, for berry, what
// it requires), which an install on linux leaves out.
func TestNPMGraphMatchesResolvers(t *testing.T) {
	type fixture struct {
		dir, file, npmLs string
		wantManifest     string
		// installed: the resolver's view is the node_modules it installed
		// here (linux), without the optional packages of other platforms
		// that the lockfile records.
		installed bool
	}
	var tests []fixture
	for _, set := range []string{"web", "app"} {
		tests = append(tests,
			fixture{set + "/npm-v1", "package-lock.json", set + "/npm-v1/npm-ls.json", "package.json", false},
			fixture{set + "/npm-v2", "package-lock.json", set + "/npm-v2/npm-ls.json", "package.json", false},
			fixture{set + "/npm-v3", "package-lock.json", set + "/npm-v3/npm-ls.json", "package.json", false},
			fixture{set + "/yarn1", "yarn.lock", set + "/yarn1/npm-ls.json", "package.json", true},
			fixture{set + "/berry", "yarn.lock", set + "/berry/npm-ls.json", "package.json", true},
			fixture{set + "/pnpm", "pnpm-lock.yaml", set + "/pnpm/pnpm-ls.json", "package.json", false},
		)
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
				if tt.installed && !truth.all[id] && otherPlatform(d) {
					continue
				}
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
			if extra, missing := diff(all, truth.all); extra != nil || missing != nil {
				t.Errorf("packages: got %v the resolver does not have, miss %v", extra, missing)
			}
			if extra, missing := diff(direct, truth.direct); extra != nil || missing != nil {
				t.Errorf("direct: got %v the resolver does not have, miss %v", extra, missing)
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
