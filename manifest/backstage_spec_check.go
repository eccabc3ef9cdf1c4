package manifest

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// backstageSpec decodes and validates the spec of a kind.
func (c *checker) backstageSpec(d *decoded, root, k, v *yaml.Node, kind string, builtin bool) {
	fields := specFields(kind)
	if !builtin {
		fields = nil
	}
	if k == nil {
		if builtin {
			c.atField(RuleRequired, root, "spec", fmt.Sprintf("spec is missing: a %s needs a spec%s", kind, neededFields(fields)), "add `spec:` with the fields of a "+kind)
		}
		return
	}
	d.pos["spec"] = posOf(k)
	if isNull(v) {
		missing := false
		for _, f := range fields {
			if f.required {
				missing = true
				c.atField(RuleRequired, k, "spec."+f.name, fmt.Sprintf("spec.%s is missing: spec is empty; a %s needs%s", f.name, kind, neededFields(fields)), fmt.Sprintf("add `%s: %s` under spec", f.name, f.example))
			}
		}
		if !missing {
			c.at(RuleFieldType, k, "spec is empty: when it is there, it must be a mapping", "add the entity's fields under spec, or remove `spec:`")
		}
		return
	}
	m := resolve(v)
	if m == nil || m.Kind != yaml.MappingNode {
		c.at(RuleFieldType, v, "spec must be a mapping, got "+typeName(v), "indent the fields of the entity under `spec:`")
		return
	}
	if !builtin {
		return
	}
	names := make([]string, 0, len(fields))
	for _, f := range fields {
		names = append(names, f.name)
		c.specField(d, k, m, f, kind, fields)
	}
	if !checksUnknownSpecKeys(kind) {
		return
	}
	for _, p := range pairs(m) {
		key := keyText(p.key)
		switch {
		case slices.Contains(names, key):
		case key == "<<":
			c.at(RuleUnknownKey, p.key, "spec has a YAML merge key `<<`: Backstage does not expand merge keys, so the fields it would merge are not read",
				"write the fields out instead of merging them with `<<: *anchor`")
		default:
			c.unknownKey("spec", key, p.key, names, metadataKeys(), "metadata")
		}
	}
}

// neededFields renders ": spec.type, spec.lifecycle and spec.owner".
func neededFields(fields []specField) string {
	var req []string
	for _, f := range fields {
		if f.required {
			req = append(req, "spec."+f.name)
		}
	}
	switch len(req) {
	case 0:
		return ""
	case 1:
		return " " + req[0]
	}
	return " " + strings.Join(req[:len(req)-1], ", ") + " and " + req[len(req)-1]
}

// want says what a field must hold, for messages.
func (f specField) want() string {
	switch f.typ {
	case ftRefList, ftStringList, ftSteps:
		return "a list"
	case ftMapping, ftOutput:
		return "a mapping"
	case ftParameters:
		return "a mapping or a list"
	case ftRelations:
		return "an entity reference or a list of them"
	}
	return "a string"
}

// specField decodes one field of spec into d. A field of Backstage's schema
// that is present must have its type, even when empty (`dependsOn:` is null,
// not an empty list); Switchboard's own fields take anything, with warnings.
func (c *checker) specField(d *decoded, specKey, spec *yaml.Node, f specField, kind string, fields []specField) {
	fk, fv := lookup(spec, f.name)
	path := "spec." + f.name
	if fk == nil {
		if f.required {
			c.atField(RuleRequired, specKey, path, fmt.Sprintf("%s is missing: a %s needs%s", path, kind, neededFields(fields)), fmt.Sprintf("add `%s: %s` under spec", f.name, f.example))
		}
		return
	}
	if isNull(fv) {
		switch {
		case f.required:
			c.at(RuleRequired, fk, fmt.Sprintf("%s is empty: a %s needs%s", path, kind, neededFields(fields)), fmt.Sprintf("write `%s: %s`", f.name, f.example))
		case f.schema:
			c.at(RuleFieldType, fk, fmt.Sprintf("%s is empty: when it is there, it must be %s", path, f.want()), fmt.Sprintf("give %s a value, or remove `%s:`", path, f.name))
		}
		return
	}
	d.pos[f.name] = posOf(fv)
	rule := RuleFieldType
	if !f.schema {
		rule = RuleExtensionField
	}
	switch f.typ {
	case ftString, ftRef:
		s, ok := c.stringField(rule, path, fv)
		if !ok {
			return
		}
		switch {
		case s != "":
		case f.required:
			c.at(RuleRequired, fv, path+" is empty", fmt.Sprintf("write `%s: %s`", f.name, f.example))
			return
		case f.schema:
			c.at(RuleFieldType, fv, path+" is an empty string: when it is there, it must not be empty", fmt.Sprintf("give %s a value, or remove `%s:`", path, f.name))
			return
		default:
			return
		}
		if len(f.enum) > 0 && !slices.Contains(f.enum, s) {
			c.at(RuleFieldType, fv, fmt.Sprintf("%s %q is not one of %s", path, clip(s), strings.Join(f.enum, ", ")), fmt.Sprintf("write `%s: %s`", f.name, f.enum[0]))
			return
		}
		if f.typ == ftRef {
			c.checkRef(path, fv, s, f)
		}
		setSpecString(&d.entity, f.name, s)
	case ftRefList, ftStringList:
		if kindOf(fv) != yaml.SequenceNode {
			c.at(rule, fv, fmt.Sprintf("%s must be a list, got %s", path, typeName(fv)), fmt.Sprintf("write `%s: [%s]`", f.name, exampleItem(fv)))
			return
		}
		var list []string
		for i, it := range items(fv) {
			ip := fmt.Sprintf("%s[%d]", path, i)
			s, ok := c.stringField(rule, ip, it)
			if !ok {
				continue
			}
			if s == "" {
				if f.schema {
					c.at(RuleFieldType, it, ip+" is an empty string", "remove the empty item")
				}
				continue
			}
			if f.typ == ftRefList {
				c.checkRef(ip, it, s, f)
			}
			list = append(list, s)
		}
		setSpecList(&d.entity, f.name, list)
	case ftRelations:
		setSpecList(&d.entity, f.name, c.relations(path, fv, f))
	case ftMapping:
		c.profile(d, path, fv)
	case ftText:
		switch {
		case isTextPlaceholder(fv):
		case isString(fv):
			if text(fv) == "" {
				c.at(RuleFieldType, fv, path+" is an empty string", "write the definition, or `definition: {$text: ./openapi.yaml}`")
			}
		default:
			c.at(RuleFieldType, fv, path+" must be a string or {$text: <file or URL>}, got "+typeName(fv), "write `definition: {$text: ./openapi.yaml}` or the definition as a block string (`definition: |`)")
		}
	case ftSteps, ftParameters, ftOutput:
		c.templateField(path, fv, f)
	}
}

// relations reads a field Backstage only turns into relations (dependencyOf):
// a reference or a list of them, each with a kind. A value JavaScript deems
// false ("", 0, false) is skipped, as Backstage skips it.
func (c *checker) relations(path string, v *yaml.Node, f specField) []string {
	if falsy(v) {
		return nil
	}
	nodes := []*yaml.Node{v}
	if kindOf(v) == yaml.SequenceNode {
		nodes = items(v)
	}
	var list []string
	for i, n := range nodes {
		ip := path
		if kindOf(v) == yaml.SequenceNode {
			ip = fmt.Sprintf("%s[%d]", path, i)
		}
		switch {
		case unknownText(n):
		case isString(n):
			s := text(n)
			c.checkRef(ip, n, s, f)
			list = append(list, s)
		case kindOf(n) == yaml.MappingNode:
			// {kind, namespace, name}: Backstage reads it as a compound reference.
			_, kind := lookup(n, "kind")
			_, name := lookup(n, "name")
			if falsy(kind) || falsy(name) {
				c.at(RuleEntityRef, n, fmt.Sprintf("%s is a mapping without kind and name: Backstage cannot read it as a reference", ip),
					fmt.Sprintf("write `%s: [component:<name>]`", f.name))
			}
		default:
			c.at(RuleEntityRef, n, fmt.Sprintf("%s must be an entity reference such as `component:checkout`, got %s", ip, typeName(n)),
				fmt.Sprintf("write `%s: [component:<name>]`", f.name))
		}
	}
	return list
}

// falsy reports whether n is absent or a value JavaScript deems false: null,
// "", 0, false.
func falsy(n *yaml.Node) bool {
	r := resolve(n)
	if r == nil {
		return true
	}
	if r.Kind != yaml.ScalarNode || unknownText(r) {
		return false
	}
	switch scalarType(r) {
	case jsonNull:
		return true
	case jsonString:
		return r.Value == ""
	case jsonBool:
		return keyText(r) == "false"
	case jsonNumber:
		s, ok := jsNumber(r.Value, strings.HasPrefix(r.Tag, yaml11Tag))
		return ok && (s == "0" || s == "NaN")
	}
	return false
}

// exampleItem renders the scalar at n for a "write [x]" fix.
func exampleItem(n *yaml.Node) string {
	if r := resolve(n); r != nil && r.Kind == yaml.ScalarNode && r.Value != "" {
		return clip(r.Value)
	}
	return "..."
}

// placeholderKey returns the key of n when n is a Backstage placeholder, a
// mapping with one key such as $text, $json or $yaml that the catalog
// substitutes, and "" otherwise.
func placeholderKey(n *yaml.Node) string {
	ps := pairs(n)
	if len(ps) == 1 {
		if k := keyText(ps[0].key); strings.HasPrefix(k, "$") {
			return k
		}
	}
	return ""
}

// isTextPlaceholder reports whether n is {$text: <file or URL>}, which the
// catalog replaces with the file's text: a string.
func isTextPlaceholder(n *yaml.Node) bool {
	if placeholderKey(n) != "$text" {
		return false
	}
	_, v := lookup(n, "$text")
	return isScalarString(v)
}

// isScalarString reports whether n is a string scalar (not a placeholder).
func isScalarString(n *yaml.Node) bool {
	n = resolve(n)
	return n != nil && n.Kind == yaml.ScalarNode && scalarType(n) == jsonString
}

// placeholders reports $text, $json and $yaml placeholders whose value is
// not a path or URL (PlaceholderProcessor rejects the entity).
func (c *checker) placeholders(root *yaml.Node) {
	walk(root, func(n *yaml.Node) bool {
		switch k := placeholderKey(n); k {
		case "$text", "$json", "$yaml":
			if _, v := lookup(n, k); !isScalarString(v) {
				c.at(RuleFieldType, v, fmt.Sprintf("placeholder %s must name a file or URL, got %s", k, typeName(v)), fmt.Sprintf("write `%s: ./file`", k))
			}
		}
		return true
	})
}

// stringField returns the string at n, reporting a type error under rule.
// A $text placeholder is a string whose text is not known here.
func (c *checker) stringField(rule, path string, n *yaml.Node) (string, bool) {
	if unknownText(n) {
		return "", false
	}
	if isString(n) {
		return text(n), true
	}
	c.at(rule, n, path+" must be a string, got "+typeName(n), quoteFix(lastSegment(path), n))
	return "", false
}

// profile reads a Group's or User's spec.profile.
func (c *checker) profile(d *decoded, path string, v *yaml.Node) {
	m := resolve(v)
	if m == nil || m.Kind != yaml.MappingNode {
		c.at(RuleFieldType, v, path+" must be a mapping, got "+typeName(v), "write `profile:` with `displayName:` and `email:` under it")
		return
	}
	for _, p := range pairs(m) {
		switch key := keyText(p.key); key {
		case "displayName", "email", "picture":
			s := c.nonEmptyString(path+"."+key, p, fmt.Sprintf("write `%s: ...`, or remove it", key))
			switch key {
			case "displayName":
				d.entity.DisplayName = s
			case "email":
				d.entity.Email = s
			}
		default:
			c.unknownKey(path, key, p.key, profileKeys(), nil, "")
		}
	}
}

// templateField checks a scaffolder Template's parameters, steps and output
// against the scaffolder's Template.v1beta3 schema.
func (c *checker) templateField(path string, v *yaml.Node, f specField) {
	switch f.typ {
	case ftParameters:
		switch kindOf(v) {
		case yaml.MappingNode:
		case yaml.SequenceNode:
			for i, it := range items(v) {
				if kindOf(it) != yaml.MappingNode {
					c.at(RuleFieldType, it, fmt.Sprintf("%s[%d] must be a mapping (a form page), got %s", path, i, typeName(it)), "write each page as `- title: ...` with `properties:` under it")
				}
			}
		default:
			c.at(RuleFieldType, v, path+" must be a mapping or a list of form pages, got "+typeName(v), "write `parameters:` then `- title: ...` with `properties:`")
		}
	case ftSteps:
		if kindOf(v) != yaml.SequenceNode {
			c.at(RuleFieldType, v, path+" must be a list, got "+typeName(v), "write each step as `- id: ...` with `action: ...`")
			return
		}
		for i, it := range items(v) {
			ip := fmt.Sprintf("%s[%d]", path, i)
			if kindOf(it) != yaml.MappingNode {
				c.at(RuleFieldType, it, ip+" must be a mapping, got "+typeName(it), "write the step as `- id: ...` with `action: ...`")
				continue
			}
			k, a := lookup(it, "action")
			switch {
			case k == nil:
				c.at(RuleRequired, it, ip+".action is missing", "add `action: <action-id>` to the step, e.g. `action: fetch:template`")
			case !isString(a):
				c.at(RuleFieldType, k, ip+".action must be a string, got "+typeName(a), "write e.g. `action: fetch:template`")
			}
		}
	case ftOutput:
		if kindOf(v) != yaml.MappingNode {
			c.at(RuleFieldType, v, path+" must be a mapping, got "+typeName(v), "write `output:` with `links:` under it")
			return
		}
		for _, p := range pairs(v) {
			switch key := keyText(p.key); key {
			case "links", "text":
				if kindOf(p.val) != yaml.SequenceNode {
					c.at(RuleFieldType, p.val, fmt.Sprintf("%s.%s must be a list, got %s", path, key, typeName(p.val)), "write each entry as `- title: ...`")
					continue
				}
				for i, it := range items(p.val) {
					c.templateOutputItem(fmt.Sprintf("%s.%s[%d]", path, key, i), it)
				}
			default:
				if !isString(p.val) {
					c.at(RuleFieldType, p.val, fmt.Sprintf("%s.%s must be a string, got %s", path, key, typeName(p.val)), quoteFix(key, p.val))
				}
			}
		}
	}
}

// templateOutputItem checks an entry of a Template's output.links or
// output.text: a mapping whose url, entityRef, title and icon are non-empty
// strings, content a string, and `if` a string or a boolean.
func (c *checker) templateOutputItem(path string, it *yaml.Node) {
	if kindOf(it) != yaml.MappingNode {
		c.at(RuleFieldType, it, path+" must be a mapping, got "+typeName(it), "write the entry as `- title: ...` with `url: ...`")
		return
	}
	for _, p := range pairs(it) {
		key := keyText(p.key)
		switch key {
		case "url", "entityRef", "title", "icon", "content":
			switch {
			case !isString(p.val):
				c.at(RuleFieldType, p.val, fmt.Sprintf("%s.%s must be a string, got %s", path, key, typeName(p.val)), quoteFix(key, p.val))
			case key != "content" && text(p.val) == "" && !unknownText(p.val):
				c.at(RuleFieldType, p.val, fmt.Sprintf("%s.%s is an empty string", path, key), fmt.Sprintf("give %s a value, or remove it", key))
			}
		case "if":
			if !isString(p.val) && (!isScalar(p.val) || scalarType(resolve(p.val)) != jsonBool) {
				c.at(RuleFieldType, p.val, fmt.Sprintf("%s.if must be a string or a boolean, got %s", path, typeName(p.val)), "write e.g. `if: ${{ parameters.publish }}`")
			}
		}
	}
}

// checkRef checks an entity reference. Backstage's processor parses the
// references of relation fields with parseEntityRef: an empty part, or no
// kind where the field has no default kind (dependsOn, dependencyOf), makes
// it reject the entity. Whether the reference names an entity of a sensible
// kind with a valid name is Switchboard's own check (a warning).
func (c *checker) checkRef(path string, n *yaml.Node, s string, f specField) {
	r, err := ParseRef(s, f.defaultKind, DefaultNamespace)
	if err != nil {
		rule := RuleEntityRef
		if !f.relation {
			rule = RuleRefFormat
		}
		c.at(rule, n, fmt.Sprintf("%s %q is not an entity reference: want [kind:][namespace/]name with no empty part", path, clip(s)), "write e.g. `group:payments` or `payments`")
		return
	}
	if r.Kind == "" {
		c.at(RuleEntityRef, n, fmt.Sprintf("%s %q has no kind: Backstage needs one in %s, since it cannot tell what the name refers to", path, clip(s), lastSegment(strings.Split(path, "[")[0])),
			fmt.Sprintf("write the kind, e.g. `resource:%s` or `component:%s`", clip(s), clip(s)))
		return
	}
	example := cmp.Or(f.defaultKind, "component") + ":<name>"
	if len(f.kinds) > 0 {
		example = f.kinds[0] + ":<name>"
	}
	expected := strings.Join(f.kinds, " or ")
	switch {
	case !ValidName(r.Name):
		c.at(RuleRefFormat, n, fmt.Sprintf("%s %q does not name a valid entity: %q is not 1-63 characters of [A-Za-z0-9] separated by [-_.]", path, clip(s), clip(r.Name)),
			"reference the entity by its metadata.name, e.g. `"+example+"`")
	case !ValidNamespace(r.Namespace):
		c.at(RuleRefFormat, n, fmt.Sprintf("%s %q names namespace %q, which is not a valid namespace", path, clip(s), clip(r.Namespace)),
			"use a lower-case namespace, or leave it out for `default`")
	case len(f.kinds) > 0 && !slices.Contains(f.kinds, r.Kind):
		c.at(RuleRefFormat, n, fmt.Sprintf("%s %q names %s; expected %s", path, clip(s), article(r.Kind), expected),
			fmt.Sprintf("reference %s, e.g. `%s`", article(f.kinds[0]), example))
	}
}
