package depfile

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/package-url/packageurl-go"
)

// SBOM formats, as sbomKind tells them from a file name.
//
// CycloneDX JSON is bom.json or *.cdx.json, CycloneDX XML bom.xml or
// *.cdx.xml, SPDX 2.x JSON *.spdx.json (the names the CycloneDX and SPDX
// specifications recommend). A CI job's artifact may be named anything:
// ParseSBOM tells the format from the content.
func sbomKind(base string) kind {
	lower := strings.ToLower(base)
	switch {
	case lower == "bom.json" || strings.HasSuffix(lower, ".cdx.json"):
		return kindCycloneDXJSON
	case lower == "bom.xml" || strings.HasSuffix(lower, ".cdx.xml"):
		return kindCycloneDXXML
	case strings.HasSuffix(lower, ".spdx.json"):
		return kindSPDXJSON
	}
	return kindNone
}

// isSBOM says whether a kind is an SBOM's.
func isSBOM(k kind) bool {
	return k == kindCycloneDXJSON || k == kindCycloneDXXML || k == kindSPDXJSON
}

// IsSBOM reports whether path names a file ParseFile reads as an SBOM
// (CycloneDX JSON or XML, SPDX JSON).
func IsSBOM(path string) bool { return isSBOM(kindOf(path)) }

// ParseSBOM reads an SBOM whatever its name (a CI job's artifact, say
// "build/reports/sbom.json"): the format is told from the content
// (CycloneDX JSON or XML, SPDX 2.x JSON). name fills Result.File and
// Dependency.File. Content that is none of the three is an *Error.
func ParseSBOM(name string, data []byte) Result {
	k := sniffSBOM(data)
	if k == kindNone {
		return Result{File: name, Err: &Error{File: name, Line: 1, Column: 1,
			Msg: "not an SBOM: want CycloneDX JSON or XML, or SPDX 2 JSON"}}
	}
	out, err := parseSBOM(name, data, k, nil)
	if err == nil {
		err = unnamed(name, out.deps)
	}
	if err != nil {
		return Result{File: name, Graph: GraphFlat, Err: err}
	}
	return Result{File: name, Graph: out.graph, Note: out.note, Deps: dedupe(out.deps)}
}

// sniffSBOM tells an SBOM's format from the start of its content.
func sniffSBOM(data []byte) kind {
	head := bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), " \t\r\n")
	switch {
	case bytes.HasPrefix(head, []byte("<")):
		return kindCycloneDXXML
	case bytes.HasPrefix(head, []byte("{")):
		// Both formats name themselves near the top; a JSON file that
		// is neither is read as CycloneDX, whose parser says so with a
		// position.
		if bytes.Contains(head[:min(len(head), 4096)], []byte(`"spdxVersion"`)) {
			return kindSPDXJSON
		}
		return kindCycloneDXJSON
	}
	return kindNone
}

// sbomManifests are the manifests an SBOM in the same folder is the
// resolved graph of: they declare dependencies (without transitive ones,
// often without versions: a Gradle platform, a Spring Boot plugin) and
// the SBOM says what they resolved to. Paired with the SBOM, they give
// direct dependencies the line to change. A lockfile, go.mod or pom.xml
// (resolved as Maven does) beside an SBOM wins instead: see Select.
var sbomManifests = []string{"build.gradle.kts", "build.gradle", "package.json", "pyproject.toml", "Pipfile", "composer.json"}

// sbomLosesTo says whether a dependency file beside an SBOM, in the same
// folder, is read instead of it: a lockfile (and go.mod, and a pom.xml
// Maven resolution reads whole) is what the build installs from, in the
// very commit read, while a committed SBOM is a generated snapshot that
// nothing keeps current.
func sbomLosesTo(k kind) bool {
	switch k {
	case kindPom, kindGradleLock, kindGoMod, kindPackageLock, kindRequirements, kindPoetryLock,
		kindGemfileLock, kindYarnLock, kindPnpmLock, kindPipfileLock, kindUVLock, kindCargoLock,
		kindComposerLock, kindNuGetLock:
		return true
	}
	return false
}

// sbomShadowed says whether the SBOM at p is left out of a tree's
// selection: a lockfile (or go.mod, pom.xml) is in its folder, or it is
// the XML twin of a JSON SBOM beside it ("bom.xml" beside "bom.json").
func sbomShadowed(p string, present map[string]bool, dirKinds map[string][]kind) bool {
	dir, base := path.Split(p)
	for _, k := range dirKinds[dir] {
		if sbomLosesTo(k) {
			return true
		}
	}
	if kindOf(p) == kindCycloneDXXML {
		return present[dir+strings.TrimSuffix(base, path.Ext(base))+".json"]
	}
	return false
}

// sbomNode is one package (or the SBOM's subject) as the SBOM lists it.
type sbomNode struct {
	id   string // bom-ref or SPDXID
	dep  Dependency
	ok   bool   // dep is a package of an ecosystem read (it has a usable purl)
	skip string // why it is not, when it is not: "no purl", "pkg:deb", "invalid purl"
	own  bool   // the SBOM's subject or one of its parts (modules)
}

// sbomEdge is one "from requires to" of an SBOM, with the scope it gives
// to (SPDX's DEV_DEPENDENCY_OF, TEST_DEPENDENCY_OF...).
type sbomEdge struct {
	from, to string
	scope    string
}

// sbomDoc is an SBOM as read, before its graph is built.
type sbomDoc struct {
	format string // "CycloneDX", "SPDX": for notes
	nodes  []sbomNode
	edges  []sbomEdge
	// related says the SBOM records dependencies: a CycloneDX
	// dependencies entry, an SPDX dependency relationship.
	related bool
	// recorded are the refs whose requirements the SBOM records (a
	// CycloneDX dependencies entry, even with nothing in dependsOn).
	recorded []string
}

// purlDependency maps a package URL to an ecosystem and name, as
// advisories name them (OSV's ecosystems by depfile's names).
func purlDependency(s string) (Dependency, string) {
	p, err := packageurl.FromString(s)
	if err != nil {
		return Dependency{}, "invalid purl"
	}
	d := Dependency{Version: p.Version}
	switch p.Type {
	case packageurl.TypeMaven:
		d.Ecosystem, d.Name = Maven, p.Namespace+":"+p.Name
		if p.Namespace == "" {
			return Dependency{}, "invalid purl"
		}
	case packageurl.TypeNPM:
		d.Ecosystem, d.Name = NPM, joinNS(p.Namespace, p.Name, "/")
	case packageurl.TypePyPi:
		d.Ecosystem, d.Name = PyPI, p.Name
	case packageurl.TypeGolang:
		d.Ecosystem, d.Name = Go, joinNS(p.Namespace, p.Name, "/")
	case packageurl.TypeCargo:
		d.Ecosystem, d.Name = Cargo, p.Name
	case packageurl.TypeGem:
		d.Ecosystem, d.Name = RubyGems, p.Name
	case packageurl.TypeComposer:
		d.Ecosystem, d.Name = Packagist, joinNS(p.Namespace, p.Name, "/")
	case packageurl.TypeNuget:
		d.Ecosystem, d.Name = NuGet, p.Name
	default:
		return Dependency{}, "pkg:" + p.Type
	}
	if p.Name == "" {
		return Dependency{}, "invalid purl"
	}
	return d, ""
}

func joinNS(ns, name, sep string) string {
	if ns == "" {
		return name
	}
	return ns + sep + name
}

// sbomPackage makes the node of a package from what the SBOM says of it: the
// purl names it (its version, else the SBOM's), scope as given.
func sbomPackage(file, id, purl, name, version, scope string, line int) sbomNode {
	n := sbomNode{id: id}
	if purl == "" {
		n.skip = "no purl"
		n.dep = Dependency{Name: name, Version: version}
		return n
	}
	d, why := purlDependency(purl)
	if why != "" {
		n.skip = why
		n.dep = Dependency{Name: name, Version: version}
		return n
	}
	if d.Version == "" {
		d.Version = version
	}
	d.File, d.Line, d.Scope = file, line, scope
	n.dep, n.ok = d, true
	return n
}

// graph builds the graph of an SBOM: the packages its subject requires
// are direct (found from the subject and its parts, the own nodes), each
// other reached one gets its shortest chain; with no subject's
// requirements recorded, direct dependencies are those nothing requires;
// with no relationship at all, the graph is flat, unless manifest (the
// build script beside it) names the direct ones. Packages of ecosystems
// not read (pkg:deb, pkg:github, no purl) are left out, and counted in
// the note, but chains go through them.
func (doc *sbomDoc) graph(manifest []Dependency) parsed {
	var g graph
	index := make(map[string]int, len(doc.nodes))
	own := map[string]bool{}
	var kept []bool
	skipped := map[string]int{}
	for _, n := range doc.nodes {
		if n.own {
			own[n.id] = true
			continue
		}
		if _, dup := index[n.id]; dup && n.id != "" {
			continue
		}
		i := g.add(n.dep)
		kept = append(kept, n.ok)
		if !n.ok {
			skipped[n.skip]++
		}
		if n.id != "" {
			index[n.id] = i
		}
	}
	var notes []string
	fromOwn := false
	for _, r := range doc.recorded {
		fromOwn = fromOwn || own[r]
	}
	rootScope := map[int]string{}
	unscopedRoot := map[int]bool{}
	for _, e := range doc.edges {
		to, ok := index[e.to]
		if !ok {
			continue
		}
		if own[e.from] {
			fromOwn = true
			g.root(to)
			if e.scope == "" {
				unscopedRoot[to] = true
			} else if _, set := rootScope[to]; !set {
				rootScope[to] = e.scope
			}
			continue
		}
		if from, ok := index[e.from]; ok {
			g.edge(from, to)
		}
	}
	for r, s := range rootScope {
		if !unscopedRoot[r] && g.deps[r].Scope == "" {
			g.deps[r].Scope = s
		}
	}
	out := parsed{graph: GraphPaths}
	switch {
	case fromOwn:
	case doc.related && g.inferRoots():
		notes = append(notes, "the "+doc.format+" SBOM does not say what its subject requires: direct dependencies are taken to be those nothing else requires")
	default:
		// No relationship at all: a list of components.
		out.graph = GraphFlat
		if len(manifest) > 0 {
			direct := map[string]bool{}
			for _, m := range manifest {
				direct[depKey(m)] = true
			}
			matched := 0
			for i := range g.deps {
				if kept[i] && direct[depKey(g.deps[i])] {
					g.deps[i].Direct = true
					matched++
				}
			}
			if matched > 0 {
				out.graph = GraphDirect
				notes = append(notes, "the "+doc.format+" SBOM records no dependency relationships: direct dependencies are those the manifest declares, and what brings each transitive one in is unknown")
				break
			}
		}
		notes = append(notes, "the "+doc.format+" SBOM records no dependency relationships: which dependencies are direct is unknown")
	}
	deps := g.deps
	if out.graph == GraphPaths {
		deps = g.resolve()
		unreached := 0
		for i, d := range deps {
			if kept[i] && !d.Direct && d.Via == nil {
				unreached++
			}
		}
		if unreached > 0 {
			notes = append(notes, fmt.Sprintf("%d components are not reached from the SBOM's subject: direct or transitive unknown", unreached))
		}
	}
	for i := range deps {
		if kept[i] {
			out.deps = append(out.deps, deps[i])
		}
	}
	if len(skipped) > 0 {
		var parts []string
		for _, why := range slices.Sorted(maps.Keys(skipped)) {
			parts = append(parts, fmt.Sprintf("%d %s", skipped[why], why))
		}
		notes = append(notes, "components not of an ecosystem read left out ("+strings.Join(parts, ", ")+")")
	}
	out.note = strings.Join(notes, "; ")
	if out.deps == nil {
		out.deps = []Dependency{}
	}
	return out
}

// parseSBOM reads an SBOM of kind k.
func parseSBOM(file string, data []byte, k kind, manifest []Dependency) (parsed, error) {
	var doc sbomDoc
	var err error
	switch k {
	case kindCycloneDXJSON:
		doc, err = readCycloneDXJSON(file, data)
	case kindCycloneDXXML:
		doc, err = readCycloneDXXML(file, data)
	case kindSPDXJSON:
		doc, err = readSPDXJSON(file, data)
	default:
		return parsed{}, fmt.Errorf("parse %s: %w", file, ErrUnsupported)
	}
	if err != nil {
		return parsed{}, err
	}
	return doc.graph(manifest), nil
}

// unnamed is the *Error of a dependency without a name, nil when every
// one is named.
func unnamed(file string, deps []Dependency) error {
	for _, d := range deps {
		if d.Name == "" {
			return &Error{File: file, Line: max(d.Line, 1), Column: 1, Msg: "dependency without a name"}
		}
	}
	return nil
}

// cdxScope maps a CycloneDX component's scope ("required", "optional",
// "excluded": not part of the runtime) and npm's development flag to
// Dependency.Scope.
func cdxScope(scope string, dev bool) string {
	switch {
	case dev:
		return "dev"
	case scope == "optional", scope == "excluded":
		return scope
	}
	return ""
}

// readCycloneDXJSON reads a CycloneDX JSON BOM (any 1.x version):
// metadata.component (the subject, its nested components being its own
// modules), components (nested ones included) and dependencies.
func readCycloneDXJSON(file string, data []byte) (sbomDoc, error) {
	return twice(file, data, readCycloneDXJSONWith)
}

func readCycloneDXJSONWith(w *sbomWalker) (sbomDoc, error) {
	file := w.file
	doc := sbomDoc{format: "CycloneDX"}
	format, formatLine := "", 0
	err := w.object("CycloneDX BOM", func(key string, line int) error {
		switch key {
		case "bomFormat":
			v, _, err := w.str()
			format, formatLine = v, line
			return err
		case "metadata":
			return w.object(key, func(k string, _ int) error {
				if k != "component" {
					return w.skipValue()
				}
				return w.cdxComponent(&doc, true)
			})
		case "components":
			return w.array(key, func() error { return w.cdxComponent(&doc, false) })
		case "dependencies":
			return w.array(key, func() error {
				if w.fast {
					var e struct {
						Ref       string   `json:"ref"`
						DependsOn []string `json:"dependsOn"`
					}
					if err := w.decode(&e); err != nil {
						return err
					}
					doc.depends(e.Ref, e.DependsOn)
					return nil
				}
				var ref string
				var on []string
				err := w.object("dependency", func(k string, _ int) error {
					switch k {
					case "ref":
						v, _, err := w.str()
						ref = v
						return err
					case "dependsOn":
						return w.array(k, func() error {
							v, ok, err := w.str()
							if ok {
								on = append(on, v)
							}
							return err
						})
					}
					return w.skipValue()
				})
				doc.depends(ref, on)
				return err
			})
		}
		return w.skipValue()
	})
	if err == nil {
		err = w.end()
	}
	if err != nil {
		return doc, err
	}
	if format != "CycloneDX" {
		msg := `not a CycloneDX BOM: no "bomFormat": "CycloneDX"`
		if formatLine > 0 {
			msg = fmt.Sprintf(`not a CycloneDX BOM: "bomFormat" is %q, want "CycloneDX"`, format)
		}
		return doc, &Error{File: file, Line: max(formatLine, 1), Column: 1, Msg: msg}
	}
	return doc, nil
}

// depends records a CycloneDX dependencies entry: ref requires each of on.
func (doc *sbomDoc) depends(ref string, on []string) {
	if ref == "" {
		return
	}
	doc.related = true
	doc.recorded = append(doc.recorded, ref)
	for _, to := range on {
		doc.edges = append(doc.edges, sbomEdge{from: ref, to: to})
	}
}

// cdxComponent reads one component object and its nested components.
func (w *sbomWalker) cdxComponent(doc *sbomDoc, own bool) error {
	var (
		ref, group, name, version, purl, scope string
		dev                                    bool
		first                                  int
	)
	at := len(doc.nodes)
	doc.nodes = append(doc.nodes, sbomNode{})
	err := w.object("component", func(k string, line int) error {
		if first == 0 {
			first = line
		}
		var dst *string
		switch k {
		case "bom-ref":
			dst = &ref
		case "group":
			dst = &group
		case "name":
			dst = &name
		case "version":
			dst = &version
		case "purl":
			dst = &purl
		case "scope":
			dst = &scope
		case "properties":
			return w.array(k, func() error {
				var pn, pv string
				err := w.fields("property", []string{"name", "value"}, &pn, &pv)
				if pn == "cdx:npm:package:development" && pv == "true" {
					dev = true
				}
				return err
			})
		case "components":
			return w.array(k, func() error { return w.cdxComponent(doc, own) })
		default:
			return w.skipValue()
		}
		v, _, err := w.str()
		*dst = v
		return err
	})
	if err != nil {
		return err
	}
	n := sbomPackage(w.file, ref, purl, joinNS(group, name, ":"), version, cdxScope(scope, dev), first)
	n.own = own
	doc.nodes[at] = n
	return nil
}

// readCycloneDXXML reads a CycloneDX XML BOM (any 1.x version): the same
// model as the JSON form, <dependency ref> elements nested in the one
// that requires them.
func readCycloneDXXML(file string, data []byte) (sbomDoc, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.CharsetReader = CharsetReader
	doc := sbomDoc{format: "CycloneDX"}
	x := &xmlWalker{file: file, data: data, dec: dec}
	sawRoot := false
	for {
		t, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return doc, xmlError(file, data, dec, err)
		}
		se, ok := t.(xml.StartElement)
		if !ok {
			continue
		}
		if sawRoot {
			return doc, posError(file, dec, "unexpected element after the root element")
		}
		sawRoot = true
		if se.Name.Local != "bom" || !strings.HasPrefix(se.Name.Space, "http://cyclonedx.org/schema/bom") {
			return doc, posError(file, dec, fmt.Sprintf("not a CycloneDX BOM: root element is <%s> in namespace %q", se.Name.Local, se.Name.Space))
		}
		err = x.children(func(se xml.StartElement) error {
			switch se.Name.Local {
			case "metadata":
				return x.children(func(se xml.StartElement) error {
					if se.Name.Local != "component" {
						return x.skip()
					}
					return x.cdxComponent(&doc, se, true)
				})
			case "components":
				return x.children(func(se xml.StartElement) error {
					if se.Name.Local != "component" {
						return x.skip()
					}
					return x.cdxComponent(&doc, se, false)
				})
			case "dependencies":
				return x.children(func(se xml.StartElement) error {
					if se.Name.Local != "dependency" {
						return x.skip()
					}
					ref := attr(se, "ref")
					var on []string
					err := x.children(func(se xml.StartElement) error {
						if se.Name.Local == "dependency" {
							on = append(on, attr(se, "ref"))
						}
						return x.skip()
					})
					doc.depends(ref, on)
					return err
				})
			}
			return x.skip()
		})
		if err != nil {
			return doc, err
		}
	}
	if !sawRoot {
		return doc, &Error{File: file, Line: 1, Column: 1, Msg: "not a CycloneDX BOM: no root element"}
	}
	return doc, nil
}

// xmlWalker reads an XML document element by element.
type xmlWalker struct {
	file string
	data []byte
	dec  *xml.Decoder
}

// children calls fn with each child element of the element whose start
// was just read, up to its end; fn must read the child whole.
func (x *xmlWalker) children(fn func(xml.StartElement) error) error {
	for {
		t, err := x.dec.Token()
		if err != nil {
			return xmlError(x.file, x.data, x.dec, noEOF(err))
		}
		switch t := t.(type) {
		case xml.StartElement:
			if err := fn(t); err != nil {
				return err
			}
		case xml.EndElement:
			return nil
		}
	}
}

// skip reads the rest of the element whose start was just read.
func (x *xmlWalker) skip() error {
	if err := x.dec.Skip(); err != nil {
		return xmlError(x.file, x.data, x.dec, noEOF(err))
	}
	return nil
}

// text reads the character data of the element whose start was just
// read, up to its end.
func (x *xmlWalker) text() (string, error) {
	var b strings.Builder
	for {
		t, err := x.dec.Token()
		if err != nil {
			return "", xmlError(x.file, x.data, x.dec, noEOF(err))
		}
		switch t := t.(type) {
		case xml.CharData:
			b.Write(t)
		case xml.StartElement:
			if err := x.skip(); err != nil {
				return "", err
			}
		case xml.EndElement:
			return strings.TrimSpace(b.String()), nil
		}
	}
}

// noEOF makes an end of input inside an element the truncation it is.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

func attr(se xml.StartElement, name string) string {
	for _, a := range se.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// cdxComponent reads one <component> and its nested components.
func (x *xmlWalker) cdxComponent(doc *sbomDoc, se xml.StartElement, own bool) error {
	line, _ := x.dec.InputPos()
	var group, name, version, purl, scope string
	dev := false
	at := len(doc.nodes)
	doc.nodes = append(doc.nodes, sbomNode{})
	err := x.children(func(se xml.StartElement) error {
		var dst *string
		switch se.Name.Local {
		case "group":
			dst = &group
		case "name":
			dst = &name
		case "version":
			dst = &version
		case "purl":
			dst = &purl
		case "scope":
			dst = &scope
		case "properties":
			return x.children(func(se xml.StartElement) error {
				if se.Name.Local != "property" {
					return x.skip()
				}
				v, err := x.text()
				if attr(se, "name") == "cdx:npm:package:development" && v == "true" {
					dev = true
				}
				return err
			})
		case "components":
			return x.children(func(se xml.StartElement) error {
				if se.Name.Local != "component" {
					return x.skip()
				}
				return x.cdxComponent(doc, se, own)
			})
		default:
			return x.skip()
		}
		v, err := x.text()
		*dst = v
		return err
	})
	if err != nil {
		return err
	}
	n := sbomPackage(x.file, attr(se, "bom-ref"), purl, joinNS(group, name, ":"), version, cdxScope(scope, dev), line)
	n.own = own
	doc.nodes[at] = n
	return nil
}

// spdxEdge maps an SPDX relationship "a TYPE b" to "from requires to",
// with the scope it gives to: the DEPENDS_ON / *_DEPENDENCY_OF family,
// HAS_PREREQUISITE / PREREQUISITE_FOR, and CONTAINS / CONTAINED_BY (a
// package bundling another, a shaded jar; what the SBOM's subject
// contains is its inventory, not what it requires: see readSPDXJSON).
func spdxEdge(a, typ, b string) (e sbomEdge, contains, ok bool) {
	switch typ {
	case "DEPENDS_ON", "HAS_PREREQUISITE":
		return sbomEdge{from: a, to: b}, false, true
	case "DEPENDENCY_OF", "RUNTIME_DEPENDENCY_OF", "PREREQUISITE_FOR":
		return sbomEdge{from: b, to: a}, false, true
	case "DEV_DEPENDENCY_OF":
		return sbomEdge{from: b, to: a, scope: "dev"}, false, true
	case "TEST_DEPENDENCY_OF":
		return sbomEdge{from: b, to: a, scope: "test"}, false, true
	case "BUILD_DEPENDENCY_OF":
		return sbomEdge{from: b, to: a, scope: "build"}, false, true
	case "OPTIONAL_DEPENDENCY_OF":
		return sbomEdge{from: b, to: a, scope: "optional"}, false, true
	case "PROVIDED_DEPENDENCY_OF":
		return sbomEdge{from: b, to: a, scope: "provided"}, false, true
	case "CONTAINS":
		return sbomEdge{from: a, to: b}, true, true
	case "CONTAINED_BY":
		return sbomEdge{from: b, to: a}, true, true
	}
	return sbomEdge{}, false, false
}

// readSPDXJSON reads an SPDX 2.x JSON document: its packages (a purl
// among their externalRefs names each), what it describes
// (documentDescribes, DESCRIBES and DESCRIBED_BY: the subject) and the
// relationships between them. That the subject CONTAINS a package (how
// syft lists what it found) does not make it a direct dependency: with
// no dependency relationship from the subject, direct dependencies are
// inferred as those nothing requires, or the graph is flat.
func readSPDXJSON(file string, data []byte) (sbomDoc, error) {
	return twice(file, data, readSPDXJSONWith)
}

func readSPDXJSONWith(w *sbomWalker) (sbomDoc, error) {
	file := w.file
	doc := sbomDoc{format: "SPDX"}
	version, versionLine := "", 0
	docID := "SPDXRef-DOCUMENT"
	describes := map[string]bool{}
	type rel struct{ a, typ, b string }
	var rels []rel
	err := w.object("SPDX document", func(key string, line int) error {
		switch key {
		case "spdxVersion":
			v, _, err := w.str()
			version, versionLine = v, line
			return err
		case "SPDXID":
			v, _, err := w.str()
			if v != "" {
				docID = v
			}
			return err
		case "documentDescribes":
			return w.array(key, func() error {
				v, ok, err := w.str()
				if ok {
					describes[v] = true
				}
				return err
			})
		case "packages":
			return w.array(key, func() error { return w.spdxPackage(&doc) })
		case "relationships":
			return w.array(key, func() error {
				if w.fast {
					var e struct {
						A   string `json:"spdxElementId"`
						Typ string `json:"relationshipType"`
						B   string `json:"relatedSpdxElement"`
					}
					if err := w.decode(&e); err != nil {
						return err
					}
					rels = append(rels, rel{e.A, e.Typ, e.B})
					return nil
				}
				var r rel
				err := w.fields("relationship", []string{"spdxElementId", "relationshipType", "relatedSpdxElement"}, &r.a, &r.typ, &r.b)
				rels = append(rels, r)
				return err
			})
		}
		return w.skipValue()
	})
	if err == nil {
		err = w.end()
	}
	if err != nil {
		return doc, err
	}
	if !strings.HasPrefix(version, "SPDX-2.") {
		msg := `not an SPDX 2 document: no "spdxVersion"`
		if versionLine > 0 {
			msg = fmt.Sprintf(`not an SPDX 2 document: "spdxVersion" is %q, want SPDX-2.x`, version)
		}
		return doc, &Error{File: file, Line: max(versionLine, 1), Column: 1, Msg: msg}
	}
	for _, r := range rels {
		switch {
		case r.typ == "DESCRIBES" && r.a == docID:
			describes[r.b] = true
		case r.typ == "DESCRIBED_BY" && r.b == docID:
			describes[r.a] = true
		}
	}
	describes[docID] = true
	for i := range doc.nodes {
		doc.nodes[i].own = describes[doc.nodes[i].id]
	}
	for _, id := range slices.Sorted(maps.Keys(describes)) { // in a fixed order: documents compare equal
		doc.nodes = append(doc.nodes, sbomNode{id: id, own: true})
	}
	for _, r := range rels {
		e, contains, ok := spdxEdge(r.a, r.typ, r.b)
		if !ok || contains && describes[e.from] {
			continue
		}
		doc.related = true
		doc.edges = append(doc.edges, e)
		if describes[e.from] {
			doc.recorded = append(doc.recorded, e.from)
		}
	}
	return doc, nil
}

// spdxPackage reads one package of an SPDX document.
func (w *sbomWalker) spdxPackage(doc *sbomDoc) error {
	var id, name, version, purl string
	first := 0
	err := w.object("package", func(k string, line int) error {
		if first == 0 {
			first = line
		}
		var dst *string
		switch k {
		case "SPDXID":
			dst = &id
		case "name":
			dst = &name
		case "versionInfo":
			dst = &version
		case "externalRefs":
			return w.array(k, func() error {
				var typ, loc string
				err := w.fields("externalRef", []string{"referenceType", "referenceLocator"}, &typ, &loc)
				if typ == "purl" && purl == "" {
					purl = loc
				}
				return err
			})
		default:
			return w.skipValue()
		}
		v, _, err := w.str()
		*dst = v
		return err
	})
	if err != nil {
		return err
	}
	doc.nodes = append(doc.nodes, sbomPackage(w.file, id, purl, name, version, "", first))
	return nil
}

// sbomWalker reads an SBOM's JSON. SBOMs are mostly what a graph does not
// need (licenses, hashes, descriptions, external references): fast, it
// skips a value whole with one Decode, several times quicker than token
// by token, but a syntax error inside it then has no exact position; so
// an SBOM the fast pass finds malformed is read again token by token
// (twice), for the positioned error.
type sbomWalker struct {
	*jsonWalker
	fast bool
}

// fields reads an object of which only some string members matter: the
// member named keys[i] is stored in dst[i]; other members are skipped.
func (w *sbomWalker) fields(what string, keys []string, dst ...*string) error {
	return w.object(what, func(k string, _ int) error {
		i := slices.Index(keys, k)
		if i < 0 {
			return w.skipValue()
		}
		v, _, err := w.str()
		*dst[i] = v
		return err
	})
}

// skipValue skips the next value.
func (w *sbomWalker) skipValue() error {
	if !w.fast {
		return w.skip()
	}
	var v struct{}
	if err := w.dec.Decode(&v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			// Not an object: skipped all the same.
			return nil
		}
		return w.wrap(err)
	}
	return nil
}

// decode reads the next value into v (fast pass only: any error, a value
// of another type included, sends the document to the slow pass).
func (w *sbomWalker) decode(v any) error {
	if err := w.dec.Decode(v); err != nil {
		return w.wrap(err)
	}
	return nil
}

// twice reads data with read, fast, and again token by token when that
// fails, for the error's exact position.
func twice(file string, data []byte, read func(*sbomWalker) (sbomDoc, error)) (sbomDoc, error) {
	doc, err := read(&sbomWalker{jsonWalker: newJSONWalker(file, data), fast: true})
	if err == nil {
		return doc, nil
	}
	return read(&sbomWalker{jsonWalker: newJSONWalker(file, data)})
}
