package depfile

import (
	"cmp"
	"path"
	"strings"

	"golang.org/x/mod/modfile"
)

// Published is a package a project file says the project publishes: what
// another project's dependency on it names.
type Published struct {
	// Ecosystem is Maven, NPM or Go.
	Ecosystem string
	// Name is "groupId:artifactId" (Maven), the package name (npm) or the
	// module path (Go).
	Name string
	// File and Line are where the name is (Line 0 when unknown).
	File string
	Line int
}

// Publishes returns the package the project file at path publishes, if
// it names one: a pom.xml's groupId:artifactId (the groupId of its
// <parent> when it has none of its own), a package.json's name (not a
// workspace root's: a package.json declaring "workspaces" is the root of
// a monorepo, never a dependency of anything), a go.mod's module path.
// Coordinates built from ${properties} are left out: what they resolve to
// is not the file's to say. A file it cannot read publishes nothing: its
// dependencies' parse reports the error.
func Publishes(p string, data []byte) (Published, bool) {
	var (
		pub Published
		ok  bool
	)
	switch kindOf(p) {
	case kindPom:
		pub, ok = pomCoordinates(data)
		pub.Ecosystem = Maven
	case kindPackageJSON:
		pub, ok = packageName(p, data)
		pub.Ecosystem = NPM
	case kindGoMod:
		f, err := modfile.ParseLax(path.Base(p), data, nil)
		if err == nil && f.Module != nil && f.Module.Mod.Path != "" {
			pub, ok = Published{Ecosystem: Go, Name: f.Module.Mod.Path}, true
			if f.Module.Syntax != nil {
				pub.Line = f.Module.Syntax.Start.Line
			}
		}
	}
	if !ok || pub.Name == "" || strings.Contains(pub.Name, "${") {
		return Published{}, false
	}
	pub.File = p
	return pub, true
}

// pomCoordinates reads project/groupId (or project/parent/groupId) and
// project/artifactId, as parsePom reads them; Line is the artifactId's.
func pomCoordinates(data []byte) (Published, bool) {
	p, err := readPom("", data)
	if err != nil {
		return Published{}, false
	}
	group := cmp.Or(p.builtin["project.groupId"], p.builtin["project.parent.groupId"])
	artifact := p.builtin["project.artifactId"]
	if group == "" || artifact == "" {
		return Published{}, false
	}
	return Published{Name: group + ":" + artifact, Line: p.artifactLine}, true
}

// packageName reads a package.json's top-level "name", unless it declares
// "workspaces".
func packageName(file string, data []byte) (Published, bool) {
	w := newJSONWalker(file, data)
	var (
		pub       Published
		workspace bool
	)
	err := w.object("package.json", func(key string, line int) error {
		switch key {
		case "name":
			s, ok, err := w.str()
			if ok {
				pub.Name, pub.Line = s, line
			}
			return err
		case "workspaces":
			workspace = true
		}
		return w.skip()
	})
	if err != nil || workspace {
		return Published{}, false
	}
	return pub, pub.Name != ""
}
