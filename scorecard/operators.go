package scorecard

import (
	"fmt"
	"strings"
)

// Op is a check's operator: how the fact is compared with the check's
// value.
type Op uint8

// The operators. Which kinds of fact each applies to, and the value it
// takes, is Op.ValueKind's table.
const (
	// OpTrue: a bool fact is true. No value.
	OpTrue Op = iota + 1
	// OpFalse: a bool fact is false. No value.
	OpFalse
	// OpExists: a text fact is not empty, or a list has an item. No value.
	OpExists
	// OpEq: the fact equals the value (text ignoring case).
	OpEq
	// OpNe: the fact does not equal the value (text ignoring case).
	OpNe
	// OpLt: a number or duration is less than the value.
	OpLt
	// OpLe: a number or duration is at most the value.
	OpLe
	// OpGt: a number or duration is more than the value.
	OpGt
	// OpGe: a number or duration is at least the value.
	OpGe
	// OpIn: a text fact is one of the value's list (ignoring case).
	OpIn
	// OpContains: a list fact has the value as an item, or a text fact
	// has it as a part (ignoring case).
	OpContains
	// OpMatches: a text fact, or an item of a list fact, matches the
	// value, a regular expression (RE2 syntax, unanchored).
	OpMatches
)

// opNames is the constant table of operator names, by Op.
var opNames = [...]string{
	OpTrue: "true", OpFalse: "false", OpExists: "exists", OpEq: "eq", OpNe: "ne",
	OpLt: "lt", OpLe: "le", OpGt: "gt", OpGe: "ge", OpIn: "in", OpContains: "contains", OpMatches: "matches",
}

// String returns the operator's name in the standards file ("ge").
func (o Op) String() string {
	if int(o) < len(opNames) && opNames[o] != "" {
		return opNames[o]
	}
	return fmt.Sprintf("op(%d)", o)
}

// MarshalText writes the operator's name.
func (o Op) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// OpNames returns the operators' names, in the order of the table.
func OpNames() []string {
	out := make([]string, 0, len(opNames))
	for _, n := range opNames {
		if n != "" {
			out = append(out, n)
		}
	}
	return out
}

// ParseOp returns the operator named s; the symbols ==, !=, <, <=, >, >=
// are read as eq, ne, lt, le, gt, ge.
func ParseOp(s string) (Op, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch s {
	case "==", "=":
		return OpEq, true
	case "!=":
		return OpNe, true
	case "<":
		return OpLt, true
	case "<=":
		return OpLe, true
	case ">":
		return OpGt, true
	case ">=":
		return OpGe, true
	}
	for o, n := range opNames {
		if n != "" && n == s {
			return Op(o), true
		}
	}
	return 0, false
}

// ValueKind returns the kind of value o takes on a fact of kind k, 0 when
// it takes none, and an error when o does not apply to k (the error names
// the operators that do).
func (o Op) ValueKind(k Kind) (Kind, error) {
	vk, ok := o.valueKind(k)
	if !ok {
		return 0, fmt.Errorf("operator %s does not apply to a %s fact: use %s", o, k, strings.Join(OpsFor(k), ", "))
	}
	return vk, nil
}

// valueKind is ValueKind's table.
func (o Op) valueKind(k Kind) (Kind, bool) {
	ok := false
	var vk Kind
	switch o {
	case OpTrue, OpFalse:
		ok = k == KindBool
	case OpExists:
		ok = k == KindText || k == KindList
	case OpEq, OpNe:
		ok, vk = k == KindBool || k == KindNumber || k == KindText || k == KindDuration, k
	case OpLt, OpLe, OpGt, OpGe:
		ok, vk = k == KindNumber || k == KindDuration, k
	case OpIn:
		ok, vk = k == KindText, KindList
	case OpContains, OpMatches:
		ok, vk = k == KindText || k == KindList, KindText
	}
	return vk, ok
}

// OpsFor returns the names of the operators that apply to a fact of kind k.
func OpsFor(k Kind) []string {
	var out []string
	for o, n := range opNames {
		if n == "" {
			continue
		}
		if _, ok := Op(o).valueKind(k); ok {
			out = append(out, n)
		}
	}
	return out
}

// DefaultOp is the operator of a check that names none: true for a bool
// fact, exists for text and lists; 0 for the others (they need one).
func DefaultOp(k Kind) Op {
	switch k {
	case KindBool:
		return OpTrue
	case KindText, KindList:
		return OpExists
	}
	return 0
}

// UnmarshalText reads an operator's name, as ParseOp does.
func (o *Op) UnmarshalText(b []byte) error {
	op, ok := ParseOp(string(b))
	if !ok {
		return fmt.Errorf("unknown operator %q", b)
	}
	*o = op
	return nil
}
