package manifest

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// maxFindings bounds the findings kept for one file; the rest are counted.
const maxFindings = 1000

// checker collects the findings of one file.
type checker struct {
	path     string
	rules    Rules
	findings []Finding
	dropped  int
	worst    Severity
	firstOut string
	sev      map[string]Severity // effective severity by rule, built on first use
	// docs are the file's YAML documents; fields indexes their nodes by
	// field path, built at the first finding that needs it (fieldOf).
	docs   []*yaml.Node
	fields map[*yaml.Node]*fieldStep
}

func newChecker(path string, rules Rules) *checker {
	return &checker{path: path, rules: rules}
}

// severity returns the severity of rule under c's rules.
func (c *checker) severity(rule string) Severity {
	if c.sev == nil {
		c.sev = make(map[string]Severity, len(KnownRules()))
		for _, info := range KnownRules() {
			s := info.Severity
			if o, ok := c.rules.Severity[info.Name]; ok && !info.Fixed {
				s = o
			}
			c.sev[info.Name] = s
		}
	}
	if s, ok := c.sev[rule]; ok {
		return s
	}
	return SeverityError
}

// full reports whether no more findings are kept, so that callers can skip
// building messages nobody will read.
func (c *checker) full() bool { return len(c.findings) >= maxFindings }

// add records a finding at p about the file or document as a whole.
func (c *checker) add(rule string, p Pos, msg, fix string) {
	c.addField(rule, p, "", msg, fix)
}

// addField records a finding at p about field (a dotted path, see
// Finding.Field).
func (c *checker) addField(rule string, p Pos, field, msg, fix string) {
	sev := c.severity(rule)
	if sev == SeverityOff || sev == "" {
		return
	}
	if len(c.findings) >= maxFindings {
		if c.dropped == 0 {
			c.firstOut = rule
		}
		c.dropped++
		if c.worst == "" || severityRank(sev) < severityRank(c.worst) {
			c.worst = sev
		}
		return
	}
	c.findings = append(c.findings, Finding{
		Path: c.path, Line: max(p.Line, 1), Col: max(p.Col, 1),
		Severity: sev, Rule: rule, Message: msg, Fix: fix, Field: field,
	})
}

// at records a finding at node n, about the field n is (or is the value
// of).
func (c *checker) at(rule string, n *yaml.Node, msg, fix string) {
	if c.severity(rule) == SeverityOff {
		return
	}
	c.addField(rule, posOf(n), c.fieldOf(n), msg, fix)
}

// atField records a finding at node n about field, a dotted path: for a
// field that is missing, reported at the node it belongs under.
func (c *checker) atField(rule string, n *yaml.Node, field, msg, fix string) {
	c.addField(rule, posOf(n), field, msg, fix)
}

// done returns the findings ordered by position.
func (c *checker) done() []Finding {
	out := c.findings
	slices.SortStableFunc(out, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
	})
	if c.dropped > 0 {
		last := Pos{1, 1}
		if len(out) > 0 {
			last = Pos{out[len(out)-1].Line, out[len(out)-1].Col}
		}
		out = append(out, Finding{
			Path: c.path, Line: last.Line, Col: last.Col, Severity: c.worst, Rule: c.firstOut,
			Message: fmt.Sprintf("%d more findings not shown (the first %d are)", c.dropped, maxFindings),
			Fix:     "fix the findings above and lint again",
		})
	}
	return out
}

// duplicateKeys reports keys repeated in any mapping under root. A merge key
// (<<) is an ordinary key to Backstage's reader; mergeKeys says it is not
// (OpsLevel's reader expands it).
func (c *checker) duplicateKeys(root *yaml.Node, mergeKeys bool) {
	walk(root, func(n *yaml.Node) bool {
		if n.Kind != yaml.MappingNode {
			return true
		}
		var seen map[string]*yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode || (mergeKeys && k.Tag == "!!merge") {
				continue
			}
			if seen == nil {
				seen = make(map[string]*yaml.Node, len(n.Content)/2)
			}
			id := k.Value
			if !mergeKeys {
				id = keyIdentity(k)
			}
			if first, dup := seen[id]; dup {
				c.at(RuleDuplicateKey, k, fmt.Sprintf("key %q is repeated (first at line %d)", clip(k.Value), posOf(first).Line),
					"keep only one of them: Backstage rejects a mapping with a repeated key")
				continue
			}
			seen[id] = k
		}
		return true
	})
}

// keyIdentity is what makes two scalar keys the same to Backstage's YAML
// reader: their values once resolved (1 and '1' differ, ~ and null do not).
func keyIdentity(k *yaml.Node) string {
	switch t := scalarType(k); t {
	case jsonNull:
		return "null"
	case jsonBool:
		return "bool:" + strings.ToLower(k.Value)
	case jsonNumber:
		v := strings.ReplaceAll(k.Value, "_", "")
		if i, err := strconv.ParseInt(v, 0, 64); err == nil {
			return "number:" + strconv.FormatInt(i, 10)
		}
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			return "number:" + strconv.FormatFloat(f, 'g', -1, 64)
		}
		return "number:" + v
	case jsonString:
		return "string:" + k.Value
	default:
		return fmt.Sprintf("%d:%s", t, k.Value)
	}
}

// maxKeyCaseNodes bounds the nodes keyCase visits through aliases.
const maxKeyCaseNodes = 100000

// keyCase reports keys of an entity that differ only in case (spec.type and
// spec.Type), as Backstage's stitcher sees them (buildEntitySearch: every
// path to a value, and path.item for each string of a list): it refuses such
// an entity, which then never appears in the catalog.
func (c *checker) keyCase(root *yaml.Node) {
	special := map[string]bool{"attachments": true, "relations": true, "status": true, "metadata.name": true,
		"metadata.namespace": true, "metadata.uid": true, "metadata.etag": true}
	type key struct {
		path string
		at   *yaml.Node
	}
	seen := map[string]key{}
	items := map[string]bool{}
	reported := map[string]bool{}
	budget := maxKeyCaseNodes
	add := func(path string, at *yaml.Node) {
		lower := strings.ToLower(path)
		first, ok := seen[lower]
		if !ok {
			seen[lower] = key{path, at}
			return
		}
		if first.path != path && !reported[lower] {
			reported[lower] = true
			if at == nil {
				at = first.at
			}
			c.at(RuleDuplicateKey, at, fmt.Sprintf("%s and %s differ only in case: Backstage's catalog cannot index both, so it drops the entity", clip(first.path), clip(path)),
				"rename one of them so that they differ by more than case")
		}
	}
	onPath := map[*yaml.Node]bool{}
	var visit func(path string, n, at *yaml.Node)
	visit = func(path string, n, at *yaml.Node) {
		if budget--; budget < 0 || special[path] {
			return
		}
		n = resolve(n)
		switch placeholderKey(n) {
		case "$text":
			add(path, at) // a string once read
			return
		case "$json", "$yaml":
			return // whatever the file holds
		}
		if n != nil && n.Kind != yaml.ScalarNode {
			if onPath[n] {
				if !reported[""] {
					reported[""] = true
					c.at(RuleYAMLSyntax, at, "this alias refers to a mapping or list that contains it: Backstage cannot process a value that contains itself",
						"write the value out instead of the alias")
				}
				return
			}
			onPath[n] = true
			defer delete(onPath, n)
		}
		switch {
		case n == nil || n.Kind == yaml.ScalarNode:
			add(path, at)
		case n.Kind == yaml.SequenceNode:
			for _, it := range n.Content {
				visit(path, it, it)
				if isString(it) {
					p := path + "." + text(it)
					if l := strings.ToLower(p); !items[l] {
						items[l] = true
						add(p, it)
					}
				}
			}
		case n.Kind == yaml.MappingNode:
			for _, p := range pairs(n) {
				k := keyText(p.key)
				if path != "" {
					k = path + "." + k
				}
				visit(k, p.val, p.key)
			}
		}
	}
	visit("", root, root)
	// buildEntitySearch adds these after the rest, whatever the entity holds.
	for _, k := range []string{"metadata.name", "metadata.namespace", "metadata.uid"} {
		add(k, nil)
	}
}
