package manifest

import (
	"math"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// maxAliasHops bounds alias chains; yaml.v3 never builds long ones, but the
// bound makes every walk finite whatever the input.
const maxAliasHops = 16

// maxMergeDepth bounds nested merge keys (<<: *a where a itself merges).
const maxMergeDepth = 4

// resolve follows aliases to the node they name. It returns nil for nil.
func resolve(n *yaml.Node) *yaml.Node {
	for range maxAliasHops {
		if n == nil || n.Kind != yaml.AliasNode {
			return n
		}
		n = n.Alias
	}
	return nil
}

// text returns the value of the scalar n stands for, "" for nil.
func text(n *yaml.Node) string {
	if n = resolve(n); n != nil {
		return n.Value
	}
	return ""
}

// kindOf returns the kind of the node n stands for, 0 for nil.
func kindOf(n *yaml.Node) yaml.Kind {
	if n = resolve(n); n != nil {
		return n.Kind
	}
	return 0
}

// posOf returns the position of n, never below 1:1.
func posOf(n *yaml.Node) Pos {
	if n == nil {
		return Pos{1, 1}
	}
	return Pos{Line: max(n.Line, 1), Col: max(n.Column, 1)}
}

// jsonType is what a scalar becomes when Backstage converts a document to
// JSON with the yaml package (YAML 1.2 core schema).
type jsonType int

const (
	jsonNull jsonType = iota
	jsonBool
	jsonNumber
	jsonString
	jsonBinary
)

// YAML 1.2 core schema resolution of scalars, as the yaml npm package does it
// (yaml 2.x, src/schema/core): what yaml.v3 reads with YAML 1.1 rules
// (1_000, 0b1, 0755 octal...) is read here as Backstage reads it.
var (
	coreNullRe  = regexp.MustCompile(`^(?:~|[Nn]ull|NULL)?$`)
	coreBoolRe  = regexp.MustCompile(`^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$`)
	coreIntRe   = regexp.MustCompile(`^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$`)
	coreFloatRe = regexp.MustCompile(`^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+|[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*))$`)
)

// The yaml npm package's YAML 1.1 schema (src/schema/yaml-1.1), used for a
// document under a %YAML 1.1 directive.
var (
	y11BoolRe  = regexp.MustCompile(`^(?:Y|y|[Yy]es|YES|[Tt]rue|TRUE|[Oo]n|ON|N|n|[Nn]o|NO|[Ff]alse|FALSE|[Oo]ff|OFF)$`)
	y11IntRe   = regexp.MustCompile(`^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?[0-9][0-9_]*|[-+]?0x[0-9a-fA-F_]+|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+)$`)
	y11FloatRe = regexp.MustCompile(`^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN|[-+]?(?:[0-9][0-9_]*)?(?:\.[0-9_]*)?[eE][-+]?[0-9]+|[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*)$`)
)

// yaml11Tag marks a plain scalar of a %YAML 1.1 document with the type the
// YAML 1.1 schema gives it (see markYAML11); scalarType reads it back.
const yaml11Tag = "!switchboard/yaml-1.1/"

// scalarType returns the JSON type of scalar n as Backstage reads it: a
// quoted or block scalar is a string; a standard tag (!!int...) gives its
// type when the value fits it, as yaml does, and a string otherwise;
// !!binary is binary data; any other tag (!!timestamp, !custom) a string; a
// plain scalar is resolved with the YAML 1.2 core schema.
func scalarType(n *yaml.Node) jsonType {
	if t, ok := strings.CutPrefix(n.Tag, yaml11Tag); ok {
		return jsonType(t[0] - '0')
	}
	if n.Style&yaml.TaggedStyle != 0 {
		v := n.Value
		switch n.Tag {
		case "!!null":
			if coreNullRe.MatchString(v) {
				return jsonNull
			}
		case "!!bool":
			if coreBoolRe.MatchString(v) {
				return jsonBool
			}
		case "!!int":
			if coreIntRe.MatchString(v) {
				return jsonNumber
			}
		case "!!float":
			if coreFloatRe.MatchString(v) {
				return jsonNumber
			}
		case "!!binary":
			return jsonBinary
		}
		return jsonString
	}
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return jsonString
	}
	v := n.Value
	if v != "" && !strings.ContainsRune("0123456789+-.~nNtTfF", rune(v[0])) {
		return jsonString // nothing but a string starts so
	}
	switch {
	case coreNullRe.MatchString(v):
		return jsonNull
	case coreBoolRe.MatchString(v):
		return jsonBool
	case coreIntRe.MatchString(v), coreFloatRe.MatchString(v):
		return jsonNumber
	}
	return jsonString
}

// isNull reports whether n is absent or an explicit null (~, null, or nothing).
func isNull(n *yaml.Node) bool {
	n = resolve(n)
	return n == nil || (n.Kind == yaml.ScalarNode && scalarType(n) == jsonNull)
}

// isString reports whether n is a string as Backstage sees it (see
// scalarType): plain or quoted text, dates, custom tags; or a {$text: file}
// placeholder, which the catalog replaces with the file's text (text(n) is
// then "", and unknownText(n) true).
func isString(n *yaml.Node) bool {
	n = resolve(n)
	if n != nil && n.Kind == yaml.MappingNode {
		return isTextPlaceholder(n)
	}
	return n != nil && n.Kind == yaml.ScalarNode && scalarType(n) == jsonString
}

// unknownText reports whether n is a string whose text is not in the file
// (a $text placeholder): its format cannot be checked.
func unknownText(n *yaml.Node) bool {
	n = resolve(n)
	return n != nil && n.Kind == yaml.MappingNode && isTextPlaceholder(n)
}

// isScalar reports whether n is a non-null scalar of any type.
func isScalar(n *yaml.Node) bool {
	n = resolve(n)
	return n != nil && n.Kind == yaml.ScalarNode && scalarType(n) != jsonNull
}

// typeName names the type of n for messages.
func typeName(n *yaml.Node) string {
	n = resolve(n)
	if n == nil {
		return "nothing"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.DocumentNode:
		return "a document"
	case yaml.ScalarNode:
		switch scalarType(n) {
		case jsonNull:
			return "null"
		case jsonNumber:
			return "a number (" + n.Value + ")"
		case jsonBool:
			return "a boolean (" + n.Value + ")"
		case jsonBinary:
			return "binary data (!!binary)"
		}
		return "a string"
	}
	return "an alias"
}

// pair is one key/value of a mapping.
type pair struct {
	key, val *yaml.Node
}

// keyText returns the text of a scalar key as Backstage's reader turns it
// into a JSON key: ~ is "", 0x1F is "31", and under %YAML 1.1 `on` is
// "true". It returns "" for a key that is not a scalar.
func keyText(k *yaml.Node) string {
	k = resolve(k)
	if k == nil || k.Kind != yaml.ScalarNode {
		return ""
	}
	switch scalarType(k) {
	case jsonNull:
		return ""
	case jsonBool:
		switch strings.ToLower(k.Value) {
		case "true", "y", "yes", "on":
			return "true"
		}
		return "false"
	case jsonNumber:
		if s, ok := jsNumber(k.Value, strings.HasPrefix(k.Tag, yaml11Tag)); ok {
			return s
		}
	}
	return k.Value
}

// jsNumber renders the YAML number v as JavaScript's String(number) does
// (yaml11: with YAML 1.1's octal, binary, underscores and base 60).
func jsNumber(v string, yaml11 bool) (string, bool) {
	if yaml11 {
		v = strings.ReplaceAll(v, "_", "")
	}
	sign := 1.0
	body := v
	if strings.HasPrefix(body, "-") || strings.HasPrefix(body, "+") {
		if body[0] == '-' {
			sign = -1
		}
		body = body[1:]
	}
	var f float64
	switch lower := strings.ToLower(body); {
	case lower == ".inf":
		return map[bool]string{true: "Infinity", false: "-Infinity"}[sign > 0], true
	case lower == ".nan":
		return "NaN", true
	case strings.HasPrefix(lower, "0x"), strings.HasPrefix(lower, "0o"), strings.HasPrefix(lower, "0b"):
		i, err := strconv.ParseUint(body[2:], map[byte]int{'x': 16, 'o': 8, 'b': 2}[lower[1]], 64)
		if err != nil {
			return "", false
		}
		f = float64(i)
	case yaml11 && len(body) > 1 && body[0] == '0' && !strings.ContainsAny(body, ".eE:"):
		i, err := strconv.ParseUint(body[1:], 8, 64)
		if err != nil {
			return "", false
		}
		f = float64(i)
	case yaml11 && strings.Contains(body, ":"):
		for part := range strings.SplitSeq(body, ":") {
			p, err := strconv.ParseFloat(part, 64)
			if err != nil {
				return "", false
			}
			f = f*60 + p
		}
	default:
		var err error
		if f, err = strconv.ParseFloat(body, 64); err != nil {
			return "", false
		}
	}
	f *= sign
	if a := math.Abs(f); a != 0 && (a >= 1e21 || a < 1e-6) {
		s := strconv.FormatFloat(f, 'e', -1, 64)
		return strings.Replace(strings.Replace(s, "e+0", "e+", 1), "e-0", "e-", 1), true
	}
	return strconv.FormatFloat(f, 'f', -1, 64), true
}

// pairs returns the key/value pairs of mapping m (nil when m is not a
// mapping). Merge keys (<<) are not expanded: Backstage's YAML reader keeps
// `<<` as an ordinary key, so Switchboard does too.
func pairs(m *yaml.Node) []pair {
	m = resolve(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	out := make([]pair, 0, len(m.Content)/2)
	for i := 0; i+1 < len(m.Content); i += 2 {
		out = append(out, pair{m.Content[i], m.Content[i+1]})
	}
	return out
}

// mergePairs is pairs with merge keys (<<) expanded, explicit keys winning
// over merged ones: how OpsLevel's reader (Ruby's) sees a mapping.
func mergePairs(m *yaml.Node) []pair {
	return pairsDepth(resolve(m), 0)
}

func pairsDepth(m *yaml.Node, depth int) []pair {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	out := make([]pair, 0, len(m.Content)/2)
	var merged []pair
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if isMergeKey(k) {
			if depth < maxMergeDepth {
				merged = append(merged, mergedPairs(v, depth+1)...)
			}
			continue
		}
		out = append(out, pair{k, v})
	}
	if len(merged) == 0 {
		return out
	}
	seen := make(map[string]bool, len(out))
	for _, p := range out {
		seen[keyText(p.key)] = true
	}
	for _, p := range merged {
		if t := keyText(p.key); !seen[t] {
			seen[t] = true
			out = append(out, p)
		}
	}
	return out
}

func mergedPairs(v *yaml.Node, depth int) []pair {
	v = resolve(v)
	if v == nil {
		return nil
	}
	switch v.Kind {
	case yaml.MappingNode:
		return pairsDepth(v, depth)
	case yaml.SequenceNode:
		var out []pair
		for _, item := range v.Content {
			out = append(out, pairsDepth(resolve(item), depth)...)
		}
		return out
	}
	return nil
}

func isMergeKey(k *yaml.Node) bool {
	k = resolve(k)
	return k != nil && k.Kind == yaml.ScalarNode && k.Tag == "!!merge"
}

// lookup returns the key and value nodes of key in mapping m; the last
// occurrence wins, as in JavaScript and Ruby readers.
func lookup(m *yaml.Node, key string) (k, v *yaml.Node) {
	for _, p := range pairs(m) {
		if keyText(p.key) == key {
			k, v = p.key, p.val
		}
	}
	return k, v
}

// lookupMerged is lookup over mergePairs, for OpsLevel descriptors.
func lookupMerged(m *yaml.Node, key string) (k, v *yaml.Node) {
	for _, p := range mergePairs(m) {
		if keyText(p.key) == key {
			k, v = p.key, p.val
		}
	}
	return k, v
}

// items returns the items of sequence n (nil when n is not a sequence).
func items(n *yaml.Node) []*yaml.Node {
	n = resolve(n)
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	return n.Content
}

// docRoot returns the content of document node d, or nil when it is empty.
func docRoot(d *yaml.Node) *yaml.Node {
	if d == nil {
		return nil
	}
	if d.Kind != yaml.DocumentNode {
		return d
	}
	if len(d.Content) == 0 {
		return nil
	}
	r := d.Content[0]
	if r.Kind == yaml.ScalarNode && r.Tag == "!!null" {
		return nil
	}
	return r
}

// walk visits n and every node under it, depth first, without following
// aliases (so that it is linear in the size of the input), until visit
// returns false.
func walk(n *yaml.Node, visit func(*yaml.Node) bool) {
	if n == nil {
		return
	}
	stack := []*yaml.Node{n}
	for len(stack) > 0 {
		cur := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if cur == nil {
			continue
		}
		if !visit(cur) {
			return
		}
		if cur.Kind == yaml.AliasNode {
			continue
		}
		for i := len(cur.Content) - 1; i >= 0; i-- {
			stack = append(stack, cur.Content[i])
		}
	}
}
