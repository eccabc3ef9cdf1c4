package depfile

import (
	"errors"
	"strconv"
	"strings"

	"golang.org/x/mod/modfile"
)

// parseGoMod reads go.mod with golang.org/x/mod: every require, "indirect"
// in Scope for // indirect ones, with the version of a replace directive
// that keeps the module path (replace m => m v1.2.3). A go.mod with
// directives this version of x/mod does not know is read leniently rather
// than rejected. Since Go 1.17 go.mod lists every module the build needs:
// a requirement without "// indirect" is direct, one with it transitive;
// which module requires an indirect one is not in go.mod (it is in the
// module graph, go mod graph, which needs the go.mod of every dependency),
// so Via stays nil.
func parseGoMod(file string, data []byte) (parsed, error) {
	f, err := modfile.Parse(file, data, nil)
	if err != nil {
		lax, laxErr := modfile.ParseLax(file, data, nil)
		if laxErr != nil {
			return parsed{}, goModError(file, laxErr)
		}
		f = lax
	}
	replaced := map[string]string{}    // path@version -> version
	replacedAny := map[string]string{} // path -> version, for "replace m => m v"
	for _, r := range f.Replace {
		if r.New.Version == "" || r.New.Path != r.Old.Path {
			continue
		}
		if r.Old.Version == "" {
			replacedAny[r.Old.Path] = r.New.Version
		} else {
			replaced[r.Old.Path+"@"+r.Old.Version] = r.New.Version
		}
	}
	var deps []Dependency
	for _, r := range f.Require {
		version := r.Mod.Version
		if v, ok := replaced[r.Mod.Path+"@"+version]; ok {
			version = v
		} else if v, ok := replacedAny[r.Mod.Path]; ok {
			version = v
		}
		scope := ""
		if r.Indirect {
			scope = "indirect"
		}
		line := 0
		if r.Syntax != nil {
			line = r.Syntax.Start.Line
		}
		deps = append(deps, Dependency{Ecosystem: Go, Name: r.Mod.Path, Version: version, Scope: scope, File: file, Line: line, Direct: !r.Indirect})
	}
	// Since go 1.17 go.mod lists every module the build needs: the graph
	// is whole, though which module requires an indirect one is not
	// recorded (GraphDirect says so; answers show it per line).
	p := parsed{deps: deps, graph: GraphDirect}
	if f.Go != nil && semverLess(f.Go.Version, "1.17") {
		p.note = "go.mod before go 1.17 lists only some indirect requirements: transitive dependencies may be missing"
	}
	return p, nil
}

func goModError(file string, err error) error {
	var list modfile.ErrorList
	if errors.As(err, &list) && len(list) > 0 {
		e := list[0]
		return &Error{File: file, Line: e.Pos.Line, Column: e.Pos.LineRune, Msg: goModMsg(e)}
	}
	var one *modfile.Error
	if errors.As(err, &one) {
		return &Error{File: file, Line: one.Pos.Line, Column: one.Pos.LineRune, Msg: goModMsg(*one)}
	}
	return &Error{File: file, Msg: err.Error()}
}

func goModMsg(e modfile.Error) string {
	msg := e.Err.Error()
	if e.Verb != "" {
		msg = e.Verb + ": " + msg
	}
	return strings.TrimSpace(msg)
}

// semverLess compares two Go versions ("1.16", "1.21.3") numerically.
func semverLess(a, b string) bool {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		x, errX := strconv.Atoi(as[i])
		y, errY := strconv.Atoi(bs[i])
		if errX != nil || errY != nil {
			return false
		}
		if x != y {
			return x < y
		}
	}
	return len(as) < len(bs)
}
