package bot

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/switchboard-dev/switchboard/commands"
)

// FormDispatcher is what the bot needs beyond running commands: forms
// (modals) and the options of their search fields; *commands.Router is
// one.
type FormDispatcher interface {
	Submit(ctx context.Context, req commands.Request, formID, state string, values map[string]string) (commands.FormResult, error)
	Options(ctx context.Context, req commands.Request, formID, field, query string) ([]commands.Option, error)
}

// modal renders a form as a Slack modal. Block and action ids are the
// field names, so that the submission's values and errors map back.
func modal(f *commands.Form) slack.ModalViewRequest {
	title := f.Title
	if title == "" {
		title = "Switchboard"
	}
	submit := f.Submit
	if submit == "" {
		submit = "Submit"
	}
	var blocks []slack.Block
	for _, fd := range f.Fields {
		if len(blocks) == maxModalBlocks {
			break
		}
		var el slack.BlockElement
		placeholder := plainOrNil(fd.Placeholder, maxPlaceholder)
		switch fd.Kind {
		case commands.FieldTextArea, commands.FieldText:
			in := slack.NewPlainTextInputBlockElement(placeholder, fd.Name)
			in.InitialValue = fd.Initial
			in.Multiline = fd.Kind == commands.FieldTextArea
			el = in
		case commands.FieldChannel:
			sel := slack.NewOptionsSelectBlockElement(slack.OptTypeConversations, placeholder, fd.Name)
			sel.InitialConversation = fd.Initial
			el = sel
		case commands.FieldDate:
			dp := slack.NewDatePickerBlockElement(fd.Name)
			dp.InitialDate = fd.Initial
			dp.Placeholder = placeholder
			el = dp
		case commands.FieldSelect, commands.FieldSearch:
			if fd.Kind == commands.FieldSelect && len(fd.Options) <= maxStaticOptions {
				var opts []*slack.OptionBlockObject
				var initial *slack.OptionBlockObject
				for _, o := range fd.Options {
					opt := option(commands.Option{Label: o.Label, Command: o.Command})
					opts = append(opts, opt)
					if o.Command == fd.Initial {
						initial = opt
					}
				}
				sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, placeholder, fd.Name, opts...)
				sel.InitialOption = initial
				el = sel
			} else {
				// Over 100 choices, or asked as the user types: an external
				// select served by /slack/options.
				sel := slack.NewOptionsSelectBlockElement(slack.OptTypeExternal, placeholder, fd.Name)
				zero := 0
				sel.MinQueryLength = &zero
				if fd.Initial != "" {
					label := fd.InitialLabel
					if label == "" {
						label = fd.Initial
					}
					sel.InitialOption = option(commands.Option{Label: label, Command: fd.Initial})
				}
				el = sel
			}
		default:
			continue
		}
		in := slack.NewInputBlock(fd.Name, plain(fd.Label, maxLabelChars), plainOrNil(fd.Hint, maxLabelChars), el)
		in.Optional = fd.Optional
		blocks = append(blocks, in)
	}
	return slack.ModalViewRequest{
		Type: slack.VTModal, CallbackID: f.ID, PrivateMetadata: truncate(f.State, 3000),
		Title: plain(title, maxModalTitleChars), Submit: plain(submit, 24), Close: plain("Cancel", 24),
		Blocks: slack.Blocks{BlockSet: blocks},
	}
}

// openForm opens f in a modal with triggerID; it must happen within three
// seconds of the user's action, before any slow work.
func (b *Bot) openForm(ctx context.Context, triggerID string, f *commands.Form) error {
	if triggerID == "" {
		return errors.New("no trigger_id to open the form with")
	}
	ctx, cancel := context.WithTimeout(ctx, 2500*time.Millisecond)
	defer cancel()
	if _, err := b.cfg.API.OpenViewContext(ctx, triggerID, modal(f)); err != nil {
		b.metrics.slackError("views.open")
		return err
	}
	return nil
}

// submission handles a view_submission: the values go to the form's
// handler; field errors keep the modal open with each error under its
// field (response_action: errors), and so does a failure on our side (the
// apology beside the first field: nothing typed is lost); otherwise the
// modal closes and the confirmation goes to the user.
func (b *Bot) submission(cb slack.InteractionCallback) any {
	fd, ok := b.cfg.Commands.(FormDispatcher)
	if !ok {
		return nil
	}
	values := map[string]string{}
	for blockID, actions := range cb.View.State.Values {
		for _, a := range actions {
			v := a.Value
			switch {
			case a.SelectedOption.Value != "":
				v = a.SelectedOption.Value
			case a.SelectedConversation != "":
				v = a.SelectedConversation
			case a.SelectedChannel != "":
				v = a.SelectedChannel
			case a.SelectedDate != "":
				v = a.SelectedDate
			}
			values[blockID] = v
		}
	}
	user := b.dir.user(b.base, cb.User.ID, cb.User.Name)
	ctx, cancel := context.WithTimeout(b.base, b.cfg.AckBudget)
	defer cancel()
	res, err := fd.Submit(ctx, commands.Request{User: user, ChannelID: cb.View.PrivateMetadata}, cb.View.CallbackID, cb.View.PrivateMetadata, values)
	if err != nil {
		b.log.Error("form submission failed", "form", cb.View.CallbackID, "err", err)
		if field := firstField(cb.View, values); field != "" {
			// Keep what the user typed: the apology beside the first
			// field, and Submit can be pressed again.
			return formErrors(map[string]string{field: res.Response.Text})
		}
	}
	if len(res.Errors) > 0 {
		return formErrors(res.Errors)
	}
	channel := cb.View.PrivateMetadata
	resp := res.Response
	b.inflight.Add(1)
	go func() {
		defer b.inflight.Done()
		b.deliver(channel, user.ID, resp)
	}()
	return slack.NewClearViewSubmissionResponse()
}

// firstField is the block id of the view's first input that has a value
// (the first submitted, by name, when the view's blocks are not known).
func firstField(v slack.View, values map[string]string) string {
	for _, blk := range v.Blocks.BlockSet {
		if in, ok := blk.(*slack.InputBlock); ok {
			if _, ok := values[in.BlockID]; ok {
				return in.BlockID
			}
		}
	}
	first := ""
	for id := range values {
		if first == "" || id < first {
			first = id
		}
	}
	return first
}

// deliver shows resp to user: ephemeral in channel when there is one, else
// by direct message.
func (b *Bot) deliver(channel, userID string, resp commands.Response) {
	ctx, cancel := context.WithTimeout(b.base, 10*time.Second)
	defer cancel()
	opts := messageOptions(resp)
	var err error
	if channel != "" && !strings.HasPrefix(channel, "D") {
		_, err = b.cfg.API.PostEphemeralContext(ctx, channel, userID, opts...)
	}
	if channel == "" || strings.HasPrefix(channel, "D") || err != nil {
		_, _, err = b.cfg.API.PostMessageContext(ctx, userID, opts...)
	}
	if err != nil {
		b.metrics.slackError("chat.postMessage")
		b.log.Error("deliver message", "user", userID, "err", err)
	}
}

// Notify sends resp to a user by direct message (the bot's Directory):
// commands.Notifier.
func (b *Bot) Notify(ctx context.Context, userID string, resp commands.Response) error {
	return b.dir.Notify(ctx, userID, resp)
}

// suggestion answers an external select's request for options
// (block_suggestion).
func (b *Bot) suggestion(cb slack.InteractionCallback) any {
	empty := map[string]any{"options": []any{}}
	fd, ok := b.cfg.Commands.(FormDispatcher)
	if !ok {
		return empty
	}
	ctx, cancel := context.WithTimeout(b.base, 2*time.Second)
	defer cancel()
	opts, err := fd.Options(ctx, commands.Request{User: commands.User{ID: cb.User.ID}}, cb.View.CallbackID, cb.ActionID, cb.Value)
	if err != nil {
		b.log.Warn("options for a search field", "form", cb.View.CallbackID, "field", cb.ActionID, "err", err)
		return empty
	}
	out := make([]*slack.OptionBlockObject, 0, min(len(opts), maxStaticOptions))
	for _, o := range opts {
		if len(out) == maxStaticOptions {
			break
		}
		out = append(out, option(commands.Option{Label: o.Label, Command: o.Command}))
	}
	return map[string]any{"options": out}
}
