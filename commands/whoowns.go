package commands

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/weblinks"
)

// ServiceCatalog is what /whoowns needs of the catalog.
type ServiceCatalog interface {
	// FindService looks a service up by name or alias, with suggestions
	// when nothing matches.
	FindService(ctx context.Context, query string) (catalog.Lookup, error)
	// Profile returns a service with its team, people and repos.
	Profile(ctx context.Context, id int64) (catalog.Profile, error)
}

// WhoOwns is /whoowns SERVICE: who owns a service, how to reach them, and
// where its repo, runbook and docs are. A misspelt name gets "did you mean";
// a name several services share gets a list to pick from, never a guess.
// It shows no on-call section; WhoOwnsWithOnCall does.
func WhoOwns(cat ServiceCatalog) Command { return WhoOwnsWithOnCall(cat, nil) }

// WhoOwnsWithOnCall is /whoowns with an "On call" field: who is on call at
// level 1 and until when, and a "Page on call" button when the service is
// linked to PagerDuty. When PagerDuty fails, the card still answers, saying
// why on-call is unavailable. With oc nil, or no PagerDuty in it, the card
// has no on-call section.
func WhoOwnsWithOnCall(cat ServiceCatalog, oc *OnCallLookup) Command {
	return WhoOwnsWith(WhoOwnsConfig{Catalog: cat, OnCall: oc})
}

// IncidentCounts are the PagerDuty incident counts (catalog.IncidentCounts).
type IncidentCounts interface {
	// ServiceIncidents counts the incidents of services by catalog id.
	ServiceIncidents(ctx context.Context, serviceIDs []int64) (catalog.IncidentSummary, error)
}

// WhoOwnsConfig is what /whoowns is built from.
type WhoOwnsConfig struct {
	Catalog ServiceCatalog
	// OnCall adds the "On call" field (WhoOwnsWithOnCall); nil: none.
	OnCall *OnCallLookup
	// Scorecards adds the scorecard line; nil: none.
	Scorecards *Scorecards
	// Search answers text that names no service (no name, alias or close
	// name: "/whoowns thing that sends invoices") with the services that
	// match it best; nil: "no such service".
	Search ServiceSearcher
	// Incidents adds an "Incidents" line: "7 incidents in 30 days (3 out
	// of hours) · 19 in 90 days", or "unknown" with why (never "0" when
	// unknown); the rest of the card is the same whatever the counts say.
	// nil: no line.
	Incidents IncidentCounts
	// Links link the card to the service's page in the web catalog; zero:
	// no links.
	Links weblinks.Links
}

// WhoOwnsWith is /whoowns built from cfg. Text that names no service is
// searched (cfg.Search), except one word close to a name: that is a
// misspelt name, and gets "did you mean".
func WhoOwnsWith(cfg WhoOwnsConfig) Command {
	cat, oc, sc, inc := cfg.Catalog, cfg.OnCall, cfg.Scorecards, cfg.Incidents
	return Command{
		Name:    "/whoowns",
		Usage:   "SERVICE",
		Summary: "Who owns a service: team, channel, people, repo, runbook, docs",
		Handler: func(ctx context.Context, req Request) (Response, error) {
			if req.Text == "" {
				msg := "Which service? Usage: /whoowns SERVICE (a name, an alias, or namespace/name)."
				return Response{Text: msg, Blocks: []Block{&Section{Text: T(Plain("Which service? Usage: "), Code("/whoowns SERVICE"), Plain(" (a name, an alias, or namespace/name)."))}}}, nil
			}
			r, err := resolveService(ctx, cat, req.Text, func(ref string) string { return "/whoowns " + ref })
			if err != nil {
				return Response{}, err
			}
			if r.Profile == nil && len(r.Lookup.Services) == 0 && cfg.Search != nil &&
				!(nameLike(req.Text) && len(r.Lookup.Suggestions) > 0) {
				return whoOwnsSearch(ctx, cfg, req.Text, r)
			}
			if r.Profile == nil {
				return r.Reply, nil
			}
			var section *onCallSection
			if oc.configured() {
				s := oc.section(ctx, *r.Profile)
				section = &s
			}
			var level Text
			if sc != nil {
				var repo *catalog.Repo
				if len(r.Profile.Repos) > 0 {
					repo = &r.Profile.Repos[0]
				}
				if level, err = sc.LevelLine(ctx, r.Profile.Service.ID, repo); err != nil {
					return Response{}, err
				}
			}
			resp := ownerCard(*r.Profile, r.Lookup, section, level, cfg.Links)
			if inc != nil {
				line := serviceIncidentLine(ctx, inc, r.Profile.Service.ID)
				resp.Blocks = slices.Insert(resp.Blocks, incidentLineAt(resp.Blocks), Block(&Section{Text: line}))
				resp.Text += "; " + line.String()
			}
			return resp, nil
		},
	}
}

// serviceIncidentLine is a service's "Incidents:" line.
func serviceIncidentLine(ctx context.Context, inc IncidentCounts, id int64) Text {
	label := T(Bold("Incidents:"), Plain(" "))
	c, unknown := ServiceIncidentCount(ctx, inc, id)
	if unknown != "" {
		return append(label, Plain("unknown — "+unknown))
	}
	return append(label, Plain(incidentCountText(c)))
}

// ServiceIncidentCount is a service's incident counts as /whoowns shows
// them, or why they are unknown ("" when known): the catalog could not
// count them, no PagerDuty service is linked, the incidents' refresh is
// behind, or the service is not found.
func ServiceIncidentCount(ctx context.Context, inc IncidentCounts, id int64) (catalog.IncidentCount, string) {
	sum, err := inc.ServiceIncidents(ctx, []int64{id})
	switch c, ok := sum.Counts[id]; {
	case err != nil:
		return c, "the catalog could not count them"
	case slices.Contains(sum.Unlinked, id):
		return c, "no PagerDuty service in the descriptor"
	case !sum.Known():
		return c, sum.State.UnknownReason(sum.Now, sum.Location)
	case !ok:
		return c, "service not found"
	default:
		return c, ""
	}
}

// incidentCountText is "7 incidents in 30 days (3 out of hours) · 19 in 90
// days".
func incidentCountText(c catalog.IncidentCount) string {
	s := fmt.Sprintf("%d incidents in 30 days", c.Last30)
	if c.Last30 == 1 {
		s = "1 incident in 30 days"
	}
	if c.OutOfHours30 > 0 {
		s += fmt.Sprintf(" (%d out of hours)", c.OutOfHours30)
	}
	return s + fmt.Sprintf(" · %d in 90 days", c.Last90)
}

// incidentLineAt is where the incident line goes: after the card's fields
// (and scorecard line).
func incidentLineAt(blocks []Block) int {
	at := len(blocks)
	for i, b := range blocks {
		if s, ok := b.(*Section); ok && len(s.Fields) > 0 {
			at = i + 1
			if i+1 < len(blocks) {
				if n, ok := blocks[i+1].(*Section); ok && len(n.Text) > 0 && n.Text[0].Text == "Scorecard:" {
					at = i + 2
				}
			}
			break
		}
	}
	return at
}

// whoOwnsSearch answers text that names no service with the services that
// match it best. When none does: "did you mean" if some name is close,
// "no service named" for one word (r.Reply), else that nothing is named
// or described so.
func whoOwnsSearch(ctx context.Context, cfg WhoOwnsConfig, query string, r resolution) (Response, error) {
	hits, err := cfg.Search.Search(ctx, query, searchShown)
	if err != nil {
		return Response{}, err
	}
	if len(hits) == 0 {
		if len(r.Lookup.Suggestions) > 0 || nameLike(query) {
			return r.Reply, nil // "did you mean", or no such name
		}
		msg := fmt.Sprintf("No service is named %s, and none matches those words.", query)
		return Response{Text: msg, Blocks: append([]Block{
			&Section{Text: T(Plain("No service is named "), Code(query), Plain(", and none matches those words (in names, descriptions, tags, teams, links or READMEs)."))},
		}, unknownService(query).Blocks[1:]...)}, nil
	}
	intro := T(Plain("No service is named "), Code(query), Plain(". These match it best:"))
	return searchAnswer(query, intro, "No service is named "+query+"; best matches", hits, cfg.Links), nil
}

func ownerCard(p catalog.Profile, l catalog.Lookup, oc *onCallSection, level Text, links weblinks.Links) Response {
	svc := p.Service
	title := svc.Ref()
	if svc.Title != "" && !strings.EqualFold(svc.Title, svc.Name) {
		title = svc.Title + " (" + svc.Ref() + ")"
	}
	blocks := []Block{&Header{Text: title}}
	if l.Kind == catalog.MatchAlias {
		blocks = append(blocks, &Context{Text: T(Code(l.Query), Plain(" is an alias of "), Code(svc.Ref()), Plain("."))})
	}
	if svc.Description != "" {
		blocks = append(blocks, &Section{Text: T(Plain(svc.Description))})
	}

	var fields []Field
	owner := T(Plain("nobody"))
	if p.Team != nil {
		owner = T(Bold(p.Team.Name))
		if p.Team.Title != "" && p.Team.Title != p.Team.Name {
			owner = append(owner, Plain(" ("+p.Team.Title+")"))
		}
	}
	fields = append(fields, Field{Label: "Owner", Value: owner})
	if ch := channelOf(p); ch != "" {
		fields = append(fields, Field{Label: "Channel", Value: T(Plain(ch))})
	}
	if oc != nil {
		fields = append(fields, Field{Label: "On call", Value: oc.Value})
	}
	fields = append(fields,
		Field{Label: "Tier", Value: T(Plain(orNone(svc.Tier)))},
		Field{Label: "Lifecycle", Value: T(Plain(orNone(svc.Lifecycle)))},
	)
	if len(p.Repos) > 0 {
		var repos []Text
		for _, r := range p.Repos {
			name := r.Path
			if r.Subpath != "" {
				name += "/" + r.Subpath
			}
			repos = append(repos, T(Link(name, r.WebURL)))
		}
		fields = append(fields, Field{Label: "Repo", Value: Join(repos, ", ")})
	}
	for _, kind := range []struct{ kind, label string }{
		{catalog.LinkRunbook, "Runbook"}, {catalog.LinkDocs, "Docs"}, {catalog.LinkDashboard, "Dashboards"},
	} {
		if links := svc.LinksOf(kind.kind); len(links) > 0 {
			fields = append(fields, Field{Label: kind.label, Value: linksText(links)})
		}
	}
	if svc.Language != "" || svc.Framework != "" {
		fields = append(fields, Field{Label: "Stack", Value: T(Plain(strings.Trim(svc.Language+" / "+svc.Framework, " /")))})
	}
	blocks = append(blocks, &Section{Fields: fields})
	if len(level) > 0 {
		blocks = append(blocks, &Section{Text: append(T(Bold("Scorecard:"), Plain(" ")), level...)})
	}

	if len(p.Members) > 0 {
		var people []Text
		for _, m := range p.Members {
			people = append(people, personText(m))
		}
		blocks = append(blocks, &Section{Text: append(T(Bold("People:"), Plain(" ")), Join(people, ", ")...)})
	}

	if oc != nil && len(oc.Buttons) > 0 {
		blocks = append(blocks, &Actions{Buttons: oc.Buttons})
	}
	gaps := missing(p)
	if oc != nil && oc.Missing != "" {
		gaps = append(gaps, oc.Missing)
	}
	if len(gaps) > 0 {
		blocks = append(blocks, &Context{Text: T(Plain("⚠ Missing: " + strings.Join(gaps, "; ")))})
	}
	src := "registered in Slack"
	switch svc.Source {
	case catalog.SourceDescriptor:
		src = "from its repo's descriptor"
	case catalog.SourceImport:
		src = "imported"
	}
	status := ""
	if svc.Status == catalog.StatusOrphaned {
		status = " · ORPHANED: its descriptor is gone from the repo"
	}
	foot := T(Plain("Catalog entry " + src + status))
	if u := links.Service(svc.Namespace, svc.Name); u != "" {
		foot = append(foot, Plain(" · "), Link("Its page in the catalog", u))
	}
	blocks = append(blocks, &Context{Text: foot})

	text := fmt.Sprintf("%s is owned by %s", svc.Ref(), owner.String())
	return Response{Text: text, Blocks: blocks, Shareable: true}
}

// channelOf is where to talk about the service: its own channel, else its
// team's.
func channelOf(p catalog.Profile) string {
	if p.Service.SlackChannel != "" {
		return p.Service.SlackChannel
	}
	if p.Team != nil {
		return p.Team.SlackChannel
	}
	return ""
}

// missing lists what an SRE would want and the catalog lacks, with how to
// add it.
func missing(p catalog.Profile) []string {
	var gaps []string
	if p.Team == nil {
		gaps = append(gaps, "owner (set spec.owner in the descriptor)")
	}
	if len(p.Service.LinksOf(catalog.LinkRunbook)) == 0 {
		gaps = append(gaps, "runbook (add a metadata.links entry titled Runbook)")
	}
	if channelOf(p) == "" {
		gaps = append(gaps, "Slack channel")
	}
	return gaps
}

func personText(p catalog.Person) Text {
	name := p.Name
	if name == "" {
		name = p.Email
	}
	if p.SlackUserID != "" {
		return T(Mention(p.SlackUserID, name))
	}
	return T(Plain(name))
}

func linksText(links []catalog.Link) Text {
	var out []Text
	for _, l := range links {
		out = append(out, T(Link(l.Title, l.URL)))
	}
	return Join(out, ", ")
}

func orNone(s string) string {
	if s == "" {
		return "not set"
	}
	return s
}
