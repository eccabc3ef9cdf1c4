package bot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/switchboard-dev/switchboard/commands"
)

// postTimeout bounds one post to a response_url.
const postTimeout = 10 * time.Second

// later is the commands.Later of one Slack request (a slash command or a
// click): its answers go to the request's response_url (valid 30 minutes,
// for up to five messages), from background work on any replica (a River
// job keeps the address, AnswerAt turns it back into an Answer).
type later struct {
	b   *Bot
	url string
	// click: the first answer replaced the message clicked in, and a later
	// answer replaces it again; a slash command's later answer is a new
	// message (replace_original is for messages with buttons).
	click bool
}

// answer posts a later answer: for the channel (the ephemeral answer of a
// click it follows is then removed), or in place of the clicked message.
func (l *later) answer(ctx context.Context, resp commands.Response) error {
	if l.url == "" {
		return errors.New("answer later: no response_url to answer through")
	}
	text, blocks := render(resp, "")
	r := reply{Text: text, Blocks: blocks, InChannel: resp.InChannel, Replace: l.click && !resp.InChannel}
	if err := l.b.postWebhook(ctx, l.url, r); err != nil {
		return fmt.Errorf("answer later through response_url: %w", err)
	}
	if r.InChannel && l.click {
		l.b.deleteOriginal(l.url)
	}
	return nil
}
