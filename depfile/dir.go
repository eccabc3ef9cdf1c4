package depfile

import (
	"fmt"
	"path"
	"sort"
	"strings"
)

// File is a dependency file as read from a repository: its
// repository-relative path and its content.
type File struct {
	Path string
	Data []byte
}

// Result is what one dependency file gave.
type Result struct {
	// File is the file's path.
	File string
	// Graph says how much of the graph the file records: what Direct and
	// Via of Deps can be trusted for.
	Graph Graph
	// Manifest is the path of the manifest read beside a lockfile to tell
	// its direct dependencies (package.json beside yarn.lock,
	// package-lock.json or pnpm-lock.yaml, pyproject.toml beside
	// poetry.lock, Pipfile beside Pipfile.lock, composer.json beside
	// composer.lock, build.gradle(.kts) beside gradle.lockfile); empty
	// when none was found.
	Manifest string
	// Deps are the dependencies, in file order, each (ecosystem, name,
	// version) once. With a Manifest, a direct dependency's File and Line
	// are those of its declaration in the manifest (the line to change);
	// a transitive one's are those of its entry in the lockfile.
	Deps []Dependency
	// Note says what the file could not tell ("direct dependencies
	// inferred", "paths unknown"), for answers to show; empty when nothing
	// is missing.
	Note string
	// Err is an *Error (the file is malformed: Deps is nil, and that means
	// unread, not "no dependencies") or wraps ErrUnsupported.
	Err error
}

// ParseFile reads one dependency file on its own: like Parse, with what
// the file tells of the graph.
func ParseFile(path string, data []byte) Result {
	return parseResult(path, data, "", nil)
}

func parseResult(p string, data []byte, manifest string, manifestDeps []Dependency) Result {
	out, err := parse(p, data, manifestDeps)
	if err == nil {
		// Whatever the format, a package must be named: an entry keyed
		// "" (or "node_modules/") is malformed, not a dependency.
		for _, d := range out.deps {
			if d.Name == "" {
				err = &Error{File: p, Line: max(d.Line, 1), Column: 1, Msg: "dependency without a name"}
				break
			}
		}
	}
	r := Result{File: p, Graph: out.graph, Note: out.note, Err: err}
	if err != nil {
		r.Graph = GraphFlat
		return r
	}
	if manifestDeps != nil {
		r.Manifest = manifest
	}
	r.Deps = dedupe(out.deps)
	return r
}

// manifestsOf names, for a lockfile that needs one to tell direct
// dependencies, the manifests beside it that can tell, the first present
// being used.
func manifestsOf(k kind) []string {
	switch k {
	case kindPackageLock, kindYarnLock, kindPnpmLock:
		return []string{"package.json"}
	case kindPoetryLock:
		return []string{"pyproject.toml"}
	case kindPipfileLock:
		return []string{"Pipfile"}
	case kindComposerLock:
		return []string{"composer.json"}
	case kindGradleLock:
		return []string{"build.gradle.kts", "build.gradle"}
	case kindCycloneDXJSON, kindCycloneDXXML, kindSPDXJSON:
		return sbomManifests
	}
	return nil
}

// ParseDir reads the dependency files of a repository (any number of
// folders; typically what Select chose) and returns one Result a file, in
// path order. A lockfile is paired with the manifest in its folder when it
// needs it to tell direct dependencies from transitive ones (package.json
// with yarn.lock or a v1 package-lock.json, pyproject.toml with
// poetry.lock, Pipfile with Pipfile.lock, composer.json with
// composer.lock, build.gradle(.kts) with gradle.lockfile); such a
// manifest is then not a Result of its own, its dependencies being the
// lockfile's direct ones with exact versions. What the manifest declares
// and the lockfile lacks (a stale lockfile, a Gradle configuration not
// locked) is kept in the lockfile's Result as the manifest declares it,
// with the manifest's File and Line, and said in Note. A malformed
// manifest is a Result of its own with its Err, and its lockfile is read
// without it. Files IsDependencyFile rejects are left out.
func ParseDir(files []File) []Result {
	byPath := make(map[string][]byte, len(files))
	var paths []string
	for _, f := range files {
		if kindOf(f.Path) == kindNone {
			continue
		}
		if _, dup := byPath[f.Path]; !dup {
			paths = append(paths, f.Path)
		}
		byPath[f.Path] = f.Data
	}
	sort.Strings(paths)
	used := map[string]bool{}
	var out []Result
	for _, p := range paths {
		var mp string
		for _, m := range manifestsOf(kindOf(p)) {
			if _, ok := byPath[path.Join(path.Dir(p), m)]; ok {
				mp = path.Join(path.Dir(p), m)
				break
			}
		}
		if mp == "" {
			if manifestsOf(kindOf(p)) != nil {
				out = append(out, parseResult(p, byPath[p], "", nil))
			}
			continue
		}
		data := byPath[mp]
		mr := parseResult(mp, data, "", nil)
		if mr.Err != nil {
			out = append(out, parseResult(p, byPath[p], "", nil))
			continue
		}
		used[mp] = true
		deps := mr.Deps
		if deps == nil {
			deps = []Dependency{}
		}
		out = append(out, addUnlocked(pointAtManifest(parseResult(p, byPath[p], mp, deps), mr.Deps), mr.Deps))
	}
	done := map[string]bool{}
	for _, r := range out {
		done[r.File] = true
	}
	for _, p := range paths {
		if done[p] || used[p] {
			continue
		}
		out = append(out, parseResult(p, byPath[p], "", nil))
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].File < out[j].File })
	return out
}

// SelectGraph returns the paths of a repository tree that ParseDir needs
// for the fullest graphs: those Select returns, plus each manifest Select
// leaves out because a lockfile beside it lists everything it declares
// (package.json beside package-lock.json, build.gradle beside
// gradle.lockfile) but that the lockfile needs to tell direct dependencies
// (a v1 package-lock.json, every gradle.lockfile). Paths come in tree
// order.
func SelectGraph(paths []string) []string {
	selected := map[string]bool{}
	for _, p := range Select(paths) {
		selected[p] = true
	}
	present := make(map[string]bool, len(paths))
	for _, p := range paths {
		present[p] = true
	}
	var out []string
	for _, p := range paths {
		if selected[p] {
			out = append(out, p)
			continue
		}
		if !IsDependencyFile(p) {
			continue
		}
		dir, base := path.Split(p)
		for _, lock := range lockfilesOf(base) {
			if present[dir+lock] {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// depKey names a package for matching a manifest with its lockfile.
func depKey(d Dependency) string {
	if d.Ecosystem == PyPI {
		return PEP503(d.Name)
	}
	return strings.ToLower(d.Name)
}

// pointAtManifest gives each direct dependency of a lockfile the File and
// Line of its declaration in the manifest: the line to change. Transitive
// ones keep the lockfile's line, where their version is pinned.
func pointAtManifest(r Result, declared []Dependency) Result {
	if r.Err != nil {
		return r
	}
	at := make(map[string]Dependency, len(declared))
	for _, d := range declared {
		if _, dup := at[depKey(d)]; !dup && d.Line > 0 {
			at[depKey(d)] = d
		}
	}
	for i, d := range r.Deps {
		if m, ok := at[depKey(d)]; ok && d.Direct {
			r.Deps[i].File, r.Deps[i].Line = m.File, m.Line
		}
	}
	return r
}

// addUnlocked appends to a lockfile's result what its manifest declares
// and the lockfile does not hold, but for references to the repo's own
// code (workspaces, links, folders).
func addUnlocked(r Result, declared []Dependency) Result {
	if r.Err != nil {
		return r
	}
	key := depKey
	locked := make(map[string]bool, len(r.Deps))
	for _, d := range r.Deps {
		locked[key(d)] = true
	}
	n := 0
	sbom := IsSBOM(r.File)
	for _, d := range declared {
		if locked[key(d)] || localRef(d.Version) {
			continue
		}
		locked[key(d)] = true
		r.Deps = append(r.Deps, d)
		if sbom && outsideRuntime(d.Scope) {
			// An SBOM of the runtime classpath leaves out BOM imports
			// and test dependencies by design: kept as declared, not a
			// gap.
			continue
		}
		n++
	}
	if n > 0 {
		in := "the lockfile"
		if IsSBOM(r.File) {
			in = "the SBOM"
		}
		msg := fmt.Sprintf("%d dependencies %s declares are not in %s: listed as declared", n, r.Manifest, in)
		if r.Note != "" {
			msg = r.Note + "; " + msg
		}
		r.Note = msg
	}
	return r
}

// outsideRuntime says whether a declared scope is one a runtime SBOM
// leaves out: a BOM import, or a test-only configuration.
func outsideRuntime(scope string) bool {
	s := strings.ToLower(scope)
	return s == "import" || strings.HasPrefix(s, "test")
}

// localRef says whether a declared version points at the repo's own code
// rather than a published package.
func localRef(v string) bool {
	for _, p := range []string{"workspace:", "file:", "link:", "portal:", "./", "../", "/"} {
		if strings.HasPrefix(v, p) {
			return true
		}
	}
	return false
}

// Entry returns the dependency of r that "name@version" (an element of a
// Via chain) names, and whether r has it: Entry(d.Via[0]) is the direct
// dependency that brings d in, and its File and Line the line to change.
// A NuGet project reference ("name@project") is the repo's own code, not
// an entry.
func (r Result) Entry(id string) (Dependency, bool) {
	for _, d := range r.Deps {
		if d.Name+"@"+d.Version == id {
			return d, true
		}
	}
	return Dependency{}, false
}
