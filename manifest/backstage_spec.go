package manifest

// fieldType is the shape a spec field must have.
type fieldType int

const (
	ftString     fieldType = iota // a string
	ftRef                         // a string entity reference
	ftRefList                     // a list of entity references
	ftStringList                  // a list of strings
	ftMapping                     // a mapping (profile)
	ftText                        // a string, or a $text placeholder
	ftSteps                       // a scaffolder Template's steps
	ftParameters                  // a scaffolder Template's parameters
	ftOutput                      // a scaffolder Template's output
	ftRelations                   // a string or list of references; Backstage checks only that each has a kind
)

// specField describes one field of a kind's spec.
type specField struct {
	name     string
	typ      fieldType
	required bool
	// schema is true for fields of Backstage's JSON schema of the kind: a
	// wrong type there is an error. Other fields are Switchboard's own
	// (tier, language...) and Backstage accepts any value in them.
	schema bool
	// relation is true when Backstage's processor turns the field into
	// relations with parseEntityRef: each reference must then parse, with
	// defaultKind standing in for a missing kind ("" means the kind is
	// required, as for dependsOn).
	relation    bool
	defaultKind string
	// kinds are the lower-case kinds a reference is expected to name; nil is any.
	kinds []string
	// enum, when set, are the only values Backstage accepts.
	enum []string
	// example is a value to show in fixes.
	example string
}

// rootKeys are the top-level keys Backstage allows
// (NoForeignRootFieldsEntityPolicy).
func rootKeys() []string {
	return []string{"apiVersion", "kind", "metadata", "spec"}
}

// metadataKeys are the metadata keys Backstage defines.
func metadataKeys() []string {
	return []string{"name", "namespace", "title", "description", "labels", "annotations", "tags", "links", "uid", "etag", "generation"}
}

// linkKeys are the keys of a metadata.links entry.
func linkKeys() []string { return []string{"url", "title", "icon", "type"} }

// profileKeys are the keys of a Group's or User's spec.profile.
func profileKeys() []string { return []string{"displayName", "email", "picture"} }

// apiVersions returns the apiVersions Backstage accepts for a built-in kind.
func apiVersions(kind string) []string {
	if kind == KindTemplate {
		return []string{"scaffolder.backstage.io/v1beta3"}
	}
	return []string{"backstage.io/v1alpha1", "backstage.io/v1beta1"}
}

// builtinKinds are the Backstage kinds Switchboard reads.
func builtinKinds() []string {
	return []string{KindComponent, KindSystem, KindAPI, KindResource, KindDomain, KindGroup, KindUser, KindLocation, KindTemplate}
}

// specFields returns the spec fields of a built-in kind: those of Backstage's
// schema for the kind (@backstage/catalog-model kinds/*.schema.json, the
// scaffolder's Template.v1beta3.schema.json) and the relations its processor
// emits (BuiltinKindsEntityProcessor), then Switchboard's extensions (tier,
// language, framework...).
func specFields(kind string) []specField {
	ownerKinds := []string{"group", "user"}
	groupKinds := []string{"group"}
	owner := specField{name: "owner", typ: ftRef, required: true, schema: true, relation: true, defaultKind: "group", kinds: ownerKinds, example: "group:<your-team>"}
	system := specField{name: "system", typ: ftRef, schema: true, relation: true, defaultKind: "system", kinds: []string{"system"}}
	dependsOn := specField{name: "dependsOn", typ: ftRefList, schema: true, relation: true, kinds: []string{"component", "resource"}, example: "[resource:<name>]"}
	dependencyOf := specField{name: "dependencyOf", typ: ftRelations, relation: true, example: "[component:<name>]"}
	str := func(name string, required bool, example string) specField {
		return specField{name: name, typ: ftString, required: required, schema: true, example: example}
	}
	tier := specField{name: "tier", typ: ftString}
	language := specField{name: "language", typ: ftString}
	framework := specField{name: "framework", typ: ftString}
	switch kind {
	case KindComponent:
		return []specField{
			str("type", true, "service"),
			str("lifecycle", true, "production"),
			owner, system,
			{name: "subcomponentOf", typ: ftRef, schema: true, relation: true, defaultKind: "component", kinds: []string{"component"}},
			{name: "providesApis", typ: ftRefList, schema: true, relation: true, defaultKind: "api", kinds: []string{"api"}},
			{name: "consumesApis", typ: ftRefList, schema: true, relation: true, defaultKind: "api", kinds: []string{"api"}},
			dependsOn, dependencyOf, tier, language, framework,
		}
	case KindAPI:
		return []specField{
			str("type", true, "openapi"),
			str("lifecycle", true, "production"),
			owner, system,
			{name: "definition", typ: ftText, required: true, schema: true, example: "{$text: ./openapi.yaml}"},
			tier,
		}
	case KindResource:
		return []specField{
			str("type", true, "database"),
			owner, system, dependsOn, dependencyOf,
			{name: "partOf", typ: ftRefList},
			{name: "hasPart", typ: ftRefList},
			tier,
		}
	case KindSystem:
		return []specField{
			owner,
			{name: "domain", typ: ftRef, schema: true, relation: true, defaultKind: "domain", kinds: []string{"domain"}},
			str("type", false, ""),
			tier,
		}
	case KindDomain:
		return []specField{
			owner,
			{name: "subdomainOf", typ: ftRef, schema: true, relation: true, defaultKind: "domain", kinds: []string{"domain"}},
			str("type", false, ""),
		}
	case KindGroup:
		return []specField{
			str("type", true, "team"),
			{name: "profile", typ: ftMapping, schema: true},
			{name: "parent", typ: ftRef, schema: true, relation: true, defaultKind: "group", kinds: groupKinds},
			{name: "children", typ: ftRefList, required: true, schema: true, relation: true, defaultKind: "group", kinds: groupKinds, example: "[]"},
			{name: "members", typ: ftRefList, schema: true, relation: true, defaultKind: "user", kinds: []string{"user"}},
			{name: "leader", typ: ftRef, defaultKind: "user", kinds: []string{"user"}},
		}
	case KindUser:
		return []specField{
			{name: "profile", typ: ftMapping, schema: true},
			{name: "memberOf", typ: ftRefList, required: true, schema: true, relation: true, defaultKind: "group", kinds: groupKinds, example: "[<your-team>]"},
			{name: "leaderOf", typ: ftRefList, defaultKind: "group", kinds: groupKinds},
		}
	case KindLocation:
		return []specField{
			str("type", false, ""),
			str("target", false, ""),
			{name: "targets", typ: ftStringList, schema: true},
			{name: "presence", typ: ftString, schema: true, enum: []string{"required", "optional"}},
		}
	case KindTemplate:
		return []specField{
			str("type", true, "service"),
			{name: "owner", typ: ftRef, schema: true, relation: true, defaultKind: "group", kinds: ownerKinds},
			str("lifecycle", false, ""),
			{name: "parameters", typ: ftParameters, schema: true},
			{name: "steps", typ: ftSteps, required: true, schema: true, example: "[]"},
			{name: "output", typ: ftOutput, schema: true},
		}
	}
	return nil
}

// checksUnknownSpecKeys reports whether unknown spec keys of kind are warned
// about (not for Template, whose spec belongs to the scaffolder).
func checksUnknownSpecKeys(kind string) bool { return kind != KindTemplate }
