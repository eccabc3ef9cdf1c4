// Command withscalibr reads the lockfiles named on its command line with
// osv-scalibr's extractors for the formats depfile reads and prints how
// many packages each holds: the smallest program that links them, to
// measure what they add to a binary.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"scalibrcompare"
)

func main() {
	for _, p := range os.Args[1:] {
		data, err := os.ReadFile(p)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		ex, err := scalibrcompare.Extractor(p)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			continue
		}
		pkgs, err := scalibrcompare.Scalibr(context.Background(), ex, filepath.Dir(p), filepath.Base(p), data)
		fmt.Println(p, len(pkgs), err)
	}
}
