// Package maven resolves a Maven project's dependency graph from its
// pom.xml the way Maven does: parent POMs (in the workspace by
// <relativePath>, else from a repository), properties, <dependencyManagement>
// with BOM imports, nearest-wins mediation, exclusions, scopes and optional
// dependencies. POMs the workspace lacks come from Maven repositories
// (Repository; HTTP is the Remote type, Cached adds the Postgres cache of
// Store). The result is depfile's model: one depfile.Dependency per
// resolved artifact, direct or transitive with the chain that brings it in.
//
// A graph that cannot be completed (a repository down, a POM missing or
// malformed, a cycle of parents) is returned partial: Result.Problems says
// what is missing and why, never an empty graph taken as "no dependencies".
package maven

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Coord is a Maven artifact's coordinate.
type Coord struct {
	GroupID, ArtifactID, Version string
}

// String formats c as "groupId:artifactId:version".
func (c Coord) String() string { return c.GroupID + ":" + c.ArtifactID + ":" + c.Version }

// Name is "groupId:artifactId", depfile's Maven name.
func (c Coord) Name() string { return c.GroupID + ":" + c.ArtifactID }

// Snapshot reports whether c is a SNAPSHOT version, whose POM may change.
func (c Coord) Snapshot() bool { return strings.HasSuffix(c.Version, "-SNAPSHOT") }

// Path is the POM's path in the Maven repository layout:
// group/path/artifact/version/artifact-version.pom.
func (c Coord) Path() string {
	return strings.ReplaceAll(c.GroupID, ".", "/") + "/" + c.ArtifactID + "/" + c.Version + "/" +
		c.ArtifactID + "-" + c.Version + ".pom"
}

// valid reports whether every part is set and free of what a path must not
// hold.
func (c Coord) valid() bool {
	for _, s := range []string{c.GroupID, c.ArtifactID, c.Version} {
		if s == "" || strings.ContainsAny(s, "/\\${}[]() ,") || s == "." || s == ".." {
			return false
		}
	}
	return true
}

// Kind is why part of a graph could not be resolved.
type Kind int

// Kinds of Error.
const (
	// Unavailable: a repository did not answer, or answered with an error
	// other than "not found" (5xx, timeout, refused connection). Trying
	// again later may complete the graph.
	Unavailable Kind = iota + 1
	// NotFound: no configured repository has the POM.
	NotFound
	// Malformed: the POM is not well-formed XML, or lacks what a POM must
	// say.
	Malformed
	// ParentCycle: a POM is its own ancestor.
	ParentCycle
	// Unresolved: a version or coordinate could not be determined (a
	// property never defined, a version range no listed version satisfies
	// or that was not looked up, a dependency with no version).
	Unresolved
)

// String names the kind.
func (k Kind) String() string {
	switch k {
	case Unavailable:
		return "repository unavailable"
	case NotFound:
		return "POM not found"
	case Malformed:
		return "malformed POM"
	case ParentCycle:
		return "cycle of parent POMs"
	case Unresolved:
		return "unresolved version"
	}
	return "unknown"
}

// Error is why one POM or dependency could not be resolved. Match kinds
// with errors.As and Error.Kind, or errors.Is against ErrNotFound,
// ErrUnavailable.
type Error struct {
	// Kind says why.
	Kind Kind
	// Coordinate is what could not be resolved: "groupId:artifactId:version",
	// or a workspace path.
	Coordinate string
	// Line is the 1-based line of a Malformed POM's problem; 0 when
	// unknown or another kind.
	Line int
	// Via is the chain, as in depfile.Dependency.Via, that needed it; nil
	// for the project's own POM and its parents.
	Via []string
	// Err is the underlying error.
	Err error
}

// Error formats the problem as "coordinate[:line]: kind: err (via chain)".
func (e *Error) Error() string {
	s := e.Coordinate
	if e.Line > 0 {
		s += ":" + strconv.Itoa(e.Line)
	}
	s += ": " + e.Kind.String()
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	if len(e.Via) > 0 {
		s += " (via " + strings.Join(e.Via, " > ") + ")"
	}
	return s
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Is lets errors.Is(err, ErrNotFound) and errors.Is(err, ErrUnavailable)
// match an Error of that kind.
func (e *Error) Is(target error) bool {
	return (target == ErrNotFound && e.Kind == NotFound) || (target == ErrUnavailable && e.Kind == Unavailable)
}

// ErrNotFound is returned by a Repository that does not have a POM.
var ErrNotFound = errors.New("not found")

// ErrUnavailable is returned by a Repository that could not answer.
var ErrUnavailable = errors.New("repository unavailable")

// kindOf maps a repository error to a Kind.
func kindOf(err error) Kind {
	var e *Error
	switch {
	case errors.As(err, &e):
		return e.Kind
	case errors.Is(err, ErrNotFound):
		return NotFound
	}
	return Unavailable
}

// wrapf wraps err with context, keeping its Kind.
func wrapf(err error, format string, args ...any) error {
	return fmt.Errorf(format+": %w", append(args, err)...)
}
