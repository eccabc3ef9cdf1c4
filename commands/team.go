package commands

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/weblinks"
)

// TeamDirectory is what /team, /onboard and the App Home read of teams
// (*catalog.Store).
type TeamDirectory interface {
	// FindTeam returns the team named name, ignoring case, or an error
	// matching catalog.ErrNotFound.
	FindTeam(ctx context.Context, name string) (catalog.Team, error)
	// SuggestTeams returns the teams whose name is close to name, best
	// first.
	SuggestTeams(ctx context.Context, name string) ([]catalog.Team, error)
	// Roster returns the team's people with the sources of their
	// membership.
	Roster(ctx context.Context, teamID int64) ([]catalog.RosterMember, error)
	// TeamServices returns the services the team owns, with their repos.
	TeamServices(ctx context.Context, teamID int64) ([]catalog.OwnedService, error)
}

// Limits of what a team card lists; the rest is counted.
const (
	maxTeamPeople   = 40
	maxTeamServices = 20
)

// Team is /team NAME: a team's people (as Slack mentions where known),
// the services it owns with tier, repo and runbook, its channel, and who is
// on call now at level 1 of its escalation policy. A misspelt name gets
// "did you mean". oc may be nil: the card then says PagerDuty is not
// configured; when PagerDuty fails, the card still answers and says why.
func Team(dir TeamDirectory, oc *OnCallLookup) Command { return TeamWithIncidents(dir, oc, nil) }

// TeamWithIncidents is /team with, when inc is set, the PagerDuty incidents
// of the team's services summed over 30 and 90 days, naming the noisiest
// service; "unknown" with why when they are not known.
func TeamWithIncidents(dir TeamDirectory, oc *OnCallLookup, inc IncidentCounts) Command {
	return Command{
		Name:    "/team",
		Usage:   "TEAM",
		Summary: "A team's people, services, channel and who is on call",
		Handler: func(ctx context.Context, req Request) (Response, error) {
			if req.Text == "" {
				return usage("/team", "TEAM", "(a team's name, as in its GitLab group or Backstage Group)."), nil
			}
			t, reply, err := findTeam(ctx, dir, req.Text, func(name string) string { return "/team " + name })
			if err != nil || reply != nil {
				return orEmpty(reply), err
			}
			resp, err := teamCard(ctx, dir, oc, t)
			if err != nil || inc == nil {
				return resp, err
			}
			services, err := dir.TeamServices(ctx, t.ID)
			if err != nil {
				return Response{}, err
			}
			line := teamIncidentLine(ctx, inc, services)
			resp.Blocks = slices.Insert(resp.Blocks, incidentLineAt(resp.Blocks), Block(&Section{Text: line}))
			resp.Text += "; " + line.String()
			return resp, nil
		},
	}
}

// teamIncidentLine sums the incidents of a team's active services:
// "Incidents: 9 incidents in 30 days (4 out of hours) · 23 in 90 days;
// noisiest: checkout-api (7 in 30 days)".
func teamIncidentLine(ctx context.Context, inc IncidentCounts, services []catalog.OwnedService) Text {
	label := T(Bold("Incidents:"), Plain(" "))
	ids := make([]int64, 0, len(services))
	refs := map[int64]string{}
	for _, s := range services {
		if s.Service.Status == catalog.StatusOrphaned {
			continue
		}
		ids = append(ids, s.Service.ID)
		refs[s.Service.ID] = s.Service.Ref()
	}
	if len(ids) == 0 {
		return append(label, Plain("none counted — the team owns no active service"))
	}
	sum, err := inc.ServiceIncidents(ctx, ids)
	switch {
	case err != nil:
		return append(label, Plain("unknown — the catalog could not count them"))
	case len(sum.Counts) == 0:
		return append(label, Plain("unknown — none of the team's services has a PagerDuty service"))
	case !sum.Known():
		return append(label, Plain("unknown — "+sum.State.UnknownReason(sum.Now, sum.Location)))
	}
	var total catalog.IncidentCount
	var noisiest int64
	for _, id := range ids {
		c, ok := sum.Counts[id]
		if !ok {
			continue
		}
		total.Last30 += c.Last30
		total.Last90 += c.Last90
		total.OutOfHours30 += c.OutOfHours30
		if best := sum.Counts[noisiest]; c.Last30 > best.Last30 {
			noisiest = id
		}
	}
	out := append(label, Plain(incidentCountText(total)))
	if noisiest != 0 {
		out = append(out, Plain("; noisiest: "), Code(refs[noisiest]), Plain(fmt.Sprintf(" (%d in 30 days)", sum.Counts[noisiest].Last30)))
	}
	if n := len(sum.Unlinked); n > 0 {
		out = append(out, Plain(fmt.Sprintf("; %d service(s) without a PagerDuty service not counted", n)))
	}
	return out
}

// orEmpty returns *r, or an empty Response when r is nil.
func orEmpty(r *Response) Response {
	if r == nil {
		return Response{}
	}
	return *r
}

// findTeam looks a team up by name. When there is none, reply answers the
// user with "did you mean" (each suggestion a button running next(name)) or
// "no such team".
func findTeam(ctx context.Context, dir TeamDirectory, name string, next func(string) string) (catalog.Team, *Response, error) {
	name = teamArg(name)
	t, err := dir.FindTeam(ctx, name)
	if err == nil {
		return t, nil, nil
	}
	if !errors.Is(err, catalog.ErrNotFound) {
		return catalog.Team{}, nil, err
	}
	suggestions, err := dir.SuggestTeams(ctx, name)
	if err != nil {
		return catalog.Team{}, nil, err
	}
	return catalog.Team{}, noSuchTeam(name, suggestions, next), nil
}

// noSuchTeam answers a team name that matches no team: "did you mean"
// with suggestions (each a button running next(name)), else "no such team".
func noSuchTeam(name string, suggestions []catalog.Team, next func(string) string) *Response {
	if len(suggestions) == 0 {
		text := fmt.Sprintf("No team named %s, and no team name close to it.", name)
		return &Response{Text: text, Blocks: []Block{
			&Section{Text: T(Plain("No team named "), Code(name), Plain(", and no team name close to it."))},
			&Context{Text: T(Plain("Teams come from the owners of services' descriptors (Backstage Group or spec.owner) and from the GitLab groups and PagerDuty escalation policies they are linked to."))},
		}}
	}
	var lines []Text
	actions := &Actions{}
	for _, s := range suggestions {
		line := T(Plain("• "), Bold(s.Name))
		if s.Title != "" && !strings.EqualFold(s.Title, s.Name) {
			line = append(line, Plain(" ("+s.Title+")"))
		}
		lines = append(lines, line)
		actions.Buttons = append(actions.Buttons, Button{Label: s.Name, Command: next(s.Name)})
	}
	text := fmt.Sprintf("No team named %s. Did you mean %s?", name, suggestions[0].Name)
	return &Response{Text: text, Blocks: []Block{
		&Section{Text: T(Plain("No team named "), Code(name), Plain(". Did you mean:"))},
		&Section{Text: Join(lines, "\n")},
		actions,
	}}
}

// teamArg is a team as typed: "payments", "@payments", "#payments", or a
// channel as Slack escapes it ("<#C123|payments>").
func teamArg(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "<#") && strings.HasSuffix(s, ">") {
		if _, name, ok := strings.Cut(s[2:len(s)-1], "|"); ok {
			s = name
		}
	}
	return strings.TrimLeft(s, "@#")
}

func teamCard(ctx context.Context, dir TeamDirectory, oc *OnCallLookup, t catalog.Team) (Response, error) {
	roster, err := dir.Roster(ctx, t.ID)
	if err != nil {
		return Response{}, err
	}
	services, err := dir.TeamServices(ctx, t.ID)
	if err != nil {
		return Response{}, err
	}
	title := "Team " + t.Name
	if t.Title != "" && !strings.EqualFold(t.Title, t.Name) {
		title = t.Title + " (" + t.Name + ")"
	}
	blocks := []Block{&Header{Text: title}}
	if t.Description != "" {
		blocks = append(blocks, &Section{Text: T(Plain(t.Description))})
	}
	onCall := teamOnCallText(ctx, oc, t)
	fields := []Field{
		{Label: "Channel", Value: T(Plain(orNone(t.SlackChannel)))},
		{Label: "On call now", Value: onCall},
	}
	if t.GitLabGroup != "" {
		fields = append(fields, Field{Label: "GitLab group", Value: T(Code(t.GitLabGroup))})
	}
	if t.PagerDutyEscalationPolicy != "" {
		fields = append(fields, Field{Label: "Escalation policy", Value: T(Code(t.PagerDutyEscalationPolicy))})
	}
	blocks = append(blocks, &Section{Fields: fields})

	blocks = append(blocks, &Section{Text: rosterText(roster)})
	blocks = append(blocks, servicesBlocks(services, maxTeamServices, oc.links())...)

	var buttons []Button
	if oc.configured() && t.PagerDutyEscalationPolicy != "" {
		buttons = append(buttons, Button{Label: "Who's on call", Command: "/oncall " + t.Name})
	}
	if link := slackChannelLink(t.SlackChannel); link != "" {
		buttons = append(buttons, Button{Label: "Open " + slackChannelName(t.SlackChannel), URL: link})
	}
	if len(buttons) > 0 {
		blocks = append(blocks, &Actions{Buttons: buttons})
	}
	blocks = append(blocks, &Context{Text: T(Plain(rosterProvenance(t, roster)+" To welcome someone new: "), Code("/onboard @them "+t.Name), Plain("."))})

	text := fmt.Sprintf("Team %s: %d people, %d services; on call: %s", t.Name, len(roster), len(services), onCall.String())
	return Response{Text: text, Blocks: blocks, Shareable: true}, nil
}

// rosterText is "People (n): mentions…".
func rosterText(roster []catalog.RosterMember) Text {
	if len(roster) == 0 {
		return T(Bold("People:"), Plain(" nobody yet"))
	}
	var people []Text
	for i, m := range roster {
		if i == maxTeamPeople {
			people = append(people, T(Plain(fmt.Sprintf("and %d more", len(roster)-maxTeamPeople))))
			break
		}
		people = append(people, personText(m.Person))
	}
	return append(T(Bold(fmt.Sprintf("People (%d):", len(roster))), Plain(" ")), Join(people, ", ")...)
}

// servicesBlocks lists services one a line: name, tier, repo, runbook.
func servicesBlocks(services []catalog.OwnedService, limit int, links weblinks.Links) []Block {
	if len(services) == 0 {
		return []Block{&Section{Text: T(Bold("Services:"), Plain(" none in the catalog yet"))}}
	}
	lines := []Text{T(Bold(fmt.Sprintf("Services (%d):", len(services))))}
	for i, s := range services {
		if i == limit {
			lines = append(lines, T(Plain(fmt.Sprintf("…and %d more", len(services)-limit))))
			break
		}
		lines = append(lines, serviceLine(s, false, links))
	}
	return linesBlocks(lines)
}

// linesPerSection keeps a section of service lines, links and all, within
// Slack's 3,000 characters.
const linesPerSection = 8

// linesBlocks puts lines into sections of at most linesPerSection lines.
func linesBlocks(lines []Text) []Block {
	var out []Block
	for len(lines) > 0 {
		n := min(len(lines), linesPerSection)
		out = append(out, &Section{Text: Join(lines[:n], "\n")})
		lines = lines[n:]
	}
	return out
}

// serviceLine is one service: "• name · tier 1 · repo · runbook", with docs
// and dashboards too when full.
func serviceLine(s catalog.OwnedService, full bool, links weblinks.Links) Text {
	svc := s.Service
	line := T(Plain("• "), serviceName(links, svc))
	if svc.Tier != "" {
		line = append(line, Plain(" · tier "+svc.Tier))
	}
	if svc.Status == catalog.StatusOrphaned {
		line = append(line, Plain(" · ORPHANED"))
	}
	if len(s.Repos) > 0 {
		r := s.Repos[0]
		name := r.Path
		if r.Subpath != "" {
			name += "/" + r.Subpath
		}
		line = append(line, Plain(" · repo "), Link(name, r.WebURL))
	}
	kinds := []struct{ kind, label string }{{catalog.LinkRunbook, "runbook"}}
	if full {
		kinds = append(kinds, struct{ kind, label string }{catalog.LinkDocs, "docs"}, struct{ kind, label string }{catalog.LinkDashboard, "dashboards"})
	}
	for _, k := range kinds {
		links := svc.LinksOf(k.kind)
		switch {
		case len(links) > 0:
			line = append(line, Plain(" · "), Link(k.label, links[0].URL))
		case k.kind == catalog.LinkRunbook:
			line = append(line, Plain(" · no runbook"))
		}
	}
	return line
}

// teamOnCallText is who is on call now at the first level of the team's
// escalation policy, or why that is unknown. It never fails.
func teamOnCallText(ctx context.Context, oc *OnCallLookup, t catalog.Team) Text {
	switch {
	case !oc.configured():
		return T(Plain("unknown (PagerDuty is not configured)"))
	case t.PagerDutyEscalationPolicy == "":
		return T(Plain("unknown (no PagerDuty escalation policy for this team)"))
	}
	c, err := oc.teamOnCall(ctx, t)
	if err != nil {
		oc.log().WarnContext(ctx, "on call for team", "team", t.Name, "err", err)
		return T(Plain("unavailable: " + pagerDutyProblem(err)))
	}
	l, ok := c.first()
	if !ok {
		return T(Plain("nobody right now"))
	}
	now := oc.now()
	out := peopleText(l.people)
	out = append(out, Plain(" "+untilText(l.Until, now)))
	if l.Level.Level != 1 {
		out = append(out, Plain(fmt.Sprintf(" (level %d)", l.Level.Level)))
	}
	if c.Stale {
		out = append(out, Plain(" ("+staleText(c.FetchedAt, now)+")"))
	}
	return out
}

// teamOnCall asks who is on call for a team's policy, within the card
// timeout so that a slow PagerDuty never holds an answer.
func (o *OnCallLookup) teamOnCall(ctx context.Context, t catalog.Team) (onCall, error) {
	timeout := o.CardTimeout
	if timeout <= 0 {
		timeout = defaultCardTimeout
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return o.forPolicy(cctx, t.PagerDutyEscalationPolicy)
}

// rosterProvenance says where the roster comes from.
func rosterProvenance(t catalog.Team, roster []catalog.RosterMember) string {
	counts := map[string]int{}
	for _, m := range roster {
		for _, s := range m.Sources {
			counts[s]++
		}
	}
	var parts []string
	for _, s := range []struct{ source, label string }{
		{catalog.MemberSourceGitLab, "GitLab group"},
		{catalog.MemberSourcePagerDuty, "PagerDuty escalation policy"},
		{catalog.MemberSourceDescriptor, "Backstage descriptors"},
		{catalog.MemberSourceImport, "import"},
	} {
		if n := counts[s.source]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d from the %s", n, s.label))
			delete(counts, s.source)
		}
	}
	for s, n := range counts {
		parts = append(parts, fmt.Sprintf("%d from %s", n, s))
	}
	if len(parts) == 0 {
		if t.GitLabGroup == "" && t.PagerDutyEscalationPolicy == "" {
			return "Nobody is on this team's roster: it has no GitLab group or PagerDuty escalation policy to read it from."
		}
		return "Nobody is on this team's roster yet: it is read from its GitLab group and PagerDuty escalation policy at each sync."
	}
	return "Roster: " + strings.Join(parts, ", ") + ". Refreshed at each sync; nobody types it."
}

// slackChannelName is a channel as people write it: "#team-payments".
func slackChannelName(ch string) string {
	ch = strings.TrimSpace(ch)
	if ch == "" {
		return ""
	}
	return "#" + strings.TrimPrefix(ch, "#")
}

// slackChannelLink opens a channel by name in Slack (Slack's app_redirect takes
// a channel's name or id); the user joins it from there. "" when there is no
// channel.
func slackChannelLink(ch string) string {
	name := strings.TrimPrefix(strings.TrimSpace(ch), "#")
	if name == "" {
		return ""
	}
	return "https://slack.com/app_redirect?channel=" + url.QueryEscape(name)
}
