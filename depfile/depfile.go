// Package depfile reads the dependency files that repositories commit
// (pom.xml, build.gradle, go.mod, package.json, requirements.txt, and the
// lockfiles of npm, yarn, pnpm, Poetry, Pipenv, uv, Cargo, Bundler,
// Composer, Gradle and NuGet, and SBOMs: CycloneDX JSON and XML, SPDX 2
// JSON, see ParseSBOM) into a list of (ecosystem, name, version)
// with the line each was declared on, so that the catalog can answer
// "which repos depend on log4j-core" — and, from lockfiles, whether each
// dependency is direct or transitive and through which chain of packages
// it comes in (Dependency.Direct, Dependency.Via; Result.Graph says how
// much of that a format records).
//
// ParseDir is the entry point for a repository: it pairs a lockfile with
// the manifest beside it when the lockfile alone cannot tell direct
// dependencies (yarn.lock with package.json, poetry.lock with
// pyproject.toml, ...). Parse and ParseFile read one file.
//
// Parsing is best effort where the format is code (Gradle scripts) and strict
// where it is data (XML, JSON, TOML, YAML, lockfiles): malformed or
// truncated data is an *Error with its position, never a panic and never a
// silently empty result.
package depfile

import (
	"errors"
	"fmt"
	"path"
	"strings"
)

// Ecosystems a Dependency belongs to.
const (
	// Maven is a Maven artifact declared in a pom.xml; Name is
	// "groupId:artifactId".
	Maven = "maven"
	// Gradle is a Maven artifact declared in a Gradle build script or
	// lockfile; Name is "group:name", the same namespace as Maven.
	Gradle = "gradle"
	// Go is a Go module from go.mod; Name is the module path.
	Go = "go"
	// NPM is a package from package.json or package-lock.json.
	NPM = "npm"
	// PyPI is a Python distribution from requirements*.txt or poetry.lock.
	PyPI = "pypi"
	// RubyGems is a gem from Gemfile.lock.
	RubyGems = "rubygems"
	// Cargo is a Rust crate from Cargo.lock.
	Cargo = "cargo"
	// Packagist is a PHP package from composer.json or composer.lock; Name
	// is "vendor/package".
	Packagist = "packagist"
	// NuGet is a .NET package from packages.lock.json.
	NuGet = "nuget"
)

// Dependency is one package a file declares.
type Dependency struct {
	// Ecosystem is one of Maven, Gradle, Go, NPM, PyPI, RubyGems, Cargo,
	// Packagist, NuGet.
	Ecosystem string
	// Name is the package's name in its ecosystem ("groupId:artifactId" for
	// Maven and Gradle).
	Name string
	// Version is the version as declared after resolving what the file
	// itself defines (Maven properties, Gradle variables); ranges such as
	// "^1.2.0" or ">=2.0,<3" are kept as written; empty when the file gives
	// none (a Maven dependency managed by a parent POM, a Gradle dependency
	// whose version comes from a BOM).
	Version string
	// Scope is how the dependency is used, as the file says it: the Maven
	// scope ("test", "provided", "import"; "managed" for a
	// <dependencyManagement> entry no dependency of the file uses), the
	// Gradle configuration ("implementation", "testImplementation"; "import"
	// for a platform() BOM, as Maven says), "dev",
	// "peer" or "optional" for npm, "dev" for poetry, "indirect" for go.mod;
	// empty for a plain runtime dependency.
	Scope string
	// File is the path given to Parse. From ParseDir, a lockfile's direct
	// dependency has the path of the manifest that declares it (see
	// Result.Deps).
	File string
	// Line is the 1-based line of the declaration in File (the line to
	// change; for a transitive dependency, its entry in the lockfile,
	// where its version is pinned); 0 when unknown.
	Line int
	// Direct is true when the project itself asks for the dependency (its
	// manifest, or the lockfile's record of the manifest, names it); false
	// for a transitive dependency and when the file does not say (see
	// Result.Graph).
	Direct bool
	// Via is the chain that brings a transitive dependency in, as
	// "name@version" from the direct dependency down to the one that
	// requires this one: [spring-boot-starter-log4j2@2.6.1] for log4j-core.
	// It is the shortest such chain (the first found in file order when
	// several are as short); nil for a direct dependency and when the file
	// does not record which package requires which.
	Via []string
	// VersionFrom is set only on a Maven dependency resolved by package
	// maven whose version is set by a POM outside the repository: the
	// coordinate "groupId:artifactId:version" of that parent POM or
	// imported BOM (scope import). It is set when the version comes from
	// the <dependencyManagement> (or, for an inherited dependency, the
	// <dependencies>) of a parent fetched from a repository, from a
	// property such a parent defines (and the repo does not redefine), or
	// from a BOM fetched from a repository (the BOM named, even when a
	// parent imports it); for a transitive dependency, only when the
	// project's management decides its version. File and Line then say
	// what the repo can change: the BOM's import when the repo declares
	// it, else the dependency's declaration (or the project's <parent>).
	// Empty when the repo itself sets the version (a literal, its own
	// management or a BOM among its modules, a property it defines), for
	// a transitive dependency whose version the project's management does
	// not decide, and for every other ecosystem and file.
	VersionFrom string
}

// ErrUnsupported is returned by Parse for a file that IsDependencyFile does
// not recognise.
var ErrUnsupported = errors.New("not a supported dependency file")

// Error is a malformed dependency file, with the position of the problem.
type Error struct {
	// File is the path given to Parse.
	File string
	// Line and Column are 1-based; 0 when unknown.
	Line, Column int
	// Msg says what is wrong.
	Msg string
}

// Error formats the problem as "file:line:column: msg".
func (e *Error) Error() string {
	switch {
	case e.Line > 0 && e.Column > 0:
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	default:
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
}

// kind is the format of a dependency file.
type kind int

const (
	kindNone kind = iota
	kindPom
	kindGradle
	kindGradleLock
	kindGoMod
	kindPackageJSON
	kindPackageLock
	kindRequirements
	kindPoetryLock
	kindGemfileLock
	kindYarnLock
	kindPnpmLock
	kindPyproject
	kindPipfile
	kindPipfileLock
	kindUVLock
	kindCargoLock
	kindComposerJSON
	kindComposerLock
	kindVersionCatalog
	kindNuGetLock
	kindCycloneDXJSON
	kindCycloneDXXML
	kindSPDXJSON
)

// skippedDir says whether a folder holds other people's code: a
// package.json under node_modules is not a dependency of the repo.
func skippedDir(name string) bool {
	switch name {
	case "node_modules", "vendor", "bower_components", ".git":
		return true
	}
	return false
}

func kindOf(p string) kind {
	p = strings.ReplaceAll(p, "\\", "/")
	for seg := range strings.SplitSeq(path.Dir(p), "/") {
		if skippedDir(seg) {
			return kindNone
		}
	}
	base := path.Base(p)
	switch base {
	case "pom.xml":
		return kindPom
	case "build.gradle", "build.gradle.kts":
		return kindGradle
	case "gradle.lockfile", "buildscript-gradle.lockfile":
		return kindGradleLock
	case "go.mod":
		return kindGoMod
	case "package.json":
		return kindPackageJSON
	case "package-lock.json", "npm-shrinkwrap.json":
		return kindPackageLock
	case "poetry.lock":
		return kindPoetryLock
	case "Gemfile.lock", "gems.locked":
		return kindGemfileLock
	case "yarn.lock":
		return kindYarnLock
	case "pnpm-lock.yaml":
		return kindPnpmLock
	case "pyproject.toml":
		return kindPyproject
	case "Pipfile":
		return kindPipfile
	case "Pipfile.lock":
		return kindPipfileLock
	case "uv.lock":
		return kindUVLock
	case "Cargo.lock":
		return kindCargoLock
	case "composer.json":
		return kindComposerJSON
	case "composer.lock":
		return kindComposerLock
	case "packages.lock.json":
		return kindNuGetLock
	case "libs.versions.toml":
		if path.Base(path.Dir(p)) == "gradle" {
			return kindVersionCatalog
		}
	}
	if strings.HasSuffix(base, ".txt") &&
		(strings.HasPrefix(base, "requirements") || path.Base(path.Dir(p)) == "requirements") {
		return kindRequirements
	}
	if k := sbomKind(base); k != kindNone {
		return k
	}
	// Gradle < 6 kept one lockfile per configuration.
	if strings.HasSuffix(base, ".lockfile") && strings.HasSuffix(path.Dir(p), "gradle/dependency-locks") {
		return kindGradleLock
	}
	return kindNone
}

// IsDependencyFile reports whether Parse understands the file at path (a
// repository-relative path; only its name and folders matter). Files under
// node_modules/ and vendor/ are not the repo's own and are rejected.
func IsDependencyFile(path string) bool {
	return kindOf(path) != kindNone
}

// Parse reads the dependency file at path (used to pick the format and to
// fill Dependency.File) from data. Dependencies come in file order, each
// (ecosystem, name, version) once, with Direct and Via as far as the file
// alone tells (ParseFile says how far that is; ParseDir pairs a lockfile
// with its manifest). A malformed file returns an *Error with its
// position; a file IsDependencyFile rejects returns ErrUnsupported.
func Parse(path string, data []byte) ([]Dependency, error) {
	r := ParseFile(path, data)
	return r.Deps, r.Err
}

// parsed is what a parser returns.
type parsed struct {
	deps  []Dependency
	graph Graph
	note  string
}

// parse reads one file, with the dependencies its manifest declares when
// the format needs them for directness (nil when there is none).
func parse(path string, data []byte, manifest []Dependency) (parsed, error) {
	flat := func(deps []Dependency, err error) (parsed, error) {
		return parsed{deps: deps}, err
	}
	declared := func(deps []Dependency, err error) (parsed, error) {
		for i := range deps {
			if deps[i].Scope != "managed" && deps[i].Scope != "import" {
				deps[i].Direct = true
			}
		}
		return parsed{deps: deps, graph: GraphDeclared}, err
	}
	switch kindOf(path) {
	case kindPom:
		return declared(parsePom(path, data))
	case kindGradle:
		return declared(parseGradle(path, data))
	case kindGradleLock:
		p, err := flat(parseGradleLock(path, data))
		if err != nil || manifest == nil {
			p.note = "gradle.lockfile lists resolved modules without saying which are direct (no build script given) or what requires them"
			return p, err
		}
		// The build script names the direct modules (its versions may
		// be ranges, or come from a BOM: the lockfile's are resolved).
		direct := map[string]bool{}
		for _, m := range manifest {
			direct[m.Name] = true
		}
		matched := 0
		for i := range p.deps {
			p.deps[i].Direct = direct[p.deps[i].Name]
			if p.deps[i].Direct {
				matched++
			}
		}
		if matched == 0 && len(p.deps) > 0 {
			// Dependencies named through a version catalog
			// (libs.log4j.core) or a plugin: the script tells nothing.
			p.note = "the build script names none of the locked modules (a version catalog's accessors?): which are direct is unknown"
			return p, nil
		}
		// Every resolved module is locked: the graph is whole, though
		// which module requires which is not recorded (GraphDirect).
		p.graph, p.note = GraphDirect, ""
		return p, nil
	case kindGoMod:
		return parseGoMod(path, data)
	case kindPackageJSON:
		return declared(parsePackageJSON(path, data))
	case kindPackageLock:
		return parsePackageLock(path, data, manifest)
	case kindRequirements:
		return parseRequirementsGraph(path, data)
	case kindPoetryLock:
		return parsePoetryLock(path, data, manifest)
	case kindGemfileLock:
		return parseGemfileLock(path, data)
	case kindYarnLock:
		return parseYarnLock(path, data, manifest)
	case kindPnpmLock:
		return parsePnpmLock(path, data)
	case kindPyproject:
		return declared(parsePyproject(path, data))
	case kindPipfile:
		return declared(parsePipfile(path, data))
	case kindPipfileLock:
		return parsePipfileLock(path, data, manifest)
	case kindUVLock:
		return parseUVLock(path, data)
	case kindCargoLock:
		return parseCargoLock(path, data)
	case kindComposerJSON:
		return declared(parseComposerJSON(path, data))
	case kindComposerLock:
		return parseComposerLock(path, data, manifest)
	case kindVersionCatalog:
		return declared(parseVersionCatalog(path, data))
	case kindNuGetLock:
		return parseNuGetLock(path, data)
	case kindCycloneDXJSON, kindCycloneDXXML, kindSPDXJSON:
		return parseSBOM(path, data, kindOf(path), manifest)
	}
	return parsed{}, fmt.Errorf("parse %s: %w", path, ErrUnsupported)
}

// dedupe keeps one of each (ecosystem, name, version): a package listed
// under both dependencies and peerDependencies, or twice in a lockfile (npm
// installs a version in several node_modules folders), is one dependency
// of the file. It stays where it first appears, with the fields of its
// best instance: a direct one, else the one with the shortest chain, else
// the first.
func dedupe(deps []Dependency) []Dependency {
	type key struct{ eco, name, version string }
	at := make(map[key]int, len(deps))
	out := deps[:0]
	for _, d := range deps {
		k := key{d.Ecosystem, d.Name, d.Version}
		i, seen := at[k]
		if !seen {
			at[k] = len(out)
			out = append(out, d)
			continue
		}
		if better(d, out[i]) {
			out[i] = d
		}
	}
	return out
}

// better says whether instance a of a package says more than b: direct
// beats transitive, a shorter chain a longer one, any chain none.
func better(a, b Dependency) bool {
	switch {
	case a.Direct != b.Direct:
		return a.Direct
	case a.Direct:
		return false
	case (a.Via != nil) != (b.Via != nil):
		return a.Via != nil
	}
	return len(a.Via) < len(b.Via)
}

// lineCol returns the 1-based line and column of byte offset off in data.
func lineCol(data []byte, off int) (int, int) {
	if off > len(data) {
		off = len(data)
	}
	if off < 0 {
		off = 0
	}
	line, col := 1, 1
	for _, b := range data[:off] {
		if b == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

// LineIndex answers "which line is byte offset off on" quickly for files
// with many matches (here and in package maven).
type LineIndex []int

// NewLineIndex indexes the line starts of data.
func NewLineIndex(data []byte) LineIndex {
	idx := LineIndex{0}
	for i, b := range data {
		if b == '\n' {
			idx = append(idx, i+1)
		}
	}
	return idx
}

// Line returns the 1-based line of byte offset off.
func (idx LineIndex) Line(off int) int {
	lo, hi := 0, len(idx)
	for lo < hi {
		mid := (lo + hi) / 2
		if idx[mid] <= off {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// splitLines splits data into lines without their "\n" or "\r\n".
func splitLines(data []byte) []string {
	s := string(data)
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// lockfilesOf names, for a manifest, the lockfiles that list everything it
// does with exact versions.
func lockfilesOf(manifest string) []string {
	switch manifest {
	case "package.json":
		return []string{"package-lock.json", "npm-shrinkwrap.json"}
	case "build.gradle", "build.gradle.kts":
		return []string{"gradle.lockfile"}
	}
	return nil
}

// Select returns the paths of a repository tree that are worth reading for
// dependencies, in their order: the dependency files, less a package.json
// or build.gradle whose folder also holds its lockfile (package-lock.json,
// gradle.lockfile), which says all it says with exact versions, and less
// an SBOM whose folder holds a lockfile, go.mod or pom.xml (which wins: it
// is what the build resolves from at the commit read, where a committed
// SBOM is a snapshot nothing keeps current) or that is the XML twin of a
// JSON SBOM beside it. A sync that reads only these saves a request for
// many npm and Gradle projects.
func Select(paths []string) []string {
	present := make(map[string]bool, len(paths))
	dirKinds := map[string][]kind{}
	for _, p := range paths {
		present[p] = true
		if k := kindOf(p); k != kindNone {
			dir, _ := path.Split(p)
			dirKinds[dir] = append(dirKinds[dir], k)
		}
	}
	var out []string
	for _, p := range paths {
		if !IsDependencyFile(p) {
			continue
		}
		if IsSBOM(p) && sbomShadowed(p, present, dirKinds) {
			continue
		}
		dir, base := path.Split(p)
		shadowed := false
		for _, lock := range lockfilesOf(base) {
			if present[dir+lock] {
				shadowed = true
			}
		}
		if !shadowed {
			out = append(out, p)
		}
	}
	return out
}
