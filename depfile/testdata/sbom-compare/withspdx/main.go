// Command withspdx is the smallest program reading SPDX JSON with
// tools-golang, and purls with packageurl-go.
package main

import (
	"bytes"
	"fmt"
	"os"

	"github.com/package-url/packageurl-go"
	spdxjson "github.com/spdx/tools-golang/json"
)

func main() {
	data, _ := os.ReadFile(os.Args[1])
	doc, err := spdxjson.Read(bytes.NewReader(data))
	n := 0
	if doc != nil {
		for _, p := range doc.Packages {
			for _, r := range p.PackageExternalReferences {
				if _, err := packageurl.FromString(r.Locator); err == nil && r.RefType == "purl" {
					n++
				}
			}
		}
	}
	if doc == nil {
		fmt.Println(0, 0, err)
		return
	}
	fmt.Println(n, len(doc.Relationships), err)
}
