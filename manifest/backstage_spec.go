package manifest

// fieldType is the shape a spec field must have.
type fieldType int

const (
	ftString     fieldType = iota // a string
	ftRef                         // a string entity reference
	ftRefList                     // a list of entity references
	ftStringList                  // a list of strings
	ftMapping                     // a mapping
	ftText                        // a string, or a $text/$json/$yaml placeholder
	ftList                        // a list of anything
)

// specField describes one field of a kind's spec.
type specField struct {
	name     string
	typ      fieldType
	required bool
	// defaultKind is the kind a reference without one names (refs only).
	defaultKind string
	// kinds are the lower-case kinds a reference is expected to name; nil is any.
	kinds []string
	// example is a value to show in fixes.
	example string
}

// rootKeys are the top-level keys Backstage allows.
func rootKeys() []string {
	return []string{"apiVersion", "kind", "metadata", "spec", "relations", "status"}
}

// metadataKeys are the metadata keys Backstage defines.
func metadataKeys() []string {
	return []string{"name", "namespace", "title", "description", "labels", "annotations", "tags", "links", "uid", "etag", "generation"}
}

// linkKeys are the keys of a metadata.links entry.
func linkKeys() []string { return []string{"url", "title", "icon", "type"} }

// profileKeys are the keys of a Group's or User's spec.profile.
func profileKeys() []string { return []string{"displayName", "email", "picture"} }

// apiVersions returns the apiVersions Backstage accepts for a built-in kind,
// nil for any (Template, whose apiVersion belongs to the scaffolder plugin).
func apiVersions(kind string) []string {
	if kind == KindTemplate {
		return nil
	}
	return []string{"backstage.io/v1alpha1", "backstage.io/v1beta1"}
}

// builtinKinds are the Backstage kinds Switchboard reads.
func builtinKinds() []string {
	return []string{KindComponent, KindSystem, KindAPI, KindResource, KindDomain, KindGroup, KindUser, KindLocation, KindTemplate}
}

// specFields returns the spec fields of a built-in kind: Backstage's own, then
// Switchboard's extensions (tier, language, framework) where they apply.
func specFields(kind string) []specField {
	ownerKinds := []string{"group", "user"}
	groupKinds := []string{"group"}
	owner := specField{name: "owner", typ: ftRef, required: true, defaultKind: "group", kinds: ownerKinds, example: "group:<your-team>"}
	system := specField{name: "system", typ: ftRef, defaultKind: "system", kinds: []string{"system"}}
	dependsOn := specField{name: "dependsOn", typ: ftRefList, defaultKind: "component", kinds: []string{"component", "resource"}}
	dependencyOf := specField{name: "dependencyOf", typ: ftRefList, defaultKind: "component"}
	tier := specField{name: "tier", typ: ftString}
	language := specField{name: "language", typ: ftString}
	framework := specField{name: "framework", typ: ftString}
	switch kind {
	case KindComponent:
		return []specField{
			{name: "type", typ: ftString, required: true, example: "service"},
			{name: "lifecycle", typ: ftString, required: true, example: "production"},
			owner, system,
			{name: "subcomponentOf", typ: ftRef, defaultKind: "component", kinds: []string{"component"}},
			{name: "providesApis", typ: ftRefList, defaultKind: "api", kinds: []string{"api"}},
			{name: "consumesApis", typ: ftRefList, defaultKind: "api", kinds: []string{"api"}},
			dependsOn, dependencyOf, tier, language, framework,
		}
	case KindAPI:
		return []specField{
			{name: "type", typ: ftString, required: true, example: "openapi"},
			{name: "lifecycle", typ: ftString, required: true, example: "production"},
			owner, system,
			{name: "definition", typ: ftText, required: true, example: "{$text: ./openapi.yaml}"},
			tier,
		}
	case KindResource:
		return []specField{
			{name: "type", typ: ftString, required: true, example: "database"},
			owner, system, dependsOn, dependencyOf,
			{name: "partOf", typ: ftRefList},
			{name: "hasPart", typ: ftRefList},
			tier,
		}
	case KindSystem:
		return []specField{
			owner,
			{name: "domain", typ: ftRef, defaultKind: "domain", kinds: []string{"domain"}},
			{name: "type", typ: ftString},
			tier,
		}
	case KindDomain:
		return []specField{
			owner,
			{name: "subdomainOf", typ: ftRef, defaultKind: "domain", kinds: []string{"domain"}},
			{name: "type", typ: ftString},
		}
	case KindGroup:
		return []specField{
			{name: "type", typ: ftString, required: true, example: "team"},
			{name: "profile", typ: ftMapping},
			{name: "parent", typ: ftRef, defaultKind: "group", kinds: groupKinds},
			{name: "children", typ: ftRefList, required: true, defaultKind: "group", kinds: groupKinds, example: "[]"},
			{name: "members", typ: ftRefList, defaultKind: "user", kinds: []string{"user"}},
			{name: "leader", typ: ftRef, defaultKind: "user", kinds: []string{"user"}},
		}
	case KindUser:
		return []specField{
			{name: "profile", typ: ftMapping},
			{name: "memberOf", typ: ftRefList, required: true, defaultKind: "group", kinds: groupKinds, example: "[<your-team>]"},
			{name: "leaderOf", typ: ftRefList, defaultKind: "group", kinds: groupKinds},
		}
	case KindLocation:
		return []specField{
			{name: "type", typ: ftString},
			{name: "target", typ: ftString},
			{name: "targets", typ: ftStringList},
			{name: "presence", typ: ftString},
		}
	case KindTemplate:
		return []specField{
			{name: "type", typ: ftString, required: true, example: "service"},
			{name: "steps", typ: ftList, required: true, example: "[]"},
			{name: "owner", typ: ftRef, defaultKind: "group", kinds: ownerKinds},
		}
	}
	return nil
}

// checksUnknownSpecKeys reports whether unknown spec keys of kind are warned
// about (not for Template, whose spec belongs to the scaffolder).
func checksUnknownSpecKeys(kind string) bool { return kind != KindTemplate }
