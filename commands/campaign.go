package commands

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/charts"
	"github.com/switchboard-dev/switchboard/depfile"
)

// CampaignStore is what /campaign reads and changes of the catalog's
// campaigns.
type CampaignStore interface {
	CampaignByName(ctx context.Context, name string) (catalog.CampaignProgress, error)
	Campaigns(ctx context.Context, open bool) ([]catalog.CampaignProgress, error)
	WontFix(ctx context.Context, campaignName, serviceRef, reason, by string) error
	CloseCampaign(ctx context.Context, name, by string) error
	// Audit records a refusal.
	Audit(ctx context.Context, e catalog.AuditEntry) error
}

// CampaignStarter evaluates a campaign's condition over the catalog and
// starts campaigns (campaigns.Evaluator).
type CampaignStarter interface {
	// Evaluate returns the status of each service c asks about (of the
	// repos repoIDs; nil: all), storing nothing: open ones would start
	// the campaign.
	Evaluate(ctx context.Context, c catalog.Campaign, repoIDs []int64) ([]catalog.CampaignService, error)
	// Start evaluates c and stores it with its services; it returns the
	// campaign as started.
	Start(ctx context.Context, c catalog.Campaign) (catalog.CampaignProgress, error)
}

// CampaignConfig configures /campaign.
type CampaignConfig struct {
	Store CampaignStore
	// Starter starts campaigns; nil: /campaign new says it cannot here.
	Starter CampaignStarter
	// Policy decides who may start and close campaigns: the policy /page
	// uses, over the standards' campaigns.allowed_usergroups. nil: anyone.
	Policy PagePolicy
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// campaignReminders are when, before the deadline, teams with services
// left are reminded.
var campaignReminders = []time.Duration{7 * 24 * time.Hour, 24 * time.Hour}

// defaultCampaignDays is the deadline a preview proposes when none is
// given: this many days from today.
const defaultCampaignDays = 30

// maxCampaignLines bounds the services and teams an answer lists.
const maxCampaignLines = 40

// Campaign is /campaign: start a campaign to get every affected service
// fixed (new), follow them (list, status), exempt a service (wontfix) and
// end one (close).
func Campaign(cfg CampaignConfig) Command {
	c := &campaignCommand{cfg: cfg}
	return Command{
		Name:    "/campaign",
		Usage:   "new QUESTION --deadline YYYY-MM-DD | list | status NAME | wontfix NAME SERVICE REASON | close NAME",
		Summary: "Get every affected service fixed by a deadline, and follow it: counts by team and a burn-down",
		Handler: c.handle,
	}
}

type campaignCommand struct{ cfg CampaignConfig }

func (c *campaignCommand) now() time.Time {
	if c.cfg.Now != nil {
		return c.cfg.Now()
	}
	return time.Now()
}

func (c *campaignCommand) handle(ctx context.Context, req Request) (Response, error) {
	if c.cfg.Store == nil {
		return textResponse(T(Plain("Campaigns need the catalog's database, which is not set up here."))), nil
	}
	sub, rest, _ := strings.Cut(strings.TrimSpace(req.Text), " ")
	rest = strings.TrimSpace(rest)
	switch strings.ToLower(sub) {
	case "new", "start":
		return c.start(ctx, req, rest)
	case "list", "":
		return c.list(ctx)
	case "status", "show":
		return c.status(ctx, rest)
	case "wontfix", "won't-fix", "wont-fix":
		return c.wontFix(ctx, req, rest)
	case "close":
		return c.close(ctx, req, rest)
	}
	return campaignUsage(fmt.Sprintf("No /campaign %s. ", sub)), nil
}

// campaignUsage lists the subcommands after lead.
func campaignUsage(lead string) Response {
	return usageResponse(lead+"Usage: ", "/campaign new log4j-core <2.17.1 --deadline 2026-12-31", ", ",
		"/campaign list", ", ", "/campaign status NAME", ", ", "/campaign wontfix NAME SERVICE REASON", " or ", "/campaign close NAME")
}

// campaignArgs is /campaign new's command line.
type campaignArgs struct {
	question string
	deadline time.Time
	channel  string
	teams    []string
	name     string
	yes      bool
	// form: open the /campaign new modal with what was given.
	form bool
	// From the modal: the title, tier and lifecycle filters and the
	// reminders (empty: the question's title, no filter, the default
	// reminders).
	title      string
	tiers      []string
	lifecycles []string
	reminders  []time.Duration
	// deadlineProposed: no --deadline was given, the preview proposes
	// one.
	deadlineProposed bool
}

// parseCampaignArgs reads "QUESTION --deadline D [--channel C] [--team T]…
// [--name N] [--yes]"; the options may come in any order after the
// question.
func parseCampaignArgs(text string) (campaignArgs, error) {
	var a campaignArgs
	var question []string
	fields := strings.Fields(text)
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		value := func() (string, error) {
			if i+1 >= len(fields) || strings.HasPrefix(fields[i+1], "--") {
				return "", fmt.Errorf("%s wants a value", f)
			}
			i++
			return fields[i], nil
		}
		var err error
		switch f {
		case "--yes":
			a.yes = true
		case "--form":
			a.form = true
		case "--deadline":
			var v string
			if v, err = value(); err == nil {
				a.deadline, err = time.Parse(time.DateOnly, v)
				if err != nil {
					err = fmt.Errorf("--deadline wants a date as YYYY-MM-DD, got %q", v)
				}
			}
		case "--channel":
			var v string
			if v, err = value(); err == nil {
				a.channel = channelRef(v)
			}
		case "--team":
			var v string
			if v, err = value(); err == nil {
				a.teams = append(a.teams, v)
			}
		case "--name":
			a.name, err = value()
			if err == nil && campaignSlug(a.name) != strings.ToLower(a.name) {
				err = fmt.Errorf("--name wants lower-case letters, digits and dashes, got %q", a.name)
			}
		default:
			if strings.HasPrefix(f, "--") {
				err = fmt.Errorf("no option %s (--deadline, --channel, --team, --name, --yes, --form)", f)
			} else {
				question = append(question, f)
			}
		}
		if err != nil {
			return a, err
		}
	}
	a.question = strings.Join(question, " ")
	return a, nil
}

// channelRef reads a channel as typed: "#updates", or as Slack sends a
// picked one, "<#C0123|updates>", which is its id (C0123).
func channelRef(v string) string {
	if inner, ok := strings.CutPrefix(v, "<#"); ok {
		id, _, _ := strings.Cut(strings.TrimSuffix(inner, ">"), "|")
		return id
	}
	return strings.TrimPrefix(v, "#")
}

// command is the /campaign new line that runs a again (with --yes: the
// Start button's).
func (a campaignArgs) command(yes bool) string {
	if yes {
		return a.line(true, "--yes")
	}
	return a.line(true, "")
}

// line is the /campaign new line of a, with its deadline when
// withDeadline, ending in the flag last unless "".
func (a campaignArgs) line(withDeadline bool, last string) string {
	parts := []string{"/campaign new", a.question}
	if withDeadline {
		parts = append(parts, "--deadline", a.deadline.Format(time.DateOnly))
	}
	if a.channel != "" {
		parts = append(parts, "--channel", "#"+a.channel)
	}
	for _, t := range a.teams {
		parts = append(parts, "--team", t)
	}
	if a.name != "" {
		parts = append(parts, "--name", a.name)
	}
	if last != "" {
		parts = append(parts, last)
	}
	return strings.Join(parts, " ")
}

// campaignCondition reads a question as /impact takes it: file:PATTERN, an
// advisory id, or a package with a version constraint; and check:ID for a
// scorecard check. It returns the condition and the campaign's title.
func campaignCondition(question string) (catalog.CampaignCondition, string, error) {
	q := strings.TrimSpace(question)
	if p, ok := strings.CutPrefix(q, "file:"); ok {
		p = strings.TrimSpace(p)
		if p == "" {
			return catalog.CampaignCondition{}, "", errors.New("file: wants the file every repo must have, e.g. file:.gitlab-ci.yml")
		}
		return catalog.CampaignCondition{Kind: catalog.ConditionFile, FileGlob: p}, "Add " + p, nil
	}
	if id, ok := strings.CutPrefix(q, "check:"); ok {
		id = strings.TrimSpace(id)
		if id == "" {
			return catalog.CampaignCondition{}, "", errors.New("check: wants a scorecard check's id, e.g. check:runbook")
		}
		return catalog.CampaignCondition{Kind: catalog.ConditionScorecard, Check: id}, "Pass the scorecard check " + id, nil
	}
	if IsAdvisoryID(q) {
		return catalog.CampaignCondition{Kind: catalog.ConditionAdvisory, Advisory: strings.ToUpper(q)}, "Fix " + strings.ToUpper(q), nil
	}
	name, constraint, _ := strings.Cut(q, " ")
	constraint = strings.ReplaceAll(strings.TrimSpace(constraint), " ", "")
	if constraint == "" {
		return catalog.CampaignCondition{}, "", fmt.Errorf("which versions of %s must go? Give a constraint, e.g. %s <2.17.1", name, name)
	}
	if _, err := depfile.MatchConstraint("1.0", constraint); err != nil {
		return catalog.CampaignCondition{}, "", fmt.Errorf("%q is not a version constraint (%v)", constraint, err)
	}
	return catalog.CampaignCondition{Kind: catalog.ConditionPackage, Package: name, Constraint: constraint},
		"Move off " + name + " " + constraint, nil
}

var slugJunk = regexp.MustCompile(`[^a-z0-9]+`)

// campaignSlug is a campaign name made of s: lower-case letters, digits
// and dashes, at most 40 characters.
func campaignSlug(s string) string {
	slug := strings.Trim(slugJunk.ReplaceAllString(strings.ToLower(s), "-"), "-")
	if len(slug) > 40 {
		slug = strings.TrimRight(slug[:40], "-")
	}
	return slug
}

// start is /campaign new: without --yes, what would start, with a Start
// button; with it, the campaign started.
func (c *campaignCommand) start(ctx context.Context, req Request, text string) (Response, error) {
	a, err := parseCampaignArgs(text)
	if err != nil {
		return campaignNewUsage(err.Error() + ". "), nil
	}
	if a.form || (a.question == "" && len(strings.TrimSpace(text)) == 0) {
		return c.newForm(a), nil
	}
	if a.question == "" {
		return campaignNewUsage("What must every service fix? (/campaign new alone opens a form.) "), nil
	}
	cond, title, err := campaignCondition(a.question)
	if err != nil {
		return campaignNewUsage(err.Error() + ". "), nil
	}
	now := c.now()
	if a.deadline.IsZero() {
		if a.yes {
			return campaignNewUsage("By when? Give --deadline YYYY-MM-DD. "), nil
		}
		// A preview (the /impact button's) proposes a deadline; its Start
		// button carries it.
		a.deadline = now.UTC().Truncate(24*time.Hour).AddDate(0, 0, defaultCampaignDays)
		a.deadlineProposed = true
	}
	if today := now.UTC().Truncate(24 * time.Hour); a.deadline.Before(today) {
		return textResponse(T(Plain("The deadline "), Code(a.deadline.Format(time.DateOnly)), Plain(" is past: give a day from today on."))), nil
	}
	return c.launch(ctx, req, a, cond, title)
}

// launch previews (without a.yes) or starts the campaign a asks for, of
// condition cond; title is the question's when a has none. The command
// line and the modal both end here.
func (c *campaignCommand) launch(ctx context.Context, req Request, a campaignArgs, cond catalog.CampaignCondition, title string) (Response, error) {
	now := c.now()
	if c.cfg.Starter == nil {
		return textResponse(T(Plain("Campaigns cannot be started here."))), nil
	}
	if resp, refused, err := c.refuse(ctx, req.User, "start", "campaign:"+a.question); err != nil || refused {
		return resp, err
	}
	if a.title != "" {
		title = a.title
	}
	reminders := campaignReminders
	if a.reminders != nil {
		reminders = a.reminders
	}
	camp := catalog.Campaign{Title: title, Condition: cond, Filter: catalog.CampaignFilter{Teams: a.teams, Tiers: a.tiers, Lifecycles: a.lifecycles},
		Deadline: a.deadline, UpdatesChannel: a.channel, Reminders: reminders, CreatedBy: req.User.ID}
	var err error
	camp.Name, err = c.freeName(ctx, a)
	if err != nil {
		return Response{}, err
	}
	if !a.yes {
		all, err := c.cfg.Starter.Evaluate(ctx, camp, nil)
		if err != nil {
			return Response{}, fmt.Errorf("campaign %s: preview: %w", camp.Name, err)
		}
		services := slices.DeleteFunc(all, func(s catalog.CampaignService) bool { return s.Status != catalog.CampaignOpen })
		return campaignPreview(camp, a, services), nil
	}
	p, err := c.cfg.Starter.Start(ctx, camp)
	if err != nil {
		return Response{}, fmt.Errorf("campaign %s: start: %w", camp.Name, err)
	}
	resp := campaignStatus(p, now, false)
	resp.Text = fmt.Sprintf("Campaign %s started: %d services to fix by %s", p.Campaign.Name, p.Remaining(), a.deadline.Format(time.DateOnly))
	resp.Blocks = append([]Block{&Section{Text: T(Bold("Campaign started: "), Code(p.Campaign.Name), Plain(". A service is done when none of its repos matches any more: "), Code("/campaign status "+p.Campaign.Name), Plain(" follows it."))}}, resp.Blocks...)
	resp.Shareable = true
	return resp, nil
}

// campaignNewUsage shows /campaign new's usage after lead.
func campaignNewUsage(lead string) Response {
	return usageResponse(lead+"Usage: ", "/campaign new log4j-core <2.17.1 --deadline 2026-12-31", ", ",
		"/campaign new CVE-2021-44228 --deadline 2026-12-31 --channel #log4j --team payments", ", ",
		"/campaign new file:.gitlab-ci.yml --deadline 2026-12-31", " or ", "/campaign new check:runbook --deadline 2026-12-31")
}

// freeName is the name asked for, or one made of the question that no
// campaign has (a number added when taken).
func (c *campaignCommand) freeName(ctx context.Context, a campaignArgs) (string, error) {
	base := a.name
	if base == "" {
		base = campaignSlug(a.question)
	}
	if base == "" {
		base = "campaign"
	}
	for i := 1; i < 100; i++ {
		name := base
		if i > 1 {
			name = fmt.Sprintf("%s-%d", base, i)
		}
		_, err := c.cfg.Store.CampaignByName(ctx, name)
		if errors.Is(err, catalog.ErrNotFound) {
			return name, nil
		}
		if err != nil {
			return "", fmt.Errorf("campaign name %s: %w", name, err)
		}
		if a.name != "" {
			return "", fmt.Errorf("campaign name %s is taken", name)
		}
	}
	return "", fmt.Errorf("campaign name %s: 99 campaigns have it", base)
}

// campaignPreview says what /campaign new would start: the services by
// team, with a Start button.
func campaignPreview(camp catalog.Campaign, a campaignArgs, services []catalog.CampaignService) Response {
	byTeam := countByTeam(services)
	head := T(Bold(camp.Title), Plain(fmt.Sprintf(" would start with %d services of %d teams, due ", len(services), len(byTeam))),
		Bold(camp.Deadline.Format(time.DateOnly)), Plain(" (campaign "), Code(camp.Name), Plain(")."))
	blocks := []Block{&Section{Text: head}}
	if len(services) == 0 {
		return Response{Text: camp.Title + ": no service to fix, nothing to start.",
			Blocks: []Block{&Section{Text: T(Bold(camp.Title), Plain(": no service matches, so there is nothing to start."))}}}
	}
	var lines []Text
	for i, t := range byTeam {
		if i == maxCampaignLines {
			lines = append(lines, T(Plain(fmt.Sprintf("…and %d more teams", len(byTeam)-i))))
			break
		}
		lines = append(lines, T(Plain("• "), Bold(teamName(t.Team)), Plain(fmt.Sprintf(": %d services", t.Open))))
	}
	blocks = append(blocks, &Section{Text: Join(lines, "\n")})
	note := T(Plain("A service is done when none of its repos matches any more; services that start matching join."))
	if a.channel != "" {
		note = append(note, Plain(" Updates go to #"+a.channel+"."))
	}
	if a.deadlineProposed {
		note = append(note, Plain(fmt.Sprintf(" The deadline is %d days from today: to choose another, run ", defaultCampaignDays)),
			Code("/campaign new "+a.question+" --deadline YYYY-MM-DD"), Plain("."))
	}
	blocks = append(blocks, &Context{Text: note},
		&Actions{Buttons: []Button{{Label: "Start the campaign", Command: a.command(true), Style: "primary"},
			{Label: "Change in a form", Command: a.formCommand()}}})
	return Response{Text: fmt.Sprintf("%s: %d services of %d teams would be in the campaign", camp.Title, len(services), len(byTeam)), Blocks: blocks}
}

// countByTeam counts services by team, in order of team name; every
// service counts as open.
func countByTeam(services []catalog.CampaignService) []catalog.CampaignTeam {
	idx := map[string]int{}
	var out []catalog.CampaignTeam
	for _, s := range services {
		i, ok := idx[s.Service.Team]
		if !ok {
			i = len(out)
			idx[s.Service.Team] = i
			out = append(out, catalog.CampaignTeam{Team: s.Service.Team})
		}
		out[i].Open++
	}
	slices.SortFunc(out, func(a, b catalog.CampaignTeam) int { return strings.Compare(a.Team, b.Team) })
	return out
}

// teamName is how a team is shown; "" is services nobody owns.
func teamName(t string) string {
	if t == "" {
		return "no owner"
	}
	return t
}

// refuse checks who may start or close a campaign; a refusal is audited.
func (c *campaignCommand) refuse(ctx context.Context, u User, what, subject string) (Response, bool, error) {
	if c.cfg.Policy == nil {
		return Response{}, false, nil
	}
	ok, _, err := c.cfg.Policy.MayPage(ctx, u.ID)
	if err != nil {
		return Response{}, false, fmt.Errorf("may %s %s a campaign: %w", u.ID, what, err)
	}
	if ok {
		return Response{}, false, nil
	}
	// The policy's own reason speaks of paging: the groups are the
	// campaigns section's.
	if err := c.cfg.Store.Audit(ctx, catalog.AuditEntry{Actor: u.ID, Action: "campaign." + what, Subject: subject, Result: "refused"}); err != nil {
		return Response{}, false, fmt.Errorf("audit refused campaign %s: %w", what, err)
	}
	return textResponse(T(Bold("You may not "+what+" a campaign"), Plain(": that is limited to the members of the Slack user groups in the standards file's "),
		Code("campaigns.allowed_usergroups"), Plain(". Ask one of them."))), true, nil
}

// list is /campaign list: the open campaigns with their counts.
func (c *campaignCommand) list(ctx context.Context) (Response, error) {
	ps, err := c.cfg.Store.Campaigns(ctx, true)
	if err != nil {
		return Response{}, err
	}
	if len(ps) == 0 {
		return usageResponse("No campaign is running. Start one with ", "/campaign new log4j-core <2.17.1 --deadline 2026-12-31", "."), nil
	}
	var lines []Text
	for _, p := range ps {
		open, done, wontfix := campaignCounts(p)
		line := T(Bold(p.Campaign.Title), Plain(" ("), Code(p.Campaign.Name), Plain(fmt.Sprintf("): %d remaining, %d done, %d won't fix; %d teams; due %s",
			open, done, wontfix, len(p.ByTeam), p.Campaign.Deadline.Format(time.DateOnly))))
		if s := charts.Sparkline(charts.Daily(campaignDays(p), c.now())); s != "" {
			line = append(line, Plain(" "+s))
		}
		lines = append(lines, line)
	}
	return Response{Text: fmt.Sprintf("%d campaigns running", len(ps)), Shareable: true, Blocks: []Block{
		&Header{Text: "Campaigns"},
		&Section{Text: Join(lines, "\n")},
		&Context{Text: T(Plain("Details, by team, with the burn-down: "), Code("/campaign status NAME"))},
	}}, nil
}

// campaignCounts totals p's teams.
func campaignCounts(p catalog.CampaignProgress) (open, done, wontfix int) {
	for _, t := range p.ByTeam {
		open, done, wontfix = open+t.Open, done+t.Done, wontfix+t.WontFix
	}
	return open, done, wontfix
}

// campaignDays is p's burn-down for charts.
func campaignDays(p catalog.CampaignProgress) []charts.Day {
	out := make([]charts.Day, len(p.Days))
	for i, d := range p.Days {
		out[i] = charts.Day{Day: d.Day, Remaining: d.Remaining}
	}
	return out
}

// status is /campaign status NAME.
func (c *campaignCommand) status(ctx context.Context, name string) (Response, error) {
	if name == "" {
		return usageResponse("Which campaign? Usage: ", "/campaign status NAME", "; ", "/campaign list", " names them."), nil
	}
	p, err := c.cfg.Store.CampaignByName(ctx, name)
	if errors.Is(err, catalog.ErrNotFound) {
		return usageResponse("No campaign "+name+". ", "/campaign list", " names those running."), nil
	}
	if err != nil {
		return Response{}, err
	}
	return campaignStatus(p, c.now(), true), nil
}

// campaignStatus shows p as of now: counts by team, the services left with what to
// change, the won't-fix ones with why, and the burn-down (as a sparkline,
// and as a PNG file when withChart).
func campaignStatus(p catalog.CampaignProgress, now time.Time, withChart bool) Response {
	camp := p.Campaign
	open, done, wontfix := campaignCounts(p)
	state := "due " + camp.Deadline.Format(time.DateOnly)
	if camp.ClosedAt != nil {
		state = "closed " + camp.ClosedAt.Format(time.DateOnly)
	}
	blocks := []Block{
		&Header{Text: camp.Title},
		&Section{Text: T(Code(camp.Name), Plain(fmt.Sprintf(": %d remaining, %d done, %d won't fix; %s.", open, done, wontfix, state)))},
	}
	var teams []Text
	for i, t := range p.ByTeam {
		if i == maxCampaignLines {
			teams = append(teams, T(Plain(fmt.Sprintf("…and %d more teams", len(p.ByTeam)-i))))
			break
		}
		teams = append(teams, T(Plain("• "), Bold(teamName(t.Team)), Plain(fmt.Sprintf(": %d left, %d done, %d won't fix", t.Open, t.Done, t.WontFix))))
	}
	if len(teams) > 0 {
		blocks = append(blocks, &Section{Text: append(T(Bold("By team"), Plain("\n")), Join(teams, "\n")...)})
	}
	var left, exempt []Text
	for _, s := range p.Services {
		switch s.Status {
		case catalog.CampaignOpen:
			line := T(Plain("• "+teamName(s.Service.Team)+" — "), Bold(s.Service.Name))
			if s.Where != "" {
				line = append(line, Plain(": "), Code(s.Where))
			}
			if s.FixTo != "" {
				line = append(line, Plain(" → move to "), Code(s.FixTo))
			}
			left = append(left, line)
		case catalog.CampaignWontFix:
			exempt = append(exempt, T(Plain("• "+teamName(s.Service.Team)+" — "), Bold(s.Service.Name), Plain(": "+s.Reason)))
		}
	}
	for _, part := range []struct {
		title string
		lines []Text
	}{{"Left to fix", left}, {"Won't fix", exempt}} {
		if len(part.lines) == 0 {
			continue
		}
		lines := part.lines
		if len(lines) > maxCampaignLines {
			lines = append(slices.Clone(lines[:maxCampaignLines]), T(Plain(fmt.Sprintf("…and %d more", len(part.lines)-maxCampaignLines))))
		}
		blocks = append(blocks, &Section{Text: append(T(Bold(fmt.Sprintf("%s (%d)", part.title, len(part.lines))), Plain("\n")), Join(lines, "\n")...)})
	}
	resp := Response{Text: fmt.Sprintf("%s: %d remaining, %d done, %d won't fix", camp.Title, open, done, wontfix), Blocks: blocks, Shareable: true}
	days := campaignDays(p)
	if len(days) == 0 {
		return resp
	}
	note := T(Plain("Remaining a day: " + charts.Sparkline(charts.Daily(days, now))))
	if withChart {
		png, err := charts.PNG(charts.BurnDown{Title: camp.Title, Days: days, Deadline: camp.Deadline})
		if err != nil {
			note = append(note, Plain(" (no chart: "+err.Error()+")"))
		} else {
			resp.File = &File{Name: "campaign-" + camp.Name + "-burndown.png", Title: camp.Title + ": burn-down", Comment: resp.Text, Content: png}
		}
	}
	resp.Blocks = append(resp.Blocks, &Context{Text: note})
	return resp
}

// wontFix is /campaign wontfix NAME SERVICE REASON.
func (c *campaignCommand) wontFix(ctx context.Context, req Request, text string) (Response, error) {
	fields := strings.Fields(text)
	if len(fields) < 3 {
		return usageResponse("Which campaign, which service, and why? Usage: ", "/campaign wontfix NAME SERVICE REASON", "."), nil
	}
	name, service, reason := fields[0], fields[1], strings.Join(fields[2:], " ")
	err := c.cfg.Store.WontFix(ctx, name, service, reason, req.User.ID)
	if errors.Is(err, catalog.ErrNotFound) {
		return textResponse(T(Plain("No service "), Code(service), Plain(" in campaign "), Code(name), Plain(": "), Code("/campaign status "+name), Plain(" lists them."))), nil
	}
	if err != nil {
		return Response{}, err
	}
	return textResponse(T(Bold(service), Plain(" is marked won't fix in campaign "), Code(name), Plain(": "+reason+". It is counted apart, and its team is not reminded."))), nil
}

// close is /campaign close NAME.
func (c *campaignCommand) close(ctx context.Context, req Request, name string) (Response, error) {
	if name == "" {
		return usageResponse("Which campaign? Usage: ", "/campaign close NAME", "."), nil
	}
	if resp, refused, err := c.refuse(ctx, req.User, "close", "campaign:"+name); err != nil || refused {
		return resp, err
	}
	err := c.cfg.Store.CloseCampaign(ctx, name, req.User.ID)
	if errors.Is(err, catalog.ErrNotFound) {
		return usageResponse("No running campaign "+name+". ", "/campaign list", " names those running."), nil
	}
	if err != nil {
		return Response{}, err
	}
	return textResponse(T(Plain("Campaign "), Code(name), Plain(" is closed: its teams are no longer reminded."))), nil
}

// campaignNewForm is the id of the /campaign new modal.
const campaignNewForm = "campaign-new"

// RegisterCampaignCommand registers /campaign (see Campaign) on r with its
// modal: /campaign new alone, or with --form (the preview's "Change in a
// form" button), opens a form to fill in (title, what done means, the
// team, tier and lifecycle filters, the deadline, the updates channel, the
// reminders), and its submission starts the campaign as --yes does.
func RegisterCampaignCommand(r *Router, cfg CampaignConfig) {
	c := &campaignCommand{cfg: cfg}
	cmd := Campaign(cfg)
	cmd.Handler = c.handle
	r.Register(cmd)
	r.RegisterForm(campaignNewForm, c.submit)
}

// formCommand is the /campaign new line that opens the modal with a's
// values.
func (a campaignArgs) formCommand() string {
	return a.line(!a.deadlineProposed && !a.deadline.IsZero(), "--form")
}

// newForm is the /campaign new modal, prefilled with a (the deadline
// proposed 30 days from today when a has none).
func (c *campaignCommand) newForm(a campaignArgs) Response {
	deadline := a.deadline
	if deadline.IsZero() {
		deadline = c.now().UTC().Truncate(24*time.Hour).AddDate(0, 0, defaultCampaignDays)
	}
	title := ""
	if a.question != "" {
		if _, t, err := campaignCondition(a.question); err == nil {
			title = t
		}
	}
	form := &Form{
		ID: campaignNewForm, Title: "Start a campaign", Submit: "Start", State: a.name,
		Fields: []FormField{
			{Name: "title", Label: "Title", Kind: FieldText, Initial: title, Optional: true, Placeholder: "Fix CVE-2021-44228",
				Hint: "What teams read; made of what done means when empty."},
			{Name: "question", Label: "What done means", Kind: FieldText, Initial: a.question, Placeholder: "CVE-2021-44228",
				Hint: "As /impact takes it: an advisory, a package and versions (log4j-core <2.17.1), file:PATH that every repo must have, or check:ID."},
			{Name: "teams", Label: "Teams", Kind: FieldText, Initial: strings.Join(a.teams, ", "), Optional: true, Placeholder: "payments, search",
				Hint: "Only these teams' services; all teams when empty."},
			{Name: "tiers", Label: "Tiers", Kind: FieldText, Optional: true, Placeholder: "tier-1, tier-2", Hint: "Only these tiers; all when empty."},
			{Name: "lifecycles", Label: "Lifecycles", Kind: FieldText, Optional: true, Placeholder: "production", Hint: "Only these lifecycles; all when empty."},
			{Name: "deadline", Label: "Deadline", Kind: FieldDate, Initial: deadline.Format(time.DateOnly)},
			{Name: "channel", Label: "Updates channel", Kind: FieldChannel, Initial: channelID(a.channel), Optional: true,
				Hint: "Where the final report goes."},
			{Name: "reminders", Label: "Reminders before the deadline", Kind: FieldText, Initial: formatReminders(campaignReminders), Optional: true,
				Placeholder: "7d,1d", Hint: "Days (d) or hours (h) before the deadline, comma-separated; teams with services left are reminded. Empty: none."},
		},
	}
	return Response{Text: "Start a campaign", Form: form}
}

// submit starts the campaign the modal describes, through the path
// /campaign new --yes takes; a value that will not do is refused beside
// its field.
func (c *campaignCommand) submit(ctx context.Context, req Request, state string, values map[string]string) (FormResult, error) {
	v := func(k string) string { return strings.TrimSpace(values[k]) }
	a := campaignArgs{yes: true, question: v("question"), title: v("title"), name: state,
		channel: channelRef(v("channel")), teams: listOf(v("teams")), tiers: listOf(v("tiers")), lifecycles: listOf(v("lifecycles"))}
	errs := map[string]string{}
	var cond catalog.CampaignCondition
	var title string
	if a.question == "" {
		errs["question"] = "Say what every service must fix: CVE-2021-44228, log4j-core <2.17.1, file:.gitlab-ci.yml or check:runbook."
	} else {
		var err error
		if cond, title, err = campaignCondition(a.question); err != nil {
			errs["question"] = err.Error() + "."
		}
	}
	if finder, ok := c.cfg.Store.(teamFinder); ok {
		var unknown []string
		for _, t := range a.teams {
			_, err := finder.FindTeam(ctx, t)
			if errors.Is(err, catalog.ErrNotFound) {
				unknown = append(unknown, t)
			} else if err != nil {
				return FormResult{}, fmt.Errorf("campaign form: team %s: %w", t, err)
			}
		}
		if len(unknown) > 0 {
			errs["teams"] = fmt.Sprintf("No team %s in the catalog: give teams by their name, comma-separated.", strings.Join(unknown, ", "))
		}
	}
	if len(a.title) > 150 {
		errs["title"] = fmt.Sprintf("At most 150 characters (this has %d).", len(a.title))
	}
	if d := v("deadline"); d == "" {
		errs["deadline"] = "Choose the day every service must be fixed by."
	} else if t, err := time.Parse(time.DateOnly, d); err != nil {
		errs["deadline"] = fmt.Sprintf("%q is not a day: YYYY-MM-DD.", d)
	} else if today := c.now().UTC().Truncate(24 * time.Hour); t.Before(today) {
		errs["deadline"] = fmt.Sprintf("%s is past: choose a day from today (%s) on.", d, today.Format(time.DateOnly))
	} else {
		a.deadline = t
	}
	if r, err := parseReminders(v("reminders")); err != nil {
		errs["reminders"] = err.Error() + "."
	} else {
		a.reminders = r
	}
	if len(errs) > 0 {
		return FormResult{Errors: errs}, nil
	}
	resp, err := c.launch(ctx, req, a, cond, title)
	if err != nil {
		return FormResult{}, fmt.Errorf("campaign form: %w", err)
	}
	return FormResult{Response: resp}, nil
}

// teamFinder is the catalog's lookup of a team by name, which the form
// checks its teams with when the store has it (catalog.Store does).
type teamFinder interface {
	FindTeam(ctx context.Context, name string) (catalog.Team, error)
}

// listOf splits a comma- or space-separated list.
func listOf(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == ';' })
}

// parseReminders reads "7d,1d,12h": durations before the deadline, in
// days or hours (either case), each once, longest first. Empty is no
// reminder (a non-nil empty list).
func parseReminders(s string) ([]time.Duration, error) {
	out := []time.Duration{}
	for _, f := range listOf(s) {
		f = strings.ToLower(f)
		d, err := parseAmount(f, "dh", 365*24*time.Hour)
		switch {
		case errors.Is(err, errNoUnit):
			return nil, fmt.Errorf("%q wants a unit: days (7d) or hours (12h)", f)
		case errors.Is(err, errNotWhole):
			return nil, fmt.Errorf("%q is not a whole number of days or hours before the deadline, e.g. 7d", f)
		case errors.Is(err, errTooLong):
			return nil, fmt.Errorf("%q is more than a year before the deadline", f)
		}
		if slices.Contains(out, d) {
			return nil, fmt.Errorf("%q is given twice", f)
		}
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b time.Duration) int { return cmp.Compare(b, a) })
	return out, nil
}

// The ways parseAmount refuses a duration, for its callers to word.
var (
	errNoUnit   = errors.New("no unit")
	errNotWhole = errors.New("not a whole positive number")
	errTooLong  = errors.New("longer than allowed")
)

// amountUnits are the units parseAmount knows, by their lower-case letter.
var amountUnits = map[byte]time.Duration{'m': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour, 'w': 7 * 24 * time.Hour}

// parseAmount reads a number+unit duration such as "30m", "24h", "7d" or
// "2W": a whole positive number of decimal digits and one unit letter
// among units ("mhdw" or a subset), in either case, at most max. It is
// the one such parser of the package: campaign reminders and /changes'
// --since both read theirs with it. Its errors are errNoUnit, errNotWhole
// and errTooLong, which the caller words for its own field.
func parseAmount(s, units string, max time.Duration) (time.Duration, error) {
	if s == "" {
		return 0, errNoUnit
	}
	letter := s[len(s)-1]
	if 'A' <= letter && letter <= 'Z' {
		letter += 'a' - 'A'
	}
	unit := amountUnits[letter]
	if unit == 0 || !strings.ContainsRune(units, rune(letter)) {
		return 0, errNoUnit
	}
	digits := s[:len(s)-1]
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		return 0, errNotWhole
	}
	n, err := strconv.Atoi(digits)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, errNotWhole
	}
	if n <= 0 && err == nil {
		return 0, errNotWhole
	}
	if err != nil || n > int(max/unit) {
		return 0, errTooLong
	}
	return time.Duration(n) * unit, nil
}

// formatReminders writes rs as parseReminders reads them.
func formatReminders(rs []time.Duration) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		if r%(24*time.Hour) == 0 {
			parts[i] = fmt.Sprintf("%dd", r/(24*time.Hour))
		} else {
			parts[i] = fmt.Sprintf("%dh", r/time.Hour)
		}
	}
	return strings.Join(parts, ",")
}

var channelIDPattern = regexp.MustCompile(`^[CG][A-Z0-9]{2,}$`)

// channelID is ch when it is a Slack channel id (what a channel field
// starts with), or "": a name such as log4j is not one.
func channelID(ch string) string {
	if channelIDPattern.MatchString(ch) {
		return ch
	}
	return ""
}
