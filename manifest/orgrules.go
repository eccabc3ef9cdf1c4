package manifest

import (
	"fmt"
	"slices"
	"strings"
)

// namedKinds are the kinds whose names follow the organisation's naming rule.
func namedKinds() []string {
	return []string{KindComponent, KindAPI, KindResource, KindSystem, KindDomain}
}

// applyStandards checks an entity against the organisation's rules.
func (c *checker) applyStandards(d decoded) {
	e := d.entity
	r := c.rules
	c.vocabulary(RuleLifecycle, "lifecycle", e.Lifecycle, r.Lifecycles, d.posOr("lifecycle"))
	c.vocabulary(RuleTier, "tier", e.Tier, r.Tiers, d.posOr("tier"))
	c.vocabulary(RuleLanguage, "language", e.Language, r.Languages, d.posOr("language"))
	c.vocabulary(RuleFramework, "framework", e.Framework, r.Frameworks, d.posOr("framework"))
	if !slices.Contains(namedKinds(), e.Kind) || e.Name == "" {
		return
	}
	team := ownerName(e.Owner)
	if r.isReserved(e.Name) {
		c.addField(RuleReservedName, d.posOr("name"), c.fieldAtPos(d.posOr("name")),
			fmt.Sprintf("name %q is too generic: many services are called that, so nobody can tell which one this is", e.Name),
			fmt.Sprintf("qualify it with its team, e.g. `%s`", r.QualifiedName(team, strings.ToLower(e.Name))))
	} else if r.NamePattern != nil && ValidName(e.Name) && !r.NamePattern.MatchString(e.Name) {
		fix := "rename it to match " + r.NamePattern.String()
		if sug := slug(e.Name); sug != "" && sug != e.Name && r.NamePattern.MatchString(sug) {
			fix = fmt.Sprintf("rename it, e.g. `%s`", sug)
		}
		c.addField(RuleNaming, d.posOr("name"), c.fieldAtPos(d.posOr("name")), fmt.Sprintf("name %q does not follow the naming rule %s", clip(e.Name), r.NamePattern.String()), fix)
	}
	if e.Kind == KindComponent {
		for _, f := range r.Required {
			if !hasField(e, f) {
				c.addField(RuleRequiredByStandards, d.posOr(requiredAnchor(f)...), requiredPath(f, d),
					fmt.Sprintf("%s is missing: the organisation's standards require it for every service", fieldLabel(f, d)),
					fieldFix(f))
			}
		}
	}
}

// vocabulary checks value against the allowed values.
func (c *checker) vocabulary(rule, field, value string, v Vocabulary, p Pos) {
	if value == "" || len(v) == 0 {
		return
	}
	if _, ok := v.Lookup(value); ok {
		return
	}
	fix := "use one of: " + strings.Join(v.Values(), ", ")
	if m := v.suggest(value); m != "" {
		fix = fmt.Sprintf("did you mean `%s`? (allowed: %s)", m, strings.Join(v.Values(), ", "))
	}
	c.addField(rule, p, c.fieldAtPos(p), fmt.Sprintf("%s %q is not one the organisation allows", field, clip(value)), fix)
}

// ownerName returns the name part of an owner reference, for a suggested name.
func ownerName(owner string) string {
	if owner == "" {
		return ""
	}
	r, err := ParseRef(owner, "group", DefaultNamespace)
	if err != nil {
		return ""
	}
	return slug(r.Name)
}

// hasField reports whether the entity has the field named f (see RequiredFields).
func hasField(e Entity, f string) bool {
	switch f {
	case FieldDescription:
		return e.Description != ""
	case FieldTitle:
		return e.Title != ""
	case FieldSystem:
		return e.System != ""
	case FieldLifecycle:
		return e.Lifecycle != ""
	case FieldTier:
		return e.Tier != ""
	case FieldLanguage:
		return e.Language != ""
	case FieldFramework:
		return e.Framework != ""
	case FieldTags:
		return len(e.Tags) > 0
	case FieldSlackChannel:
		return e.SlackChannel != ""
	case FieldPagerDuty:
		return e.PagerDutyServiceID != "" || e.PagerDutyIntegrationKey != ""
	case FieldRunbook:
		return len(e.Links.Runbooks) > 0
	case FieldDocs:
		return len(e.Links.Docs) > 0 || e.TechDocsRef != ""
	case FieldDashboards:
		return len(e.Links.Dashboards) > 0
	case FieldGitLabProject:
		return e.GitLabProjectSlug != ""
	case FieldTechDocs:
		return e.TechDocsRef != ""
	}
	return true
}

// requiredAnchor says where to report a missing required field.
func requiredAnchor(f string) []string {
	switch f {
	case FieldDescription, FieldTitle, FieldTags, FieldRunbook, FieldDocs, FieldDashboards,
		FieldSlackChannel, FieldPagerDuty, FieldGitLabProject, FieldTechDocs:
		return []string{"metadata", "spec"}
	}
	return []string{"spec", "metadata"}
}

// requiredPath is the path of field f in a Backstage descriptor (see
// Finding.Field); "" in an OpsLevel one, whose fields have no single
// place.
func requiredPath(f string, d decoded) string {
	if d.entity.APIVersion == "" { // OpsLevel
		return ""
	}
	switch f {
	case FieldDescription, FieldTitle, FieldTags:
		return "metadata." + f
	case FieldSlackChannel:
		return "metadata.annotations." + AnnotationSlackBotNotify
	case FieldPagerDuty:
		return "metadata.annotations." + AnnotationPagerDutyServiceID
	case FieldGitLabProject:
		return "metadata.annotations." + AnnotationGitLabProjectSlug
	case FieldTechDocs:
		return "metadata.annotations." + AnnotationTechDocsRef
	case FieldRunbook, FieldDocs, FieldDashboards:
		return "metadata.links"
	}
	return "spec." + f
}

// fieldLabel names field f as the user writes it in their file's format.
func fieldLabel(f string, d decoded) string {
	if d.entity.APIVersion == "" { // OpsLevel
		switch f {
		case FieldPagerDuty:
			return "a PagerDuty alert source"
		case FieldRunbook, FieldDocs, FieldDashboards:
			return "a " + strings.TrimSuffix(f, "s") + " tool"
		}
		return f
	}
	switch f {
	case FieldDescription, FieldTitle, FieldTags:
		return "metadata." + f
	case FieldSystem, FieldLifecycle, FieldTier, FieldLanguage, FieldFramework:
		return "spec." + f
	case FieldSlackChannel:
		return "annotation " + AnnotationSlackBotNotify
	case FieldPagerDuty:
		return "annotation " + AnnotationPagerDutyServiceID
	case FieldGitLabProject:
		return "annotation " + AnnotationGitLabProjectSlug
	case FieldTechDocs:
		return "annotation " + AnnotationTechDocsRef
	case FieldRunbook:
		return "a runbook link (metadata.links)"
	case FieldDocs:
		return "a docs link (metadata.links)"
	case FieldDashboards:
		return "a dashboard link (metadata.links)"
	}
	return f
}

// fieldFix suggests how to add field f.
func fieldFix(f string) string {
	switch f {
	case FieldSlackChannel:
		return "add the annotation `slack.com/bot-notify: \"#<team-channel>\"`"
	case FieldPagerDuty:
		return "add the annotation `pagerduty.com/service-id: <PagerDuty service ID>`"
	case FieldGitLabProject:
		return "add the annotation `gitlab.com/project-slug: <group/project>`"
	case FieldTechDocs:
		return "add the annotation `backstage.io/techdocs-ref: dir:.`"
	case FieldRunbook:
		return "add a link with `title: Runbook` (or `type: runbook`) to metadata.links"
	case FieldDocs:
		return "add a link with `type: docs` to metadata.links"
	case FieldDashboards:
		return "add a link with `type: dashboard` to metadata.links"
	case FieldTags:
		return "add `tags: [...]` under metadata"
	case FieldDescription, FieldTitle:
		return fmt.Sprintf("add `%s: ...` under metadata", f)
	}
	return fmt.Sprintf("add `%s: ...` under spec", f)
}
