package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

var (
	// placeholderRe finds a scaffolder placeholder, ${{ ... }} on one line.
	placeholderRe = regexp.MustCompile(`\$\{\{[^\n]*\}\}`)
	// nunjucksRe finds a Nunjucks tag opening a line, {% if ... %}.
	nunjucksRe = regexp.MustCompile(`^\s*\{%-?\s`)
	// yamlLineRe reads yaml.v3's "yaml: line N: message".
	yamlLineRe = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
)

// IsDescriptorPath reports whether name (a slash-separated path) is a
// descriptor file Switchboard reads: catalog-info.yaml or .yml, opslevel.yml
// or .yaml, or any .yaml/.yml file inside a .backstage folder.
func IsDescriptorPath(name string) bool {
	return formatForPath(name) != FormatUnknown
}

// formatForPath chooses the format from the file name.
func formatForPath(p string) Format {
	p = strings.ReplaceAll(p, `\`, "/")
	base := strings.ToLower(path.Base(p))
	switch base {
	case "catalog-info.yaml", "catalog-info.yml":
		return FormatBackstage
	case "opslevel.yml", "opslevel.yaml":
		return FormatOpsLevel
	}
	if ext := path.Ext(base); ext != ".yaml" && ext != ".yml" {
		return FormatUnknown
	}
	for dir := range strings.SplitSeq(path.Dir(p), "/") {
		if dir == ".backstage" {
			return FormatBackstage
		}
	}
	return FormatUnknown
}

// Parse decodes and validates a descriptor file. The format is chosen by the
// file name (see IsDescriptorPath), else by the content. Parse never fails
// and never panics: whatever is wrong with data is a Finding.
func Parse(path string, data []byte, rules Rules) Descriptor {
	d := Descriptor{Path: path, Format: formatForPath(path), Entities: []Entity{}}
	c := newChecker(path, rules)
	c.parse(&d, data)
	d.Findings = c.done()
	return d
}

// parse fills d from data.
func (c *checker) parse(d *Descriptor, data []byte) {
	if limit := c.rules.maxFileSize(); len(data) > limit {
		c.add(RuleFileTooLarge, Pos{1, 1}, fmt.Sprintf("file is larger than %d bytes: not read", limit),
			"keep descriptors small: move API definitions out with `$text: ./openapi.yaml`")
		return
	}
	data, yaml11, restore := c.decodeText(data)
	docs, err := decodeDocs(data)
	if err != nil {
		// What Backstage's reader accepts and yaml.v3 does not: read again
		// with those lines rewritten, and keep the result if it parses.
		if alt, changed := lenientText(data); changed {
			if altDocs, altErr := decodeDocs(alt); altErr == nil {
				data, docs, err = alt, altDocs, nil
			}
		}
	}
	c.docs = docs
	for _, doc := range docs {
		restoreText(doc, restore)
		if root := docRoot(doc); root != nil && underYAML11(yaml11, root.Line) {
			for _, k := range markYAML11(doc) {
				c.at(RuleYAMLSyntax, k, "under %YAML 1.1, Backstage's reader expands merge keys, and this one does not merge a mapping",
					"merge a mapping (`<<: *anchor`), or remove the %YAML 1.1 directive and write the fields out")
			}
		}
	}
	if isSkeleton(data, docs, err) {
		d.Template = true
		if d.Format == FormatUnknown {
			d.Format = FormatBackstage
		}
		c.add(RuleTemplate, Pos{1, 1}, "software-template skeleton: its ${{ ... }} placeholders are filled in when the template runs, so it is not validated",
			"nothing to fix; the catalog-info.yaml the template generates is checked in the new repository")
		return
	}
	if err != nil {
		c.syntaxError(data, err)
	}
	if d.Format == FormatUnknown {
		d.Format = sniff(docs)
	}
	if bytes.IndexByte(data, '\\') >= 0 { // only an escape makes a NUL now
		for _, doc := range docs {
			c.nulValues(doc)
		}
	}
	if d.Format != FormatOpsLevel && len(docs) > 1 && bytes.IndexByte(data, '*') >= 0 {
		c.crossDocumentAliases(docs)
	}
	var found []decoded
	nonEmpty := 0
	for _, doc := range docs {
		root := docRoot(doc)
		if root == nil {
			continue
		}
		nonEmpty++
		c.duplicateKeys(root, d.Format == FormatOpsLevel)
		var (
			dec decoded
			ok  bool
		)
		switch d.Format {
		case FormatBackstage:
			dec, ok = c.backstageEntity(root)
		case FormatOpsLevel:
			dec, ok = c.opsLevelDoc(root)
		default:
			if nonEmpty == 1 {
				c.at(RuleNotADescriptor, root, "not a Backstage or OpsLevel descriptor: no apiVersion and kind (Backstage), no service:, component: or repository: (OpsLevel); Switchboard ignores this file",
					"name Backstage files catalog-info.yaml and OpsLevel files opslevel.yml")
			}
		}
		if ok {
			found = append(found, dec)
		}
	}
	if nonEmpty == 0 && err == nil {
		c.add(RuleEmptyFile, Pos{1, 1}, "the file holds no document: no entity is declared", "describe the service, or delete the file")
	}
	seen := map[string]Pos{}
	for _, dec := range found {
		if dec.entity.Kind != KindRepository {
			ref := dec.entity.Ref().String()
			if first, dup := seen[ref]; dup {
				c.add(RuleDuplicateEntity, dec.entity.Pos, fmt.Sprintf("%s is declared twice in this file (first at line %d)", clip(ref), first.Line),
					"remove one of them, or give each a different metadata.name")
			} else {
				seen[ref] = dec.entity.Pos
			}
		}
		c.applyStandards(dec)
		d.Entities = append(d.Entities, dec.entity)
	}
}

// decodeDocs decodes every YAML document of data, stopping at the first
// syntax error, which it returns with the documents before it.
func decodeDocs(data []byte) ([]*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []*yaml.Node
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return docs, err
		}
		docs = append(docs, &n)
	}
}

// emptyKeyRe finds a mapping entry with an empty key (": value"), which
// Backstage's reader reads as the key null and yaml.v3 refuses.
var emptyKeyRe = regexp.MustCompile(`^([ ]*(?:- )?):(?:[ \t]|$)`)

// lenientText rewrites the lines Backstage's YAML reader accepts and yaml.v3
// does not: a blank line holding tabs (blanked), an entry with an empty key
// (given the key ~, one column to the right), and a directive other than
// %YAML and %TAG before a document (a comment, as Backstage's reader ignores
// it). It reports whether it changed anything.
func lenientText(data []byte) ([]byte, bool) {
	lines := bytes.Split(data, []byte("\n"))
	changed := false
	prologue := true
	for i, l := range lines {
		t := bytes.TrimRight(l, " \t\r")
		switch {
		case bytes.HasPrefix(t, []byte("---")):
			prologue = false
		case bytes.Equal(t, []byte("...")):
			prologue = true
		case prologue && len(t) > 0 && t[0] == '%':
			if !bytes.HasPrefix(t, []byte("%YAML ")) && !bytes.HasPrefix(t, []byte("%TAG ")) {
				lines[i] = slices.Concat([]byte("#"), l[1:])
				changed = true
			}
			continue
		case len(bytes.TrimSpace(t)) > 0 && t[0] != '#':
			prologue = false
		}
		switch {
		case len(bytes.TrimSpace(l)) == 0 && bytes.IndexByte(l, '\t') >= 0:
			lines[i] = bytes.ReplaceAll(l, []byte("\t"), []byte(" "))
			changed = true
		case emptyKeyRe.Match(l):
			m := emptyKeyRe.FindSubmatchIndex(l)
			lines[i] = slices.Concat(l[:m[3]], []byte("~"), l[m[3]:])
			changed = true
		}
	}
	return bytes.Join(lines, []byte("\n")), changed
}

// sniff chooses the format from the first document's keys.
func sniff(docs []*yaml.Node) Format {
	for _, doc := range docs {
		root := docRoot(doc)
		if root == nil {
			continue
		}
		for _, k := range []string{"apiVersion", "kind", "metadata"} {
			if key, _ := lookup(root, k); key != nil {
				return FormatBackstage
			}
		}
		if looksOpsLevel(root) {
			return FormatOpsLevel
		}
		return FormatUnknown
	}
	return FormatUnknown
}

// isSkeleton reports whether data is a software-template skeleton: it holds
// ${{ }} placeholders (or Nunjucks tags) outside comments, and either does not
// parse or has them in a document that is not a scaffolder Template entity
// (whose steps legitimately hold placeholders).
func isSkeleton(data []byte, docs []*yaml.Node, parseErr error) bool {
	if !hasPlaceholders(data) {
		return false
	}
	if parseErr != nil {
		return true
	}
	for _, doc := range docs {
		root := docRoot(doc)
		if root == nil {
			continue
		}
		if _, k := lookup(root, "kind"); isString(k) && text(k) == KindTemplate {
			continue
		}
		found := false
		walk(root, func(n *yaml.Node) bool {
			if n.Kind == yaml.ScalarNode && (strings.Contains(n.Value, "${{") || nunjucksRe.MatchString(n.Value)) {
				found = true
			}
			return !found
		})
		if found {
			return true
		}
	}
	return false
}

// hasPlaceholders reports whether a line that is not a comment holds ${{ }}
// or opens with a Nunjucks tag.
func hasPlaceholders(data []byte) bool {
	if !bytes.Contains(data, []byte("${{")) && !bytes.Contains(data, []byte("{%")) {
		return false
	}
	for line := range bytes.SplitSeq(data, []byte("\n")) {
		t := bytes.TrimSpace(line)
		if len(t) == 0 || t[0] == '#' {
			continue
		}
		if placeholderRe.Match(line) || nunjucksRe.Match(line) {
			return true
		}
	}
	return false
}

// syntaxError reports a YAML syntax error at its position.
func (c *checker) syntaxError(data []byte, err error) {
	line, col, msg := SyntaxErrorPos(data, err)
	c.add(RuleYAMLSyntax, Pos{line, col}, "YAML syntax error: "+clipLong(msg), syntaxFix(msg))
}

// SyntaxErrorPos reads where a yaml.v3 syntax error is in data, and its
// message without the "yaml: line N:" prefix. yaml.v3 gives no column: the
// column is that of the line's first non-blank character.
func SyntaxErrorPos(data []byte, err error) (line, col int, msg string) {
	msg = err.Error()
	line = 1
	if m := yamlLineRe.FindStringSubmatch(msg); m != nil {
		if n, convErr := strconv.Atoi(m[1]); convErr == nil {
			line = n
		}
		msg = m[2]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	lines := bytes.Split(data, []byte("\n"))
	line = min(max(line, 1), len(lines))
	col = 1
	if t := bytes.TrimRight(lines[line-1], "\r"); len(bytes.TrimSpace(t)) > 0 {
		col = len(t) - len(bytes.TrimLeft(t, " \t")) + 1
	}
	return line, col, msg
}

// syntaxFix suggests a fix for a yaml.v3 error message.
func syntaxFix(msg string) string {
	switch {
	case strings.Contains(msg, "tab"):
		return "indent with spaces, not tabs"
	case strings.Contains(msg, "mapping values are not allowed"):
		return "quote the value if it contains ': ', or fix the indentation of this line"
	case strings.Contains(msg, "cannot start any token"):
		return "quote values that start with @, `, %, | or >"
	case strings.Contains(msg, "did not find expected"):
		return "check the indentation of this line and the one above, and close any open quotes or brackets"
	case strings.Contains(msg, "unknown anchor"):
		return "define the anchor (&name) before using it (*name)"
	case strings.Contains(msg, "UTF-8"), strings.Contains(msg, "control characters"):
		return "save the file as UTF-8 text"
	}
	return "check the indentation and quoting near this line"
}

// clipLong shortens a long message.
func clipLong(s string) string { return clipN(s, 200) }
