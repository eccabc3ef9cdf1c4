package commands

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/standards"
)

// HomeCatalog is what the App Home reads of the catalog (*catalog.Store).
type HomeCatalog interface {
	OnboardCatalog
	// BrokenDescriptors returns the repos of these teams whose descriptor
	// does not validate, with its first finding.
	BrokenDescriptors(ctx context.Context, teamIDs []int64) ([]catalog.BrokenDescriptor, error)
}

// HomeView builds the App Home tab: each user's own dashboard. Catalog is
// required; OnCall may be nil (on call is then shown as unknown).
type HomeView struct {
	Catalog HomeCatalog
	OnCall  *OnCallLookup
	// Checklist is the standards file's onboarding checklist.
	Checklist []standards.ChecklistItem
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Scorecards, when set, shows the levels of each team's services.
	Scorecards *Scorecards
}

// Limits of the App Home; the rest is counted.
const (
	maxHomeTeams         = 5
	maxHomeTeamServices  = 8
	maxHomeBroken        = 10
	maxHomeStartedByUser = 10
)

// Build returns user's dashboard: their teams' services and who is on call
// for each now, the broken descriptors of their teams' repos with the first
// finding of each, their unfinished onboarding with the checklist, and the
// unfinished onboardings they started. The user is found by Slack id, else
// email; someone the catalog does not know gets a short explanation. It
// fails only when the catalog does; PagerDuty failing shows as "on call
// unavailable".
func (h HomeView) Build(ctx context.Context, user User) (Response, error) {
	cat := h.Catalog
	o := &onboarder{cfg: OnboardConfig{Catalog: cat, OnCall: h.OnCall, Checklist: h.Checklist, Now: h.Now}, items: checklistOf(h.Checklist)}
	blocks := []Block{&Header{Text: "Your Switchboard"}}

	p, known, err := h.findUser(ctx, user)
	if err != nil {
		return Response{}, err
	}
	started, err := cat.OnboardingsStartedBy(ctx, callerKey(user))
	if err != nil {
		return Response{}, err
	}
	if !known {
		blocks = append(blocks, &Section{Text: T(Plain("Switchboard does not know you yet: people come from GitLab groups, PagerDuty escalation policies and Backstage User descriptors, joined to Slack by email. Once you are in your team's GitLab group, the next sync puts you on its roster."))})
		blocks = append(blocks, o.startedBlocks(started)...)
		blocks = append(blocks, homeFooter())
		return Response{Text: "Your Switchboard", Blocks: blocks}, nil
	}

	teams, err := cat.PersonTeams(ctx, p.ID)
	if err != nil {
		return Response{}, err
	}
	mine, err := cat.OnboardingsOf(ctx, p.ID)
	if err != nil {
		return Response{}, err
	}
	// Someone being onboarded to a team whose roster does not have them
	// yet (GitLab has not caught up) sees that team too.
	for _, ob := range mine {
		if !containsTeam(teams, ob.Team.ID) {
			teams = append(teams, ob.Team)
		}
	}

	// Unfinished onboarding first: it is what a new joiner opens the tab for.
	for _, ob := range mine {
		n, total := o.progress(ob.Done)
		if total == 0 || n == total {
			continue
		}
		blocks = append(blocks,
			&Section{Text: T(Bold("Your onboarding to "+ob.Team.Name), Plain(fmt.Sprintf(": %d/%d done", n, total)))},
			&Section{Text: o.checklistText(ob.Done, true)})
		if b := o.tickButtons(ob.Done, p.Email); len(b) > 0 {
			blocks = append(blocks, &Actions{Buttons: b})
		}
		break // the checklist is the person's: once is enough
	}

	if len(teams) == 0 {
		blocks = append(blocks, &Section{Text: T(Plain("You are on no team's roster yet. Rosters come from GitLab groups, PagerDuty escalation policies and Backstage descriptors, refreshed at each sync."))})
	}
	var teamIDs []int64
	var teamButtons []Button
	for i, t := range teams {
		teamIDs = append(teamIDs, t.ID)
		if i >= maxHomeTeams {
			continue
		}
		services, err := cat.TeamServices(ctx, t.ID)
		if err != nil {
			return Response{}, err
		}
		head := T(Bold("Team " + t.Name))
		if t.Title != "" && !strings.EqualFold(t.Title, t.Name) {
			head = append(head, Plain(" ("+t.Title+")"))
		}
		if t.SlackChannel != "" {
			head = append(head, Plain(" · "+slackChannelName(t.SlackChannel)))
		}
		head = append(head, Plain(" · on call now: "))
		head = append(head, teamOnCallText(ctx, h.OnCall, t)...)
		blocks = append(blocks, &Divider{}, &Section{Text: head})
		blocks = append(blocks, servicesBlocks(services, maxHomeTeamServices, h.OnCall.links())...)
		if h.Scorecards != nil {
			levels, err := h.Scorecards.TeamLevels(ctx, t.Name, maxHomeTeamServices)
			if err != nil {
				return Response{}, err
			}
			if len(levels) > 0 {
				blocks = append(blocks, &Context{Text: levels})
			}
		}
		teamButtons = append(teamButtons, Button{Label: "Team " + t.Name, Command: "/team " + t.Name})
	}
	if len(teams) > maxHomeTeams {
		blocks = append(blocks, &Context{Text: T(Plain(fmt.Sprintf("…and %d more teams.", len(teams)-maxHomeTeams)))})
	}
	if len(teamButtons) > 0 {
		blocks = append(blocks, &Actions{Buttons: teamButtons})
	}

	if len(teamIDs) > 0 {
		broken, err := cat.BrokenDescriptors(ctx, teamIDs)
		if err != nil {
			return Response{}, err
		}
		blocks = append(blocks, &Divider{})
		blocks = append(blocks, brokenBlocks(broken)...)
	}

	blocks = append(blocks, o.startedBlocks(started)...)
	blocks = append(blocks, homeFooter())
	return Response{Text: "Your Switchboard", Blocks: blocks}, nil
}

// findUser finds the catalog's person for a Slack user: by Slack id, else
// by email. known is false when the catalog has neither.
func (h HomeView) findUser(ctx context.Context, u User) (catalog.Person, bool, error) {
	if u.ID != "" {
		p, err := h.Catalog.PersonBySlackID(ctx, u.ID)
		if err == nil {
			return p, true, nil
		}
		if !errors.Is(err, catalog.ErrNotFound) {
			return catalog.Person{}, false, err
		}
	}
	if u.Email != "" {
		p, err := h.Catalog.PersonByEmail(ctx, u.Email)
		if err == nil {
			return p, true, nil
		}
		if !errors.Is(err, catalog.ErrNotFound) {
			return catalog.Person{}, false, err
		}
	}
	return catalog.Person{}, false, nil
}

func containsTeam(teams []catalog.Team, id int64) bool {
	for _, t := range teams {
		if t.ID == id {
			return true
		}
	}
	return false
}

// brokenBlocks lists broken descriptors, each with its first finding and a
// link to the line.
func brokenBlocks(broken []catalog.BrokenDescriptor) []Block {
	if len(broken) == 0 {
		return []Block{&Context{Text: T(Plain("✓ No broken descriptors in your teams' repos."))}}
	}
	lines := []Text{T(Bold(fmt.Sprintf("Broken descriptors in your teams' repos (%d):", len(broken))))}
	for i, b := range broken {
		if i == maxHomeBroken {
			lines = append(lines, T(Plain(fmt.Sprintf("…and %d more.", len(broken)-maxHomeBroken))))
			break
		}
		line := T(Plain("• "), Link(b.Repo.Path, b.Repo.WebURL), Plain(" ("+b.Team+"): "))
		f := b.First
		if f.Path != "" {
			pos := fmt.Sprintf("%s:%d:%d", f.Path, f.Line, f.Col)
			line = append(line, Link(pos, fileLink(b.Repo, f.Path, f.Line)), Plain(" "+f.Message))
			if f.Fix != "" {
				line = append(line, Plain(" (fix: "+f.Fix+")"))
			}
		} else {
			line = append(line, Plain("invalid descriptor"))
		}
		if b.Findings > 1 {
			line = append(line, Plain(fmt.Sprintf(" · %d findings", b.Findings)))
		}
		lines = append(lines, line)
	}
	return []Block{
		&Section{Text: Join(lines, "\n")},
		&Context{Text: T(Plain("Until fixed, their services keep their last good entry and changes to them are ignored. "), Code("switchboard lint"), Plain(" checks a descriptor locally."))},
	}
}

// fileLink points at a line of a file on the repo's default branch in
// GitLab; "" when the repo has no web URL.
func fileLink(r catalog.Repo, path string, line int) string {
	if r.WebURL == "" {
		return ""
	}
	branch := firstNonEmpty(r.DefaultBranch, "HEAD")
	u := strings.TrimSuffix(r.WebURL, "/") + "/-/blob/" + url.PathEscape(branch) + "/" + (&url.URL{Path: path}).EscapedPath()
	if line > 0 {
		u += fmt.Sprintf("#L%d", line)
	}
	return u
}

// startedBlocks lists the unfinished onboardings someone started.
func (o *onboarder) startedBlocks(started []catalog.Onboarding) []Block {
	var lines []Text
	var buttons []Button
	for _, ob := range started {
		n, total := o.progress(ob.Done)
		if total > 0 && n == total {
			continue
		}
		if len(lines) == maxHomeStartedByUser {
			lines = append(lines, T(Plain("…and more: "), Code("/onboard --status")))
			break
		}
		line := append(T(Plain("• ")), personText(ob.Person)...)
		line = append(line, Plain(" → "+ob.Team.Name+fmt.Sprintf(": %d/%d done", n, total)))
		if ob.SentAt.IsZero() {
			line = append(line, Plain(" (welcome not sent)"))
		}
		lines = append(lines, line)
		if len(buttons) < 5 {
			buttons = append(buttons, Button{Label: "Progress of " + shorten(displayPerson(ob.Person), 30), Command: cmdLine("/onboard --status", ob.Person.Email)})
		}
	}
	if len(lines) == 0 {
		return nil
	}
	head := T(Bold("Onboarding you started, not finished:"))
	return []Block{&Divider{}, &Section{Text: Join(append([]Text{head}, lines...), "\n")}, &Actions{Buttons: buttons}}
}

func homeFooter() Block {
	return &Context{Text: T(Plain("Rosters follow GitLab groups and PagerDuty at each sync. "), Code("/help"), Plain(" lists the commands."))}
}
