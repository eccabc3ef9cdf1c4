package shell_test

import (
	"strings"
	"testing"

	"github.com/switchboard-dev/switchboard/commands"
	"github.com/switchboard-dev/switchboard/shell"
)

// TestRenderShowsTextAsTyped shows hostile text as it was written (a
// terminal reads no Slack markup, so nothing is escaped), except what
// would act on the terminal.
func TestRenderShowsTextAsTyped(t *testing.T) {
	tests := []struct {
		name, value, want string
	}{
		{"channel", "<!channel>", "<!channel>"},
		{"mention", "<@U123>", "<@U123>"},
		{"link", "<https://evil.example|click>", "<https://evil.example|click>"},
		{"entity", "&amp; &lt;", "&amp; &lt;"},
		{"markdown", "*bold* ``` `x` ```", "*bold* ``` `x` ```"},
		{"zero width", "a\u200bb", "a\u200bb"},
		{"escape sequence", "red\x1b[31m\x07", `red\u001b[31m\u0007`},
		{"right-to-left override", "\u202e<!here>\u202c", `\u202e<!here>\u202c`},
		{"carriage return", "ok\rfake", `ok\u000dfake`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			resp := commands.Response{Text: tt.value, Blocks: []commands.Block{
				&commands.Header{Text: tt.value},
				&commands.Section{Text: commands.T(commands.Plain(tt.value), commands.Link(tt.value, "https://e.example")), Fields: []commands.Field{{Label: tt.value, Value: commands.T(commands.Code(tt.value))}}},
			}}
			if err := shell.Render(&b, resp); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			if n := strings.Count(out, tt.want); n < 4 {
				t.Fatalf("got %q, want %q shown in every block", out, tt.want)
			}
			if strings.ContainsAny(out, "\x1b\x07\r\u202e") {
				t.Fatalf("got %q: a character that acts on the terminal", out)
			}
		})
	}
}

func TestRenderFilePreview(t *testing.T) {
	tests := []struct {
		name, content string
		want, notWant []string
	}{
		{"short", "a,b\n1,2\n", []string{"[file x.csv: X, 8 bytes, 2 lines]", "  | a,b", "  | 1,2"}, []string{"more lines"}},
		{"long", strings.Repeat("r\n", 10), []string{"10 lines]", "  | … 4 more lines"}, nil},
		{"terminal escape", "\x1b[2Jboom\n", []string{`\u001b[2Jboom`}, []string{"\x1b"}},
		{"binary", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff", []string{"[file x.csv: X, 17 bytes, binary]"}, []string{"PNG", "  | "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			if err := shell.Render(&b, commands.Response{Text: "t", File: &commands.File{Name: "x.csv", Title: "X", Content: []byte(tt.content)}}); err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("got %q, want %q in it", b.String(), w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(b.String(), w) {
					t.Errorf("got %q, want no %q", b.String(), w)
				}
			}
		})
	}
}
