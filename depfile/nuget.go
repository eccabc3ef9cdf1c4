package depfile

import "strings"

// parseNuGetLock reads NuGet's packages.lock.json: for each target
// framework, every package with its resolved version, its type ("Direct",
// "Transitive", "CentralTransitive", "Project") and the packages it
// requires. Direct is NuGet's own "Direct". Project references are the
// repo's own code and are left out; a package only a project reference
// requires is transitive, Via naming the project as "name@project".
// Frameworks are read in turn; a package in several is one dependency.
func parseNuGetLock(file string, data []byte) (parsed, error) {
	w := newJSONWalker(file, data)
	var g graph
	sawDeps := false
	err := w.object("packages.lock.json", func(key string, _ int) error {
		if key != "dependencies" {
			return w.skip()
		}
		sawDeps = true
		return w.object(key, func(framework string, _ int) error {
			type pkg struct {
				typ      string
				requires []string
			}
			byName := map[string]int{}
			pkgs := map[int]pkg{}
			var projects []int
			err := w.object(framework, func(name string, line int) error {
				d := Dependency{Ecosystem: NuGet, Name: name, File: file, Line: line}
				var p pkg
				err := w.object(name, func(k string, _ int) error {
					switch k {
					case "type":
						v, _, err := w.str()
						p.typ = v
						return err
					case "resolved":
						v, _, err := w.str()
						d.Version = v
						return err
					case "dependencies":
						return w.object(k, func(req string, _ int) error {
							p.requires = append(p.requires, req)
							return w.skip()
						})
					}
					return w.skip()
				})
				if err != nil {
					return err
				}
				if strings.EqualFold(p.typ, "Project") {
					d.Version = "project"
				}
				i := g.add(d)
				if d.Version == "project" {
					projects = append(projects, i)
				}
				byName[strings.ToLower(name)] = i
				pkgs[i] = p
				return nil
			})
			if err != nil {
				return err
			}
			for i := len(g.deps) - len(pkgs); i < len(g.deps); i++ {
				for _, r := range pkgs[i].requires {
					if to, ok := byName[strings.ToLower(r)]; ok {
						g.edge(i, to)
					}
				}
			}
			for i := len(g.deps) - len(pkgs); i < len(g.deps); i++ {
				if strings.EqualFold(pkgs[i].typ, "Direct") {
					g.root(i)
				}
			}
			for _, i := range projects {
				g.root(i)
			}
			return nil
		})
	})
	if err != nil {
		return parsed{}, err
	}
	if err := w.end(); err != nil {
		return parsed{}, err
	}
	if !sawDeps {
		return parsed{}, errMissing(file, "no \"dependencies\": not a NuGet packages.lock.json")
	}
	var deps []Dependency
	for _, d := range g.resolve() {
		if d.Version == "project" {
			continue
		}
		deps = append(deps, d)
	}
	return parsed{deps: deps, graph: GraphPaths}, nil
}
