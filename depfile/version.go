package depfile

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// ErrUnknownVersion is returned by MatchConstraint for a version that cannot
// be compared: empty, an unresolved "${property}", "latest", a Maven range
// "[1.0,2.0)", a URL. Such a dependency may or may not satisfy the
// constraint; callers should show it as unknown rather than drop it.
var ErrUnknownVersion = errors.New("version cannot be compared")

// versionShape is what CompareVersions can order: a digit first, then
// letters, digits and separators.
var versionShape = regexp.MustCompile(`^[0-9][0-9A-Za-z.\-_+]*$`)

const (
	releaseRank = 6
	unknownRank = 8
)

// vpart is one part of a version: a number or a qualifier word.
type vpart struct {
	num   string // digits without leading zeros ("" for zero) when isNum
	isNum bool
	qual  string // lower-case word when !isNum
}

// normalizeVersion drops what only says "this or later": a leading "v",
// "=", "^" or "~", and a trailing ".+", ".x", ".*" or "+". Ranges such as
// npm's "^1.2.3" and Gradle's "2.9.+" are thus compared by their lower
// bound.
func normalizeVersion(v string) string {
	v = strings.TrimSpace(v)
	v = strings.TrimLeft(v, "=^~ ")
	if len(v) > 1 && (v[0] == 'v' || v[0] == 'V') && v[1] >= '0' && v[1] <= '9' {
		v = v[1:]
	}
	for _, suffix := range []string{".+", ".x", ".X", ".*", "+"} {
		v = strings.TrimSuffix(v, suffix)
	}
	return v
}

// splitVersion breaks a version into numbers and words; "." "-" "_" and a
// change between digits and letters separate parts, build metadata after
// "+" is ignored, and trailing parts that mean nothing (zeros, "final",
// "release", "ga") are dropped, so 2.17 == 2.17.0 == 2.17.0.RELEASE.
func splitVersion(v string) []vpart {
	v = normalizeVersion(v)
	if i := strings.IndexByte(v, '+'); i >= 0 {
		v = v[:i]
	}
	var parts []vpart
	flush := func(tok string, isNum bool) {
		if tok == "" {
			return
		}
		if isNum {
			parts = append(parts, vpart{num: strings.TrimLeft(tok, "0"), isNum: true})
		} else {
			parts = append(parts, vpart{qual: strings.ToLower(tok)})
		}
	}
	start := 0
	for i := 0; i <= len(v); i++ {
		if i < len(v) {
			c := v[i]
			isDigit := c >= '0' && c <= '9'
			isAlpha := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
			if isDigit || isAlpha {
				if i > start {
					prev := v[i-1]
					prevDigit := prev >= '0' && prev <= '9'
					if prevDigit != isDigit {
						flush(v[start:i], prevDigit)
						start = i
					}
				}
				continue
			}
		}
		if i > start {
			c := v[start]
			flush(v[start:i], c >= '0' && c <= '9')
		}
		start = i + 1
	}
	for len(parts) > 0 {
		last := parts[len(parts)-1]
		if (last.isNum && last.num == "") || (!last.isNum && rankOf(last.qual) == releaseRank) {
			parts = parts[:len(parts)-1]
			continue
		}
		break
	}
	return parts
}

// rankOf ranks qualifiers after Maven's ComparableVersion, with the usual
// semver pre-release words placed among them; a missing part ranks as a
// release.
func rankOf(q string) int {
	switch q {
	case "dev":
		return 0
	case "alpha", "a":
		return 1
	case "beta", "b":
		return 2
	case "milestone", "m":
		return 3
	case "pre", "preview", "rc", "cr":
		return 4
	case "snapshot":
		return 5
	case "", "ga", "final", "release":
		return releaseRank
	case "sp":
		return 7
	}
	return unknownRank
}

func compareNum(a, b string) int {
	if len(a) != len(b) {
		if len(a) < len(b) {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}

// comparePart orders two parts; a missing part (nil) is "nothing more",
// which equals zero and a release, is newer than a pre-release and older
// than a service pack or a later number.
func comparePart(a, b *vpart) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -comparePart(b, nil)
	case b == nil:
		if a.isNum {
			if a.num == "" {
				return 0
			}
			return 1
		}
		return sign(rankOf(a.qual) - releaseRank)
	case a.isNum && b.isNum:
		return compareNum(a.num, b.num)
	case a.isNum:
		// A number is newer than any word in its place (1.0.1 > 1.0-rc1),
		// except that a release word counts as zero.
		if rankOf(b.qual) == releaseRank {
			return comparePart(a, nil)
		}
		return 1
	case b.isNum:
		return -comparePart(b, a)
	}
	ra, rb := rankOf(a.qual), rankOf(b.qual)
	if ra != rb {
		return sign(ra - rb)
	}
	if ra == unknownRank {
		return strings.Compare(a.qual, b.qual)
	}
	return 0
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

// CompareVersions orders two versions the way Maven does, which also suits
// semver, Go and PyPI versions in practice: it returns -1 when a is older
// than b, 0 when they are the same version and 1 when a is newer.
// 2.14.1 < 2.17 == 2.17.0 < 2.17.1; 1.0-alpha < 1.0-beta < 1.0-rc1 <
// 1.0-SNAPSHOT < 1.0 == 1.0.Final < 1.0-sp1; numbers compare as numbers
// (1.10 > 1.9). A leading "v" and range markers ("^", "~", ".+") are
// ignored. Strings that are not versions still get some consistent order;
// use MatchConstraint to be told about them.
func CompareVersions(a, b string) int {
	pa, pb := splitVersion(a), splitVersion(b)
	for i := 0; i < len(pa) || i < len(pb); i++ {
		var x, y *vpart
		if i < len(pa) {
			x = &pa[i]
		}
		if i < len(pb) {
			y = &pb[i]
		}
		if c := comparePart(x, y); c != 0 {
			return c
		}
	}
	return 0
}

// comparable reports whether v is a version CompareVersions can order
// meaningfully.
func comparable(v string) bool {
	n := normalizeVersion(v)
	return n != "" && versionShape.MatchString(n)
}

// clause is one comparison of a constraint.
type clause struct {
	op, version string
}

// parseConstraint reads "op version" clauses separated by commas or blanks,
// in groups separated by "||".
func parseConstraint(constraint string) ([][]clause, error) {
	if strings.TrimSpace(constraint) == "" {
		return nil, errors.New("empty constraint")
	}
	var groups [][]clause
	for group := range strings.SplitSeq(constraint, "||") {
		var clauses []clause
		s := group
		for {
			s = strings.TrimLeft(s, " \t,")
			if s == "" {
				break
			}
			op := ""
			for _, o := range []string{"<=", ">=", "!=", "==", "<", ">", "="} {
				if strings.HasPrefix(s, o) {
					op = o
					break
				}
			}
			s = strings.TrimLeft(s[len(op):], " \t")
			end := strings.IndexAny(s, " \t,<>=!|")
			if end < 0 {
				end = len(s)
			}
			v := s[:end]
			s = s[end:]
			if v == "" {
				if op == "" {
					return nil, fmt.Errorf("unexpected %s", quoteShort(s))
				}
				return nil, fmt.Errorf("missing version after %q", op)
			}
			if bare := strings.TrimPrefix(strings.TrimPrefix(v, "v"), "V"); !versionShape.MatchString(bare) {
				return nil, fmt.Errorf("%s is not a version", quoteShort(v))
			}
			if op == "" || op == "==" {
				op = "="
			}
			clauses = append(clauses, clause{op: op, version: v})
		}
		if len(clauses) == 0 {
			return nil, errors.New("empty alternative in constraint")
		}
		groups = append(groups, clauses)
	}
	return groups, nil
}

// MatchConstraint reports whether version satisfies constraint, a list of
// comparisons that must all hold: "<2.17.1", ">=2.0,<2.17.1", ">=2.0 <2.15",
// "!=2.16.0", "=2.14.1" (a bare version means "="); alternatives may be
// joined with "||". Versions compare as CompareVersions does. A malformed
// constraint is an error; a version that cannot be compared (see
// ErrUnknownVersion) returns false and an error wrapping ErrUnknownVersion.
func MatchConstraint(version, constraint string) (bool, error) {
	groups, err := parseConstraint(constraint)
	if err != nil {
		return false, fmt.Errorf("parse constraint %s: %w", quoteShort(constraint), err)
	}
	if !comparable(version) {
		return false, fmt.Errorf("%w: %s", ErrUnknownVersion, quoteShort(version))
	}
	for _, clauses := range groups {
		ok := true
		for _, c := range clauses {
			cmp := CompareVersions(version, c.version)
			var hold bool
			switch c.op {
			case "<":
				hold = cmp < 0
			case "<=":
				hold = cmp <= 0
			case ">":
				hold = cmp > 0
			case ">=":
				hold = cmp >= 0
			case "=":
				hold = cmp == 0
			case "!=":
				hold = cmp != 0
			}
			if !hold {
				ok = false
				break
			}
		}
		if ok {
			return true, nil
		}
	}
	return false, nil
}
