package manifest

import (
	"strconv"

	"gopkg.in/yaml.v3"
)

// fieldStep is one step of the path from a document's root to a node: a
// mapping key, or an item of a sequence.
type fieldStep struct {
	parent *fieldStep
	key    *yaml.Node // nil for a sequence item
	index  int
}

// String is the dotted path of the step: "spec.owner",
// "metadata.annotations.pagerduty.com/service-id", "spec.dependsOn[1]".
func (s *fieldStep) String() string {
	if s == nil {
		return ""
	}
	parent := s.parent.String()
	if s.key == nil {
		return parent + "[" + strconv.Itoa(s.index) + "]"
	}
	if parent == "" {
		return keyText(s.key)
	}
	return parent + "." + keyText(s.key)
}

// fieldOf is the descriptor field node n is about: the dotted path of the
// key n is, or of the key whose value n is; "" for a document's root, or a
// node outside the file's documents. The index is built at the first
// finding, so that files without findings pay nothing for it.
func (c *checker) fieldOf(n *yaml.Node) string {
	if n == nil {
		return ""
	}
	return c.fieldIndex()[n].String()
}

// fieldIndex is the step of every key and value of the file's documents,
// built on first use.
func (c *checker) fieldIndex() map[*yaml.Node]*fieldStep {
	if c.fields == nil {
		c.fields = map[*yaml.Node]*fieldStep{}
		for _, doc := range c.docs {
			indexFields(c.fields, docRoot(doc), nil)
		}
	}
	return c.fields
}

// fieldAtPos is the field of the scalar at p (a value whose position a
// decoded entity recorded), "" when no scalar is there.
func (c *checker) fieldAtPos(p Pos) string {
	for n, step := range c.fieldIndex() {
		if n.Kind == yaml.ScalarNode && posOf(n) == p {
			return step.String()
		}
	}
	return ""
}

// indexFields records the step of every key and value under n. Aliases are
// not followed: an alias node is indexed, not what it points to.
func indexFields(idx map[*yaml.Node]*fieldStep, n *yaml.Node, at *fieldStep) {
	if n == nil {
		return
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			step := &fieldStep{parent: at, key: k}
			if _, seen := idx[k]; !seen {
				idx[k] = step
			}
			if _, seen := idx[v]; !seen {
				idx[v] = step
				indexFields(idx, v, step)
			}
		}
	case yaml.SequenceNode:
		for i, it := range n.Content {
			step := &fieldStep{parent: at, index: i}
			if _, seen := idx[it]; !seen {
				idx[it] = step
				indexFields(idx, it, step)
			}
		}
	}
}
