package commands

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/switchboard-dev/switchboard/catalog"
)

// ServiceGraph is the service graph (*catalog.Cache, *catalog.Store).
type ServiceGraph interface {
	// Radius summarises the services that depend on a service,
	// transitively, by depth, with those of one page.
	Radius(ctx context.Context, serviceID int64, offset, limit int) (catalog.Radius, error)
	// Dependencies are what a service depends on directly.
	Dependencies(ctx context.Context, serviceID int64) ([]catalog.ServiceDependency, error)
}

// Limits of a /blast answer, within Slack's 50 blocks a message.
const (
	// maxBlastLines is how many dependents a page lists.
	maxBlastLines = 20
	// maxBlastDependencies is how many dependencies are listed.
	maxBlastDependencies = 15
	// maxBlastTeams is how many teams the summary names.
	maxBlastTeams = 8
	// blastOnCallWorkers bounds the PagerDuty lookups made at once.
	blastOnCallWorkers = 4
)

// Blast is /blast SERVICE [--page N]: the blast radius of a service —
// what depends on it, directly and through others, by depth, with owning
// teams and who is on call for those listed; and what it depends on. Each
// edge says where it comes from (a descriptor's dependsOn or consumesApis,
// or a package one repo publishes and another uses). A cycle shows each
// service once, at its smallest depth. A large radius is summarised
// (counts by depth, teams) and listed a page at a time. The SERVICE
// argument is resolved like /whoowns's (picker, did you mean). When
// PagerDuty fails, on call says unknown and the rest is unchanged; oc may
// be nil (no on-call part).
func Blast(cat ServiceCatalog, graph ServiceGraph, oc *OnCallLookup) Command {
	return Command{
		Name:    "/blast",
		Usage:   "SERVICE [--page N]",
		Summary: "Blast radius: what depends on a service (by depth, owners, on call) and what it depends on",
		Handler: func(ctx context.Context, req Request) (Response, error) {
			query, page, err := blastOptions(req.Text)
			if err != nil {
				return usageResponse(err.Error()+". Usage: ", "/blast SERVICE", " or ", "/blast SERVICE --page 2"), nil
			}
			if query == "" {
				return usageResponse("Which service? Usage: ", "/blast SERVICE", " (a name, an alias, or namespace/name)."), nil
			}
			if graph == nil {
				return textResponse(T(Plain("The service graph is not available here."))), nil
			}
			r, err := resolveService(ctx, cat, query, func(ref string) string { return "/blast " + ref })
			if err != nil || r.Profile == nil {
				return r.Reply, err
			}
			data, err := BlastOf(ctx, cat, graph, oc, r.Profile.Service, page)
			if err != nil {
				return Response{}, err
			}
			b := blastAnswer{svc: data.Service, radius: data.Radius, dependencies: data.Dependencies, page: data.Page,
				onCall: data.onCallTexts(), names: data.Names}
			return b.render(r.Lookup), nil
		},
	}
}

// blastOptions splits "--page N" off the end of the argument.
func blastOptions(text string) (string, int, error) {
	fields := strings.Fields(text)
	page := 1
	if n := len(fields); n >= 1 && fields[n-1] == "--page" {
		return "", 0, errors.New("--page wants a page number")
	}
	if n := len(fields); n >= 2 && fields[n-2] == "--page" {
		p, err := strconv.Atoi(fields[n-1])
		if err != nil || p < 1 {
			return "", 0, fmt.Errorf("--page wants a page number from 1, got %q", fields[n-1])
		}
		page, fields = p, fields[:n-2]
	}
	return strings.Join(fields, " "), page, nil
}

// blastAnswer is what /blast found, and the page asked for.
type blastAnswer struct {
	svc          catalog.Service
	radius       catalog.Radius
	dependencies []catalog.ServiceDependency
	page         int
	// onCall is, by service id, who is on call for the dependents listed.
	onCall map[int64]Text
	// names are the references of the services the listed dependents'
	// edges lead to.
	names map[int64]string
}

func (b blastAnswer) pages() int { return max(1, (b.radius.Total+maxBlastLines-1)/maxBlastLines) }

func (b blastAnswer) pageNo() int { return min(max(b.page, 1), b.pages()) }

// viaNames are the references of svc, the dependents listed, and the
// services their edges lead to (at depth 2 and more, dependents of the
// page before).
func viaNames(ctx context.Context, cat ServiceCatalog, svc catalog.Service, rows []catalog.Dependent) (map[int64]string, error) {
	names := map[int64]string{svc.ID: svc.Ref()}
	for _, d := range rows {
		names[d.Service.ID] = d.Service.Ref()
	}
	for _, d := range rows {
		for _, e := range d.Via {
			if _, ok := names[e.To]; ok || e.To == 0 {
				continue
			}
			p, err := cat.Profile(ctx, e.To)
			if err != nil {
				return nil, err
			}
			names[e.To] = p.Service.Ref()
		}
	}
	return names, nil
}

// BlastData is /blast's answer as data, for the Slack answer and the
// JSON API and MCP server alike: the radius (counts by depth and team,
// one page of dependents), what the service depends on, who is on call
// for the page's dependents and the names their edges are given.
type BlastData struct {
	Service      catalog.Service
	Radius       catalog.Radius
	Dependencies []catalog.ServiceDependency
	// Page is the page of Radius.Page (from 1; a page past the end is
	// the last), Pages how many there are.
	Page, Pages int
	// OnCall is, by service id, who is on call for each dependent of the
	// page; nil when there is no PagerDuty to ask.
	OnCall map[int64]BlastOnCall
	// Names are the references of the service, the page's dependents and
	// the services their edges lead to.
	Names map[int64]string
}

// BlastOnCall is who is on call for one dependent, or why it is not
// known: Err is ErrNoPagerDutyLink (no link), ErrServiceUnread (its
// profile could not be read) or PagerDuty's error (PagerDutyProblem says
// it in words; the lookup is bounded by the card timeout).
type BlastOnCall struct {
	Now OnCallNow
	Err error
}

// ErrServiceUnread is a BlastOnCall's error when the dependent's profile
// could not be read from the catalog.
var ErrServiceUnread = errors.New("the service could not be read from the catalog")

// BlastOf computes /blast's answer for svc, page (from 1) of its
// dependents: the graph's radius and dependencies and the on-call lookup
// of the page's dependents (blastOnCall). oc may be nil (no on-call part).
func BlastOf(ctx context.Context, cat ServiceCatalog, graph ServiceGraph, oc *OnCallLookup, svc catalog.Service, page int) (BlastData, error) {
	page = max(page, 1)
	id := svc.ID
	radius, err := graph.Radius(ctx, id, (page-1)*maxBlastLines, maxBlastLines)
	if err == nil && page > 1 && len(radius.Page) == 0 && radius.Total > 0 {
		// Past the end: the last page.
		page = (radius.Total + maxBlastLines - 1) / maxBlastLines
		radius, err = graph.Radius(ctx, id, (page-1)*maxBlastLines, maxBlastLines)
	}
	if err != nil {
		return BlastData{}, fmt.Errorf("blast %s: %w", svc.Ref(), err)
	}
	dependencies, err := graph.Dependencies(ctx, id)
	if err != nil {
		return BlastData{}, fmt.Errorf("blast %s: %w", svc.Ref(), err)
	}
	names, err := viaNames(ctx, cat, svc, radius.Page)
	if err != nil {
		return BlastData{}, fmt.Errorf("blast %s: %w", svc.Ref(), err)
	}
	return BlastData{Service: svc, Radius: radius, Dependencies: dependencies, Page: page,
		Pages: max(1, (radius.Total+maxBlastLines-1)/maxBlastLines), OnCall: blastOnCall(ctx, cat, oc, radius.Page), Names: names}, nil
}

// onCallTexts are the on-call parts of /blast's lines: who is on call at
// the first level, "nobody right now", "no PagerDuty link" or "unknown
// (why)".
func (d BlastData) onCallTexts() map[int64]Text {
	if d.OnCall == nil {
		return nil
	}
	out := make(map[int64]Text, len(d.OnCall))
	for id, c := range d.OnCall {
		switch {
		case errors.Is(c.Err, ErrNoPagerDutyLink):
			out[id] = T(Plain("no PagerDuty link"))
		case errors.Is(c.Err, ErrServiceUnread):
			out[id] = T(Plain("unknown (" + c.Err.Error() + ")"))
		case c.Err != nil:
			out[id] = T(Plain("unknown (" + pagerDutyProblem(c.Err) + ")"))
		case len(c.Now.Levels) > 0:
			out[id] = peopleText(c.Now.Levels[0].People)
		default:
			out[id] = T(Plain("nobody right now"))
		}
	}
	return out
}

// blastOnCall asks who is on call for each listed dependent the way
// /whoowns does (OnCallLookup's onCallTargetOf: its PagerDuty service,
// else its team's escalation policy), a few at a time and within the card
// timeout, asking once per PagerDuty service or policy. A dependent's
// PagerDuty service comes with the radius; only a dependent without one
// needs its team's policy, read from the catalog once per team (the
// catalog has no batch profile read; Profile of one of the team's
// dependents gives the team), those reads made at once, a few at a time.
// nil when there is no PagerDuty.
func blastOnCall(ctx context.Context, cat ServiceCatalog, oc *OnCallLookup, rows []catalog.Dependent) map[int64]BlastOnCall {
	if !oc.configured() {
		return nil
	}
	timeout := oc.CardTimeout
	if timeout <= 0 {
		timeout = defaultCardTimeout
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	out := make(map[int64]BlastOnCall, len(rows))
	targets := make(map[int64]onCallTarget, len(rows))
	byTeam := map[string][]catalog.Dependent{}
	var teams []string
	for _, d := range rows {
		switch t := onCallTargetOf(catalog.Profile{Service: d.Service}); {
		case t != onCallTarget{}:
			targets[d.Service.ID] = t
		case d.Service.Team == "":
			// No PagerDuty service and no owner: no policy either.
			out[d.Service.ID] = BlastOnCall{Err: ErrNoPagerDutyLink}
		default:
			if _, ok := byTeam[d.Service.Team]; !ok {
				teams = append(teams, d.Service.Team)
			}
			byTeam[d.Service.Team] = append(byTeam[d.Service.Team], d)
		}
	}
	var (
		mu  sync.Mutex
		wg  sync.WaitGroup
		sem = make(chan struct{}, blastOnCallWorkers)
	)
	for _, team := range teams {
		deps := byTeam[team]
		wg.Go(func() {
			sem <- struct{}{}
			p, err := cat.Profile(cctx, deps[0].Service.ID)
			<-sem
			if err != nil {
				oc.log().WarnContext(ctx, "profile for /blast on call", "service", deps[0].Service.Ref(), "team", team, "err", err)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, d := range deps {
				if err != nil {
					out[d.Service.ID] = BlastOnCall{Err: ErrServiceUnread}
					continue
				}
				t := onCallTargetOf(catalog.Profile{Service: d.Service, Team: p.Team})
				if t == (onCallTarget{}) {
					out[d.Service.ID] = BlastOnCall{Err: ErrNoPagerDutyLink}
					continue
				}
				targets[d.Service.ID] = t
			}
		})
	}
	wg.Wait()
	byTarget := map[onCallTarget][]int64{}
	var order []onCallTarget
	for _, d := range rows {
		t, ok := targets[d.Service.ID]
		if !ok {
			continue
		}
		if _, seen := byTarget[t]; !seen {
			order = append(order, t)
		}
		byTarget[t] = append(byTarget[t], d.Service.ID)
	}
	for _, t := range order {
		ids := byTarget[t]
		wg.Go(func() {
			sem <- struct{}{}
			c, err := oc.forTarget(cctx, t)
			<-sem
			if err != nil {
				oc.log().WarnContext(ctx, "on call for /blast", "pagerduty_service", t.service, "escalation_policy", t.policy, "err", err)
			}
			answer := BlastOnCall{Now: c.export(), Err: err}
			mu.Lock()
			defer mu.Unlock()
			for _, id := range ids {
				out[id] = answer
			}
		})
	}
	wg.Wait()
	return out
}

// BlastTeams are the owning teams of a radius's dependents as /blast
// orders them (most dependents first, then by name), their counts, and
// how many dependents have no owner.
func BlastTeams(radius catalog.Radius) (names []string, counts map[string]int, unowned int) {
	return blastAnswer{radius: radius}.teams()
}

// teams are the owning teams of the dependents, most dependents first,
// and how many dependents have no owner.
func (b blastAnswer) teams() (names []string, counts map[string]int, unowned int) {
	counts = b.radius.Teams
	for t := range counts {
		if t != "" {
			names = append(names, t)
		}
	}
	slices.SortFunc(names, func(a, b string) int { return cmp.Or(cmp.Compare(counts[b], counts[a]), strings.Compare(a, b)) })
	return names, counts, counts[""]
}

// summary is the first line: how many services and teams depend on the
// service, by depth.
func (b blastAnswer) summary() Text {
	ref := b.svc.Ref()
	if b.radius.Total == 0 {
		return T(Plain("Nothing in the catalog depends on "), Code(ref), Plain("."))
	}
	names, _, unowned := b.teams()
	t := T(Bold(countNoun(b.radius.Total, "service", "services")), Plain(" in "), Bold(countNoun(len(names), "team", "teams")))
	if unowned > 0 {
		t = append(t, Plain(fmt.Sprintf(" (and %d with no owner)", unowned)))
	}
	t = append(t, Plain(" depend on "), Code(ref), Plain(": "))
	var parts []string
	for i, n := range b.radius.ByDepth {
		if i == 0 {
			parts = append(parts, fmt.Sprintf("%d directly", n))
		} else {
			parts = append(parts, fmt.Sprintf("%d at depth %d", n, i+1))
		}
	}
	return append(t, Plain(strings.Join(parts, ", ")+"."))
}

// teamsLine names the teams with the most dependents.
func (b blastAnswer) teamsLine() Text {
	names, counts, _ := b.teams()
	if len(names) == 0 {
		return nil
	}
	var parts []Text
	for i, n := range names {
		if i == maxBlastTeams {
			parts = append(parts, T(Plain(fmt.Sprintf("%d more", len(names)-i))))
			break
		}
		parts = append(parts, T(Bold(n), Plain(fmt.Sprintf(" %d", counts[n]))))
	}
	return append(T(Plain("Teams: ")), Join(parts, " · ")...)
}

// edgeText says what an edge is, briefly: "dependsOn", "API auth-api",
// "package example.acme:acme-logging (transitive)", "not in the catalog".
func edgeText(e catalog.Edge) string {
	switch e.Kind {
	case catalog.EdgeAPI:
		return "consumes " + e.Target
	case catalog.EdgePackage:
		s := "package " + strings.TrimPrefix(e.Target, strings.SplitN(e.Target, " ", 2)[0]+" ")
		if e.Transitive {
			s += " (transitive)"
		}
		return s
	default:
		return "dependsOn"
	}
}

// viaText is why a dependent is in: its edges, and at depth 2 and more the
// services they lead to.
func viaText(d catalog.Dependent, names map[int64]string) string {
	var parts []string
	seen := map[string]bool{}
	for _, e := range d.Via {
		s := edgeText(e)
		if d.Depth > 1 {
			s = names[e.To] + " (" + s + ")"
		}
		if !seen[s] {
			seen[s] = true
			parts = append(parts, s)
		}
	}
	if len(parts) > 3 {
		parts = append(parts[:3], fmt.Sprintf("%d more", len(parts)-3))
	}
	return strings.Join(parts, ", ")
}

func (b blastAnswer) render(l catalog.Lookup) Response {
	ref := b.svc.Ref()
	blocks := []Block{&Header{Text: "Blast radius of " + ref}}
	if l.Kind == catalog.MatchAlias {
		blocks = append(blocks, &Context{Text: T(Code(l.Query), Plain(" is an alias of "), Code(ref), Plain("."))})
	}
	blocks = append(blocks, &Section{Text: b.summary()})
	if t := b.teamsLine(); t != nil {
		blocks = append(blocks, &Context{Text: t})
	}
	var cycle []string
	for _, svc := range b.radius.Cycle {
		cycle = append(cycle, svc.Ref())
	}
	if len(cycle) > 0 {
		shown := cycle[:min(len(cycle), 5)]
		more := ""
		if total := b.radius.CycleTotal; total > len(shown) {
			more = fmt.Sprintf(" and %d more", total-len(shown))
		}
		blocks = append(blocks, &Context{Text: T(Plain("Cycle: "), Code(ref), Plain(" also depends, through others, on "+strings.Join(shown, ", ")+more+". Each service is listed once, at its smallest depth."))})
	}

	rows := b.radius.Page
	names := b.names
	var lines []Text
	depth := 0
	for _, d := range rows {
		if d.Depth != depth {
			depth = d.Depth
			label := fmt.Sprintf("Depth %d", depth)
			if depth == 1 {
				label = "Depth 1 (direct)"
			}
			lines = append(lines, T(Bold(label)))
		}
		line := T(Plain("• "), Bold(d.Service.Ref()), Plain(" — "))
		if d.Service.Team != "" {
			line = append(line, Plain("team "+d.Service.Team))
		} else {
			line = append(line, Plain("no owner"))
		}
		if oc, ok := b.onCall[d.Service.ID]; ok {
			line = append(line, Plain(" · on call: "))
			line = append(line, oc...)
		}
		line = append(line, Plain(" · via "+viaText(d, names)))
		if d.Cycle {
			line = append(line, Plain(" · on a cycle"))
		}
		lines = append(lines, line)
	}
	if len(lines) > 0 {
		blocks = append(blocks, packLines(lines, 6)...)
	}
	if pages := b.pages(); pages > 1 {
		p := b.pageNo()
		first := (p-1)*maxBlastLines + 1
		blocks = append(blocks, &Context{Text: T(Plain(fmt.Sprintf("Dependents %d–%d of %d (page %d of %d).", first, first+len(rows)-1, b.radius.Total, p, pages)))})
		var buttons []Button
		if p > 1 {
			buttons = append(buttons, Button{Label: "Previous page", Command: fmt.Sprintf("/blast %s --page %d", ref, p-1)})
		}
		if p < pages {
			buttons = append(buttons, Button{Label: "Next page", Command: fmt.Sprintf("/blast %s --page %d", ref, p+1)})
		}
		blocks = append(blocks, &Actions{Buttons: buttons})
	}

	blocks = append(blocks, &Divider{})
	blocks = append(blocks, b.dependencyBlocks()...)
	return Response{Text: b.fallback(), Blocks: blocks, Shareable: true}
}

// dependencyBlocks list what the service depends on.
func (b blastAnswer) dependencyBlocks() []Block {
	ref := b.svc.Ref()
	if len(b.dependencies) == 0 {
		return []Block{&Section{Text: T(Code(ref), Plain(" depends on nothing the catalog knows of (no dependsOn, consumesApis, or package from a catalogued repo)."))}}
	}
	unresolved := 0
	for _, d := range b.dependencies {
		if !d.Resolved() {
			unresolved++
		}
	}
	head := T(Code(ref), Plain(" depends on "), Bold(countNoun(len(b.dependencies)-unresolved, "service", "services")))
	if unresolved > 0 {
		head = append(head, Plain(" and "), Bold(fmt.Sprintf("%d not in the catalog", unresolved)))
	}
	lines := []Text{append(head, Plain(":"))}
	for i, d := range b.dependencies {
		if i == maxBlastDependencies {
			lines = append(lines, T(Plain(fmt.Sprintf("…and %d more.", len(b.dependencies)-i))))
			break
		}
		var kinds []string
		seen := map[string]bool{}
		for _, e := range d.Edges {
			if s := edgeText(e); !seen[s] {
				seen[s] = true
				kinds = append(kinds, s)
			}
		}
		line := T(Plain("• "))
		if d.Resolved() {
			line = append(line, Bold(d.Service.Ref()), Plain(" — "))
			if d.Service.Team != "" {
				line = append(line, Plain("team "+d.Service.Team))
			} else {
				line = append(line, Plain("no owner"))
			}
		} else {
			line = append(line, Code(d.Target), Plain(" — not in the catalog"))
		}
		line = append(line, Plain(" · "+strings.Join(kinds, ", ")))
		if d.Cycle {
			line = append(line, Plain(" · on a cycle"))
		}
		lines = append(lines, line)
	}
	blocks := packLines(lines, 3)
	// Where the edges come from, for the first few: the file and line.
	var origins []string
	for _, d := range b.dependencies {
		for _, e := range d.Edges {
			if len(origins) < 5 {
				origins = append(origins, e.Origin)
			}
		}
	}
	if len(origins) > 0 {
		blocks = append(blocks, &Context{Text: T(Plain("From: " + strings.Join(origins, "; ")))})
	}
	return blocks
}

// fallback is the one-line text: counts, never the blocks' detail.
func (b blastAnswer) fallback() string {
	ref := b.svc.Ref()
	s := "Nothing in the catalog depends on " + ref
	if b.radius.Total > 0 {
		names, _, _ := b.teams()
		direct := 0
		if c := b.radius.ByDepth; len(c) > 0 {
			direct = c[0]
		}
		s = fmt.Sprintf("%s in %s depend on %s (%d directly)", countNoun(b.radius.Total, "service", "services"),
			countNoun(len(names), "team", "teams"), ref, direct)
	}
	return s + fmt.Sprintf("; it depends on %s.", countNoun(len(b.dependencies), "service or reference", "services or references"))
}
