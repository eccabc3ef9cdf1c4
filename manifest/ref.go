package manifest

import (
	"errors"
	"fmt"
	"strings"
)

// Ref is a reference to an entity: kind:namespace/name. Kind and namespace
// are lower case (Backstage compares them case-insensitively).
type Ref struct {
	// Kind is the lower-case kind, e.g. "group".
	Kind string
	// Namespace is the lower-case namespace, e.g. "default".
	Namespace string
	// Name is the entity name as written.
	Name string
}

// String formats the reference as kind:namespace/name.
func (r Ref) String() string {
	return r.Kind + ":" + r.Namespace + "/" + r.Name
}

// ErrBadRef is returned (wrapped) by ParseRef for a reference that is not
// [kind:][namespace/]name.
var ErrBadRef = errors.New("entity reference must be [kind:][namespace/]name")

// ParseRef parses an entity reference [kind:][namespace/]name the way
// Backstage does: the first ':' ends the kind unless a '/' comes before it,
// the first '/' ends the namespace, and no part may be empty. Missing parts
// take defaultKind and defaultNamespace (DefaultNamespace when "").
func ParseRef(s, defaultKind, defaultNamespace string) (Ref, error) {
	if s == "" {
		return Ref{}, fmt.Errorf("parse %q: %w", s, ErrBadRef)
	}
	colon := strings.IndexByte(s, ':')
	slash := strings.IndexByte(s, '/')
	if slash != -1 && slash < colon {
		colon = -1
	}
	kind, ns, name := defaultKind, defaultNamespace, s
	hasKind, hasNS := colon != -1, slash != -1
	if hasKind {
		kind = s[:colon]
	}
	if hasNS {
		ns = s[colon+1 : slash]
	}
	name = s[max(colon+1, slash+1):]
	if (hasKind && kind == "") || (hasNS && ns == "") || name == "" {
		return Ref{}, fmt.Errorf("parse %q: %w", s, ErrBadRef)
	}
	if ns == "" {
		ns = DefaultNamespace
	}
	return Ref{Kind: lower(kind), Namespace: lower(ns), Name: name}, nil
}

func lower(s string) string { return strings.ToLower(s) }
