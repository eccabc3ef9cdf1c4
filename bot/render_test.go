package bot

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/slack-go/slack"

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
