package depfile

import "strings"

// parseCargoLock reads Cargo.lock: every crate with its version and the
// crates each requires ("name", "name version" or "name version
// (source)"). Crates without a source are the repo's own (workspace
// members and path crates): they are left out, and what they require is
// direct.
func parseCargoLock(file string, data []byte) (parsed, error) {
	var lock struct {
		Package []struct {
			Name         string
			Version      string
			Source       string
			Dependencies []string
		}
	}
	if err := decodeTOML(file, data, &lock); err != nil {
		return parsed{}, err
	}
	lines := tomlHeaderLines(data, "package")
	var g graph
	node := make([]int, len(lock.Package))
	byName := map[string][]int{}
	for i, p := range lock.Package {
		if p.Name == "" || p.Version == "" {
			line := 1
			if i < len(lines) {
				line = lines[i]
			}
			return parsed{}, &Error{File: file, Line: line, Column: 1, Msg: "[[package]] without a name or version"}
		}
		node[i] = -1
		if p.Source == "" {
			continue
		}
		line := 0
		if i < len(lines) {
			line = lines[i]
		}
		node[i] = g.add(Dependency{Ecosystem: Cargo, Name: p.Name, Version: p.Version, File: file, Line: line})
		byName[p.Name] = append(byName[p.Name], node[i])
	}
	if len(lock.Package) == 0 {
		return parsed{}, errMissing(file, "no [[package]]: a Cargo.lock holds at least its own crate")
	}
	for i, p := range lock.Package {
		for _, d := range p.Dependencies {
			f := strings.Fields(d)
			to := -1
			if len(f) > 0 {
				for _, c := range byName[f[0]] {
					if len(f) == 1 || g.deps[c].Version == f[1] {
						to = c
						break
					}
				}
			}
			if to < 0 && !cargoOwn(lock.Package, f) {
				line := 1
				if i < len(lines) {
					line = lines[i]
				}
				return parsed{}, errUnresolved(file, line, d, p.Name+"@"+p.Version)
			}
			if node[i] < 0 {
				g.root(to)
			} else {
				g.edge(node[i], to)
			}
		}
	}
	p := parsed{graph: GraphPaths}
	if g.inferRoots() && len(g.deps) > 0 {
		p.note = "Cargo.lock holds no crate of the repo's own: direct crates are taken to be those nothing else requires"
	}
	p.deps = g.resolve()
	return p, nil
}

// cargoOwn says whether a requirement ("name" or "name version ...") is of
// a crate without a source: the repo's own.
func cargoOwn(pkgs []struct {
	Name         string
	Version      string
	Source       string
	Dependencies []string
}, f []string) bool {
	for _, p := range pkgs {
		if len(f) > 0 && p.Name == f[0] && (len(f) == 1 || p.Version == f[1]) {
			return p.Source == ""
		}
	}
	return false
}
