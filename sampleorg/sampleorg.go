// Package sampleorg is the demo's organisation: teams, people, services and
// repos of a fictional company, Acme, loaded into a catalog so that every
// command has something real-looking to answer about. It includes the
// awkward cases: two services called "frontend", services without owner or
// runbook, aliases. Its PagerDuty ids are those of the fake PagerDuty's
// sample organisation (fakepd.Sample: the same teams, people and services,
// with rotations), so that /oncall and /page work in the demo; the services
// fakepd leaves out (pricing-engine, ranking-model, legacy-cron,
// email-sender, shipping-api) have no PagerDuty service, on purpose.
//
// Against the default scorecard its services sit at every level the sample
// can show: no level (legacy-cron and email-sender have no owner,
// java-parent no tier), bronze (most: no service channel or CI
// configuration), silver (checkout-api, permissions and deploy-bot have
// both, a runbook and someone on call); service-mesh is held at bronze by
// an unknown fact only (its descriptor gives PagerDuty's integration key,
// not the service id, so who is on call cannot be asked); gold
// (checkout-api and permissions: a merge in the last 90 days and no
// vulnerable dependency). Each repo has merged merge requests (see
// addMerges): most within the last weeks, a few long ago — deploy-bot's
// 200 days, which holds it at silver — and two repos none; most default
// branches are protected.
package sampleorg

import (
	"cmp"
	"context"
	"fmt"
	"strings"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/pagerduty/fakepd"
)

// Domain is the sample organisation's email and web domain.
const Domain = "acme.example"

type team struct {
	name, title, channel string
	people               []string // "Full Name"
}

var teams = []team{
	{"payments", "Payments", "#team-payments", []string{"Ada Lovelace", "Grace Hopper", "Alan Turing", "Barbara Liskov"}},
	{"identity", "Identity & Access", "#team-identity", []string{"Ken Thompson", "Radia Perlman", "Whitfield Diffie"}},
	{"search", "Search", "#team-search", []string{"Karen Sparck Jones", "Gerard Salton", "Doug Cutting"}},
	{"platform", "Platform / SRE", "#team-platform", []string{"Margaret Hamilton", "Linus Torvalds", "Brendan Gregg", "Charity Majors"}},
	{"data", "Data", "#team-data", []string{"Edgar Codd", "Jim Gray", "Michael Stonebraker"}},
	{"mobile", "Mobile", "#team-mobile", []string{"Jean Sammet", "Frances Allen"}},
	{"storefront", "Storefront", "#team-storefront", []string{"Tim Berners-Lee", "Brendan Eich", "Hakon Lie"}},
	{"backoffice", "Back Office Tools", "#team-backoffice", []string{"Dennis Ritchie", "Bjarne Stroustrup"}},
}

type service struct {
	namespace, name, team, tier, lifecycle, language, framework, description string
	aliases                                                                  []string
	runbook, docs                                                            bool
	channel                                                                  string
	// kind is the component's type when it is not "service" ("library").
	kind string
	// ci: the repo has a .gitlab-ci.yml (the scorecard's silver level
	// asks for one).
	ci bool
	// pdKeyOnly: the descriptor gives only the PagerDuty integration key,
	// not the service id, so who is on call cannot be asked: the
	// scorecard's on-call check is unknown, not failed.
	pdKeyOnly bool
	// readme: the first paragraph of its repo's README (GitLabOrg), words
	// the catalog's search finds that are not in the description.
	readme string
	// fixture: the repo's dependency files are those under
	// testdata/<repo path> (see fixtures.go), made by the real package
	// managers, instead of addSources' plausible ones.
	fixture bool
}

var services = []service{
	{name: "checkout-api", team: "payments", tier: "1", lifecycle: "production", language: "go", framework: "grpc", description: "Takes the basket to a paid order.", aliases: []string{"checkout"}, runbook: true, docs: true, channel: "#checkout", ci: true},
	{name: "payment-gateway", team: "payments", tier: "1", lifecycle: "production", language: "java", framework: "spring-boot", description: "Talks to card processors.", aliases: []string{"pgw"}, runbook: true, docs: true},
	{name: "ledger", team: "payments", tier: "1", lifecycle: "production", language: "java", framework: "spring-boot", description: "Double-entry ledger of every money movement.", runbook: true, docs: true},
	{name: "refunds-worker", team: "payments", tier: "2", lifecycle: "production", language: "go", description: "Processes refund requests from the queue.", runbook: true,
		readme: "Consumes refund requests from the payments queue and pays the money back through the card processor; chargebacks come here too."},
	{name: "fraud-scoring", team: "payments", tier: "2", lifecycle: "experimental", language: "python", framework: "fastapi", description: "Scores orders for fraud risk.", docs: true},
	{name: "auth-service", team: "identity", tier: "1", lifecycle: "production", language: "go", description: "Login, sessions and tokens.", aliases: []string{"auth", "login"}, runbook: true, docs: true},
	{name: "user-profile", team: "identity", tier: "2", lifecycle: "production", language: "kotlin", framework: "ktor", description: "User profiles and preferences.", runbook: true},
	{name: "permissions", team: "identity", tier: "1", lifecycle: "production", language: "go", description: "Who may do what.", runbook: true, docs: true, channel: "#permissions", ci: true},
	{name: "sso-bridge", team: "identity", tier: "3", lifecycle: "deprecated", language: "java", description: "SAML bridge for legacy partners."},
	{name: "search-api", team: "search", tier: "1", lifecycle: "production", language: "java", framework: "spring-boot", description: "Product search queries.", runbook: true, docs: true},
	{name: "search-indexer", team: "search", tier: "2", lifecycle: "production", language: "java", description: "Builds the search index from the catalog stream.", runbook: true},
	{name: "autocomplete", team: "search", tier: "2", lifecycle: "production", language: "rust", description: "Query suggestions as you type.", docs: true},
	{name: "ranking-model", team: "search", tier: "3", lifecycle: "experimental", language: "python", description: "Learning-to-rank model server."},
	{name: "deploy-bot", team: "platform", tier: "2", lifecycle: "production", language: "go", description: "Deploys from merge to production.", runbook: true, docs: true, channel: "#deploys", ci: true},
	{name: "service-mesh", team: "platform", tier: "1", lifecycle: "production", language: "go", description: "Envoy control plane.", runbook: true, docs: true, channel: "#mesh", ci: true, pdKeyOnly: true},
	{name: "logging-pipeline", team: "platform", tier: "1", lifecycle: "production", language: "go", description: "Ships logs to storage.", aliases: []string{"logs"}, runbook: true},
	{name: "metrics-gateway", team: "platform", tier: "2", lifecycle: "production", language: "go", description: "Prometheus remote-write gateway.", runbook: true},
	{name: "ci-runners", team: "platform", tier: "2", lifecycle: "production", language: "shell", description: "Autoscaled GitLab runners."},
	{name: "redis", team: "platform", tier: "1", lifecycle: "production", description: "The shared Redis cluster (a generic name: see the naming rules).", runbook: true},
	{name: "events-pipeline", team: "data", tier: "2", lifecycle: "production", language: "scala", framework: "spark", description: "Clickstream events into the lake.", runbook: true, docs: true},
	{name: "warehouse-loader", team: "data", tier: "3", lifecycle: "production", language: "python", framework: "airflow", description: "Nightly warehouse loads.",
		readme: "Copies yesterday's orders, payments and clickstream tables from the production replicas into the BigQuery warehouse every night at 02:00 UTC."},
	{name: "reporting-api", team: "data", tier: "3", lifecycle: "production", language: "python", framework: "django", description: "Finance and ops reports.", docs: true},
	{name: "ios-app", team: "mobile", tier: "1", lifecycle: "production", language: "swift", description: "The iOS app.", runbook: true, docs: true},
	{name: "android-app", team: "mobile", tier: "1", lifecycle: "production", language: "kotlin", description: "The Android app.", runbook: true, docs: true},
	{name: "mobile-bff", team: "mobile", tier: "1", lifecycle: "production", language: "typescript", framework: "nestjs", description: "Backend for the mobile apps.", runbook: true},
	{namespace: "storefront", name: "frontend", team: "storefront", tier: "1", lifecycle: "production", language: "typescript", framework: "nextjs", description: "The shop's web front end.", runbook: true, docs: true},
	{name: "product-pages", team: "storefront", tier: "2", lifecycle: "production", language: "typescript", framework: "nextjs", description: "Product detail pages.", runbook: true},
	{name: "basket-service", team: "storefront", tier: "1", lifecycle: "production", language: "go", description: "Shopping baskets.", aliases: []string{"cart"}, runbook: true, docs: true},
	{namespace: "backoffice", name: "frontend", team: "backoffice", tier: "3", lifecycle: "production", language: "typescript", framework: "react", description: "Internal admin UI for support staff."},
	{name: "inventory-sync", team: "backoffice", tier: "2", lifecycle: "production", language: "python", description: "Syncs stock levels from the warehouses.", runbook: true},
	// Gaps the catalog must show rather than hide.
	{name: "legacy-cron", tier: "3", lifecycle: "production", language: "perl", description: "Old nightly jobs nobody claims."},
	{name: "email-sender", tier: "2", lifecycle: "production", language: "ruby", framework: "rails", description: "Transactional email.", aliases: []string{"mailer"}},
	{name: "pricing-engine", team: "payments", tier: "1", lifecycle: "production", language: "go", description: "Prices, discounts and promotions."},
	// Log4j only through a Spring Boot starter: what resolving its pom.xml
	// the way Maven does finds (see SpringBootService).
	{name: SpringBootService, team: "storefront", tier: "2", lifecycle: "production", language: "java", framework: "spring-boot", description: "Shipping quotes and labels.", runbook: true},
	// Exposure only a full graph shows (files in testdata/, provenance in
	// testdata/SOURCES.md, what the real tools say in Affected): a parent
	// POM published from another repo, a BOM import, a vulnerable package
	// deep in an npm, yarn, pnpm, poetry lockfile, an indirect Go module.
	{name: "java-parent", kind: "library", team: "platform", lifecycle: "production", language: "java", description: "The parent POM every Java service inherits its dependency versions from.", docs: true, fixture: true},
	{name: "invoice-service", team: "backoffice", tier: "2", lifecycle: "production", language: "java", framework: "spring-boot", description: "Issues invoices and credit notes.", runbook: true, fixture: true,
		readme: "Renders the monthly invoice PDFs and sends them to customers by email, with reminders for the ones left unpaid after thirty days."},
	{name: "audit-trail", team: "identity", tier: "2", lifecycle: "production", language: "java", description: "Append-only log of who did what.", runbook: true, fixture: true},
	{name: "notification-center", team: "mobile", tier: "2", lifecycle: "production", language: "javascript", framework: "express", description: "Push notifications to the apps.", runbook: true, fixture: true},
	{name: "partner-api", team: "backoffice", tier: "3", lifecycle: "production", language: "typescript", framework: "nestjs", description: "API for resellers and marketplaces.", fixture: true},
	{name: "synonyms-editor", team: "search", tier: "3", lifecycle: "production", language: "javascript", description: "Edits the search synonyms and previews them.", fixture: true},
	{name: "label-printer", team: "storefront", tier: "3", lifecycle: "production", language: "javascript", description: "Prints parcel labels as PDF.", fixture: true},
	{name: "registry-janitor", team: "platform", tier: "3", lifecycle: "production", language: "python", description: "Deletes stale images from the container registry.", fixture: true},
	{name: "edge-certs", team: "platform", tier: "1", lifecycle: "production", language: "go", description: "Keeps the edge's TLS certificates renewed (ACME).", runbook: true, fixture: true},
}

// SpringBootService is the sample service whose pom.xml names only
// org.springframework.boot:spring-boot-starter-log4j2:2.6.1: log4j-core
// 2.14.1 comes with it, transitively.
const SpringBootService = "shipping-api"

// Teams is the number of teams Load creates.
func Teams() int { return len(teams) }

// Services is the number of services Load creates.
func Services() int { return len(services) }

// Person is a member of the sample organisation.
type Person struct {
	Name, Email, SlackUserID, GitLabUsername, Team string
}

// People returns everyone in the sample organisation, team by team.
func People() []Person {
	var out []Person
	for _, t := range teams {
		for i, name := range t.people {
			user := strings.ToLower(strings.ReplaceAll(name, " ", "."))
			out = append(out, Person{
				Name: name, Email: user + "@" + Domain, GitLabUsername: strings.ReplaceAll(user, ".", ""),
				SlackUserID: fmt.Sprintf("U%s%02d", strings.ToUpper(t.name[:3]), i+1), Team: t.name,
			})
		}
	}
	return out
}

// Load writes the sample organisation into store. It is idempotent: loading
// twice leaves one copy.
func Load(ctx context.Context, store *catalog.Store) error {
	for _, t := range teams {
		if _, err := store.PutTeam(ctx, catalog.Team{
			Name: t.name, Title: t.title, SlackChannel: t.channel,
			GitLabGroup:               "acme/" + t.name,
			PagerDutyEscalationPolicy: fakepd.SampleEscalationPolicyID(t.name),
		}); err != nil {
			return fmt.Errorf("load sample org: %w", err)
		}
	}
	for _, p := range People() {
		if _, err := store.PutPerson(ctx, catalog.Person{Name: p.Name, Email: p.Email, GitLabUsername: p.GitLabUsername,
			SlackUserID: p.SlackUserID, PagerDutyUserID: fakepd.SampleUserID(p.Email)}); err != nil {
			return fmt.Errorf("load sample org: %w", err)
		}
		if err := store.AddMember(ctx, p.Team, p.Email, "import", ""); err != nil {
			return fmt.Errorf("load sample org: %w", err)
		}
	}
	for i, s := range services {
		group := s.team
		if group == "" {
			group = "legacy"
		}
		svc := catalog.Service{
			Namespace: s.namespace, Name: s.name, Description: s.description, Team: s.team,
			Tier: s.tier, Lifecycle: s.lifecycle, Language: s.language, Framework: s.framework,
			Aliases: s.aliases, SlackChannel: s.channel, Source: catalog.SourceImport,
			Type: cmp.Or(s.kind, "service"),
		}
		// fakepd names services by catalog reference: "checkout-api",
		// "storefront/frontend".
		if !s.pdKeyOnly {
			svc.PagerDutyServiceID = fakepd.SampleServiceID(svc.Ref())
		}
		svc.PagerDutyIntegrationKey = fakepd.SampleIntegrationKey(svc.Ref())
		if s.runbook {
			svc.Links = append(svc.Links, catalog.Link{Kind: catalog.LinkRunbook, Title: "Runbook", URL: fmt.Sprintf("https://wiki.%s/runbooks/%s", Domain, s.name)})
		}
		if s.docs {
			svc.Links = append(svc.Links, catalog.Link{Kind: catalog.LinkDocs, Title: "Docs", URL: fmt.Sprintf("https://docs.%s/%s", Domain, s.name)})
		}
		stored, err := store.PutService(ctx, svc)
		if err != nil {
			return fmt.Errorf("load sample org: %w", err)
		}
		path := "acme/" + group + "/" + s.name
		if s.namespace != "" {
			path = "acme/" + group + "/" + s.namespace + "-" + s.name
		}
		repo, err := store.PutRepo(ctx, catalog.Repo{
			GitLabID: int64(1000 + i), Path: path, DefaultBranch: "main",
			WebURL: "https://gitlab." + Domain + "/" + path,
		})
		if err != nil {
			return fmt.Errorf("load sample org: %w", err)
		}
		if err := store.AttachRepo(ctx, stored.ID, repo.ID, ""); err != nil {
			return fmt.Errorf("load sample org: %w", err)
		}
	}
	return nil
}
