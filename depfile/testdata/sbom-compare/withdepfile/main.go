// Command withdepfile is the smallest program reading SBOMs with depfile.
package main

import (
	"fmt"
	"os"

	"github.com/switchboard-dev/switchboard/depfile"
)

func main() {
	data, _ := os.ReadFile(os.Args[1])
	r := depfile.ParseSBOM(os.Args[1], data)
	fmt.Println(len(r.Deps), r.Err)
}
