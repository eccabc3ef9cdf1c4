package bot

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/switchboard-dev/switchboard/bot/fakeslack"
	"github.com/switchboard-dev/switchboard/commands"
)

func TestRenderLimits(t *testing.T) {
	many := make([]commands.Block, 70)
	for i := range many {
		many[i] = &commands.Divider{}
	}
	opts := make([]commands.Option, 150)
	for i := range opts {
		opts[i] = commands.Option{Label: strings.Repeat("x", 100), Command: "/whoowns s" + strings.Repeat("9", 3)}
	}
	fields := make([]commands.Field, 23)
	for i := range fields {
		fields[i] = commands.Field{Label: "L", Value: commands.T(commands.Plain(strings.Repeat("é", 2500)))}
	}
	tests := []struct {
		name  string
		resp  commands.Response
		check func(t *testing.T, blocks []slack.Block)
	}{
		{"at most 50 blocks", commands.Response{Blocks: many}, func(t *testing.T, blocks []slack.Block) {
			if len(blocks) != 50 {
				t.Fatalf("blocks: got %d, want 50", len(blocks))
			}
			if c, ok := blocks[49].(*slack.ContextBlock); !ok || !strings.Contains(c.ContextElements.Elements[0].(*slack.TextBlockObject).Text, "21 more blocks") {
				t.Fatalf("last block: got %#v, want a note of what was left out", blocks[49])
			}
		}},
		{"section text cut at 3000", commands.Response{Blocks: []commands.Block{&commands.Section{Text: commands.T(commands.Plain(strings.Repeat("ü", 5000)))}}}, func(t *testing.T, blocks []slack.Block) {
			txt := blocks[0].(*slack.SectionBlock).Text.Text
			if n := utf8.RuneCountInString(txt); n != 3000 || !strings.HasSuffix(txt, "…") {
				t.Fatalf("section text: got %d chars", n)
			}
		}},
		{"ten fields a section", commands.Response{Blocks: []commands.Block{&commands.Section{Fields: fields}}}, func(t *testing.T, blocks []slack.Block) {
			if len(blocks) != 3 {
				t.Fatalf("sections: got %d, want 3", len(blocks))
			}
			for _, b := range blocks {
				for _, f := range b.(*slack.SectionBlock).Fields {
					if utf8.RuneCountInString(f.Text) > 2000 {
						t.Fatalf("field over 2000 chars")
					}
				}
			}
		}},
		{"100 options a static select", commands.Response{Blocks: []commands.Block{&commands.Select{Options: opts}}}, func(t *testing.T, blocks []slack.Block) {
			sel := blocks[0].(*slack.ActionBlock).Elements.ElementSet[0].(*slack.SelectBlockElement)
			if len(sel.Options) != 100 || utf8.RuneCountInString(sel.Options[0].Text.Text) > 75 {
				t.Fatalf("options: got %d", len(sel.Options))
			}
			if len(blocks) != 2 {
				t.Fatalf("want a note of the 50 options left out")
			}
		}},
		{"escapes mrkdwn", commands.Response{Blocks: []commands.Block{&commands.Section{Text: commands.T(commands.Plain("a <b> & c"), commands.Link("x|y", "https://e/?a=1&b=2"))}}}, func(t *testing.T, blocks []slack.Block) {
			if got := blocks[0].(*slack.SectionBlock).Text.Text; got != "a &lt;b&gt; &amp; c<https://e/?a=1&amp;b=2|x¦y>" {
				t.Fatalf("got %q", got)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, blocks := render(tt.resp, "")
			tt.check(t, blocks)
			if _, err := json.Marshal(blocks); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// shownStrings returns the strings of a rendered payload that Slack shows.
func shownStrings(t *testing.T, v any) []string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var decoded any
	if err := json.Unmarshal(b, &decoded); err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(key string, v any)
	walk = func(key string, v any) {
		switch v := v.(type) {
		case string:
			if key == "text" {
				out = append(out, v)
			}
		case map[string]any:
			for k, e := range v {
				walk(k, e)
			}
		case []any:
			for _, e := range v {
				walk(key, e)
			}
		}
	}
	walk("", decoded)
	return out
}

// hostileResponse puts s in every string and span of a Response.
func hostileResponse(s string) commands.Response {
	return commands.Response{
		Text: s,
		Blocks: []commands.Block{
			&commands.Header{Text: s},
			&commands.Section{
				Text: commands.T(commands.Plain(s), commands.Bold(s), commands.Code(s), commands.Link(s, "https://ok.example/"+s),
					commands.Link("label", s), commands.Link(s, ""), commands.Mention(s, s), commands.Mention("U0ADA", s)),
				Fields: []commands.Field{{Label: s, Value: commands.T(commands.Plain(s))}},
			},
			&commands.Context{Text: commands.T(commands.Plain(s), commands.Link("", s))},
			&commands.Actions{Buttons: []commands.Button{{Label: s, Command: "/whoowns " + s}, {Label: s, URL: s}, {Label: s, URL: "https://ok.example/?q=" + s}}},
			&commands.Select{Placeholder: s, Options: []commands.Option{{Label: s, Description: s, Command: "/whoowns " + s}}},
		},
		Shareable: true,
	}
}

func hostileForm(s string) *commands.Form {
	return &commands.Form{ID: "f", Title: s, Submit: s, State: s, Fields: []commands.FormField{
		{Name: "a", Label: s, Kind: commands.FieldText, Initial: s, Hint: s, Placeholder: s},
		{Name: "b", Label: s, Kind: commands.FieldSelect, Options: []commands.Option{{Label: s, Command: s}}, Initial: s, Placeholder: s},
		{Name: "c", Label: s, Kind: commands.FieldSearch, Initial: s, InitialLabel: s, Placeholder: s},
		{Name: "d", Label: s, Kind: commands.FieldChannel, Placeholder: s},
	}}
}

// TestRenderHostile renders each hostile value in every string and span
// of a Response, a form and its errors: nothing Slack would read as a
// mention, a channel notification or a link comes out but what the
// renderer means.
func TestRenderHostile(t *testing.T) {
	for _, h := range fakeslack.Hostile {
		t.Run(h.Name, func(t *testing.T) {
			text, blocks := render(hostileResponse(h.Value), "/whoowns "+h.Value)
			payloads := map[string]any{
				"message": map[string]any{"text": text, "blocks": blocks},
				"modal":   modal(hostileForm(h.Value)),
				"errors":  formErrors(map[string]string{"a": h.Value}),
				"shared":  []any{sharedBy(commands.User{ID: h.Value, Name: h.Value})},
			}
			for name, p := range payloads {
				b, err := json.Marshal(p)
				if err != nil {
					t.Fatal(err)
				}
				var decoded any
				if err := json.Unmarshal(b, &decoded); err != nil {
					t.Fatal(err)
				}
				for _, v := range fakeslack.Unintended(decoded) {
					t.Errorf("%s: %s", name, v)
				}
				if strings.Contains(h.Value, "<") {
					for _, s := range shownStrings(t, p) {
						if strings.Contains(s, h.Value) {
							t.Errorf("%s: %q shown unescaped in %q", name, h.Value, s)
						}
					}
				}
			}
			if errs := formErrors(map[string]string{"a": h.Value}).Errors["a"]; strings.Contains(errs, "<") {
				t.Errorf("form error unescaped: %q", errs)
			}
		})
	}
}

// TestRenderSpans pins how each span kind renders, hostile or not.
func TestRenderSpans(t *testing.T) {
	tests := []struct {
		name string
		span commands.Span
		want string
	}{
		{"plain escaped", commands.Plain("<!channel> & co"), "&lt;!channel&gt; &amp; co"},
		{"bold", commands.Bold("<@U1>"), "*&lt;@U1&gt;*"},
		{"code with backquotes", commands.Code("a`b`"), "`aˋbˋ`"},
		{"link", commands.Link("docs", "https://e.example/a?b=1&c=2"), "<https://e.example/a?b=1&amp;c=2|docs>"},
		{"link with | > space in URL", commands.Link("x", "https://e.example/a|b>c d<e"), "<https://e.example/a%7Cb%3Ec%20d%3Ce|x>"},
		{"link with invisible characters", commands.Link("x", "https://e.example/\u202e\u200b"), "<https://e.example/%E2%80%AE%E2%80%8B|x>"},
		{"link label with |", commands.Link("a|b", "https://e.example"), "<https://e.example|a¦b>"},
		{"mailto", commands.Link("mail", "mailto:a@b.example"), "<mailto:a@b.example|mail>"},
		{"not a web address: text", commands.Link("click", "!channel"), "click"},
		{"javascript: text", commands.Link("x", "javascript:alert(1)"), "x"},
		{"no label: the escaped address", commands.Link("", "!here|x>"), "!here|x&gt;"},
		{"bare scheme: text", commands.Link("x", "https://"), "x"},
		{"mention", commands.Mention("U0ADA", "Ada"), "<@U0ADA>"},
		{"workspace mention", commands.Mention("W0ADA", "Ada"), "<@W0ADA>"},
		{"mention of no user id: the name", commands.Mention("!channel", "Ada <x>"), "Ada &lt;x&gt;"},
		{"mention of a lower-case id: the name", commands.Mention("u0ada", "Ada"), "Ada"},
		{"mention without a name: the id as text", commands.Mention("<!here>", ""), "&lt;!here&gt;"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mrkdwn(commands.T(tt.span), maxSectionChars); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestRenderCutsBetweenMarkup cuts over-long text between characters: never
// inside an entity, never through a link.
func TestRenderCutsBetweenMarkup(t *testing.T) {
	tests := []struct {
		name  string
		text  commands.Text
		limit int
		want  string
	}{
		{"entities", commands.T(commands.Plain("&&&&")), 12, "&amp;&amp;…"},
		{"a link that does not fit becomes its label, cut", commands.T(commands.Plain("see "), commands.Link("the runbook", "https://e.example/r")), 12, "see the run…"},
		{"a mention that does not fit becomes its name", commands.T(commands.Plain("by "), commands.Mention("U0ADA", "Ada Lovelace")), 8, "by Ada …"},
		{"fits", commands.T(commands.Link("r", "https://e.example")), 40, "<https://e.example|r>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mrkdwn(tt.text, tt.limit); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
	if got := escapeWithin("<<<<<", 10); got != "&lt;&lt;…" {
		t.Fatalf("escapeWithin: got %q, want %q", got, "&lt;&lt;…")
	}
}

// BenchmarkRender renders a /whoowns answer's shape: a header, a section
// with links and fields, mentions, a context and buttons.
func BenchmarkRender(b *testing.B) {
	c := commands.T
	resp := commands.Response{
		Text:      "checkout-api is owned by payments (Payments) & friends",
		Shareable: true,
		Blocks: []commands.Block{
			&commands.Header{Text: "checkout-api"},
			&commands.Section{Text: c(commands.Plain("Takes the basket to a paid order & <more>. "), commands.Bold("Tier 1"), commands.Plain(" · "), commands.Code("production")),
				Fields: []commands.Field{
					{Label: "Owner", Value: c(commands.Bold("payments"), commands.Plain(" (Payments) · "), commands.Link("#team-payments", "https://slack.com/app_redirect?channel=team-payments"))},
					{Label: "People", Value: c(commands.Mention("U0ADA", "Ada Lovelace"), commands.Plain(", "), commands.Mention("U0BOB", "Bob"))},
					{Label: "Repo", Value: c(commands.Link("acme/payments/checkout-api", "https://gitlab.acme.test/acme/payments/checkout-api"))},
					{Label: "Runbook", Value: c(commands.Link("Runbook", "https://wiki.acme.test/runbooks/checkout-api"))},
					{Label: "Docs", Value: c(commands.Link("Docs", "https://docs.acme.test/checkout-api?a=1&b=2"))},
					{Label: "On call", Value: c(commands.Mention("U0ADA", "Ada Lovelace"), commands.Plain(" until 18:00"))},
				}},
			&commands.Context{Text: c(commands.Plain("Catalog entry from catalog-info.yaml, synced 3 minutes ago"))},
			&commands.Actions{Buttons: []commands.Button{{Label: "On call", Command: "/oncall checkout-api"}, {Label: "Page", Command: "/page checkout-api", Style: "danger"}, {Label: "Runbook", URL: "https://wiki.acme.test/runbooks/checkout-api"}}},
		},
	}
	b.ReportAllocs()
	for b.Loop() {
		render(resp, "/whoowns checkout-api")
	}
}
