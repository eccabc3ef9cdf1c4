package bot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/switchboard-dev/switchboard/campaigns"
	"github.com/switchboard-dev/switchboard/commands"
)

// The bot is the campaigns' Poster and Announcer: each team's message
// about a campaign, its reminders and the final report, rendered from a
// commands.Response like any answer.
var (
	_ campaigns.Poster    = (*Bot)(nil)
	_ campaigns.Announcer = (*Bot)(nil)
)

// PostTeamUpdate implements campaigns.Poster: chat.postMessage of u in
// channel; it returns the channel's id and the message's ts.
func (b *Bot) PostTeamUpdate(ctx context.Context, channel string, u campaigns.TeamUpdate) (string, string, error) {
	id, ts, err := b.cfg.API.PostMessageContext(ctx, channel, messageOptions(teamUpdateResponse(u, false))...)
	if err != nil {
		b.metrics.slackError("chat.postMessage")
		return "", "", fmt.Errorf("post campaign %s to %s in %s: %w", u.Campaign.Name, u.Team, channel, err)
	}
	return id, ts, nil
}

// UpdateTeamUpdate implements campaigns.Poster: chat.update of the
// message ts in channel with u.
func (b *Bot) UpdateTeamUpdate(ctx context.Context, channel, ts string, u campaigns.TeamUpdate) error {
	if _, _, _, err := b.cfg.API.UpdateMessageContext(ctx, channel, ts, messageOptions(teamUpdateResponse(u, false))...); err != nil {
		b.metrics.slackError("chat.update")
		if code := slackError(err); code == "message_not_found" || code == "channel_not_found" {
			err = errors.Join(campaigns.ErrMessageGone, err)
		}
		return fmt.Errorf("update campaign %s message %s of %s in %s: %w", u.Campaign.Name, ts, u.Team, channel, err)
	}
	return nil
}

// PostReminder implements campaigns.Announcer: a new message in channel
// (so that it notifies) with the team's services left.
func (b *Bot) PostReminder(ctx context.Context, channel string, u campaigns.TeamUpdate) error {
	if _, _, err := b.cfg.API.PostMessageContext(ctx, channel, messageOptions(teamUpdateResponse(u, true))...); err != nil {
		b.metrics.slackError("chat.postMessage")
		return fmt.Errorf("remind %s of campaign %s in %s: %w", u.Team, u.Campaign.Name, channel, err)
	}
	return nil
}

// PostReport implements campaigns.Announcer: the final report in channel,
// then the burn-down uploaded there as a file.
func (b *Bot) PostReport(ctx context.Context, channel string, r campaigns.Report) error {
	resp := reportResponse(r)
	id, _, err := b.cfg.API.PostMessageContext(ctx, channel, messageOptions(resp)...)
	if err != nil {
		b.metrics.slackError("chat.postMessage")
		return fmt.Errorf("post the report of campaign %s in %s: %w", r.Progress.Campaign.Name, channel, err)
	}
	if resp.File != nil {
		if err := b.sendFile(ctx, resp.File, "", id, true); err != nil {
			// The report is posted: the chart is extra.
			b.log.Warn("campaign: burn-down not uploaded", "campaign", r.Progress.Campaign.Name, "channel", id, "err", err)
		}
	}
	return nil
}

// teamUpdateResponse is a team's message about a campaign: its services
// left with what to change, those done, those it will not fix; a reminder
// says how long is left first.
func teamUpdateResponse(u campaigns.TeamUpdate, reminder bool) commands.Response {
	c := u.Campaign
	open, done, wontfix := u.ByStatus()
	blocks := []commands.Block{&commands.Header{Text: c.Title}}
	text := u.Text()
	if reminder {
		left := fmt.Sprintf("Reminder: %s is due %s, and %s has %d services left.", c.Name, c.Deadline.UTC().Format("Mon 2 Jan 2006 15:04 MST"), u.Team, len(open))
		blocks = append(blocks, &commands.Section{Text: commands.T(commands.Bold(left))})
		text = left + "\n" + text
	}
	blocks = append(blocks, &commands.Context{Text: commands.T(commands.Plain("Campaign "), commands.Code(c.Name),
		commands.Plain(": "+c.Condition.String()+", due "+c.Deadline.UTC().Format("Mon 2 Jan 2006")))})
	if len(open) == 0 {
		blocks = append(blocks, &commands.Section{Text: commands.T(commands.Plain(fmt.Sprintf("All of %s's services are done. Thank you!", u.Team)))})
	} else {
		lines := commands.T(commands.Plain(fmt.Sprintf("%s has %d of %d services left:", u.Team, len(open), len(u.Services))))
		for _, cs := range open {
			lines = append(lines, commands.Plain("\n• "), commands.Code(cs.Service.Ref()))
			if cs.Where != "" {
				lines = append(lines, commands.Plain(": change "), commands.Code(cs.Where))
			}
			if cs.FixTo != "" {
				lines = append(lines, commands.Plain(" to "+cs.FixTo))
			}
		}
		blocks = append(blocks, &commands.Section{Text: lines})
	}
	if len(done) > 0 || len(wontfix) > 0 {
		var t commands.Text
		if len(done) > 0 {
			t = append(t, commands.Plain("Done:"))
			for _, cs := range done {
				t = append(t, commands.Plain(" "), commands.Code(cs.Service.Ref()))
			}
		}
		for _, cs := range wontfix {
			if len(t) > 0 {
				t = append(t, commands.Plain("\n"))
			}
			t = append(t, commands.Plain("Won't fix: "), commands.Code(cs.Service.Ref()), commands.Plain(" ("+cs.Reason+")"))
		}
		blocks = append(blocks, &commands.Context{Text: t})
	}
	return commands.Response{Text: text, Blocks: blocks, InChannel: true}
}

// reportResponse is a campaign's final report: the counts, by team, and
// the burn-down as a file.
func reportResponse(r campaigns.Report) commands.Response {
	c := r.Progress.Campaign
	done, wontfix, left := 0, 0, 0
	fields := make([]commands.Field, 0, len(r.Progress.ByTeam))
	for _, t := range r.Progress.ByTeam {
		done, wontfix, left = done+t.Done, wontfix+t.WontFix, left+t.Open
		team := t.Team
		if team == "" {
			team = "(no team)"
		}
		fields = append(fields, commands.Field{Label: team, Value: commands.T(commands.Plain(
			fmt.Sprintf("done %d, won't fix %d, left %d", t.Done, t.WontFix, t.Open)))})
	}
	head := "Campaign over: every service is fixed or exempted."
	if r.Overdue {
		head = fmt.Sprintf("Campaign over: the deadline passed with %d services left.", left)
	}
	resp := commands.Response{Text: r.Text(), InChannel: true, Blocks: []commands.Block{
		&commands.Header{Text: c.Title},
		&commands.Section{Text: commands.T(commands.Bold(head), commands.Plain(fmt.Sprintf("\nDone %d, won't fix %d, left %d.", done, wontfix, left)))},
		&commands.Section{Fields: fields},
		&commands.Context{Text: commands.T(commands.Plain("Campaign "), commands.Code(c.Name), commands.Plain(": "+c.Condition.String()+
			", due "+c.Deadline.UTC().Format("Mon 2 Jan 2006")+", closed "+time.Now().UTC().Format("Mon 2 Jan 2006")))},
	}}
	if len(r.Chart) > 0 {
		resp.File = &commands.File{Name: "campaign-" + c.Name + "-burndown.png", Title: c.Title + ": burn-down", Content: r.Chart}
	}
	return resp
}
