// Package advisories holds security advisories in the OSV schema
// (https://ossf.github.io/osv-schema/): the record model, parsing of single
// records and of osv.dev's export archives, each ecosystem's version
// ordering, the question "is this package version affected, and what is the
// first version that fixes it", their storage in Postgres, and a client of
// the OSV API for ids the store does not hold.
//
// The package imports nothing of Switchboard's but depfile's ecosystem
// names, so that the catalog, /impact and the sync can all build on it.
package advisories

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrInvalidRecord is wrapped by the errors of records that do not follow
// the OSV schema closely enough to be used.
var ErrInvalidRecord = errors.New("invalid OSV record")

// Range types.
const (
	// RangeSemver is a range over SemVer 2.0 versions, whatever the
	// ecosystem.
	RangeSemver = "SEMVER"
	// RangeEcosystem is a range over the ecosystem's own version ordering.
	RangeEcosystem = "ECOSYSTEM"
	// RangeGit is a range of commits of a Git repository; it cannot be
	// compared with package versions and is kept only as information.
	RangeGit = "GIT"
)

// Record is one OSV advisory (a GHSA, GO, PYSEC, RUSTSEC, CVE... record).
type Record struct {
	// SchemaVersion is the OSV schema version the record follows.
	SchemaVersion string `json:"schema_version,omitempty"`
	// ID is the record's own id ("GHSA-jfh8-c2jp-5v3q").
	ID string `json:"id"`
	// Modified is when the record last changed; a newer record replaces an
	// older one in the store.
	Modified time.Time `json:"modified"`
	// Published is when the record was first published.
	Published time.Time `json:"published,omitzero"`
	// Withdrawn is set when the advisory was withdrawn.
	Withdrawn time.Time `json:"withdrawn,omitzero"`
	// Aliases are other ids of the same vulnerability (a GHSA record's CVE
	// id).
	Aliases []string `json:"aliases,omitempty"`
	// Related are ids of related but different vulnerabilities.
	Related []string `json:"related,omitempty"`
	// Summary is a one-line description.
	Summary string `json:"summary,omitempty"`
	// Details is the long description (Markdown).
	Details string `json:"details,omitempty"`
	// Severity scores the vulnerability (CVSS vectors).
	Severity []Severity `json:"severity,omitempty"`
	// Packages lists each affected package with its ranges (OSV's
	// "affected").
	Packages []AffectedPackage `json:"affected,omitempty"`
	// References are links about the vulnerability.
	References []Reference `json:"references,omitempty"`
	// Upstream are ids of the records this one is derived from.
	Upstream []string `json:"upstream,omitempty"`
	// Credits are the people and organisations credited, kept as is.
	Credits json.RawMessage `json:"credits,omitempty"`
	// DatabaseSpecific is what the publishing database adds, kept as is.
	DatabaseSpecific json.RawMessage `json:"database_specific,omitempty"`
}

// Severity is one severity score.
type Severity struct {
	// Type is the scoring system: CVSS_V2, CVSS_V3, CVSS_V4, Ubuntu.
	Type string `json:"type"`
	// Score is the vector or value.
	Score string `json:"score"`
}

// Reference is one link.
type Reference struct {
	// Type is ADVISORY, ARTICLE, FIX, PACKAGE, REPORT, WEB, ...
	Type string `json:"type"`
	// URL is the link.
	URL string `json:"url"`
}

// AffectedPackage is one package the advisory affects, with its ranges
// and/or its explicit list of affected versions.
type AffectedPackage struct {
	// Package names the package.
	Package Package `json:"package"`
	// Severity, when set, overrides the record's for this package.
	Severity []Severity `json:"severity,omitempty"`
	// Ranges are the affected version ranges.
	Ranges []Range `json:"ranges,omitempty"`
	// Versions lists affected versions explicitly.
	Versions []string `json:"versions,omitempty"`
	// EcosystemSpecific is kept as is.
	EcosystemSpecific json.RawMessage `json:"ecosystem_specific,omitempty"`
	// DatabaseSpecific is kept as is.
	DatabaseSpecific json.RawMessage `json:"database_specific,omitempty"`
}

// Package is a package in an ecosystem.
type Package struct {
	// Ecosystem is OSV's name for it: "Maven", "npm", "PyPI", "Go",
	// "RubyGems", "crates.io", "Packagist", "NuGet", "Debian:11", ...
	Ecosystem string `json:"ecosystem"`
	// Name is the package's name ("org.apache.logging.log4j:log4j-core").
	Name string `json:"name"`
	// Purl is the package URL, when given.
	Purl string `json:"purl,omitempty"`
}

// Range is one range of affected versions, described by events in order.
type Range struct {
	// Type is RangeSemver, RangeEcosystem or RangeGit.
	Type string `json:"type"`
	// Repo is the Git repository of a RangeGit range.
	Repo string `json:"repo,omitempty"`
	// Events open and close the affected intervals.
	Events []Event `json:"events"`
	// DatabaseSpecific is kept as is.
	DatabaseSpecific json.RawMessage `json:"database_specific,omitempty"`
}

// Event is one event of a range: exactly one of its fields is set.
type Event struct {
	// Introduced opens an affected interval; "0" means from the start.
	Introduced string `json:"introduced,omitempty"`
	// Fixed closes it: Fixed itself is not affected.
	Fixed string `json:"fixed,omitempty"`
	// LastAffected closes it: LastAffected itself is affected.
	LastAffected string `json:"last_affected,omitempty"`
	// Limit is an upper bound: versions at or past it are not affected.
	Limit string `json:"limit,omitempty"`
}

// version returns the event's version, whichever field holds it.
func (e Event) version() string {
	switch {
	case e.Introduced != "":
		return e.Introduced
	case e.Fixed != "":
		return e.Fixed
	case e.LastAffected != "":
		return e.LastAffected
	default:
		return e.Limit
	}
}

// count is how many of the event's fields are set (1 when valid).
func (e Event) count() int {
	n := 0
	for _, s := range []string{e.Introduced, e.Fixed, e.LastAffected, e.Limit} {
		if s != "" {
			n++
		}
	}
	return n
}

// Parse decodes one OSV record from JSON and checks what this package
// relies on: an id, a modified time, packages named, range types known,
// events with exactly one field each. Fields the model does not name (none
// in schema 1.7) are ignored, as the schema asks. Errors wrap
// ErrInvalidRecord.
func Parse(data []byte) (*Record, error) {
	var r Record
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidRecord, err)
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return &r, nil
}

// JSON encodes the record in the OSV schema.
func (r *Record) JSON() ([]byte, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode record %s: %w", r.ID, err)
	}
	return b, nil
}

// Validate checks what Parse checks. Errors wrap ErrInvalidRecord and name
// the field at fault.
func (r *Record) Validate() error {
	bad := func(format string, args ...any) error {
		id := r.ID
		if id == "" {
			id = "record without id"
		}
		return fmt.Errorf("%w %s: %s", ErrInvalidRecord, id, fmt.Sprintf(format, args...))
	}
	if strings.TrimSpace(r.ID) == "" {
		return bad("id is missing")
	}
	if r.Modified.IsZero() {
		return bad("modified is missing")
	}
	for i, a := range r.Packages {
		if a.Package.Ecosystem == "" && a.Package.Purl == "" && len(a.Ranges) == 0 {
			return bad("affected[%d]: package has no ecosystem", i)
		}
		if a.Package.Ecosystem != "" && a.Package.Name == "" {
			return bad("affected[%d]: package has no name", i)
		}
		for j, rg := range a.Ranges {
			switch rg.Type {
			case RangeSemver, RangeEcosystem, RangeGit:
			default:
				return bad("affected[%d].ranges[%d]: unknown type %q", i, j, rg.Type)
			}
			if len(rg.Events) == 0 {
				return bad("affected[%d].ranges[%d]: no events", i, j)
			}
			introduced := false
			for k, e := range rg.Events {
				if e.count() != 1 {
					return bad("affected[%d].ranges[%d].events[%d]: want exactly one of introduced, fixed, last_affected, limit", i, j, k)
				}
				introduced = introduced || e.Introduced != ""
			}
			if !introduced {
				return bad("affected[%d].ranges[%d]: no introduced event", i, j)
			}
		}
	}
	return nil
}

// IDs returns the record's id followed by its aliases.
func (r *Record) IDs() []string {
	return append([]string{r.ID}, r.Aliases...)
}
