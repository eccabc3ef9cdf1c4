package depfile

import (
	"errors"
	"fmt"
	"strings"

	"github.com/BurntSushi/toml"
)

// decodeTOML decodes data into v with BurntSushi/toml, turning its errors
// into a positioned *Error.
func decodeTOML(file string, data []byte, v any) error {
	if _, err := toml.Decode(string(data), v); err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			line, col := pe.Position.Line, pe.Position.Col
			// An error at the end of the last line is reported on the
			// line after it, which the file does not have.
			if lines := splitLines(data); line > len(lines) && len(lines) > 0 {
				line, col = len(lines), len(lines[len(lines)-1])+1
			}
			return &Error{File: file, Line: line, Column: col, Msg: "invalid TOML: " + pe.Message}
		}
		return &Error{File: file, Msg: "invalid TOML: " + err.Error()}
	}
	return nil
}

// tomlHeaderLines returns the 1-based line of each "[[name]]" header, in
// order: the i-th is the line of the i-th table of that array.
func tomlHeaderLines(data []byte, name string) []int {
	want := "[[" + name + "]]"
	var lines []int
	for i, l := range splitLines(data) {
		l = strings.TrimSpace(stripTOMLComment(l))
		if strings.ReplaceAll(l, " ", "") == want {
			lines = append(lines, i+1)
		}
	}
	return lines
}

// keyLines finds, for each table of a TOML file, the line each key is
// set on: keyLines(data)["libraries"]["log4j-core"].
func keyLines(data []byte) map[string]map[string]int {
	out := map[string]map[string]int{}
	table := ""
	for i, l := range splitLines(data) {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "[") {
			table = strings.Trim(strings.ReplaceAll(stripTOMLComment(l), " ", ""), "[]")
			continue
		}
		k, _, ok := strings.Cut(l, "=")
		if !ok {
			continue
		}
		k = strings.Trim(strings.TrimSpace(k), `"'`)
		if out[table] == nil {
			out[table] = map[string]int{}
		}
		if _, dup := out[table][k]; !dup {
			out[table][k] = i + 1
		}
	}
	return out
}

// wordLine returns the first line, at or after line from (1-based), on
// which word appears as a whole word, ignoring case (a package name in a
// list of PEP 508 strings); 0 when none does.
func wordLine(lines []string, from int, word string) int {
	if word == "" {
		return 0
	}
	w := strings.ToLower(word)
	isWord := func(c byte) bool {
		return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
	}
	for i := max(from-1, 0); i < len(lines); i++ {
		l := strings.ToLower(lines[i])
		for off := 0; ; {
			j := strings.Index(l[off:], w)
			if j < 0 {
				break
			}
			j += off
			end := j + len(w)
			if (j == 0 || !isWord(l[j-1])) && (end == len(l) || !isWord(l[end])) {
				return i + 1
			}
			off = j + 1
		}
	}
	return 0
}

// tomlVersion returns v when it is a string, and the "version" of a table.
func tomlVersion(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case map[string]any:
		if s, ok := v["version"].(string); ok {
			return s
		}
	}
	return ""
}

// errMissing is an *Error for a file that decoded but lacks what makes it
// the format it is named after.
func errMissing(file, format string, args ...any) error {
	return &Error{File: file, Line: 1, Column: 1, Msg: fmt.Sprintf(format, args...)}
}
