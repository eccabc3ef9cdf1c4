package advisories

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/google/osv-scalibr/semantic"

	"github.com/switchboard-dev/switchboard/depfile"
)

// OSV's names of the ecosystems Switchboard reads dependency files of.
const (
	OSVMaven     = "Maven"
	OSVNPM       = "npm"
	OSVPyPI      = "PyPI"
	OSVGo        = "Go"
	OSVRubyGems  = "RubyGems"
	OSVCratesIO  = "crates.io"
	OSVPackagist = "Packagist"
	OSVNuGet     = "NuGet"
)

// ecosystems maps OSV's names to Switchboard's (depfile's).
var ecosystems = [...]struct{ osv, ours string }{
	{OSVMaven, depfile.Maven},
	{OSVNPM, depfile.NPM},
	{OSVPyPI, depfile.PyPI},
	{OSVGo, depfile.Go},
	{OSVRubyGems, depfile.RubyGems},
	{OSVCratesIO, depfile.Cargo},
	{OSVPackagist, depfile.Packagist},
	{OSVNuGet, depfile.NuGet},
}

// ErrUnsupportedEcosystem is wrapped by errors about an ecosystem whose
// versions this package cannot order.
var ErrUnsupportedEcosystem = errors.New("unsupported ecosystem")

// Ecosystem returns Switchboard's name (depfile.Maven, depfile.NPM, ...)
// for OSV's name of an ecosystem ("Maven", "npm", ...). A suffix
// ("Debian:11") is dropped. An ecosystem Switchboard does not read
// dependency files of is returned lower-cased, so that it still has one
// spelling in the store.
func Ecosystem(osv string) string {
	base, _, _ := strings.Cut(osv, ":")
	for _, e := range ecosystems {
		if e.osv == base {
			return e.ours
		}
	}
	return strings.ToLower(base)
}

// OSVEcosystem returns OSV's name for an ecosystem given by Switchboard's
// name (depfile.Gradle is Maven's namespace) or by OSV's own, and false
// when it is neither.
func OSVEcosystem(eco string) (string, bool) {
	if eco == depfile.Gradle {
		return OSVMaven, true
	}
	for _, e := range ecosystems {
		if e.ours == eco || e.osv == eco {
			return e.osv, true
		}
	}
	return "", false
}

// NameKey is how a package name is compared and indexed in an ecosystem:
// PyPI names normalised as PEP 503 says (case, and runs of "-", "_", "."),
// others lower-cased (Maven coordinates and npm names differ only by case
// in mistakes).
func NameKey(ecosystem, name string) string {
	name = strings.TrimSpace(name)
	if osv, _ := OSVEcosystem(ecosystem); osv == OSVPyPI {
		return depfile.PEP503(name)
	}
	return strings.ToLower(name)
}

// VersionError is a version that an ecosystem's ordering cannot read: a
// range ("^1.2.0", "[1.0,2.0)"), an unresolved property ("${log4j.version}"),
// "latest", an empty string. Such a version may or may not be affected;
// callers show it as unknown, never as "not affected".
type VersionError struct {
	// Ecosystem is OSV's name of the ecosystem.
	Ecosystem string
	// Version is the version as given.
	Version string
	// Reason says why it cannot be read.
	Reason string
}

// Error says which version of which ecosystem cannot be read, and why.
func (e *VersionError) Error() string {
	return fmt.Sprintf("%s version %q cannot be compared: %s", e.Ecosystem, e.Version, e.Reason)
}

// Shapes of a concrete version in each ecosystem. The orderings themselves
// (osv-scalibr's semantic package) are lenient: they order anything, so a
// range or a placeholder would silently get a place. These say what is a
// version at all.
var (
	semverShape = regexp.MustCompile(`^v?[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$`)
	// PEP 440's own regular expression (packaging.version.VERSION_PATTERN).
	pep440Shape = regexp.MustCompile(`(?i)^v?(?:(?:[0-9]+!)?[0-9]+(?:\.[0-9]+)*(?:[-_.]?(?:a|b|c|rc|alpha|beta|pre|preview)[-_.]?[0-9]*)?(?:-[0-9]+|[-_.]?(?:post|rev|r)[-_.]?[0-9]*)?(?:[-_.]?dev[-_.]?[0-9]*)?)(?:\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?$`)
	// Gem::Version::ANCHORED_VERSION_PATTERN.
	gemShape = regexp.MustCompile(`^[0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$`)
	// Maven orders any string; a version is letters, digits and separators
	// with at least one digit ("LATEST" and "RELEASE" are not versions).
	mavenShape = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z._+-]*$`)
	nugetShape = regexp.MustCompile(`^[0-9]+(\.[0-9]+){0,3}(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)
	// Composer's normalisable versions, loosely.
	composerShape = regexp.MustCompile(`^v?[0-9]+(\.[0-9]+)*([-_.+]?[0-9A-Za-z]+)*$`)
)

// Version is a version parsed in one ecosystem's ordering.
type Version struct {
	ecosystem string
	raw       string
	v         semantic.Version
}

// String returns the version as given.
func (v Version) String() string { return v.raw }

// Compare orders v and w (which must be of the same ecosystem): -1, 0 or +1.
func (v Version) Compare(w Version) (int, error) {
	c, err := v.v.Compare(w.v)
	if err != nil {
		return 0, fmt.Errorf("compare %s %q with %q: %w", v.ecosystem, v.raw, w.raw, err)
	}
	return c, nil
}

// ParseVersion reads a concrete version of an ecosystem (Switchboard's or
// OSV's name): Maven's ComparableVersion ordering, SemVer for npm and
// crates.io, Go module versions (with or without "v", pseudo-versions,
// "+incompatible"), PEP 440, RubyGems, NuGet, Composer. A string that is
// not a version of that ecosystem is a *VersionError; an ecosystem it does
// not know wraps ErrUnsupportedEcosystem.
func ParseVersion(ecosystem, version string) (Version, error) {
	osv, ok := OSVEcosystem(ecosystem)
	if !ok {
		return Version{}, fmt.Errorf("parse version %q: %w %q", version, ErrUnsupportedEcosystem, ecosystem)
	}
	if reason := checkShape(osv, version); reason != "" {
		return Version{}, &VersionError{Ecosystem: osv, Version: version, Reason: reason}
	}
	return parseLenient(osv, version)
}

// parseLenient parses with the ecosystem's ordering only, as the versions
// inside records are read: a record's "2.0-beta7" or "1.0" is what the
// database published, not a declaration to second-guess.
func parseLenient(osv, version string) (Version, error) {
	v := version
	if osv == OSVGo {
		// Go's versions are SemVer with a "v"; OSV writes them without.
		v = strings.TrimPrefix(v, "v")
	}
	sv, err := semantic.Parse(v, osv)
	if err != nil {
		return Version{}, &VersionError{Ecosystem: osv, Version: version, Reason: err.Error()}
	}
	return Version{ecosystem: osv, raw: version, v: sv}, nil
}

// checkShape says why version is not a version of the ecosystem, or "".
func checkShape(osv, version string) string {
	switch {
	case version == "":
		return "empty"
	case strings.TrimSpace(version) != version:
		return "surrounded by spaces"
	case strings.Contains(version, "${"):
		return "an unresolved property"
	}
	var ok bool
	switch osv {
	case OSVNPM, OSVCratesIO, OSVGo:
		ok = semverShape.MatchString(version)
	case OSVPyPI:
		ok = pep440Shape.MatchString(version)
	case OSVRubyGems:
		ok = gemShape.MatchString(version)
	case OSVMaven:
		// A trailing "+" is Gradle's dynamic version ("2.+").
		ok = mavenShape.MatchString(version) && strings.ContainsAny(version, "0123456789") && !strings.HasSuffix(version, "+")
	case OSVNuGet:
		ok = nugetShape.MatchString(version)
	case OSVPackagist:
		ok = composerShape.MatchString(version)
	}
	if !ok {
		return "not a " + osv + " version (a range, a placeholder or a typo?)"
	}
	return ""
}

// CompareVersions orders two versions of an ecosystem: -1, 0 or +1. Either
// failing to parse is a *VersionError.
func CompareVersions(ecosystem, a, b string) (int, error) {
	va, err := ParseVersion(ecosystem, a)
	if err != nil {
		return 0, err
	}
	vb, err := ParseVersion(ecosystem, b)
	if err != nil {
		return 0, err
	}
	return va.Compare(vb)
}

// DependencyEcosystems returns the Switchboard ecosystems whose dependency
// rows share an ecosystem's package names: Maven's are also Gradle's.
func DependencyEcosystems(ecosystem string) []string {
	osv, ok := OSVEcosystem(ecosystem)
	if !ok {
		return []string{ecosystem}
	}
	if osv == OSVMaven {
		return []string{depfile.Maven, depfile.Gradle}
	}
	return []string{Ecosystem(osv)}
}
