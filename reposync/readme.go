package reposync

import (
	"bytes"
	"context"
	"path"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/gitlab"
)

// ReadmeMaxLen is the most of a README's first paragraph kept, in bytes;
// longer ones are cut at a word with "…".
const ReadmeMaxLen = 600

// readmeMinWords is how many words a paragraph needs to count as prose
// (not "FIXME", not a lone link).
const readmeMinWords = 4

// readme reads the README called name (pickReadme's choice; "" for none)
// at ref and keeps its first paragraph. A README that cannot be read (not
// found at that commit, too large, GitLab failing) is left as stored: nil,
// and the next sync that sees it changed, or the first that finds it never
// read, tries again. It costs one request when the repo has a README.
func (s *Syncer) readme(ctx context.Context, p gitlab.Project, name, ref string) *catalog.RepoReadme {
	if name == "" {
		return &catalog.RepoReadme{}
	}
	f, err := s.src.File(ctx, p.ID, name, ref)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("README not read", "repo", p.Path, "file", name, "err", err)
		}
		return nil
	}
	return &catalog.RepoReadme{Path: name, Paragraph: ReadmeParagraph(name, f.Content)}
}

// pickReadme returns the repo's README at its root, "" when it has none:
// README.md first, then README, then any other readme.* (README.rst,
// readme.txt, ...), ignoring case.
func pickReadme(tree []string) string {
	best, rank := "", 99
	for _, f := range tree {
		if strings.Contains(f, "/") {
			continue
		}
		name := strings.ToLower(f)
		r := 99
		switch {
		case name == "readme.md":
			r = 0
		case name == "readme.markdown":
			r = 1
		case name == "readme":
			r = 2
		case name == "readme.rst" || name == "readme.txt":
			r = 3
		case strings.HasPrefix(name, "readme."):
			r = 4
		}
		if r < rank || r == rank && f < best {
			best, rank = f, r
		}
	}
	return best
}

// ReadmeParagraph returns the first prose paragraph of a README: not a
// heading, a badge, an image, an HTML block or comment, a list, a table, a
// quote or code; with links and emphasis reduced to their text, white space
// folded, and at most ReadmeMaxLen bytes. Markdown (README.md and
// README.markdown, and README with no extension) is parsed as CommonMark;
// other files (README.rst, README.txt) are read as plain paragraphs, their
// reStructuredText directives and heading underlines skipped. "" when
// there is none.
func ReadmeParagraph(name string, content []byte) string {
	content = bytes.ToValidUTF8(content, []byte("\uFFFD"))
	switch strings.ToLower(path.Ext(name)) {
	case ".md", ".markdown", "":
		return markdownParagraph(content)
	}
	return plainParagraph(content)
}

// frontMatter is a YAML front matter block at the start of a Markdown file.
var frontMatter = regexp.MustCompile(`\A---\r?\n(?s:.*?)\r?\n---\r?\n`)

func markdownParagraph(content []byte) string {
	content = frontMatter.ReplaceAll(content, nil)
	doc := goldmark.New().Parser().Parse(text.NewReader(content))
	// Only the document's own paragraphs: a quote is an aside (an
	// advisory, a note to contributors), a list item not a description.
	for n := doc.FirstChild(); n != nil; n = n.NextSibling() {
		if n.Kind() != ast.KindParagraph {
			continue
		}
		var b strings.Builder
		inlineText(&b, n, content)
		if p := prose(b.String()); p != "" {
			return p
		}
	}
	return ""
}

// inlineText writes the text of n's inline content: link text without
// the address, code spans' code, no images and no raw HTML.
func inlineText(b *strings.Builder, n ast.Node, src []byte) {
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch c := c.(type) {
		case *ast.Image, *ast.RawHTML:
			continue
		case *ast.Text:
			b.Write(c.Segment.Value(src))
			if c.SoftLineBreak() || c.HardLineBreak() {
				b.WriteByte(' ')
			}
		case *ast.String:
			b.Write(c.Value)
		case *ast.CodeSpan:
			for t := c.FirstChild(); t != nil; t = t.NextSibling() {
				if s, ok := t.(*ast.Text); ok {
					b.Write(s.Segment.Value(src))
				}
			}
		case *ast.AutoLink:
			b.Write(c.Label(src))
		default:
			inlineText(b, c, src)
		}
	}
}

// plainParagraph splits text at blank lines and returns the first
// paragraph that is prose, skipping reStructuredText's directives
// (".. image::" with their indented options), heading underlines and
// literal blocks.
func plainParagraph(content []byte) string {
	var para []string
	flush := func() string {
		p := prose(strings.Join(para, " "))
		para = para[:0]
		return p
	}
	inDirective := false
	for _, line := range strings.Split(strings.ReplaceAll(string(content), "\r\n", "\n"), "\n") {
		trimmed := strings.TrimSpace(line)
		indented := trimmed != "" && (line[0] == ' ' || line[0] == '\t')
		switch {
		case trimmed == "":
			inDirective = false
			if p := flush(); p != "" {
				return p
			}
		case strings.HasPrefix(trimmed, ".. ") || trimmed == "..":
			inDirective = true
			para = para[:0]
		case inDirective && indented, indented:
			// options of a directive, a literal block or a quote
		case underline(trimmed):
			para = para[:0] // the line before was a heading
		default:
			para = append(para, trimmed)
		}
	}
	return flush()
}

// underline reports whether s is a reStructuredText section adornment
// ("=====", "-----", "~~~~").
func underline(s string) bool {
	if len(s) < 3 {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] != s[0] {
			return false
		}
	}
	return strings.ContainsRune("=-~^\"'`#*+_:.", rune(s[0]))
}

// prose folds white space in p and returns it, cut to ReadmeMaxLen, when it
// reads as a sentence: at least readmeMinWords words with letters; else "".
func prose(p string) string {
	p = strings.Join(strings.Fields(p), " ")
	words := 0
	for _, w := range strings.Fields(p) {
		if strings.IndexFunc(w, unicode.IsLetter) >= 0 {
			words++
		}
	}
	if words < readmeMinWords {
		return ""
	}
	if len(p) <= ReadmeMaxLen {
		return p
	}
	cut := ReadmeMaxLen
	for cut > 0 && !utf8.RuneStart(p[cut]) {
		cut--
	}
	if i := strings.LastIndexByte(p[:cut], ' '); i > ReadmeMaxLen/2 {
		cut = i
	}
	return strings.TrimRight(p[:cut], " ,;:") + "…"
}
