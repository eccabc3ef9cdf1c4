package depfile

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// yarnReq is a requirement as a yarn.lock entry lists it.
type yarnReq struct {
	spec string // name@range
	line int
}

// errUnresolved is the *Error for a requirement a lockfile lists without
// an entry that satisfies it: a truncated or hand-edited lockfile, whose
// graph would silently miss packages.
func errUnresolved(file string, line int, req, of string) error {
	return &Error{File: file, Line: line, Column: 1, Msg: fmt.Sprintf("%s requires %s, which has no entry: truncated or inconsistent lockfile", of, req)}
}

// splitSpec splits "name@range" (the name may be scoped: "@babel/core@^7")
// at the "@" that ends the name.
func splitSpec(spec string) (name, rest string, ok bool) {
	i := strings.Index(spec[min(1, len(spec)):], "@")
	if i < 0 {
		return spec, "", false
	}
	i++
	return spec[:i], spec[i+1:], true
}

// parseYarnLock reads yarn.lock, classic (v1) or berry (v2 and later,
// YAML with __metadata), into the full graph. Berry records the project's
// workspaces and what they require; classic does not: its direct
// dependencies come from manifest (the package.json beside it), else are
// taken to be the packages nothing requires.
func parseYarnLock(file string, data []byte, manifest []Dependency) (parsed, error) {
	if isBerry(data) {
		return parseYarnBerry(file, data)
	}
	return parseYarnClassic(file, data, manifest)
}

func isBerry(data []byte) bool {
	return bytes.HasPrefix(data, []byte("__metadata:")) || bytes.Contains(data, []byte("\n__metadata:"))
}

// parseYarnClassic reads the yarn v1 lockfile format: entries headed by
// their specifiers ("a@^1.0.0", "a@~1.2.0":), fields indented two spaces,
// dependency lists four.
func parseYarnClassic(file string, data []byte, manifest []Dependency) (parsed, error) {
	var (
		g       graph
		bySpec  = map[string]int{}
		reqs    [][]yarnReq // per node: what it requires
		cur     = -1
		inDeps  bool
		lines   = splitLines(data)
		entries int
	)
	unq := func(s string, line, col int) (string, error) {
		s = strings.TrimSpace(s)
		if strings.HasPrefix(s, `"`) {
			u, err := strconv.Unquote(s)
			if err != nil {
				return "", &Error{File: file, Line: line, Column: col, Msg: "invalid quoted string " + quoteShort(s)}
			}
			return u, nil
		}
		return s, nil
	}
	for i, l := range lines {
		n := i + 1
		if strings.TrimSpace(l) == "" || strings.HasPrefix(strings.TrimSpace(l), "#") {
			continue
		}
		indent := len(l) - len(strings.TrimLeft(l, " "))
		switch {
		case indent == 0:
			if !strings.HasSuffix(l, ":") {
				return parsed{}, &Error{File: file, Line: n, Column: len(l) + 1, Msg: "want an entry header ending in \":\", got " + quoteShort(l)}
			}
			cur = g.add(Dependency{Ecosystem: NPM, File: file, Line: n})
			reqs = append(reqs, nil)
			entries++
			inDeps = false
			for spec := range strings.SplitSeq(strings.TrimSuffix(l, ":"), ",") {
				s, err := unq(spec, n, 1)
				if err != nil {
					return parsed{}, err
				}
				name, _, ok := splitSpec(s)
				if !ok {
					return parsed{}, &Error{File: file, Line: n, Column: 1, Msg: "want \"name@range\", got " + quoteShort(s)}
				}
				g.deps[cur].Name = name
				bySpec[s] = cur
			}
		case indent == 2 && cur >= 0:
			f := strings.TrimSpace(l)
			inDeps = false
			if f == "dependencies:" || f == "optionalDependencies:" {
				inDeps = true
				continue
			}
			if strings.HasSuffix(f, ":") {
				continue // a block of fields not read (bin: ...)
			}
			// Every field has a value, a quoted one closed: a file cut
			// inside an entry is not taken for a shorter one.
			key, val, _ := strings.Cut(f, " ")
			if strings.TrimSpace(val) == "" {
				return parsed{}, &Error{File: file, Line: n, Column: len(l) + 1, Msg: fmt.Sprintf("field %s without a value: truncated or malformed yarn.lock", quoteShort(key))}
			}
			v, err := unq(val, n, indent+len(key)+2)
			if err != nil {
				return parsed{}, err
			}
			if key == "version" {
				g.deps[cur].Version = v
			}
		case indent == 4 && inDeps:
			f := strings.TrimSpace(l)
			var name, rng string
			if strings.HasPrefix(f, `"`) {
				end := strings.Index(f[1:], `"`)
				if end < 0 {
					return parsed{}, &Error{File: file, Line: n, Column: 5, Msg: "unterminated quoted name"}
				}
				name, rng = f[1:end+1], f[end+2:]
			} else {
				name, rng, _ = strings.Cut(f, " ")
			}
			r, err := unq(rng, n, 5+len(name))
			if err != nil {
				return parsed{}, err
			}
			reqs[cur] = append(reqs[cur], yarnReq{spec: name + "@" + r, line: n})
		case indent >= 4:
			// Fields of fields we do not read (dependenciesMeta ...).
		default:
			return parsed{}, &Error{File: file, Line: n, Column: indent + 1, Msg: "unexpected indentation"}
		}
	}
	for i, d := range g.deps {
		if d.Version == "" {
			return parsed{}, &Error{File: file, Line: d.Line, Column: 1, Msg: fmt.Sprintf("entry %s without a version", quoteShort(d.Name))}
		}
		for _, r := range reqs[i] {
			to, ok := bySpec[r.spec]
			if !ok {
				return parsed{}, errUnresolved(file, r.line, r.spec, d.Name+"@"+d.Version)
			}
			g.edge(i, to)
		}
	}
	if entries == 0 && !bytes.Contains(data, []byte("yarn lockfile v1")) {
		return parsed{}, errMissing(file, "no entries and no \"# yarn lockfile v1\" header: not a yarn.lock")
	}
	p := parsed{graph: GraphPaths}
	g.rootManifest(manifest, func(m Dependency) int {
		if i, ok := bySpec[m.Name+"@"+m.Version]; ok {
			return i
		}
		return -1
	})
	if g.inferRoots() {
		p.note = "yarn.lock (classic) does not record the project's own requirements and " + inferNote(manifest, "package.json")
	} else if g.rootOrphans() > 0 {
		// Workspaces: yarn.lock holds what every workspace's package.json
		// requires; only the root's was given.
		p.note = "some packages neither package.json nor another package requires (a workspace's own dependencies) are taken to be direct"
	}
	p.deps = g.resolve()
	return p, nil
}

// yamlError turns a yaml.v3 error into a positioned *Error ("yaml: line N:
// ...").
func yamlError(file string, err error) error {
	msg := err.Error()
	line := 0
	if _, rest, ok := strings.Cut(msg, "line "); ok {
		num, _, _ := strings.Cut(rest, ":")
		line, _ = strconv.Atoi(num)
	}
	return &Error{File: file, Line: line, Column: 1, Msg: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
}

// yamlDoc decodes data as one YAML mapping.
func yamlDoc(file string, data []byte, what string) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlError(file, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, errMissing(file, "want a YAML mapping: not a %s", what)
	}
	return doc.Content[0], nil
}

// yamlGet returns the value of key in mapping m, or nil.
func yamlGet(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// yamlPairs calls fn for each key and value of mapping m, in order.
func yamlPairs(m *yaml.Node, fn func(k, v *yaml.Node)) {
	if m == nil || m.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		fn(m.Content[i], m.Content[i+1])
	}
}

// parseYarnBerry reads a yarn berry lockfile (YAML): each entry's
// specifiers, version, resolution and dependencies; workspaces
// (resolution "name@workspace:...") are the repo's own: left out, what
// they require being direct.
func parseYarnBerry(file string, data []byte) (parsed, error) {
	root, err := yamlDoc(file, data, "yarn.lock")
	if err != nil {
		return parsed{}, err
	}
	var (
		g          graph
		bySpec     = map[string]int{}
		reqs       = map[int][]yarnReq{}
		workspaces [][]yarnReq
		perr       error
	)
	yamlPairs(root, func(k, v *yaml.Node) {
		if perr != nil || k.Value == "__metadata" {
			return
		}
		if v.Kind != yaml.MappingNode {
			perr = &Error{File: file, Line: v.Line, Column: v.Column, Msg: fmt.Sprintf("entry %s: want a mapping", quoteShort(k.Value))}
			return
		}
		resolution := yamlGet(v, "resolution")
		var deps []yarnReq
		yamlPairs(yamlGet(v, "dependencies"), func(dk, dv *yaml.Node) {
			deps = append(deps, yarnReq{spec: dk.Value + "@" + dv.Value, line: dv.Line})
		})
		if resolution != nil && strings.Contains(resolution.Value, "@workspace:") {
			workspaces = append(workspaces, deps)
			return
		}
		name := ""
		if resolution != nil {
			name, _, _ = splitSpec(resolution.Value)
		}
		version := yamlGet(v, "version")
		if version == nil || name == "" {
			perr = &Error{File: file, Line: k.Line, Column: k.Column, Msg: fmt.Sprintf("entry %s without a version or resolution", quoteShort(k.Value))}
			return
		}
		i := g.add(Dependency{Ecosystem: NPM, Name: name, Version: version.Value, File: file, Line: k.Line})
		reqs[i] = deps
		for spec := range strings.SplitSeq(k.Value, ",") {
			bySpec[strings.TrimSpace(spec)] = i
		}
	})
	if perr != nil {
		return parsed{}, perr
	}
	find := func(spec string) int {
		if i, ok := bySpec[spec]; ok {
			return i
		}
		if name, rng, ok := splitSpec(spec); ok {
			if i, ok := bySpec[name+"@npm:"+rng]; ok {
				return i
			}
		}
		return -1
	}
	for i, d := range g.deps {
		for _, r := range reqs[i] {
			to := find(r.spec)
			if to < 0 {
				return parsed{}, errUnresolved(file, r.line, r.spec, d.Name+"@"+d.Version)
			}
			g.edge(i, to)
		}
	}
	for _, ws := range workspaces {
		for _, r := range ws {
			to := find(r.spec)
			if to < 0 && !strings.Contains(r.spec, "@workspace:") && !strings.Contains(r.spec, "@portal:") && !strings.Contains(r.spec, "@link:") {
				return parsed{}, errUnresolved(file, r.line, r.spec, "the workspace")
			}
			g.root(to)
		}
	}
	p := parsed{graph: GraphPaths}
	if g.inferRoots() && len(g.deps) > 0 {
		p.note = "yarn.lock holds no workspace entry: direct dependencies are taken to be those nothing else requires"
	}
	p.deps = g.resolve()
	return p, nil
}
