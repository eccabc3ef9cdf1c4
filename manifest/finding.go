package manifest

import (
	"fmt"
	"strings"
)

// Severity is how serious a finding is.
type Severity string

// Severities, most serious first. SeverityOff is never the severity of a
// finding: in Rules.Severity it turns a rule off.
const (
	// SeverityError: the descriptor is rejected (by Backstage, or by the
	// organisation's standards where they say so); lint exits 1.
	SeverityError Severity = "error"
	// SeverityWarning: the descriptor is read, but something should be fixed.
	SeverityWarning Severity = "warning"
	// SeverityInfo: worth knowing; nothing to fix.
	SeverityInfo Severity = "info"
	// SeverityOff disables a rule in Rules.Severity.
	SeverityOff Severity = "off"
)

// ParseSeverity reads "error", "warning", "info" or "off" (any case).
func ParseSeverity(s string) (Severity, error) {
	switch sev := Severity(strings.ToLower(strings.TrimSpace(s))); sev {
	case SeverityError, SeverityWarning, SeverityInfo, SeverityOff:
		return sev, nil
	}
	return "", fmt.Errorf("severity %q: want error, warning, info or off", s)
}

// Finding is one problem in a descriptor file, with its position and a fix.
type Finding struct {
	// Path is the file's path as given to Parse.
	Path string `json:"path"`
	// Line is the 1-based line.
	Line int `json:"line"`
	// Col is the 1-based column.
	Col int `json:"col"`
	// Severity is error, warning or info.
	Severity Severity `json:"severity"`
	// Rule is the stable name of the check, e.g. "required" (see KnownRules).
	Rule string `json:"rule"`
	// Message says what is wrong, naming the field (e.g. "spec.owner").
	Message string `json:"message"`
	// Field is the descriptor field the finding is about, as a dotted
	// path from the document's root ("metadata.name", "spec.owner",
	// "metadata.annotations.pagerduty.com/service-id", "spec.dependsOn[1]");
	// for a missing field, the path it should have. Empty when the finding
	// is about the file or the document as a whole. Match on it, never on
	// Message.
	Field string `json:"field,omitempty"`
	// Fix is a one-line suggestion, empty when there is nothing to suggest.
	Fix string `json:"fix,omitempty"`
}

// String formats the finding as "path:line:col: severity: message (fix: ...)".
func (f Finding) String() string {
	s := fmt.Sprintf("%s:%d:%d: %s: %s", f.Path, f.Line, f.Col, f.Severity, f.Message)
	if f.Fix != "" {
		s += " (fix: " + f.Fix + ")"
	}
	return s
}

// Stable rule names. Rules marked "Backstage" are checks Backstage itself
// enforces (or that make a file unreadable): they are always errors. The others
// are Switchboard's own; their severity can be changed through Rules.Severity.
const (
	// RuleYAMLSyntax: the file is not valid YAML. Backstage.
	RuleYAMLSyntax = "yaml-syntax"
	// RuleFileTooLarge: the file exceeds Rules.MaxFileSize. Backstage (unreadable).
	RuleFileTooLarge = "file-too-large"
	// RuleNotAMapping: a document is a list or a scalar, not a mapping. Backstage.
	RuleNotAMapping = "not-a-mapping"
	// RuleDuplicateKey: a mapping repeats a key. Backstage.
	RuleDuplicateKey = "duplicate-key"
	// RuleAPIVersion: apiVersion is missing, malformed or wrong for the kind. Backstage.
	RuleAPIVersion = "api-version"
	// RuleKind: kind is missing or malformed. Backstage.
	RuleKind = "kind"
	// RuleRootField: a top-level key other than apiVersion, kind, metadata and
	// spec. Backstage.
	RuleRootField = "root-field"
	// RuleRequired: a required field is missing or empty. Backstage (OpsLevel: service name).
	RuleRequired = "required"
	// RuleFieldType: a field has the wrong type. Backstage.
	RuleFieldType = "field-type"
	// RuleNameFormat: metadata.name breaks Backstage's name format. Backstage.
	RuleNameFormat = "name-format"
	// RuleNamespaceFormat: metadata.namespace breaks Backstage's format. Backstage.
	RuleNamespaceFormat = "namespace-format"
	// RuleEntityRef: an entity reference is not [kind:][namespace/]name. Backstage.
	RuleEntityRef = "entity-ref"
	// RuleTagFormat: a tag breaks Backstage's tag format. Backstage.
	RuleTagFormat = "tag-format"
	// RuleLabelFormat: a label key or value breaks Backstage's format. Backstage.
	RuleLabelFormat = "label-format"
	// RuleAnnotationFormat: an annotation key is malformed or a value is not a string. Backstage.
	RuleAnnotationFormat = "annotation-format"
	// RuleLinkFormat: a metadata.links entry has no valid url, or a bad title or icon. Backstage.
	RuleLinkFormat = "link-format"
	// RuleOpsLevelVersion: opslevel.yml names a version other than 1. OpsLevel.
	RuleOpsLevelVersion = "opslevel-version"

	// RuleUnknownKey: a key Switchboard does not know (with "did you mean").
	RuleUnknownKey = "unknown-key"
	// RuleUnknownKind: a kind (or kind and apiVersion) that no processor of a
	// default Backstage recognises; the entity is kept as is. An error by
	// default, as Backstage rejects it; an organisation whose Backstage has a
	// processor for its own kinds can lower it.
	RuleUnknownKind = "unknown-kind"
	// RuleEncoding: the file is not plain UTF-8 text: UTF-16, bytes that are not
	// UTF-8, NUL or other control characters (each read as U+FFFD).
	RuleEncoding = "encoding"
	// RuleExtensionField: a spec field Switchboard reads beyond Backstage's
	// (tier, language, framework, partOf, leader...) has a type it cannot use.
	// Backstage allows any value there.
	RuleExtensionField = "extension-field"
	// RuleNotADescriptor: the file is not a Backstage or OpsLevel descriptor at all.
	RuleNotADescriptor = "not-a-descriptor"
	// RuleEmptyFile: the file holds no document.
	RuleEmptyFile = "empty-file"
	// RuleTemplate: the file is a software-template skeleton; it is not validated.
	RuleTemplate = "template"
	// RuleDuplicateEntity: the same entity is declared twice in a file.
	RuleDuplicateEntity = "duplicate-entity"
	// RuleRefFormat: an entity reference parses but its name or kind looks wrong.
	RuleRefFormat = "ref-format"
	// RuleAnnotationValue: an annotation Switchboard reads has a value it cannot use.
	RuleAnnotationValue = "annotation-value"
	// RuleOpsLevelRepository: an opslevel.yml `repository:` form, which declares no service.
	RuleOpsLevelRepository = "opslevel-repository"

	// RuleLifecycle: the lifecycle is not one the organisation allows.
	RuleLifecycle = "lifecycle"
	// RuleTier: the tier is not one the organisation allows.
	RuleTier = "tier"
	// RuleLanguage: the language is not one the organisation approves.
	RuleLanguage = "language"
	// RuleFramework: the framework is not one the organisation approves.
	RuleFramework = "framework"
	// RuleNaming: the name breaks the organisation's naming pattern.
	RuleNaming = "naming"
	// RuleReservedName: the name is a reserved generic name such as "frontend".
	RuleReservedName = "reserved-name"
	// RuleRequiredByStandards: a field the organisation requires is missing.
	RuleRequiredByStandards = "required-by-standards"
)

// RuleInfo describes a rule.
type RuleInfo struct {
	// Name is the stable rule name.
	Name string `json:"name"`
	// Severity is the rule's default severity.
	Severity Severity `json:"severity"`
	// Fixed is true for Backstage's own rules: their severity cannot be changed.
	Fixed bool `json:"fixed"`
	// Summary says what the rule checks.
	Summary string `json:"summary"`
}

// KnownRules lists every rule, Backstage's first.
func KnownRules() []RuleInfo {
	return []RuleInfo{
		{RuleYAMLSyntax, SeverityError, true, "the file is valid YAML"},
		{RuleFileTooLarge, SeverityError, true, "the file is not larger than the size limit"},
		{RuleNotAMapping, SeverityError, true, "each document is a mapping"},
		{RuleDuplicateKey, SeverityError, true, "no mapping repeats a key"},
		{RuleAPIVersion, SeverityError, true, "apiVersion is present, well formed and right for the kind"},
		{RuleKind, SeverityError, true, "kind is present and well formed"},
		{RuleRootField, SeverityError, true, "only apiVersion, kind, metadata and spec at the top level"},
		{RuleRequired, SeverityError, true, "required fields are present and not empty"},
		{RuleFieldType, SeverityError, true, "fields have the expected type"},
		{RuleNameFormat, SeverityError, true, "metadata.name is 1-63 characters of [A-Za-z0-9] separated by [-_.]"},
		{RuleNamespaceFormat, SeverityError, true, "metadata.namespace is lower-case [a-z0-9] separated by '-'"},
		{RuleEntityRef, SeverityError, true, "entity references are [kind:][namespace/]name"},
		{RuleTagFormat, SeverityError, true, "tags are lower-case [a-z0-9:+#] separated by '-', at most 63 characters"},
		{RuleLabelFormat, SeverityError, true, "label keys and values follow Backstage's format"},
		{RuleAnnotationFormat, SeverityError, true, "annotation keys follow Backstage's format and values are strings"},
		{RuleLinkFormat, SeverityError, true, "links have a valid url, and a non-empty title and a valid icon when given"},
		{RuleOpsLevelVersion, SeverityError, true, "opslevel.yml is version 1"},
		{RuleUnknownKey, SeverityWarning, false, "keys are ones Switchboard knows (did you mean ...?)"},
		{RuleUnknownKind, SeverityError, false, "the kind and apiVersion are ones Backstage recognises"},
		{RuleEncoding, SeverityWarning, false, "the file is UTF-8 text without NUL or control characters"},
		{RuleExtensionField, SeverityWarning, false, "fields Switchboard reads beyond Backstage's (tier, language, framework...) have a usable type"},
		{RuleNotADescriptor, SeverityWarning, false, "the file is a Backstage or OpsLevel descriptor"},
		{RuleEmptyFile, SeverityInfo, false, "the file holds at least one document"},
		{RuleTemplate, SeverityInfo, false, "software-template skeletons are recognised and not validated"},
		{RuleDuplicateEntity, SeverityWarning, false, "no entity is declared twice in a file"},
		{RuleRefFormat, SeverityWarning, false, "entity references name an entity of the expected kind with a well-formed name"},
		{RuleAnnotationValue, SeverityWarning, false, "annotations Switchboard reads (PagerDuty, Slack, GitLab, TechDocs) have usable values"},
		{RuleOpsLevelRepository, SeverityInfo, false, "opslevel.yml repository: forms declare no service"},
		{RuleLifecycle, SeverityWarning, false, "the lifecycle is one the organisation allows"},
		{RuleTier, SeverityWarning, false, "the tier is one the organisation allows"},
		{RuleLanguage, SeverityWarning, false, "the language is one the organisation approves"},
		{RuleFramework, SeverityWarning, false, "the framework is one the organisation approves"},
		{RuleNaming, SeverityWarning, false, "the name follows the organisation's naming pattern"},
		{RuleReservedName, SeverityWarning, false, "the name is not a reserved generic name"},
		{RuleRequiredByStandards, SeverityWarning, false, "fields the organisation requires are present"},
	}
}

// LookupRule returns the rule named name.
func LookupRule(name string) (RuleInfo, bool) {
	for _, r := range KnownRules() {
		if r.Name == name {
			return r, true
		}
	}
	return RuleInfo{}, false
}

// severityRank orders severities, most serious first.
func severityRank(s Severity) int {
	switch s {
	case SeverityError:
		return 0
	case SeverityWarning:
		return 1
	case SeverityInfo:
		return 2
	}
	return 3
}
