package bot

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/switchboard-dev/switchboard/commands"
)

// postTimeout bounds one post of a later answer.
const postTimeout = 10 * time.Second

// later is the commands.Later of one Slack request (a slash command or a
// click): a command's later work starts once the request's first answer
// has been delivered, so a correction never comes before what it corrects,
// and its answers go to the request's response_url (valid 30 minutes, for
// up to five messages). The work counts as in flight for Shutdown, and its
// context ends when Shutdown gives up.
type later struct {
	b   *Bot
	url string
	// click: the first answer replaced the message clicked in, and a later
	// answer replaces it again; a slash command's later answer is a new
	// message (replace_original is for messages with buttons).
	click     bool
	delivered chan struct{}
	once      sync.Once
}

// newLater returns the Later of a request answering through url. Call
// delivered once its first answer is out (or will never be).
func (b *Bot) newLater(url string, click bool) *later {
	return &later{b: b, url: url, click: click, delivered: make(chan struct{})}
}

// done marks the request's first answer delivered.
func (l *later) done() { l.once.Do(func() { close(l.delivered) }) }

// Go implements commands.Later.
func (l *later) Go(work func(ctx context.Context, answer commands.Answer)) {
	l.b.inflight.Add(1)
	go func() {
		defer l.b.inflight.Done()
		select {
		case <-l.delivered:
		case <-l.b.base.Done():
			return
		}
		work(l.b.base, l.answer)
	}()
}

// answer posts a later answer: for the channel (the ephemeral answer of a
// click it follows is then removed), or in place of the clicked message.
func (l *later) answer(ctx context.Context, resp commands.Response) error {
	if l.url == "" {
		return errors.New("answer later: no response_url to answer through")
	}
	text, blocks := render(resp, "")
	r := reply{Text: text, Blocks: blocks, InChannel: resp.InChannel, Replace: l.click && !resp.InChannel}
	var err error
	for attempt := range 2 {
		pctx, cancel := context.WithTimeout(ctx, postTimeout)
		err = slack.PostWebhookCustomHTTPContext(pctx, l.url, l.b.cfg.HTTPClient, r.webhook())
		cancel()
		if err == nil {
			break
		}
		l.b.metrics.slackError("response_url")
		if attempt == 0 && ctx.Err() != nil {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("answer later through response_url: %w", err)
	}
	if r.InChannel && l.click {
		l.b.deleteOriginal(l.url)
	}
	return nil
}
