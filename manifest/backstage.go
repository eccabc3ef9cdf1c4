package manifest

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// decoded is an entity and where its fields are in the file, for later checks.
type decoded struct {
	entity Entity
	// pos maps a field ("name", "lifecycle", "spec", "metadata", "root", ...)
	// to its position.
	pos map[string]Pos
}

// posOr returns the position of the first of fields that is known, else the
// entity's position.
func (d decoded) posOr(fields ...string) Pos {
	for _, f := range fields {
		if p, ok := d.pos[f]; ok {
			return p
		}
	}
	return d.entity.Pos
}

// backstageEntity decodes and validates one Backstage document. It returns
// false when the document declares no identifiable entity.
func (c *checker) backstageEntity(root *yaml.Node) (decoded, bool) {
	d := decoded{pos: map[string]Pos{}}
	e := &d.entity
	e.Pos = posOf(root)
	e.Namespace = DefaultNamespace
	d.pos["root"] = e.Pos
	if root.Kind != yaml.MappingNode {
		c.at(RuleNotAMapping, root, fmt.Sprintf("this document is %s; a Backstage entity is a mapping with apiVersion, kind, metadata and spec", typeName(root)),
			"start the document with `apiVersion: backstage.io/v1alpha1` and `kind: Component`")
		return d, false
	}
	apiK, apiV := lookup(root, "apiVersion")
	kindK, kindV := lookup(root, "kind")
	metaK, metaV := lookup(root, "metadata")
	specK, specV := lookup(root, "spec")
	if apiK == nil && kindK == nil && metaK == nil {
		hint := ""
		if looksOpsLevel(root) {
			hint = " (it looks like an OpsLevel descriptor, which belongs in opslevel.yml)"
		}
		c.at(RuleNotADescriptor, root, "not a Backstage entity: no apiVersion, kind or metadata"+hint+"; Switchboard ignores this document",
			"describe the entity with apiVersion, kind, metadata and spec, or move this file out of the catalog's way")
		return d, false
	}
	for _, p := range pairs(root) {
		if k := keyText(p.key); !slices.Contains(rootKeys(), k) {
			c.rootField(k, p.key)
		}
	}
	kind, builtin := c.backstageKind(root, kindK, kindV)
	e.Kind = kind
	e.APIVersion = c.backstageAPIVersion(root, apiK, apiV, kind, builtin)
	annotations := c.backstageMetadata(&d, root, metaK, metaV, kind)
	c.backstageSpec(&d, root, specK, specV, kind, builtin)
	c.readAnnotations(&d, annotations)
	if e.Tier == "" {
		e.Tier = e.Labels["tier"]
	}
	if e.Language == "" {
		e.Language = e.Labels["language"]
	}
	if e.Framework == "" {
		e.Framework = e.Labels["framework"]
	}
	return d, e.Kind != "" && e.Name != ""
}

// rootField reports a top-level key Backstage does not allow.
func (c *checker) rootField(key string, n *yaml.Node) {
	if c.full() {
		c.at(RuleRootField, n, "", "")
		return
	}
	switch {
	case slices.Contains(metadataKeys(), key):
		c.at(RuleRootField, n, fmt.Sprintf("%q is not a top-level field of a Backstage entity; it belongs under metadata", clip(key)),
			fmt.Sprintf("indent `%s:` under `metadata:`", clip(key)))
	case isSpecKey(key):
		c.at(RuleRootField, n, fmt.Sprintf("%q is not a top-level field of a Backstage entity; it belongs under spec", clip(key)),
			fmt.Sprintf("indent `%s:` under `spec:`", clip(key)))
	default:
		fix := "remove it: only apiVersion, kind, metadata, spec, relations and status are allowed at the top level"
		if m := DidYouMean(key, rootKeys()); m != "" {
			fix = fmt.Sprintf("did you mean `%s`? rename it", m)
		}
		c.at(RuleRootField, n, fmt.Sprintf("%q is not a top-level field of a Backstage entity", clip(key)), fix)
	}
}

// isSpecKey reports whether key is a spec field of any built-in kind.
func isSpecKey(key string) bool {
	for _, k := range builtinKinds() {
		for _, f := range specFields(k) {
			if f.name == key {
				return true
			}
		}
	}
	return false
}

// backstageKind checks kind and returns it (canonical spelling for a built-in
// kind) and whether it is a built-in kind Switchboard validates.
func (c *checker) backstageKind(root, k, v *yaml.Node) (string, bool) {
	const fix = "add `kind: Component` (or API, Resource, System, Domain, Group, User, Location)"
	switch {
	case k == nil:
		c.at(RuleKind, root, "kind is missing", fix)
		return "", false
	case isNull(v):
		c.at(RuleKind, k, "kind is empty", fix)
		return "", false
	case !isString(v):
		c.at(RuleKind, v, "kind must be a string, got "+typeName(v), fix)
		return "", false
	}
	s := text(v)
	if !validKind(s) {
		c.at(RuleKind, v, fmt.Sprintf("kind %q is not valid: a letter then letters or digits, at most 63 characters", clip(s)), fix)
		return "", false
	}
	for _, b := range builtinKinds() {
		if s == b {
			return b, true
		}
		if strings.EqualFold(s, b) {
			c.at(RuleKind, v, fmt.Sprintf("kind %q must be spelled %q", s, b), fmt.Sprintf("write `kind: %s`", b))
			return b, true
		}
	}
	fix2 := "Switchboard reads Component, API, Resource, System, Domain, Group, User, Location and Template"
	if m := DidYouMean(s, builtinKinds()); m != "" {
		fix2 = fmt.Sprintf("did you mean `kind: %s`?", m)
	}
	c.at(RuleUnknownKind, v, fmt.Sprintf("kind %q is not one Switchboard reads; the entity is kept but its spec is not checked", clip(s)), fix2)
	return s, false
}

// backstageAPIVersion checks apiVersion and returns it.
func (c *checker) backstageAPIVersion(root, k, v *yaml.Node, kind string, builtin bool) string {
	const fix = "add `apiVersion: backstage.io/v1alpha1`"
	switch {
	case k == nil:
		c.at(RuleAPIVersion, root, "apiVersion is missing", fix)
		return ""
	case isNull(v):
		c.at(RuleAPIVersion, k, "apiVersion is empty", fix)
		return ""
	case !isString(v):
		c.at(RuleAPIVersion, v, "apiVersion must be a string, got "+typeName(v), fix)
		return ""
	}
	s := text(v)
	if !validAPIVersion(s) {
		c.at(RuleAPIVersion, v, fmt.Sprintf("apiVersion %q is not valid: [dns-subdomain/]version", clip(s)), "write `apiVersion: backstage.io/v1alpha1`")
		return s
	}
	if allowed := apiVersions(kind); builtin && allowed != nil && !slices.Contains(allowed, s) {
		c.at(RuleAPIVersion, v, fmt.Sprintf("apiVersion %q is not one Backstage accepts for a %s (%s)", clip(s), kind, strings.Join(allowed, " or ")),
			"write `apiVersion: "+allowed[0]+"`")
	}
	return s
}

// backstageMetadata decodes metadata into d and returns the annotation value
// nodes by key.
func (c *checker) backstageMetadata(d *decoded, root, k, v *yaml.Node, kind string) map[string]*yaml.Node {
	e := &d.entity
	if k == nil {
		c.at(RuleRequired, root, "metadata is missing: every entity needs metadata.name", "add `metadata:` with `name: <entity-name>` under it")
		return nil
	}
	d.pos["metadata"] = posOf(k)
	if isNull(v) {
		c.at(RuleRequired, k, "metadata.name is missing: metadata is empty", "add `name: <entity-name>` under metadata")
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
			e.Title = c.optString("metadata.title", p.val)
		case "description":
			e.Description = c.optString("metadata.description", p.val)
		case "labels":
			var nodes map[string]*yaml.Node
			e.Labels, nodes = c.stringMap("metadata.labels", p.val, RuleLabelFormat, validLabelKey, validLabelValue)
			for _, k := range []string{"tier", "language", "framework"} {
				if n, ok := nodes[k]; ok {
					d.pos[k] = posOf(n)
				}
			}
		case "annotations":
			e.Annotations, annotations = c.stringMap("metadata.annotations", p.val, RuleAnnotationFormat, validAnnotationKey, nil)
		case "tags":
			e.Tags = c.tags(p.val)
		case "links":
			e.Links = c.links(p.val)
		case "uid", "etag", "generation":
			// Set by the catalog; harmless in a file.
		default:
			c.unknownKey("metadata", key, p.key, metadataKeys(), specOnlyKeys(kind), "spec")
		}
	}
	if !named {
		c.at(RuleRequired, k, "metadata.name is missing", "add `name: <entity-name>` under metadata")
	}
	return annotations
}

func (c *checker) metadataName(d *decoded, p pair) {
	v := p.val
	switch {
	case isNull(v):
		c.at(RuleRequired, p.key, "metadata.name is empty", "give the entity a name, e.g. `name: payments-api`")
		return
	case !isString(v):
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
		return
	}
	if !isString(v) {
		c.at(RuleFieldType, v, "metadata.namespace must be a string, got "+typeName(v), quoteFix("namespace", v))
		return
	}
	s := text(v)
	d.pos["namespace"] = posOf(v)
	if !ValidNamespace(s) {
		fix := "use lower-case [a-z0-9] separated by '-', or leave namespace out for `default`"
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

// optString returns the string at v, reporting a type error; null is "".
func (c *checker) optString(path string, v *yaml.Node) string {
	if isNull(v) {
		return ""
	}
	if !isString(v) {
		c.at(RuleFieldType, v, path+" must be a string, got "+typeName(v), quoteFix(lastSegment(path), v))
		return ""
	}
	return text(v)
}

// stringMap reads a mapping of string values (labels, annotations), checking
// keys and values with validKey and validValue (nil: any string).
func (c *checker) stringMap(path string, v *yaml.Node, rule string, validKey, validValue func(string) bool) (map[string]string, map[string]*yaml.Node) {
	if isNull(v) {
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
		if validValue != nil && !validValue(s) {
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
func (c *checker) tags(v *yaml.Node) []string {
	if isNull(v) {
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
		if !validTag(s) {
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
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r < 128 && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == ':' || r == '+' || r == '#') {
			b.WriteRune(r)
			dash = false
			continue
		}
		if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	out := strings.Trim(b.String(), "-")
	if len(out) > 63 {
		out = strings.Trim(out[:63], "-")
	}
	return out
}

// links reads metadata.links.
func (c *checker) links(v *yaml.Node) Links {
	var out Links
	if isNull(v) {
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
			case "title":
				if !isNull(p.val) && (!isString(p.val) || strings.TrimSpace(text(p.val)) == "") {
					c.at(RuleLinkFormat, p.val, path+".title must be a non-empty string, got "+typeName(p.val), "give the link a title, e.g. `title: Runbook`")
					continue
				}
				l.Title = text(p.val)
			case "icon":
				if !isNull(p.val) && (!isString(p.val) || !ValidName(text(p.val))) {
					c.at(RuleLinkFormat, p.val, path+".icon must be an icon name such as `dashboard`, `docs` or `github`", "write e.g. `icon: dashboard`, or remove it")
					continue
				}
				l.Icon = text(p.val)
			case "type":
				l.Type = c.optString(path+".type", p.val)
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

func (c *checker) linkURL(path string, p pair) (string, bool) {
	const fix = "write the full address, e.g. `url: https://grafana.example.com/d/payments`"
	if !isString(p.val) {
		c.at(RuleLinkFormat, p.key, path+".url must be a URL string, got "+typeName(p.val), fix)
		return "", false
	}
	s := text(p.val)
	if !validURL(s) {
		c.at(RuleLinkFormat, p.val, fmt.Sprintf("%s.url %q is not an absolute URL", path, clip(s)), fix)
		return s, false
	}
	return s, true
}

// backstageSpec decodes and validates the spec of a built-in kind.
func (c *checker) backstageSpec(d *decoded, root, k, v *yaml.Node, kind string, builtin bool) {
	fields := specFields(kind)
	if !builtin {
		fields = nil
	}
	if k == nil {
		if builtin {
			c.at(RuleRequired, root, fmt.Sprintf("spec is missing: a %s needs a spec%s", kind, neededFields(fields)), "add `spec:` with the fields of a "+kind)
		}
		return
	}
	d.pos["spec"] = posOf(k)
	if isNull(v) {
		if !builtin {
			return
		}
		missing := false
		for _, f := range fields {
			if f.required {
				missing = true
				c.at(RuleRequired, k, fmt.Sprintf("spec.%s is missing: spec is empty; a %s needs%s", f.name, kind, neededFields(fields)), fmt.Sprintf("add `%s: %s` under spec", f.name, f.example))
			}
		}
		if !missing {
			c.at(RuleFieldType, k, "spec must be a mapping, got null", "add the fields of a "+kind+" under spec, or remove `spec:`")
		}
		return
	}
	m := resolve(v)
	if m == nil || m.Kind != yaml.MappingNode {
		c.at(RuleFieldType, v, "spec must be a mapping, got "+typeName(v), "indent the fields of a "+kind+" under `spec:`")
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
		if key := keyText(p.key); !slices.Contains(names, key) {
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

// specField decodes one field of spec into d.
func (c *checker) specField(d *decoded, specKey, spec *yaml.Node, f specField, kind string, fields []specField) {
	fk, fv := lookup(spec, f.name)
	path := "spec." + f.name
	if fk == nil || isNull(fv) {
		if f.required {
			at := specKey
			if fk != nil {
				at = fk
			}
			c.at(RuleRequired, at, fmt.Sprintf("%s is missing: a %s needs%s", path, kind, neededFields(fields)), fmt.Sprintf("add `%s: %s` under spec", f.name, f.example))
		}
		return
	}
	d.pos[f.name] = posOf(fv)
	switch f.typ {
	case ftString, ftRef:
		s, ok := c.stringField(path, fv)
		if !ok {
			return
		}
		if s == "" {
			c.at(RuleRequired, fv, path+" is empty", fmt.Sprintf("give %s a value, or remove it", path))
			return
		}
		if f.typ == ftRef {
			c.checkRef(path, fv, s, f)
		}
		setSpecString(&d.entity, f.name, s)
	case ftRefList, ftStringList:
		if kindOf(fv) != yaml.SequenceNode {
			c.at(RuleFieldType, fv, fmt.Sprintf("%s must be a list, got %s", path, typeName(fv)), fmt.Sprintf("write `%s: [%s]`", f.name, exampleItem(fv)))
			return
		}
		var list []string
		for i, it := range items(fv) {
			ip := fmt.Sprintf("%s[%d]", path, i)
			s, ok := c.stringField(ip, it)
			if !ok {
				continue
			}
			if s == "" {
				c.at(RuleRequired, it, ip+" is empty", "remove the empty item")
				continue
			}
			if f.typ == ftRefList {
				c.checkRef(ip, it, s, f)
			}
			list = append(list, s)
		}
		setSpecList(&d.entity, f.name, list)
	case ftMapping:
		c.profile(d, path, fv)
	case ftText:
		if !isString(fv) && !isPlaceholder(fv) {
			c.at(RuleFieldType, fv, path+" must be a string or {$text: <file or URL>}, got "+typeName(fv), "write `definition: {$text: ./openapi.yaml}` or the definition as a block string (`definition: |`)")
		}
	case ftList:
		if kindOf(fv) != yaml.SequenceNode {
			c.at(RuleFieldType, fv, fmt.Sprintf("%s must be a list, got %s", path, typeName(fv)), "write the items as `- ...` under "+f.name)
		}
	}
}

// exampleItem renders the scalar at n for a "write [x]" fix.
func exampleItem(n *yaml.Node) string {
	if r := resolve(n); r != nil && r.Kind == yaml.ScalarNode && r.Value != "" {
		return clip(r.Value)
	}
	return "..."
}

// isPlaceholder reports whether n is a Backstage placeholder, a mapping with
// one key such as $text, $json or $yaml that the catalog substitutes.
func isPlaceholder(n *yaml.Node) bool {
	ps := pairs(n)
	return len(ps) == 1 && strings.HasPrefix(keyText(ps[0].key), "$")
}

// stringField returns the string at n, reporting a type error.
func (c *checker) stringField(path string, n *yaml.Node) (string, bool) {
	if isString(n) {
		return text(n), true
	}
	if isPlaceholder(n) {
		return "", false
	}
	c.at(RuleFieldType, n, path+" must be a string, got "+typeName(n), quoteFix(lastSegment(path), n))
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
		case "displayName":
			d.entity.DisplayName = c.optString(path+".displayName", p.val)
		case "email":
			d.entity.Email = c.optString(path+".email", p.val)
		case "picture":
			c.optString(path+".picture", p.val)
		default:
			c.unknownKey(path, key, p.key, profileKeys(), nil, "")
		}
	}
}

// checkRef checks an entity reference.
func (c *checker) checkRef(path string, n *yaml.Node, s string, f specField) {
	r, err := ParseRef(s, f.defaultKind, DefaultNamespace)
	if err != nil {
		c.at(RuleEntityRef, n, fmt.Sprintf("%s %q is not an entity reference: want [kind:][namespace/]name", path, clip(s)), "write e.g. `group:payments` or `payments`")
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

func setSpecString(e *Entity, field, s string) {
	switch field {
	case "type":
		e.Type = s
	case "lifecycle":
		e.Lifecycle = s
	case "owner":
		e.Owner = s
	case "system":
		e.System = s
	case "domain", "subdomainOf":
		e.Domain = s
	case "subcomponentOf":
		e.SubcomponentOf = s
	case "parent":
		e.Parent = s
	case "tier":
		e.Tier = s
	case "language":
		e.Language = s
	case "framework":
		e.Framework = s
	case "target":
		e.Targets = append([]string{s}, e.Targets...)
	}
}

func setSpecList(e *Entity, field string, list []string) {
	switch field {
	case "providesApis":
		e.ProvidesAPIs = list
	case "consumesApis":
		e.ConsumesAPIs = list
	case "dependsOn":
		e.DependsOn = list
	case "dependencyOf":
		e.DependencyOf = list
	case "children":
		e.Children = list
	case "members":
		e.Members = list
	case "memberOf":
		e.MemberOf = list
	case "targets":
		e.Targets = append(e.Targets, list...)
	}
}

// specOnlyKeys returns the spec keys of kind that are not metadata keys, to
// tell a user who put one under metadata where it belongs.
func specOnlyKeys(kind string) []string {
	var out []string
	for _, f := range specFields(kind) {
		if !slices.Contains(metadataKeys(), f.name) {
			out = append(out, f.name)
		}
	}
	return out
}

// unknownKey reports a key Switchboard does not know in section. When the key
// is one of elsewhere's, the fix says to move it to otherSection.
func (c *checker) unknownKey(section, key string, n *yaml.Node, known, elsewhere []string, otherSection string) {
	if c.full() {
		c.at(RuleUnknownKey, n, "", "")
		return
	}
	path := key
	if section != "" {
		path = section + "." + key
	}
	if key == "" {
		c.at(RuleUnknownKey, n, fmt.Sprintf("%s has a key that is not text; Switchboard ignores it", section), "use plain text keys")
		return
	}
	if slices.Contains(elsewhere, key) {
		c.at(RuleUnknownKey, n, fmt.Sprintf("%s is not a %s field; it belongs under %s", clip(path), section, otherSection),
			fmt.Sprintf("move `%s:` under `%s:`", clip(key), otherSection))
		return
	}
	if m := DidYouMean(key, known); m != "" {
		c.at(RuleUnknownKey, n, fmt.Sprintf("unknown key %s: did you mean %s?", clip(path), m), fmt.Sprintf("rename `%s` to `%s`", clip(key), m))
		return
	}
	c.at(RuleUnknownKey, n, fmt.Sprintf("unknown key %s: Switchboard ignores it", clip(path)), "check the spelling, or remove it if it is not needed (known keys: "+strings.Join(known, ", ")+")")
}

// quoteFix suggests how to turn the value at n into a string.
func quoteFix(key string, n *yaml.Node) string {
	r := resolve(n)
	if r != nil && r.Kind == yaml.ScalarNode && r.Tag != "!!null" {
		if key == "" {
			return fmt.Sprintf("quote it: `\"%s\"`", clip(r.Value))
		}
		return fmt.Sprintf("quote it: `%s: \"%s\"`", clip(key), clip(r.Value))
	}
	return "write a single text value"
}

// lastSegment returns the part of a dotted path after the last '.'.
func lastSegment(path string) string {
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[i+1:]
	}
	return path
}

// clip shortens s for a message.
func clip(s string) string { return clipN(s, 60) }

// clipN shortens s to about limit bytes, on a rune boundary.
func clipN(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && !utf8RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// article prefixes a noun with "a" or "an".
func article(noun string) string {
	if noun != "" && strings.ContainsRune("aeiouAEIOU", rune(noun[0])) {
		return "an " + noun
	}
	return "a " + noun
}

// looksOpsLevel reports whether mapping root has OpsLevel's top-level keys.
func looksOpsLevel(root *yaml.Node) bool {
	for _, k := range []string{"service", "component", "repository"} {
		if key, _ := lookup(root, k); key != nil {
			return true
		}
	}
	return false
}
