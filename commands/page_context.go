package commands

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
)

// What /page adds about the incident's context: who depends on the
// service paged (and telling their channels), and what changed last.

// DependentLister lists the services that depend on one, directly or not
// (*catalog.Store, *catalog.Cache).
type DependentLister interface {
	Dependents(ctx context.Context, serviceID int64) ([]catalog.Dependent, error)
}

// PageNoticeStore claims the "Tell their channels" notices of a page
// (*catalog.Store): each channel's once, whatever the clicks and replicas.
type PageNoticeStore interface {
	// ClaimPageNotices returns the claims on the channels among channels that are the
	// caller's to post to (never posted, or the post failed).
	ClaimPageNotices(ctx context.Context, token string, channels []string) ([]catalog.NoticeClaim, error)
	// FinishPageNotice records a claimed notice's outcome, if the claim
	// is still the caller's (catalog.ErrNoticeClaimLost otherwise).
	FinishPageNotice(ctx context.Context, token string, claim catalog.NoticeClaim, postErr error) error
}

// PageContext is what the /page confirmation tells about the incident's
// context; every part is optional.
type PageContext struct {
	// Dependents: "N services in M teams depend on it", and the channels
	// "Tell their channels" posts to.
	Dependents DependentLister
	// History: the last three changes of the service and, when Graph is
	// set, of its direct dependencies, in the confirmation and the
	// PagerDuty incident's custom details.
	History ChangeHistory
	Graph   DependencyLister
	// Notices and Publisher make the "Tell their channels" button: both
	// are needed for it.
	Notices   PageNoticeStore
	Publisher Publisher
}

const (
	// pageContextTimeout bounds reading the context for a confirmation,
	// triggerContextTimeout for the incident's details: neither holds a
	// confirmation or a page back for long.
	pageContextTimeout    = 700 * time.Millisecond
	triggerContextTimeout = 300 * time.Millisecond
	// pageChanges is how many changes a confirmation shows.
	pageChanges = 3
	// maxNoticeChannels bounds the channels one click posts to.
	maxNoticeChannels = 25
)

// incidentContext is what the confirmation shows about the service.
type incidentContext struct {
	dependents []catalog.Dependent
	depErr     error
	changes    []catalog.Change
	changesErr error
	// gaps says where the history is partial or unread (gapNote);
	// depNote that the dependencies' changes are missing (changeScope).
	gaps    Text
	depNote Text
	names   map[int64]string
	self    int64
}

// readContext reads the service's dependents and last changes, within
// timeout; what fails is said as unknown, never as none.
func (c *pageCommand) readContext(ctx context.Context, svc catalog.Service, timeout time.Duration) incidentContext {
	pc := c.cfg.Context
	ic := incidentContext{self: svc.ID, names: map[int64]string{svc.ID: svc.Ref()}}
	if pc == nil {
		return ic
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if pc.Dependents != nil {
		ic.dependents, ic.depErr = pc.Dependents.Dependents(ctx, svc.ID)
	}
	if pc.History != nil {
		ids, names, note := changeScope(ctx, pc.Graph, svc)
		ic.names, ic.depNote = names, note
		ic.changes, ic.changesErr = pc.History.RecentChanges(ctx, ids, time.Time{}, pageChanges)
		if ic.changesErr == nil && len(ic.changes) < pageChanges {
			ic.gaps = gapNote(ctx, pc.History, ids)
		}
	}
	return ic
}

// dependentTeams counts the teams owning the dependents ("" counts as no
// team, not one).
func dependentTeams(deps []catalog.Dependent) int {
	teams := map[string]bool{}
	for _, d := range deps {
		if d.Service.Team != "" {
			teams[strings.ToLower(d.Service.Team)] = true
		}
	}
	return len(teams)
}

// dependentsText is "12 services in 5 teams depend on it".
func dependentsText(deps []catalog.Dependent) string {
	n, m := len(deps), dependentTeams(deps)
	if n == 0 {
		return "No catalogued service depends on it."
	}
	verb := "depend"
	if n == 1 {
		verb = "depends"
	}
	return fmt.Sprintf("%d %s in %d %s %s on it.", n, plural(n, "service", "services"), m, plural(m, "team", "teams"), verb)
}

// blocks are the confirmation's context blocks, and a line for its text.
func (ic incidentContext) blocks(c *pageCommand, page catalog.Page, now time.Time) ([]Block, string) {
	pc := c.cfg.Context
	if pc == nil {
		return nil, ""
	}
	var blocks []Block
	var text []string
	if pc.Dependents != nil {
		switch {
		case ic.depErr != nil:
			blocks = append(blocks, &Context{Text: T(Plain("Who depends on it is unknown right now (the service graph could not be read)."))})
		default:
			line := dependentsText(ic.dependents)
			text = append(text, line)
			sec := &Section{Text: T(Bold("Blast radius: "), Plain(line))}
			if len(ic.dependents) > 0 {
				sec.Text = append(sec.Text, Plain(" See "), Code("/blast "+page.ServiceRef), Plain("."))
			}
			blocks = append(blocks, sec)
			if len(ic.dependents) > 0 && pc.Notices != nil && pc.Publisher != nil && len(noticeChannels(ic.dependents)) > 0 {
				blocks = append(blocks, &Actions{Buttons: []Button{{Label: "Tell their channels", Command: "/page --tell " + page.Token}}})
			}
		}
	}
	if pc.History != nil {
		var lines []Text
		switch {
		case ic.changesErr != nil:
			lines = append(lines, T(Plain("Recent changes are unknown right now (the change history could not be read).")))
		case len(ic.changes) == 0:
			lines = append(lines, T(Plain("No recorded changes.")))
			text = append(text, "No recorded changes.")
			if len(ic.gaps) > 0 {
				lines = append(lines, ic.gaps)
			}
		default:
			for _, ch := range ic.changes {
				lines = append(lines, append(T(Plain("• ")), changeLine(ch, ic.self, ic.names, now)...))
			}
			text = append(text, "Last change: "+changeLine(ic.changes[0], ic.self, ic.names, now).String())
		}
		if ic.changesErr == nil && len(ic.depNote) > 0 {
			lines = append(lines, ic.depNote)
		}
		blocks = append(blocks, &Section{Text: append(T(Bold("Last changes"), Plain("\n")), Join(lines, "\n")...)})
	}
	return blocks, strings.Join(text, " ")
}

// withContext puts the context blocks into a confirmation, before its
// buttons, and its line at the end of its text.
func withContext(resp Response, blocks []Block, line string) Response {
	if len(blocks) == 0 {
		return resp
	}
	i := slices.IndexFunc(resp.Blocks, func(b Block) bool { _, ok := b.(*Actions); return ok })
	if i < 0 {
		i = len(resp.Blocks)
	}
	resp.Blocks = slices.Concat(resp.Blocks[:i:i], blocks, resp.Blocks[i:])
	if line != "" {
		resp.Text += " " + line
	}
	return resp
}

// changeDetails are the PagerDuty incident's custom details about the
// context: the last changes, one line each, and the blast radius. Empty
// when nothing is known.
func (ic incidentContext) changeDetails(now time.Time) map[string]string {
	out := map[string]string{}
	if ic.changesErr == nil && len(ic.changes) > 0 {
		var lines []string
		for _, ch := range ic.changes {
			l := changeLine(ch, ic.self, ic.names, now).String()
			if ch.WebURL != "" {
				l += " (" + ch.WebURL + ")"
			}
			lines = append(lines, l)
		}
		if len(ic.depNote) > 0 {
			lines = append(lines, ic.depNote.String())
		}
		out["recent_changes"] = strings.Join(lines, "\n")
	}
	if ic.depErr == nil && len(ic.dependents) > 0 {
		out["dependents"] = dependentsText(ic.dependents)
	}
	return out
}

// noticeChannels are the channels of the dependents' teams and of the
// dependents themselves, each once, with the dependents each is told
// about, in the dependents' order (nearest first).
// A channel is keyed as noticeChannel writes it, so that one written two
// ways ("#team-web", "team-web", "#Team-Web") is told once.
func noticeChannels(deps []catalog.Dependent) map[string][]catalog.Dependent {
	out := map[string][]catalog.Dependent{}
	for _, d := range deps {
		seen := map[string]bool{}
		for _, ch := range []string{d.TeamChannel, d.Service.SlackChannel} {
			ch = noticeChannel(ch)
			if ch == "" || seen[ch] {
				continue
			}
			seen[ch] = true
			out[ch] = append(out[ch], d)
		}
	}
	return out
}

// noticeChannel is a catalog channel as a notice is posted to it: a
// channel id as it is, a name as "#name" in lower case (Slack's channel
// names are); "" for none.
func noticeChannel(ch string) string {
	ch = strings.TrimSpace(ch)
	switch {
	case strings.TrimPrefix(ch, "#") == "":
		return ""
	case channelID(ch) != "":
		return ch
	}
	return strings.ToLower(slackChannelName(ch))
}

// tell is "/page --tell TOKEN": the "Tell their channels" button. It posts
// a short notice to each channel of the services depending on the one
// paged (their teams' and their own), each channel once per page whatever
// the clicks and replicas (claimed in the database first); a post that
// failed is tried again by the next click.
func (c *pageCommand) tell(ctx context.Context, req Request, token string) (Response, error) {
	pc := c.cfg.Context
	if pc == nil || pc.Dependents == nil || pc.Notices == nil || pc.Publisher == nil {
		return textResponse(T(Plain("Switchboard cannot post to other channels here, so nobody was told."))), nil
	}
	page, resp, ok, err := c.load(ctx, req, token)
	if !ok || err != nil {
		return resp, err
	}
	if page.State == catalog.PageCancelled || page.State == catalog.PageExpired {
		return textResponse(T(Plain("This page was " + page.State + ", so nobody was told."))), nil
	}
	deps, err := pc.Dependents.Dependents(ctx, page.ServiceID)
	if err != nil {
		return textResponse(T(Plain("Who depends on "), Bold(page.ServiceRef), Plain(" cannot be read right now (the service graph failed), so nobody was told. Try again in a moment."))), nil
	}
	byChannel := noticeChannels(deps)
	if len(byChannel) == 0 {
		return textResponse(T(Plain("None of the services that depend on "), Bold(page.ServiceRef), Plain(" has a Slack channel in the catalog, so nobody was told."))), nil
	}
	channels := make([]string, 0, len(byChannel))
	for ch := range byChannel {
		channels = append(channels, ch)
	}
	slices.Sort(channels)
	skipped := 0
	if len(channels) > maxNoticeChannels {
		skipped, channels = len(channels)-maxNoticeChannels, channels[:maxNoticeChannels]
	}
	claimed, err := pc.Notices.ClaimPageNotices(ctx, page.Token, channels)
	if errors.Is(err, catalog.ErrNotFound) {
		return textResponse(T(Plain("There is no page with this button's token, so nobody was told."))), nil
	}
	if err != nil {
		return Response{}, fmt.Errorf("tell the channels of %s's dependents: %w", page.ServiceRef, err)
	}
	var told, failed []string
	for _, claim := range claimed {
		ch := claim.Channel
		perr := pc.Publisher.Publish(ctx, ch, dependentNotice(page, byChannel[ch]))
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), auditTimeout)
		switch ferr := pc.Notices.FinishPageNotice(wctx, page.Token, claim, perr); {
		case errors.Is(ferr, catalog.ErrNoticeClaimLost):
			c.cfg.Log.WarnContext(ctx, "page notice claimed again while it was being posted: its outcome is the new claimant's, and the channel may be told twice", "page", page.Token, "channel", ch, "posted", perr == nil, "err", ferr)
		case ferr != nil:
			c.cfg.Log.ErrorContext(ctx, "record page notice", "page", page.Token, "channel", ch, "err", ferr)
		}
		cancel()
		if perr != nil {
			c.cfg.Log.WarnContext(ctx, "page notice not posted", "page", page.Token, "channel", ch, "err", perr)
			failed = append(failed, ch)
			continue
		}
		told = append(told, ch)
	}
	c.audit(ctx, req.User.ID, page.ServiceRef, "told", map[string]any{"token": page.Token, "channels": told, "failed": failed})
	already := len(channels) - len(claimed)
	var line Text
	switch {
	case len(told) > 0:
		line = T(Plain(fmt.Sprintf("Told %d %s: %s.", len(told), plural(len(told), "channel", "channels"), strings.Join(told, ", "))))
	default:
		line = T(Plain("Nobody new was told."))
	}
	if already > 0 {
		line = append(line, Plain(fmt.Sprintf(" %d %s had been told already (or %s being told).", already, plural(already, "channel", "channels"), plural(already, "is", "are"))))
	}
	if len(failed) > 0 {
		line = append(line, Plain(" Could not post to "+strings.Join(failed, ", ")+"; click again to retry."))
	}
	if skipped > 0 {
		line = append(line, Plain(fmt.Sprintf(" %d more channels were not told (at most %d at once); ", skipped, maxNoticeChannels)), Code("/blast "+page.ServiceRef), Plain(" lists them."))
	}
	resp = textResponse(line)
	if len(failed) > 0 {
		resp.Blocks = append(resp.Blocks, &Actions{Buttons: []Button{{Label: "Try again", Command: "/page --tell " + page.Token}}})
	}
	return resp, nil
}

// dependentNotice is what a dependent's channel is told.
func dependentNotice(page catalog.Page, deps []catalog.Dependent) Response {
	var names []string
	for _, d := range deps {
		names = append(names, d.Service.Ref())
	}
	list := strings.Join(names, ", ")
	verb := "depend"
	if len(deps) == 1 {
		verb = "depends"
	}
	text := fmt.Sprintf("Heads-up: %s is being paged by %s (%s). %s %s on it.", page.ServiceRef, page.RequesterName, page.Message, list, verb)
	return Response{InChannel: true, Text: text, Blocks: []Block{
		&Section{Text: T(Plain("⚠ Heads-up: "), Bold(page.ServiceRef), Plain(" is being paged by "), Mention(page.RequesterID, page.RequesterName),
			Plain(": “"+page.Message+"”. "), Bold(list), Plain(" "+verb+" on it."))},
		&Context{Text: T(Code("/changes "+page.ServiceRef), Plain(" shows what changed; "), Code("/blast "+page.ServiceRef), Plain(" what else depends on it."))},
	}}
}
