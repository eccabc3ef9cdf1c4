package manifest

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

var (
	// yamlDirectiveRe finds a %YAML 1.2 directive, which yaml.v3 refuses.
	yamlDirectiveRe = regexp.MustCompile(`(?m)^%YAML 1\.2([ \t\r]|$)`)
	// anyDirectiveRe finds a %YAML directive: Backstage's reader reads the
	// documents after a %YAML 1.1 one, up to the next %YAML directive, with
	// YAML 1.1 types.
	anyDirectiveRe = regexp.MustCompile(`(?m)^%YAML[ \t]+(\S+)`)
)

// textIssue counts one kind of problem in a file's text and keeps where it
// first happens.
type textIssue struct {
	count int
	first Pos
	r     rune // the offending rune (control characters)
}

func (t *textIssue) add(p Pos, r rune) {
	if t.count == 0 {
		t.first, t.r = p, r
	}
	t.count++
}

// decodeText turns a descriptor's bytes into the UTF-8 text yaml.v3 reads,
// the way Backstage reads them, and reports what it had to change:
//
//   - UTF-16 with a byte-order mark is decoded (a deliberate difference:
//     Backstage reads only UTF-8 and sees no entity), with a warning;
//   - a UTF-8 byte-order mark is dropped, as Backstage's YAML reader does;
//   - each byte that is not UTF-8 becomes U+FFFD, as Node's decoder does for
//     Backstage, with a warning;
//   - control characters YAML forbids but Backstage's reader keeps (NUL, BEL,
//     ...) become U+FFFD, with a warning: Postgres cannot store NUL in text,
//     so no NUL ever reaches the catalog;
//   - a byte-order mark that starts a line after the first is read as U+FFFD:
//     Backstage's reader makes it part of the key that follows;
//   - a carriage return not followed by a line feed is read as a space:
//     Backstage's reader does not break lines there;
//   - a %YAML 1.2 directive is read as 1.1, which yaml.v3 accepts;
//   - U+2028 and U+2029, which yaml.v3 takes for line breaks and Backstage's
//     reader for text, stand in the returned text as private-use characters
//     that restoreText puts back once the YAML is decoded.
//
// Replacements keep every character's line and column. It also returns the
// %YAML directives (see markYAML11).
func (c *checker) decodeText(data []byte) ([]byte, []yamlDirective, *strings.Replacer) {
	switch {
	case bytes.HasPrefix(data, []byte{0xff, 0xfe}), bytes.HasPrefix(data, []byte{0xfe, 0xff}):
		data = decodeUTF16(data)
		c.add(RuleEncoding, Pos{1, 1}, "the file is UTF-16: Switchboard reads it, but Backstage reads descriptors as UTF-8 only and sees no entity in it",
			"save the file as UTF-8")
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	var invalid, nul, control, cr textIssue
	clean := true
	for i := 0; i < len(data) && clean; {
		if b := data[i]; b < utf8.RuneSelf {
			if (b < 0x20 && b != '\t' && b != '\n' && b != '\r') || b == 0x7f || (b == '\r' && (i+1 == len(data) || data[i+1] != '\n')) {
				clean = false
			}
			i++
			continue
		}
		r, w := utf8.DecodeRune(data[i:])
		if (r == utf8.RuneError && w == 1) || yamlForbids(r) || r == '\ufeff' {
			clean = false
		}
		i += w
	}
	if !clean {
		out := make([]byte, 0, len(data)+16)
		line, col := 1, 1
		for i := 0; i < len(data); {
			r, w := utf8.DecodeRune(data[i:])
			p := Pos{line, col}
			switch {
			case r == utf8.RuneError && w == 1:
				invalid.add(p, r)
				out = utf8.AppendRune(out, utf8.RuneError)
			case r == 0:
				nul.add(p, r)
				out = utf8.AppendRune(out, utf8.RuneError)
			case yamlForbids(r):
				control.add(p, r)
				out = utf8.AppendRune(out, utf8.RuneError)
			case r == '\ufeff' && col == 1:
				control.add(p, r)
				out = utf8.AppendRune(out, utf8.RuneError)
			case r == '\r' && (i+1 == len(data) || data[i+1] != '\n'):
				cr.add(p, r)
				out = append(out, ' ')
			default:
				out = append(out, data[i:i+w]...)
			}
			if r == '\n' {
				line, col = line+1, 1
			} else {
				col++
			}
			i += w
		}
		data = out
	}
	if invalid.count > 0 {
		c.add(RuleEncoding, invalid.first, fmt.Sprintf("%s not UTF-8: Backstage and Switchboard read each as the replacement character U+FFFD", plural(invalid.count, "a byte is", "bytes are")),
			"save the file as UTF-8 (check the characters at this position)")
	}
	if nul.count > 0 {
		c.add(RuleEncoding, nul.first, fmt.Sprintf("the file holds %s: Switchboard reads it as U+FFFD, since the catalog cannot store NUL in text", plural(nul.count, "a NUL byte (0x00)", "NUL bytes (0x00)")),
			"remove the NUL byte; descriptors are plain text")
	}
	if control.count > 0 {
		c.add(RuleEncoding, control.first, fmt.Sprintf("character U+%04X%s in the file is a control character (or a byte-order mark inside the text) that YAML readers disagree on: Switchboard reads it as U+FFFD", control.r, others(control.count)),
			"remove the character")
	}
	if cr.count > 0 {
		c.add(RuleEncoding, cr.first, "a line ends with a carriage return alone (old Mac line endings): Backstage's YAML reader does not see a line break there, so neither does Switchboard",
			"save the file with LF (or CRLF) line endings")
	}
	if !bytes.Contains(data, []byte("%YAML")) {
		return data, nil, hideSeparators(&data)
	}
	var dirs []yamlDirective
	for _, m := range anyDirectiveRe.FindAllSubmatchIndex(data, -1) {
		dirs = append(dirs, yamlDirective{line: bytes.Count(data[:m[0]], []byte("\n")) + 1, yaml11: string(data[m[2]:m[3]]) == "1.1"})
	}
	if yamlDirectiveRe.Match(data) {
		data = yamlDirectiveRe.ReplaceAllFunc(data, func(m []byte) []byte {
			return append([]byte("%YAML 1.1"), m[len("%YAML 1.2"):]...)
		})
	}
	restore := hideSeparators(&data)
	return data, dirs, restore
}

// yamlDirective is a %YAML directive of a file.
type yamlDirective struct {
	line   int
	yaml11 bool
}

// underYAML11 reports whether the document whose content starts at line is
// read with YAML 1.1 types: the last %YAML directive before it says 1.1.
func underYAML11(dirs []yamlDirective, line int) bool {
	v11 := false
	for _, d := range dirs {
		if d.line < line {
			v11 = d.yaml11
		}
	}
	return v11
}

// hideSeparators replaces U+2028 and U+2029 in *data with private-use
// characters the text does not hold, and returns the replacer that puts them
// back (nil when there are none).
func hideSeparators(data *[]byte) *strings.Replacer {
	const ls, ps = "\u2028", "\u2029"
	if !bytes.Contains(*data, []byte(ls)) && !bytes.Contains(*data, []byte(ps)) {
		return nil
	}
	var free []string
	for r := rune(0x10FF00); r < 0x10FFFD && len(free) < 2; r++ {
		if !bytes.ContainsRune(*data, r) {
			free = append(free, string(r))
		}
	}
	if len(free) < 2 {
		return nil
	}
	*data = bytes.ReplaceAll(bytes.ReplaceAll(*data, []byte(ls), []byte(free[0])), []byte(ps), []byte(free[1]))
	return strings.NewReplacer(free[0], ls, free[1], ps)
}

// restoreText puts back in the scalars of doc what hideSeparators hid.
func restoreText(doc *yaml.Node, r *strings.Replacer) {
	if r == nil {
		return
	}
	walk(doc, func(n *yaml.Node) bool {
		if n.Kind == yaml.ScalarNode {
			n.Value = r.Replace(n.Value)
		}
		return true
	})
}

// yamlForbids reports whether yaml.v3 refuses rune r in a file ("control
// characters are not allowed") although Backstage's YAML reader keeps it.
func yamlForbids(r rune) bool {
	switch {
	case r == '\t', r == '\n', r == '\r':
		return false
	case r < 0x20, r == 0x7f:
		return true
	case r >= 0x80 && r <= 0x9f:
		// U+0085 (NEL) too: yaml.v3 breaks lines there, Backstage does not.
		return true
	case r == 0xfffe, r == 0xffff:
		return true
	}
	return false
}

// decodeUTF16 decodes UTF-16 text that starts with a byte-order mark into
// UTF-8, without the mark.
func decodeUTF16(data []byte) []byte {
	little := data[0] == 0xff
	data = data[2:]
	units := make([]uint16, 0, len(data)/2)
	for i := 0; i+1 < len(data); i += 2 {
		if little {
			units = append(units, uint16(data[i])|uint16(data[i+1])<<8)
		} else {
			units = append(units, uint16(data[i])<<8|uint16(data[i+1]))
		}
	}
	return []byte(string(utf16.Decode(units)))
}

// nulValues replaces NUL characters that escapes ("\0", "\x00", "\u0000")
// put in the scalars of doc with U+FFFD, with a warning at the first one: the
// catalog (Postgres) cannot store NUL in text.
func (c *checker) nulValues(doc *yaml.Node) {
	var first *yaml.Node
	count := 0
	walk(doc, func(n *yaml.Node) bool {
		if n.Kind == yaml.ScalarNode && strings.IndexByte(n.Value, 0) >= 0 {
			if first == nil {
				first = n
			}
			count++
			n.Value = strings.ReplaceAll(n.Value, "\x00", string(utf8.RuneError))
		}
		return true
	})
	if first != nil {
		c.at(RuleEncoding, first, fmt.Sprintf("%s a NUL character (an escaped \\0): Switchboard reads it as U+FFFD, since the catalog cannot store NUL in text", plural(count, "this value holds", "values hold")),
			"remove the \\0 escape from the value")
	}
}

// crossDocumentAliases reports aliases in docs[i] whose anchor is in an
// earlier document: yaml.v3 resolves them across the stream, but Backstage's
// YAML reader does not, and fails on the whole rest of the file.
func (c *checker) crossDocumentAliases(docs []*yaml.Node) {
	for _, doc := range docs {
		own := map[*yaml.Node]bool{}
		walk(doc, func(n *yaml.Node) bool {
			own[n] = true
			return true
		})
		walk(doc, func(n *yaml.Node) bool {
			if n.Kind == yaml.AliasNode && n.Alias != nil && !own[n.Alias] {
				c.at(RuleYAMLSyntax, n, fmt.Sprintf("alias *%s refers to an anchor in an earlier document: Backstage resolves anchors within one document only, so it cannot read this document or the ones after it", clip(n.Value)),
					fmt.Sprintf("repeat the value here instead of *%s, or define the anchor in this document", clip(n.Value)))
			}
			return true
		})
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func others(n int) string {
	if n <= 1 {
		return ""
	}
	return fmt.Sprintf(" (and %d more)", n-1)
}
