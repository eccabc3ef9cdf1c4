package commands_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
	"github.com/switchboard-dev/switchboard/sampleorg"
	"github.com/switchboard-dev/switchboard/weblinks"
)

// searchRouter is /whoowns with its search fallback and /search over the
// sample organisation, linking to a web catalog at https://sb.test.
func searchRouter(t *testing.T) (*catalog.Store, *commands.Router) {
	t.Helper()
	ctx := context.Background()
	s := catalog.NewStore(pgtest.New(t), nil)
	if err := sampleorg.Load(ctx, s); err != nil {
		t.Fatal(err)
	}
	links := weblinks.New("https://sb.test")
	r := commands.NewRouter(slog.New(slog.DiscardHandler), 0)
	r.Register(commands.WhoOwnsWith(commands.WhoOwnsConfig{Catalog: s, Search: s, Links: links}))
	r.Register(commands.Search(s, links))
	return s, r
}

// urls lists every link of a response.
func urls(resp commands.Response) []string {
	var out []string
	add := func(t commands.Text) {
		for _, s := range t {
			if s.URL != "" {
				out = append(out, s.URL)
			}
		}
	}
	for _, blk := range resp.Blocks {
		switch blk := blk.(type) {
		case *commands.Section:
			add(blk.Text)
			for _, f := range blk.Fields {
				add(f.Value)
			}
		case *commands.Context:
			add(blk.Text)
		}
	}
	return out
}

func buttonCommands(resp commands.Response) []string {
	var out []string
	for _, blk := range resp.Blocks {
		if a, ok := blk.(*commands.Actions); ok {
			for _, b := range a.Buttons {
				out = append(out, b.Command)
			}
		}
	}
	return out
}

// TestWhoOwnsSearchFallback: text that names no service is searched; one
// word close to a name is a misspelling ("did you mean"); a name is a card.
func TestWhoOwnsSearchFallback(t *testing.T) {
	_, r := searchRouter(t)
	tests := []struct {
		name        string
		command     string
		text        string
		want        []string
		notWant     []string
		firstButton string
	}{
		{"words from a description", "/whoowns", "thing that sends invoices",
			[]string{"No service is named", "These match it best", "invoice-service — backoffice", `description: "Issues invoices and credit notes."`},
			[]string{"Did you mean", "no name close"}, "/whoowns invoice-service"},
		{"question", "/whoowns", "who deletes stale images from the registry?",
			[]string{"registry-janitor — platform"}, nil, "/whoowns registry-janitor"},
		{"a name is a card", "/whoowns", "invoice-service", []string{"H:invoice-service", "Owner=backoffice"}, []string{"These match"}, ""},
		{"misspelt name: did you mean", "/whoowns", "invoice-servce", []string{"Did you mean", "invoice-service"}, []string{"These match"}, "/whoowns invoice-service"},
		{"one word, not a name, no close name: search", "/whoowns", "stock", []string{"These match it best", "inventory-sync"}, []string{"Did you mean"}, "/whoowns inventory-sync"},
		{"nothing at all", "/whoowns", "zebra quokka wombat",
			[]string{"No service is named", "none matches those words", "/service add"}, []string{"These match", "Did you mean"}, ""},
		{"search", "/search", "credit notes", []string{"Services matching", "invoice-service — backoffice"}, nil, "/whoowns invoice-service"},
		{"search by team", "/search", "storefront", []string{"Services matching"}, nil, ""},
		{"search nothing", "/search", "zebra quokka", []string{"No service matches", "zebra quokka", "/whoowns NAME"}, []string{"Services matching"}, ""},
		{"search empty", "/search", "", []string{"What are you looking for?", "/search WORDS"}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := r.Dispatch(context.Background(), commands.Request{Command: tt.command, Text: tt.text, User: commands.User{ID: "U1"}})
			if err != nil {
				t.Fatal(err)
			}
			got := flatten(resp)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("reply lacks %q; got:\n%s", w, got)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(got, w) {
					t.Errorf("reply has %q; got:\n%s", w, got)
				}
			}
			if tt.firstButton != "" {
				if b := buttonCommands(resp); len(b) == 0 || b[0] != tt.firstButton {
					t.Errorf("buttons %q, want %q first", b, tt.firstButton)
				}
			}
			if len(buttonCommands(resp)) > 5 {
				t.Errorf("%d buttons, want at most 5", len(buttonCommands(resp)))
			}
		})
	}
}

func TestSearchLinks(t *testing.T) {
	_, r := searchRouter(t)
	resp, err := r.Dispatch(context.Background(), commands.Request{Command: "/search", Text: "credit notes", User: commands.User{ID: "U1"}})
	if err != nil {
		t.Fatal(err)
	}
	u := urls(resp)
	if len(u) < 2 || u[0] != "https://sb.test/services/default/invoice-service" || u[len(u)-1] != "https://sb.test/search?q=credit+notes" {
		t.Errorf("links %q: want the service's page first and the search page last", u)
	}
	if !resp.Shareable {
		t.Error("not shareable")
	}
	resp, err = r.Dispatch(context.Background(), commands.Request{Command: "/whoowns", Text: "invoice-service", User: commands.User{ID: "U1"}})
	if err != nil {
		t.Fatal(err)
	}
	if u := urls(resp); !contains(u, "https://sb.test/services/default/invoice-service") {
		t.Errorf("card links %q: want its page", u)
	}
	// Without a base URL, no links to the catalog at all.
	s := catalog.NewStore(pgtest.New(t), nil)
	if err := sampleorg.Load(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	plain := commands.NewRouter(nil, 0)
	plain.Register(commands.Search(s, weblinks.Links{}))
	resp, err = plain.Dispatch(context.Background(), commands.Request{Command: "/search", Text: "credit notes", User: commands.User{ID: "U1"}})
	if err != nil {
		t.Fatal(err)
	}
	if u := urls(resp); len(u) != 0 {
		t.Errorf("links %q without a web catalog", u)
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// failingSearch is a catalog whose search fails (the database went away).
type failingSearch struct{}

func (failingSearch) Search(context.Context, string, int) ([]catalog.SearchHit, error) {
	return nil, errors.New("connection refused")
}

func TestSearchFails(t *testing.T) {
	r := commands.NewRouter(nil, 0)
	r.Register(commands.Search(failingSearch{}, weblinks.Links{}))
	resp, err := r.Dispatch(context.Background(), commands.Request{Command: "/search", Text: "invoices", User: commands.User{ID: "U1"}})
	if err == nil {
		t.Fatal("no error")
	}
	if !strings.Contains(resp.Text, "failed on our side") {
		t.Errorf("reply %q", resp.Text)
	}
}

// TestTeamLinksServices: /team lists its services linked to their pages
// when a web catalog is configured, in bold without.
func TestTeamLinksServices(t *testing.T) {
	ctx := context.Background()
	s := catalog.NewStore(pgtest.New(t), nil)
	if err := sampleorg.Load(ctx, s); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		base string
		want []string
	}{
		{"https://sb.test", []string{"https://sb.test/services/default/invoice-service", "https://sb.test/services/backoffice/frontend"}},
		{"", nil},
	} {
		r := commands.NewRouter(nil, 0)
		r.Register(commands.Team(s, &commands.OnCallLookup{Links: weblinks.New(tt.base)}))
		resp, err := r.Dispatch(ctx, commands.Request{Command: "/team", Text: "backoffice", User: commands.User{ID: "U1"}})
		if err != nil {
			t.Fatal(err)
		}
		got := urls(resp)
		for _, w := range tt.want {
			if !contains(got, w) {
				t.Errorf("base %q: links %q lack %s", tt.base, got, w)
			}
		}
		for _, u := range got {
			if tt.base == "" && strings.Contains(u, "/services/") {
				t.Errorf("no web catalog, yet a link to %s", u)
			}
		}
		if !strings.Contains(flatten(resp), "invoice-service") {
			t.Errorf("base %q: no invoice-service in\n%s", tt.base, flatten(resp))
		}
	}
}
