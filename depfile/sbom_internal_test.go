package depfile

import (
	"os"
	"reflect"
	"testing"
)

// TestSBOMWalkerFastSlow: the fast pass (values skipped whole) reads the
// same document as the token-by-token one, and a malformed one fails
// both ways, the slow pass giving the position.
func TestSBOMWalkerFastSlow(t *testing.T) {
	tests := []struct {
		file string
		read func(*sbomWalker) (sbomDoc, error)
	}{
		{"testdata/sbom/npm/bom.json", readCycloneDXJSONWith},
		{"testdata/sbom/npm/npm-sbom.cdx.json", readCycloneDXJSONWith},
		{"testdata/sbom/gradle/bom.json", readCycloneDXJSONWith},
		{"testdata/sbom/npm/npm-sbom.spdx.json", readSPDXJSONWith},
	}
	for _, tt := range tests {
		data, err := os.ReadFile(tt.file)
		if err != nil {
			t.Fatal(err)
		}
		for _, cut := range []int{len(data), len(data) * 3 / 4} {
			fast, ferr := tt.read(&sbomWalker{jsonWalker: newJSONWalker(tt.file, data[:cut]), fast: true})
			slow, serr := tt.read(&sbomWalker{jsonWalker: newJSONWalker(tt.file, data[:cut])})
			if (ferr == nil) != (serr == nil) || ferr == nil && !reflect.DeepEqual(fast, slow) {
				t.Errorf("%s cut at %d: fast %v, slow %v; want the same document", tt.file, cut, ferr, serr)
			}
			if cut < len(data) && serr == nil {
				t.Errorf("%s cut at %d: no error", tt.file, cut)
			}
		}
	}
}

// FuzzSBOMFastSlow: whatever the input, the fast pass accepts only what
// the token-by-token pass accepts, and reads the same document from it.
func FuzzSBOMFastSlow(f *testing.F) {
	for _, file := range []string{"testdata/sbom/gradle/bom.json", "testdata/sbom/npm/npm-sbom.spdx.json"} {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(false, data)
	}
	f.Add(true, []byte(`{"spdxVersion": "SPDX-2.2", "relationships": [{"spdxElementId": 1}, {"relatedSpdxElement": null}], "packages": [{"externalRefs": [1]}]}`))
	f.Add(false, []byte(`{"bomFormat": "CycloneDX", "dependencies": [{"ref": "a", "dependsOn": ["b", 2]}, {"ref": null}], "components": [{"properties": [{"name": 1}]}]}`))
	f.Fuzz(func(t *testing.T, spdx bool, data []byte) {
		read := readCycloneDXJSONWith
		if spdx {
			read = readSPDXJSONWith
		}
		fast, ferr := read(&sbomWalker{jsonWalker: newJSONWalker("f", data), fast: true})
		if ferr != nil {
			return
		}
		slow, serr := read(&sbomWalker{jsonWalker: newJSONWalker("f", data)})
		if serr != nil || !reflect.DeepEqual(fast, slow) {
			t.Fatalf("fast read it, slow: %v; same document: %v", serr, reflect.DeepEqual(fast, slow))
		}
	})
}
