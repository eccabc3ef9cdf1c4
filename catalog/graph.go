package catalog

import (
	"cmp"
	"context"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/sync/singleflight"

	"github.com/switchboard-dev/switchboard/manifest"
)

// Edge kinds: where an edge of the service graph comes from.
const (
	// EdgeDependsOn is declared: Backstage spec.dependsOn (or the other
	// service's spec.dependencyOf), OpsLevel dependencies.
	EdgeDependsOn = "dependsOn"
	// EdgeAPI is declared: the service consumes an API (spec.consumesApis)
	// that the other provides (spec.providesApis).
	EdgeAPI = "api"
	// EdgePackage is inferred: the service's repo depends on a package
	// that the other service's repo publishes.
	EdgePackage = "package"
)

// Relations a descriptor service declares (service_relations.relation).
const (
	relDependsOn    = "dependsOn"
	relDependencyOf = "dependencyOf"
	relConsumesAPI  = "consumesApi"
	relProvidesAPI  = "providesApi"
)

// Edge is one reason why service From depends on service To.
type Edge struct {
	// From depends on To. To is 0 when the edge is unresolved: the
	// reference names nothing in the catalog (a resource, a service not
	// catalogued, an API no service provides); Target says what.
	From, To int64
	// Kind is EdgeDependsOn, EdgeAPI or EdgePackage.
	Kind string
	// Target is what the edge names: the entity reference as resolved
	// ("component:default/auth-service", "resource:default/orders-db"),
	// the API reference ("api:default/auth-api"), or the package
	// ("maven example.acme:acme-logging").
	Target string
	// Origin says where the edge comes from, for people to read:
	// "catalog-info.yaml: spec.dependsOn component:auth-service",
	// "pom.xml:14 depends on example.acme:acme-logging, published by
	// acme/platform/logging-lib (pom.xml:5)".
	Origin string
	// File and Line are where the edge is declared in From's repo (Line 0
	// when unknown); for a spec.dependencyOf edge, in To's.
	File string
	Line int
	// Transitive marks a package edge that comes through another package
	// (or whose file does not say that it is direct).
	Transitive bool
}

// Resolved reports whether the edge's target is a catalogued service.
func (e Edge) Resolved() bool { return e.To != 0 }

// Dependent is a service that depends, directly or not, on another.
type Dependent struct {
	// Service is the dependent service (Team is its owning team's name).
	Service Service
	// TeamChannel is the owning team's Slack channel ("" when none).
	TeamChannel string
	// Depth is 1 for a direct dependent, 2 for one that depends on a
	// direct dependent, and so on: the shortest path.
	Depth int
	// Via are the edges from this service to services one step closer
	// (Depth-1; the service asked about at Depth 1) that bring it in.
	Via []Edge
	// Cycle is true when the service is also, transitively, a dependency
	// of the service asked about: they are on a cycle.
	Cycle bool
}

// ServiceDependency is a service (or an unresolved reference) that a
// service depends on directly.
type ServiceDependency struct {
	// Service is the service depended on; its ID is 0 when unresolved.
	Service Service
	// TeamChannel is the owning team's Slack channel ("" when none).
	TeamChannel string
	// Target is Edges[0].Target: what an unresolved edge names.
	Target string
	// Edges are the reasons, declared first.
	Edges []Edge
	// Cycle is true when the service depended on also depends,
	// transitively, on the one asked about.
	Cycle bool
}

// Resolved reports whether the dependency is a catalogued service.
func (d ServiceDependency) Resolved() bool { return d.Service.ID != 0 }

// graph is the service graph in memory: every edge, indexed both ways
// over dense node numbers, so that a walk of 10,000 services uses slices,
// not maps.
type graph struct {
	edges []Edge
	ids   []int64         // node -> service id
	node  map[int64]int32 // service id -> node
	out   [][]int32       // node -> edges from it
	in    [][]int32       // node -> resolved edges to it
	from  []int32         // edge -> node of From
	to    []int32         // edge -> node of To; -1 when unresolved
	// decoration is set once, before the graph is shared (Cache).
	decoration *decoration
}

func newGraph(edges []Edge) *graph {
	g := &graph{edges: edges, node: map[int64]int32{}, from: make([]int32, len(edges)), to: make([]int32, len(edges))}
	nodeOf := func(id int64) int32 {
		n, ok := g.node[id]
		if !ok {
			n = int32(len(g.ids))
			g.node[id] = n
			g.ids = append(g.ids, id)
			g.out = append(g.out, nil)
			g.in = append(g.in, nil)
		}
		return n
	}
	for i, e := range edges {
		f := nodeOf(e.From)
		g.from[i] = f
		g.out[f] = append(g.out[f], int32(i))
		g.to[i] = -1
		if e.To != 0 {
			t := nodeOf(e.To)
			g.to[i] = t
			g.in[t] = append(g.in[t], int32(i))
		}
	}
	return g
}

// reach walks the graph breadth first from root, along dependents (in) or
// dependencies (out): the nodes reached in order, and each node's depth
// (0 for root, -1 when not reached). A cycle is walked once.
func (g *graph) reach(root int32, dependents bool) (order []int32, depth []int32) {
	depth = make([]int32, len(g.ids))
	for i := range depth {
		depth[i] = -1
	}
	depth[root] = 0
	frontier := []int32{root}
	for d := int32(1); len(frontier) > 0; d++ {
		start := len(order)
		for _, n := range frontier {
			idx := g.out[n]
			if dependents {
				idx = g.in[n]
			}
			for _, i := range idx {
				other := g.to[i]
				if dependents {
					other = g.from[i]
				}
				if other >= 0 && depth[other] < 0 {
					depth[other] = d
					order = append(order, other)
				}
			}
		}
		frontier = order[start:]
	}
	return order, depth
}

// Radius summarises what depends on a service, for an answer that shows
// a page of them: counts by depth and team, the ones on a cycle, and the
// dependents of one page, in Dependents' order.
type Radius struct {
	// Total is how many services depend on it, directly or not.
	Total int
	// ByDepth are the counts at depth 1, 2, ... (ByDepth[0]: direct).
	ByDepth []int
	// Teams are the counts by owning team ("" for no owner).
	Teams map[string]int
	// Cycle are the first dependents (at most maxRadiusCycle) on a cycle
	// with the service, in order; CycleTotal how many there are.
	Cycle      []Service
	CycleTotal int
	// Page are the dependents from the offset asked for, at most the
	// limit asked for.
	Page []Dependent
}

// maxRadiusCycle is how many of the dependents on a cycle Radius names.
const maxRadiusCycle = 10

// dependents walks g from rootID: the dependents in order (by depth, then
// name), and the whole Radius with the page [offset, offset+limit) (limit
// < 0: all of them).
func (g *graph) dependents(rootID int64, info serviceInfo, offset, limit int) Radius {
	var r Radius
	root, ok := g.node[rootID]
	if !ok {
		return r
	}
	d := g.decoration
	if d == nil {
		d = g.decorate(info)
	}
	order, depth := g.reach(root, true)
	_, down := g.reach(root, false)
	type row struct{ n, depth, rank int32 }
	rows := make([]row, len(order))
	r.Teams = map[string]int{}
	for i, n := range order {
		rows[i] = row{n: n, depth: depth[n], rank: d.rank[n]}
		for len(r.ByDepth) < int(depth[n]) {
			r.ByDepth = append(r.ByDepth, 0)
		}
		r.ByDepth[depth[n]-1]++
		r.Teams[d.svc[n].Team]++
	}
	r.Total = len(rows)
	slices.SortFunc(rows, func(a, b row) int { return cmp.Or(cmp.Compare(a.depth, b.depth), cmp.Compare(a.rank, b.rank)) })
	for _, row := range rows {
		if down[row.n] > 0 {
			if r.CycleTotal < maxRadiusCycle {
				r.Cycle = append(r.Cycle, *d.svc[row.n])
			}
			r.CycleTotal++
		}
	}
	offset = min(max(offset, 0), len(rows))
	end := len(rows)
	if limit >= 0 {
		end = min(end, offset+limit)
	}
	r.Page = make([]Dependent, end-offset)
	for i, row := range rows[offset:end] {
		dep := &r.Page[i]
		dep.Service, dep.TeamChannel, dep.Depth, dep.Cycle = *d.svc[row.n], d.ch[row.n], int(row.depth), down[row.n] > 0
		for _, ei := range g.out[row.n] {
			if t := g.to[ei]; t >= 0 && depth[t] == row.depth-1 {
				dep.Via = append(dep.Via, g.edges[ei])
			}
		}
	}
	return r
}

// decoration is, by node, the service, its team's channel and its rank
// in name order (namespace/name without case, then id): what an answer
// sorts and shows. A Cache computes it once per graph; a Store per call.
type decoration struct {
	svc  []*Service
	ch   []string
	rank []int32
}

func (g *graph) decorate(info serviceInfo) *decoration {
	d := &decoration{svc: make([]*Service, len(g.ids)), ch: make([]string, len(g.ids)), rank: make([]int32, len(g.ids))}
	keys := make([]string, len(g.ids))
	byName := make([]int32, len(g.ids))
	for n, id := range g.ids {
		d.svc[n], d.ch[n] = info(id)
		keys[n] = strings.ToLower(d.svc[n].Ref())
		byName[n] = int32(n)
	}
	slices.SortFunc(byName, func(a, b int32) int {
		return cmp.Or(strings.Compare(keys[a], keys[b]), cmp.Compare(g.ids[a], g.ids[b]))
	})
	for rank, n := range byName {
		d.rank[n] = int32(rank)
	}
	return d
}

// dependencies is the body of Dependencies over g.
func (g *graph) dependencies(rootID int64, info serviceInfo) []ServiceDependency {
	root, ok := g.node[rootID]
	if !ok {
		return nil
	}
	_, up := g.reach(root, true)
	var out []ServiceDependency
	at := map[string]int{}
	for _, i := range g.out[root] {
		e := g.edges[i]
		key := "#" + strconv.FormatInt(e.To, 10)
		if e.To == 0 {
			key = strings.ToLower(e.Target)
		}
		j, ok := at[key]
		if !ok {
			j = len(out)
			at[key] = j
			d := ServiceDependency{Target: e.Target}
			if t := g.to[i]; t >= 0 {
				var svc *Service
				svc, d.TeamChannel = info(e.To)
				d.Service = *svc
				d.Cycle = up[t] > 0
			}
			out = append(out, d)
		}
		out[j].Edges = append(out[j].Edges, e)
	}
	name := func(d ServiceDependency) string {
		if d.Resolved() {
			return strings.ToLower(d.Service.Ref())
		}
		return strings.ToLower(d.Target)
	}
	slices.SortStableFunc(out, func(a, b ServiceDependency) int {
		if a.Resolved() != b.Resolved() {
			if a.Resolved() {
				return -1
			}
			return 1
		}
		return strings.Compare(name(a), name(b))
	})
	return out
}

// serviceInfo returns a service of the graph (never nil: one with only
// its ID when unknown) and its team's channel.
type serviceInfo func(id int64) (*Service, string)

// Dependents returns the services that depend on serviceID, directly or
// through others, by depth (each once, at its smallest depth, however
// many paths or cycles lead to it), then by name, with the edges that
// bring each in. The service itself is not among them, even on a cycle.
// It reads the whole graph from the database: catalog.Cache answers from
// memory.
func (s *Store) Dependents(ctx context.Context, serviceID int64) ([]Dependent, error) {
	r, err := s.Radius(ctx, serviceID, 0, -1)
	return r.Page, err
}

// Radius is Dependents summarised, with the dependents [offset,
// offset+limit) only (limit < 0: all).
func (s *Store) Radius(ctx context.Context, serviceID int64, offset, limit int) (Radius, error) {
	g, err := s.loadGraph(ctx)
	if err != nil {
		return Radius{}, fmt.Errorf("dependents of %d: %w", serviceID, err)
	}
	info, err := s.serviceInfo(ctx, g, serviceID, true)
	if err != nil {
		return Radius{}, fmt.Errorf("dependents of %d: %w", serviceID, err)
	}
	return g.dependents(serviceID, info, offset, limit), nil
}

// Dependencies returns what serviceID depends on directly, each service
// (or unresolved reference) once with the edges saying why, resolved
// ones first, by name.
func (s *Store) Dependencies(ctx context.Context, serviceID int64) ([]ServiceDependency, error) {
	g, err := s.loadGraph(ctx)
	if err != nil {
		return nil, fmt.Errorf("dependencies of %d: %w", serviceID, err)
	}
	info, err := s.serviceInfo(ctx, g, serviceID, false)
	if err != nil {
		return nil, fmt.Errorf("dependencies of %d: %w", serviceID, err)
	}
	return g.dependencies(serviceID, info), nil
}

// serviceInfo reads the services an answer about root names: its
// dependents (or its direct dependencies).
func (s *Store) serviceInfo(ctx context.Context, g *graph, root int64, dependents bool) (serviceInfo, error) {
	var ids []int64
	if n, ok := g.node[root]; ok {
		if dependents {
			order, _ := g.reach(n, true)
			for _, o := range order {
				ids = append(ids, g.ids[o])
			}
		} else {
			for _, i := range g.out[n] {
				if e := g.edges[i]; e.To != 0 {
					ids = append(ids, e.To)
				}
			}
		}
	}
	svcs := map[int64]*Service{}
	channels := map[int64]string{}
	if len(ids) > 0 {
		rows, err := s.pool.Query(ctx, serviceSelect+` WHERE s.id = ANY($1)`, ids)
		if err != nil {
			return nil, fmt.Errorf("read services: %w", err)
		}
		list, err := collectServices(rows)
		if err != nil {
			return nil, fmt.Errorf("read services: %w", err)
		}
		for i := range list {
			svcs[list[i].ID] = &list[i]
		}
		rows, err = s.pool.Query(ctx, `SELECT s.id, t.slack_channel FROM services s JOIN teams t ON t.id = s.team_id WHERE s.id = ANY($1)`, ids)
		if err != nil {
			return nil, fmt.Errorf("read team channels: %w", err)
		}
		var (
			id int64
			ch string
		)
		if _, err := pgx.ForEachRow(rows, []any{&id, &ch}, func() error { channels[id] = ch; return nil }); err != nil {
			return nil, fmt.Errorf("read team channels: %w", err)
		}
	}
	return func(id int64) (*Service, string) {
		if svc := svcs[id]; svc != nil {
			return svc, channels[id]
		}
		return &Service{ID: id}, ""
	}, nil
}

// graphQueries read every edge: declared dependsOn and dependencyOf,
// consumed APIs to their providers, and packages a repo depends on to
// the repos that publish them (test and dev scopes left out: they do not
// run in production). Targets that name no service come back with a NULL
// target id: unresolved edges, kept.
const (
	graphDeclared = `
		SELECT r.service_id, r.relation, r.target_kind, r.target_namespace, r.target_name, r.written, r.file, r.by_alias,
		       d.namespace, d.name,
		       COALESCE(t.id, (SELECT a.service_id FROM service_aliases a WHERE r.by_alias AND lower(a.alias) = lower(r.target_name)
		                       ORDER BY a.service_id LIMIT 1))
		FROM service_relations r
		JOIN services d ON d.id = r.service_id
		LEFT JOIN services t ON r.target_kind = 'component' AND t.namespace = r.target_namespace AND lower(t.name) = lower(r.target_name)
		WHERE r.relation IN ('dependsOn', 'dependencyOf')`
	graphAPIs = `
		SELECT c.service_id, c.target_kind || ':' || c.target_namespace || '/' || c.target_name, c.written, c.file, p.service_id
		FROM service_relations c
		LEFT JOIN service_relations p ON p.relation = 'providesApi' AND p.target_kind = c.target_kind
		     AND p.target_namespace = c.target_namespace AND lower(p.target_name) = lower(c.target_name) AND p.service_id <> c.service_id
		WHERE c.relation = 'consumesApi'`
	graphPackages = `
		SELECT ds.service_id, ps.service_id, d.ecosystem, d.name, d.file, d.line, d.direct, d.via, p.name, p.source, p.line, pr.path
		FROM repo_packages p
		JOIN repos pr ON pr.id = p.repo_id AND pr.deleted_at IS NULL
		JOIN dependencies d ON d.name_key = lower(p.name) AND d.repo_id <> p.repo_id
		     AND (d.ecosystem = p.ecosystem OR p.ecosystem = 'maven' AND d.ecosystem = 'gradle')
		JOIN repos dr ON dr.id = d.repo_id AND dr.deleted_at IS NULL
		JOIN service_repos ds ON ds.repo_id = d.repo_id
		JOIN service_repos ps ON ps.repo_id = p.repo_id
		WHERE d.scope NOT IN ('test', 'dev') AND ds.service_id <> ps.service_id
		ORDER BY ds.service_id, ps.service_id, d.direct DESC, d.file, d.line`
	// A Maven dependency whose version a parent POM or imported BOM
	// published by another repo sets (dependencies.version_from): the
	// repo builds on that POM, and a change to it reaches the service.
	graphParents = `
		SELECT DISTINCT ON (ds.service_id, ps.service_id) ds.service_id, ps.service_id, d.version_from, d.file, d.line, p.name, p.source, p.line, pr.path
		FROM dependencies d
		JOIN repo_packages p ON p.ecosystem = 'maven' AND d.repo_id <> p.repo_id
		     AND lower(p.name) = lower(split_part(d.version_from, ':', 1) || ':' || split_part(d.version_from, ':', 2))
		JOIN repos pr ON pr.id = p.repo_id AND pr.deleted_at IS NULL
		JOIN repos dr ON dr.id = d.repo_id AND dr.deleted_at IS NULL
		JOIN service_repos ds ON ds.repo_id = d.repo_id
		JOIN service_repos ps ON ps.repo_id = p.repo_id
		WHERE d.version_from <> '' AND d.scope NOT IN ('test', 'dev') AND ds.service_id <> ps.service_id
		ORDER BY ds.service_id, ps.service_id, d.file, d.line`
)

// loadGraph reads the whole service graph, in one repeatable-read
// transaction so that its parts agree.
func (s *Store) loadGraph(ctx context.Context) (*graph, error) {
	var edges []Edge
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var err error
		edges, err = readEdges(ctx, tx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("load service graph: %w", err)
	}
	return newGraph(edges), nil
}

func readEdges(ctx context.Context, tx pgx.Tx) ([]Edge, error) {
	var edges []Edge
	// Declared dependsOn / dependencyOf.
	var (
		from                  int64
		to                    *int64
		rel, kind, ns, name   string
		written, file         string
		byAlias               bool
		declNS, declName      string
		apiRef                string
		eco, pkg, dfile, src  string
		dline, pline          int
		direct                bool
		via                   []string
		pubName, publisher    string
		provider, dependentID int64
	)
	rows, err := tx.Query(ctx, graphDeclared)
	if err != nil {
		return nil, fmt.Errorf("declared edges: %w", err)
	}
	_, err = pgx.ForEachRow(rows, []any{&from, &rel, &kind, &ns, &name, &written, &file, &byAlias, &declNS, &declName, &to}, func() error {
		target := manifest.Ref{Kind: kind, Namespace: ns, Name: name}.String()
		field := "spec." + rel
		if byAlias {
			field = "dependencies"
		}
		origin := fmt.Sprintf("%s: %s %s", cmp.Or(file, "descriptor"), field, written)
		e := Edge{From: from, Kind: EdgeDependsOn, Target: target, Origin: origin, File: file}
		if to != nil {
			e.To = *to
		}
		if rel == relDependencyOf {
			// X dependencyOf Y: Y depends on X. Unresolved, there is no
			// service to hang it from.
			if e.To == 0 {
				return nil
			}
			e.From, e.To = e.To, from
			e.Target = manifest.Ref{Kind: "component", Namespace: declNS, Name: declName}.String()
			e.Origin = fmt.Sprintf("%s of %s: spec.dependencyOf %s", cmp.Or(file, "descriptor"), Service{Namespace: declNS, Name: declName}.Ref(), written)
		}
		edges = append(edges, e)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("declared edges: %w", err)
	}
	// Consumed APIs, to whoever provides them.
	var prov *int64
	rows, err = tx.Query(ctx, graphAPIs)
	if err != nil {
		return nil, fmt.Errorf("api edges: %w", err)
	}
	_, err = pgx.ForEachRow(rows, []any{&from, &apiRef, &written, &file, &prov}, func() error {
		e := Edge{From: from, Kind: EdgeAPI, Target: apiRef, File: file,
			Origin: fmt.Sprintf("%s: spec.consumesApis %s", cmp.Or(file, "descriptor"), written)}
		if prov != nil {
			e.To = *prov
		} else {
			e.Origin += " (no catalogued service provides it)"
		}
		edges = append(edges, e)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("api edges: %w", err)
	}
	// Packages: the first (direct first) row of each pair and package.
	rows, err = tx.Query(ctx, graphPackages)
	if err != nil {
		return nil, fmt.Errorf("package edges: %w", err)
	}
	type pairKey struct {
		from, to int64
		pkg      string
	}
	seen := map[pairKey]bool{}
	_, err = pgx.ForEachRow(rows, []any{&dependentID, &provider, &eco, &pkg, &dfile, &dline, &direct, &via, &pubName, &src, &pline, &publisher}, func() error {
		k := pairKey{dependentID, provider, eco + " " + strings.ToLower(pkg)}
		if seen[k] {
			return nil
		}
		seen[k] = true
		at := fileLine(dfile, dline)
		how := "depends on " + pkg
		if !direct {
			if len(via) > 0 {
				how = "depends on " + pkg + " through " + strings.Join(via, " > ")
			} else {
				how = "depends (maybe transitively) on " + pkg
			}
		}
		pub := fileLine(path.Clean(src), pline)
		edges = append(edges, Edge{From: dependentID, To: provider, Kind: EdgePackage, Target: eco + " " + pubName,
			File: dfile, Line: dline, Transitive: !direct,
			Origin: fmt.Sprintf("%s %s, published by %s (%s)", at, how, publisher, pub)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("package edges: %w", err)
	}
	rows, err = tx.Query(ctx, graphParents)
	if err != nil {
		return nil, fmt.Errorf("parent POM edges: %w", err)
	}
	var versionFrom string
	_, err = pgx.ForEachRow(rows, []any{&dependentID, &provider, &versionFrom, &dfile, &dline, &pubName, &src, &pline, &publisher}, func() error {
		if seen[pairKey{dependentID, provider, "maven " + strings.ToLower(pubName)}] {
			return nil // it uses the artifact itself too: that edge says more
		}
		at, pub := fileLine(dfile, dline), fileLine(path.Clean(src), pline)
		edges = append(edges, Edge{From: dependentID, To: provider, Kind: EdgePackage, Target: "maven " + pubName,
			File: dfile, Line: dline,
			Origin: fmt.Sprintf("%s takes versions from %s, published by %s (%s)", at, versionFrom, publisher, pub)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("parent POM edges: %w", err)
	}
	return edges, nil
}

// fileLine is "file:line", or the file when the line is unknown (0).
func fileLine(file string, line int) string {
	if line > 0 {
		return fmt.Sprintf("%s:%d", file, line)
	}
	return file
}

// Package is a package a repo publishes (repo_packages): what other repos'
// dependencies name when they use it.
type Package struct {
	// Ecosystem is "maven" (groupId:artifactId; Gradle dependencies on it
	// match too), "npm" or "go".
	Ecosystem string
	// Name is the package's name in its ecosystem.
	Name string
	// Source is the file that names it (a dependency file path), Line
	// where (0 when unknown).
	Source string
	Line   int
}

// applyPackages replaces what the repo publishes, or, in a partial update,
// what the dependency files it names publish.
func applyPackages(ctx context.Context, tx pgx.Tx, repoID int64, snap RepoSnapshot) error {
	if err := deleteRepoFiles(ctx, tx, "repo_packages", "source", repoID, snap); err != nil {
		return fmt.Errorf("packages: %w", err)
	}
	if len(snap.Packages) == 0 {
		return nil
	}
	rows := make([][]any, 0, len(snap.Packages))
	for _, p := range snap.Packages {
		if p.Name == "" || p.Ecosystem == "" {
			continue
		}
		rows = append(rows, []any{repoID, p.Source, p.Ecosystem, p.Name, p.Line})
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"repo_packages"}, []string{"repo_id", "source", "ecosystem", "name", "line"},
		pgx.CopyFromRows(dedupRows(rows, 1, 2, 3))); err != nil {
		return fmt.Errorf("packages: %w", err)
	}
	return nil
}

// relation is one row of service_relations.
type relation struct {
	rel     string
	target  manifest.Ref
	written string
	byAlias bool
}

// relationsOf returns the references a descriptor entity makes, resolved
// the way Backstage's catalog does: the namespace of the entity itself
// when the reference names none; kind "api" by default for
// providesApis and consumesApis; none for dependsOn and dependencyOf
// (the manifest check rejects a reference without one there; an OpsLevel
// dependency is a service name or alias, kind component). References
// that do not parse were reported by the check and are skipped.
func relationsOf(e manifest.Entity) []relation {
	ns := cmp.Or(strings.ToLower(e.Namespace), manifest.DefaultNamespace)
	opsLevel := e.APIVersion == ""
	var out []relation
	add := func(rel string, refs []string, defaultKind string) {
		for _, w := range refs {
			w = strings.TrimSpace(w)
			r, err := manifest.ParseRef(w, defaultKind, ns)
			if err != nil {
				continue
			}
			out = append(out, relation{rel: rel, target: r, written: w, byAlias: opsLevel && rel == relDependsOn})
		}
	}
	add(relDependsOn, e.DependsOn, "component")
	add(relDependencyOf, e.DependencyOf, "component")
	add(relConsumesAPI, e.ConsumesAPIs, "api")
	add(relProvidesAPI, e.ProvidesAPIs, "api")
	return out
}

// applyRelations replaces the references a descriptor service makes.
func applyRelations(ctx context.Context, tx pgx.Tx, serviceID int64, e manifest.Entity, file string) error {
	if _, err := tx.Exec(ctx, `DELETE FROM service_relations WHERE service_id = $1`, serviceID); err != nil {
		return fmt.Errorf("relations: %w", err)
	}
	rels := relationsOf(e)
	if len(rels) == 0 {
		return nil
	}
	rows := make([][]any, len(rels))
	for i, r := range rels {
		rows[i] = []any{serviceID, r.rel, r.target.Kind, r.target.Namespace, r.target.Name, r.written, file, r.byAlias}
	}
	seen := map[string]bool{}
	uniq := rows[:0]
	for _, r := range rows {
		k := fmt.Sprint(r[1], "\x00", r[2], "\x00", r[3], "\x00", r[4])
		if !seen[k] {
			seen[k] = true
			uniq = append(uniq, r)
		}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"service_relations"},
		[]string{"service_id", "relation", "target_kind", "target_namespace", "target_name", "written", "file", "by_alias"},
		pgx.CopyFromRows(uniq)); err != nil {
		return fmt.Errorf("relations: %w", err)
	}
	return nil
}

// graphLoadTimeout bounds one read of the service graph. The read runs
// detached from the requests waiting on it (≈270 ms at 10,000 services,
// more under load), so that a request that gives up does not throw it
// away: it finishes and fills the cache for the next one.
const graphLoadTimeout = 30 * time.Second

// graphMemo is the service graph a Cache keeps: the one read at gen.
type graphMemo struct {
	mu  sync.Mutex // guards gen, g and used
	gen uint64
	g   *graph
	// used: a request has asked for the graph, so that the cache reads it
	// again after each change (refreshGraph) rather than leaving that to
	// the next request; a replica nobody asks about the graph never reads
	// it.
	used bool
	// loads runs one read of the graph at a time, shared by every request
	// that needs it meanwhile.
	loads singleflight.Group
	// loaded counts the reads started (tests).
	loaded atomic.Int64
}

// loadedGraph is the result of one shared read: the graph, the catalog it
// was decorated with, and the generation both are as current as.
type loadedGraph struct {
	g    *graph
	snap *snapshot
	gen  uint64
}

// refreshGraph reads the graph again after the catalog was reloaded, if
// the graph has been used: the next /blast or /page then finds it in
// memory. A failure is left to the next request, which reads it itself.
func (c *Cache) refreshGraph(ctx context.Context) {
	c.graph.mu.Lock()
	used := c.graph.used
	c.graph.mu.Unlock()
	if !used {
		return
	}
	if _, _, err := c.currentGraph(ctx); err != nil {
		c.log.Warn("catalog cache: reading the service graph failed; the next request reads it", "err", err)
	}
}

// currentGraph returns the service graph and the catalog in memory, reading the
// graph when the catalog changed since it was last read; nil when the
// cache is not live (the caller then asks the Store).
//
// The read is shared and detached: one runs at a time per Cache, on a
// context of its own (graphLoadTimeout), and every caller that needs it
// meanwhile waits for it with its own context. A caller that gives up
// returns its context's error; the read goes on and keeps the graph for
// the next caller, so that on a busy replica short deadlines do not each
// start a read and throw it away.
func (c *Cache) currentGraph(ctx context.Context) (*graph, *snapshot, error) {
	for {
		c.mu.RLock()
		snap, gen := c.snap, c.gen
		c.mu.RUnlock()
		if snap == nil {
			return nil, nil, nil
		}
		c.graph.mu.Lock()
		c.graph.used = true
		if c.graph.g != nil && c.graph.gen == gen {
			g := c.graph.g
			c.graph.mu.Unlock()
			return g, snap, nil
		}
		c.graph.mu.Unlock()
		ch := c.graph.loads.DoChan("graph", func() (any, error) {
			lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), graphLoadTimeout)
			defer cancel()
			return c.loadGraph(lctx)
		})
		select {
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		case r := <-ch:
			if r.Err != nil {
				return nil, nil, r.Err
			}
			l := r.Val.(loadedGraph)
			// A read started before the catalog this caller saw may
			// be older than it: wait for the next one (which starts
			// after, so this loops at most once more).
			if l.gen < gen {
				continue
			}
			return l.g, l.snap, nil
		}
	}
}

// loadGraph reads the graph for the catalog in memory now and keeps it
// if no change came meanwhile. A nil graph: the cache is not live.
func (c *Cache) loadGraph(ctx context.Context) (loadedGraph, error) {
	c.mu.RLock()
	snap, gen := c.snap, c.gen
	c.mu.RUnlock()
	if snap == nil {
		return loadedGraph{gen: gen}, nil
	}
	c.graph.loaded.Add(1)
	g, err := c.store.loadGraph(ctx)
	if err != nil {
		return loadedGraph{}, err
	}
	g.decoration = g.decorate(snap.serviceInfo)
	// Read after the notification for gen: as current as snap. Keep it
	// for the next requests only if no change came meanwhile.
	c.mu.RLock()
	same := c.gen == gen
	c.mu.RUnlock()
	if same {
		c.graph.mu.Lock()
		c.graph.g, c.graph.gen = g, gen
		c.graph.mu.Unlock()
	}
	return loadedGraph{g: g, snap: snap, gen: gen}, nil
}

func (s *snapshot) serviceInfo(id int64) (*Service, string) {
	p := s.byID[id]
	if p == nil {
		return &Service{ID: id}, ""
	}
	ch := ""
	if p.Team != nil {
		ch = p.Team.SlackChannel
	}
	return &p.Service, ch
}

// Dependents is Store.Dependents, from memory when the cache is live: the
// graph is read once after each change of the catalog, and a request
// walks it in memory.
func (c *Cache) Dependents(ctx context.Context, serviceID int64) ([]Dependent, error) {
	r, err := c.Radius(ctx, serviceID, 0, -1)
	return r.Page, err
}

// Radius is Store.Radius, from memory when the cache is live.
func (c *Cache) Radius(ctx context.Context, serviceID int64, offset, limit int) (Radius, error) {
	g, snap, err := c.currentGraph(ctx)
	if err != nil {
		return Radius{}, fmt.Errorf("dependents of %d: %w", serviceID, err)
	}
	if g == nil {
		return c.store.Radius(ctx, serviceID, offset, limit)
	}
	return g.dependents(serviceID, snap.serviceInfo, offset, limit), nil
}

// Dependencies is Store.Dependencies, from memory when the cache is live.
func (c *Cache) Dependencies(ctx context.Context, serviceID int64) ([]ServiceDependency, error) {
	g, snap, err := c.currentGraph(ctx)
	if err != nil {
		return nil, fmt.Errorf("dependencies of %d: %w", serviceID, err)
	}
	if g == nil {
		return c.store.Dependencies(ctx, serviceID)
	}
	return g.dependencies(serviceID, snap.serviceInfo), nil
}
