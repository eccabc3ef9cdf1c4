package depfile

import (
	"maps"
	"slices"
	"sort"
	"strings"
)

// parsePoetryLock reads poetry.lock: every package with its exact version,
// and, from each [package.dependencies], the packages it requires. The
// lockfile does not name the project's own requirements: they come from
// manifest (pyproject.toml beside it), else are taken to be the packages
// nothing requires.
func parsePoetryLock(file string, data []byte, manifest []Dependency) (parsed, error) {
	deps, err := poetryPackages(file, data)
	if err != nil {
		return parsed{}, err
	}
	var lock struct {
		Package []struct {
			Name         string
			Dependencies map[string]any
		}
	}
	if err := decodeTOML(file, data, &lock); err != nil {
		return parsed{}, err
	}
	if len(lock.Package) != len(deps) {
		return parsed{}, errMissing(file, "read %d [[package]] tables, decoded %d", len(deps), len(lock.Package))
	}
	var g graph
	byName := map[string]int{}
	for _, d := range deps {
		i := g.add(d)
		byName[PEP503(d.Name)] = i
	}
	for i, p := range lock.Package {
		for _, r := range slices.Sorted(maps.Keys(p.Dependencies)) {
			if to, ok := byName[PEP503(r)]; ok {
				g.edge(i, to)
			}
		}
	}
	return pyGraph(&g, byName, manifest, "pyproject.toml"), nil
}

// pyGraph marks the manifest's requirements as the roots of g (or infers
// them) and resolves it.
func pyGraph(g *graph, byName map[string]int, manifest []Dependency, manifestName string) parsed {
	p := parsed{graph: GraphPaths}
	g.rootManifest(manifest, func(m Dependency) int {
		if i, ok := byName[PEP503(m.Name)]; ok {
			return i
		}
		return -1
	})
	if g.inferRoots() {
		p.note = inferNote(manifest, manifestName)
	}
	p.deps = g.resolve()
	return p
}

// parsePyproject reads the requirements pyproject.toml declares: PEP 621's
// [project] dependencies and optional-dependencies, PEP 735's
// [dependency-groups], and Poetry's [tool.poetry] dependencies,
// dev-dependencies and groups. Versions are the specifiers as written.
func parsePyproject(file string, data []byte) ([]Dependency, error) {
	var pp struct {
		Project struct {
			Dependencies         []string
			OptionalDependencies map[string][]string `toml:"optional-dependencies"`
		}
		DependencyGroups map[string][]any `toml:"dependency-groups"`
		Tool             struct {
			Poetry struct {
				Dependencies    map[string]any
				DevDependencies map[string]any `toml:"dev-dependencies"`
				Group           map[string]struct {
					Dependencies map[string]any
				}
			}
		}
	}
	if err := decodeTOML(file, data, &pp); err != nil {
		return nil, err
	}
	lines := splitLines(data)
	var deps []Dependency
	pep508 := func(reqs []string, scope string) {
		for _, r := range reqs {
			m := reqLine.FindStringSubmatch(strings.TrimSpace(r))
			if m == nil {
				continue
			}
			spec := strings.TrimSpace(m[3])
			if j := strings.Index(spec, ";"); j >= 0 {
				spec = strings.TrimSpace(spec[:j])
			}
			if p := reqPinned.FindStringSubmatch(spec); p != nil {
				spec = p[1]
			}
			deps = append(deps, Dependency{Ecosystem: PyPI, Name: m[1], Version: spec, Scope: scope, File: file, Line: wordLine(lines, 1, m[1])})
		}
	}
	poetry := func(reqs map[string]any, scope string) {
		for _, name := range slices.Sorted(maps.Keys(reqs)) {
			if strings.EqualFold(name, "python") {
				continue
			}
			deps = append(deps, Dependency{Ecosystem: PyPI, Name: name, Version: tomlVersion(reqs[name]), Scope: scope, File: file, Line: wordLine(lines, 1, name)})
		}
	}
	pep508(pp.Project.Dependencies, "")
	for _, g := range slices.Sorted(maps.Keys(pp.Project.OptionalDependencies)) {
		pep508(pp.Project.OptionalDependencies[g], "optional")
	}
	for _, g := range slices.Sorted(maps.Keys(pp.DependencyGroups)) {
		var reqs []string
		for _, r := range pp.DependencyGroups[g] {
			if s, ok := r.(string); ok {
				reqs = append(reqs, s)
			}
		}
		pep508(reqs, g)
	}
	poetry(pp.Tool.Poetry.Dependencies, "")
	poetry(pp.Tool.Poetry.DevDependencies, "dev")
	for _, g := range slices.Sorted(maps.Keys(pp.Tool.Poetry.Group)) {
		poetry(pp.Tool.Poetry.Group[g].Dependencies, g)
	}
	sort.SliceStable(deps, func(i, j int) bool { return deps[i].Line < deps[j].Line })
	return deps, nil
}

// parsePipfile reads Pipfile's [packages] and [dev-packages].
func parsePipfile(file string, data []byte) ([]Dependency, error) {
	var pf struct {
		Packages    map[string]any
		DevPackages map[string]any `toml:"dev-packages"`
	}
	if err := decodeTOML(file, data, &pf); err != nil {
		return nil, err
	}
	lines := keyLines(data)
	var deps []Dependency
	for _, sec := range []struct {
		table string
		reqs  map[string]any
		scope string
	}{{"packages", pf.Packages, ""}, {"dev-packages", pf.DevPackages, "dev"}} {
		for _, name := range slices.Sorted(maps.Keys(sec.reqs)) {
			v := tomlVersion(sec.reqs[name])
			if v == "*" {
				v = ""
			}
			if p := reqPinned.FindStringSubmatch(v); p != nil {
				v = p[1]
			}
			deps = append(deps, Dependency{Ecosystem: PyPI, Name: name, Version: v, Scope: sec.scope, File: file, Line: lines[sec.table][name]})
		}
	}
	sort.SliceStable(deps, func(i, j int) bool { return deps[i].Line < deps[j].Line })
	return deps, nil
}

// parsePipfileLock reads Pipfile.lock's "default" and "develop" (scope
// "dev") packages with their pinned versions. The lockfile records
// neither the project's requirements nor which package requires which:
// with manifest (the Pipfile beside it) the direct ones are marked and the
// others are transitive without a path; without it nothing is known.
func parsePipfileLock(file string, data []byte, manifest []Dependency) (parsed, error) {
	w := newJSONWalker(file, data)
	var deps []Dependency
	err := w.object("Pipfile.lock", func(section string, _ int) error {
		scope := ""
		switch section {
		case "default":
		case "develop":
			scope = "dev"
		default:
			return w.skip()
		}
		return w.object(section, func(name string, line int) error {
			d := Dependency{Ecosystem: PyPI, Name: name, Scope: scope, File: file, Line: line}
			err := w.object(name, func(k string, _ int) error {
				if k != "version" {
					return w.skip()
				}
				v, _, err := w.str()
				d.Version = strings.TrimPrefix(v, "==")
				return err
			})
			deps = append(deps, d)
			return err
		})
	})
	if err != nil {
		return parsed{}, err
	}
	if err := w.end(); err != nil {
		return parsed{}, err
	}
	if manifest == nil {
		return parsed{deps: deps, note: "Pipfile.lock does not say which packages are direct (no Pipfile given) nor which requires which"}, nil
	}
	direct := map[string]bool{}
	for _, m := range manifest {
		direct[PEP503(m.Name)] = true
	}
	for i := range deps {
		// Pipfile.lock's own "develop" says dev; no more to inherit.
		deps[i].Direct = direct[PEP503(deps[i].Name)]
	}
	return parsed{deps: deps, graph: GraphDirect, note: "Pipfile.lock does not record which package requires which"}, nil
}

// uvDep is a requirement in uv.lock.
type uvDep struct {
	Name    string
	Version string
	Extra   []string
}

// parseUVLock reads uv.lock: every package with its version and the
// packages it requires (by name, and version when several are locked).
// The project's own packages (source editable, virtual or workspace) are
// left out: what they require is direct (optional-dependencies and
// dev-dependencies scoped by their group), as is what [manifest] asks for
// (a virtual workspace root's requirements and dependency groups). A
// package's optional dependencies are edges only for the extras someone
// asks of it.
func parseUVLock(file string, data []byte) (parsed, error) {
	var lock struct {
		Version  int
		Manifest struct {
			Requirements     []uvDep
			DependencyGroups map[string][]uvDep `toml:"dependency-groups"`
		}
		Package []struct {
			Name                 string
			Version              string
			Source               map[string]any
			Dependencies         []uvDep
			OptionalDependencies map[string][]uvDep `toml:"optional-dependencies"`
			DevDependencies      map[string][]uvDep `toml:"dev-dependencies"`
		}
	}
	if err := decodeTOML(file, data, &lock); err != nil {
		return parsed{}, err
	}
	lines := tomlHeaderLines(data, "package")
	var g graph
	node := make([]int, len(lock.Package))
	byName := map[string][]int{}
	own := func(src map[string]any) bool {
		for _, k := range []string{"editable", "virtual", "workspace"} {
			if _, ok := src[k]; ok {
				return true
			}
		}
		return false
	}
	if len(lock.Package) == 0 {
		return parsed{}, errMissing(file, "no [[package]]: a uv.lock holds at least its own project")
	}
	for i, p := range lock.Package {
		if p.Name == "" {
			return parsed{}, errMissing(file, "[[package]] %d without a name", i+1)
		}
		node[i] = -1
		if own(p.Source) {
			continue
		}
		line := 0
		if i < len(lines) {
			line = lines[i]
		}
		node[i] = g.add(Dependency{Ecosystem: PyPI, Name: p.Name, Version: p.Version, File: file, Line: line})
		byName[PEP503(p.Name)] = append(byName[PEP503(p.Name)], node[i])
	}
	find := func(d uvDep) int {
		cands := byName[PEP503(d.Name)]
		for _, c := range cands {
			if d.Version == "" || g.deps[c].Version == d.Version {
				return c
			}
		}
		return -1
	}
	ownName := map[string]bool{}
	for i, p := range lock.Package {
		if node[i] < 0 {
			ownName[PEP503(p.Name)] = true
		}
	}
	scopes := map[int]string{}
	extras := map[int]map[string]bool{} // graph index -> extras asked of it
	var unresolved error
	link := func(from int, ds []uvDep, scope string) {
		for _, d := range ds {
			to := find(d)
			if to < 0 && !ownName[PEP503(d.Name)] && unresolved == nil {
				line, of := 1, "the project"
				if from >= 0 {
					line, of = g.deps[from].Line, g.deps[from].Name+"@"+g.deps[from].Version
				}
				unresolved = errUnresolved(file, line, strings.TrimSpace(d.Name+" "+d.Version), of)
			}
			if to >= 0 && len(d.Extra) > 0 {
				if extras[to] == nil {
					extras[to] = map[string]bool{}
				}
				for _, e := range d.Extra {
					extras[to][e] = true
				}
			}
			if from >= 0 {
				g.edge(from, to)
				continue
			}
			if to >= 0 {
				if _, ok := scopes[to]; !ok {
					scopes[to] = scope
				}
			}
			g.root(to)
		}
	}
	link(-1, lock.Manifest.Requirements, "")
	for _, k := range slices.Sorted(maps.Keys(lock.Manifest.DependencyGroups)) {
		link(-1, lock.Manifest.DependencyGroups[k], k)
	}
	for i, p := range lock.Package {
		link(node[i], p.Dependencies, "")
		if node[i] < 0 {
			for _, k := range slices.Sorted(maps.Keys(p.OptionalDependencies)) {
				link(-1, p.OptionalDependencies[k], "optional")
			}
			for _, k := range slices.Sorted(maps.Keys(p.DevDependencies)) {
				link(-1, p.DevDependencies[k], k)
			}
		}
	}
	for i, p := range lock.Package {
		if node[i] < 0 {
			continue
		}
		for _, k := range slices.Sorted(maps.Keys(p.OptionalDependencies)) {
			if extras[node[i]][k] {
				link(node[i], p.OptionalDependencies[k], "")
			}
		}
	}
	if unresolved != nil {
		return parsed{}, unresolved
	}
	for i, s := range scopes {
		g.deps[i].Scope = s
	}
	p := parsed{graph: GraphPaths}
	if g.inferRoots() && len(g.deps) > 0 {
		p.note = "uv.lock names no project package: direct dependencies are taken to be those nothing else requires"
	}
	p.deps = g.resolve()
	return p, nil
}
