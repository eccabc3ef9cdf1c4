package commands

import (
	"context"
	"fmt"
	"strings"

	"github.com/switchboard-dev/switchboard/catalog"
)

// ServiceCatalog is what /whoowns needs of the catalog.
type ServiceCatalog interface {
	// FindService looks a service up by name or alias, with suggestions
	// when nothing matches.
	FindService(ctx context.Context, query string) (catalog.Lookup, error)
	// Profile returns a service with its team, people and repos.
	Profile(ctx context.Context, id int64) (catalog.Profile, error)
}

// maxCandidates is how many services an ambiguous name lists.
const maxCandidates = 10

// WhoOwns is /whoowns SERVICE: who owns a service, how to reach them, and
// where its repo, runbook and docs are. A misspelt name gets "did you mean";
// a name several services share gets a list to pick from, never a guess.
func WhoOwns(cat ServiceCatalog) Command {
	return Command{
		Name:    "/whoowns",
		Usage:   "SERVICE",
		Summary: "Who owns a service: team, channel, people, repo, runbook, docs",
		Handler: func(ctx context.Context, req Request) (Response, error) {
			if req.Text == "" {
				msg := "Which service? Usage: /whoowns SERVICE (a name, an alias, or namespace/name)."
				return Response{Text: msg, Blocks: []Block{&Section{Text: T(Plain("Which service? Usage: "), Code("/whoowns SERVICE"), Plain(" (a name, an alias, or namespace/name)."))}}}, nil
			}
			l, err := cat.FindService(ctx, req.Text)
			if err != nil {
				return Response{}, err
			}
			switch {
			case len(l.Services) == 1:
				p, err := cat.Profile(ctx, l.Services[0].ID)
				if err != nil {
					return Response{}, err
				}
				return ownerCard(p, l), nil
			case len(l.Services) > 1:
				return ambiguous(ctx, cat, l)
			case len(l.Suggestions) > 0:
				return didYouMean(l), nil
			default:
				return unknownService(l.Query), nil
			}
		},
	}
}

func ownerCard(p catalog.Profile, l catalog.Lookup) Response {
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

	if len(p.Members) > 0 {
		var people []Text
		for _, m := range p.Members {
			people = append(people, personText(m))
		}
		blocks = append(blocks, &Section{Text: append(T(Bold("People:"), Plain(" ")), Join(people, ", ")...)})
	}

	if gaps := missing(p); len(gaps) > 0 {
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
	blocks = append(blocks, &Context{Text: T(Plain("Catalog entry " + src + status))})

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

func ambiguous(ctx context.Context, cat ServiceCatalog, l catalog.Lookup) (Response, error) {
	svcs := l.Services
	more := 0
	if len(svcs) > maxCandidates {
		more, svcs = len(svcs)-maxCandidates, svcs[:maxCandidates]
	}
	text := fmt.Sprintf("%d services are called %s; which one?", len(l.Services), l.Query)
	blocks := []Block{&Section{Text: T(Plain(fmt.Sprintf("%d services are called ", len(l.Services))), Code(l.Query), Plain(". Which one?"))}}
	sel := &Select{Placeholder: "Choose a service"}
	for _, svc := range svcs {
		p, err := cat.Profile(ctx, svc.ID)
		if err != nil {
			return Response{}, err
		}
		line := T(Bold(svc.Ref()), Plain(" — owned by "))
		owner := "nobody"
		if p.Team != nil {
			owner = p.Team.Name
		}
		line = append(line, Plain(owner))
		var desc []string
		desc = append(desc, "owner "+owner)
		if len(p.Repos) > 0 {
			line = append(line, Plain(" · repo "), Link(p.Repos[0].Path, p.Repos[0].WebURL))
			desc = append(desc, p.Repos[0].Path)
		}
		if svc.Description != "" {
			line = append(line, Plain(" · "+svc.Description))
		}
		blocks = append(blocks, &Section{Text: line})
		sel.Options = append(sel.Options, Option{Label: svc.Ref(), Description: strings.Join(desc, " · "), Command: "/whoowns " + svc.Ref()})
	}
	if more > 0 {
		blocks = append(blocks, &Context{Text: T(Plain(fmt.Sprintf("…and %d more; narrow it with namespace/name.", more)))})
	}
	blocks = append(blocks, sel)
	return Response{Text: text, Blocks: blocks}, nil
}

func didYouMean(l catalog.Lookup) Response {
	text := fmt.Sprintf("No service named %s. Did you mean %s?", l.Query, l.Suggestions[0].Service.Ref())
	var lines []Text
	actions := &Actions{}
	for _, sg := range l.Suggestions {
		owner := sg.Service.Team
		if owner == "" {
			owner = "no owner"
		}
		lines = append(lines, T(Plain("• "), Bold(sg.Service.Ref()), Plain(" ("+owner+")")))
		actions.Buttons = append(actions.Buttons, Button{Label: sg.Service.Ref(), Command: "/whoowns " + sg.Service.Ref()})
	}
	blocks := []Block{
		&Section{Text: T(Plain("No service named "), Code(l.Query), Plain(". Did you mean:"))},
		&Section{Text: Join(lines, "\n")},
		actions,
	}
	return Response{Text: text, Blocks: blocks}
}

func unknownService(query string) Response {
	text := fmt.Sprintf("No service named %s, and no name close to it.", query)
	return Response{Text: text, Blocks: []Block{
		&Section{Text: T(Plain("No service named "), Code(query), Plain(", and no name close to it."))},
		&Context{Text: T(Plain("If it exists, register it: "), Code("/service add"),
			Plain(" in Slack, or commit a catalog-info.yaml at its repo's root (check it with "), Code("switchboard lint"), Plain(")."))},
	}}
}
