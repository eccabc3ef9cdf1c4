package depfile

import (
	"strings"
)

// composerPlatform says whether a requirement is of the platform (php,
// extensions, libraries of PHP itself, Composer's own API) rather than a
// package.
func composerPlatform(name string) bool {
	n := strings.ToLower(name)
	return !strings.Contains(n, "/") || strings.HasPrefix(n, "ext-") || strings.HasPrefix(n, "lib-") ||
		n == "composer-plugin-api" || n == "composer-runtime-api" || n == "composer"
}

// parseComposerJSON reads composer.json's "require" and "require-dev"
// (scope "dev"), constraints as written, platform requirements left out.
func parseComposerJSON(file string, data []byte) ([]Dependency, error) {
	w := newJSONWalker(file, data)
	var deps []Dependency
	err := w.object("composer.json", func(section string, _ int) error {
		scope := ""
		switch section {
		case "require":
		case "require-dev":
			scope = "dev"
		default:
			return w.skip()
		}
		return w.object(section, func(name string, line int) error {
			v, _, err := w.str()
			if err == nil && !composerPlatform(name) {
				deps = append(deps, Dependency{Ecosystem: Packagist, Name: name, Version: v, Scope: scope, File: file, Line: line})
			}
			return err
		})
	})
	if err != nil {
		return nil, err
	}
	if err := w.end(); err != nil {
		return nil, err
	}
	return deps, nil
}

// parseComposerLock reads composer.lock's "packages" and "packages-dev"
// (scope "dev"): each package's exact version ("v" prefix dropped) and
// what it requires. The project's own requirements are in composer.json
// (manifest); without it, they are taken to be the packages nothing
// requires.
func parseComposerLock(file string, data []byte, manifest []Dependency) (parsed, error) {
	w := newJSONWalker(file, data)
	var (
		g        graph
		requires [][]string
		saw      bool
	)
	err := w.object("composer.lock", func(section string, _ int) error {
		scope := ""
		switch section {
		case "packages":
		case "packages-dev":
			scope = "dev"
		default:
			return w.skip()
		}
		saw = true
		return w.array(section, func() error {
			d := Dependency{Ecosystem: Packagist, Scope: scope, File: file}
			var reqs []string
			err := w.object(section+" entry", func(k string, line int) error {
				switch k {
				case "name":
					v, _, err := w.str()
					d.Name, d.Line = v, line
					return err
				case "version":
					v, _, err := w.str()
					d.Version = strings.TrimPrefix(v, "v")
					return err
				case "require":
					return w.object(k, func(req string, _ int) error {
						if !composerPlatform(req) {
							reqs = append(reqs, req)
						}
						return w.skip()
					})
				}
				return w.skip()
			})
			if err != nil {
				return err
			}
			if d.Name == "" {
				return w.errAt(section + " entry without a name")
			}
			g.add(d)
			requires = append(requires, reqs)
			return nil
		})
	})
	if err != nil {
		return parsed{}, err
	}
	if err := w.end(); err != nil {
		return parsed{}, err
	}
	if !saw {
		return parsed{}, errMissing(file, "no \"packages\": not a composer.lock")
	}
	byName := map[string]int{}
	for i, d := range g.deps {
		byName[strings.ToLower(d.Name)] = i
	}
	for i, reqs := range requires {
		for _, r := range reqs {
			if to, ok := byName[strings.ToLower(r)]; ok {
				g.edge(i, to)
			}
		}
	}
	p := parsed{graph: GraphPaths}
	g.rootManifest(manifest, func(m Dependency) int {
		if i, ok := byName[strings.ToLower(m.Name)]; ok {
			return i
		}
		return -1
	})
	if g.inferRoots() {
		p.note = inferNote(manifest, "composer.json")
	}
	p.deps = g.resolve()
	return p, nil
}
