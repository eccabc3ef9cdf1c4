package maven

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
)

// model is a POM's effective model: parents inherited, properties
// interpolated, BOMs imported, management injected into its dependencies.
type model struct {
	coord Coord
	// deps are the POM's dependencies with versions and scopes filled
	// from its management.
	deps []dependency
	// managed is its <dependencyManagement>, imports expanded, by key.
	managed map[string]dependency
	// order is managed's keys in declaration order.
	order []string
	// problems are the parents and BOMs that could not be read: the
	// model was built without them.
	problems []*Error
	// relocated is where a relocation POM says the artifact moved; such a
	// model has nothing else.
	relocated *Coord
}

// loader builds effective models for one resolution, each POM fetched and
// each model built once.
type loader struct {
	repo Repository
	ws   fs.FS

	wsOnce  sync.Once
	wsIndex map[Coord]string

	// parsed, when set, holds released POMs parsed by earlier loaders.
	parsed *memory[*pom]

	mu     sync.Mutex
	raws   map[Coord]*entry[*pom]
	models map[Coord]*entry[*model]
	wsPOMs map[string]*entry[wsFile]
}

// wsFile is a workspace POM as read by wsPOM.
type wsFile struct {
	pom *pom
	// readErr is why the file could not be read.
	readErr error
}

// entry is a value computed once for every caller of its key.
type entry[V any] struct {
	done chan struct{}
	v    V
	err  error
}

func newLoader(repo Repository, ws fs.FS) *loader {
	return &loader{repo: repo, ws: ws, raws: map[Coord]*entry[*pom]{}, models: map[Coord]*entry[*model]{},
		wsPOMs: map[string]*entry[wsFile]{}}
}

// once returns the value of c in m: computed by compute for the first
// caller, waited for by the others (until ctx is done).
func once[K comparable, V any](ctx context.Context, mu *sync.Mutex, m map[K]*entry[V], c K, compute func() (V, error)) (V, error) {
	mu.Lock()
	e, ok := m[c]
	if !ok {
		e = &entry[V]{done: make(chan struct{})}
		m[c] = e
	}
	mu.Unlock()
	if ok {
		select {
		case <-e.done:
			return e.v, e.err
		case <-ctx.Done():
			var zero V
			return zero, ctx.Err()
		}
	}
	defer close(e.done)
	e.v, e.err = compute()
	return e.v, e.err
}

// fetch returns the parsed POM of c from the repository, once per c.
func (l *loader) fetch(ctx context.Context, c Coord) (*pom, error) {
	return once(ctx, &l.mu, l.raws, c, func() (*pom, error) {
		if !c.valid() {
			return nil, &Error{Kind: Unresolved, Coordinate: c.String(), Err: errors.New("not a valid coordinate")}
		}
		if l.repo == nil {
			return nil, &Error{Kind: Unavailable, Coordinate: c.String(), Err: errors.New("no repository configured")}
		}
		keep := l.parsed != nil && !c.Snapshot()
		if keep {
			if p, ok := l.parsed.get(c.String()); ok {
				return p, nil
			}
		}
		data, err := l.repo.FetchPOM(ctx, c)
		if err != nil {
			return nil, &Error{Kind: kindOf(err), Coordinate: c.String(), Err: err}
		}
		p, err := parsePOM(c.String(), data)
		if err != nil {
			return nil, err
		}
		p.remote = true
		for i := range p.Deps {
			p.Deps[i].remote = true
		}
		for i := range p.Managed {
			p.Managed[i].remote = true
		}
		if keep {
			l.parsed.put(c.String(), p, len(data))
		}
		return p, nil
	})
}

// remoteModel returns the effective model of c: the workspace's module of
// that coordinate, else the repository's POM.
func (l *loader) remoteModel(ctx context.Context, c Coord, imports []Coord) (*model, error) {
	return once(ctx, &l.mu, l.models, c, func() (*model, error) {
		if p, wsPath, ok := l.workspaceModel(ctx, c); ok {
			return l.build(ctx, p, wsPath, imports)
		}
		p, err := l.fetch(ctx, c)
		if err != nil {
			return nil, err
		}
		if r := p.Relocation; r != nil {
			to := c
			if r.GroupID != "" {
				to.GroupID = r.GroupID
			}
			if r.ArtifactID != "" {
				to.ArtifactID = r.ArtifactID
			}
			if r.Version != "" {
				to.Version = r.Version
			}
			if to != c {
				return &model{coord: c, relocated: &to}, nil
			}
		}
		return l.build(ctx, p, "", imports)
	})
}

// build computes the effective model of p, read from workspace path
// wsPath ("" for a POM from a repository). imports are the BOMs being
// imported above this one, to stop a cycle of imports.
func (l *loader) build(ctx context.Context, p *pom, wsPath string, imports []Coord) (*model, error) {
	// The chain of ancestors, child first.
	var problems []*Error
	chain := []*pom{p}
	seen := map[Coord]bool{}
	cur, curPath := p, wsPath
	for cur.Parent != nil {
		ref := cur.Parent
		pc := Coord{ref.GroupID, ref.ArtifactID, ref.Version}
		if seen[pc] || (pc.GroupID == p.GroupID && pc.ArtifactID == p.ArtifactID && pc.Version == p.Version) {
			problems = append(problems, &Error{Kind: ParentCycle, Coordinate: pc.String(), Err: fmt.Errorf("parent of %s", cur.File)})
			break
		}
		seen[pc] = true
		parent, parentPath, err := l.parent(ctx, ref, curPath)
		if err != nil {
			// Built without the rest of the chain: what the POMs read
			// so far say is kept, and the graph is partial.
			problems = append(problems, asError(wrapParent(err, cur.File), pc.String(), nil))
			break
		}
		chain = append(chain, parent)
		cur, curPath = parent, parentPath
	}

	// Inheritance, from the top ancestor down: the child's values win.
	var (
		props = map[string]string{}
		// propFrom is, by property, the coordinate of the POM from a
		// repository that defines it ("" for the workspace's POMs).
		propFrom = map[string]string{}
		deps     []dependency
		managed  []dependency
		coord    Coord
		pkg      string
	)
	for i := len(chain) - 1; i >= 0; i-- {
		c := chain[i]
		if c.GroupID != "" {
			coord.GroupID = c.GroupID
		}
		if c.Version != "" {
			coord.Version = c.Version
		}
		coord.ArtifactID = c.ArtifactID
		pkg = c.Packaging
		for k, v := range c.Properties {
			props[k] = v
			propFrom[k] = ""
			if c.remote {
				propFrom[k] = c.File
			}
		}
		deps = mergeDeps(c.Deps, deps)
		managed = mergeDeps(c.Managed, managed)
	}
	if p.Parent != nil {
		if p.GroupID == "" {
			coord.GroupID = p.Parent.GroupID
		}
		if p.Version == "" {
			coord.Version = p.Parent.Version
		}
		props["project.parent.groupId"] = p.Parent.GroupID
		props["project.parent.artifactId"] = p.Parent.ArtifactID
		props["project.parent.version"] = p.Parent.Version
		props["parent.version"] = p.Parent.Version
	}
	if pkg == "" {
		pkg = "jar"
	}
	for _, pre := range []string{"project.", "pom.", ""} {
		props[pre+"groupId"] = coord.GroupID
		props[pre+"artifactId"] = coord.ArtifactID
		props[pre+"version"] = coord.Version
	}
	props["project.packaging"] = pkg
	// The model's own coordinates are set by its POM, whoever defined a
	// property of the same name: ${project.version} in a parent's entry
	// is the child's version.
	own := ""
	if p.remote {
		own = p.File
	}
	for _, k := range []string{"project.parent.groupId", "project.parent.artifactId", "project.parent.version", "parent.version",
		"project.groupId", "project.artifactId", "project.version", "pom.groupId", "pom.artifactId", "pom.version",
		"groupId", "artifactId", "version", "project.packaging"} {
		propFrom[k] = own
	}
	in := interpolator(props)
	coord.GroupID, coord.Version = in.expand(coord.GroupID), in.expand(coord.Version)
	if coord.GroupID == "" || coord.ArtifactID == "" || coord.Version == "" {
		return nil, &Error{Kind: Malformed, Coordinate: p.File, Err: errors.New("groupId, artifactId or version missing")}
	}

	// Interpolated once, into a copy: managed may share its array with a
	// parsed POM's.
	expanded := make([]dependency, len(managed))
	for i, d := range managed {
		expanded[i] = in.dep(d)
		expanded[i].from, expanded[i].imported = in.origin(d.Version, declaredIn(d), propFrom), false
	}
	m := &model{coord: coord, managed: map[string]dependency{}, problems: problems}
	for _, d := range expanded {
		if d.Scope == "import" {
			continue
		}
		if _, ok := m.managed[d.key()]; !ok {
			m.managed[d.key()] = d
			m.order = append(m.order, d.key())
		}
	}
	// BOM imports, in order: the first import that manages a key wins,
	// and the POM's own entries win over every import.
	for _, d := range expanded {
		if d.Scope != "import" || d.Type != "pom" {
			continue
		}
		bc := Coord{d.GroupID, d.ArtifactID, d.Version}
		if slices.Contains(imports, bc) || bc == coord {
			m.problems = append(m.problems, &Error{Kind: ParentCycle, Coordinate: bc.String(), Err: errors.New("BOM imports itself")})
			continue
		}
		bom, err := l.remoteModel(ctx, bc, append(append([]Coord(nil), imports...), coord))
		if err != nil {
			m.problems = append(m.problems, asError(annotate(err, "BOM imported by %s", p.File), bc.String(), nil))
			continue
		}
		m.problems = append(m.problems, bom.problems...)
		_, bomInWorkspace := l.workspaceIndex()[bc]
		for _, k := range bom.order {
			if _, ok := m.managed[k]; ok {
				continue
			}
			md := bom.managed[k]
			switch {
			case bomInWorkspace && !md.remote:
				// A BOM that is one of the workspace's modules: the
				// line to change is its own entry.
			case bomInWorkspace:
				// Inherited by the workspace's BOM from a POM in a
				// repository (md.from): the line to change is the
				// import.
				md.File, md.Line, md.remote = d.File, d.Line, d.remote
			default:
				// The line to change for an imported version is the
				// import; the BOM sets it.
				md.File, md.Line, md.remote = d.File, d.Line, d.remote
				md.from, md.imported = bc.String(), true
			}
			m.managed[k] = md
			m.order = append(m.order, k)
		}
	}
	for _, d := range deps {
		raw := d.Version
		d = in.dep(d)
		d.from, d.imported = "", false
		if raw != "" {
			d.from = in.origin(raw, declaredIn(d), propFrom)
		}
		if md, ok := m.managed[d.key()]; ok {
			if d.Version == "" {
				d.Version, d.from = md.Version, md.from
				if md.imported && !md.remote {
					// Managed by a BOM the workspace imports: the
					// line to change is the import.
					d.File, d.Line, d.remote = md.File, md.Line, false
				}
			}
			if d.Scope == "" {
				d.Scope = md.Scope
			}
			d.Exclusions = append(d.Exclusions, md.Exclusions...)
		}
		if d.Scope == "" {
			d.Scope = "compile"
		}
		m.deps = append(m.deps, d)
	}
	return m, nil
}

// wrapParent says which POM needed the parent that failed.
func wrapParent(err error, child string) error {
	return annotate(err, "parent of %s", child)
}

// annotate adds what needed it to the *Error in err, keeping its kind and
// coordinate; another error is wrapped with the context.
func annotate(err error, format string, args ...any) error {
	var e *Error
	if !errors.As(err, &e) {
		return wrapf(err, format, args...)
	}
	out := *e
	if out.Err == nil {
		out.Err = fmt.Errorf(format, args...)
	} else {
		out.Err = fmt.Errorf(format+": %w", append(args, e.Err)...)
	}
	return &out
}

// parent finds a parent POM: in the workspace at its relative path when
// the POM there is that parent, else in the repository.
func (l *loader) parent(ctx context.Context, ref *parentRef, childPath string) (*pom, string, error) {
	if childPath != "" && ref.RelativePath != "" && l.ws != nil {
		p := parentPath(childPath, ref.RelativePath)
		if fs.ValidPath(p) {
			if pp, readErr, err := l.wsPOM(p); readErr == nil {
				if err != nil {
					return nil, "", err
				}
				if pp.coord() == (Coord{ref.GroupID, ref.ArtifactID, ref.Version}) {
					return pp, p, nil
				}
			}
		}
	}
	pp, err := l.fetch(ctx, Coord{ref.GroupID, ref.ArtifactID, ref.Version})
	return pp, "", err
}

// parentPath is the workspace path of the parent POM that the POM at
// childPath names by relativePath rel: a folder means its pom.xml.
func parentPath(childPath, rel string) string {
	p := path.Join(path.Dir(childPath), rel)
	if !strings.HasSuffix(p, ".xml") {
		p = path.Join(p, "pom.xml")
	}
	return p
}

// coord is p's coordinate as written, its groupId and version taken from
// <parent> when absent; properties are not expanded.
func (p *pom) coord() Coord {
	c := Coord{p.GroupID, p.ArtifactID, p.Version}
	if p.Parent != nil {
		if c.GroupID == "" {
			c.GroupID = p.Parent.GroupID
		}
		if c.Version == "" {
			c.Version = p.Parent.Version
		}
	}
	return c
}

// mergeDeps is the child's entries, then the parent's whose key the child
// does not declare (Maven's inheritance of dependencies and management).
func mergeDeps(child, parent []dependency) []dependency {
	if len(parent) == 0 {
		return child
	}
	keys := map[string]bool{}
	out := make([]dependency, 0, len(child)+len(parent))
	for _, d := range child {
		keys[d.key()] = true
		out = append(out, d)
	}
	for _, d := range parent {
		if !keys[d.key()] {
			out = append(out, d)
		}
	}
	return out
}

// interpolator expands ${name} from a model's properties.
type interpolator map[string]string

// maxExpanded bounds what a value may grow to by expansion: a property
// defined as several copies of itself would otherwise grow exponentially.
const maxExpanded = 16 << 10

// expand replaces every ${name} it knows, recursively (to a depth of 10);
// an unknown one is left as written, and so is a value that would grow
// past maxExpanded.
func (in interpolator) expand(s string) string {
	orig := s
	for range 10 {
		if !strings.Contains(s, "${") {
			return s
		}
		var b strings.Builder
		changed := false
		rest := s
		for {
			i := strings.Index(rest, "${")
			if i < 0 {
				b.WriteString(rest)
				break
			}
			j := strings.IndexByte(rest[i:], '}')
			if j < 0 {
				b.WriteString(rest)
				break
			}
			name := rest[i+2 : i+j]
			b.WriteString(rest[:i])
			if v, ok := in[name]; ok {
				if b.Len()+len(v) > maxExpanded {
					return orig
				}
				b.WriteString(v)
				changed = true
			} else {
				b.WriteString(rest[i : i+j+1])
			}
			rest = rest[i+j+1:]
		}
		s = b.String()
		if !changed {
			return s
		}
	}
	return s
}

// declaredIn is the coordinate of the POM from a repository that declares
// d, "" for a workspace POM.
func declaredIn(d dependency) string {
	if d.remote {
		return d.File
	}
	return ""
}

// origin is the coordinate of the POM from a repository that sets the
// value s, written in a POM whose coordinate is decl ("" for a workspace
// POM): decl for a value without properties, else the POM defining the
// first property s refers to (directly, or through the workspace's own
// properties) that a POM from a repository defines; "" when the
// workspace defines them all. propFrom is by property the POM defining
// it, as in build. An undefined property sets nothing.
func (in interpolator) origin(s, decl string, propFrom map[string]string) string {
	if !strings.Contains(s, "${") {
		return decl
	}
	seen := map[string]bool{}
	var walk func(s string, depth int) string
	walk = func(s string, depth int) string {
		if depth > 10 {
			return ""
		}
		for rest := s; ; {
			i := strings.Index(rest, "${")
			if i < 0 {
				return ""
			}
			j := strings.IndexByte(rest[i:], '}')
			if j < 0 {
				return ""
			}
			name := rest[i+2 : i+j]
			rest = rest[i+j+1:]
			v, ok := in[name]
			if !ok || seen[name] {
				continue
			}
			seen[name] = true
			if f := propFrom[name]; f != "" {
				return f
			}
			if f := walk(v, depth+1); f != "" {
				return f
			}
		}
	}
	return walk(s, 0)
}

// dep expands the properties in every field of d.
func (in interpolator) dep(d dependency) dependency {
	d.GroupID, d.ArtifactID, d.Version = in.expand(d.GroupID), in.expand(d.ArtifactID), in.expand(d.Version)
	d.Type, d.Classifier, d.Scope, d.Optional = in.expand(d.Type), in.expand(d.Classifier), in.expand(d.Scope), in.expand(d.Optional)
	if len(d.Exclusions) > 0 {
		ex := make([]exclusion, len(d.Exclusions))
		for i, e := range d.Exclusions {
			ex[i] = exclusion{in.expand(e.GroupID), in.expand(e.ArtifactID)}
		}
		d.Exclusions = ex
	}
	return d
}
