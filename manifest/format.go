package manifest

import (
	"net/url"
	"regexp"
	"strings"
)

// Backstage's field formats (packages/catalog-model, KubernetesValidatorFunctions
// and makeValidator), reproduced so that what Backstage accepts, Switchboard accepts.
var (
	objectNameRe   = regexp.MustCompile(`^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$`)
	dnsLabelRe     = regexp.MustCompile(`^[a-z0-9]+(-+[a-z0-9]+)*$`)
	tagRe          = regexp.MustCompile(`^[a-z0-9:+#]+(-[a-z0-9:+#]+)*$`)
	kindRe         = regexp.MustCompile(`^[a-zA-Z][a-z0-9A-Z]*$`)
	apiVersionTail = regexp.MustCompile(`^[a-z0-9A-Z]+$`)
)

// ValidName reports whether s is a valid Backstage metadata.name: 1-63
// characters, [A-Za-z0-9] separated by any of [-_.].
func ValidName(s string) bool {
	return len(s) >= 1 && len(s) <= 63 && objectNameRe.MatchString(s)
}

// ValidNamespace reports whether s is a valid Backstage namespace (a DNS label).
func ValidNamespace(s string) bool { return validDNSLabel(s) }

func validDNSLabel(s string) bool {
	return len(s) >= 1 && len(s) <= 63 && dnsLabelRe.MatchString(s)
}

func validDNSSubdomain(s string) bool {
	if len(s) < 1 || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if !validDNSLabel(label) {
			return false
		}
	}
	return true
}

// validPrefixSuffix checks "suffix" or "prefix/suffix".
func validPrefixSuffix(s string, prefix, suffix func(string) bool) bool {
	p, rest, found := strings.Cut(s, "/")
	if !found {
		return suffix(s)
	}
	if strings.Contains(rest, "/") {
		return false
	}
	return prefix(p) && suffix(rest)
}

func validAPIVersion(s string) bool {
	return validPrefixSuffix(s, validDNSSubdomain, func(t string) bool {
		return len(t) >= 1 && len(t) <= 63 && apiVersionTail.MatchString(t)
	})
}

func validKind(s string) bool {
	return len(s) >= 1 && len(s) <= 63 && kindRe.MatchString(s)
}

func validLabelKey(s string) bool { return validPrefixSuffix(s, validDNSSubdomain, ValidName) }

func validLabelValue(s string) bool { return s == "" || ValidName(s) }

func validAnnotationKey(s string) bool { return validPrefixSuffix(s, validDNSSubdomain, ValidName) }

func validTag(s string) bool {
	return len(s) >= 1 && len(s) <= 63 && tagRe.MatchString(s)
}

// validURL accepts what a WHATWG URL parser (new URL(s), as Backstage checks
// links) would, near enough: an absolute URL, with a host for the schemes
// that need one.
func validURL(s string) bool {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || u.Scheme == "" {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https", "ws", "wss", "ftp":
		return u.Host != ""
	}
	return true
}

// sanitizeName turns s into a valid name, for suggestions: runs of invalid
// characters become '-', the ends are trimmed, at most 63 characters.
func sanitizeName(s string, lowerCase bool) string {
	if lowerCase {
		return sanitize(strings.ToLower(s), func(r rune) bool { return asciiLowerOrDigit(r) }, "-_.")
	}
	return sanitize(s, func(r rune) bool {
		return asciiLowerOrDigit(r) || r >= 'A' && r <= 'Z' || r == '_' || r == '.'
	}, "-_.")
}

func asciiLowerOrDigit(r rune) bool { return r >= 'a' && r <= 'z' || r >= '0' && r <= '9' }

// sanitize keeps the runes of s that ok accepts, turns each run of others
// into one '-', trims the characters of cutset from both ends, and keeps at
// most 63 bytes (trimmed again): the shape of every Backstage name and tag.
func sanitize(s string, ok func(rune) bool, cutset string) string {
	var b strings.Builder
	dash := false
	for _, r := range s {
		if ok(r) {
			b.WriteRune(r)
			dash = false
			continue
		}
		if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	out := strings.Trim(b.String(), cutset)
	if len(out) > 63 {
		out = strings.Trim(out[:63], cutset)
	}
	return out
}

// slug turns a display name ("Shopping Cart Service") into an entity name
// ("shopping-cart-service").
func slug(s string) string { return sanitizeName(s, true) }
