package grading

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
	"github.com/switchboard-dev/switchboard/scorecard"
)

// Publisher posts the drop notices: commands.Publisher (the bot).
type Publisher = commands.Publisher

// PublisherFunc makes a function a Publisher: commands.PublisherFunc.
type PublisherFunc = commands.PublisherFunc

const (
	// notifyWindow is how old a drop may be and still be told (one
	// recorded while Slack was down for days is told when it is back).
	notifyWindow = 7 * 24 * time.Hour
	// claimTakeOver is how long a claim on a drop holds before another
	// notifier takes it over (its replica died between claim and post).
	claimTakeOver = 5 * time.Minute
)

// Notifier tells a team's channel, once, when one of its services drops a
// level. It is safe for concurrent use.
type Notifier struct {
	store *catalog.Store
	card  *scorecard.Card
	pub   Publisher
	log   *slog.Logger
}

// NewNotifier returns a notifier posting through pub, naming levels and
// checks as card does.
func NewNotifier(store *catalog.Store, card *scorecard.Card, pub Publisher, log *slog.Logger) *Notifier {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Notifier{store: store, card: card, pub: pub, log: log}
}

// TellDrops tells every drop not told yet (recorded in the last week),
// each claimed first for by (unique per attempt), so that it is told once
// however many notifiers run: the team's channel, else the service's own
// channel; a drop with neither is recorded told with no channel. It then
// looks again, for drops recorded meanwhile. A failure to post releases
// the drop for the next attempt; the failures are returned, joined.
func (n *Notifier) TellDrops(ctx context.Context, by string) (told int, err error) {
	var errs []error
	tried := map[int64]bool{}
	for {
		drops, err := n.store.PendingDrops(ctx, n.store.Now().Add(-notifyWindow))
		if err != nil {
			return told, err
		}
		fresh := 0
		for _, d := range drops {
			if tried[d.ID] {
				continue
			}
			tried[d.ID] = true
			fresh++
			ok, err := n.store.ClaimDrop(ctx, d.ID, by, claimTakeOver)
			if err != nil {
				return told, err
			}
			if !ok {
				continue // another notifier has it
			}
			channel := d.TeamChannel
			if channel == "" {
				channel = d.Service.SlackChannel
			}
			if channel != "" {
				resp, err := n.message(ctx, d)
				if err == nil {
					err = n.pub.Publish(ctx, channel, resp)
				}
				if err != nil {
					errs = append(errs, fmt.Errorf("tell %s's drop in %s: %w", d.Service.Ref(), channel, err))
					if rerr := n.store.DropNotTold(context.WithoutCancel(ctx), d.ID, by, err.Error()); rerr != nil {
						n.log.Warn("scorecard: drop's claim not released", "id", d.ID, "err", rerr)
					}
					continue
				}
			} else {
				n.log.Info("scorecard: a drop with no channel to tell", "service", d.Service.Ref())
			}
			if err := n.store.DropTold(ctx, d.ID, by, channel); err != nil {
				return told, err
			}
			told++
		}
		if fresh == 0 {
			return told, errors.Join(errs...)
		}
	}
}

// message is what the team reads: the service, its levels before and now,
// each failed check with how to pass it and where, and a button that shows
// the scorecard.
func (n *Notifier) message(ctx context.Context, d catalog.LevelChange) (commands.Response, error) {
	name := func(rank int) string {
		if l := n.card.LevelName(rank); l != "" {
			return l
		}
		return scorecard.NoLevel
	}
	ref := d.Service.Ref()
	summary := fmt.Sprintf("%s dropped from %s to %s", ref, name(d.From), name(d.To))
	resp := commands.Response{InChannel: true, Text: summary}
	resp.Blocks = append(resp.Blocks, &commands.Section{Text: commands.T(
		commands.Bold(ref), commands.Plain(" dropped from "), commands.Bold(name(d.From)),
		commands.Plain(" to "), commands.Bold(name(d.To)), commands.Plain(" on the scorecard."))})
	// Where each failed check can be fixed: from the grade stored.
	where := map[string]*scorecard.Where{}
	if sg, err := n.store.ServiceGrade(ctx, d.Service.ID); err == nil {
		for _, r := range sg.Grade.Results {
			if r.Value.Where != nil {
				where[r.ID] = r.Value.Where
			}
		}
	} else if !errors.Is(err, catalog.ErrNotFound) {
		return commands.Response{}, err
	}
	for _, id := range d.Failed {
		title, msg := id, ""
		if c, ok := n.card.Check(id); ok {
			title, msg = c.Title(), c.Message
		}
		text := commands.T(commands.Bold(title))
		if msg != "" {
			text = append(text, commands.Plain(": "+msg))
		}
		if w := where[id]; w != nil {
			text = append(text, commands.Plain(" ("), commands.Code(w.String()), commands.Plain(")"))
		}
		resp.Blocks = append(resp.Blocks, &commands.Section{Text: text})
	}
	resp.Blocks = append(resp.Blocks, &commands.Actions{Buttons: []commands.Button{
		{Label: "Scorecard", Command: "/scorecard " + ref},
	}})
	return resp, nil
}
