package standards

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/switchboard-dev/switchboard/manifest"
	"github.com/switchboard-dev/switchboard/scorecard"
)

// checkKeys are the keys of a scorecard check.
func checkKeys() []string {
	return []string{"applies_to", "fact", "id", "level", "message", "name", "op", "value"}
}

// validRegexp reports whether s compiles as a Go regular expression.
func validRegexp(s string) error {
	_, err := regexp.Compile(s)
	return err
}

// errorCount is how many error findings d has so far.
func (d *decoder) errorCount() int {
	n := 0
	for _, f := range d.findings {
		if f.Severity == manifest.SeverityError {
			n++
		}
	}
	return n
}

// scorecard reads the scorecard section into s.Scorecard. The section is
// all or nothing: with any error in it, s.Scorecard stays what it was (the
// default, or the previous file's) and an info finding says so. It runs
// after the other sections, so applies_to's tiers and lifecycles are read
// with the file's own.
func (d *decoder) scorecard(s *Standards, key, v *yaml.Node) {
	if isNull(v) {
		return
	}
	before := d.errorCount()
	card := d.readScorecard(s, v)
	if d.errorCount() > before || card == nil {
		d.add(RuleConfigValue, manifest.SeverityInfo, key, "the scorecard section has errors: the previous scorecard stays in force", "fix the errors of the scorecard section")
		return
	}
	s.Scorecard = card
}

// scoreCheck is a check as read, with the nodes findings point at.
type scoreCheck struct {
	check              scorecard.Check
	item, id, level    *yaml.Node
	fact, op, valueRaw *yaml.Node
	ok                 bool // no error in the check
}

func (d *decoder) readScorecard(s *Standards, v *yaml.Node) *scorecard.Card {
	if kindOf(v) != yaml.MappingNode {
		d.errorf(RuleConfigType, v, "indent `levels:` and `checks:` under `scorecard:`", "scorecard must be a mapping, got %s", typeName(v))
		return nil
	}
	var levels []scorecard.Level
	var levelNodes []*yaml.Node
	var checksNode *yaml.Node
	haveLevels := false
	for _, p := range pairs(v) {
		switch k := keyText(p.key); k {
		case "levels":
			haveLevels = true
			levels, levelNodes = d.scoreLevels(p.val)
		case "checks":
			checksNode = p.val
			if isNull(p.val) {
				checksNode = p.key
			}
		default:
			d.unknownKey("scorecard", k, p.key, []string{"checks", "levels"})
		}
	}
	if !haveLevels && s.Scorecard != nil {
		levels = s.Scorecard.Levels()
	}
	if len(levels) == 0 && haveLevels {
		return nil // reported by scoreLevels
	}
	if checksNode == nil {
		d.errorf(RuleConfigValue, v, "list the checks under `checks:`, or leave the scorecard section out to keep the default", "scorecard has no checks")
		return nil
	}
	names := make([]string, len(levels))
	for i, l := range levels {
		names[i] = l.Name
	}
	checks := d.scoreChecks(s, checksNode, names)
	used := map[string]bool{}
	for _, c := range checks {
		used[c.check.Level] = true
	}
	for i, n := range levelNodes {
		if i < len(levels) && !used[levels[i].Name] {
			d.warnf(RuleConfigValue, n, "add checks to the level, or remove it", "scorecard level %s has no checks: every service that reaches the level below reaches it", clip(levels[i].Name))
		}
	}
	out := make([]scorecard.Check, 0, len(checks))
	for _, c := range checks {
		if !c.ok {
			return nil
		}
		out = append(out, c.check)
	}
	card, err := scorecard.Compile(levels, out)
	if err != nil {
		// Every problem Compile finds is reported above with its position;
		// this is a safety net.
		d.errorf(RuleConfigValue, v, "", "%v", err)
		return nil
	}
	return card
}

// scoreLevels reads the levels, lowest first: names or {name, description}.
func (d *decoder) scoreLevels(v *yaml.Node) ([]scorecard.Level, []*yaml.Node) {
	var levels []scorecard.Level
	var nodes []*yaml.Node
	seen := map[string]*yaml.Node{}
	list := d.list("scorecard.levels", v)
	if len(list) == 0 {
		d.errorf(RuleConfigValue, v, "list the levels lowest first, e.g. [bronze, silver, gold]", "scorecard.levels is empty: a scorecard needs at least one level")
		return nil, nil
	}
	for i, it := range list {
		field := fmt.Sprintf("scorecard.levels[%d]", i)
		var l scorecard.Level
		nameNode := it
		switch {
		case isScalar(it):
			l.Name = strings.TrimSpace(value(it))
		case kindOf(it) == yaml.MappingNode:
			d.section(field, it, map[string]func(*yaml.Node){
				"name":        func(v *yaml.Node) { l.Name, nameNode = strings.TrimSpace(d.str(field+".name", v)), v },
				"description": func(v *yaml.Node) { l.Description = strings.TrimSpace(d.str(field+".description", v)) },
			})
		default:
			d.errorf(RuleConfigType, it, "write `- silver` or `- {name: silver, description: ...}`", "%s must be a name or a mapping, got %s", field, typeName(it))
			continue
		}
		if l.Name == "" {
			d.errorf(RuleConfigValue, it, "give the level a name", "%s has no name", field)
			continue
		}
		if first, dup := seen[strings.ToLower(l.Name)]; dup {
			d.errorf(RuleConfigDuplicate, nameNode, "give each level its own name", "scorecard level %s is listed twice (first at line %d)", clip(l.Name), first.Line)
			continue
		}
		seen[strings.ToLower(l.Name)] = nameNode
		levels = append(levels, l)
		nodes = append(nodes, nameNode)
	}
	// With errors, the levels read are still returned so that the checks
	// are checked against them; the section's errors keep the card out.
	return levels, nodes
}

// scoreChecks reads the checks, reporting each problem at its position.
func (d *decoder) scoreChecks(s *Standards, v *yaml.Node, levels []string) []scoreCheck {
	if kindOf(v) != yaml.SequenceNode {
		d.errorf(RuleConfigType, v, "write one `- id: ...` mapping per check", "scorecard.checks must be a list, got %s", typeName(v))
		return []scoreCheck{{}}
	}
	var out []scoreCheck
	ids := map[string]*yaml.Node{}
	for i, it := range items(v) {
		c := d.scoreCheck(s, fmt.Sprintf("scorecard.checks[%d]", i), it, levels)
		if c.id != nil && c.check.ID != "" {
			if first, dup := ids[c.check.ID]; dup {
				d.errorf(RuleConfigDuplicate, c.id, "give each check its own id", "check id %s is used twice (first at line %d)", clip(c.check.ID), first.Line)
				c.ok = false
			} else {
				ids[c.check.ID] = c.id
			}
		}
		out = append(out, c)
	}
	return out
}

func (d *decoder) scoreCheck(s *Standards, field string, it *yaml.Node, levels []string) scoreCheck {
	c := scoreCheck{item: it}
	if kindOf(it) != yaml.MappingNode {
		d.errorf(RuleConfigType, it, "write `- {id: runbook, level: silver, fact: runbook, message: ...}`", "%s must be a mapping, got %s", field, typeName(it))
		return c
	}
	ch := &c.check
	for _, p := range pairs(it) {
		switch k := keyText(p.key); k {
		case "id":
			c.id, ch.ID = p.val, strings.TrimSpace(d.str(field+".id", p.val))
		case "level":
			c.level, ch.Level = p.val, strings.TrimSpace(d.str(field+".level", p.val))
		case "name":
			ch.Name = strings.TrimSpace(d.str(field+".name", p.val))
		case "message":
			ch.Message = strings.TrimSpace(d.str(field+".message", p.val))
		case "fact":
			c.fact, ch.Fact = p.val, strings.TrimSpace(d.str(field+".fact", p.val))
		case "op":
			// `op: true` is read by YAML as a boolean: take its text.
			c.op = p.val
			if !isScalar(p.val) {
				d.errorf(RuleConfigType, p.val, "write one of: "+strings.Join(scorecard.OpNames(), ", "), "%s.op must be an operator, got %s", field, typeName(p.val))
			}
		case "value":
			c.valueRaw = p.val
		case "applies_to":
			d.appliesTo(s, field+".applies_to", p.val, &ch.AppliesTo)
		default:
			d.unknownKey(field, k, p.key, checkKeys())
		}
	}
	before := d.errorCount()
	name := ch.ID
	if name == "" {
		name = field
	}
	switch {
	case c.id == nil || ch.ID == "":
		d.errorf(RuleConfigValue, it, "add `id: a-short-name` (stored results and buttons refer to it)", "%s has no id", field)
	case !scorecard.ValidID(ch.ID):
		d.errorf(RuleConfigValue, c.id, "use lower-case letters, digits, '-', '_' and '.', e.g. has-runbook", "check id %q is not a valid id", clip(ch.ID))
	}
	switch {
	case c.level == nil || ch.Level == "":
		d.errorf(RuleConfigValue, it, "add `level: "+strings.Join(levels, "|")+"`", "check %s has no level", clip(name))
	case len(levels) > 0 && !slices.Contains(levels, ch.Level):
		fix := "use one of: " + strings.Join(levels, ", ")
		msg := fmt.Sprintf("check %s: level %q is not one of the scorecard's levels", clip(name), clip(ch.Level))
		if m := manifest.DidYouMean(ch.Level, levels); m != "" {
			msg += fmt.Sprintf(": did you mean %s?", m)
			fix = fmt.Sprintf("write `level: %s`", m)
		}
		d.errorf(RuleConfigValue, c.level, fix, "%s", msg)
	}
	if ch.Message == "" {
		d.warnf(RuleConfigValue, it, "add `message:` saying how to pass, e.g. where to add the missing field", "check %s has no message: a failing check should say how to pass", clip(name))
	}
	d.scoreFact(field, name, &c)
	c.ok = d.errorCount() == before
	return c
}

// scoreFact reads a check's fact, operator and value against the registry.
func (d *decoder) scoreFact(field, name string, c *scoreCheck) {
	ch := &c.check
	if c.fact == nil || ch.Fact == "" {
		d.errorf(RuleConfigValue, c.item, "add `fact:`, e.g. `fact: runbook` (`switchboard config check` lists them on error)", "check %s has no fact", clip(name))
		return
	}
	ref, fact, err := scorecard.ParseFactRef(ch.Fact)
	var unknown *scorecard.UnknownFactError
	switch {
	case errors.As(err, &unknown):
		fix := "use one of: " + strings.Join(scorecard.FactNames(), ", ")
		msg := fmt.Sprintf("check %s: %q is not a fact Switchboard knows", clip(name), clip(ch.Fact))
		var cands []string
		for _, f := range scorecard.Facts() {
			cands = append(cands, f.Name)
		}
		if m := manifest.DidYouMean(unknown.Name, cands); m != "" {
			if _, param, ok := strings.Cut(ch.Fact, ":"); ok {
				m += ":" + strings.TrimSpace(param)
			} else if f, _ := scorecard.LookupFact(m); f.Param != "" {
				m += ":" + strings.ToUpper(f.Param)
			}
			msg += fmt.Sprintf(": did you mean %s?", m)
			fix = fmt.Sprintf("write `fact: %s`", m)
		}
		d.errorf(RuleConfigValue, c.fact, fix, "%s", msg)
		return
	case err != nil:
		d.errorf(RuleConfigValue, c.fact, "file:GLOB takes a pattern such as file:README* or file:docs/**/*.md; annotation:KEY an annotation's key", "check %s: %v", clip(name), err)
		return
	}
	ch.Fact = ref.Key()
	at := c.op
	if c.op == nil {
		at = c.fact
		ch.Op = scorecard.DefaultOp(fact.Kind)
		if ch.Op == 0 {
			d.errorf(RuleConfigValue, c.item, "add `op:` one of "+strings.Join(scorecard.OpsFor(fact.Kind), ", "), "check %s: %s is a %s fact: say how to compare it with `op:` and `value:`", clip(name), ch.Fact, fact.Kind)
			return
		}
	} else {
		if !isScalar(c.op) {
			return // reported
		}
		op, ok := scorecard.ParseOp(value(c.op))
		if !ok {
			fix := "use one of: " + strings.Join(scorecard.OpsFor(fact.Kind), ", ")
			msg := fmt.Sprintf("check %s: %q is not an operator", clip(name), clip(value(c.op)))
			if m := manifest.DidYouMean(strings.TrimSpace(value(c.op)), scorecard.OpNames()); m != "" {
				msg += fmt.Sprintf(": did you mean %s?", m)
				fix = fmt.Sprintf("write `op: %s`", m)
			}
			d.errorf(RuleConfigValue, c.op, fix, "%s", msg)
			return
		}
		ch.Op = op
	}
	vk, err := ch.Op.ValueKind(fact.Kind)
	if err != nil {
		d.errorf(RuleConfigType, at, "use one of: "+strings.Join(scorecard.OpsFor(fact.Kind), ", "), "check %s: %s is a %s fact: operator %s does not apply to it", clip(name), ch.Fact, fact.Kind, ch.Op)
		return
	}
	switch {
	case vk == 0 && c.valueRaw != nil:
		d.errorf(RuleConfigValue, c.valueRaw, "remove `value:` (or use another operator, e.g. eq)", "check %s: operator %s takes no value", clip(name), ch.Op)
		return
	case vk == 0:
		return
	case c.valueRaw == nil || isNull(c.valueRaw):
		d.errorf(RuleConfigValue, at, fmt.Sprintf("add `value:` (a %s)", vk), "check %s: operator %s needs a value", clip(name), ch.Op)
		return
	}
	ch.Value = d.scoreValue(name, vk, ch.Op, c.valueRaw)
}

// scoreValue reads a check's value as a value of kind vk.
func (d *decoder) scoreValue(name string, vk scorecard.Kind, op scorecard.Op, v *yaml.Node) scorecard.Value {
	n := resolve(v)
	wrong := func(fix string) scorecard.Value {
		d.errorf(RuleConfigType, v, fix, "check %s: operator %s needs a %s value, got %s", clip(name), op, vk, typeName(v))
		return scorecard.Value{}
	}
	switch vk {
	case scorecard.KindBool:
		if n != nil && n.Kind == yaml.ScalarNode && n.Tag == "!!bool" {
			b, err := strconv.ParseBool(strings.ToLower(n.Value))
			if err == nil {
				return scorecard.Bool(b)
			}
		}
		return wrong("write true or false")
	case scorecard.KindNumber:
		if n != nil && n.Kind == yaml.ScalarNode && (n.Tag == "!!int" || n.Tag == "!!float") {
			f, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
			if err == nil {
				return scorecard.Number(f)
			}
			if i, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64); err == nil {
				return scorecard.Number(float64(i))
			}
		}
		return wrong("write a number, e.g. 2")
	case scorecard.KindDuration:
		if !isScalar(v) {
			return wrong("write a duration, e.g. 90d")
		}
		dur, err := scorecard.ParseDuration(value(v))
		if err != nil {
			d.errorf(RuleConfigValue, v, "write a number and a unit (w, d, h, m, s), e.g. 90d or 2w", "check %s: %v", clip(name), err)
			return scorecard.Value{}
		}
		return scorecard.Duration(dur)
	case scorecard.KindText:
		if !isScalar(v) {
			return wrong("write a single value")
		}
		t := value(v)
		if op == scorecard.OpMatches {
			if err := validRegexp(t); err != nil {
				d.errorf(RuleConfigValue, v, "fix the regular expression (Go RE2 syntax)", "check %s: value is not a valid regular expression: %v", clip(name), err)
				return scorecard.Value{}
			}
		}
		return scorecard.Text(t)
	case scorecard.KindList:
		if kindOf(v) != yaml.SequenceNode {
			return wrong("write a list, e.g. [tier-1, tier-2]")
		}
		var out []string
		for i, it := range items(v) {
			if t := d.scalar(fmt.Sprintf("check %s value[%d]", name, i), it); t != "" {
				out = append(out, t)
			}
		}
		if len(out) == 0 {
			d.errorf(RuleConfigValue, v, "list the values, e.g. [tier-1, tier-2]", "check %s: operator %s needs at least one value", clip(name), op)
			return scorecard.Value{}
		}
		return scorecard.List(out...)
	}
	return wrong("")
}

// appliesTo reads a check's applies_to; tiers and lifecycles are read as
// the file's vocabularies spell them (aliases accepted).
func (d *decoder) appliesTo(s *Standards, field string, v *yaml.Node, a *scorecard.AppliesTo) {
	canon := func(key string, vocab []Option, v *yaml.Node) []string {
		list := d.stringList(field+"."+key, v)
		voc := vocabulary(vocab)
		var values []string
		for _, o := range vocab {
			values = append(values, o.Value)
		}
		out := make([]string, 0, len(list))
		for _, x := range list {
			c, ok := voc.Lookup(x)
			if !ok {
				fix := "use one of: " + strings.Join(values, ", ")
				msg := fmt.Sprintf("%s: %q is not one of the standards file's %s", field+"."+key, clip(x), key)
				if m := manifest.DidYouMean(x, values); m != "" {
					msg += fmt.Sprintf(": did you mean %s?", m)
					fix = fmt.Sprintf("write %s", m)
				}
				d.warnf(RuleConfigValue, nodeOf(v, x), fix, "%s", msg)
				c = x
			}
			out = append(out, c)
		}
		return out
	}
	d.section(field, v, map[string]func(*yaml.Node){
		"tiers":      func(v *yaml.Node) { a.Tiers = canon("tiers", s.Tiers, v) },
		"lifecycles": func(v *yaml.Node) { a.Lifecycles = canon("lifecycles", s.Lifecycles, v) },
		"types":      func(v *yaml.Node) { a.Types = d.stringList(field+".types", v) },
		"teams":      func(v *yaml.Node) { a.Teams = d.stringList(field+".teams", v) },
		"tags":       func(v *yaml.Node) { a.Tags = d.stringList(field+".tags", v) },
	})
}

// nodeOf returns the item of list v whose text is x, else v.
func nodeOf(v *yaml.Node, x string) *yaml.Node {
	for _, it := range items(v) {
		if strings.TrimSpace(value(it)) == x {
			return it
		}
	}
	return v
}
