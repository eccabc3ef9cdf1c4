package sbomcompare

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/package-url/packageurl-go"
	spdxjson "github.com/spdx/tools-golang/json"

	"github.com/switchboard-dev/switchboard/depfile"
)

// libPackages reads an SBOM with the libraries: the "type/namespace/name@version"
// of every purl, nested CycloneDX components included.
func libPackages(name string, data []byte) ([]string, error) {
	var out []string
	add := func(s string) {
		p, err := packageurl.FromString(s)
		if err == nil {
			out = append(out, p.Type+"/"+strings.TrimPrefix(p.Namespace+"/"+p.Name, "/")+"@"+p.Version)
		}
	}
	if strings.HasSuffix(name, ".spdx.json") {
		doc, err := spdxjson.Read(bytes.NewReader(data))
		if err != nil {
			return nil, err
		}
		subject := map[string]bool{}
		for _, r := range doc.Relationships {
			if r.Relationship == "DESCRIBES" {
				subject[string(r.RefB.ElementRefID)] = true
			}
		}
		for _, p := range doc.Packages {
			if subject[string(p.PackageSPDXIdentifier)] {
				continue // the SBOM's subject: the project itself
			}
			for _, r := range p.PackageExternalReferences {
				if r.RefType == "purl" {
					add(r.Locator)
				}
			}
		}
		return out, nil
	}
	format := cdx.BOMFileFormatJSON
	if strings.HasSuffix(name, ".xml") {
		format = cdx.BOMFileFormatXML
	}
	var b cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(data), format).Decode(&b); err != nil {
		return nil, err
	}
	var walk func([]cdx.Component)
	walk = func(cs []cdx.Component) {
		for _, c := range cs {
			add(c.PackageURL)
			if c.Components != nil {
				walk(*c.Components)
			}
		}
	}
	if b.Components != nil {
		walk(*b.Components)
	}
	return out, nil
}

// ours is the same from depfile.
func ours(name string, data []byte) ([]string, error) {
	r := depfile.ParseSBOM(name, data)
	var out []string
	for _, d := range r.Deps {
		out = append(out, d.Ecosystem+"/"+strings.ReplaceAll(d.Name, ":", "/")+"@"+d.Version)
	}
	return out, r.Err
}

func set(xs []string) []string {
	slices.Sort(xs)
	return slices.Compact(xs)
}

// TestCompare: on the real SBOMs of depfile/testdata/sbom, both read the
// same packages (depfile: the npm ecosystem is "npm", Maven's "maven", as
// purl types are), and on truncated ones both fail; the table says what
// only depfile gives (lines, direct, Via).
func TestCompare(t *testing.T) {
	for _, f := range []string{"npm/bom.json", "npm/bom.xml", "npm/npm-sbom.cdx.json", "npm/npm-sbom.spdx.json", "gradle/bom.json"} {
		data, err := os.ReadFile("../sbom/" + f)
		if err != nil {
			t.Fatal(err)
		}
		lib, lerr := libPackages(f, data)
		own, oerr := ours(f, data)
		if lerr != nil || oerr != nil {
			t.Fatalf("%s: library %v, depfile %v", f, lerr, oerr)
		}
		if !slices.Equal(set(lib), set(own)) {
			t.Errorf("%s: library %d packages, depfile %d:\n%v\n%v", f, len(set(lib)), len(set(own)), set(lib), set(own))
		}
		cut := data[:len(data)/2]
		_, lerr = libPackages(f, cut)
		_, oerr = ours(f, cut)
		var perr *depfile.Error
		fmt.Printf("%-24s %3d packages both; cut in half: library %q, depfile %v (positioned: %v)\n", f, len(set(own)), lerr, oerr, oerr != nil && asError(oerr, &perr) && perr.Line > 0)
	}
}

func asError(err error, target **depfile.Error) bool {
	e, ok := err.(*depfile.Error)
	if ok {
		*target = e
	}
	return ok
}

// big makes an SBOM of n components in each format (as
// depfile.BenchmarkParseSBOM does).
func big(n int) map[string][]byte {
	var cj, cx, sj strings.Builder
	cj.WriteString(`{"bomFormat": "CycloneDX", "specVersion": "1.5", "metadata": {"component": {"bom-ref": "root", "name": "big"}}, "components": [`)
	cx.WriteString(`<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.5" version="1"><metadata><component type="application" bom-ref="root"><name>big</name></component></metadata><components>`)
	sj.WriteString(`{"spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT", "name": "big", "documentNamespace": "https://example.invalid/big", "creationInfo": {"created": "2026-01-01T00:00:00Z", "creators": ["Tool: gen"]}, "documentDescribes": ["SPDXRef-root"], "packages": [{"SPDXID": "SPDXRef-root", "name": "big", "downloadLocation": "NOASSERTION"}`)
	hash := strings.Repeat("ab", 64)
	for i := range n {
		id := fmt.Sprintf("p%d", i)
		if i > 0 {
			cj.WriteString(",")
		}
		fmt.Fprintf(&cj, "\n{\"type\": \"library\", \"bom-ref\": %q, \"name\": %q, \"version\": \"1.0.%d\", \"purl\": \"pkg:npm/%s@1.0.%d\", \"description\": \"a package\", \"licenses\": [{\"license\": {\"id\": \"MIT\"}}], \"hashes\": [{\"alg\": \"SHA-512\", \"content\": %q}], \"externalReferences\": [{\"type\": \"vcs\", \"url\": \"https://example.invalid/%s.git\"}]}", id, id, i, id, i, hash, id)
		fmt.Fprintf(&cx, "\n<component type=\"library\" bom-ref=%q><name>%s</name><version>1.0.%d</version><description>a package</description><hashes><hash alg=\"SHA-512\">%s</hash></hashes><licenses><license><id>MIT</id></license></licenses><purl>pkg:npm/%s@1.0.%d</purl></component>", id, id, i, hash, id, i)
		fmt.Fprintf(&sj, ",\n{\"SPDXID\": \"SPDXRef-%s\", \"name\": %q, \"versionInfo\": \"1.0.%d\", \"downloadLocation\": \"NOASSERTION\", \"licenseDeclared\": \"MIT\", \"checksums\": [{\"algorithm\": \"SHA512\", \"checksumValue\": %q}], \"externalRefs\": [{\"referenceCategory\": \"PACKAGE-MANAGER\", \"referenceType\": \"purl\", \"referenceLocator\": \"pkg:npm/%s@1.0.%d\"}]}", id, id, i, hash, id, i)
	}
	cj.WriteString("],\n\"dependencies\": [")
	cx.WriteString("</components><dependencies>")
	sj.WriteString("],\n\"relationships\": [")
	first := true
	for i := -1; i < n; i++ {
		from, on := "root", []string{"p0", "p1", "p2"}
		if i >= 0 {
			from, on = fmt.Sprintf("p%d", i), nil
			for j := 1; j <= 3 && 3*i+j < n; j++ {
				on = append(on, fmt.Sprintf("p%d", 3*i+j))
			}
		}
		if i >= 0 {
			cj.WriteString(",")
		}
		fmt.Fprintf(&cj, "\n{\"ref\": %q, \"dependsOn\": [", from)
		fmt.Fprintf(&cx, "\n<dependency ref=%q>", from)
		for k, to := range on {
			if k > 0 {
				cj.WriteString(", ")
			}
			fmt.Fprintf(&cj, "%q", to)
			fmt.Fprintf(&cx, "<dependency ref=%q/>", to)
			if !first {
				sj.WriteString(",")
			}
			first = false
			fmt.Fprintf(&sj, "\n{\"spdxElementId\": \"SPDXRef-%s\", \"relationshipType\": \"DEPENDS_ON\", \"relatedSpdxElement\": \"SPDXRef-%s\"}", from, to)
		}
		cj.WriteString("]}")
		cx.WriteString("</dependency>")
	}
	cj.WriteString("]}\n")
	cx.WriteString("</dependencies></bom>\n")
	sj.WriteString("]}\n")
	return map[string][]byte{"bom.json": []byte(cj.String()), "bom.xml": []byte(cx.String()), "big.spdx.json": []byte(sj.String())}
}

// BenchmarkParse reads a 20,000-component SBOM in each format with each:
// the libraries decode (no graph), depfile decodes and builds the graph
// (direct, Via), with lines.
func BenchmarkParse(b *testing.B) {
	const n = 20000
	docs := big(n)
	for _, name := range []string{"bom.json", "bom.xml", "big.spdx.json"} {
		data := docs[name]
		for _, impl := range []struct {
			name string
			read func(string, []byte) ([]string, error)
		}{{"library", libPackages}, {"depfile", ours}} {
			b.Run(name+"/"+impl.name, func(b *testing.B) {
				b.SetBytes(int64(len(data)))
				for b.Loop() {
					got, err := impl.read(name, data)
					if err != nil || len(got) != n {
						b.Fatalf("got %d, %v", len(got), err)
					}
				}
			})
		}
	}
}
