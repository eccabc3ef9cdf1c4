package commands

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/oncall"
	"github.com/switchboard-dev/switchboard/weblinks"
)

// What /page answers: the confirmation, the announcement, and the
// outcomes told to the requester.

// confirmation asks the requester to confirm page.
func (c *pageCommand) confirmation(page catalog.Page, prof catalog.Profile, ocErr error, recent *catalog.Page, now time.Time) Response {
	ref := prof.Service.Ref()
	var blocks []Block
	blocks = append(blocks, &Header{Text: "Page " + ref + "?"})
	text := fmt.Sprintf("Page %s? It pages %s with %q.", ref, targetsOrUnknown(page.OnCall).String(), page.Message)
	label := "Page"
	if recent != nil {
		label = "Page again"
		line, summary := c.recentLine(*recent, now)
		blocks = append(blocks, &Section{Text: line})
		text = fmt.Sprintf("%s; page again? It pages %s with %q.", summary, targetsOrUnknown(page.OnCall).String(), page.Message)
	}
	who := targetsOrUnknown(page.OnCall)
	if ocErr != nil {
		who = T(Plain("unknown: " + pagerDutyProblem(ocErr)))
		if errors.Is(ocErr, errNoLink) {
			who = T(Plain("whoever is on call in PagerDuty"))
		}
	}
	owner := T(serviceName(c.cfg.Links, prof.Service))
	if prof.Team != nil {
		owner = append(owner, Plain(" (team "+prof.Team.Name+")"))
	}
	how := "PagerDuty Events API, with the service's integration key"
	if prof.Service.PagerDutyIntegrationKey == "" {
		how = "a PagerDuty incident opened in your name (" + page.RequesterEmail + ")"
	}
	blocks = append(blocks,
		&Section{Fields: []Field{
			{Label: "Service", Value: owner},
			{Label: "Pages (on call now)", Value: who},
			{Label: "Message", Value: T(Plain(page.Message))},
			{Label: "How", Value: T(Plain(how))},
		}},
		&Actions{Buttons: c.confirmButtons(page, label)},
		&Context{Text: T(Plain("Only you see this. Nothing is paged until you click " + label + "; this confirmation expires at " +
			clockText(page.CreatedAt.Add(confirmTTL), now) + " (15 minutes)."))},
	)
	return Response{Text: text, Blocks: blocks}
}

// confirmButtons are the buttons of a confirmation: Page (Try again for a
// failed page, which is retried) and Cancel.
func (c *pageCommand) confirmButtons(page catalog.Page, label string) []Button {
	if page.State == catalog.PageFailed {
		return []Button{{Label: label, Command: "/page --retry " + page.Token, Style: "danger"}}
	}
	return []Button{
		{Label: label, Command: "/page --confirm " + page.Token, Style: "danger"},
		{Label: "Cancel", Command: "/page --cancel " + page.Token},
	}
}

// recentLine tells of a recent page of the service, as the warning of a
// confirmation, and as a one-line summary.
func (c *pageCommand) recentLine(recent catalog.Page, now time.Time) (Text, string) {
	ref, who := recent.ServiceRef, Mention(recent.RequesterID, recent.RequesterName)
	at := firstTime(recent.SentAt, recent.ClaimedAt, recent.UpdatedAt)
	ago := humanDuration(now.Sub(at))
	var (
		line    Text
		summary string
	)
	switch {
	case recent.State == catalog.PageSending && now.Sub(recent.UpdatedAt) <= c.stale:
		line = T(Plain("⚠ "), Bold(ref), Plain(" is being paged right now (since "+clockText(at, now)+") by "), who,
			Plain(": “"+recent.Message+"”"))
		summary = fmt.Sprintf("%s is being paged right now by %s", ref, recent.RequesterName)
	case recent.State == catalog.PageSent:
		line = T(Plain("⚠ "), Bold(ref), Plain(" was already paged "+ago+" ago ("+clockText(at, now)+") by "), who,
			Plain(": “"+recent.Message+"”"))
		if recent.IncidentURL != "" {
			line = append(line, Plain(" — "), Link(incidentLabel(recent.IncidentNumber), recent.IncidentURL))
		}
		summary = fmt.Sprintf("%s was already paged %s ago by %s", ref, ago, recent.RequesterName)
	default: // unknown, or sending with a sender that died
		line = T(Plain("⚠ "), Bold(ref), Plain(" was paged "+ago+" ago ("+clockText(at, now)+") by "), who,
			Plain(": “"+recent.Message+"” — PagerDuty did not confirm it; it may have gone through"))
		summary = fmt.Sprintf("%s was paged %s ago by %s and PagerDuty did not confirm it; it may have gone through", ref, ago, recent.RequesterName)
	}
	return append(line, Plain(". Page again anyway?")), summary
}

// firstTime is the first of ts that is set.
func firstTime(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

// announcement tells the channel who paged whom.
func announcement(page catalog.Page, links weblinks.Links) Response {
	line := T(Mention(page.RequesterID, page.RequesterName), Plain(" paged "))
	line = append(line, targetsOr(page.OnCall, "the on-call of "+page.ServiceRef)...)
	line = append(line, Plain(" for "), refName(links, page.ServiceRef), Plain(": "+page.Message))
	blocks := []Block{&Section{Text: line}}
	if l := incidentLink(page); len(l) > 0 {
		blocks = append(blocks, &Context{Text: l})
	}
	text := fmt.Sprintf("%s paged %s for %s: %s", page.RequesterName, targetsOr(page.OnCall, "the on-call of "+page.ServiceRef).String(), page.ServiceRef, page.Message)
	return Response{InChannel: true, Text: text, Blocks: blocks}
}

// notPaged says clearly that a page failed, why, and whom to reach
// directly instead.
func (c *pageCommand) notPaged(page catalog.Page) Response {
	why := firstNonEmpty(page.Error, "PagerDuty did not accept the page")
	text := fmt.Sprintf("NOT paged: %s — %s.", page.ServiceRef, why)
	blocks := []Block{&Section{Text: T(Bold("NOT paged"), Plain(": "), refName(c.cfg.Links, page.ServiceRef), Plain(" — "+why+"."))}}
	if len(page.OnCall) > 0 {
		reach := T(Plain("Reach the on-call directly: "))
		reach = append(reach, peopleText(page.OnCall)...)
		blocks = append(blocks, &Section{Text: reach})
		text += " Reach the on-call directly: " + peopleText(page.OnCall).String() + "."
	}
	var buttons []Button
	if c.cfg.Now().Sub(page.CreatedAt) <= confirmTTL {
		buttons = append(buttons, Button{Label: "Try again", Command: "/page --retry " + page.Token, Style: "danger"})
	}
	blocks = append(blocks,
		&Context{Text: T(Plain("PagerDuty did not accept this page. Trying again is safe: the same page never opens a second incident."))},
	)
	if len(buttons) > 0 {
		blocks = append(blocks, &Actions{Buttons: buttons})
	}
	return Response{Text: text, Blocks: blocks}
}

// noPageLink says a service cannot be paged, and how to make it so.
func (c *pageCommand) noPageLink(ctx context.Context, p catalog.Profile) Response {
	ref := p.Service.Ref()
	text := fmt.Sprintf("%s has no PagerDuty service in the catalog, so Switchboard cannot page it. Nothing was paged.", ref)
	blocks := []Block{&Section{Text: T(serviceName(c.cfg.Links, p.Service), Plain(" has no PagerDuty service in the catalog, so Switchboard cannot page it. "), Bold("Nothing was paged"), Plain("."))}}
	var reach Text
	if targets, err := c.onCall(ctx, p); err == nil && len(targets) > 0 && p.Team != nil {
		reach = append(peopleText(targets), Plain(" (on call for team "+p.Team.Name+")"))
	}
	if ch := channelOf(p); ch != "" {
		if len(reach) > 0 {
			reach = append(reach, Plain(" · "))
		}
		reach = append(reach, Plain("channel "+ch))
	}
	if len(reach) > 0 {
		blocks = append(blocks, &Section{Text: append(T(Plain("Reach the owners directly: ")), reach...)})
	}
	blocks = append(blocks, &Context{Text: howToLink()})
	return Response{Text: text, Blocks: blocks}
}

// noEmail refuses a REST page without the requester's email.
func noEmail(ref string) Response {
	text := fmt.Sprintf("NOT paged: Switchboard could not learn your email address from Slack, and PagerDuty needs it to open an incident on %s in your name.", ref)
	return Response{Text: text, Blocks: []Block{
		&Section{Text: T(Bold("NOT paged"), Plain(": Switchboard could not learn your email address from Slack, and PagerDuty needs it to open an incident on "), Bold(ref), Plain(" in your name."))},
		&Context{Text: T(Plain("Page from PagerDuty directly, or ask the platform team to give the service an Events API integration key ("), Code("pagerduty.com/integration-key"), Plain(")."))},
	}}
}

func pageDetail(p catalog.Page) map[string]any {
	var names []string
	for _, t := range p.OnCall {
		names = append(names, t.Name)
	}
	d := map[string]any{
		"message": p.Message, "requester_name": p.RequesterName, "requester_email": p.RequesterEmail,
		"channel": p.ChannelID, "dedup_key": p.DedupKey, "on_call": names, "state": p.State,
	}
	if p.IncidentID != "" || p.IncidentURL != "" {
		d["incident_id"], d["incident_url"], d["incident_number"] = p.IncidentID, p.IncidentURL, p.IncidentNumber
	}
	if p.Via != "" {
		d["via"] = p.Via
	}
	if p.Error != "" {
		d["error"] = p.Error
	}
	return d
}

func incidentLink(p catalog.Page) Text {
	var out Text
	if p.IncidentURL != "" {
		out = append(out, Link(incidentLabel(p.IncidentNumber), p.IncidentURL))
	} else if p.State == catalog.PageSent {
		out = append(out, Plain("PagerDuty accepted the page; the incident is being opened"))
	}
	switch p.Via {
	case oncall.ViaEvents:
		out = append(out, Plain(" · via the Events API"))
	case oncall.ViaREST:
		out = append(out, Plain(" · opened in "+p.RequesterName+"'s name"))
	}
	return out
}

func incidentLabel(n int) string {
	if n > 0 {
		return fmt.Sprintf("Incident #%d", n)
	}
	return "Incident"
}

// again is the command that asks for the same page anew.
func again(p catalog.Page) string { return "/page " + p.ServiceRef + " " + p.Message }

func targetsOrUnknown(ts []catalog.PageTarget) Text {
	return targetsOr(ts, "whoever is on call")
}

func targetsOr(ts []catalog.PageTarget, otherwise string) Text {
	if len(ts) == 0 {
		return T(Plain(otherwise))
	}
	return peopleText(ts)
}

func displayName(u User) string { return firstNonEmpty(u.Name, u.Email, u.ID) }
