// Command withdepfile reads the lockfiles named on its command line with
// depfile and prints how many packages each holds: the smallest program
// that links depfile, to measure what it adds to a binary.
package main

import (
	"fmt"
	"os"

	"github.com/switchboard-dev/switchboard/depfile"
)

func main() {
	for _, p := range os.Args[1:] {
		data, err := os.ReadFile(p)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		r := depfile.ParseFile(p, data)
		fmt.Println(p, len(r.Deps), r.Err)
	}
}
