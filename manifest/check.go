package manifest

import (
	"cmp"
	"fmt"
	"slices"

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

// add records a finding at p.
func (c *checker) add(rule string, p Pos, msg, fix string) {
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
		Severity: sev, Rule: rule, Message: msg, Fix: fix,
	})
}

// at records a finding at node n.
func (c *checker) at(rule string, n *yaml.Node, msg, fix string) {
	c.add(rule, posOf(n), msg, fix)
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

// duplicateKeys reports keys repeated in any mapping under root.
func (c *checker) duplicateKeys(root *yaml.Node) {
	walk(root, func(n *yaml.Node) bool {
		if n.Kind != yaml.MappingNode {
			return true
		}
		var seen map[string]*yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode || k.Tag == "!!merge" {
				continue
			}
			if seen == nil {
				seen = make(map[string]*yaml.Node, len(n.Content)/2)
			}
			if first, dup := seen[k.Value]; dup {
				c.at(RuleDuplicateKey, k, fmt.Sprintf("key %q is repeated (first at line %d)", clip(k.Value), posOf(first).Line),
					"keep only one of them: Backstage rejects a mapping with a repeated key")
				continue
			}
			seen[k.Value] = k
		}
		return true
	})
}
