package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
)

// Blast is what depends on a service, as /blast answers: every dependent
// counted by depth and team, one page of them (by depth, then name) with
// the edges that bring each in and who is on call there, and what the
// service depends on directly.
type Blast struct {
	Service ServiceSummary `json:"service"`
	// Total counts the services that depend on it, directly or not.
	Total int `json:"total"`
	// ByDepth are the counts at depth 1 (direct), 2, ...
	ByDepth []int       `json:"by_depth"`
	Teams   []TeamCount `json:"teams" jsonschema:"the dependents' owning teams, most dependents first; team null for services without an owner"`
	// Cycle are the first dependents (at most 10) that the service also
	// depends on, through others; CycleTotal how many there are.
	Cycle      []string `json:"cycle"`
	CycleTotal int      `json:"cycle_total"`
	Page       int      `json:"page"`
	Pages      int      `json:"pages"`
	// Dependents are the page's dependents.
	Dependents   []BlastDependent `json:"dependents"`
	Dependencies []Dependency     `json:"dependencies"`
}

// TeamCount is how many dependents a team owns.
type TeamCount struct {
	Team     *string `json:"team"`
	Services int     `json:"services"`
}

// BlastDependent is a service that depends on the one asked about.
type BlastDependent struct {
	Service ServiceRef `json:"service"`
	// Depth is 1 for a direct dependent, 2 through one other, ...
	Depth int  `json:"depth"`
	Cycle bool `json:"cycle" jsonschema:"the service asked about also depends on it, through others"`
	// Via are its edges to services one step closer (the service asked
	// about at depth 1).
	Via    []GraphEdge `json:"via"`
	OnCall OnCall      `json:"on_call"`
}

// Dependency is a service (or a reference naming nothing catalogued) that
// the service depends on directly.
type Dependency struct {
	// Service is null when the reference names nothing in the catalog.
	Service *ServiceRef `json:"service"`
	// Target is what the first edge names ("component:default/sessions-db").
	Target string      `json:"target"`
	Cycle  bool        `json:"cycle"`
	Edges  []GraphEdge `json:"edges"`
}

// GraphEdge is one reason for a dependency, and where it comes from.
type GraphEdge struct {
	// Kind is dependsOn (declared), api (consumes an API the other
	// provides) or package (uses a package the other's repo publishes).
	Kind string `json:"kind" jsonschema:"dependsOn, api or package"`
	// To is the reference of the service the edge leads to; null when
	// unresolved.
	To     *string `json:"to"`
	Target string  `json:"target"`
	// Origin says where the edge comes from, for people to read.
	Origin     string `json:"origin"`
	File       string `json:"file,omitempty"`
	Line       int    `json:"line,omitempty"`
	Transitive bool   `json:"transitive"`
}

func (r *Reader) graphUnavailable() error {
	return &Error{Status: http.StatusServiceUnavailable, Code: CodeUnavailable, Message: "the service graph is not available here"}
}

// Blast is /blast's answer for ref, page (from 1) of its dependents:
// commands.BlastOf computes it for both (the graph's radius and
// dependencies, on call asked once per PagerDuty service or escalation
// policy within the card timeout); this only shapes it. A page past the
// end is the last page.
func (r *Reader) Blast(ctx context.Context, ref string, page int) (Blast, error) {
	if page == 0 {
		page = 1
	}
	if page < 1 {
		return Blast{}, invalid("page must be 1 or more, got %d", page)
	}
	if r.Graph == nil {
		return Blast{}, r.graphUnavailable()
	}
	p, _, err := r.resolve(ctx, ref)
	if err != nil {
		return Blast{}, err
	}
	data, err := commands.BlastOf(ctx, r.Services, r.Graph, r.OnCall, p.Service, page)
	if err != nil {
		return Blast{}, err
	}
	radius, names := data.Radius, data.Names
	out := Blast{Service: summaryOf(p.Service), Total: radius.Total, ByDepth: append([]int{}, radius.ByDepth...), Teams: []TeamCount{},
		Cycle: []string{}, CycleTotal: radius.CycleTotal, Page: data.Page, Pages: data.Pages,
		Dependents: make([]BlastDependent, len(radius.Page)), Dependencies: make([]Dependency, 0, len(data.Dependencies))}
	teams, counts, unowned := commands.BlastTeams(radius)
	for _, t := range teams {
		out.Teams = append(out.Teams, TeamCount{Team: strPtr(t), Services: counts[t]})
	}
	if unowned > 0 {
		out.Teams = append(out.Teams, TeamCount{Services: unowned})
	}
	for _, c := range radius.Cycle {
		out.Cycle = append(out.Cycle, c.Ref())
	}
	for _, d := range data.Dependencies {
		dep := Dependency{Target: d.Target, Cycle: d.Cycle, Edges: edgesOf(d.Edges, names)}
		if d.Resolved() {
			dep.Service = &ServiceRef{Ref: d.Service.Ref(), Team: strPtr(d.Service.Team)}
			for i := range dep.Edges {
				if dep.Edges[i].To == nil {
					dep.Edges[i].To = &dep.Service.Ref
				}
			}
		}
		out.Dependencies = append(out.Dependencies, dep)
	}
	for i, d := range radius.Page {
		out.Dependents[i] = BlastDependent{Service: ServiceRef{Ref: d.Service.Ref(), Team: strPtr(d.Service.Team)},
			Depth: d.Depth, Cycle: d.Cycle, Via: edgesOf(d.Via, names), OnCall: blastOnCallOf(data.OnCall, d.Service.ID)}
	}
	return out, nil
}

// blastOnCallOf is the on-call part of a dependent of BlastOf's answer.
func blastOnCallOf(answers map[int64]commands.BlastOnCall, id int64) OnCall {
	if answers == nil {
		return notConfigured()
	}
	c, ok := answers[id]
	switch {
	case !ok:
		return OnCall{Status: OnCallUnknown, Levels: []OnCallLevel{}, Reason: "not asked"}
	case errors.Is(c.Err, commands.ErrServiceUnread):
		return OnCall{Status: OnCallUnknown, Levels: []OnCallLevel{}, Reason: c.Err.Error()}
	}
	return onCallAnswer(c.Now, c.Err)
}

func edgesOf(edges []catalog.Edge, names map[int64]string) []GraphEdge {
	out := make([]GraphEdge, len(edges))
	for i, e := range edges {
		out[i] = GraphEdge{Kind: e.Kind, Target: e.Target, Origin: e.Origin, File: e.File, Line: e.Line, Transitive: e.Transitive}
		if n, ok := names[e.To]; ok && e.To != 0 {
			out[i].To = &n
		}
	}
	return out
}

// Changes is what changed recently in a service and the services it
// depends on directly, as /changes answers.
type Changes struct {
	Service ServiceSummary `json:"service"`
	// Since is the window's start; Window as --since writes it ("24h").
	Since  time.Time `json:"since"`
	Window string    `json:"window"`
	// Scope are the services whose changes are listed: the service, then
	// its direct dependencies.
	Scope   []string `json:"scope"`
	Changes []Change `json:"changes"`
	// More: there are more changes in the window than listed.
	More bool `json:"more"`
	// LastBefore is the last change before the window, when there is
	// none in it.
	LastBefore *Change `json:"last_before"`
	// Notes say what the history may lack: dependencies not read,
	// repos whose history is partial or not read yet.
	Notes []string `json:"notes"`
}

// Change is one change: a merged merge request, a direct push, a
// deployment, an owner or tier change.
type Change struct {
	// Service is the reference of the service (of the scope) it belongs to.
	Service string    `json:"service"`
	Kind    string    `json:"kind"`
	Ref     string    `json:"ref"`
	At      time.Time `json:"at"`
	Author  *string   `json:"author"`
	Title   string    `json:"title,omitempty"`
	WebURL  string    `json:"web_url,omitempty"`
	// Environment and Status are a deployment's.
	Environment string `json:"environment,omitempty"`
	Status      string `json:"status,omitempty"`
	SHA         string `json:"sha,omitempty"`
	Source      string `json:"source"`
}

// ChangesQuery is a changes question: a service, a window (--since's
// syntax, "" for 24h) and how many changes at most.
type ChangesQuery struct {
	Service string
	Since   string
	Limit   int
}

// Changes is /changes' answer, computed by commands.ChangesOf as for
// Slack (scope: the service and its direct dependencies; window parsing;
// history reads; the last change before an empty window; notes); this
// only shapes it, at most limit changes.
func (r *Reader) Changes(ctx context.Context, q ChangesQuery) (Changes, error) {
	window, err := commands.ParseSince(q.Since)
	if err != nil {
		return Changes{}, invalid("%s", err.Error())
	}
	limit, err := pageLimit(q.Limit)
	if err != nil {
		return Changes{}, err
	}
	if r.History == nil {
		return Changes{}, &Error{Status: http.StatusServiceUnavailable, Code: CodeUnavailable, Message: "Switchboard keeps no change history here"}
	}
	p, _, err := r.resolve(ctx, q.Service)
	if err != nil {
		return Changes{}, err
	}
	var graph commands.DependencyLister
	if r.Graph != nil {
		graph = r.Graph
	}
	data, err := commands.ChangesOf(ctx, r.History, graph, p.Service, window, r.now(), limit)
	if err != nil {
		return Changes{}, err
	}
	out := Changes{Service: summaryOf(p.Service), Since: data.Since.UTC(), Window: commands.FormatSince(window), Changes: []Change{}, Notes: []string{},
		More: data.More}
	for _, id := range data.IDs {
		out.Scope = append(out.Scope, data.Names[id])
	}
	for _, c := range data.Changes {
		out.Changes = append(out.Changes, changeOf(c, data.Names))
	}
	if data.LastBefore != nil {
		c := changeOf(*data.LastBefore, data.Names)
		out.LastBefore = &c
	}
	for _, n := range []commands.Text{data.DepNote, data.GapNote} {
		if len(n) > 0 {
			out.Notes = append(out.Notes, n.String())
		}
	}
	return out, nil
}

func changeOf(c catalog.Change, names map[int64]string) Change {
	return Change{Service: names[c.ServiceID], Kind: c.Kind, Ref: c.Ref, At: c.At.UTC(), Author: strPtr(c.Author()), Title: c.Title,
		WebURL: c.WebURL, Environment: c.Environment, Status: c.Status, SHA: c.SHA, Source: c.Source}
}

func (r *Reader) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}
