package bot

import (
	"context"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/switchboard-dev/switchboard/commands"
)

// interaction handles a click or a choice in a message. Buttons and
// selects made by render carry the command they stand for; the answer
// replaces the message they were in. "Share in channel" posts the answer
// for everyone. Returns the acknowledgement's payload (nil: empty).
func (b *Bot) interaction(cb slack.InteractionCallback) any {
	switch cb.Type {
	case slack.InteractionTypeViewSubmission:
		return b.submission(cb)
	case slack.InteractionTypeBlockSuggestion:
		return b.suggestion(cb)
	case slack.InteractionTypeBlockActions:
	default:
		b.log.Debug("interaction ignored", "type", cb.Type)
		return nil
	}
	user := commands.User{ID: cb.User.ID, Name: cb.User.Name}
	for _, a := range cb.ActionCallback.BlockActions {
		switch {
		case a.ActionID == actionShare:
			b.inflight.Add(1)
			go func() {
				defer b.inflight.Done()
				r := b.run(b.base, a.Value, user, cb.Channel.ID, cb.TriggerID)
				if r.failedInside {
					b.postResponse(cb.ResponseURL, r) // only the asker sees the failure
					return
				}
				r.InChannel = true
				r.Blocks = append(r.Blocks, sharedBy(user))
				b.postResponse(cb.ResponseURL, r)
			}()
		case strings.HasPrefix(a.ActionID, actionRun+":"):
			line := a.Value
			if a.SelectedOption.Value != "" {
				line = a.SelectedOption.Value
			}
			if !strings.HasPrefix(line, "/") {
				continue
			}
			l := &later{b: b, url: cb.ResponseURL, click: true} // where later answers go
			b.inflight.Add(1)
			go func() {
				defer b.inflight.Done()
				r := b.run(commands.WithLater(b.base, l), line, user, cb.Channel.ID, cb.TriggerID)
				if cb.ResponseURL == "" && cb.View.Type == slack.VTHomeTab {
					// A button of the App Home: no message to answer in;
					// the Home itself shows the new state.
					b.publishHome(user.ID)
					return
				}
				if r.InChannel {
					// An ephemeral message cannot become a channel message:
					// post the answer for everyone, and drop the ephemeral.
					b.postResponse(cb.ResponseURL, r)
					b.deleteOriginal(cb.ResponseURL)
					return
				}
				r.Replace = true
				b.postResponse(cb.ResponseURL, r)
			}()
		}
	}
	return nil
}

// deleteOriginal removes the message a response_url belongs to.
func (b *Bot) deleteOriginal(url string) {
	if url == "" {
		return
	}
	ctx, cancel := context.WithTimeout(b.base, 10*time.Second)
	defer cancel()
	if err := slack.PostWebhookCustomHTTPContext(ctx, url, b.cfg.HTTPClient, deletion()); err != nil {
		b.metrics.slackError("response_url")
	}
}

// event handles an Events API event once, however often Slack delivers it.
func (b *Bot) event(ev slackevents.EventsAPIEvent, retryNum string) {
	cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent)
	if !ok || cb.EventID == "" {
		return
	}
	if b.cfg.Deliveries != nil {
		ctx, cancel := context.WithTimeout(b.base, 2*b.cfg.AckBudget)
		first, err := b.cfg.Deliveries.FirstDelivery(ctx, "event:"+cb.EventID)
		cancel()
		if err != nil {
			// Without the record we cannot tell a retry from a first
			// delivery; doing nothing is the safe side.
			b.log.Error("event not handled: cannot record delivery", "event_id", cb.EventID, "err", err)
			return
		}
		if !first {
			b.log.Info("duplicate event ignored", "event_id", cb.EventID, "retry", retryNum)
			return
		}
	}
	switch e := ev.InnerEvent.Data.(type) {
	case *slackevents.AppHomeOpenedEvent:
		if e.Tab == "home" || e.Tab == "" {
			b.publishHome(e.User)
		}
	default:
		b.log.Debug("event ignored", "type", ev.InnerEvent.Type)
	}
}

// publishHome shows the user's App Home tab: Config.Home's dashboard, or
// the list of commands.
func (b *Bot) publishHome(userID string) {
	ctx, cancel := context.WithTimeout(b.base, 10*time.Second)
	defer cancel()
	var r reply
	if b.cfg.Home != nil {
		resp, err := b.cfg.Home(ctx, b.dir.user(ctx, userID, ""))
		if err != nil {
			b.log.Error("build App Home", "user", userID, "err", err)
			return
		}
		r.Text, r.Blocks = render(resp, "")
	} else {
		r = b.run(ctx, "/help", commands.User{ID: userID}, "", "")
	}
	if len(r.Blocks) > maxModalBlocks {
		r.Blocks = r.Blocks[:maxModalBlocks]
	}
	_, err := b.cfg.API.PublishViewContext(ctx, slack.PublishViewContextRequest{
		UserID: userID,
		View:   slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: r.Blocks}},
	})
	if err != nil {
		b.metrics.slackError("views.publish")
		b.log.Error("publish App Home", "user", userID, "err", err)
	}
}
