package depfile

import (
	"regexp"
	"strings"
)

// Graph says how much of the dependency graph a file records, and so what
// Dependency.Direct and Dependency.Via mean for the dependencies read from
// it.
type Graph int

const (
	// GraphFlat: the file lists resolved packages but neither which are
	// direct nor which requires which (gradle.lockfile; Pipfile.lock
	// without its Pipfile). Direct is false for all: unknown, not
	// transitive.
	GraphFlat Graph = iota
	// GraphDeclared: a manifest (pom.xml, build.gradle, package.json,
	// requirements.txt, pyproject.toml, Pipfile, composer.json, a Gradle
	// version catalog): every dependency listed is direct; transitive ones
	// are not listed at all.
	GraphDeclared
	// GraphDirect: direct and transitive dependencies are both listed and
	// told apart, but not which package brings a transitive one in (go.mod;
	// Pipfile.lock with its Pipfile). Via is nil.
	GraphDirect
	// GraphPaths: the full graph: direct and transitive, and Via for each
	// transitive dependency.
	GraphPaths
)

// String names the level as the README's table does.
func (g Graph) String() string {
	switch g {
	case GraphDeclared:
		return "declared"
	case GraphDirect:
		return "direct"
	case GraphPaths:
		return "paths"
	}
	return "flat"
}

// graph collects the packages of a lockfile and the edges between them, and
// then marks each direct or transitive with its shortest path.
type graph struct {
	deps  []Dependency
	edges [][]int
	roots []int
}

// add appends a package and returns its index.
func (g *graph) add(d Dependency) int {
	g.deps = append(g.deps, d)
	g.edges = append(g.edges, nil)
	return len(g.deps) - 1
}

// edge records that from requires to.
func (g *graph) edge(from, to int) {
	if from < 0 || to < 0 || from == to {
		return
	}
	g.edges[from] = append(g.edges[from], to)
}

// root records that the project requires i directly.
func (g *graph) root(i int) {
	if i >= 0 {
		g.roots = append(g.roots, i)
	}
}

// rootManifest roots g at the packages a manifest declares, found by
// find (-1 when the lockfile lacks one), giving each the manifest's scope
// unless the lockfile scoped it or another declaration is unscoped.
func (g *graph) rootManifest(manifest []Dependency, find func(Dependency) int) {
	prod := map[int]bool{}
	for _, m := range manifest {
		if i := find(m); i >= 0 && m.Scope == "" {
			prod[i] = true
		}
	}
	for _, m := range manifest {
		i := find(m)
		if i < 0 {
			continue
		}
		if !prod[i] && g.deps[i].Scope == "" {
			g.deps[i].Scope = m.Scope
		}
		g.root(i)
	}
}

// inferNote says why a lockfile's direct dependencies had to be inferred:
// no manifest was given, or it declares none of the locked packages (its
// requirements are in a form not read, or elsewhere).
func inferNote(manifest []Dependency, manifestName string) string {
	why := "no " + manifestName + " was given"
	if manifest != nil {
		why = manifestName + " declares none of the locked packages"
	}
	return why + ": direct dependencies are taken to be those nothing else requires"
}

// inferRoots takes as direct every package nothing else requires: the best
// a lockfile that does not record its project's own requirements allows.
// It reports whether it had to.
func (g *graph) inferRoots() bool {
	if len(g.roots) > 0 {
		return false
	}
	required := make([]bool, len(g.deps))
	for _, es := range g.edges {
		for _, e := range es {
			required[e] = true
		}
	}
	for i, r := range required {
		if !r {
			g.roots = append(g.roots, i)
		}
	}
	return true
}

// MaxVia bounds Dependency.Via: a chain longer than this keeps its direct
// dependency, then "…", then the packages nearest the dependency, so that
// a hostile lockfile (a chain of 100,000 packages) cannot make the answer
// quadratic. Real chains are far shorter.
const MaxVia = 32

// rootOrphans adds as roots the packages that no root reaches and nothing
// requires, and returns how many it added.
func (g *graph) rootOrphans() int {
	reached := g.reach(g.roots)
	required := make([]bool, len(g.deps))
	for _, es := range g.edges {
		for _, e := range es {
			required[e] = true
		}
	}
	n := 0
	for i := range g.deps {
		if !reached[i] && !required[i] {
			g.roots = append(g.roots, i)
			n++
		}
	}
	return n
}

// resolve marks the roots direct and gives every package reachable from
// them the shortest chain from a root (breadth first, roots and edges in
// file order). Packages no root reaches keep Direct false and Via nil.
func (g *graph) resolve() []Dependency {
	n := len(g.deps)
	parent := make([]int, n)
	depth := make([]int, n)
	rootOf := make([]int, n)
	seen := make([]bool, n)
	queue := make([]int, 0, n)
	for _, r := range g.roots {
		if !seen[r] {
			seen[r] = true
			parent[r], rootOf[r] = -1, r
			g.deps[r].Direct = true
			queue = append(queue, r)
		}
	}
	for len(queue) > 0 {
		x := queue[0]
		queue = queue[1:]
		for _, e := range g.edges[x] {
			if seen[e] {
				continue
			}
			seen[e] = true
			parent[e], depth[e], rootOf[e] = x, depth[x]+1, rootOf[x]
			queue = append(queue, e)
		}
	}
	g.inheritScope(seen, rootOf)
	id := func(i int) string { return g.deps[i].Name + "@" + g.deps[i].Version }
	for i := range g.deps {
		if !seen[i] || parent[i] < 0 {
			continue
		}
		size := min(depth[i], MaxVia)
		chain := make([]string, size)
		k := size - 1
		for p := parent[i]; p >= 0 && k >= 0; p = parent[p] {
			chain[k] = id(p)
			k--
		}
		if depth[i] > MaxVia {
			chain[0], chain[1] = id(rootOf[i]), "…"
		}
		g.deps[i].Via = chain
	}
	return g.deps
}

// inheritScope gives a transitive package the file leaves unscoped the
// scope of its direct dependency ("dev", a dependency group) when only
// such scoped direct dependencies bring it in: what only a test framework
// pulls in is a dev dependency too.
func (g *graph) inheritScope(reached []bool, rootOf []int) {
	var unscoped []int
	for _, r := range g.roots {
		switch g.deps[r].Scope {
		case "", "optional", "peer":
			unscoped = append(unscoped, r)
		}
	}
	prod := g.reach(unscoped)
	for i := range g.deps {
		if reached[i] && !prod[i] && g.deps[i].Scope == "" {
			g.deps[i].Scope = g.deps[rootOf[i]].Scope
		}
	}
}

// reach reports, for each package, whether it is one of from or reachable
// from one.
func (g *graph) reach(from []int) []bool {
	reached := make([]bool, len(g.deps))
	queue := make([]int, 0, len(from))
	for _, r := range from {
		if !reached[r] {
			reached[r] = true
			queue = append(queue, r)
		}
	}
	for len(queue) > 0 {
		x := queue[0]
		queue = queue[1:]
		for _, e := range g.edges[x] {
			if !reached[e] {
				reached[e] = true
				queue = append(queue, e)
			}
		}
	}
	return reached
}

var pep503Sep = regexp.MustCompile(`[-_.]+`)

// PEP503 normalises a Python distribution name as PEP 503 does (case, and
// runs of "-", "_", "."), so that "Flask_Cors" in one file finds
// "flask-cors" in another.
func PEP503(name string) string {
	return strings.ToLower(pep503Sep.ReplaceAllString(name, "-"))
}
