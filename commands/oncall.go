package commands

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/oncall"
	"github.com/switchboard-dev/switchboard/weblinks"
)

// OnCallSource is who is on call now, from PagerDuty (*pagerduty.Client).
// Its errors are package oncall's: ErrNotFound, ErrUnauthorized,
// ErrRateLimited, ErrUnavailable.
type OnCallSource interface {
	// OnCall is who is on call for a PagerDuty service.
	OnCall(ctx context.Context, serviceID string) (oncall.Now, error)
	// OnCallForPolicy is who is on call for an escalation policy.
	OnCallForPolicy(ctx context.Context, policyID string) (oncall.Now, error)
}

// PeopleDirectory finds the catalog's people by email (*catalog.Store): how
// a PagerDuty user becomes a Slack user.
type PeopleDirectory interface {
	// PeopleByEmail returns the people with these emails, keyed by
	// lower-cased email.
	PeopleByEmail(ctx context.Context, emails []string) (map[string]catalog.Person, error)
}

// SlackDirectory finds Slack users by email, for people the catalog does
// not know (the Slack adapter: users.lookupByEmail, cached).
type SlackDirectory interface {
	// UserIDByEmail returns the Slack user ID of email, "" when Slack has
	// nobody with it.
	UserIDByEmail(ctx context.Context, email string) (string, error)
}

// TeamCatalog finds teams by name (*catalog.Store).
type TeamCatalog interface {
	// FindTeam returns the team named name, ignoring case, or an error
	// matching catalog.ErrNotFound.
	FindTeam(ctx context.Context, name string) (catalog.Team, error)
}

// defaultCardTimeout bounds the on-call part of /whoowns.
const defaultCardTimeout = 2 * time.Second

// OnCallLookup answers "who is on call now" for /oncall, /whoowns and
// /page: it asks PagerDuty, then turns PagerDuty's users into Slack
// mentions through the catalog (by email) and, for people the catalog does
// not know, Slack.
type OnCallLookup struct {
	// PagerDuty is nil when PagerDuty is not configured.
	PagerDuty OnCallSource
	// People maps emails to catalog people; nil: names only.
	People PeopleDirectory
	// Slack maps the remaining emails to Slack users; nil: not asked.
	Slack SlackDirectory
	// Now is the clock (default time.Now).
	Now func() time.Time
	// CardTimeout bounds the on-call lookup of a /whoowns card, so that a
	// slow PagerDuty never holds the card (default 2s).
	CardTimeout time.Duration
	// Log receives the failures that are shown to users only in short.
	Log *slog.Logger
	// Links are the web catalog's addresses: /oncall, /team and the App
	// Home link the services they name to their pages; zero: no links.
	Links weblinks.Links
}

// links are o's Links; none when o is nil.
func (o *OnCallLookup) links() weblinks.Links {
	if o == nil {
		return weblinks.Links{}
	}
	return o.Links
}

// configured reports whether there is a PagerDuty to ask.
func (o *OnCallLookup) configured() bool { return o != nil && o.PagerDuty != nil }

func (o *OnCallLookup) now() time.Time {
	if o != nil && o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

func (o *OnCallLookup) log() *slog.Logger {
	if o != nil && o.Log != nil {
		return o.Log
	}
	return slog.New(slog.DiscardHandler)
}

// errNoLink: the catalog links neither the service nor its team to
// PagerDuty.
var errNoLink = ErrNoPagerDutyLink

// ErrNoPagerDutyLink is OnCallNow's error when the catalog links neither
// the service nor its team to PagerDuty.
var ErrNoPagerDutyLink = errors.New("no pagerduty link")

// OnCallNow is who is on call, as /oncall shows it, for callers other
// than Slack (the JSON API, the MCP server).
type OnCallNow struct {
	// Service is the PagerDuty service asked (zero when the team's
	// escalation policy was), Policy the escalation policy.
	Service oncall.Service
	Policy  oncall.Policy
	// Levels are the escalation levels with someone on call, in order.
	Levels []OnCallLevel
	// Stale: PagerDuty was unreachable and this is the answer of
	// FetchedAt.
	Stale     bool
	FetchedAt time.Time
}

// OnCallLevel is one escalation level of OnCallNow.
type OnCallLevel struct {
	Level    int
	Schedule oncall.Schedule
	// Until is when the shift ends; zero when it never does.
	Until time.Time
	// People are who is on call, with their Slack user where known.
	People []catalog.PageTarget
}

// Configured reports whether there is a PagerDuty to ask.
func (o *OnCallLookup) Configured() bool { return o.configured() }

// ServiceOnCall is who is on call now for a service, as /oncall SERVICE
// answers: its PagerDuty service, else its team's escalation policy.
// Returns ErrNoPagerDutyLink when it has neither, PagerDuty's errors
// otherwise (PagerDutyProblem says them in words).
func (o *OnCallLookup) ServiceOnCall(ctx context.Context, p catalog.Profile) (OnCallNow, error) {
	if !o.configured() {
		return OnCallNow{}, errors.New("pagerduty is not configured")
	}
	c, err := o.forService(ctx, p)
	return c.export(), err
}

// PolicyOnCall is who is on call now on an escalation policy (a team's,
// as /oncall TEAM answers).
func (o *OnCallLookup) PolicyOnCall(ctx context.Context, policyID string) (OnCallNow, error) {
	if !o.configured() {
		return OnCallNow{}, errors.New("pagerduty is not configured")
	}
	c, err := o.forPolicy(ctx, policyID)
	return c.export(), err
}

// PagerDutyProblem says in words why PagerDuty failed, as /oncall does.
func PagerDutyProblem(err error) string { return pagerDutyProblem(err) }

func (c onCall) export() OnCallNow {
	out := OnCallNow{Service: c.Service, Policy: c.Policy, Stale: c.Stale, FetchedAt: c.FetchedAt}
	for _, l := range c.levels {
		out.Levels = append(out.Levels, OnCallLevel{Level: l.Level.Level, Schedule: l.Schedule, Until: l.Until, People: l.people})
	}
	return out
}

// onCall is PagerDuty's answer with its people resolved to Slack users.
type onCall struct {
	oncall.Now
	levels []onCallLevel
}

// onCallLevel is one escalation level and its people.
type onCallLevel struct {
	oncall.Level
	people []catalog.PageTarget
}

// first is the first level with someone on call (level 1, normally).
func (c onCall) first() (onCallLevel, bool) {
	if len(c.levels) == 0 {
		return onCallLevel{}, false
	}
	return c.levels[0], true
}

// onCallTarget is what PagerDuty is asked about for a service: its
// PagerDuty service, else its team's escalation policy; the zero value
// when it has neither link. Lookups for many services ask once per target.
type onCallTarget struct{ service, policy string }

// onCallTargetOf is p's onCallTarget: the one place that says a PagerDuty
// service comes before the team's escalation policy.
func onCallTargetOf(p catalog.Profile) onCallTarget {
	switch {
	case p.Service.PagerDutyServiceID != "":
		return onCallTarget{service: p.Service.PagerDutyServiceID}
	case p.Team != nil && p.Team.PagerDutyEscalationPolicy != "":
		return onCallTarget{policy: p.Team.PagerDutyEscalationPolicy}
	}
	return onCallTarget{}
}

// forService asks who is on call for a service: its PagerDuty service, else
// its team's escalation policy. Returns errNoLink when it has neither.
func (o *OnCallLookup) forService(ctx context.Context, p catalog.Profile) (onCall, error) {
	return o.forTarget(ctx, onCallTargetOf(p))
}

// forTarget asks who is on call for t; errNoLink for the zero target.
func (o *OnCallLookup) forTarget(ctx context.Context, t onCallTarget) (onCall, error) {
	switch {
	case t.service != "":
		now, err := o.PagerDuty.OnCall(ctx, t.service)
		if err != nil {
			return onCall{}, err
		}
		return o.resolvePeople(ctx, now), nil
	case t.policy != "":
		return o.forPolicy(ctx, t.policy)
	}
	return onCall{}, errNoLink
}

func (o *OnCallLookup) forPolicy(ctx context.Context, policyID string) (onCall, error) {
	now, err := o.PagerDuty.OnCallForPolicy(ctx, policyID)
	if err != nil {
		return onCall{}, err
	}
	return o.resolvePeople(ctx, now), nil
}

// resolvePeople finds the Slack user of everyone on call: the catalog's
// people by email first, then Slack. A failure of either leaves names.
func (o *OnCallLookup) resolvePeople(ctx context.Context, now oncall.Now) onCall {
	var emails []string
	for _, l := range now.Levels {
		for _, u := range l.Users {
			if u.Email != "" {
				emails = append(emails, u.Email)
			}
		}
	}
	known := map[string]catalog.Person{}
	if o.People != nil && len(emails) > 0 {
		m, err := o.People.PeopleByEmail(ctx, emails)
		if err != nil {
			o.log().WarnContext(ctx, "map on-call people to slack users", "err", err)
		} else {
			known = m
		}
	}
	slackIDs := map[string]string{}
	out := onCall{Now: now}
	for _, l := range now.Levels {
		lv := onCallLevel{Level: l}
		for _, u := range l.Users {
			key := strings.ToLower(u.Email)
			p := known[key]
			t := catalog.PageTarget{Name: firstNonEmpty(u.Name, p.Name, u.Email, u.ID), SlackUserID: p.SlackUserID}
			if t.SlackUserID == "" && o.Slack != nil && key != "" {
				id, ok := slackIDs[key]
				if !ok {
					var err error
					if id, err = o.Slack.UserIDByEmail(ctx, u.Email); err != nil {
						o.log().WarnContext(ctx, "look up slack user by email", "pagerduty_user", u.ID, "err", err)
					}
					slackIDs[key] = id
				}
				t.SlackUserID = id
			}
			lv.people = append(lv.people, t)
		}
		out.levels = append(out.levels, lv)
	}
	return out
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// OnCall is /oncall SERVICE|TEAM: who is on call now at each escalation
// level of a service (its PagerDuty service, else its team's escalation
// policy) or of a team, as Slack mentions, until when, on which schedule.
// The argument is resolved like /whoowns's; a name that is no service is
// tried as a team. teams may be nil (services only).
func OnCall(cat ServiceCatalog, teams TeamCatalog, oc *OnCallLookup) Command {
	return Command{
		Name:    "/oncall",
		Usage:   "SERVICE|TEAM",
		Summary: "Who is on call now for a service or a team, at every escalation level",
		Handler: func(ctx context.Context, req Request) (Response, error) {
			if req.Text == "" {
				return usage("/oncall", "SERVICE|TEAM", "(a service's name, alias or namespace/name, or a team's name)."), nil
			}
			if !oc.configured() {
				return notConfigured("tell who is on call"), nil
			}
			r, err := resolveService(ctx, cat, req.Text, func(ref string) string { return "/oncall " + ref })
			if err != nil {
				return Response{}, err
			}
			if r.Profile != nil {
				return oc.serviceReply(ctx, *r.Profile), nil
			}
			if len(r.Lookup.Services) > 0 || teams == nil {
				return r.Reply, nil
			}
			team, err := teams.FindTeam(ctx, req.Text)
			switch {
			case err == nil:
				return oc.teamReply(ctx, team), nil
			case !errors.Is(err, catalog.ErrNotFound):
				return Response{}, err
			case len(r.Lookup.Suggestions) > 0:
				return r.Reply, nil
			}
			text := fmt.Sprintf("No service or team named %s, and no service name close to it.", req.Text)
			return Response{Text: text, Blocks: []Block{
				&Section{Text: T(Plain("No service or team named "), Code(req.Text), Plain(", and no service name close to it."))},
				&Context{Text: T(Plain("Services are looked up by name, alias or namespace/name; teams by name. "), Code("/whoowns SERVICE"), Plain(" shows a service's team."))},
			}}, nil
		},
	}
}

// notConfigured answers a command that needs PagerDuty when there is none.
func notConfigured(what string) Response {
	text := fmt.Sprintf("PagerDuty is not configured in Switchboard, so it cannot %s.", what)
	return Response{Text: text, Blocks: []Block{
		&Section{Text: T(Plain(text))},
		&Context{Text: T(Plain("An administrator connects it by setting "), Code("PAGERDUTY_TOKEN"), Plain(" (a PagerDuty REST API key) where Switchboard runs."))},
	}}
}

// noLink says a service is not linked to PagerDuty, and how to link it.
func noLink(p catalog.Profile, links weblinks.Links) Response {
	ref := p.Service.Ref()
	text := fmt.Sprintf("%s has no PagerDuty link: the catalog has no PagerDuty service for it", ref)
	spans := T(refName(links, ref), Plain(" has no PagerDuty link: the catalog has no PagerDuty service for it"))
	if p.Team != nil {
		text += fmt.Sprintf(" and its team, %s, no escalation policy", p.Team.Name)
		spans = append(spans, Plain(", and its team, "), Bold(p.Team.Name), Plain(", no escalation policy"))
	}
	text += "."
	spans = append(spans, Plain("."))
	return Response{Text: text, Blocks: []Block{
		&Section{Text: spans},
		&Context{Text: howToLink()},
	}}
}

func howToLink() Text {
	return T(Plain("To add one, put the annotation "), Code("pagerduty.com/service-id: PXXXXXX"),
		Plain(" (and, to page through the Events API, "), Code("pagerduty.com/integration-key"),
		Plain(") under metadata.annotations in the service's catalog-info.yaml; Switchboard picks it up at the next sync."))
}

// serviceReply is /oncall's answer for one service.
func (o *OnCallLookup) serviceReply(ctx context.Context, p catalog.Profile) Response {
	ref := p.Service.Ref()
	c, err := o.forService(ctx, p)
	switch {
	case errors.Is(err, errNoLink):
		return noLink(p, o.links())
	case err != nil:
		return o.unavailable(ctx, "On call for "+ref, err)
	}
	title := "On call for " + ref
	if c.Service.ID == "" && p.Team != nil {
		title += " (team " + p.Team.Name + ")"
	}
	resp := o.levelsReply(title, c)
	resp.Blocks = appendBlock(resp.Blocks, pageLink(o.links(), p.Service))
	if pageable(p.Service) {
		resp.Blocks = append(resp.Blocks, &Actions{Buttons: []Button{{Label: "Page on call", Command: "/page " + ref}}})
	}
	return resp
}

// teamReply is /oncall's answer for a team.
func (o *OnCallLookup) teamReply(ctx context.Context, t catalog.Team) Response {
	title := "On call for team " + t.Name
	if t.PagerDutyEscalationPolicy == "" {
		text := fmt.Sprintf("Team %s has no PagerDuty escalation policy in the catalog.", t.Name)
		return Response{Text: text, Blocks: []Block{
			&Section{Text: T(Plain("Team "), Bold(t.Name), Plain(" has no PagerDuty escalation policy in the catalog, so Switchboard cannot tell who is on call for it."))},
			&Context{Text: T(Plain("Ask about one of its services instead ("), Code("/oncall SERVICE"), Plain("); a service is linked to PagerDuty by its catalog-info.yaml annotation "), Code("pagerduty.com/service-id"), Plain("."))},
		}}
	}
	c, err := o.forPolicy(ctx, t.PagerDutyEscalationPolicy)
	if err != nil {
		return o.unavailable(ctx, title, err)
	}
	return o.levelsReply(title, c)
}

// unavailable says PagerDuty could not answer, and why.
func (o *OnCallLookup) unavailable(ctx context.Context, what string, err error) Response {
	o.log().WarnContext(ctx, "on call unavailable", "what", what, "err", err)
	why := pagerDutyProblem(err)
	text := fmt.Sprintf("%s: unavailable: %s.", what, why)
	return Response{Text: text, Blocks: []Block{
		&Header{Text: what},
		&Section{Text: T(Plain("On-call unavailable: " + why + "."))},
		&Context{Text: T(Plain("Switchboard had no recent answer to fall back on. Try again in a minute, or look in PagerDuty directly."))},
	}}
}

// levelsReply lists every level of c.
func (o *OnCallLookup) levelsReply(title string, c onCall) Response {
	now := o.now()
	blocks := []Block{&Header{Text: title}}
	policy := T(Plain("Escalation policy: "), Link(firstNonEmpty(c.Policy.Name, c.Policy.ID), c.Policy.HTMLURL))
	if c.Service.ID != "" {
		policy = append(policy, Plain(" · PagerDuty service "), Link(firstNonEmpty(c.Service.Name, c.Service.ID), c.Service.HTMLURL))
	}
	blocks = append(blocks, &Section{Text: policy})
	var summary []string
	if len(c.levels) == 0 {
		blocks = append(blocks, &Section{Text: T(Plain("Nobody is on call on this escalation policy right now."))})
		summary = append(summary, "nobody")
	}
	for _, l := range c.levels {
		line := T(Bold(fmt.Sprintf("Level %d", l.Level.Level)), Plain(": "))
		line = append(line, peopleText(l.people)...)
		line = append(line, Plain(" — "+untilText(l.Until, now)))
		if l.Schedule.ID != "" {
			line = append(line, Plain(" · schedule "), Link(firstNonEmpty(l.Schedule.Name, l.Schedule.ID), l.Schedule.HTMLURL))
		}
		blocks = append(blocks, &Section{Text: line})
		summary = append(summary, fmt.Sprintf("level %d %s", l.Level.Level, peopleText(l.people).String()))
	}
	if c.Stale {
		blocks = append(blocks, &Context{Text: T(Plain("⚠ " + staleText(c.FetchedAt, now)))})
	}
	return Response{Text: title + ": " + strings.Join(summary, "; "), Blocks: blocks, Shareable: true}
}

// onCallSection is the on-call part of a /whoowns card.
type onCallSection struct {
	// Value is the "On call" field.
	Value Text
	// Buttons are what to do next: see every level, page.
	Buttons []Button
	// Missing is added to the card's "Missing" list.
	Missing string
}

// section is the on-call part of p's /whoowns card. It never fails: when
// PagerDuty does, the field says why.
func (o *OnCallLookup) section(ctx context.Context, p catalog.Profile) onCallSection {
	timeout := o.CardTimeout
	if timeout <= 0 {
		timeout = defaultCardTimeout
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ref := p.Service.Ref()
	var s onCallSection
	c, err := o.forService(cctx, p)
	switch {
	case errors.Is(err, errNoLink):
		s.Value = T(Plain("no PagerDuty link"))
		s.Missing = "PagerDuty link (add the pagerduty.com/service-id annotation to catalog-info.yaml)"
	case err != nil:
		o.log().WarnContext(ctx, "on call for whoowns card", "service", ref, "err", err)
		s.Value = T(Plain("on-call unavailable: " + pagerDutyProblem(err)))
	default:
		now := o.now()
		if l, ok := c.first(); ok {
			s.Value = peopleText(l.people)
			s.Value = append(s.Value, Plain(" "+untilText(l.Until, now)))
			if l.Level.Level != 1 {
				s.Value = append(s.Value, Plain(fmt.Sprintf(" (level %d)", l.Level.Level)))
			}
		} else {
			s.Value = T(Plain("nobody right now"))
		}
		if c.Stale {
			s.Value = append(s.Value, Plain(" ("+staleText(c.FetchedAt, now)+")"))
		}
		s.Buttons = append(s.Buttons, Button{Label: "Who's on call", Command: "/oncall " + ref})
	}
	if pageable(p.Service) {
		s.Buttons = append(s.Buttons, Button{Label: "Page on call", Command: "/page " + ref})
	}
	return s
}

// pageable reports whether the catalog links the service to a PagerDuty
// service that can be paged.
func pageable(svc catalog.Service) bool {
	return svc.PagerDutyServiceID != "" || svc.PagerDutyIntegrationKey != ""
}

// peopleText shows people as mentions where their Slack user is known.
func peopleText(people []catalog.PageTarget) Text {
	if len(people) == 0 {
		return T(Plain("nobody"))
	}
	var out []Text
	for _, p := range people {
		if p.SlackUserID != "" {
			out = append(out, T(Mention(p.SlackUserID, p.Name)))
		} else {
			out = append(out, T(Plain(p.Name)))
		}
	}
	return Join(out, ", ")
}

// untilText is when an on-call shift ends: "until 18:00 UTC (for 3h)".
func untilText(until, now time.Time) string {
	if until.IsZero() {
		return "with no end (always on call)"
	}
	if !until.After(now) {
		return "until " + clockText(until, now) + " (ended)"
	}
	return "until " + clockText(until, now) + " (for " + humanDuration(until.Sub(now)) + ")"
}

// staleText says an on-call answer is old.
func staleText(fetched, now time.Time) string {
	return "as of " + clockText(fetched, now) + " (PagerDuty unreachable)"
}

// clockText is a time in UTC: the time of day when t is today, with the
// day otherwise.
func clockText(t, now time.Time) string {
	t, now = t.UTC(), now.UTC()
	if t.YearDay() == now.YearDay() && t.Year() == now.Year() {
		return t.Format("15:04 UTC")
	}
	return t.Format("Mon 2 Jan 15:04 UTC")
}

// agoText is how long before now t was, in humanDuration's words: "30m
// ago", "3h 20m ago", "2d 4h ago" ("less than a minute ago"). The one
// relative-time text of the package (/changes and scorecards).
func agoText(t, now time.Time) string {
	return humanDuration(now.Sub(t)) + " ago"
}

// humanDuration is a duration in words a person reads at a glance: "45m",
// "3h", "3h 20m", "2d 4h".
func humanDuration(d time.Duration) string {
	d = d.Round(time.Minute)
	switch {
	case d < time.Minute:
		return "less than a minute"
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 24*time.Hour:
		h, m := int(d.Hours()), int(d.Minutes())%60
		if m == 0 {
			return fmt.Sprintf("%dh", h)
		}
		return fmt.Sprintf("%dh %dm", h, m)
	default:
		days, h := int(d.Hours())/24, int(d.Hours())%24
		if h == 0 {
			return fmt.Sprintf("%dd", days)
		}
		return fmt.Sprintf("%dd %dh", days, h)
	}
}

// pagerDutyProblem says in words why PagerDuty failed.
func pagerDutyProblem(err error) string {
	var (
		rl  *oncall.RateLimitError
		rej *oncall.ErrRejected
	)
	switch {
	case errors.As(err, &rl):
		if rl.RetryAfter > 0 {
			return fmt.Sprintf("PagerDuty's rate limit is reached; try again in %d s", int(math.Ceil(rl.RetryAfter.Seconds())))
		}
		return "PagerDuty's rate limit is reached; try again in a minute"
	case errors.Is(err, oncall.ErrRateLimited):
		return "PagerDuty's rate limit is reached; try again in a minute"
	case errors.As(err, &rej):
		return "PagerDuty refused it: " + rej.Message
	case errors.Is(err, context.DeadlineExceeded):
		return "PagerDuty did not answer in time"
	case errors.Is(err, oncall.ErrUnavailable):
		return "PagerDuty is not reachable"
	case errors.Is(err, oncall.ErrUnauthorized):
		return "PagerDuty refused Switchboard's API token (tell the platform team)"
	case errors.Is(err, oncall.ErrNotFound):
		return "PagerDuty does not know the service or escalation policy the catalog links to (the link may be wrong)"
	case errors.Is(err, context.Canceled):
		return "the request was cancelled"
	}
	return "PagerDuty answered with an error"
}
