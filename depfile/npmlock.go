package depfile

import (
	"strings"
)

// lockPkg is one entry of package-lock.json as read, before the graph is
// built.
type lockPkg struct {
	key     string // v2/v3: the "packages" key; v1: the nesting path
	name    string
	version string
	line    int
	link    bool
	flags   map[string]bool
	// requires names the packages this one requires, in file order.
	requires []string
	// v1: the entries nested under this one, by name, and the parent.
	children map[string]int
	parent   int
}

// parsePackageLock reads package-lock.json and npm-shrinkwrap.json into
// the full graph: the "packages" map of lockfile v2 and v3 when there is
// one (whose "" entry names the project's direct dependencies), else v1's
// nested "dependencies" (which does not: those come from manifest, the
// package.json beside it, or are inferred as the packages nothing
// requires). A requirement is resolved as Node does: the nearest
// node_modules folder up from the requiring package. Workspace folders
// and links are the repo's own code and are left out; their requirements
// are direct.
func parsePackageLock(file string, data []byte, manifest []Dependency) (parsed, error) {
	w := newJSONWalker(file, data)
	var v1, v2 []lockPkg
	err := w.object("package-lock.json", func(key string, _ int) error {
		switch key {
		case "packages":
			return w.object(key, func(p string, line int) error {
				pkg, err := w.lockEntry(p, line)
				if err != nil {
					return err
				}
				v2 = append(v2, pkg)
				return nil
			})
		case "dependencies":
			return w.lockV1(&v1, -1, 0)
		}
		return w.skip()
	})
	if err != nil {
		return parsed{}, err
	}
	if err := w.end(); err != nil {
		return parsed{}, err
	}
	if len(v2) > 0 {
		return lockGraphV2(file, v2), nil
	}
	return lockGraphV1(file, v1, manifest), nil
}

// lockEntry reads one entry of lockfile v2/v3 "packages".
func (w *jsonWalker) lockEntry(key string, line int) (lockPkg, error) {
	pkg := lockPkg{key: key, line: line, flags: map[string]bool{}, parent: -1}
	isRoot := !strings.Contains(key, "node_modules/")
	err := w.object(key, func(k string, _ int) error {
		switch k {
		case "version":
			v, _, err := w.str()
			pkg.version = v
			return err
		case "name":
			v, _, err := w.str()
			pkg.name = v
			return err
		case "link":
			b, err := w.boolean()
			pkg.link = b
			return err
		case "dev", "devOptional", "optional", "peer":
			b, err := w.boolean()
			pkg.flags[k] = b
			return err
		case "dependencies", "optionalDependencies", "peerDependencies", "devDependencies":
			if k == "devDependencies" && !isRoot {
				return w.skip()
			}
			return w.object(k, func(name string, _ int) error {
				pkg.requires = append(pkg.requires, name)
				return w.skip()
			})
		}
		return w.skip()
	})
	return pkg, err
}

// lockGraphV2 builds the graph of lockfile v2/v3 "packages".
func lockGraphV2(file string, pkgs []lockPkg) parsed {
	var g graph
	node := map[string]int{}   // key -> graph index
	links := map[string]bool{} // keys of links (own code)
	for _, p := range pkgs {
		i := strings.LastIndex(p.key, "node_modules/")
		if i < 0 {
			continue
		}
		if p.link {
			links[p.key] = true
			continue
		}
		name := p.name
		if n := p.key[i+len("node_modules/"):]; n != "" {
			name = n
		}
		node[p.key] = g.add(Dependency{Ecosystem: NPM, Name: name, Version: p.version, Scope: lockScope(p.flags), File: file, Line: p.line})
	}
	resolve := func(from, name string) int {
		loc := from
		for {
			cand := "node_modules/" + name
			if loc != "" {
				cand = loc + "/" + cand
			}
			if i, ok := node[cand]; ok {
				return i
			}
			if links[cand] {
				return -1
			}
			if loc == "" {
				return -1
			}
			j := strings.LastIndex(loc, "node_modules/")
			if j < 0 {
				loc = ""
			} else {
				loc = strings.TrimSuffix(loc[:j], "/")
			}
		}
	}
	for _, p := range pkgs {
		if p.link {
			continue
		}
		from, own := node[p.key]
		if !own && strings.Contains(p.key, "node_modules/") {
			continue
		}
		for _, r := range p.requires {
			to := resolve(p.key, r)
			if !own {
				g.root(to)
			} else {
				g.edge(from, to)
			}
		}
	}
	return parsed{deps: g.resolve(), graph: GraphPaths}
}

// lockV1 reads a lockfile v1 "dependencies" object, nested ones included,
// each package before those nested under it.
func (w *jsonWalker) lockV1(out *[]lockPkg, parent, depth int) error {
	if depth > maxJSONNesting {
		return w.errAt("dependencies nested too deeply")
	}
	return w.object("dependencies", func(name string, line int) error {
		at := len(*out)
		*out = append(*out, lockPkg{name: name, line: line, parent: parent, flags: map[string]bool{}})
		if parent >= 0 {
			if (*out)[parent].children == nil {
				(*out)[parent].children = map[string]int{}
			}
			(*out)[parent].children[name] = at
		}
		return w.object(name, func(k string, _ int) error {
			switch k {
			case "version":
				v, _, err := w.str()
				(*out)[at].version = v
				return err
			case "dev", "optional", "peer":
				b, err := w.boolean()
				(*out)[at].flags[k] = b
				return err
			case "requires":
				return w.object(k, func(req string, _ int) error {
					(*out)[at].requires = append((*out)[at].requires, req)
					return w.skip()
				})
			case "dependencies":
				return w.lockV1(out, at, depth+1)
			}
			return w.skip()
		})
	})
}

// lockGraphV1 builds the graph of lockfile v1's nested "dependencies".
func lockGraphV1(file string, pkgs []lockPkg, manifest []Dependency) parsed {
	var g graph
	top := map[string]int{}
	for i, p := range pkgs {
		g.add(Dependency{Ecosystem: NPM, Name: p.name, Version: p.version, Scope: lockScope(p.flags), File: file, Line: p.line})
		if p.parent < 0 {
			top[p.name] = i
		}
	}
	for i, p := range pkgs {
		for _, r := range p.requires {
			to := -1
			for q := i; q >= 0 && to < 0; q = pkgs[q].parent {
				if c, ok := pkgs[q].children[r]; ok {
					to = c
				}
			}
			if to < 0 {
				if c, ok := top[r]; ok {
					to = c
				}
			}
			g.edge(i, to)
		}
	}
	note := ""
	g.rootManifest(manifest, func(m Dependency) int {
		if i, ok := top[m.Name]; ok {
			return i
		}
		return -1
	})
	if g.inferRoots() {
		note = "lockfile v1 does not record the project's own requirements and " + inferNote(manifest, "package.json")
	}
	return parsed{deps: g.resolve(), graph: GraphPaths, note: note}
}
