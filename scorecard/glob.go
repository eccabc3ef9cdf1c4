package scorecard

import (
	"fmt"
	"regexp"
	"strings"
)

// Glob is a compiled file pattern of a file:GLOB fact, matched against a
// path from the root of the service's folder ("src/main/App.java"): *
// matches within a folder, ** any number of folders (including none), ?
// one character other than /, {a,b} either alternative (not nested); every
// other character stands for itself. Case is ignored.
type Glob struct {
	pattern string
	re      *regexp.Regexp
	expr    string
}

// CompileGlob compiles pattern. A leading "/" is dropped; an empty
// pattern, an unclosed or nested {, and ".." are refused.
func CompileGlob(pattern string) (*Glob, error) {
	p := strings.TrimPrefix(strings.TrimSpace(pattern), "/")
	if p == "" {
		return nil, fmt.Errorf("empty file pattern")
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == ".." {
			return nil, fmt.Errorf("file pattern %q: .. is not allowed, patterns start at the repo's root", pattern)
		}
	}
	var b strings.Builder
	b.WriteString("^")
	inBrace := false
	rs := []rune(p)
	for i := 0; i < len(rs); i++ {
		c := rs[i]
		switch {
		case c == '*' && i+1 < len(rs) && rs[i+1] == '*':
			i++
			if i+1 < len(rs) && rs[i+1] == '/' {
				// "**/" is any number of folders, including none.
				i++
				b.WriteString("(.*/)?")
			} else {
				b.WriteString(".*")
			}
		case c == '*':
			b.WriteString("[^/]*")
		case c == '?':
			b.WriteString("[^/]")
		case c == '{':
			if inBrace {
				return nil, fmt.Errorf("file pattern %q: { inside { is not supported", pattern)
			}
			inBrace = true
			b.WriteString("(")
		case c == '}' && inBrace:
			inBrace = false
			b.WriteString(")")
		case c == ',' && inBrace:
			b.WriteString("|")
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	if inBrace {
		return nil, fmt.Errorf("file pattern %q: { is not closed", pattern)
	}
	b.WriteString("$")
	expr := b.String()
	re, err := regexp.Compile("(?i)" + expr)
	if err != nil {
		return nil, fmt.Errorf("file pattern %q: %w", pattern, err)
	}
	return &Glob{pattern: p, re: re, expr: expr}, nil
}

// String returns the pattern as compiled (without a leading /).
func (g *Glob) String() string { return g.pattern }

// Match reports whether path (from the service folder's root, without a
// leading /) matches, ignoring case.
func (g *Glob) Match(path string) bool {
	return g.re.MatchString(strings.TrimPrefix(path, "/"))
}

// Regexp returns the pattern as an anchored regular expression in the
// syntax RE2 and Postgres share, to be matched case-insensitively (in SQL:
// path ~* $1), so the catalog can find matching files in one query.
func (g *Glob) Regexp() string { return g.expr }
