package commands

import (
	"context"
	"fmt"
	"strings"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/weblinks"
)

// ServiceSearcher is what /search and /whoowns's fallback need of the
// catalog: full-text search over names, descriptions, tags, teams, links
// and READMEs (catalog.Store.Search).
type ServiceSearcher interface {
	Search(ctx context.Context, query string, limit int) ([]catalog.SearchHit, error)
}

// searchShown is how many matches a Slack answer lists.
const searchShown = 5

// searchWhy is how many reasons a match shows.
const searchWhy = 2

// Search is /search TEXT: the services that best match words from their
// names, descriptions, tags, teams, links and READMEs, each with its owner,
// why it matched, and a button that opens its /whoowns card. links, when
// configured, link each name to its page in the web catalog and the
// answer to the full results there.
func Search(s ServiceSearcher, links weblinks.Links) Command {
	return Command{
		Name:    "/search",
		Usage:   "WORDS",
		Summary: "Find services by what they do: words from descriptions, tags, teams, READMEs",
		Handler: func(ctx context.Context, req Request) (Response, error) {
			if req.Text == "" {
				msg := "What are you looking for? Usage: /search WORDS, e.g. /search sends invoices. It searches service names, aliases, descriptions, tags, teams, links and READMEs."
				return Response{Text: msg, Blocks: []Block{
					&Section{Text: T(Plain("What are you looking for? Usage: "), Code("/search WORDS"), Plain(", e.g. "), Code("/search sends invoices"), Plain("."))},
					&Context{Text: T(Plain("It searches service names, aliases, descriptions, tags, owning teams, link titles and the first paragraph of each repo's README."))},
				}}, nil
			}
			hits, err := s.Search(ctx, req.Text, searchShown)
			if err != nil {
				return Response{}, err
			}
			if len(hits) == 0 {
				msg := fmt.Sprintf("No service matches %s.", req.Text)
				return Response{Text: msg, Blocks: []Block{
					&Section{Text: T(Plain("No service matches "), Code(req.Text), Plain("."))},
					&Context{Text: T(Plain("Try other or fewer words. To look a service up by name, "), Code("/whoowns NAME"), Plain("."))},
				}}, nil
			}
			intro := T(Plain("Services matching "), Code(req.Text), Plain(":"))
			return searchAnswer(req.Text, intro, "Services matching "+req.Text, hits, links), nil
		},
	}
}

// searchAnswer lists hits: each service's name (linked to its page),
// owner and why it matched, and a button per service that opens its
// /whoowns card. intro heads the list; summary starts the fallback text.
func searchAnswer(query string, intro Text, summary string, hits []catalog.SearchHit, links weblinks.Links) Response {
	if len(hits) > searchShown {
		hits = hits[:searchShown]
	}
	blocks := []Block{&Section{Text: intro}}
	actions := &Actions{}
	var names []string
	for _, h := range hits {
		svc := h.Service
		owner := "no owner"
		if svc.Team != "" {
			owner = svc.Team
		}
		line := T(Plain("• "), serviceName(links, svc), Plain(" — "+owner))
		if why := h.Why; len(why) > 0 {
			if len(why) > searchWhy {
				why = why[:searchWhy]
			}
			line = append(line, Plain("\n    "+strings.Join(why, " · ")))
		}
		blocks = append(blocks, &Section{Text: line})
		actions.Buttons = append(actions.Buttons, Button{Label: svc.Ref(), Command: "/whoowns " + svc.Ref()})
		names = append(names, svc.Ref()+" ("+owner+")")
	}
	blocks = append(blocks, actions)
	if u := links.Search(query); u != "" {
		blocks = append(blocks, &Context{Text: T(Link("All results in the catalog", u))})
	}
	text := summary + ": " + strings.Join(names, ", ")
	return Response{Text: text, Blocks: blocks, Shareable: true}
}

// nameLike reports whether query looks like one name rather than words:
// one word, as names are ("checkout-api", "storefront/frontend"). A
// misspelt name gets "did you mean"; words get a search.
func nameLike(query string) bool {
	return len(strings.Fields(query)) == 1
}
