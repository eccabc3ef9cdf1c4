package depfile

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// pnpmReq is a requirement as pnpm-lock.yaml lists it.
type pnpmReq struct {
	name, ref string
	line      int
}

// pnpmLocal says whether a requirement is of the repo's own code (a link
// or a folder), which has no package entry.
func pnpmLocal(ref string) bool {
	return strings.HasPrefix(ref, "link:") || strings.HasPrefix(ref, "file:") || ref == ""
}

// parsePnpmLock reads pnpm-lock.yaml (lockfile 5.x, 6.x and 9.x) into the
// full graph: the importers (the repo's projects, or the top-level
// dependencies of a single-project lockfile before 9) name the direct
// dependencies with the version resolved; each package (9.x: each
// snapshot) names the exact versions it requires. Links to folders are the
// repo's own code and are left out.
func parsePnpmLock(file string, data []byte) (parsed, error) {
	root, err := yamlDoc(file, data, "pnpm-lock.yaml")
	if err != nil {
		return parsed{}, err
	}
	lv := yamlGet(root, "lockfileVersion")
	if lv == nil {
		return parsed{}, errMissing(file, "no lockfileVersion: not a pnpm-lock.yaml")
	}
	v5 := strings.HasPrefix(strings.Trim(lv.Value, "'\""), "5")
	pkgs := yamlGet(root, "snapshots")
	if pkgs == nil {
		pkgs = yamlGet(root, "packages")
		if strings.HasPrefix(strings.Trim(lv.Value, "'\""), "9") && pkgs != nil && len(pkgs.Content) > 0 {
			line, col := lineCol(data, len(data))
			return parsed{}, &Error{File: file, Line: line, Column: col, Msg: "packages without snapshots: truncated pnpm-lock.yaml"}
		}
	}
	var (
		g    graph
		node = map[string]int{}
		reqs = map[int][]pnpmReq{}
		perr error
	)
	display := func(key string) (name, version string) {
		key = strings.TrimPrefix(key, "/")
		if v5 {
			if i := strings.LastIndex(key, "/"); i > 0 {
				name, version = key[:i], key[i+1:]
			}
			if j := strings.IndexByte(version, '_'); j > 0 {
				version = version[:j]
			}
		} else {
			name, version, _ = splitSpec(key)
		}
		if j := strings.IndexByte(version, '('); j > 0 {
			version = version[:j]
		}
		return name, version
	}
	yamlPairs(pkgs, func(k, v *yaml.Node) {
		if perr != nil {
			return
		}
		name, version := display(k.Value)
		if name == "" || version == "" {
			perr = &Error{File: file, Line: k.Line, Column: k.Column, Msg: fmt.Sprintf("package key %s: want name@version", quoteShort(k.Value))}
			return
		}
		d := Dependency{Ecosystem: NPM, Name: name, Version: version, File: file, Line: k.Line}
		if dev := yamlGet(v, "dev"); dev != nil && dev.Value == "true" {
			d.Scope = "dev"
		}
		i := g.add(d)
		node[strings.TrimPrefix(k.Value, "/")] = i
		for _, sec := range []string{"dependencies", "optionalDependencies"} {
			yamlPairs(yamlGet(v, sec), func(dk, dv *yaml.Node) {
				reqs[i] = append(reqs[i], pnpmReq{dk.Value, dv.Value, dv.Line})
			})
		}
	})
	if perr != nil {
		return parsed{}, perr
	}
	find := func(name, ref string) int {
		if ref == "" || strings.HasPrefix(ref, "link:") {
			return -1
		}
		cands := []string{strings.TrimPrefix(ref, "/")}
		if v5 {
			cands = append(cands, name+"/"+ref)
		} else {
			cands = append(cands, name+"@"+ref)
		}
		for _, c := range cands {
			if i, ok := node[c]; ok {
				return i
			}
		}
		return -1
	}
	for i, d := range g.deps {
		for _, r := range reqs[i] {
			to := find(r.name, r.ref)
			if to < 0 && !pnpmLocal(r.ref) {
				return parsed{}, errUnresolved(file, r.line, r.name+"@"+r.ref, d.Name+"@"+d.Version)
			}
			g.edge(i, to)
		}
	}
	rootsOf := func(project *yaml.Node) {
		for _, sec := range []string{"dependencies", "devDependencies", "optionalDependencies"} {
			scope, _ := sectionScope(sec)
			yamlPairs(yamlGet(project, sec), func(dk, dv *yaml.Node) {
				ref, line := dv.Value, dv.Line
				if dv.Kind == yaml.MappingNode {
					if vn := yamlGet(dv, "version"); vn != nil {
						ref, line = vn.Value, vn.Line
					}
				}
				i := find(dk.Value, ref)
				if i < 0 && !pnpmLocal(ref) && perr == nil {
					perr = errUnresolved(file, line, dk.Value+"@"+ref, "the project")
				}
				if i >= 0 && g.deps[i].Scope == "" {
					g.deps[i].Scope = scope
				}
				g.root(i)
			})
		}
	}
	if importers := yamlGet(root, "importers"); importers != nil {
		yamlPairs(importers, func(_, project *yaml.Node) { rootsOf(project) })
	} else {
		rootsOf(root)
	}
	if perr != nil {
		return parsed{}, perr
	}
	p := parsed{graph: GraphPaths}
	if g.inferRoots() && len(g.deps) > 0 {
		p.note = "pnpm-lock.yaml names no direct dependency: direct ones are taken to be those nothing else requires"
	}
	p.deps = g.resolve()
	return p, nil
}
