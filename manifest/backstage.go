package manifest

import (
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
		c.at(RuleAPIVersion, root, "not a Backstage entity: apiVersion, kind and metadata are missing"+hint+", so Backstage rejects this document",
			"describe the entity with apiVersion, kind, metadata and spec, or move this file out of the catalog's way")
		return d, false
	}
	for _, p := range pairs(root) {
		if k := keyText(p.key); !slices.Contains(rootKeys(), k) {
			c.rootField(k, p.key)
		}
	}
	c.placeholders(root)
	c.keyCase(root)
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
	case key == "relations" || key == "status":
		c.at(RuleRootField, n, fmt.Sprintf("%q is set by the catalog, not written in a descriptor: Backstage rejects an entity that declares it", key),
			fmt.Sprintf("remove `%s:`; to relate entities, use spec fields such as `dependsOn` or `owner`", key))
	case key == "<<":
		c.at(RuleRootField, n, "`<<` (a YAML merge key) is not a top-level field: Backstage does not expand merge keys, so it reads `<<` as a field of its own and rejects the entity",
			"write the fields out instead of merging them with `<<: *anchor`")
	case slices.Contains(metadataKeys(), key):
		c.at(RuleRootField, n, fmt.Sprintf("%q is not a top-level field of a Backstage entity; it belongs under metadata", clip(key)),
			fmt.Sprintf("indent `%s:` under `metadata:`", clip(key)))
	case isSpecKey(key):
		c.at(RuleRootField, n, fmt.Sprintf("%q is not a top-level field of a Backstage entity; it belongs under spec", clip(key)),
			fmt.Sprintf("indent `%s:` under `spec:`", clip(key)))
	default:
		fix := "remove it: only apiVersion, kind, metadata and spec are allowed at the top level"
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
	fix2 := "use one of Backstage's kinds: Component, API, Resource, System, Domain, Group, User, Location, Template"
	if m := DidYouMean(s, builtinKinds()); m != "" {
		fix2 = fmt.Sprintf("did you mean `kind: %s`?", m)
	}
	c.at(RuleUnknownKind, v, fmt.Sprintf("kind %q is not one Backstage knows: no processor accepts it, so the entity never reaches the catalog", clip(s)), fix2)
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
