package maven

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/switchboard-dev/switchboard/depfile"
)

// pom is the part of a pom.xml that decides a dependency graph, as written
// (before inheritance and interpolation).
type pom struct {
	GroupID, ArtifactID, Version, Packaging string
	Parent                                  *parentRef
	// Properties in file order; a later parent's are overridden by a
	// child's.
	Properties map[string]string
	Deps       []dependency
	Managed    []dependency
	// Relocation is <distributionManagement><relocation>: the artifact
	// moved to these coordinates (empty parts unchanged).
	Relocation *Coord
	// File is where the POM was read: a workspace path, or the
	// coordinate for a POM from a repository.
	File string
	// remote is true for a POM from a repository (File is then its
	// coordinate).
	remote bool
}

// parentRef is a POM's <parent>.
type parentRef struct {
	GroupID, ArtifactID, Version string
	// RelativePath is the path to the parent in the workspace; "../pom.xml"
	// when absent, "" when written empty (<relativePath/>: repository only).
	RelativePath string
	// Line is the line of <parent> in the child.
	Line int
}

// dependency is one <dependency> of <dependencies> or
// <dependencyManagement>.
type dependency struct {
	GroupID    string      `xml:"groupId"`
	ArtifactID string      `xml:"artifactId"`
	Version    string      `xml:"version"`
	Type       string      `xml:"type"`
	Classifier string      `xml:"classifier"`
	Scope      string      `xml:"scope"`
	Optional   string      `xml:"optional"`
	Exclusions []exclusion `xml:"exclusions>exclusion"`
	// File and Line say where it was declared.
	File string `xml:"-"`
	Line int    `xml:"-"`
	// remote is true for a declaration in a POM from a repository (File
	// is then its coordinate).
	remote bool
	// from is, once the model is built, the coordinate of the POM from a
	// repository that sets Version: the one declaring it (a literal
	// version), the one defining the property it is written with, or the
	// BOM from a repository it was imported from; "" when the workspace
	// sets it. See depfile.Dependency.VersionFrom.
	from string
	// imported is true for a management entry imported from a BOM from a
	// repository: File and Line are then the import's.
	imported bool
}

// exclusion is one <exclusion>; either part may be "*".
type exclusion struct {
	GroupID    string `xml:"groupId"`
	ArtifactID string `xml:"artifactId"`
}

// key is the management key of a dependency: groupId:artifactId:type[:classifier].
func (d dependency) key() string {
	t := d.Type
	if t == "" {
		t = "jar"
	}
	k := d.GroupID + ":" + d.ArtifactID + ":" + t
	if d.Classifier != "" {
		k += ":" + d.Classifier
	}
	return k
}

// isOptional reports whether <optional> is true.
func (d dependency) isOptional() bool { return strings.TrimSpace(d.Optional) == "true" }

// parsePOM reads a pom.xml. file names it in errors and on each dependency.
func parsePOM(file string, data []byte) (*pom, error) {
	p := &pom{File: file, Properties: map[string]string{}}
	lines := depfile.NewLineIndex(data)
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	// ISO-8859-1 POMs exist: read them as depfile does.
	dec.CharsetReader = depfile.CharsetReader
	fail := func(err error) (*pom, error) {
		line := lines.Line(int(dec.InputOffset()))
		var se *xml.SyntaxError
		if errors.As(err, &se) {
			line = se.Line
		}
		return nil, &Error{Kind: Malformed, Coordinate: file, Line: line, Err: err}
	}
	root := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fail(err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if root {
			// A second root element is not XML; the decoder says so.
			continue
		}
		if se.Name.Local != "project" {
			return fail(fmt.Errorf("root element is <%s>, want <project>", se.Name.Local))
		}
		root = true
		if err := p.readProject(dec, lines, file); err != nil {
			return fail(err)
		}
	}
	if !root {
		return fail(errors.New("no <project> element"))
	}
	p.Deps, p.Managed = overlay(nil, p.Deps), overlay(nil, p.Managed)
	return p, nil
}

// readProject reads the children of <project>.
func (p *pom) readProject(dec *xml.Decoder, lines depfile.LineIndex, file string) error {
	return children(dec, func(t xml.StartElement, off int) error {
		var err error
		switch t.Name.Local {
		case "groupId":
			p.GroupID, err = text(dec, t)
		case "artifactId":
			p.ArtifactID, err = text(dec, t)
		case "version":
			p.Version, err = text(dec, t)
		case "packaging":
			p.Packaging, err = text(dec, t)
		case "parent":
			var raw struct {
				GroupID      string  `xml:"groupId"`
				ArtifactID   string  `xml:"artifactId"`
				Version      string  `xml:"version"`
				RelativePath *string `xml:"relativePath"`
			}
			if err = dec.DecodeElement(&raw, &t); err == nil {
				p.Parent = &parentRef{GroupID: strings.TrimSpace(raw.GroupID), ArtifactID: strings.TrimSpace(raw.ArtifactID),
					Version: strings.TrimSpace(raw.Version), RelativePath: "../pom.xml", Line: lines.Line(off)}
				if raw.RelativePath != nil {
					p.Parent.RelativePath = strings.TrimSpace(*raw.RelativePath)
				}
			}
		case "properties":
			err = p.readProperties(dec)
		case "dependencies":
			p.Deps, err = readDeps(dec, lines, file)
		case "distributionManagement":
			var raw struct {
				Relocation *struct {
					GroupID    string `xml:"groupId"`
					ArtifactID string `xml:"artifactId"`
					Version    string `xml:"version"`
				} `xml:"relocation"`
			}
			if err = dec.DecodeElement(&raw, &t); err == nil && raw.Relocation != nil {
				p.Relocation = &Coord{strings.TrimSpace(raw.Relocation.GroupID), strings.TrimSpace(raw.Relocation.ArtifactID), strings.TrimSpace(raw.Relocation.Version)}
			}
		case "dependencyManagement":
			err = p.readManagement(dec, lines, file)
		case "profiles":
			err = p.readProfiles(dec, lines, file)
		default:
			err = dec.Skip()
		}
		return err
	})
}

// children calls fn with each child element of the element whose start
// was just read, and the offset where the child starts, up to the
// element's end. fn reads the child to its end.
func children(dec *xml.Decoder, fn func(t xml.StartElement, off int) error) error {
	for {
		// The offset before the token is where the child's "<" is.
		off := int(dec.InputOffset())
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return nil
		case xml.StartElement:
			if err := fn(t, off); err != nil {
				return err
			}
		}
	}
}

// readProfiles reads <profiles>: a profile active by default
// (<activeByDefault>true</activeByDefault>) adds its properties,
// dependencies and management to the POM, as Maven does when no other
// profile of the POM is activated. Activation by JDK, OS, property or file
// is not evaluated: such profiles are left out.
func (p *pom) readProfiles(dec *xml.Decoder, lines depfile.LineIndex, file string) error {
	return children(dec, func(t xml.StartElement, _ int) error {
		if t.Name.Local != "profile" {
			return dec.Skip()
		}
		prof := &pom{Properties: map[string]string{}}
		active, err := prof.readProfile(dec, lines, file)
		if err != nil || !active {
			return err
		}
		for k, v := range prof.Properties {
			p.Properties[k] = v
		}
		p.Deps = overlay(p.Deps, prof.Deps)
		p.Managed = overlay(p.Managed, prof.Managed)
		return nil
	})
}

// readProfile reads one <profile>, saying whether it is active by default.
func (p *pom) readProfile(dec *xml.Decoder, lines depfile.LineIndex, file string) (bool, error) {
	active := false
	err := children(dec, func(t xml.StartElement, _ int) error {
		var err error
		switch t.Name.Local {
		case "activation":
			var a struct {
				ActiveByDefault string `xml:"activeByDefault"`
			}
			if err := dec.DecodeElement(&a, &t); err != nil {
				return err
			}
			active = strings.TrimSpace(a.ActiveByDefault) == "true"
		case "properties":
			err = p.readProperties(dec)
		case "dependencies":
			p.Deps, err = readDeps(dec, lines, file)
		case "dependencyManagement":
			err = p.readManagement(dec, lines, file)
		default:
			err = dec.Skip()
		}
		return err
	})
	if err != nil {
		return false, err
	}
	return active, nil
}

// overlay merges a profile's dependencies into the POM's: one of the same
// key is replaced where it stands, a new one appended. overlay(nil, deps)
// is how Maven reads a key declared twice in one list: the last
// declaration, at the first one's place.
func overlay(base, prof []dependency) []dependency {
	at := map[string]int{}
	for i, d := range base {
		at[d.key()] = i
	}
	for _, d := range prof {
		if i, ok := at[d.key()]; ok {
			base[i] = d
			continue
		}
		at[d.key()] = len(base)
		base = append(base, d)
	}
	return base
}

// readProperties reads <properties>: each child element is a property.
func (p *pom) readProperties(dec *xml.Decoder) error {
	return children(dec, func(t xml.StartElement, _ int) error {
		v, err := text(dec, t)
		if err != nil {
			return err
		}
		p.Properties[t.Name.Local] = v
		return nil
	})
}

// readManagement reads <dependencyManagement>, whose <dependencies> is the
// managed list.
func (p *pom) readManagement(dec *xml.Decoder, lines depfile.LineIndex, file string) error {
	return children(dec, func(t xml.StartElement, _ int) error {
		if t.Name.Local != "dependencies" {
			return dec.Skip()
		}
		deps, err := readDeps(dec, lines, file)
		if err != nil {
			return err
		}
		p.Managed = append(p.Managed, deps...)
		return nil
	})
}

// readDeps reads the <dependency> children of a <dependencies>, each with
// the line it starts on.
func readDeps(dec *xml.Decoder, lines depfile.LineIndex, file string) ([]dependency, error) {
	var deps []dependency
	err := children(dec, func(t xml.StartElement, off int) error {
		if t.Name.Local != "dependency" {
			return dec.Skip()
		}
		var d dependency
		if err := dec.DecodeElement(&d, &t); err != nil {
			return err
		}
		d.GroupID, d.ArtifactID, d.Version = strings.TrimSpace(d.GroupID), strings.TrimSpace(d.ArtifactID), strings.TrimSpace(d.Version)
		d.Type, d.Classifier, d.Scope = strings.TrimSpace(d.Type), strings.TrimSpace(d.Classifier), strings.TrimSpace(d.Scope)
		for i := range d.Exclusions {
			d.Exclusions[i].GroupID = strings.TrimSpace(d.Exclusions[i].GroupID)
			d.Exclusions[i].ArtifactID = strings.TrimSpace(d.Exclusions[i].ArtifactID)
		}
		d.File, d.Line = file, lines.Line(off)
		deps = append(deps, d)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return deps, nil
}

// text reads the character data of element start, up to its end.
func text(dec *xml.Decoder, start xml.StartElement) (string, error) {
	var s string
	if err := dec.DecodeElement(&s, &start); err != nil {
		return "", err
	}
	return strings.TrimSpace(s), nil
}
