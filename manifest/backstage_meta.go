package manifest

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// backstageMetadata decodes metadata into d and returns the annotation value
// nodes by key. It applies Backstage's EntityMeta schema and
// FieldFormatEntityPolicy: a field that is present must have its type, even
// when its value is empty (`tags:` is null, not an empty list), except
// annotations, which Backstage's processing replaces with {} when null.
func (c *checker) backstageMetadata(d *decoded, root, k, v *yaml.Node, kind string) map[string]*yaml.Node {
	e := &d.entity
	if k == nil {
		c.atField(RuleRequired, root, "metadata", "metadata is missing: every entity needs metadata.name", "add `metadata:` with `name: <entity-name>` under it")
		return nil
	}
	d.pos["metadata"] = posOf(k)
	if isNull(v) {
		c.atField(RuleRequired, k, "metadata.name", "metadata.name is missing: metadata is empty", "add `name: <entity-name>` under metadata")
		return nil
	}
	m := resolve(v)
	if m == nil || m.Kind != yaml.MappingNode {
		c.at(RuleFieldType, v, "metadata must be a mapping, got "+typeName(v), "write `metadata:` with `name: <entity-name>` indented under it")
		return nil
	}
	var annotations map[string]*yaml.Node
	named := false
	for _, p := range pairs(m) {
		switch key := keyText(p.key); key {
		case "name":
			named = true
			c.metadataName(d, p)
		case "namespace":
			c.metadataNamespace(d, p)
		case "title":
			e.Title = c.nonEmptyString("metadata.title", p, "give it a title, e.g. `title: Payments API`, or remove `title:`")
		case "description":
			e.Description = c.metaString("metadata.description", p, "write the description, or remove `description:`")
		case "uid", "etag":
			c.nonEmptyString("metadata."+key, p, "remove `"+key+":`: the catalog sets it")
		case "generation":
			// Set by the catalog; Backstage accepts any value in a file.
		case "labels":
			var nodes map[string]*yaml.Node
			e.Labels, nodes = c.stringMap("metadata.labels", p, RuleLabelFormat, validLabelKey, validLabelValue)
			for _, k := range []string{"tier", "language", "framework"} {
				if n, ok := nodes[k]; ok {
					d.pos[k] = posOf(n)
				}
			}
		case "annotations":
			e.Annotations, annotations = c.stringMap("metadata.annotations", p, RuleAnnotationFormat, validAnnotationKey, nil)
		case "tags":
			e.Tags = c.tags(p)
		case "links":
			e.Links = c.links(p)
		case "<<":
			c.at(RuleUnknownKey, p.key, "metadata has a YAML merge key `<<`: Backstage does not expand merge keys, so the fields it would merge are not read",
				"write the fields out instead of merging them with `<<: *anchor`")
		default:
			c.unknownKey("metadata", key, p.key, metadataKeys(), specOnlyKeys(kind), "spec")
		}
	}
	if !named {
		c.atField(RuleRequired, k, "metadata.name", "metadata.name is missing", "add `name: <entity-name>` under metadata")
	}
	return annotations
}

func (c *checker) metadataName(d *decoded, p pair) {
	v := p.val
	switch {
	case isNull(v):
		c.at(RuleRequired, p.key, "metadata.name is empty", "give the entity a name, e.g. `name: payments-api`")
		return
	case !isString(v) || unknownText(v):
		// The envelope is checked before placeholders are read: no $text here.
		c.at(RuleFieldType, v, "metadata.name must be a string, got "+typeName(v), quoteFix("name", v))
		return
	}
	s := text(v)
	d.pos["name"] = posOf(v)
	d.entity.Name = s
	if s == "" {
		c.at(RuleRequired, v, "metadata.name is empty", "give the entity a name, e.g. `name: payments-api`")
		return
	}
	if !ValidName(s) {
		fix := "use 1-63 characters of [A-Za-z0-9] separated by '-', '_' or '.'"
		if sug := sanitizeName(s, false); sug != "" {
			fix = fmt.Sprintf("rename it, e.g. `name: %s`", sug)
		}
		c.at(RuleNameFormat, v, fmt.Sprintf("metadata.name %q is not a valid name: 1-63 characters of [A-Za-z0-9] separated by '-', '_' or '.'", clip(s)), fix)
	}
}

func (c *checker) metadataNamespace(d *decoded, p pair) {
	v := p.val
	if isNull(v) {
		c.at(RuleFieldType, p.key, "metadata.namespace is empty: Backstage needs a namespace name here", "write `namespace: <name>`, or remove `namespace:` for `default`")
		return
	}
	if !isString(v) || unknownText(v) {
		c.at(RuleFieldType, v, "metadata.namespace must be a string, got "+typeName(v), quoteFix("namespace", v))
		return
	}
	s := text(v)
	d.pos["namespace"] = posOf(v)
	if !ValidNamespace(s) {
		fix := "use lower-case [a-z0-9] separated by '-', or remove `namespace:` for `default`"
		if sug := sanitizeName(s, true); sug != "" {
			fix = fmt.Sprintf("write `namespace: %s`", sug)
		}
		c.at(RuleNamespaceFormat, v, fmt.Sprintf("metadata.namespace %q is not valid: lower-case [a-z0-9] separated by '-', at most 63 characters", clip(s)), fix)
		if s == "" {
			return
		}
	}
	d.entity.Namespace = s
}

// metaString returns the string at p.val, which may be empty but must be a
// string when the key is there (metadata.description).
func (c *checker) metaString(path string, p pair, fix string) string {
	switch {
	case unknownText(p.val):
		return ""
	case isNull(p.val):
		c.at(RuleFieldType, p.key, path+" is empty: when it is there, it must be a string", fix)
		return ""
	case !isString(p.val):
		c.at(RuleFieldType, p.val, path+" must be a string, got "+typeName(p.val), quoteFix(lastSegment(path), p.val))
		return ""
	}
	return text(p.val)
}

// nonEmptyString returns the string at p.val, which must be a non-empty
// string when the key is there (metadata.title, uid, etag).
func (c *checker) nonEmptyString(path string, p pair, fix string) string {
	s := c.metaString(path, p, fix)
	if s == "" && isString(p.val) && !unknownText(p.val) {
		c.at(RuleFieldType, p.val, path+" is an empty string: when it is there, it must not be empty", fix)
	}
	return s
}

// stringMap reads a mapping of string values (labels, annotations), checking
// keys and values with validKey and validValue (nil: any string). A null
// mapping is an error for labels; annotations that JavaScript deems false
// (null, "", 0, false) are accepted, as Backstage replaces them with {}.
func (c *checker) stringMap(path string, p pair, rule string, validKey, validValue func(string) bool) (map[string]string, map[string]*yaml.Node) {
	v := p.val
	if path == "metadata.annotations" && falsy(v) {
		return nil, nil
	}
	if isNull(v) {
		if path != "metadata.annotations" {
			c.at(RuleFieldType, p.key, path+" is empty: when it is there, it must be a mapping of key: value", "write one `key: value` per line under "+lastSegment(path)+", or remove it")
		}
		return nil, nil
	}
	m := resolve(v)
	if m == nil || m.Kind != yaml.MappingNode {
		c.at(RuleFieldType, v, path+" must be a mapping of key: value, got "+typeName(v), "write one `key: value` per line under "+lastSegment(path))
		return nil, nil
	}
	out := map[string]string{}
	nodes := map[string]*yaml.Node{}
	for _, p := range pairs(m) {
		key := keyText(p.key)
		if !validKey(key) {
			c.at(rule, p.key, fmt.Sprintf("%s key %q is not valid: [prefix/]name, where prefix is a lower-case DNS name and name is 1-63 characters of [A-Za-z0-9] separated by [-_.]", path, clip(key)),
				"rename the key, e.g. `example.com/my-key`")
		}
		if !isString(p.val) {
			c.at(rule, p.val, fmt.Sprintf("%s %q must be a string, got %s", path, clip(key), typeName(p.val)), quoteFix(key, p.val))
			continue
		}
		s := text(p.val)
		if validValue != nil && !unknownText(p.val) && !validValue(s) {
			fix := "use 1-63 characters of [A-Za-z0-9] separated by [-_.], or an empty string"
			if sug := sanitizeName(s, false); sug != "" {
				fix = fmt.Sprintf("write `%s: %s`", clip(key), sug)
			}
			c.at(rule, p.val, fmt.Sprintf("%s %q value %q is not valid: 1-63 characters of [A-Za-z0-9] separated by [-_.]", path, clip(key), clip(s)), fix)
		}
		out[key] = s
		nodes[key] = p.val
	}
	return out, nodes
}

// tags reads metadata.tags.
func (c *checker) tags(p pair) []string {
	v := p.val
	if isNull(v) {
		c.at(RuleFieldType, p.key, "metadata.tags is empty: when it is there, it must be a list", "write `tags: [java, payments]`, or remove `tags:`")
		return nil
	}
	if kindOf(v) != yaml.SequenceNode {
		c.at(RuleFieldType, v, "metadata.tags must be a list of strings, got "+typeName(v), "write `tags: [java, payments]`")
		return nil
	}
	var out []string
	for i, it := range items(v) {
		if !isString(it) {
			c.at(RuleFieldType, it, fmt.Sprintf("metadata.tags[%d] must be a string, got %s", i, typeName(it)), quoteFix("", it))
			continue
		}
		s := text(it)
		if !unknownText(it) && !validTag(s) {
			fix := "use lower-case [a-z0-9:+#] separated by '-', at most 63 characters"
			if sug := sanitizeTag(s); sug != "" {
				fix = fmt.Sprintf("write `%s`", sug)
			}
			c.at(RuleTagFormat, it, fmt.Sprintf("tag %q is not valid: lower-case [a-z0-9:+#] separated by '-', at most 63 characters", clip(s)), fix)
		}
		out = append(out, s)
	}
	return out
}

// sanitizeTag suggests a valid tag for s.
func sanitizeTag(s string) string {
	return sanitize(strings.ToLower(s), func(r rune) bool {
		return asciiLowerOrDigit(r) || r == ':' || r == '+' || r == '#'
	}, "-")
}

// links reads metadata.links.
func (c *checker) links(p pair) Links {
	var out Links
	v := p.val
	if isNull(v) {
		c.at(RuleFieldType, p.key, "metadata.links is empty: when it is there, it must be a list of {url, title}", "write `links:` then `- url: https://...` and `title: ...` under it, or remove `links:`")
		return out
	}
	if kindOf(v) != yaml.SequenceNode {
		c.at(RuleFieldType, v, "metadata.links must be a list of {url, title}, got "+typeName(v), "write `links:` then `- url: https://...` and `title: ...` under it")
		return out
	}
	for i, it := range items(v) {
		path := fmt.Sprintf("metadata.links[%d]", i)
		m := resolve(it)
		if m == nil || m.Kind != yaml.MappingNode {
			c.at(RuleFieldType, it, path+" must be a mapping with url and title, got "+typeName(it), "write `- url: https://...` then `title: ...`")
			continue
		}
		var l Link
		ok := true
		for _, p := range pairs(m) {
			switch key := keyText(p.key); key {
			case "url":
				l.URL, ok = c.linkURL(path, p)
			case "title", "icon":
				// FieldFormatEntityPolicy: a non-blank string when present.
				if !isString(p.val) || (strings.TrimSpace(text(p.val)) == "" && !unknownText(p.val)) {
					at := p.val
					if isNull(p.val) {
						at = p.key
					}
					c.at(RuleLinkFormat, at, fmt.Sprintf("%s.%s must be a non-empty string, got %s", path, key, describe(p.val)),
						fmt.Sprintf("write e.g. `%s: %s`, or remove it", key, map[string]string{"title": "Runbook", "icon": "dashboard"}[key]))
					continue
				}
				if key == "title" {
					l.Title = text(p.val)
				} else {
					l.Icon = text(p.val)
				}
			case "type":
				if !isString(p.val) || (text(p.val) == "" && !unknownText(p.val)) {
					at := p.val
					if isNull(p.val) {
						at = p.key
					}
					c.at(RuleLinkFormat, at, fmt.Sprintf("%s.type must be a non-empty string, got %s", path, describe(p.val)), "write e.g. `type: runbook`, or remove it")
					continue
				}
				l.Type = text(p.val)
			default:
				c.unknownKey(path, key, p.key, linkKeys(), nil, "")
			}
		}
		if k, _ := lookup(m, "url"); k == nil {
			c.at(RuleLinkFormat, it, path+".url is missing", "add `url: https://...` to the link")
			continue
		}
		if ok {
			addLink(&out, l)
		}
	}
	return out
}

// describe names the type of n, and says "an empty string" for "".
func describe(n *yaml.Node) string {
	if isString(n) && strings.TrimSpace(text(n)) == "" {
		return "an empty string"
	}
	return typeName(n)
}

func (c *checker) linkURL(path string, p pair) (string, bool) {
	const fix = "write the full address, e.g. `url: https://grafana.example.com/d/payments`"
	if !isString(p.val) {
		at := p.val
		if isNull(p.val) {
			at = p.key
		}
		c.at(RuleLinkFormat, at, path+".url must be a URL string, got "+typeName(p.val), fix)
		return "", false
	}
	s := text(p.val)
	if !unknownText(p.val) && !validURL(s) {
		c.at(RuleLinkFormat, p.val, fmt.Sprintf("%s.url %q is not an absolute URL", path, clip(s)), fix)
		return s, false
	}
	return s, true
}
