// Package shell runs Switchboard's commands from a terminal: it renders
// command responses as text and reads slash commands line by line. It is
// the demo's front end and a test harness for every command.
package shell

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/switchboard-dev/switchboard/commands"
)

// Render writes resp as plain text, as is: the text is not escaped (a
// terminal reads no markup), only kept from acting on the terminal.
func Render(w io.Writer, resp commands.Response) error {
	var b strings.Builder
	if resp.InChannel {
		b.WriteString("[posted in the channel]\n")
	}
	if len(resp.Blocks) == 0 && resp.Text != "" && resp.Form == nil {
		b.WriteString(resp.Text + "\n")
	}
	for _, blk := range resp.Blocks {
		switch blk := blk.(type) {
		case *commands.Header:
			b.WriteString(blk.Text + "\n" + strings.Repeat("=", len([]rune(blk.Text))) + "\n")
		case *commands.Section:
			if len(blk.Text) > 0 {
				b.WriteString(text(blk.Text) + "\n")
			}
			width := 0
			for _, f := range blk.Fields {
				width = max(width, len([]rune(f.Label)))
			}
			for _, f := range blk.Fields {
				fmt.Fprintf(&b, "  %-*s  %s\n", width+1, f.Label+":", indent(text(f.Value), width+5))
			}
		case *commands.Context:
			b.WriteString("  " + indent(text(blk.Text), 2) + "\n")
		case *commands.Divider:
			b.WriteString(strings.Repeat("-", 40) + "\n")
		case *commands.Actions:
			for _, btn := range blk.Buttons {
				switch {
				case btn.Command != "":
					fmt.Fprintf(&b, "  -> %s\n", btn.Command)
				case btn.URL != "":
					fmt.Fprintf(&b, "  -> %s: %s\n", btn.Label, btn.URL)
				}
			}
		case *commands.Select:
			b.WriteString("  " + blk.Placeholder + ":\n")
			for i, o := range blk.Options {
				line := fmt.Sprintf("    %d. %s", i+1, o.Label)
				if o.Description != "" {
					line += " — " + o.Description
				}
				if o.Command != "" {
					line += "   (" + o.Command + ")"
				}
				b.WriteString(line + "\n")
			}
		}
	}
	if f := resp.File; f != nil {
		b.WriteString(filePreview(f))
	}
	_, err := io.WriteString(w, visible(b.String()))
	return err
}

// previewLines is how many lines of a file the shell shows.
const previewLines = 6

// filePreview shows a file an answer comes with (Slack would upload it):
// its name, size and first lines.
func filePreview(f *commands.File) string {
	if !utf8.Valid(f.Content) || bytes.IndexByte(f.Content, 0) >= 0 {
		// An image (a chart): its name and size, not its bytes.
		return fmt.Sprintf("[file %s: %s, %d bytes, binary]\n", f.Name, f.Title, len(f.Content))
	}
	lines := strings.Split(strings.TrimRight(string(f.Content), "\n"), "\n")
	var b strings.Builder
	fmt.Fprintf(&b, "[file %s: %s, %d bytes, %d lines]\n", f.Name, f.Title, len(f.Content), len(lines))
	for _, l := range lines[:min(len(lines), previewLines)] {
		b.WriteString("  | " + l + "\n")
	}
	if len(lines) > previewLines {
		fmt.Fprintf(&b, "  | … %d more lines\n", len(lines)-previewLines)
	}
	return b.String()
}

// visible keeps text from acting on the terminal: control characters
// (an escape sequence in a synced description) and bidirectional
// overrides, which reorder what follows them, are shown as \u escapes.
// Nothing else needs escaping: the terminal reads no markup.
func visible(s string) string {
	if !strings.ContainsFunc(s, invisible) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if invisible(r) {
			fmt.Fprintf(&b, "\\u%04x", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func invisible(r rune) bool {
	switch {
	case r == '\n' || r == '\t':
		return false
	case unicode.IsControl(r):
		return true
	case r == '\u061c' || r == '\u200e' || r == '\u200f' || (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069'):
		return true
	}
	return false
}

// text renders inline spans: links as "text <url>", mentions as "@name",
// code in backquotes.
func text(t commands.Text) string {
	var b strings.Builder
	for _, s := range t {
		switch {
		case s.UserID != "":
			b.WriteString("@" + s.Text)
		case s.URL != "" && s.URL != s.Text:
			b.WriteString(s.Text + " <" + s.URL + ">")
		case s.Style == "code":
			b.WriteString("`" + s.Text + "`")
		default:
			b.WriteString(s.Text)
		}
	}
	return b.String()
}

// indent indents every line of s after the first by n spaces.
func indent(s string, n int) string {
	return strings.ReplaceAll(s, "\n", "\n"+strings.Repeat(" ", n))
}
