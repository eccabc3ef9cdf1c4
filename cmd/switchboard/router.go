package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/switchboard-dev/switchboard/advisories"
	"github.com/switchboard-dev/switchboard/campaigns"
	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
	"github.com/switchboard-dev/switchboard/digest"
	"github.com/switchboard-dev/switchboard/pagerduty"
	"github.com/switchboard-dev/switchboard/standards"
	"github.com/switchboard-dev/switchboard/weblinks"
)

// deps are what the slash commands are built from; serve and demo fill
// them in, each from its own sources.
type deps struct {
	log   *slog.Logger
	store *catalog.Store
	// lookups answers the read-mostly questions (a catalog.Cache in serve).
	lookups commands.ServiceCatalog
	// pagerduty is nil when PagerDuty is not configured: /oncall and /page
	// say so, and /whoowns shows no on-call section.
	pagerduty *pagerduty.Client
	// slackUsers maps emails to Slack users for people the catalog does
	// not know (the Slack adapter's users.lookupByEmail); nil: not asked.
	slackUsers commands.SlackDirectory
	// pagePolicy decides who may page; nil: anyone.
	pagePolicy commands.PagePolicy
	// campaignPolicy decides who may start and close campaigns (the
	// paging policy over the standards' campaigns.allowed_usergroups);
	// nil: anyone.
	campaignPolicy commands.PagePolicy
	// tokenAdmins decides who may manage API tokens in Slack (the paging
	// policy over the standards' api.token_admins_usergroups); nil:
	// nobody.
	tokenAdmins commands.PagePolicy
	// queueCampaignSweep queues a campaign_sweep through the replica's
	// River client (serve, whose replicas work them), so that a campaign's
	// teams are told within seconds of its start; nil: at the next sweep.
	queueCampaignSweep func(ctx context.Context) error
	// standards are the organisation's; the embedded default when nil.
	// Their Scorecard is the card in force (chooseCard).
	standards *standards.Standards
	// scorecardNotice is what /scorecard says while the standards file's
	// scorecard section has errors (cardInForce.Notice); "" otherwise.
	scorecardNotice string
	// directMessages sends /onboard's welcome (the Slack adapter); nil:
	// the welcome is shown to whoever ran /onboard.
	directMessages commands.DirectMessenger
	// slackProfiles tells who a mentioned Slack user is (users.info); nil:
	// /onboard asks for their email.
	slackProfiles commands.UserDirectory
	// notices posts /page's "Tell their channels" notices (the Slack
	// adapter's Notify); nil: the confirmation offers no such button.
	notices commands.Publisher
	// osv is the OSV API, asked by /impact for advisories the store lacks;
	// nil: only the store (OSV_API_URL=off, the demo).
	osv *advisories.Client
	// links are the web catalog's addresses (WEB_BASE_URL) that answers
	// about a service link to; zero: no links.
	links weblinks.Links
}

// advisoryIndex is /impact's view of the advisories: found in the store
// or from the OSV API, their packages from the store.
type advisoryIndex struct{ finder *advisories.Finder }

func (a advisoryIndex) Find(ctx context.Context, id string) ([]*advisories.Record, error) {
	return a.finder.Find(ctx, id)
}

func (a advisoryIndex) Packages(ctx context.Context, id string) ([]advisories.Affects, error) {
	return a.finder.Store.Packages(ctx, id)
}

// newRouter registers every slash command.
func newRouter(d deps) *commands.Router {
	router := commands.NewRouter(d.log, 10*time.Second)
	oc := onCallLookup(d)
	page := commands.PageConfig{Catalog: d.lookups, OnCall: oc, Policy: d.pagePolicy, Log: d.log, Links: d.links}
	if d.store != nil {
		page.Pages = d.store
		page.Context = pageContext(d)
	}
	if d.pagerduty != nil {
		page.Pager = d.pagerduty
	}
	var teams commands.TeamCatalog
	if d.store != nil {
		teams = d.store
	}
	sc := scorecards(d)
	whoowns := commands.WhoOwnsConfig{Catalog: d.lookups, OnCall: oc, Scorecards: sc, Incidents: incidentCounts(d), Links: d.links}
	if d.store != nil {
		whoowns.Search = d.store
		router.Register(commands.Search(d.store, d.links))
	}
	router.Register(commands.WhoOwnsWith(whoowns))
	scCfg := commands.ScorecardConfig{Services: d.lookups, Notice: d.scorecardNotice}
	if sc != nil {
		scCfg.Scorecards, scCfg.Teams = *sc, d.store
	}
	router.Register(commands.Scorecard(scCfg))
	router.Register(commands.OnCall(d.lookups, teams, oc))
	// The service graph: from memory with a catalog.Cache, else the store.
	graph, _ := d.lookups.(commands.ServiceGraph)
	router.Register(commands.Blast(d.lookups, graph, oc))
	router.Register(commands.Page(page))
	router.Register(commands.Changes(changesConfig(d)))
	if d.store != nil {
		advStore := advisories.NewStore(d.store.Pool())
		router.Register(commands.ImpactCommand(impactConfig(d)))
		router.Register(commands.Switchboard(commands.TokenConfig{Store: d.store, Admins: d.tokenAdmins}))
		commands.RegisterCampaignCommand(router, commands.CampaignConfig{Store: d.store, Policy: d.campaignPolicy,
			Starter: &campaigns.Evaluator{Store: d.store, Advisories: advStore, QueueSweep: d.queueCampaignSweep, Log: d.log}})
	} else {
		router.Register(commands.Impact(d.store))
		router.Register(commands.Switchboard(commands.TokenConfig{}))
		commands.RegisterCampaignCommand(router, commands.CampaignConfig{})
	}
	var registry commands.ServiceRegistry
	if d.store != nil {
		registry = d.store
	}
	more := map[string]commands.SubcommandFunc{}
	if d.store != nil {
		src := digest.Source{Store: d.store, Standards: d.standards}
		router.Register(commands.Digest(src))
		more["uncatalogued"] = commands.Uncatalogued(src)
		more["ignore"] = commands.IgnoreRepo(src)
		more["unignore"] = commands.UnignoreRepo(src)
		more["ignored"] = commands.Ignored(src)
	} else {
		router.Register(commands.Digest(nil))
	}
	commands.RegisterServiceCommand(router, commands.ServiceConfig{Catalog: registry, Standards: d.standards, More: more})
	registerRosterCommands(router, d, oc)
	return router
}

// pageContext is what the /page confirmation tells of the incident's
// context: dependents and the graph from the read cache when it keeps
// one, the change history and the notices' claims from the store.
func pageContext(d deps) *commands.PageContext {
	pc := &commands.PageContext{Dependents: d.store, History: d.store, Graph: d.store, Notices: d.store, Publisher: d.notices}
	if g, ok := d.lookups.(commands.DependentLister); ok {
		pc.Dependents = g
	}
	if g, ok := d.lookups.(commands.DependencyLister); ok {
		pc.Graph = g
	}
	return pc
}

// changesConfig is /changes' history and graph: the store's, the graph
// from the read cache when it keeps one (serve's catalog.Cache).
func changesConfig(d deps) commands.ChangesConfig {
	cfg := commands.ChangesConfig{Catalog: d.lookups}
	if d.store == nil {
		return cfg
	}
	cfg.History, cfg.Graph = d.store, d.store
	if g, ok := d.lookups.(commands.DependencyLister); ok {
		cfg.Graph = g
	}
	return cfg
}

// onCallLookup is the on-call lookup of /oncall, /whoowns, /page and the
// API: PagerDuty, then people by email in the catalog and Slack.
func onCallLookup(d deps) *commands.OnCallLookup {
	oc := &commands.OnCallLookup{Slack: d.slackUsers, Log: d.log, Links: d.links}
	if d.store != nil {
		// Assigned only when set: a nil *catalog.Store in an interface
		// would not be nil.
		oc.People = d.store
	}
	if d.pagerduty != nil {
		oc.PagerDuty = d.pagerduty
	}
	return oc
}

// impactConfig is /impact's (and the API's): the store's dependency index
// and advisories, asking the OSV API for ids the store lacks when there is
// one. d.store must be set.
func impactConfig(d deps) commands.ImpactConfig {
	finder := &advisories.Finder{Store: advisories.NewStore(d.store.Pool()), API: d.osv}
	return commands.ImpactConfig{Index: d.store, Advisories: advisoryIndex{finder}, Online: d.osv != nil, Links: d.links}
}

// scorecards reads the stored grades against the standards' scorecard
// (the embedded default's when d.standards is nil); nil without a store
// or a scorecard.
func scorecards(d deps) *commands.Scorecards {
	std := d.standards
	if std == nil {
		std = standards.Default()
	}
	if d.store == nil || std.Scorecard == nil {
		return nil
	}
	return &commands.Scorecards{Grades: d.store, Card: std.Scorecard, Links: d.links}
}
