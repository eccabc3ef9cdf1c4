package commands

import (
	"context"
	"fmt"
	"strings"

	"github.com/switchboard-dev/switchboard/catalog"
)

// maxCandidates is how many services an ambiguous name lists.
const maxCandidates = 10

// resolution is what a SERVICE argument named.
type resolution struct {
	Lookup catalog.Lookup
	// Profile is the service, when the argument named exactly one.
	Profile *catalog.Profile
	// Reply answers the user when it did not: a picker when several
	// services share the name, "did you mean" when it is misspelt, "no such
	// service" when nothing is close.
	Reply Response
}

// resolveService looks a SERVICE argument up the one way every command
// does (/whoowns, /oncall, /page): the name, ignoring case, an alias, or
// namespace/name. It never guesses: several matches give a picker, a
// misspelling "did you mean". next is the command line each choice runs,
// from the chosen service's reference ("/oncall storefront/frontend").
func resolveService(ctx context.Context, cat ServiceCatalog, query string, next func(ref string) string) (resolution, error) {
	l, err := cat.FindService(ctx, query)
	if err != nil {
		return resolution{}, err
	}
	r := resolution{Lookup: l}
	switch {
	case len(l.Services) == 1:
		p, err := cat.Profile(ctx, l.Services[0].ID)
		if err != nil {
			return resolution{}, err
		}
		r.Profile = &p
	case len(l.Services) > 1:
		if r.Reply, err = ambiguous(ctx, cat, l, next); err != nil {
			return resolution{}, err
		}
	case len(l.Suggestions) > 0:
		r.Reply = didYouMean(l, next)
	default:
		r.Reply = unknownService(l.Query)
	}
	return r, nil
}

func ambiguous(ctx context.Context, cat ServiceCatalog, l catalog.Lookup, next func(string) string) (Response, error) {
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
		sel.Options = append(sel.Options, Option{Label: svc.Ref(), Description: strings.Join(desc, " · "), Command: next(svc.Ref())})
	}
	if more > 0 {
		blocks = append(blocks, &Context{Text: T(Plain(fmt.Sprintf("…and %d more; narrow it with namespace/name.", more)))})
	}
	blocks = append(blocks, sel)
	return Response{Text: text, Blocks: blocks}, nil
}

func didYouMean(l catalog.Lookup, next func(string) string) Response {
	text := fmt.Sprintf("No service named %s. Did you mean %s?", l.Query, l.Suggestions[0].Service.Ref())
	var lines []Text
	actions := &Actions{}
	for _, sg := range l.Suggestions {
		owner := sg.Service.Team
		if owner == "" {
			owner = "no owner"
		}
		lines = append(lines, T(Plain("• "), Bold(sg.Service.Ref()), Plain(" ("+owner+")")))
		actions.Buttons = append(actions.Buttons, Button{Label: sg.Service.Ref(), Command: next(sg.Service.Ref())})
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

// usage is the answer to a command typed without its argument.
func usage(command, args, hint string) Response {
	line := strings.TrimSpace(command + " " + args)
	return Response{
		Text:   fmt.Sprintf("Usage: %s %s", line, hint),
		Blocks: []Block{&Section{Text: T(Plain("Usage: "), Code(line), Plain(" "+hint))}},
	}
}
