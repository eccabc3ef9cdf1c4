package standards

import (
	"gopkg.in/yaml.v3"
)

// resolve follows aliases to the node they name; nil for nil or a long chain.
func resolve(n *yaml.Node) *yaml.Node {
	for range 16 {
		if n == nil || n.Kind != yaml.AliasNode {
			return n
		}
		n = n.Alias
	}
	return nil
}

func isNull(n *yaml.Node) bool {
	n = resolve(n)
	return n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

func isScalar(n *yaml.Node) bool {
	n = resolve(n)
	return n != nil && n.Kind == yaml.ScalarNode && n.Tag != "!!null"
}

func isString(n *yaml.Node) bool {
	n = resolve(n)
	return n != nil && n.Kind == yaml.ScalarNode && (n.Tag == "!!str" || n.Tag == "!!timestamp")
}

func typeName(n *yaml.Node) string {
	n = resolve(n)
	switch {
	case n == nil:
		return "nothing"
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case n.Tag == "!!null":
		return "null"
	case n.Tag == "!!bool":
		return "a boolean (" + n.Value + ")"
	case n.Tag == "!!int" || n.Tag == "!!float":
		return "a number (" + n.Value + ")"
	case n.Kind == yaml.ScalarNode:
		return "a string"
	}
	return "an alias"
}

type pair struct{ key, val *yaml.Node }

// pairs returns the pairs of mapping m, nil when m is not a mapping.
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

func keyText(k *yaml.Node) string {
	k = resolve(k)
	if k == nil || k.Kind != yaml.ScalarNode {
		return ""
	}
	return k.Value
}

func items(n *yaml.Node) []*yaml.Node {
	n = resolve(n)
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	return n.Content
}

func value(n *yaml.Node) string {
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
