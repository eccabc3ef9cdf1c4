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
)

// fixture is a small catalog: payments with people and a repo, two
// frontends, a service without owner or runbook.
func fixture(t *testing.T) (*catalog.Store, *commands.Router) {
	t.Helper()
	ctx := context.Background()
	s := catalog.NewStore(pgtest.New(t), nil)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := s.PutTeam(ctx, catalog.Team{Name: "payments", Title: "Payments", SlackChannel: "#team-payments"})
	must(err)
	_, err = s.PutPerson(ctx, catalog.Person{Name: "Ada Lovelace", Email: "ada@acme.test", SlackUserID: "U0ADA"})
	must(err)
	must(s.AddMember(ctx, "payments", "ada@acme.test", "gitlab", ""))
	co, err := s.PutService(ctx, catalog.Service{Name: "checkout-api", Team: "payments", Tier: "1", Lifecycle: "production",
		Source: catalog.SourceDescriptor, Aliases: []string{"checkout"},
		Links: []catalog.Link{{Kind: catalog.LinkRunbook, Title: "Runbook", URL: "https://wiki/checkout"}, {Kind: catalog.LinkDocs, Title: "Docs", URL: "https://docs/checkout"}}})
	must(err)
	repo, err := s.PutRepo(ctx, catalog.Repo{GitLabID: 7, Path: "acme/payments/checkout-api", WebURL: "https://gitlab/acme/payments/checkout-api"})
	must(err)
	must(s.AttachRepo(ctx, co.ID, repo.ID, ""))
	for _, svc := range []catalog.Service{
		{Namespace: "storefront", Name: "frontend", Team: "web", Source: catalog.SourceImport},
		{Namespace: "backoffice", Name: "frontend", Team: "ops", Source: catalog.SourceImport},
		{Name: "legacy-cron", Source: catalog.SourceImport},
	} {
		_, err := s.PutService(ctx, svc)
		must(err)
	}
	r := commands.NewRouter(slog.New(slog.DiscardHandler), 0)
	r.Register(commands.WhoOwns(s))
	return s, r
}

// flatten returns everything a response shows, as one string, for
// assertions that do not depend on layout.
func flatten(resp commands.Response) string {
	var b strings.Builder
	b.WriteString(resp.Text + "\n")
	for _, blk := range resp.Blocks {
		switch blk := blk.(type) {
		case *commands.Header:
			b.WriteString("H:" + blk.Text + "\n")
		case *commands.Section:
			b.WriteString(blk.Text.String() + "\n")
			for _, f := range blk.Fields {
				b.WriteString(f.Label + "=" + f.Value.String() + "\n")
			}
		case *commands.Context:
			b.WriteString(blk.Text.String() + "\n")
		case *commands.Actions:
			for _, btn := range blk.Buttons {
				b.WriteString("button:" + btn.Command + "\n")
			}
		case *commands.Select:
			for _, o := range blk.Options {
				b.WriteString("option:" + o.Command + " " + o.Description + "\n")
			}
		}
	}
	return b.String()
}

func TestWhoOwns(t *testing.T) {
	_, r := fixture(t)
	tests := []struct {
		name    string
		text    string
		want    []string
		notWant []string
	}{
		{"exact", "checkout-api", []string{"H:checkout-api", "Owner=payments (Payments)", "Channel=#team-payments", "Tier=1",
			"Lifecycle=production", "Repo=acme/payments/checkout-api", "Runbook=Runbook", "Docs=Docs", "People: Ada Lovelace"}, []string{"Missing"}},
		{"case", "Checkout-API", []string{"H:checkout-api", "Owner=payments"}, nil},
		{"alias", "checkout", []string{"H:checkout-api", "is an alias of"}, nil},
		{"misspelt", "chekout-api", []string{"Did you mean", "button:/whoowns checkout-api"}, []string{"H:"}},
		{"ambiguous", "frontend", []string{"2 services are called", "option:/whoowns backoffice/frontend owner ops", "option:/whoowns storefront/frontend owner web"}, []string{"H:"}},
		{"namespaced", "storefront/frontend", []string{"H:storefront/frontend", "Owner=web"}, nil},
		{"gaps", "legacy-cron", []string{"Owner=nobody", "Missing: owner", "runbook", "Slack channel"}, nil},
		{"unknown", "qqqzzzx", []string{"No service named", "no name close to it", "/service add", "catalog-info.yaml"}, []string{"Did you mean"}},
		{"no argument", "", []string{"Which service?", "/whoowns SERVICE"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := r.Dispatch(context.Background(), commands.Request{Command: "/whoowns", Text: tt.text, User: commands.User{ID: "U1"}})
			if err != nil {
				t.Fatal(err)
			}
			if resp.InChannel {
				t.Error("reply is in channel, want ephemeral")
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
		})
	}
}

// TestWhoOwnsDatabaseDown: with the database gone, the user is told so
// plainly and the error reaches the caller.
func TestWhoOwnsDatabaseDown(t *testing.T) {
	s, r := fixture(t)
	s.Pool().Close()
	resp, err := r.Dispatch(context.Background(), commands.Request{Command: "/whoowns", Text: "checkout-api"})
	if err == nil {
		t.Fatal("got nil error, want the database error")
	}
	if got := flatten(resp); !strings.Contains(got, "did nothing") && !strings.Contains(got, "not reachable") {
		t.Fatalf("reply: got %q, want an explanation", got)
	}
}

func TestRouterUnknownCommand(t *testing.T) {
	_, r := fixture(t)
	resp, err := r.Dispatch(context.Background(), commands.Request{Command: "/nope"})
	if err != nil {
		t.Fatal(err)
	}
	if got := flatten(resp); !strings.Contains(got, "There is no command /nope") || !strings.Contains(got, "/help") {
		t.Fatalf("got %q", got)
	}
	resp, _ = r.Dispatch(context.Background(), commands.Request{Command: "help"})
	if got := flatten(resp); !strings.Contains(got, "/whoowns SERVICE") {
		t.Fatalf("help: got %q", got)
	}
}

func TestRouterFailureMessages(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"timeout", context.DeadlineExceeded, "took too long"},
		{"other", errors.New("boom"), "failed on our side and did nothing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := commands.NewRouter(nil, 0)
			r.Register(commands.Command{Name: "/x", Handler: func(context.Context, commands.Request) (commands.Response, error) {
				return commands.Response{}, tt.err
			}})
			resp, err := r.Dispatch(context.Background(), commands.Request{Command: "/x"})
			if !errors.Is(err, tt.err) {
				t.Fatalf("error: got %v, want %v", err, tt.err)
			}
			if got := flatten(resp); !strings.Contains(got, tt.want) || strings.Contains(got, "boom") {
				t.Fatalf("reply: got %q, want %q and no internal detail", got, tt.want)
			}
		})
	}
}
