package depfile

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"unicode/utf8"
)

// pomDep is a <dependency> element as written.
type pomDep struct {
	group, artifact, version, scope string
	line                            int
	managed                         bool
}

// pom is what parsePom collects from one pom.xml.
type pom struct {
	props        map[string]string // <properties>, first definition wins
	profileProps map[string]string // <properties> of profiles, used when the top level has none
	builtin      map[string]string // project.version and friends
	deps         []*pomDep
	// artifactLine is the line of the project's own <artifactId>.
	artifactLine int
}

// parsePom reads a Maven POM: <dependencies> of the project and of its
// profiles, and <dependencyManagement>, with ${property} versions resolved
// from the POM's own <properties> and project coordinates. Plugin
// dependencies are build tooling and are left out.
func parsePom(file string, data []byte) ([]Dependency, error) {
	p, err := readPom(file, data)
	if err != nil {
		return nil, err
	}
	return p.resolve(file), nil
}

// readPom walks a POM once, collecting what parsePom and Publishes read:
// the dependencies as written, properties and project coordinates.
func readPom(file string, data []byte) (*pom, error) {
	p := &pom{
		props:        map[string]string{},
		profileProps: map[string]string{},
		builtin:      map[string]string{},
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Entity = xml.HTMLEntity
	dec.CharsetReader = CharsetReader

	var (
		stack   []string // local names of the open elements
		text    strings.Builder
		cur     *pomDep
		sawRoot bool
	)
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, xmlError(file, data, dec, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) == 0 {
				if sawRoot {
					return nil, posError(file, dec, "more than one root element")
				}
				sawRoot = true
				if t.Name.Local != "project" {
					return nil, posError(file, dec, "root element is <"+t.Name.Local+">, want <project>")
				}
			}
			stack = append(stack, t.Name.Local)
			text.Reset()
			if len(stack) == 2 && t.Name.Local == "artifactId" {
				p.artifactLine, _ = dec.InputPos()
			}
			if t.Name.Local == "dependency" && len(stack) <= 6 {
				var d *pomDep
				switch strings.Join(stack, "/") {
				case "project/dependencies/dependency",
					"project/profiles/profile/dependencies/dependency":
					d = &pomDep{}
				case "project/dependencyManagement/dependencies/dependency",
					"project/profiles/profile/dependencyManagement/dependencies/dependency":
					d = &pomDep{managed: true}
				}
				if d != nil {
					d.line, _ = dec.InputPos()
					p.deps = append(p.deps, d)
					cur = d
				}
			}
			if cur != nil && t.Name.Local == "artifactId" && stack[len(stack)-2] == "dependency" {
				cur.line, _ = dec.InputPos()
			}
		case xml.CharData:
			text.Write(t)
		case xml.EndElement:
			if len(stack) == 0 {
				return nil, posError(file, dec, "unexpected </"+t.Name.Local+">")
			}
			name := stack[len(stack)-1]
			value := strings.TrimSpace(text.String())
			p.collect(stack, name, value, cur)
			if name == "dependency" {
				cur = nil
			}
			stack = stack[:len(stack)-1]
			text.Reset()
		}
	}
	if !sawRoot {
		return nil, &Error{File: file, Line: 1, Msg: "no <project> element"}
	}
	return p, nil
}

// collect records the text of a closed element where it matters.
func (p *pom) collect(stack []string, name, value string, cur *pomDep) {
	n := len(stack)
	parent := ""
	if n >= 2 {
		parent = stack[n-2]
	}
	switch {
	case cur != nil && parent == "dependency":
		switch name {
		case "groupId":
			cur.group = value
		case "artifactId":
			cur.artifact = value
		case "version":
			cur.version = value
		case "scope":
			cur.scope = value
		}
	case n == 3 && stack[0] == "project" && stack[1] == "properties":
		if _, ok := p.props[name]; !ok {
			p.props[name] = value
		}
	case n == 5 && stack[1] == "profiles" && stack[3] == "properties":
		if _, ok := p.profileProps[name]; !ok {
			p.profileProps[name] = value
		}
	case n == 2 && stack[0] == "project":
		switch name {
		case "groupId", "artifactId", "version":
			p.builtin["project."+name] = value
		}
	case n == 3 && stack[0] == "project" && stack[1] == "parent":
		switch name {
		case "groupId", "artifactId", "version":
			p.builtin["project.parent."+name] = value
		}
	}
}

// resolve expands properties and applies <dependencyManagement> versions.
func (p *pom) resolve(file string) []Dependency {
	b := p.builtin
	if b["project.version"] == "" {
		b["project.version"] = b["project.parent.version"]
	}
	if b["project.groupId"] == "" {
		b["project.groupId"] = b["project.parent.groupId"]
	}
	for _, k := range []string{"version", "groupId", "artifactId"} {
		b["pom."+k] = b["project."+k]
		b[k] = b["project."+k]
	}
	b["parent.version"] = b["project.parent.version"]
	b["parent.groupId"] = b["project.parent.groupId"]

	managed := map[string]string{}
	for _, d := range p.deps {
		d.group = p.expand(d.group)
		d.artifact = p.expand(d.artifact)
		d.version = p.expand(d.version)
		if d.managed && d.version != "" {
			if _, ok := managed[d.group+":"+d.artifact]; !ok {
				managed[d.group+":"+d.artifact] = d.version
			}
		}
	}
	used := map[string]bool{}
	var out []Dependency
	for _, d := range p.deps {
		if d.managed || d.artifact == "" {
			continue
		}
		name := d.group + ":" + d.artifact
		if d.group == "" {
			name = d.artifact
		}
		version := d.version
		if version == "" {
			version = managed[name]
		}
		used[name] = true
		out = append(out, Dependency{Ecosystem: Maven, Name: name, Version: version, Scope: d.scope, File: file, Line: d.line})
	}
	for _, d := range p.deps {
		if !d.managed || d.artifact == "" {
			continue
		}
		name := d.group + ":" + d.artifact
		if d.group == "" {
			name = d.artifact
		}
		if used[name] {
			continue
		}
		scope := "managed"
		if d.scope == "import" {
			scope = "import"
		}
		out = append(out, Dependency{Ecosystem: Maven, Name: name, Version: d.version, Scope: scope, File: file, Line: d.line})
	}
	return out
}

// maxExpanded bounds what expand may produce: properties that refer to
// themselves several times would otherwise grow without end.
const maxExpanded = 1024

// expand replaces ${name} with the POM's properties, recursively; what it
// cannot resolve (a property of a parent POM, ${env.X}) is left as written.
func (p *pom) expand(s string) string {
	for range 10 {
		if len(s) > maxExpanded {
			return s
		}
		if !strings.Contains(s, "${") {
			return s
		}
		var out strings.Builder
		changed := false
		rest := s
		for {
			i := strings.Index(rest, "${")
			if i < 0 {
				out.WriteString(rest)
				break
			}
			j := strings.IndexByte(rest[i:], '}')
			if j < 0 {
				out.WriteString(rest)
				break
			}
			name := rest[i+2 : i+j]
			out.WriteString(rest[:i])
			if v, ok := p.lookup(name); ok && out.Len()+len(v) <= maxExpanded {
				out.WriteString(v)
				changed = true
			} else {
				out.WriteString(rest[i : i+j+1])
			}
			rest = rest[i+j+1:]
		}
		s = out.String()
		if !changed {
			return s
		}
	}
	return s
}

func (p *pom) lookup(name string) (string, bool) {
	if v, ok := p.props[name]; ok {
		return v, true
	}
	if v, ok := p.builtin[name]; ok && v != "" {
		return v, true
	}
	if v, ok := p.profileProps[name]; ok {
		return v, true
	}
	return "", false
}

// CharsetReader, an xml.Decoder's CharsetReader, lets POMs declare
// ISO-8859-1 (common in old projects); other declared encodings are read as
// UTF-8, which is right for ASCII.
func CharsetReader(charset string, input io.Reader) (io.Reader, error) {
	switch strings.ToLower(charset) {
	case "iso-8859-1", "iso8859-1", "latin1", "latin-1", "windows-1252", "cp1252":
		b, err := io.ReadAll(input)
		if err != nil {
			return nil, err
		}
		buf := make([]byte, 0, len(b))
		for _, c := range b {
			buf = utf8.AppendRune(buf, rune(c))
		}
		return bytes.NewReader(buf), nil
	}
	return input, nil
}

func posError(file string, dec *xml.Decoder, msg string) error {
	line, col := dec.InputPos()
	return &Error{File: file, Line: line, Column: col, Msg: msg}
}

func xmlError(file string, data []byte, dec *xml.Decoder, err error) error {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		// The decoder stops where it found the problem: its column, when
		// on the line the error names (the line's start otherwise).
		col := 1
		if l, c := dec.InputPos(); l == se.Line {
			col = c
		}
		return &Error{File: file, Line: se.Line, Column: col, Msg: "invalid XML: " + se.Msg}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		line, col := lineCol(data, len(data))
		return &Error{File: file, Line: line, Column: col, Msg: "unexpected end of file"}
	}
	line, col := dec.InputPos()
	return &Error{File: file, Line: line, Column: col, Msg: "invalid XML: " + err.Error()}
}
