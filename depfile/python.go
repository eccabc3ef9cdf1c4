package depfile

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

var (
	// name[extras] specifier, per PEP 508 (the name part).
	reqLine = regexp.MustCompile(`^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(\[[^\]]*\])?\s*(.*)$`)
	// a version specifier list: ">=1.0, <2", "==2.22.0", "~=1.4", "(>=1.0)".
	reqSpec   = regexp.MustCompile(`^\(?\s*(?:(?:~=|===|==|!=|<=|>=|<|>)\s*[A-Za-z0-9.*+!_-]+\s*,?\s*)+\)?$`)
	reqPinned = regexp.MustCompile(`^(?:===?)\s*([A-Za-z0-9.+!_-]+)$`)
	reqURLish = regexp.MustCompile(`^(?:[a-z][a-z0-9+.-]*://|git\+|hg\+|svn\+|bzr\+|\.{1,2}/|/|file:)`)
)

// viaComment matches pip-compile's "    # via x" (and the "    #   x" lines
// of a list that follows a bare "# via").
var (
	viaComment  = regexp.MustCompile(`^\s+#\s+via(?:\s+(.*))?$`)
	viaListItem = regexp.MustCompile(`^\s+#\s+(\S.*)$`)
	// older pip-compile: "pkg==1.0    # via a, b" on the requirement's line
	viaInline = regexp.MustCompile(`\s#\s+via\s+(.+)$`)
)

// parseRequirementsGraph reads a requirements file; one compiled by
// pip-compile or uv pip compile, whose "# via" comments say what requires
// each pin, gives the full graph: a pin "via -r requirements.in", "via
// project (pyproject.toml)" or with no "# via" at all (older pip-compile)
// is direct. Any other requirements file is a manifest, every requirement
// direct.
func parseRequirementsGraph(file string, data []byte) (parsed, error) {
	deps, via, err := readRequirements(file, data)
	if err != nil {
		return parsed{}, err
	}
	if len(via) == 0 {
		for i := range deps {
			deps[i].Direct = true
		}
		return parsed{deps: deps, graph: GraphDeclared}, nil
	}
	var g graph
	byName := map[string]int{}
	for _, d := range deps {
		byName[PEP503(d.Name)] = g.add(d)
	}
	for i := range deps {
		if len(via[i]) == 0 {
			g.root(i)
		}
		for _, v := range via[i] {
			switch {
			case strings.HasPrefix(v, "-r ") || strings.HasSuffix(v, ".toml)") || strings.HasSuffix(v, ".py)") || strings.HasSuffix(v, ".cfg)"):
				g.root(i)
			default:
				name := v
				if j := strings.IndexAny(v, " ["); j > 0 {
					name = v[:j]
				}
				if from, ok := byName[PEP503(name)]; ok {
					g.edge(from, i)
				}
			}
		}
	}
	p := parsed{graph: GraphPaths}
	if g.inferRoots() {
		p.note = "no \"# via -r\" comment: direct requirements are taken to be those nothing else requires"
	}
	p.deps = g.resolve()
	return p, nil
}

// readRequirements reads a pip requirements file: one requirement a line,
// "name[extras] specifier ; markers"; a pinned "==1.2" gives Version "1.2",
// any other specifier is kept as written (">=2.0,<3"). Comments, options
// (-r includes, -c constraints, --index-url, -e editables) and URL or path
// requirements are skipped.
// For a compiled file it also returns the "# via" entries of each
// requirement, by index in deps.
func readRequirements(file string, data []byte) ([]Dependency, map[int][]string, error) {
	var deps []Dependency
	via := map[int][]string{}
	inVia := false
	lines := splitLines(data)
	for i := 0; i < len(lines); i++ {
		start := i + 1
		line := lines[i]
		if m := viaComment.FindStringSubmatch(line); m != nil && len(deps) > 0 {
			if v := strings.TrimSpace(m[1]); v != "" {
				via[len(deps)-1] = append(via[len(deps)-1], v)
				inVia = false
			} else {
				inVia = true
			}
			continue
		}
		if m := viaListItem.FindStringSubmatch(line); m != nil && inVia && len(deps) > 0 {
			via[len(deps)-1] = append(via[len(deps)-1], strings.TrimSpace(m[1]))
			continue
		}
		inVia = false
		var inline []string
		if m := viaInline.FindStringSubmatch(line); m != nil {
			for v := range strings.SplitSeq(m[1], ",") {
				if v = strings.TrimSpace(v); v != "" {
					inline = append(inline, v)
				}
			}
		}
		if strings.HasSuffix(line, `\`) {
			// Backslash continues a requirement on the next line.
			var b strings.Builder
			for strings.HasSuffix(line, `\`) && i+1 < len(lines) {
				b.WriteString(strings.TrimSuffix(line, `\`))
				b.WriteByte(' ')
				i++
				line = lines[i]
			}
			b.WriteString(strings.TrimSuffix(line, `\`))
			line = b.String()
		}
		line = stripReqComment(line)
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "-") || reqURLish.MatchString(line) {
			continue
		}
		// Environment markers and per-requirement options.
		if j := strings.Index(line, ";"); j >= 0 {
			line = strings.TrimSpace(line[:j])
		}
		if j := strings.Index(line, " --"); j >= 0 {
			line = strings.TrimSpace(line[:j])
		}
		m := reqLine.FindStringSubmatch(line)
		if m == nil {
			return nil, nil, &Error{File: file, Line: start, Column: 1, Msg: "invalid requirement " + quoteShort(line)}
		}
		name, spec := m[1], strings.TrimSpace(m[3])
		version := ""
		switch {
		case spec == "":
		case strings.HasPrefix(spec, "@"):
			// name @ https://... : a direct reference, no version.
		case reqSpec.MatchString(spec):
			version = spec
			if p := reqPinned.FindStringSubmatch(strings.Trim(spec, "() ")); p != nil && !strings.Contains(p[1], "*") {
				version = p[1]
			}
		default:
			return nil, nil, &Error{File: file, Line: start, Column: len(m[0]) - len(m[3]) + 1, Msg: fmt.Sprintf("invalid version specifier %s for %s", quoteShort(spec), name)}
		}
		if inline != nil {
			via[len(deps)] = inline
		}
		deps = append(deps, Dependency{Ecosystem: PyPI, Name: name, Version: version, File: file, Line: start})
	}
	return deps, via, nil
}

// stripReqComment removes a "#" comment: at the start of the line or after
// whitespace, as pip does (so a URL's "#egg=" fragment stays).
func stripReqComment(line string) string {
	for i := 0; i < len(line); i++ {
		if line[i] == '#' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t') {
			return line[:i]
		}
	}
	return line
}

// poetryPackages reads poetry.lock's [[package]] tables (name, version,
// category) with a small reader of the TOML that Poetry writes: tables,
// arrays of tables, key = value with strings, arrays and inline tables that
// may span lines.
func poetryPackages(file string, data []byte) ([]Dependency, error) {
	t := &tomlReader{file: file, data: data, idx: NewLineIndex(data)}
	var (
		deps     []Dependency
		cur      *Dependency
		inTable  bool // the current table is the [[package]] itself
		metadata bool // Poetry writes [metadata] last
	)
	flush := func() error {
		if cur == nil {
			return nil
		}
		if cur.Name == "" {
			return &Error{File: file, Line: cur.Line, Column: 1, Msg: "[[package]] without a name"}
		}
		deps = append(deps, *cur)
		cur = nil
		return nil
	}
	for {
		t.skipSpace(true)
		if t.pos >= len(t.data) {
			break
		}
		switch c := t.data[t.pos]; {
		case c == '[':
			line := t.idx.Line(t.pos)
			header, err := t.header()
			if err != nil {
				return nil, err
			}
			switch {
			case header == "[[package]]":
				if err := flush(); err != nil {
					return nil, err
				}
				cur = &Dependency{Ecosystem: PyPI, File: file, Line: line}
				inTable = true
			case strings.HasPrefix(header, "[package.") || strings.HasPrefix(header, "[[package."):
				// A sub-table of the package being read
				// ([package.dependencies]): its keys are not the package's.
				inTable = false
			default:
				if err := flush(); err != nil {
					return nil, err
				}
				inTable = false
				metadata = metadata || header == "[metadata]"
			}
		default:
			key, err := t.key()
			if err != nil {
				return nil, err
			}
			value, isString, err := t.value()
			if err != nil {
				return nil, err
			}
			if cur != nil && inTable {
				switch key {
				case "name":
					if isString {
						cur.Name = value
					}
				case "version":
					if isString {
						cur.Version = value
					}
				case "category":
					if isString && value == "dev" {
						cur.Scope = "dev"
					}
				}
			}
			if err := t.endOfLine(); err != nil {
				return nil, err
			}
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	if !metadata {
		line, col := lineCol(data, len(data))
		return nil, &Error{File: file, Line: line, Column: col, Msg: "no [metadata] table, which Poetry writes last: truncated poetry.lock"}
	}
	return deps, nil
}

// tomlReader is the part of a TOML reader parsePoetryLock needs.
type tomlReader struct {
	file string
	data []byte
	pos  int
	idx  LineIndex
}

func (t *tomlReader) errorf(at int, format string, args ...any) error {
	line, col := lineCol(t.data, at)
	return &Error{File: t.file, Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
}

// skipSpace skips blanks and comments, and newlines too when newlines is
// true.
func (t *tomlReader) skipSpace(newlines bool) {
	for t.pos < len(t.data) {
		switch t.data[t.pos] {
		case ' ', '\t', '\r':
			t.pos++
		case '\n':
			if !newlines {
				return
			}
			t.pos++
		case '#':
			for t.pos < len(t.data) && t.data[t.pos] != '\n' {
				t.pos++
			}
		default:
			return
		}
	}
}

// header reads "[table]" or "[[array]]" and returns it as written, without
// inner blanks.
func (t *tomlReader) header() (string, error) {
	start := t.pos
	end := start
	for end < len(t.data) && t.data[end] != '\n' {
		end++
	}
	line := strings.TrimSpace(stripTOMLComment(string(t.data[start:end])))
	if !strings.HasSuffix(line, "]") {
		return "", t.errorf(start, "unterminated table header %s", quoteShort(line))
	}
	t.pos = end
	return strings.ReplaceAll(line, " ", ""), nil
}

func stripTOMLComment(s string) string {
	inStr := byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inStr != 0 && c == '\\' && inStr == '"':
			i++
		case inStr != 0 && c == inStr:
			inStr = 0
		case inStr == 0 && (c == '"' || c == '\''):
			inStr = c
		case inStr == 0 && c == '#':
			return s[:i]
		}
	}
	return s
}

// key reads a (possibly dotted or quoted) key and the "=" after it.
func (t *tomlReader) key() (string, error) {
	start := t.pos
	var key strings.Builder
	for t.pos < len(t.data) {
		c := t.data[t.pos]
		switch {
		case c == '"' || c == '\'':
			s, _, err := t.str()
			if err != nil {
				return "", err
			}
			key.WriteString(s)
			continue
		case c == '=':
			t.pos++
			t.skipSpace(false)
			k := strings.TrimSpace(key.String())
			if k == "" {
				return "", t.errorf(start, "missing key before =")
			}
			return k, nil
		case c == '\n':
			return "", t.errorf(start, "want key = value, got %s", quoteShort(string(t.data[start:t.pos])))
		case isBareKey(c) || c == '.' || c == ' ' || c == '\t':
			key.WriteByte(c)
		default:
			return "", t.errorf(t.pos, "unexpected %q in key", rune(c))
		}
		t.pos++
	}
	return "", t.errorf(start, "want key = value, got end of file")
}

func isBareKey(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// value reads one value; for a string it returns the string.
func (t *tomlReader) value() (string, bool, error) {
	if t.pos >= len(t.data) {
		return "", false, t.errorf(t.pos, "missing value")
	}
	switch c := t.data[t.pos]; c {
	case '"', '\'':
		s, _, err := t.str()
		return s, err == nil, err
	case '[', '{':
		return "", false, t.compound()
	case '\n', '\r', '#':
		return "", false, t.errorf(t.pos, "missing value")
	}
	// Numbers, booleans, dates: up to the end of the line or a comment.
	start := t.pos
	for t.pos < len(t.data) && t.data[t.pos] != '\n' && t.data[t.pos] != '#' && t.data[t.pos] != ',' &&
		t.data[t.pos] != ']' && t.data[t.pos] != '}' {
		t.pos++
	}
	return strings.TrimSpace(string(t.data[start:t.pos])), false, nil
}

// compound skips an array or inline table, which may span lines.
func (t *tomlReader) compound() error {
	start := t.pos
	var stack []byte
	for t.pos < len(t.data) {
		switch c := t.data[t.pos]; c {
		case '[', '{':
			stack = append(stack, c)
			t.pos++
		case ']', '}':
			if len(stack) == 0 || (c == ']') != (stack[len(stack)-1] == '[') {
				return t.errorf(t.pos, "unexpected %q", rune(c))
			}
			stack = stack[:len(stack)-1]
			t.pos++
			if len(stack) == 0 {
				return nil
			}
		case '"', '\'':
			if _, _, err := t.str(); err != nil {
				return err
			}
		case '#':
			t.skipSpace(false)
		default:
			t.pos++
		}
	}
	return t.errorf(start, "unterminated %s", map[bool]string{true: "array", false: "inline table"}[t.data[start] == '['])
}

// str reads a basic, literal or multi-line string.
func (t *tomlReader) str() (string, bool, error) {
	start := t.pos
	q := t.data[t.pos]
	multi := t.pos+2 < len(t.data) && t.data[t.pos+1] == q && t.data[t.pos+2] == q
	if multi {
		t.pos += 3
		end := bytes.Index(t.data[t.pos:], []byte{q, q, q})
		if end < 0 {
			return "", false, t.errorf(start, "unterminated multi-line string")
		}
		s := string(t.data[t.pos : t.pos+end])
		t.pos += end + 3
		return s, true, nil
	}
	t.pos++
	for t.pos < len(t.data) {
		c := t.data[t.pos]
		switch {
		case c == '\n':
			return "", false, t.errorf(start, "unterminated string")
		case c == '\\' && q == '"':
			t.pos += 2
			continue
		case c == q:
			raw := string(t.data[start : t.pos+1])
			t.pos++
			if q == '\'' {
				return raw[1 : len(raw)-1], true, nil
			}
			s, err := strconv.Unquote(raw)
			if err != nil {
				// TOML escapes are close to Go's; keep the text as written
				// when they differ (\e, \x..).
				return raw[1 : len(raw)-1], true, nil
			}
			return s, true, nil
		}
		t.pos++
	}
	return "", false, t.errorf(start, "unterminated string")
}

// endOfLine checks that only blanks or a comment follow a value.
func (t *tomlReader) endOfLine() error {
	t.skipSpace(false)
	if t.pos < len(t.data) && t.data[t.pos] != '\n' {
		return t.errorf(t.pos, "unexpected %s after value", quoteShort(string(t.data[t.pos:min(t.pos+20, len(t.data))])))
	}
	return nil
}
