package maven

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"

	"github.com/google/osv-scalibr/semantic"

	"github.com/switchboard-dev/switchboard/depfile"
)

// Repository is where POMs the workspace lacks come from: Remote (Maven
// repositories over HTTP), Cached (Remote behind the Postgres cache), or a
// test's own.
type Repository interface {
	// FetchPOM returns the POM of c. It returns an error matching
	// ErrNotFound when no repository has it, and ErrUnavailable (or any
	// other error) when one could not answer.
	FetchPOM(ctx context.Context, c Coord) ([]byte, error)
	// Versions lists the versions the repositories know of groupID:artifactID
	// (maven-metadata.xml), for version ranges.
	Versions(ctx context.Context, groupID, artifactID string) ([]string, error)
}

// DefaultMaxDepth bounds a graph's depth when Resolver.MaxDepth is 0.
const DefaultMaxDepth = 64

// Resolver resolves projects' dependency graphs. It is safe for concurrent
// use; each Resolve fetches each POM at most once.
type Resolver struct {
	// Repo serves the POMs the workspace lacks; nil means none (every
	// such POM is a Problem).
	Repo Repository
	// MaxDepth bounds the depth of the graph (DefaultMaxDepth when 0).
	MaxDepth int
	// Parallel is how many POMs of one level are fetched at once (8 when
	// 0).
	Parallel int

	// parsed holds the parse of released POMs fetched from Repo, shared by
	// every session: a released POM never changes, and a parsed POM is
	// never modified.
	parsedOnce sync.Once
	parsed     *memory[*pom]
}

// parsedBytes bounds the parsed POMs a Resolver keeps, counted by the size
// of the POMs they were parsed from.
const parsedBytes = 16 << 20

// parsedPOMs returns the resolver's parsed POMs.
func (r *Resolver) parsedPOMs() *memory[*pom] {
	r.parsedOnce.Do(func() { r.parsed = newMemory[*pom](parsedBytes) })
	return r.parsed
}

// Result is a resolved graph.
type Result struct {
	// Project is the project's own coordinate.
	Project Coord
	// File is the pom.xml resolved (the path given to Resolve).
	File string
	// Deps are the resolved artifacts in breadth-first order (the direct
	// ones first, in declaration order), each once, Ecosystem depfile.Maven.
	// Scope is the Maven scope ("test", "provided", "runtime", "system"),
	// empty for compile; a transitive dependency of a test dependency is
	// "test". File and Line: for a direct dependency its declaration (the
	// project's <parent> when inherited from a parent in a repository),
	// or, when its version comes from a BOM from a repository that the
	// workspace imports, the import; for a transitive one the declaration
	// in the workspace that decides its version (the project's
	// <dependencyManagement> entry or BOM import), else the direct
	// dependency it comes through. VersionFrom names the parent or BOM
	// from a repository that sets the version, when one does (see
	// depfile.Dependency.VersionFrom).
	Deps []depfile.Dependency
	// Problems are the parts that could not be resolved; the graph is
	// partial when there is any.
	Problems []*Error
}

// Partial reports whether part of the graph could not be resolved.
func (r *Result) Partial() bool { return len(r.Problems) > 0 }

// Err returns the problems joined, or nil for a complete graph.
func (r *Result) Err() error {
	errs := make([]error, len(r.Problems))
	for i, p := range r.Problems {
		errs[i] = p
	}
	return errors.Join(errs...)
}

// node is one artifact of the graph being collected.
type node struct {
	coord Coord
	key   string
	dep   dependency
	scope string
	depth int
	via   []string
	// excl is every exclusion on the path from the project to here,
	// this node's own included.
	excl []exclusion
	// out is the index of the node in Result.Deps.
	out int
	// dropped: relocated onto an artifact already in the graph.
	dropped bool
}

// Resolve resolves the project whose pom.xml is at pomPath in ws (the
// repository's files; parents are looked for there by relativePath, and
// dependencies on the workspace's other modules resolve to them). It
// returns an error only when the project's own POM cannot be read; every
// other failure makes the result partial (Result.Problems).
func (r *Resolver) Resolve(ctx context.Context, ws fs.FS, pomPath string) (*Result, error) {
	return r.Session(ws).Resolve(ctx, pomPath)
}

// Session resolves several projects of one workspace (the pom.xml files of
// a repository), fetching each POM and building each model once for all.
// It is safe for concurrent use.
type Session struct {
	r *Resolver
	l *loader
}

// Session starts resolving projects of ws.
func (r *Resolver) Session(ws fs.FS) *Session {
	l := newLoader(r.Repo, ws)
	l.parsed = r.parsedPOMs()
	return &Session{r: r, l: l}
}

// Resolve resolves the project at pomPath, as Resolver.Resolve.
func (s *Session) Resolve(ctx context.Context, pomPath string) (*Result, error) {
	p, readErr, err := s.l.wsPOM(pomPath)
	if readErr != nil {
		return nil, fmt.Errorf("read %s: %w", pomPath, readErr)
	}
	if err != nil {
		return nil, err
	}
	return s.r.resolve(ctx, s.l, pomPath, p), nil
}

// resolve collects the graph of the parsed project p.
func (r *Resolver) resolve(ctx context.Context, l *loader, pomPath string, p *pom) *Result {
	res := &Result{File: pomPath, Project: Coord{p.GroupID, p.ArtifactID, p.Version}}
	root, err := l.build(ctx, p, pomPath, nil)
	if err != nil {
		res.Problems = append(res.Problems, asError(err, pomPath, nil))
		// Without its parents the project's own declarations still say
		// something: its dependencies as written, unresolved.
		for _, d := range p.Deps {
			res.Deps = append(res.Deps, depfile.Dependency{Ecosystem: depfile.Maven, Name: d.GroupID + ":" + d.ArtifactID,
				Version: d.Version, Scope: scopeOf(d.Scope), File: d.File, Line: d.Line, Direct: true})
		}
		return res
	}
	res.Project = root.coord
	res.Problems = append(res.Problems, root.problems...)
	maxDepth := r.MaxDepth
	if maxDepth <= 0 {
		maxDepth = DefaultMaxDepth
	}
	par := r.Parallel
	if par <= 0 {
		par = 8
	}

	seen := map[string]*node{}
	occurs := map[*node][]occurrence{}
	var level, all []*node
	add := func(n *node) {
		seen[n.key] = n
		all = append(all, n)
		n.out = len(res.Deps)
		d := depfile.Dependency{Ecosystem: depfile.Maven, Name: n.coord.Name(), Version: n.coord.Version,
			Scope: scopeOf(n.scope), Direct: n.depth == 1, Via: n.via, VersionFrom: n.dep.from}
		if !n.dep.remote {
			d.File, d.Line = n.dep.File, n.dep.Line
		}
		res.Deps = append(res.Deps, d)
		level = append(level, n)
	}
	for _, d := range root.deps {
		if d.Scope == "import" {
			continue
		}
		if _, dup := seen[d.key()]; dup {
			continue
		}
		if d.remote && p.Parent != nil {
			// Inherited from a parent in a repository: the line to
			// change is the project's <parent>.
			d.File, d.Line, d.remote = pomPath, p.Parent.Line, false
		}
		n := &node{dep: d, key: d.key(), scope: d.Scope, depth: 1, excl: d.Exclusions}
		n.coord = r.version(ctx, l, d, nil, res)
		add(n)
	}
	for depth := 1; len(level) > 0 && depth < maxDepth; depth++ {
		cur := level
		level = nil
		models := r.expand(ctx, l, cur, par)
		for i, n := range cur {
			m, err := models[i].m, models[i].err
			if err != nil {
				res.Problems = append(res.Problems, asError(err, n.coord.String(), n.via))
				continue
			}
			m, err = r.relocate(ctx, l, n, m, seen, res)
			if err != nil {
				res.Problems = append(res.Problems, asError(err, n.coord.String(), n.via))
				continue
			}
			if m == nil {
				continue
			}
			via := append(append([]string(nil), n.via...), n.coord.Name()+"@"+n.coord.Version)
			for _, pr := range m.problems {
				res.Problems = append(res.Problems, asError(pr, n.coord.String(), via))
			}
			for _, c := range m.deps {
				if c.Scope == "test" || c.Scope == "provided" || c.Scope == "system" || c.Scope == "import" || c.isOptional() {
					continue
				}
				if excluded(n.excl, c) {
					continue
				}
				scope := c.Scope
				// The project's management decides versions and scopes
				// of transitive dependencies.
				decl := n.dep
				from := ""
				if md, ok := root.managed[c.key()]; ok {
					if md.Version != "" {
						c.Version, from = md.Version, md.from
					}
					if md.Scope != "" {
						scope = md.Scope
					}
					c.Exclusions = append(c.Exclusions, md.Exclusions...)
					if !md.remote {
						decl = md
					}
				}
				if w, ok := seen[c.key()]; ok {
					// Nearest wins; a loser may still widen the
					// winner's scope (below).
					occurs[w] = append(occurs[w], occurrence{n, scope})
					continue
				}
				cn := &node{dep: c, key: c.key(), scope: derive(n.scope, scope), depth: n.depth + 1, via: via,
					excl: append(append([]exclusion(nil), n.excl...), c.Exclusions...)}
				cn.coord = r.version(ctx, l, c, via, res)
				cn.dep.File, cn.dep.Line, cn.dep.remote, cn.dep.from = decl.File, decl.Line, decl.remote, from
				add(cn)
				occurs[cn] = append(occurs[cn], occurrence{n, scope})
			}
		}
	}
	// A transitive dependency takes the widest scope it is reached with
	// from the graph's nodes (Maven's JavaScopeSelector), each parent's
	// own scope final: widen until nothing changes (scopes only widen).
	for changed := true; changed; {
		changed = false
		for _, n := range all {
			if n.depth == 1 {
				continue
			}
			for _, o := range occurs[n] {
				if s := derive(o.parent.scope, o.declared); wider(s, n.scope) {
					n.scope, changed = s, true
				}
			}
		}
	}
	for _, n := range all {
		res.Deps[n.out].Scope = scopeOf(n.scope)
	}
	// Drop the nodes relocated onto others.
	out := res.Deps[:0]
	for i, d := range res.Deps {
		if !all[i].dropped {
			out = append(out, d)
		}
	}
	res.Deps = out
	return res
}

// relocate follows relocation POMs from n's model (up to 8): n becomes
// the artifact it moved to, or is dropped (nil model) when that artifact
// is already in the graph.
func (r *Resolver) relocate(ctx context.Context, l *loader, n *node, m *model, seen map[string]*node, res *Result) (*model, error) {
	for range 8 {
		if m == nil || m.relocated == nil {
			return m, nil
		}
		to := *m.relocated
		d := n.dep
		d.GroupID, d.ArtifactID, d.Version = to.GroupID, to.ArtifactID, to.Version
		if w, ok := seen[d.key()]; ok && w != n {
			n.dropped = true
			return nil, nil
		}
		delete(seen, n.key)
		n.dep, n.coord, n.key = d, to, d.key()
		seen[n.key] = n
		res.Deps[n.out].Name, res.Deps[n.out].Version = to.Name(), to.Version
		var err error
		if m, err = l.remoteModel(ctx, to, nil); err != nil {
			return nil, err
		}
	}
	return nil, &Error{Kind: Unresolved, Coordinate: n.coord.String(), Err: errors.New("too many relocations")}
}

// occurrence is one place a dependency is reached: from parent, declared
// (after the project's management) with scope declared.
type occurrence struct {
	parent   *node
	declared string
}

type expanded struct {
	m   *model
	err error
}

// expand builds the models of a level's nodes, par at a time; a node that
// is not followed (test or provided below the top, unresolved version)
// gets none.
func (r *Resolver) expand(ctx context.Context, l *loader, nodes []*node, par int) []expanded {
	out := make([]expanded, len(nodes))
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	for i, n := range nodes {
		if n.coord.Version == "" || isRange(n.coord.Version) || n.scope == "system" {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			m, err := l.remoteModel(ctx, n.coord, nil)
			out[i] = expanded{m, err}
		}()
	}
	wg.Wait()
	return out
}

// version decides the version of dependency d: as written, or the highest
// listed version in its range. An undecidable one is recorded as a
// Problem and left as written (the node is then not followed).
func (r *Resolver) version(ctx context.Context, l *loader, d dependency, via []string, res *Result) Coord {
	c := Coord{d.GroupID, d.ArtifactID, d.Version}
	switch {
	case c.Version == "":
		res.Problems = append(res.Problems, &Error{Kind: Unresolved, Coordinate: c.Name(), Via: via, Err: errors.New("no version given or managed")})
	case strings.Contains(c.Version, "${"):
		res.Problems = append(res.Problems, &Error{Kind: Unresolved, Coordinate: c.String(), Via: via, Err: errors.New("undefined property")})
	case isRange(c.Version):
		v, err := r.pickRange(ctx, c)
		if err != nil {
			res.Problems = append(res.Problems, &Error{Kind: Unresolved, Coordinate: c.String(), Via: via, Err: err})
			return c
		}
		c.Version = v
	}
	return c
}

// isRange reports whether v is a version range.
func isRange(v string) bool { return strings.ContainsAny(v, "[(") }

// pickRange returns the highest version the repository lists within the
// single range c.Version ("[1.0,2.0)", "[1.2,)", "(,1.5]", "[1.2]").
func (r *Resolver) pickRange(ctx context.Context, c Coord) (string, error) {
	lo, hi, loIncl, hiIncl, err := parseRange(c.Version)
	if err != nil {
		return "", err
	}
	if r.Repo == nil {
		return "", errors.New("no repository to list versions")
	}
	versions, err := r.Repo.Versions(ctx, c.GroupID, c.ArtifactID)
	if err != nil {
		return "", wrapf(err, "list versions of %s", c.Name())
	}
	best := ""
	var bestV semantic.Version
	for _, v := range versions {
		sv, err := semantic.Parse(v, "Maven")
		if err != nil {
			continue
		}
		if lo != "" {
			cmp, err := sv.CompareStr(lo)
			if err != nil || cmp < 0 || (cmp == 0 && !loIncl) {
				continue
			}
		}
		if hi != "" {
			cmp, err := sv.CompareStr(hi)
			if err != nil || cmp > 0 || (cmp == 0 && !hiIncl) {
				continue
			}
		}
		if best != "" {
			if cmp, err := bestV.CompareStr(v); err != nil || cmp >= 0 {
				continue
			}
		}
		best, bestV = v, sv
	}
	if best == "" {
		return "", fmt.Errorf("no listed version in %s", c.Version)
	}
	return best, nil
}

// parseRange reads one Maven version range.
func parseRange(s string) (lo, hi string, loIncl, hiIncl bool, err error) {
	s = strings.TrimSpace(s)
	if len(s) < 3 || strings.Count(s, "[")+strings.Count(s, "(") != 1 {
		return "", "", false, false, fmt.Errorf("version range %q: only a single range is supported", s)
	}
	loIncl, hiIncl = s[0] == '[', s[len(s)-1] == ']'
	if (s[0] != '[' && s[0] != '(') || (s[len(s)-1] != ']' && s[len(s)-1] != ')') {
		return "", "", false, false, fmt.Errorf("version range %q: malformed", s)
	}
	inner := s[1 : len(s)-1]
	lo, hi, found := strings.Cut(inner, ",")
	lo, hi = strings.TrimSpace(lo), strings.TrimSpace(hi)
	if !found {
		// [1.2]: exactly that version.
		if !loIncl || !hiIncl || lo == "" {
			return "", "", false, false, fmt.Errorf("version range %q: malformed", s)
		}
		return lo, lo, true, true, nil
	}
	return lo, hi, loIncl, hiIncl, nil
}

// excluded reports whether d matches one of excl ("*" matches any part).
func excluded(excl []exclusion, d dependency) bool {
	for _, e := range excl {
		if (e.GroupID == "*" || e.GroupID == d.GroupID) && (e.ArtifactID == "*" || e.ArtifactID == d.ArtifactID) {
			return true
		}
	}
	return false
}

// derive is the scope of a transitive dependency declared with scope
// child by a dependency of scope parent (Maven's table).
func derive(parent, child string) string {
	switch parent {
	case "compile":
		return child
	case "runtime":
		if child == "compile" {
			return "runtime"
		}
		return child
	}
	// provided and test pass themselves on.
	return parent
}

// width orders scopes from the narrowest to the widest.
var width = map[string]int{"test": 1, "provided": 2, "runtime": 3, "compile": 4}

// wider reports whether scope a is wider than b.
func wider(a, b string) bool { return width[a] > width[b] }

// scopeOf is depfile's Scope for a Maven scope: empty for compile.
func scopeOf(s string) string {
	if s == "compile" {
		return ""
	}
	return s
}

// asError makes err an *Error about coordinate, needed through via.
func asError(err error, coordinate string, via []string) *Error {
	var e *Error
	if errors.As(err, &e) {
		out := *e
		out.Via = via
		if out.Coordinate == "" {
			out.Coordinate = coordinate
		}
		return &out
	}
	return &Error{Kind: kindOf(err), Coordinate: coordinate, Via: via, Err: err}
}
