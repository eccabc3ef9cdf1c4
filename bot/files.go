package bot

import (
	"context"
	"errors"
	"fmt"

	"github.com/slack-go/slack"

	"github.com/switchboard-dev/switchboard/commands"
)

// sendFile uploads f where an answer to user in channel goes, with
// Slack's upload flow (files.getUploadURLExternal, the bytes,
// files.completeUploadExternal): the channel when the answer is posted in
// it, else a direct message to the user, so that a file of an ephemeral
// answer stays private.
func (b *Bot) sendFile(ctx context.Context, f *commands.File, userID, channel string, inChannel bool) error {
	if len(f.Content) == 0 {
		return errors.New("the file is empty")
	}
	dest := channel
	if !inChannel || channel == "" {
		ch, _, _, err := b.cfg.API.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{userID}})
		if err != nil {
			b.metrics.slackError("conversations.open")
			return fmt.Errorf("open a direct message with %s: %w", userID, err)
		}
		dest = ch.ID
	}
	if _, err := b.cfg.API.UploadFileContext(ctx, uploadParams(f, dest)); err != nil {
		b.metrics.slackError("files.completeUploadExternal")
		return fmt.Errorf("upload %s to %s: %w", f.Name, dest, err)
	}
	return nil
}

// fileFailed is the answer when a file could not be sent: the command's
// own answer said it would come.
func fileFailed(f *commands.File, err error) commands.Response {
	why := "Slack did not take it"
	if code := slackError(err); code != "" {
		why = "Slack answered " + code
	}
	msg := fmt.Sprintf("Could not send %s: %s. Try again in a minute.", f.Name, why)
	return commands.Response{Text: msg, Blocks: []commands.Block{&commands.Section{Text: commands.T(commands.Plain(msg))}}}
}
