package manifest

// Format is the descriptor format a file was read as.
type Format string

// The formats Parse recognises.
const (
	// FormatUnknown is a file that is neither a Backstage nor an OpsLevel descriptor.
	FormatUnknown Format = "unknown"
	// FormatBackstage is a Backstage catalog-info.yaml (one or more entities).
	FormatBackstage Format = "backstage"
	// FormatOpsLevel is an OpsLevel opslevel.yml, version 1.
	FormatOpsLevel Format = "opslevel"
)

// Entity kinds. The Backstage kinds are spelled as Backstage spells them.
const (
	// KindComponent is a piece of software: a service, website, library...
	KindComponent = "Component"
	// KindSystem is a collection of components, APIs and resources.
	KindSystem = "System"
	// KindAPI is an interface a component provides.
	KindAPI = "API"
	// KindResource is infrastructure: a database, bucket, queue...
	KindResource = "Resource"
	// KindDomain is a business area grouping systems.
	KindDomain = "Domain"
	// KindGroup is a team or another organisational unit.
	KindGroup = "Group"
	// KindUser is a person.
	KindUser = "User"
	// KindLocation points to other descriptor files.
	KindLocation = "Location"
	// KindTemplate is a Backstage scaffolder template definition.
	KindTemplate = "Template"
	// KindRepository is an OpsLevel `repository:` descriptor: it describes the
	// repository itself (owner, tier, tags), not a service, and has no Name.
	KindRepository = "Repository"
)

// DefaultNamespace is the namespace of an entity that names none.
const DefaultNamespace = "default"

// Descriptor is one descriptor file, decoded and validated.
type Descriptor struct {
	// Path is the file's path as given to Parse.
	Path string `json:"path"`
	// Format is the format the file was read as.
	Format Format `json:"format"`
	// Entities are the entities the file declares, in file order. Entities are
	// kept even when they have findings; HasErrors tells whether to trust them.
	Entities []Entity `json:"entities"`
	// Findings are the problems found, ordered by position.
	Findings []Finding `json:"findings"`
	// Template is true when the file is a software-template skeleton (it holds
	// ${{ ... }} placeholders that a scaffolder fills in); it declares no entity.
	Template bool `json:"template"`
}

// HasErrors reports whether any finding is an error.
func (d Descriptor) HasErrors() bool {
	for _, f := range d.Findings {
		if f.Severity == SeverityError {
			return true
		}
	}
	return false
}

// Pos is a 1-based position in a file.
type Pos struct {
	Line int `json:"line"`
	Col  int `json:"col"`
}

// Entity is one thing a descriptor declares: a service (Component), a team
// (Group), a person (User), and so on, whatever the file format.
type Entity struct {
	// Kind is the entity kind, e.g. KindComponent.
	Kind string `json:"kind"`
	// APIVersion is the Backstage apiVersion ("" for OpsLevel).
	APIVersion string `json:"apiVersion,omitempty"`
	// Name is the entity's identifier. For OpsLevel it is derived from the
	// service name (lower case, words joined by '-'); Title keeps the original.
	Name string `json:"name"`
	// Namespace is the Backstage namespace, DefaultNamespace when none is given.
	Namespace string `json:"namespace"`
	// Title is the human-friendly display name.
	Title string `json:"title,omitempty"`
	// Description is a short description.
	Description string `json:"description,omitempty"`
	// Owner is the owning team or person as an entity reference, as written
	// (e.g. "group:payments" or "payments"); see ParseRef.
	Owner string `json:"owner,omitempty"`
	// Lifecycle is the lifecycle stage as written (e.g. "production").
	Lifecycle string `json:"lifecycle,omitempty"`
	// Tier is the service tier as written (e.g. "tier_1").
	Tier string `json:"tier,omitempty"`
	// Type is the spec type (e.g. "service", "library", "team").
	Type string `json:"type,omitempty"`
	// Language is the main programming language.
	Language string `json:"language,omitempty"`
	// Framework is the main framework.
	Framework string `json:"framework,omitempty"`
	// System is a reference to the system the entity belongs to.
	System string `json:"system,omitempty"`
	// Domain is a reference to the domain a System belongs to (or a Domain's parent).
	Domain string `json:"domain,omitempty"`
	// Product is the OpsLevel product.
	Product string `json:"product,omitempty"`
	// Aliases are other names the entity is known by (OpsLevel aliases).
	Aliases []string `json:"aliases,omitempty"`
	// Tags are free-form tags; OpsLevel key/value tags read "key:value".
	Tags []string `json:"tags,omitempty"`
	// Labels are Backstage metadata.labels.
	Labels map[string]string `json:"labels,omitempty"`
	// Annotations are Backstage metadata.annotations.
	Annotations map[string]string `json:"annotations,omitempty"`
	// Links are the entity's links, sorted into runbooks, docs and dashboards.
	Links Links `json:"links"`
	// SlackChannel is the service's Slack channel (without '#'), from the
	// slack.com/bot-notify annotation when it names a channel.
	SlackChannel string `json:"slackChannel,omitempty"`
	// PagerDutyServiceID is the PagerDuty service ID (e.g. "PABC123").
	PagerDutyServiceID string `json:"pagerDutyServiceId,omitempty"`
	// PagerDutyIntegrationKey is the PagerDuty Events v2 integration key.
	PagerDutyIntegrationKey string `json:"pagerDutyIntegrationKey,omitempty"`
	// GitLabProjectSlug is the GitLab project path, e.g. "group/sub/project".
	GitLabProjectSlug string `json:"gitlabProjectSlug,omitempty"`
	// TechDocsRef is the backstage.io/techdocs-ref annotation, e.g. "dir:.".
	TechDocsRef string `json:"techDocsRef,omitempty"`
	// DependsOn are references to what the entity needs to function
	// (Backstage spec.dependsOn, OpsLevel dependencies).
	DependsOn []string `json:"dependsOn,omitempty"`
	// DependencyOf are references to entities that depend on this one.
	DependencyOf []string `json:"dependencyOf,omitempty"`
	// ProvidesAPIs are references to the APIs a Component provides.
	ProvidesAPIs []string `json:"providesApis,omitempty"`
	// ConsumesAPIs are references to the APIs a Component consumes.
	ConsumesAPIs []string `json:"consumesApis,omitempty"`
	// SubcomponentOf is a reference to the Component this one is part of.
	SubcomponentOf string `json:"subcomponentOf,omitempty"`
	// Parent is a Group's parent group reference.
	Parent string `json:"parent,omitempty"`
	// Children are a Group's child group references.
	Children []string `json:"children,omitempty"`
	// Members are a Group's member (User) references.
	Members []string `json:"members,omitempty"`
	// MemberOf are the Group references a User belongs to.
	MemberOf []string `json:"memberOf,omitempty"`
	// DisplayName is a Group's or User's profile display name.
	DisplayName string `json:"displayName,omitempty"`
	// Email is a Group's or User's profile email.
	Email string `json:"email,omitempty"`
	// Repositories are the source repositories of the entity.
	Repositories []Repository `json:"repositories,omitempty"`
	// Tools are OpsLevel tools (dashboards, logs, runbooks, ...).
	Tools []Tool `json:"tools,omitempty"`
	// Targets are a Location's targets (other descriptor files).
	Targets []string `json:"targets,omitempty"`
	// Pos is where the entity starts in the file.
	Pos Pos `json:"pos"`
}

// Ref returns the entity's reference. Kind and namespace are lower case, as
// Backstage compares them case-insensitively.
func (e Entity) Ref() Ref {
	ns := e.Namespace
	if ns == "" {
		ns = DefaultNamespace
	}
	return Ref{Kind: lower(e.Kind), Namespace: lower(ns), Name: e.Name}
}

// Links are an entity's links, sorted by what they are for.
type Links struct {
	// Runbooks are links to runbooks and playbooks.
	Runbooks []Link `json:"runbooks,omitempty"`
	// Docs are links to documentation.
	Docs []Link `json:"docs,omitempty"`
	// Dashboards are links to dashboards and metrics.
	Dashboards []Link `json:"dashboards,omitempty"`
	// Other are all other links.
	Other []Link `json:"other,omitempty"`
}

// All returns every link: runbooks, docs, dashboards, then the rest.
func (l Links) All() []Link {
	out := make([]Link, 0, len(l.Runbooks)+len(l.Docs)+len(l.Dashboards)+len(l.Other))
	out = append(out, l.Runbooks...)
	out = append(out, l.Docs...)
	out = append(out, l.Dashboards...)
	return append(out, l.Other...)
}

// Link is one link of an entity (Backstage metadata.links, OpsLevel tools).
type Link struct {
	// URL is where the link points.
	URL string `json:"url"`
	// Title is the link's display text.
	Title string `json:"title,omitempty"`
	// Type is the Backstage link type or the OpsLevel tool category.
	Type string `json:"type,omitempty"`
	// Icon is the Backstage link icon.
	Icon string `json:"icon,omitempty"`
}

// Repository is a source repository of an entity.
type Repository struct {
	// Provider is "gitlab", "github", ... when known.
	Provider string `json:"provider,omitempty"`
	// Slug is the repository path at the provider, e.g. "group/project".
	Slug string `json:"slug,omitempty"`
	// Path is the folder of the entity inside the repository, e.g. "/".
	Path string `json:"path,omitempty"`
	// URL is the repository URL when given as one.
	URL string `json:"url,omitempty"`
}

// Tool is an OpsLevel tool entry.
type Tool struct {
	// Name is the tool's display name, e.g. "Datadog".
	Name string `json:"name,omitempty"`
	// Category is the OpsLevel category, e.g. "metrics" or "runbooks".
	Category string `json:"category,omitempty"`
	// URL is the tool's link for this service.
	URL string `json:"url,omitempty"`
	// Environment is the environment the tool covers, e.g. "Production".
	Environment string `json:"environment,omitempty"`
}
