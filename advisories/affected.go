package advisories

import (
	"fmt"
	"slices"
	"strings"
)

// Affected says whether version of the package (ecosystem, name) is affected
// by the record, and the first version that fixes it: the "fixed" event that
// closes the affected interval holding version ("" when the interval has
// none: a last_affected bound, an open end, or an explicit versions list).
// ecosystem is Switchboard's name (depfile.Maven, depfile.Gradle, ...) or
// OSV's. A version the ecosystem cannot read is a *VersionError, never "not
// affected"; a package the record does not name is not affected.
func (r *Record) Affected(ecosystem, name, version string) (affected bool, firstFixed string, err error) {
	osv, ok := OSVEcosystem(ecosystem)
	if !ok {
		return false, "", fmt.Errorf("%s: %w %q", r.ID, ErrUnsupportedEcosystem, ecosystem)
	}
	key := NameKey(osv, name)
	var v *Version
	for i := range r.Packages {
		p := &r.Packages[i]
		if !p.Matches(osv, key) {
			continue
		}
		if v == nil {
			pv, err := ParseVersion(osv, version)
			if err != nil {
				return false, "", err
			}
			v = &pv
		}
		aff, fixed, err := p.contains(*v)
		if err != nil {
			return false, "", fmt.Errorf("%s: %w", r.ID, err)
		}
		if aff {
			return true, fixed, nil
		}
	}
	return false, "", nil
}

// Matches says whether the entry is about the package named key (NameKey)
// in the OSV ecosystem osv.
func (p *AffectedPackage) Matches(osv, key string) bool {
	base, _, _ := strings.Cut(p.Package.Ecosystem, ":")
	return base == osv && NameKey(osv, p.Package.Name) == key
}

// Contains says whether version is affected by this entry (its versions
// list or any of its ranges), and the first fixed version as Affected does.
func (p *AffectedPackage) Contains(version string) (affected bool, firstFixed string, err error) {
	v, err := ParseVersion(p.Package.Ecosystem, version)
	if err != nil {
		return false, "", err
	}
	return p.contains(v)
}

func (p *AffectedPackage) contains(v Version) (bool, string, error) {
	listed := false
	for _, s := range p.Versions {
		if s == v.raw {
			listed = true
			break
		}
		// "2.0" and "2.0.0" are one Maven version.
		if w, err := parseLenient(v.ecosystem, s); err == nil {
			if c, err := v.Compare(w); err == nil && c == 0 {
				listed = true
				break
			}
		}
	}
	var firstErr error
	for _, rg := range p.Ranges {
		aff, fixed, err := rg.contains(v)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		if aff {
			return true, fixed, nil
		}
	}
	if listed {
		return true, "", nil
	}
	return false, "", firstErr
}

// FirstFixed returns the first version that fixes version within this
// range: the "fixed" event closing the affected interval that holds
// version; "" when version is not affected by the range or its interval
// has no fixed end.
func (rg Range) FirstFixed(ecosystem, version string) (string, error) {
	v, err := ParseVersion(ecosystem, version)
	if err != nil {
		return "", err
	}
	_, fixed, err := rg.contains(v)
	return fixed, err
}

// Contains says whether version (of ecosystem) is in the range.
func (rg Range) Contains(ecosystem, version string) (bool, error) {
	v, err := ParseVersion(ecosystem, version)
	if err != nil {
		return false, err
	}
	aff, _, err := rg.contains(v)
	return aff, err
}

// event is a range's event with its version parsed.
type event struct {
	Event
	v    Version
	zero bool // introduced "0": before every version
}

// contains evaluates the range as the OSV schema says: events sorted by
// version, each introduced at or below v opening, each fixed at or below v
// (or last_affected below v) closing; a limit at or below v excludes v. GIT
// ranges are never "affected": commits are not package versions.
func (rg Range) contains(v Version) (bool, string, error) {
	osv := v.ecosystem
	switch rg.Type {
	case RangeEcosystem:
	case RangeSemver:
		// SEMVER ranges are SemVer whatever the ecosystem; Go's and npm's
		// ordering is SemVer already.
		if osv != OSVNPM && osv != OSVCratesIO && osv != OSVGo {
			osv = OSVNPM
			sv, err := parseLenient(osv, v.raw)
			if err != nil {
				return false, "", err
			}
			v = sv
		}
	default:
		return false, "", nil
	}
	events := make([]event, 0, len(rg.Events))
	for _, e := range rg.Events {
		if e.Introduced == "0" {
			events = append(events, event{Event: e, zero: true})
			continue
		}
		ev, err := parseLenient(osv, e.version())
		if err != nil {
			return false, "", fmt.Errorf("range event %q: %w", e.version(), err)
		}
		events = append(events, event{Event: e, v: ev})
	}
	var sortErr error
	slices.SortStableFunc(events, func(a, b event) int {
		switch {
		case a.zero && b.zero:
			return 0
		case a.zero:
			return -1
		case b.zero:
			return 1
		}
		c, err := a.v.Compare(b.v)
		if err != nil && sortErr == nil {
			sortErr = err
		}
		return c
	})
	if sortErr != nil {
		return false, "", sortErr
	}
	affected, limited := false, false
	for _, e := range events {
		var c int // v compared with the event's version
		if !e.zero {
			var err error
			if c, err = v.Compare(e.v); err != nil {
				return false, "", err
			}
		}
		switch {
		case e.Introduced != "":
			if e.zero || c >= 0 {
				affected = true
			}
		case e.Fixed != "":
			if c >= 0 {
				affected = false
			}
		case e.LastAffected != "":
			if c > 0 {
				affected = false
			}
		case e.Limit != "":
			limited = limited || c >= 0
		}
	}
	if !affected || limited {
		return false, "", nil
	}
	// The first event past v closes v's interval: a fixed one names the
	// version to move to.
	for _, e := range events {
		if e.zero {
			continue
		}
		c, err := v.Compare(e.v)
		if err != nil {
			return false, "", err
		}
		if c < 0 || (c == 0 && e.LastAffected != "") {
			if e.Fixed != "" {
				return true, e.Fixed, nil
			}
			return true, "", nil
		}
	}
	return true, "", nil
}

// String writes the range's intervals as people read them, in the order of
// its events: "<2.3.1", ">=2.4 <2.12.2", ">=1.2 <=1.2.17", ">=3.0.0" (no
// fixed version yet); several intervals are separated by ", ". A GIT
// range is "git REPO" with its events.
func (rg Range) String() string {
	if rg.Type == RangeGit {
		var b strings.Builder
		b.WriteString("git " + rg.Repo)
		for _, e := range rg.Events {
			switch {
			case e.Introduced != "":
				b.WriteString(" introduced " + e.Introduced)
			case e.Fixed != "":
				b.WriteString(" fixed " + e.Fixed)
			case e.LastAffected != "":
				b.WriteString(" last_affected " + e.LastAffected)
			default:
				b.WriteString(" limit " + e.Limit)
			}
		}
		return b.String()
	}
	var parts []string
	open := ""
	for _, e := range rg.Events {
		switch {
		case e.Introduced != "":
			if open != "" {
				parts = append(parts, open)
			}
			if e.Introduced == "0" {
				open = "*"
			} else {
				open = ">=" + e.Introduced
			}
		case e.Fixed != "", e.LastAffected != "", e.Limit != "":
			end := "<" + e.Fixed
			if e.LastAffected != "" {
				end = "<=" + e.LastAffected
			} else if e.Limit != "" {
				end = "<" + e.Limit
			}
			switch open {
			case "":
				parts = append(parts, end)
			case "*":
				parts = append(parts, end)
			default:
				parts = append(parts, open+" "+end)
			}
			open = ""
		}
	}
	if open != "" {
		parts = append(parts, open)
	}
	return strings.Join(parts, ", ")
}

// Verdict is what the advisories found by one id say about one dependency.
type Verdict struct {
	// Affected is true when any of them affects it.
	Affected bool
	// FirstFixed is the first version that fixes it for all of them (the
	// highest of their first fixed versions); "" when one of them has no
	// fixed version for it.
	FirstFixed string
	// Advisories are the ids of the records that affect it.
	Advisories []string
}

// Check judges one dependency (ecosystem in Switchboard's names or OSV's,
// name, version) against the packages of the advisories found by an id
// (Store.Packages): /impact's question for each distinct version. A version
// the ecosystem cannot read is a *VersionError: the dependency is of
// unknown status, never "not affected".
func Check(pkgs []Affects, ecosystem, name, version string) (Verdict, error) {
	osv, ok := OSVEcosystem(ecosystem)
	if !ok {
		return Verdict{}, fmt.Errorf("check %s %s: %w %q", ecosystem, name, ErrUnsupportedEcosystem, ecosystem)
	}
	key := NameKey(osv, name)
	var (
		verdict Verdict
		v       *Version
		open    bool // an affecting advisory without a fixed version
		best    Version
	)
	for i := range pkgs {
		p := &pkgs[i]
		if !p.Matches(osv, key) {
			continue
		}
		if v == nil {
			pv, err := ParseVersion(osv, version)
			if err != nil {
				return Verdict{}, err
			}
			v = &pv
		}
		aff, fixed, err := p.contains(*v)
		if err != nil {
			return Verdict{}, fmt.Errorf("%s: %w", p.AdvisoryID, err)
		}
		if !aff {
			continue
		}
		verdict.Affected = true
		if !slices.Contains(verdict.Advisories, p.AdvisoryID) {
			verdict.Advisories = append(verdict.Advisories, p.AdvisoryID)
		}
		if fixed == "" {
			open = true
			continue
		}
		fv, err := parseLenient(osv, fixed)
		if err != nil {
			return Verdict{}, fmt.Errorf("%s: %w", p.AdvisoryID, err)
		}
		if verdict.FirstFixed == "" {
			verdict.FirstFixed, best = fixed, fv
		} else if c, err := fv.Compare(best); err == nil && c > 0 {
			verdict.FirstFixed, best = fixed, fv
		}
	}
	if open {
		verdict.FirstFixed = ""
	}
	return verdict, nil
}
