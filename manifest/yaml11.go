package manifest

import (
	"gopkg.in/yaml.v3"
)

// markYAML11 prepares doc, a document under a %YAML 1.1 directive, the way
// Backstage's reader reads such a document with the yaml package's YAML 1.1
// schema: plain scalars are tagged with the type that schema gives them (yes
// is a boolean, 0_1 a number...; timestamps become strings in JSON), and
// merge keys (<<) are expanded, since that schema merges whatever the
// reader's options say. It returns the merge keys whose value is not a
// mapping or a list of mappings, which the reader refuses.
func markYAML11(doc *yaml.Node) []*yaml.Node {
	walk(doc, func(n *yaml.Node) bool {
		if n.Kind != yaml.ScalarNode || n.Style != 0 {
			return true
		}
		t := jsonString
		switch v := n.Value; {
		case coreNullRe.MatchString(v):
			t = jsonNull
		case y11BoolRe.MatchString(v):
			t = jsonBool
		case y11IntRe.MatchString(v), y11FloatRe.MatchString(v):
			t = jsonNumber
		}
		n.Tag = yaml11Tag + string(rune('0'+t))
		return true
	})
	var bad []*yaml.Node
	var maps []*yaml.Node
	walk(doc, func(n *yaml.Node) bool {
		if n.Kind == yaml.MappingNode {
			maps = append(maps, n)
		}
		return true
	})
	for _, m := range maps {
		hasMerge := false
		for i := 0; i+1 < len(m.Content); i += 2 {
			if k := m.Content[i]; k.Kind == yaml.ScalarNode && k.Value == "<<" && k.Style == 0 {
				hasMerge = true
				v := resolve(m.Content[i+1])
				ok := v != nil && v.Kind == yaml.MappingNode
				if v != nil && v.Kind == yaml.SequenceNode {
					ok = true
					for _, it := range v.Content {
						if kindOf(it) != yaml.MappingNode {
							ok = false
						}
					}
				}
				if !ok {
					bad = append(bad, k)
				}
			}
		}
		if !hasMerge {
			continue
		}
		for i := range m.Content {
			if k := m.Content[i]; i%2 == 0 && k.Kind == yaml.ScalarNode && k.Value == "<<" && k.Style == 0 {
				k.Tag = "!!merge"
			}
		}
		var content []*yaml.Node
		for _, p := range mergePairs(m) {
			content = append(content, p.key, p.val)
		}
		m.Content = content
	}
	return bad
}
