package manifest

import (
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

func opsLevelRootKeys() []string { return []string{"version", "service", "component", "repository"} }

func opsLevelServiceKeys() []string {
	return []string{
		"name", "description", "owner", "lifecycle", "tier", "product", "language", "framework",
		"system", "type", "aliases", "tags", "tools", "repositories", "dependencies", "alert_sources", "properties",
	}
}

func opsLevelRepositoryKeys() []string { return []string{"owner", "tier", "tags"} }

// opsLevelDoc decodes and validates one opslevel.yml document.
func (c *checker) opsLevelDoc(root *yaml.Node) (decoded, bool) {
	d := decoded{pos: map[string]Pos{}}
	d.entity.Pos = posOf(root)
	d.entity.Namespace = DefaultNamespace
	if root.Kind != yaml.MappingNode {
		c.at(RuleNotAMapping, root, fmt.Sprintf("this document is %s; opslevel.yml is a mapping with version: 1 and a service: or component: section", typeName(root)),
			"start the file with `version: 1` then `component:`")
		return d, false
	}
	vk, vv := lookupMerged(root, "version")
	sk, sv := lookupMerged(root, "service")
	ck, cv := lookupMerged(root, "component")
	rk, rv := lookupMerged(root, "repository")
	if sk == nil && ck == nil && rk == nil {
		hint := ""
		if k, _ := lookupMerged(root, "apiVersion"); k != nil {
			hint = " (it looks like a Backstage entity, which belongs in catalog-info.yaml)"
		}
		c.at(RuleNotADescriptor, root, "not an OpsLevel descriptor: no service:, component: or repository: section"+hint+"; Switchboard ignores this file",
			"describe the service under `component:` with `version: 1`, or rename the file if it configures something else")
		return d, false
	}
	for _, p := range mergePairs(root) {
		if key := keyText(p.key); !slices.Contains(opsLevelRootKeys(), key) {
			c.unknownKey("", key, p.key, opsLevelRootKeys(), opsLevelServiceKeys(), "component")
		}
	}
	if vk != nil && !(isScalar(vv) && strings.TrimSpace(text(vv)) == "1") {
		c.at(RuleOpsLevelVersion, vv, fmt.Sprintf("opslevel.yml version %s is not supported: Switchboard reads version 1", clip(typeOrValue(vv))), "write `version: 1`")
	}
	switch {
	case ck != nil:
		if sk != nil {
			c.at(RuleUnknownKey, sk, "both service: and component: are given; Switchboard reads component: and ignores service:", "keep one of them (component: is the newer form)")
		}
		return c.opsLevelService(d, "component", ck, cv)
	case sk != nil:
		return c.opsLevelService(d, "service", sk, sv)
	}
	return c.opsLevelRepository(d, rk, rv)
}

// typeOrValue renders a scalar's value, or the type of anything else.
func typeOrValue(n *yaml.Node) string {
	if isScalar(n) {
		return fmt.Sprintf("%q", text(n))
	}
	return typeName(n)
}

// opsLevelService decodes a service: or component: section.
func (c *checker) opsLevelService(d decoded, form string, k, v *yaml.Node) (decoded, bool) {
	e := &d.entity
	e.Kind = KindComponent
	e.Pos = posOf(k)
	d.pos["spec"] = posOf(k)
	d.pos["metadata"] = posOf(k)
	if isNull(v) {
		c.at(RuleRequired, k, form+".name is missing: "+form+": is empty", "add `name: <service name>` under "+form+":")
		return d, false
	}
	m := resolve(v)
	if m == nil || m.Kind != yaml.MappingNode {
		c.at(RuleFieldType, v, form+" must be a mapping, got "+typeName(v), "indent the service's fields under `"+form+":`")
		return d, false
	}
	named := false
	for _, p := range mergePairs(m) {
		key := keyText(p.key)
		path := form + "." + key
		if !isNull(p.val) {
			d.pos[key] = posOf(p.val)
		}
		switch key {
		case "name":
			named = true
			e.Title = c.olString(path, p.val)
			e.Name = slug(e.Title)
			if e.Name == "" {
				c.at(RuleRequired, p.key, path+" is empty", "give the service a name, e.g. `name: Payments API`")
			}
		case "description":
			e.Description = c.olString(path, p.val)
		case "owner":
			e.Owner = c.olString(path, p.val)
		case "lifecycle":
			e.Lifecycle = c.olString(path, p.val)
		case "tier":
			e.Tier = c.olString(path, p.val)
		case "product":
			e.Product = c.olString(path, p.val)
		case "language":
			e.Language = c.olString(path, p.val)
		case "framework":
			e.Framework = c.olString(path, p.val)
		case "system":
			e.System = c.olString(path, p.val)
		case "type":
			e.Type = c.olString(path, p.val)
		case "aliases":
			for i, it := range c.olList(path, p.val) {
				if s := c.olString(fmt.Sprintf("%s[%d]", path, i), it); s != "" {
					e.Aliases = append(e.Aliases, s)
				}
			}
		case "tags":
			e.Tags = c.olTags(path, p.val)
		case "tools":
			c.olTools(e, path, p.val)
		case "repositories":
			c.olRepositories(e, path, p.val)
		case "dependencies":
			for i, it := range c.olList(path, p.val) {
				if s := c.olItem(fmt.Sprintf("%s[%d]", path, i), it, "alias", []string{"alias", "notes"}); s != "" {
					e.DependsOn = append(e.DependsOn, s)
				}
			}
		case "alert_sources":
			c.olAlertSources(e, path, p.val)
		case "properties":
			// Free-form custom properties.
		default:
			c.unknownKey(form, key, p.key, opsLevelServiceKeys(), nil, "")
		}
	}
	if !named {
		c.at(RuleRequired, k, form+".name is missing", "add `name: <service name>` under "+form+":")
	}
	if e.Type == "" {
		e.Type = "service"
	}
	return d, e.Name != ""
}

// opsLevelRepository decodes a repository: section, which declares no service.
func (c *checker) opsLevelRepository(d decoded, k, v *yaml.Node) (decoded, bool) {
	e := &d.entity
	e.Kind = KindRepository
	e.Pos = posOf(k)
	d.pos["spec"] = posOf(k)
	if !isNull(v) && kindOf(v) != yaml.MappingNode {
		c.at(RuleFieldType, v, "repository must be a mapping, got "+typeName(v), "indent owner: and tier: under `repository:`")
		return d, false
	}
	for _, p := range mergePairs(v) {
		key := keyText(p.key)
		path := "repository." + key
		if !isNull(p.val) {
			d.pos[key] = posOf(p.val)
		}
		switch key {
		case "owner":
			e.Owner = c.olString(path, p.val)
		case "tier":
			e.Tier = c.olString(path, p.val)
		case "tags":
			e.Tags = c.olTags(path, p.val)
		default:
			c.unknownKey("repository", key, p.key, opsLevelRepositoryKeys(), opsLevelServiceKeys(), "component")
		}
	}
	owner := "no owner"
	if e.Owner != "" {
		owner = "owner " + clip(e.Owner)
	}
	c.at(RuleOpsLevelRepository, k, fmt.Sprintf("this opslevel.yml describes the repository (%s), not a service: it adds no service to the catalog", owner),
		"to catalog a service, describe it under `component:` with a name")
	return d, true
}

// olString reads a text field. OpsLevel reads YAML 1.1 and turns scalars into
// text, so numbers and booleans are accepted; mappings and lists are not.
func (c *checker) olString(path string, v *yaml.Node) string {
	if isNull(v) {
		return ""
	}
	if !isScalar(v) {
		c.at(RuleFieldType, v, path+" must be text, got "+typeName(v), "write a single value")
		return ""
	}
	return strings.TrimSpace(text(v))
}

// olList returns the items of a list field, reporting anything but a list.
func (c *checker) olList(path string, v *yaml.Node) []*yaml.Node {
	if isNull(v) {
		return nil
	}
	if kindOf(v) != yaml.SequenceNode {
		c.at(RuleFieldType, v, path+" must be a list, got "+typeName(v), "write one `- item` per line under "+lastSegment(path))
		return nil
	}
	return items(v)
}

// olItem reads a list item that is text, or a mapping whose main key is key.
func (c *checker) olItem(path string, it *yaml.Node, key string, known []string) string {
	if isScalar(it) {
		return strings.TrimSpace(text(it))
	}
	m := resolve(it)
	if m == nil || m.Kind != yaml.MappingNode {
		if !isNull(it) {
			c.at(RuleFieldType, it, path+" must be a mapping, got "+typeName(it), "write `- "+key+": ...`")
		}
		return ""
	}
	out := ""
	for _, p := range mergePairs(m) {
		k := keyText(p.key)
		switch {
		case k == key:
			out = c.olString(path+"."+k, p.val)
		case slices.Contains(known, k):
			c.olString(path+"."+k, p.val)
		default:
			c.unknownKey(path, k, p.key, known, nil, "")
		}
	}
	return out
}

// olTags reads tags: a list of {key, value}, or of "key:value" text.
func (c *checker) olTags(path string, v *yaml.Node) []string {
	var out []string
	for i, it := range c.olList(path, v) {
		ip := fmt.Sprintf("%s[%d]", path, i)
		if isScalar(it) {
			out = append(out, strings.TrimSpace(text(it)))
			continue
		}
		m := resolve(it)
		if m == nil || m.Kind != yaml.MappingNode {
			if !isNull(it) {
				c.at(RuleFieldType, it, ip+" must be a mapping with key and value, got "+typeName(it), "write `- key: team` then `value: payments`")
			}
			continue
		}
		var key, val string
		for _, p := range mergePairs(m) {
			switch k := keyText(p.key); k {
			case "key":
				key = c.olString(ip+".key", p.val)
			case "value":
				val = c.olString(ip+".value", p.val)
			default:
				c.unknownKey(ip, k, p.key, []string{"key", "value"}, nil, "")
			}
		}
		if key == "" {
			c.at(RuleRequired, it, ip+".key is missing", "add `key: <name>` to the tag")
			continue
		}
		out = append(out, key+":"+val)
	}
	return out
}

// olTools reads tools into the entity's tools and links.
func (c *checker) olTools(e *Entity, path string, v *yaml.Node) {
	known := []string{"name", "category", "url", "environment"}
	for i, it := range c.olList(path, v) {
		ip := fmt.Sprintf("%s[%d]", path, i)
		m := resolve(it)
		if m == nil || m.Kind != yaml.MappingNode {
			if !isNull(it) {
				c.at(RuleFieldType, it, ip+" must be a mapping with name, category and url, got "+typeName(it), "write `- name: Grafana` then `category: metrics` and `url: https://...`")
			}
			continue
		}
		var t Tool
		for _, p := range mergePairs(m) {
			switch k := keyText(p.key); k {
			case "name":
				t.Name = c.olString(ip+".name", p.val)
			case "category":
				t.Category = c.olString(ip+".category", p.val)
			case "url":
				t.URL = c.olString(ip+".url", p.val)
				if t.URL != "" && !validURL(t.URL) {
					c.at(RuleLinkFormat, p.val, fmt.Sprintf("%s.url %q is not an absolute URL", ip, clip(t.URL)), "write the full address, e.g. `https://...`")
				}
			case "environment":
				t.Environment = c.olString(ip+".environment", p.val)
			default:
				c.unknownKey(ip, k, p.key, known, nil, "")
			}
		}
		e.Tools = append(e.Tools, t)
		if t.URL != "" {
			addLink(&e.Links, Link{URL: t.URL, Title: t.Name, Type: t.Category})
		}
		if e.PagerDutyServiceID == "" && strings.EqualFold(t.Category, "incidents") {
			e.PagerDutyServiceID = pagerDutyIDFromURL(t.URL)
		}
	}
}

// olRepositories reads repositories: {name, path, provider, display_name} or text.
func (c *checker) olRepositories(e *Entity, path string, v *yaml.Node) {
	known := []string{"name", "path", "provider", "display_name"}
	for i, it := range c.olList(path, v) {
		ip := fmt.Sprintf("%s[%d]", path, i)
		if isScalar(it) {
			e.Repositories = append(e.Repositories, Repository{Slug: strings.TrimSpace(text(it))})
			continue
		}
		m := resolve(it)
		if m == nil || m.Kind != yaml.MappingNode {
			if !isNull(it) {
				c.at(RuleFieldType, it, ip+" must be a mapping with name and provider, got "+typeName(it), "write `- name: group/project` then `provider: gitlab`")
			}
			continue
		}
		var r Repository
		for _, p := range mergePairs(m) {
			switch k := keyText(p.key); k {
			case "name":
				r.Slug = c.olString(ip+".name", p.val)
			case "path":
				r.Path = c.olString(ip+".path", p.val)
			case "provider":
				r.Provider = strings.ToLower(c.olString(ip+".provider", p.val))
			case "display_name":
				c.olString(ip+".display_name", p.val)
			default:
				c.unknownKey(ip, k, p.key, known, nil, "")
			}
		}
		if r.Slug == "" {
			c.at(RuleRequired, it, ip+".name is missing", "add `name: group/project`")
			continue
		}
		e.Repositories = append(e.Repositories, r)
		if r.Provider == "gitlab" && e.GitLabProjectSlug == "" {
			e.GitLabProjectSlug = r.Slug
		}
	}
}

// olAlertSources reads alert_sources; a PagerDuty source gives the service ID.
func (c *checker) olAlertSources(e *Entity, path string, v *yaml.Node) {
	known := []string{"type", "external_id", "name", "url", "provider"}
	for i, it := range c.olList(path, v) {
		ip := fmt.Sprintf("%s[%d]", path, i)
		m := resolve(it)
		if m == nil || m.Kind != yaml.MappingNode {
			if !isNull(it) {
				c.at(RuleFieldType, it, ip+" must be a mapping with type and external_id, got "+typeName(it), "write `- type: pagerduty` then `external_id: PABC123`")
			}
			continue
		}
		var typ, id string
		var idNode *yaml.Node
		for _, p := range mergePairs(m) {
			switch k := keyText(p.key); k {
			case "type", "provider":
				typ = strings.ToLower(c.olString(ip+"."+k, p.val))
			case "external_id":
				id = c.olString(ip+".external_id", p.val)
				idNode = p.val
			case "name", "url":
				c.olString(ip+"."+k, p.val)
			default:
				c.unknownKey(ip, k, p.key, known, nil, "")
			}
		}
		if typ != "pagerduty" || id == "" {
			continue
		}
		if !pagerDutyIDRe.MatchString(id) {
			c.at(RuleAnnotationValue, idNode, fmt.Sprintf("%s.external_id %q does not look like a PagerDuty service ID", ip, clip(id)), "use the ID from the service's PagerDuty URL, e.g. `PABC123`")
		}
		e.PagerDutyServiceID = id
	}
}
