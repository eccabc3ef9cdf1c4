package bot

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/switchboard-dev/switchboard/commands"
)

// Block Kit limits (https://api.slack.com/reference/block-kit).
const (
	maxMessageBlocks   = 50
	maxModalBlocks     = 100
	maxHeaderChars     = 150
	maxSectionChars    = 3000
	maxFieldChars      = 2000
	maxFields          = 10
	maxContextElements = 10
	maxButtonChars     = 75
	maxButtonValue     = 2000
	maxOptionChars     = 75
	maxOptionValue     = 150
	maxStaticOptions   = 100
	maxActionElements  = 25
	maxModalTitleChars = 24
)

// Action ids of the elements the renderer makes.
const (
	// actionRun is the prefix of buttons and selects whose value is a
	// command to run ("/whoowns checkout-api").
	actionRun = "run"
	// actionShare posts an ephemeral answer to the channel.
	actionShare = "share"
)

// render turns a command's response into Block Kit, keeping within Slack's
// limits: over-long text is cut with an ellipsis, over-long lists with a
// note of how many were left out. command is the command line that produced
// resp, for the Share button.
func render(resp commands.Response, command string) (string, []slack.Block) {
	var blocks []slack.Block
	for i, b := range resp.Blocks {
		switch b := b.(type) {
		case *commands.Header:
			blocks = append(blocks, slack.NewHeaderBlock(plain(b.Text, maxHeaderChars)))
		case *commands.Section:
			blocks = append(blocks, sections(b)...)
		case *commands.Context:
			blocks = append(blocks, slack.NewContextBlock("", mrkdwnObj(mrkdwn(b.Text), maxSectionChars)))
		case *commands.Divider:
			blocks = append(blocks, slack.NewDividerBlock())
		case *commands.Actions:
			if a := actions(b, i); a != nil {
				blocks = append(blocks, a)
			}
		case *commands.Select:
			if s := selectBlock(b, i); s != nil {
				blocks = append(blocks, s...)
			}
		}
	}
	if resp.Shareable && !resp.InChannel && command != "" && len(command) <= maxButtonValue {
		blocks = append(blocks, slack.NewActionBlock("share",
			slack.NewButtonBlockElement(actionShare, command, plain("Share in channel", maxButtonChars))))
	}
	if len(blocks) > maxMessageBlocks {
		left := len(blocks) - (maxMessageBlocks - 1)
		blocks = append(blocks[:maxMessageBlocks-1], slack.NewContextBlock("",
			slack.NewTextBlockObject(slack.MarkdownType, fmt.Sprintf("_…%d more blocks not shown: Slack allows %d in a message._", left, maxMessageBlocks), false, false)))
	}
	return truncate(resp.Text, maxSectionChars), blocks
}

// sections renders a section; more than ten fields spill into further
// sections, as Slack allows ten a section.
func sections(s *commands.Section) []slack.Block {
	var out []slack.Block
	var text *slack.TextBlockObject
	if len(s.Text) > 0 {
		text = mrkdwnObj(mrkdwn(s.Text), maxSectionChars)
	}
	fields := make([]*slack.TextBlockObject, 0, len(s.Fields))
	for _, f := range s.Fields {
		fields = append(fields, mrkdwnObj("*"+escape(f.Label)+"*\n"+mrkdwn(f.Value), maxFieldChars))
	}
	for first := true; first || len(fields) > 0; first = false {
		n := min(len(fields), maxFields)
		if text == nil && n == 0 {
			break
		}
		out = append(out, slack.NewSectionBlock(text, fields[:n:n], nil))
		text, fields = nil, fields[n:]
	}
	return out
}

func actions(a *commands.Actions, index int) slack.Block {
	var elems []slack.BlockElement
	for j, btn := range a.Buttons {
		if j == maxActionElements {
			break
		}
		e := slack.NewButtonBlockElement(actionRun+":"+strconv.Itoa(index)+":"+strconv.Itoa(j), "", plain(btn.Label, maxButtonChars))
		switch {
		case btn.URL != "":
			e.URL = btn.URL
			e.ActionID = "link:" + strconv.Itoa(index) + ":" + strconv.Itoa(j)
		case btn.Command != "" && len(btn.Command) <= maxButtonValue:
			e.Value = btn.Command
		default:
			continue
		}
		if btn.Style == "primary" || btn.Style == "danger" {
			e.Style = slack.Style(btn.Style)
		}
		elems = append(elems, e)
	}
	if len(elems) == 0 {
		return nil
	}
	return slack.NewActionBlock("actions:"+strconv.Itoa(index), elems...)
}

// selectBlock renders a picker as a static select of up to 100 options; a
// longer list says how many were left out and how to narrow it.
func selectBlock(s *commands.Select, index int) []slack.Block {
	var opts []*slack.OptionBlockObject
	for _, o := range s.Options {
		if len(opts) == maxStaticOptions {
			break
		}
		if o.Command == "" || len(o.Command) > maxOptionValue {
			continue
		}
		opt := slack.NewOptionBlockObject(o.Command, plain(o.Label, maxOptionChars), nil)
		if o.Description != "" {
			opt.Description = plain(o.Description, maxOptionChars)
		}
		opts = append(opts, opt)
	}
	if len(opts) == 0 {
		return nil
	}
	placeholder := s.Placeholder
	if placeholder == "" {
		placeholder = "Choose"
	}
	sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain(placeholder, maxOptionChars), actionRun+":"+strconv.Itoa(index)+":select", opts...)
	out := []slack.Block{slack.NewActionBlock("select:"+strconv.Itoa(index), sel)}
	if left := len(s.Options) - len(opts); left > 0 {
		out = append(out, slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType,
			fmt.Sprintf("_%d more not listed; type a more precise name._", left), false, false)))
	}
	return out
}

// mrkdwn renders spans in Slack's mrkdwn, escaping what Slack requires.
func mrkdwn(t commands.Text) string {
	var b strings.Builder
	for _, s := range t {
		switch {
		case s.UserID != "":
			b.WriteString("<@" + escape(s.UserID) + ">")
		case s.URL != "":
			b.WriteString("<" + escape(s.URL) + "|" + strings.ReplaceAll(escape(s.Text), "|", "¦") + ">")
		case s.Style == "bold" && strings.TrimSpace(s.Text) != "":
			b.WriteString("*" + escape(s.Text) + "*")
		case s.Style == "code" && s.Text != "":
			b.WriteString("`" + escape(s.Text) + "`")
		default:
			b.WriteString(escape(s.Text))
		}
	}
	return b.String()
}

// mrkdwnEscaper escapes the three characters Slack's mrkdwn reserves. A
// Replacer is immutable and safe for concurrent use; building one per call
// cost a seventh of a /whoowns answer's CPU.
var mrkdwnEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// escape escapes the three characters Slack's mrkdwn reserves.
func escape(s string) string {
	if !strings.ContainsAny(s, "&<>") {
		return s
	}
	return mrkdwnEscaper.Replace(s)
}

func plain(s string, limit int) *slack.TextBlockObject {
	if s == "" {
		s = " "
	}
	return slack.NewTextBlockObject(slack.PlainTextType, truncate(s, limit), false, false)
}

func mrkdwnObj(s string, limit int) *slack.TextBlockObject {
	if s == "" {
		s = " "
	}
	return slack.NewTextBlockObject(slack.MarkdownType, truncate(s, limit), false, false)
}

// truncate cuts s to at most limit characters, ending with an ellipsis
// when it cut. It never splits a UTF-8 sequence.
func truncate(s string, limit int) string {
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	r := []rune(s)
	return string(r[:limit-1]) + "…"
}
