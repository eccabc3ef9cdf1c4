package bot

// Slack text is built in this file and nowhere else. Every string of a
// commands.Response (the fallback text, headers, labels, options, titles,
// placeholders, hints, form errors) is untrusted: it is escaped here, as
// Slack requires of "&", "<" and ">", whatever wrote it. Markup (bold, code,
// links, mentions) exists only as commands.Span values, rendered here with
// their content escaped; a link is live only for an http, https or mailto
// address, a mention only for a well-formed Slack user id. The rest of the
// bot receives rendered blocks, text objects and message options from this
// file, and TestOnlyRenderBuildsSlackText keeps it that way.

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode"
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
	maxButtonURL       = 3000
	maxOptionChars     = 75
	maxOptionValue     = 150
	maxStaticOptions   = 100
	maxActionElements  = 25
	maxModalTitleChars = 24
	maxLabelChars      = 2000
	maxPlaceholder     = 150
	maxFormError       = 2000
)

// Action ids of the elements the renderer makes.
const (
	// actionRun is the prefix of buttons and selects whose value is a
	// command to run ("/whoowns checkout-api").
	actionRun = "run"
	// actionShare posts an ephemeral answer to the channel.
	actionShare = "share"
)

// slackUserID reports whether id has the shape of a Slack user id
// (^[UW][A-Z0-9]{2,}$); a Mention of anything else is shown as its name.
func slackUserID(id string) bool {
	if len(id) < 3 || (id[0] != 'U' && id[0] != 'W') {
		return false
	}
	for i := 1; i < len(id); i++ {
		if c := id[i]; (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// render turns a command's response into Block Kit and the message's
// fallback text, both escaped, keeping within Slack's limits: over-long
// text is cut with an ellipsis, over-long lists with a note of how many
// were left out. command is the command line that produced resp, for the
// Share button.
func render(resp commands.Response, command string) (string, []slack.Block) {
	var blocks []slack.Block
	for i, b := range resp.Blocks {
		switch b := b.(type) {
		case *commands.Header:
			blocks = append(blocks, slack.NewHeaderBlock(plain(b.Text, maxHeaderChars)))
		case *commands.Section:
			blocks = append(blocks, sections(b)...)
		case *commands.Context:
			blocks = append(blocks, slack.NewContextBlock("", mrkdwnObj(b.Text, maxSectionChars)))
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
		blocks = append(blocks[:maxMessageBlocks-1], note(fmt.Sprintf("…%d more blocks not shown: Slack allows %d in a message.", left, maxMessageBlocks)))
	}
	return escapeWithin(resp.Text, maxSectionChars), blocks
}

// messageOptions are the text and blocks of a chat.postMessage or
// chat.postEphemeral of resp.
func messageOptions(resp commands.Response) []slack.MsgOption {
	text, blocks := render(resp, "")
	return []slack.MsgOption{slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...)}
}

// webhook is r as a response_url payload; r's text and blocks come from
// render.
func (r reply) webhook() *slack.WebhookMessage {
	m := &slack.WebhookMessage{Text: r.Text, Blocks: &slack.Blocks{BlockSet: r.Blocks}, ReplaceOriginal: r.Replace, ResponseType: slack.ResponseTypeEphemeral}
	if r.InChannel {
		m.ResponseType = slack.ResponseTypeInChannel
	}
	return m
}

// deletion is the response_url payload that deletes the message.
func deletion() *slack.WebhookMessage { return &slack.WebhookMessage{DeleteOriginal: true} }

// sharedBy is the note under an answer shared in the channel.
func sharedBy(user commands.User) slack.Block {
	return slack.NewContextBlock("", mrkdwnObj(commands.T(commands.Plain("Shared by "), commands.Mention(user.ID, user.Name)), maxSectionChars))
}

// note is small print written by the renderer itself (no outside text).
func note(s string) slack.Block {
	return slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType, "_"+escape(s)+"_", false, true))
}

// formErrors keeps a modal open with each message under its field.
func formErrors(errs map[string]string) *slack.ViewSubmissionResponse {
	out := make(map[string]string, len(errs))
	for field, msg := range errs {
		out[field] = escapeWithin(msg, maxFormError)
	}
	return slack.NewErrorsViewSubmissionResponse(out)
}

// sections renders a section; more than ten fields spill into further
// sections, as Slack allows ten a section.
func sections(s *commands.Section) []slack.Block {
	var out []slack.Block
	var text *slack.TextBlockObject
	if len(s.Text) > 0 {
		text = mrkdwnObj(s.Text, maxSectionChars)
	}
	fields := make([]*slack.TextBlockObject, 0, len(s.Fields))
	for _, f := range s.Fields {
		fields = append(fields, mrkdwnTextObj(mrkdwnField(f.Label, f.Value, maxFieldChars)))
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
			if !webURL(btn.URL) || len(btn.URL) > maxButtonURL {
				continue
			}
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
		opts = append(opts, option(o))
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
		out = append(out, note(fmt.Sprintf("%d more not listed; type a more precise name.", left)))
	}
	return out
}

// option is one choice of a select: the label and description shown, the
// command (or value) carried back.
func option(o commands.Option) *slack.OptionBlockObject {
	opt := slack.NewOptionBlockObject(truncate(o.Command, maxOptionValue), plain(o.Label, maxOptionChars), nil)
	if o.Description != "" {
		opt.Description = plain(o.Description, maxOptionChars)
	}
	return opt
}

// plain is a plain_text object of s, escaped, within limit characters.
func plain(s string, limit int) *slack.TextBlockObject {
	if s == "" {
		s = " "
	}
	return slack.NewTextBlockObject(slack.PlainTextType, escapeWithin(s, limit), false, false)
}

// plainOrNil is plain(s), or nil when s is empty (an optional text).
func plainOrNil(s string, limit int) *slack.TextBlockObject {
	if s == "" {
		return nil
	}
	return plain(s, limit)
}

// mrkdwnObj is a mrkdwn object of t within limit characters. It is
// verbatim: Slack does not turn bare URLs or #names in it into links.
func mrkdwnObj(t commands.Text, limit int) *slack.TextBlockObject {
	return mrkdwnTextObj(mrkdwn(t, limit))
}

// mrkdwnTextObj is a verbatim mrkdwn object of s, which render made.
func mrkdwnTextObj(s string) *slack.TextBlockObject {
	if s == "" {
		s = " "
	}
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, true)
}

// mrkdwn renders spans in Slack's mrkdwn within limit characters. Only the
// renderer writes markup; every span's content is escaped. When the whole
// does not fit, the span that overflows is cut as plain text (never inside
// an entity or a link) and an ellipsis ends the text.
func mrkdwn(t commands.Text, limit int) string { return mrkdwnParts(limit, t) }

// mrkdwnField is a field: its label in bold on a line, then its value.
func mrkdwnField(label string, value commands.Text, limit int) string {
	head := [2]commands.Span{commands.Bold(label), commands.Plain("\n")}
	return mrkdwnParts(limit, head[:], value)
}

// mrkdwnParts is mrkdwn of the spans of parts, one after the other.
func mrkdwnParts(limit int, parts ...commands.Text) string {
	size := 0
	for _, t := range parts {
		for _, s := range t {
			size += len(s.Text) + len(s.URL) + len(s.UserID) + 4
		}
	}
	var b strings.Builder
	b.Grow(size)
	for _, t := range parts {
		for _, s := range t {
			writeSpan(&b, s)
		}
	}
	if b.Len() <= limit || utf8.RuneCountInString(b.String()) <= limit {
		return b.String()
	}
	// Too long: again, span by span, until one does not fit.
	var cut strings.Builder
	left := limit - 1
	var one strings.Builder
	for _, t := range parts {
		for _, s := range t {
			one.Reset()
			writeSpan(&one, s)
			if c := utf8.RuneCountInString(one.String()); c <= left {
				cut.WriteString(one.String())
				left -= c
				continue
			}
			cut.WriteString(escapePrefix(spanText(s), left))
			cut.WriteString("…")
			return cut.String()
		}
	}
	cut.WriteString("…")
	return cut.String()
}

// writeSpan renders one span: markup written here around its escaped
// content.
func writeSpan(b *strings.Builder, s commands.Span) {
	if s.UserID != "" && slackUserID(s.UserID) {
		b.WriteString("<@")
		b.WriteString(s.UserID)
		b.WriteByte('>')
		return
	}
	if s.URL != "" && linkable(s.URL) {
		label := s.Text
		if label == "" {
			label = s.URL
		}
		b.WriteByte('<')
		writeLinkURL(b, s.URL)
		b.WriteByte('|')
		// "|" would end the address early in Slack's reading.
		b.WriteString(strings.ReplaceAll(escape(label), "|", "¦"))
		b.WriteByte('>')
		return
	}
	text := spanText(s)
	switch {
	case s.Style == "bold" && strings.TrimSpace(text) != "":
		b.WriteByte('*')
		b.WriteString(escape(text))
		b.WriteByte('*')
	case s.Style == "code" && text != "":
		// A backquote would end the code span early.
		b.WriteByte('`')
		b.WriteString(escape(strings.ReplaceAll(text, "`", "ˋ")))
		b.WriteByte('`')
	default:
		b.WriteString(escape(text))
	}
}

// spanText is what a span shows as plain text.
func spanText(s commands.Span) string {
	switch {
	case s.Text != "":
		return s.Text
	case s.UserID != "":
		return s.UserID
	}
	return s.URL
}

// webURL reports whether u is an http or https address.
func webURL(u string) bool {
	return hasPrefixFold(u, "https://") && len(u) > len("https://") ||
		hasPrefixFold(u, "http://") && len(u) > len("http://")
}

// linkable reports whether u may be a link's address: http, https or
// mailto (so that "!channel" or "javascript:" never becomes a link).
func linkable(u string) bool {
	return webURL(u) || hasPrefixFold(u, "mailto:") && len(u) > len("mailto:")
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// writeLinkURL writes u as the address of a mrkdwn link: "|", "<", ">",
// '"', white space and invisible characters percent-encoded, "&" escaped.
func writeLinkURL(b *strings.Builder, u string) {
	clean := true
	for i := 0; i < len(u) && clean; i++ {
		c := u[i]
		clean = c > ' ' && c < 0x7f && c != '&' && c != '|' && c != '<' && c != '>' && c != '"'
	}
	if clean {
		b.WriteString(u)
		return
	}
	const hex = "0123456789ABCDEF"
	for _, r := range u {
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '|' || r == '<' || r == '>' || r == '"' || r == utf8.RuneError ||
			unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
			var buf [utf8.UTFMax]byte
			for _, c := range buf[:utf8.EncodeRune(buf[:], r)] {
				b.WriteByte('%')
				b.WriteByte(hex[c>>4])
				b.WriteByte(hex[c&0xf])
			}
		default:
			b.WriteRune(r)
		}
	}
}

// mrkdwnEscaper escapes the three characters Slack reserves. A Replacer is
// immutable and safe for concurrent use; building one per call cost a
// seventh of a /whoowns answer's CPU.
var mrkdwnEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// escape escapes the three characters Slack reserves in text: "&", "<"
// and ">".
func escape(s string) string {
	if !strings.ContainsAny(s, "&<>") {
		return s
	}
	return mrkdwnEscaper.Replace(s)
}

// slackUnescaper undoes Slack's escaping of text it sends.
var slackUnescaper = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")

// unescape returns text Slack sent (a slash command's) as it was typed.
func unescape(s string) string {
	if !strings.Contains(s, "&") {
		return s
	}
	return slackUnescaper.Replace(s)
}

// escapeWithin escapes s and keeps the result within limit characters,
// ending with an ellipsis when it cut (never inside an entity).
func escapeWithin(s string, limit int) string {
	e := escape(s)
	if utf8.RuneCountInString(e) <= limit {
		return e
	}
	return escapePrefix(s, limit-1) + "…"
}

// escapePrefix is the escaped start of s that fits in limit characters.
func escapePrefix(s string, limit int) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		e := string(r)
		switch r {
		case '&':
			e = "&amp;"
		case '<':
			e = "&lt;"
		case '>':
			e = "&gt;"
		}
		c := utf8.RuneCountInString(e)
		if n+c > limit {
			break
		}
		b.WriteString(e)
		n += c
	}
	return b.String()
}

// truncate cuts s to at most limit characters, ending with an ellipsis
// when it cut. It never splits a UTF-8 sequence. It is for values Slack
// carries back to the bot (button values, options), not for text shown.
func truncate(s string, limit int) string {
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	r := []rune(s)
	return string(r[:limit-1]) + "…"
}

// maxFileTitle bounds a file's title.
const maxFileTitle = 250

// uploadParams is f as an upload shared in channel: its title and comment
// escaped like any text Slack shows, its name kept to safe characters.
func uploadParams(f *commands.File, channel string) slack.UploadFileParameters {
	return slack.UploadFileParameters{
		Filename: safeFileName(f.Name), FileSize: len(f.Content), Reader: bytes.NewReader(f.Content),
		Title: escapeWithin(f.Title, maxFileTitle), InitialComment: escapeWithin(f.Comment, maxSectionChars),
		Channel: channel,
	}
}

// safeFileName keeps letters, digits, '.', '-' and '_' of name; anything
// else becomes '-'.
func safeFileName(name string) string {
	out := strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '-' || r == '_' {
			return r
		}
		return '-'
	}, name)
	if strings.Trim(out, ".-") == "" {
		return "file"
	}
	return out
}
