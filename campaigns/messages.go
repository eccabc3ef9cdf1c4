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

// Poster posts and updates Slack messages: the seam the bot implements
// (chat.postMessage, chat.update).
type Poster interface {
	// PostMessage posts text (mrkdwn) to channel and returns the message's
	// ts.
	PostMessage(ctx context.Context, channel, text string) (ts string, err error)
	// UpdateMessage replaces the text of the message ts in channel.
	UpdateMessage(ctx context.Context, channel, ts, text string) error
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
	text := TeamMessage(c, team, services)
	sum := sha256.Sum256([]byte(text))
	hash := hex.EncodeToString(sum[:8])
	if m.TS != "" {
		if m.Hash == hash {
			return nil
		}
		if err := n.Poster.UpdateMessage(ctx, m.Channel, m.TS, text); err != nil {
			return err
		}
		return n.Store.CampaignMessageUpdated(ctx, c.ID, team, hash)
	}
	t, err := n.Store.FindTeam(ctx, team)
	if errors.Is(err, catalog.ErrNotFound) || err == nil && t.SlackChannel == "" {
		if n.Log != nil {
			n.Log.Info("campaign: team has no channel", "campaign", c.Name, "team", team)
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
	ts, err := n.Poster.PostMessage(ctx, t.SlackChannel, text)
	if err != nil {
		return errors.Join(err, n.Store.CampaignMessageNotPosted(ctx, c.ID, team, n.Replica, err.Error()))
	}
	return n.Store.CampaignMessagePosted(ctx, catalog.CampaignMessage{CampaignID: c.ID, Team: team, Channel: t.SlackChannel, TS: ts, Hash: hash}, n.Replica)
}

// TeamMessage is the text (mrkdwn) of team's message about campaign c:
// its services left, each with what to change, then those done and those
// it will not fix.
func TeamMessage(c catalog.Campaign, team string, services []catalog.CampaignService) string {
	var open, done, wontfix []catalog.CampaignService
	for _, cs := range services {
		switch cs.Status {
		case catalog.CampaignOpen:
			open = append(open, cs)
		case catalog.CampaignDone:
			done = append(done, cs)
		case catalog.CampaignWontFix:
			wontfix = append(wontfix, cs)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "*%s* (campaign `%s`: %s), due %s\n", c.Title, c.Name, c.Condition, c.Deadline.UTC().Format("Mon 2 Jan 2006"))
	switch {
	case len(open) == 0:
		fmt.Fprintf(&b, "All of %s's services are done. Thank you!\n", team)
	default:
		fmt.Fprintf(&b, "%s has %d of %d services left:\n", team, len(open), len(services))
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
