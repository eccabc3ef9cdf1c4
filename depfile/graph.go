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

// resolve marks the roots direct and gives every package reachable from
// them the shortest chain from a root (breadth first, roots and edges in
// file order). Packages no root reaches keep Direct false and Via nil.
func (g *graph) resolve() []Dependency {
	parent := make([]int, len(g.deps))
	seen := make([]bool, len(g.deps))
	queue := make([]int, 0, len(g.deps))
	for _, r := range g.roots {
		if !seen[r] {
			seen[r] = true
			parent[r] = -1
			g.deps[r].Direct = true
			queue = append(queue, r)
		}
	}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, e := range g.edges[n] {
			if seen[e] {
				continue
			}
			seen[e] = true
			parent[e] = n
			queue = append(queue, e)
		}
	}
	for i := range g.deps {
		if !seen[i] || parent[i] < 0 {
			continue
		}
		var chain []string
		for p := parent[i]; p >= 0; p = parent[p] {
			chain = append(chain, g.deps[p].Name+"@"+g.deps[p].Version)
		}
		for a, b := 0, len(chain)-1; a < b; a, b = a+1, b-1 {
			chain[a], chain[b] = chain[b], chain[a]
		}
		g.deps[i].Via = chain
	}
	return g.deps
}

// pep503 normalises a Python distribution name as PEP 503 does, so that
// "Flask_Cors" in one file finds "flask-cors" in another.
var pep503Sep = regexp.MustCompile(`[-_.]+`)

func pep503(name string) string {
	return strings.ToLower(pep503Sep.ReplaceAllString(name, "-"))
}
