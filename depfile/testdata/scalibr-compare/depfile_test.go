package scalibrcompare

import (
	"fmt"

	"github.com/switchboard-dev/switchboard/depfile"
)

// Depfile reads the file with depfile (alone, as ParseFile does).
func Depfile(rel string, data []byte) ([]Package, error) {
	r := depfile.ParseFile(rel, data)
	if r.Err != nil {
		return nil, fmt.Errorf("depfile: %w", r.Err)
	}
	out := make([]Package, 0, len(r.Deps))
	for _, d := range r.Deps {
		out = append(out, Package{Name: d.Name, Version: d.Version, Line: d.Line, Direct: d.Direct,
			Known: r.Graph >= depfile.GraphDirect, Parents: min(len(d.Via), 1)})
	}
	return out, nil
}
