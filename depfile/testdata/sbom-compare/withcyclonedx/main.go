// Command withcyclonedx is the smallest program reading CycloneDX JSON and
// XML with cyclonedx-go, and purls with packageurl-go.
package main

import (
	"bytes"
	"fmt"
	"os"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/package-url/packageurl-go"
)

func main() {
	data, _ := os.ReadFile(os.Args[1])
	format := cdx.BOMFileFormatJSON
	if bytes.HasPrefix(bytes.TrimSpace(data), []byte("<")) {
		format = cdx.BOMFileFormatXML
	}
	var b cdx.BOM
	err := cdx.NewBOMDecoder(bytes.NewReader(data), format).Decode(&b)
	n := 0
	if b.Components != nil {
		for _, c := range *b.Components {
			if _, err := packageurl.FromString(c.PackageURL); err == nil {
				n++
			}
		}
	}
	fmt.Println(n, err)
}
