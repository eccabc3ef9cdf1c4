package depfile

import (
	"path"
	"sort"
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
	// its direct dependencies (package.json beside yarn.lock or a v1
	// package-lock.json, pyproject.toml beside poetry.lock, Pipfile beside
	// Pipfile.lock, composer.json beside composer.lock); empty when none
	// was needed or found.
	Manifest string
	// Deps are the dependencies, in file order, each (ecosystem, name,
	// version) once.
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

// manifestOf names, for a lockfile that needs it to tell direct
// dependencies, the manifest beside it.
func manifestOf(k kind) string {
	switch k {
	case kindPackageLock, kindYarnLock:
		return "package.json"
	case kindPoetryLock:
		return "pyproject.toml"
	case kindPipfileLock:
		return "Pipfile"
	case kindComposerLock:
		return "composer.json"
	}
	return ""
}

// ParseDir reads the dependency files of a repository (any number of
// folders; typically what Select chose) and returns one Result a file, in
// path order. A lockfile is paired with the manifest in its folder when it
// needs it to tell direct dependencies from transitive ones (package.json
// with yarn.lock or a v1 package-lock.json, pyproject.toml with
// poetry.lock, Pipfile with Pipfile.lock, composer.json with
// composer.lock); such a manifest is then not a Result of its own, its
// dependencies being the lockfile's direct ones with exact versions. A
// malformed manifest is a Result of its own with its Err, and its lockfile
// is read without it. Files IsDependencyFile rejects are left out.
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
		k := kindOf(p)
		m := manifestOf(k)
		if m == "" {
			continue
		}
		mp := path.Join(path.Dir(p), m)
		data, ok := byPath[mp]
		if !ok {
			out = append(out, parseResult(p, byPath[p], "", nil))
			continue
		}
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
		out = append(out, parseResult(p, byPath[p], mp, deps))
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
