package campaigns

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
)

// Poster posts and updates a team's message about a campaign: the seam
// the bot implements (rendering u as blocks, with u.Text() as the
// notification's text; chat.postMessage, chat.update).
type Poster interface {
	// PostTeamUpdate posts u to channel (an id or #name) and returns the
	// channel's id and the message's ts: what chat.update needs.
	PostTeamUpdate(ctx context.Context, channel string, u TeamUpdate) (channelID, ts string, err error)
	// UpdateTeamUpdate replaces the message ts in channel with u.
	UpdateTeamUpdate(ctx context.Context, channel, ts string, u TeamUpdate) error
}

// ErrMessageGone is what a Poster's UpdateTeamUpdate wraps when the
// message is no longer there (deleted, or its channel): the team's
// message is posted again.
var ErrMessageGone = errors.New("the message is gone")

// TeamUpdate is what a team's message about a campaign says: the
// campaign, and the team's services in it (by name) with what to change.
type TeamUpdate struct {
	Campaign catalog.Campaign
	Team     string
	Services []catalog.CampaignService
}

// hash is a short hash of what the message shows: an unchanged update is
// not sent again.
func (u TeamUpdate) hash() string {
	h := sha256.New()
	c := u.Campaign
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%d\n", c.Name, c.Title, c.Condition, c.Deadline.UTC().Format(time.RFC3339), len(u.Services))
	for _, cs := range u.Services {
		fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%s\n", cs.Service.Ref(), cs.Status, cs.Reason, cs.Where, cs.FixTo)
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// claimTakeOver is how long a claim to post a team's message holds
// before another replica may take it over (its claimant died).
const claimTakeOver = 5 * time.Minute

// Notifier tells each affected team about a campaign with one message in
// its channel, kept up to date in place.
type Notifier struct {
	Store  *catalog.Store
	Poster Poster
	// Replica names this process in claims.
	Replica string
	Log     *slog.Logger
	// Announcer posts reminders and final reports; nil: Poster's when it
	// is one (else none are sent).
	Announcer Announcer
	// Now is the clock; nil: time.Now.
	Now func() time.Time
}

// Tell posts or updates the message of each of teams (nil: every team of
// the campaign) about the campaign called name: posted once, by the one
// replica that claims it; updated only when its text changed. A team
// without a channel is skipped.
func (n *Notifier) Tell(ctx context.Context, name string, teams []string) error {
	p, err := n.Store.CampaignByName(ctx, name)
	if err != nil {
		return fmt.Errorf("tell campaign %s: %w", name, err)
	}
	return n.tell(ctx, p, teams)
}

// tell is Tell of the campaign p, as read.
func (n *Notifier) tell(ctx context.Context, p catalog.CampaignProgress, teams []string) error {
	name := p.Campaign.Name
	posted, err := n.Store.CampaignMessages(ctx, p.Campaign.ID)
	if err != nil {
		return fmt.Errorf("tell campaign %s: %w", name, err)
	}
	byTeam := map[string][]catalog.CampaignService{}
	for _, cs := range p.Services {
		byTeam[cs.Service.Team] = append(byTeam[cs.Service.Team], cs)
	}
	if teams == nil {
		for t := range byTeam {
			teams = append(teams, t)
		}
	}
	slices.Sort(teams)
	teams = slices.Compact(teams)
	var errs []error
	for _, team := range teams {
		services := byTeam[team]
		if team == "" || len(services) == 0 {
			continue
		}
		if err := n.tellTeam(ctx, p.Campaign, team, services, posted[team]); err != nil {
			errs = append(errs, fmt.Errorf("tell campaign %s to %s: %w", name, team, err))
		}
	}
	return errors.Join(errs...)
}

// tellTeam posts or updates one team's message.
func (n *Notifier) tellTeam(ctx context.Context, c catalog.Campaign, team string, services []catalog.CampaignService, m catalog.CampaignMessage) error {
	u := TeamUpdate{Campaign: c, Team: team, Services: services}
	hash := u.hash()
	if m.TS != "" {
		if m.Hash == hash {
			return nil
		}
		// One replica updates it: the one that swaps the hash.
		ok, err := n.Store.SwapCampaignMessageHash(ctx, c.ID, team, m.Hash, hash)
		if err != nil || !ok {
			return err
		}
		if err := n.Poster.UpdateTeamUpdate(ctx, m.Channel, m.TS, u); err != nil {
			if errors.Is(err, ErrMessageGone) {
				if n.Log != nil {
					n.Log.Info("campaign: team's message gone, posting it again", "campaign", c.Name, "team", team, "err", err)
				}
				if err := n.Store.CampaignMessageGone(ctx, c.ID, team, m.TS); err != nil {
					return err
				}
				return n.tellTeam(ctx, c, team, services, catalog.CampaignMessage{})
			}
			_, serr := n.Store.SwapCampaignMessageHash(ctx, c.ID, team, hash, m.Hash)
			return errors.Join(err, serr)
		}
		return n.Store.CampaignMessageUpdated(ctx, c.ID, team, hash)
	}
	t, err := n.Store.FindTeam(ctx, team)
	if errors.Is(err, catalog.ErrNotFound) || err == nil && t.SlackChannel == "" {
		if n.Log != nil {
			// Debug: the sweep asks again every minute.
			n.Log.Debug("campaign: team has no channel", "campaign", c.Name, "team", team)
		}
		return nil
	}
	if err != nil {
		return err
	}
	ok, err := n.Store.ClaimCampaignMessage(ctx, c.ID, team, n.Replica, claimTakeOver)
	if err != nil || !ok {
		return err
	}
	channel, ts, err := n.Poster.PostTeamUpdate(ctx, t.SlackChannel, u)
	if err != nil {
		return errors.Join(err, n.Store.CampaignMessageNotPosted(ctx, c.ID, team, n.Replica, err.Error()))
	}
	if channel == "" {
		channel = t.SlackChannel
	}
	return n.Store.CampaignMessagePosted(ctx, catalog.CampaignMessage{CampaignID: c.ID, Team: team, Channel: channel, TS: ts, Hash: hash}, n.Replica)
}

// Text is the update as plain text (Slack mrkdwn): the notification's
// text under the bot's blocks, and what the shell shows. It lists the
// services left, each with what to change, then those done and those the
// team will not fix.
func (u TeamUpdate) Text() string {
	c, team := u.Campaign, u.Team
	open, done, wontfix := u.ByStatus()
	var b strings.Builder
	fmt.Fprintf(&b, "*%s* (campaign `%s`: %s), due %s\n", c.Title, c.Name, c.Condition, c.Deadline.UTC().Format("Mon 2 Jan 2006"))
	switch {
	case len(open) == 0:
		fmt.Fprintf(&b, "All of %s's services are done. Thank you!\n", team)
	default:
		fmt.Fprintf(&b, "%s has %d of %d services left:\n", team, len(open), len(u.Services))
	}
	for _, cs := range open {
		fmt.Fprintf(&b, "• `%s`", cs.Service.Ref())
		if cs.Where != "" {
			fmt.Fprintf(&b, ": change `%s`", cs.Where)
		}
		if cs.FixTo != "" {
			fmt.Fprintf(&b, " to %s", cs.FixTo)
		}
		b.WriteByte('\n')
	}
	if len(done) > 0 {
		b.WriteString("Done:")
		for i, cs := range done {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, " `%s`", cs.Service.Ref())
		}
		b.WriteByte('\n')
	}
	for _, cs := range wontfix {
		fmt.Fprintf(&b, "Won't fix: `%s` (%s)\n", cs.Service.Ref(), cs.Reason)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// ByStatus splits the team's services into those left to fix, those done
// and those it will not fix, each in the order given.
func (u TeamUpdate) ByStatus() (open, done, wontfix []catalog.CampaignService) {
	for _, cs := range u.Services {
		switch cs.Status {
		case catalog.CampaignOpen:
			open = append(open, cs)
		case catalog.CampaignDone:
			done = append(done, cs)
		case catalog.CampaignWontFix:
			wontfix = append(wontfix, cs)
		}
	}
	return open, done, wontfix
}
