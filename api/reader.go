package api

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
	"github.com/switchboard-dev/switchboard/weblinks"
)

// Catalog is what the API reads of the catalog beyond a service's
// lookup (*catalog.Store).
type Catalog interface {
	ListServices(ctx context.Context, f catalog.ServiceFilter, after catalog.ServiceCursor, limit int) ([]catalog.Service, bool, error)
	// SearchFiltered is /search's full-text search (catalog.Store.Search)
	// among the services that match the list's filters.
	SearchFiltered(ctx context.Context, query string, f catalog.ServiceFilter, limit int) ([]catalog.SearchHit, error)
	commands.TeamDirectory
}

// DigestSource is the digest's data (digest.Source: the store with the
// standards' ignore list).
type DigestSource interface {
	Digest(ctx context.Context, opts catalog.DigestOptions) (*catalog.Digest, error)
}

// Reader answers the API's and the MCP server's questions through the
// very calls the slash commands make: catalog lookups and suggestions
// (commands.ServiceCatalog, the cache in serve), the on-call lookup of
// /oncall, /impact's answer, the digest's reads, the scorecard's grades.
// It holds no answer logic of its own beyond turning those answers into
// the API's shapes.
type Reader struct {
	// Services resolves names as /whoowns does.
	Services commands.ServiceCatalog
	// Catalog lists services and reads teams.
	Catalog Catalog
	// OnCall is /oncall's lookup; nil or without PagerDuty: on-call is
	// "not_configured".
	OnCall *commands.OnCallLookup
	// Impact is /impact's configuration; a nil Index: impact questions
	// are refused as unavailable.
	ImpactConfig commands.ImpactConfig
	// Scorecards reads levels; nil: no scorecard.
	Scorecards *commands.Scorecards
	// Digest reads the digest's data; nil: unavailable.
	Digest DigestSource
	// Graph is the service graph /blast reads (a catalog.Cache in
	// serve, else the store); nil: blast is unavailable and changes
	// lists the service's own only.
	Graph commands.ServiceGraph
	// History is /changes' change history; nil: unavailable.
	History commands.ChangeHistory
	// Now is the clock of the changes' window (default time.Now).
	Now func() time.Time
	// Incidents are /whoowns's PagerDuty incident counts; nil: a
	// service's incidents are "not_configured".
	Incidents commands.IncidentCounts
	// Links are the web catalog's links (WEB_BASE_URL): a service's
	// web_url; none when no base URL is set.
	Links weblinks.Links
}

// Error is an answer that is not a result: what the API sends as
// {"error": {...}} with Status, and the MCP server as a tool error.
type Error struct {
	Status  int
	Code    string
	Message string
	// Suggestions are close names ("did you mean"), Candidates the
	// services an ambiguous name matches.
	Suggestions []string
	Candidates  []string
}

func (e *Error) Error() string { return e.Message }

// Error codes.
const (
	CodeNotFound      = "not_found"
	CodeAmbiguous     = "ambiguous"
	CodeInvalid       = "invalid_request"
	CodeUnauthorized  = "unauthorized"
	CodeRateLimited   = "rate_limited"
	CodeUnavailable   = "unavailable"
	CodeInternal      = "internal"
	CodeMethod        = "method_not_allowed"
	CodeNotModified   = "not_modified"
	CodeNotConfigured = "not_configured"
)

func invalid(format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: CodeInvalid, Message: fmt.Sprintf(format, args...)}
}

// notFound is a not_found Error saying msg, offering the close names
// suggestions ("did you mean") when there are any.
func notFound(msg string, suggestions []string) *Error {
	e := &Error{Status: http.StatusNotFound, Code: CodeNotFound, Message: msg, Suggestions: suggestions}
	if len(suggestions) > 0 {
		e.Message += "; did you mean " + strings.Join(suggestions, ", ") + "?"
	}
	return e
}

// resolve finds the one service ref names, as /whoowns does: by name,
// alias or namespace/name; an unknown name is a not_found Error with
// suggestions, one several services share an ambiguous one listing them.
func (r *Reader) resolve(ctx context.Context, ref string) (catalog.Profile, catalog.Lookup, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return catalog.Profile{}, catalog.Lookup{}, invalid("which service? Give its name, an alias or namespace/name")
	}
	l, err := r.Services.FindService(ctx, ref)
	if err != nil {
		return catalog.Profile{}, l, err
	}
	switch {
	case len(l.Services) == 1:
		p, err := r.Services.Profile(ctx, l.Services[0].ID)
		return p, l, err
	case len(l.Services) > 1:
		e := &Error{Status: http.StatusConflict, Code: CodeAmbiguous,
			Message: fmt.Sprintf("%d services are called %q; ask for one by namespace/name", len(l.Services), ref)}
		for _, s := range l.Services {
			e.Candidates = append(e.Candidates, s.Ref())
		}
		return catalog.Profile{}, l, e
	}
	var names []string
	for _, s := range l.Suggestions {
		names = append(names, s.Service.Ref())
	}
	return catalog.Profile{}, l, notFound(fmt.Sprintf("no service named %q", ref), names)
}

// Service is one service by name, alias or namespace/name.
func (r *Reader) Service(ctx context.Context, ref string) (Service, error) {
	p, l, err := r.resolve(ctx, ref)
	if err != nil {
		return Service{}, err
	}
	svc := p.Service
	out := Service{ServiceSummary: summaryOf(svc), Description: svc.Description, Aliases: append([]string{}, svc.Aliases...),
		Type: svc.Type, Language: svc.Language, Framework: svc.Framework, Source: string(svc.Source),
		UpdatedAt: svc.UpdatedAt.UTC(), People: []Person{}, Links: []Link{}, Repos: []Repo{},
		PagerDuty: PagerDutyLink{ServiceID: strPtr(svc.PagerDutyServiceID), Pageable: svc.PagerDutyServiceID != "" || svc.PagerDutyIntegrationKey != ""}}
	out.MatchedBy = "name"
	if l.Kind == catalog.MatchAlias {
		out.MatchedBy = "alias"
	}
	channel := svc.SlackChannel
	if p.Team != nil {
		out.Owner = &TeamSummary{Name: p.Team.Name, Title: p.Team.Title, Channel: strPtr(p.Team.SlackChannel)}
		channel = cmp.Or(channel, p.Team.SlackChannel)
	}
	out.Channel = strPtr(channel)
	for _, m := range p.Members {
		out.People = append(out.People, personOf(m))
	}
	for _, lk := range svc.Links {
		out.Links = append(out.Links, Link{Kind: lk.Kind, Title: lk.Title, URL: lk.URL})
	}
	for _, rp := range p.Repos {
		out.Repos = append(out.Repos, Repo{Path: rp.Path, WebURL: rp.WebURL, DefaultBranch: rp.DefaultBranch, Subpath: rp.Subpath,
			DescriptorStatus: rp.DescriptorStatus, DescriptorPath: rp.DescriptorPath, LastActivityAt: timePtr(rp.LastActivityAt)})
	}
	if len(p.Repos) > 0 {
		out.DescriptorStatus = strPtr(p.Repos[0].DescriptorStatus)
	}
	if out.Scorecard, err = r.level(ctx, svc.ID); err != nil {
		return Service{}, err
	}
	out.Incidents = r.incidents(ctx, svc.ID)
	out.WebURL = strPtr(r.Links.Service(svc.Namespace, svc.Name))
	return out, nil
}

// incidents are the service's incident counts as /whoowns's line reads
// them (commands.ServiceIncidentCount), or why they are unknown.
func (r *Reader) incidents(ctx context.Context, id int64) Incidents {
	if r.Incidents == nil {
		return Incidents{Status: IncidentsNotConfigured, Reason: "PagerDuty is not configured in Switchboard (PAGERDUTY_TOKEN): no incidents are counted"}
	}
	c, unknown := commands.ServiceIncidentCount(ctx, r.Incidents, id)
	if unknown != "" {
		return Incidents{Status: IncidentsUnknown, Reason: unknown}
	}
	return Incidents{Status: IncidentsKnown, Last30Days: &c.Last30, OutOfHours30Days: &c.OutOfHours30, Last90Days: &c.Last90}
}

// level is a service's scorecard level, as /whoowns's scorecard line
// reads it; nil without a scorecard or a grade.
func (r *Reader) level(ctx context.Context, id int64) (*ScorecardLevel, error) {
	sc := r.Scorecards
	if sc == nil || sc.Grades == nil || sc.Card == nil {
		return nil, nil
	}
	g, err := sc.Grades.ServiceGrade(ctx, id)
	if errors.Is(err, catalog.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("level of service %d: %w", id, err)
	}
	lv := &ScorecardLevel{Level: g.Grade.Level, LevelName: sc.LevelName(g.Grade.Level), GradedAt: g.GradedAt.UTC()}
	if g.Grade.Next != 0 {
		lv.Next = strPtr(sc.LevelName(g.Grade.Next))
	}
	return lv, nil
}

func personOf(m catalog.Person) Person {
	return Person{Name: cmp.Or(m.Name, m.Email), Email: m.Email, SlackUserID: strPtr(m.SlackUserID)}
}

// ServiceQuery is a list of services' filters and page.
type ServiceQuery struct {
	Filter catalog.ServiceFilter
	// Text, when set, is searched as /search searches it: the answer is
	// the best matches among the services the Filter keeps, in rank
	// order, each saying why it matched, at most Limit (up to
	// catalog.SearchMaxLimit) in one page with no cursor.
	Text string
	// Cursor is the last page's next_cursor; "" for the first page.
	Cursor string
	Limit  int
}

// Page limits.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// ListServices is a page of the services matching q's filters (the team
// as /team takes it: "@payments" and "#payments" too).
func (r *Reader) ListServices(ctx context.Context, q ServiceQuery) (Page[ServiceSummary], error) {
	q.Filter.Team = strings.TrimLeft(q.Filter.Team, "@#")
	if strings.TrimSpace(q.Text) != "" && q.Cursor != "" {
		return Page[ServiceSummary]{}, invalid("a text search (q) answers one ranked page: it takes no cursor")
	}
	var after catalog.ServiceCursor
	if q.Cursor != "" {
		if err := decodeCursor(q.Cursor, "services", &after); err != nil {
			return Page[ServiceSummary]{}, err
		}
	}
	limit, err := pageLimit(q.Limit)
	if err != nil {
		return Page[ServiceSummary]{}, err
	}
	if strings.TrimSpace(q.Text) != "" {
		if limit > catalog.SearchMaxLimit {
			return Page[ServiceSummary]{}, invalid("with q (a text search), limit must be from 1 to %d, got %d", catalog.SearchMaxLimit, limit)
		}
		return r.searchServices(ctx, q.Text, q.Filter, limit)
	}
	svcs, more, err := r.Catalog.ListServices(ctx, q.Filter, after, limit)
	if err != nil {
		return Page[ServiceSummary]{}, err
	}
	out := Page[ServiceSummary]{Items: make([]ServiceSummary, 0, len(svcs))}
	for _, s := range svcs {
		out.Items = append(out.Items, summaryOf(s))
	}
	if more {
		c := encodeCursor("services", catalog.CursorOf(svcs[len(svcs)-1]))
		out.NextCursor = &c
	}
	return out, nil
}

// searchServices is /search's ranked search (catalog.Store.Search) of
// text among the services that match f's filters (SearchFiltered: the
// filters narrow the ranking query itself), at most limit, best first,
// each with why it matched.
func (r *Reader) searchServices(ctx context.Context, text string, f catalog.ServiceFilter, limit int) (Page[ServiceSummary], error) {
	hits, err := r.Catalog.SearchFiltered(ctx, text, f, limit)
	if err != nil {
		return Page[ServiceSummary]{}, err
	}
	out := Page[ServiceSummary]{Items: make([]ServiceSummary, 0, len(hits))}
	for _, h := range hits {
		s := summaryOf(h.Service)
		s.Why = append([]string{}, h.Why...)
		out.Items = append(out.Items, s)
	}
	return out, nil
}

func pageLimit(n int) (int, error) {
	switch {
	case n == 0:
		return DefaultLimit, nil
	case n < 1 || n > MaxLimit:
		return 0, invalid("limit must be from 1 to %d, got %d", MaxLimit, n)
	}
	return n, nil
}

// findTeam finds a team by name as /team does ("@payments" and
// "#payments" too); an unknown name is a not_found Error with the close
// names.
func (r *Reader) findTeam(ctx context.Context, name string) (catalog.Team, error) {
	name = strings.TrimLeft(strings.TrimSpace(name), "@#")
	if name == "" {
		return catalog.Team{}, invalid("which team? Give its name")
	}
	t, err := r.Catalog.FindTeam(ctx, name)
	if err == nil || !errors.Is(err, catalog.ErrNotFound) {
		return t, err
	}
	teams, err := r.Catalog.SuggestTeams(ctx, name)
	if err != nil {
		return catalog.Team{}, err
	}
	var names []string
	for _, c := range teams {
		names = append(names, c.Name)
	}
	return catalog.Team{}, notFound(fmt.Sprintf("no team named %q", name), names)
}

// Team is a team with its people, services and who is on call at every
// level of its escalation policy.
func (r *Reader) Team(ctx context.Context, name string) (Team, error) {
	t, err := r.findTeam(ctx, name)
	if err != nil {
		return Team{}, err
	}
	roster, err := r.Catalog.Roster(ctx, t.ID)
	if err != nil {
		return Team{}, err
	}
	owned, err := r.Catalog.TeamServices(ctx, t.ID)
	if err != nil {
		return Team{}, err
	}
	out := Team{Name: t.Name, Title: t.Title, Description: t.Description, Channel: strPtr(t.SlackChannel),
		GitLabGroup: strPtr(t.GitLabGroup), PagerDutyEscalationPolicy: strPtr(t.PagerDutyEscalationPolicy),
		People: make([]Person, 0, len(roster)), Services: make([]ServiceSummary, 0, len(owned))}
	for _, m := range roster {
		p := personOf(m.Person)
		p.Sources, p.Role = m.Sources, m.Role
		out.People = append(out.People, p)
	}
	for _, o := range owned {
		out.Services = append(out.Services, summaryOf(o.Service))
	}
	out.OnCall = r.teamOnCall(ctx, t)
	return out, nil
}

// ServiceOnCall is who is on call for a service now.
func (r *Reader) ServiceOnCall(ctx context.Context, ref string) (ServiceOnCall, error) {
	p, _, err := r.resolve(ctx, ref)
	if err != nil {
		return ServiceOnCall{}, err
	}
	out := ServiceOnCall{Service: summaryOf(p.Service)}
	if !r.OnCall.Configured() {
		out.OnCall = notConfigured()
		return out, nil
	}
	now, err := r.OnCall.ServiceOnCall(ctx, p)
	out.OnCall = onCallAnswer(now, err)
	return out, nil
}

// TeamOnCall is who is on call for a team now.
func (r *Reader) TeamOnCall(ctx context.Context, name string) (TeamOnCall, error) {
	t, err := r.findTeam(ctx, name)
	if err != nil {
		return TeamOnCall{}, err
	}
	return TeamOnCall{Team: t.Name, OnCall: r.teamOnCall(ctx, t)}, nil
}

func (r *Reader) teamOnCall(ctx context.Context, t catalog.Team) OnCall {
	switch {
	case !r.OnCall.Configured():
		return notConfigured()
	case t.PagerDutyEscalationPolicy == "":
		return OnCall{Status: OnCallNotLinked, Levels: []OnCallLevel{},
			Reason: fmt.Sprintf("team %s has no PagerDuty escalation policy in the catalog", t.Name)}
	}
	now, err := r.OnCall.PolicyOnCall(ctx, t.PagerDutyEscalationPolicy)
	return onCallAnswer(now, err)
}

func notConfigured() OnCall {
	return OnCall{Status: OnCallNotConfigured, Levels: []OnCallLevel{},
		Reason: "PagerDuty is not configured in Switchboard (PAGERDUTY_TOKEN)"}
}

// onCallAnswer is PagerDuty's answer, or why there is none: unknown is
// not a failure of the request.
func onCallAnswer(now commands.OnCallNow, err error) OnCall {
	switch {
	case errors.Is(err, commands.ErrNoPagerDutyLink):
		return OnCall{Status: OnCallNotLinked, Levels: []OnCallLevel{},
			Reason: "the catalog links neither the service nor its team to PagerDuty (add the pagerduty.com/service-id annotation to catalog-info.yaml)"}
	case err != nil:
		return OnCall{Status: OnCallUnknown, Levels: []OnCallLevel{}, Reason: commands.PagerDutyProblem(err)}
	}
	return onCallOf(now)
}
