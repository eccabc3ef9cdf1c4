// Package commands holds Switchboard's slash commands, apart from any chat
// transport. A command takes a plain Request and returns a platform-neutral
// Response; the Slack adapter renders it as Block Kit and the demo shell as
// text. Each command's whole behaviour is in one file of this package.
package commands

import "context"

// User is who ran a command.
type User struct {
	// ID is the user's Slack id (U123...); the demo shell makes one up.
	ID   string
	Name string
	// Email is known when the transport could look it up.
	Email string
}

// Request is one run of a command: "/whoowns checkout-api" is Command
// "/whoowns" and Text "checkout-api".
type Request struct {
	Command string
	Text    string
	User    User
	// ChannelID is where the command was typed.
	ChannelID string
}

// Response is a command's answer, independent of where it is shown.
//
// Every string in it is shown as written: a renderer escapes it (the Slack
// one turns "<!channel>" into text, not a notification), so user input and
// synced values go in as they are, never pre-escaped. Formatting, links and
// mentions exist only as Spans (Bold, Code, Link, Mention); a string cannot
// carry markup.
type Response struct {
	// InChannel makes the reply visible to the whole channel; replies are
	// ephemeral (only the asker sees them) by default.
	InChannel bool
	// Shareable offers the asker a way to post this ephemeral answer to the
	// channel ("Share in channel" in Slack).
	Shareable bool
	// Text is a one-line summary: a notification's text and a fallback for
	// clients that show no blocks.
	Text   string
	Blocks []Block
	// Form, when set, asks the user to fill in a form (a modal in Slack, a
	// series of prompts in the shell); its answers go to the form handler
	// registered under Form.ID. Blocks, if any, are shown first.
	Form *Form
	// File, when set, comes with the answer: in Slack it is uploaded where
	// the answer goes (the channel when InChannel, else a direct message
	// to the asker, so an ephemeral answer's file stays private), e.g. the
	// full list of a large /impact answer as CSV.
	File *File
}

// File is a file an answer comes with.
type File struct {
	// Name is the file's name, e.g. "impact-log4j-core.csv".
	Name string
	// Title is what Slack shows above the file.
	Title string
	// Comment is the message the file is shared with; plain text.
	Comment string
	// Content is the file's bytes.
	Content []byte
}

// Form is a set of fields to fill in and submit.
type Form struct {
	// ID names the handler of the submission (Router.RegisterForm).
	ID string
	// Title is short: Slack shows 24 characters.
	Title  string
	Submit string
	Fields []FormField
	// State is carried to the submission unchanged (e.g. the channel the
	// command was typed in).
	State string
}

// Field kinds.
const (
	FieldText     = "text"
	FieldTextArea = "textarea"
	// FieldSelect offers Options; more than 100 become a search
	// (FieldSearch) in Slack.
	FieldSelect = "select"
	// FieldSearch asks the form's options provider (Router.RegisterOptions,
	// under the field's Name) as the user types.
	FieldSearch = "search"
	// FieldChannel picks a Slack channel (free text in the shell).
	FieldChannel = "channel"
	// FieldDate picks a day; its value is YYYY-MM-DD (free text in the
	// shell).
	FieldDate = "date"
)

// FormField is one question of a form.
type FormField struct {
	// Name identifies the field in the submitted values.
	Name  string
	Label string
	Kind  string
	// Options are the choices of a select.
	Options []Option
	// Initial is the value the field starts with.
	Initial string
	// InitialLabel is what to show for Initial in a search field.
	InitialLabel string
	Optional     bool
	Hint         string
	Placeholder  string
}

// FormHandler receives a form's submitted values. It returns field errors
// (by field Name) to show beside the fields, or the Response that confirms
// the submission.
type FormHandler func(ctx context.Context, req Request, state string, values map[string]string) (FormResult, error)

// FormResult is what a submission produced.
type FormResult struct {
	// Errors by field name: the form stays open with them shown.
	Errors map[string]string
	// Response confirms an accepted submission to the user.
	Response Response
}

// OptionsFunc returns the choices of a search field that match what the
// user typed (at most 100).
type OptionsFunc func(ctx context.Context, req Request, query string) ([]Option, error)

// Block is one part of a Response: *Header, *Section, *Context, *Divider,
// *Actions or *Select.
type Block interface{ isBlock() }

// Header is a title line.
type Header struct{ Text string }

// Section is a paragraph, optionally with labelled fields laid out in
// columns.
type Section struct {
	Text   Text
	Fields []Field
}

// Field is a label and its value.
type Field struct {
	Label string
	Value Text
}

// Context is small print: hints, provenance, warnings.
type Context struct{ Text Text }

// Divider is a horizontal rule.
type Divider struct{}

// Actions is a row of buttons.
type Actions struct{ Buttons []Button }

// Button is something the user can do next. Command is the slash command it
// stands for ("/whoowns checkout-api"), so that every button can also be
// typed; URL, when set, makes it a link instead.
type Button struct {
	Label   string
	Command string
	URL     string
	// Style is "", "primary" or "danger".
	Style string
}

// Select is a picker: the user chooses one option, which runs its Command.
type Select struct {
	Placeholder string
	Options     []Option
}

// Option is one choice of a Select.
type Option struct {
	Label       string
	Description string
	Command     string
}

func (*Header) isBlock()  {}
func (*Section) isBlock() {}
func (*Context) isBlock() {}
func (*Divider) isBlock() {}
func (*Actions) isBlock() {}
func (*Select) isBlock()  {}

// Text is a run of inline spans.
type Text []Span

// Span is a piece of inline text: plain, bold, code, a link, a mention of a
// user or a channel name.
type Span struct {
	Text string
	// Style is "", "bold" or "code".
	Style string
	// URL makes the span a link.
	URL string
	// UserID makes the span a mention of that Slack user; Text is the name
	// shown where mentions cannot be rendered.
	UserID string
}

// Plain is unformatted text.
func Plain(s string) Span { return Span{Text: s} }

// Bold is emphasised text.
func Bold(s string) Span { return Span{Text: s, Style: "bold"} }

// Code is a name or command shown literally.
func Code(s string) Span { return Span{Text: s, Style: "code"} }

// Link is text pointing at url; with no text, the URL itself is shown.
// Only an http, https or mailto url makes a link; any other is shown as
// text.
func Link(text, url string) Span {
	if text == "" {
		text = url
	}
	return Span{Text: text, URL: url}
}

// Mention is a Slack user, shown as name where mentions cannot be, or
// when userID is not a Slack user id (U... or W...).
func Mention(userID, name string) Span { return Span{Text: name, UserID: userID} }

// T builds a Text from spans.
func T(spans ...Span) Text { return Text(spans) }

// String returns the text without formatting.
func (t Text) String() string {
	var n int
	for _, s := range t {
		n += len(s.Text)
	}
	b := make([]byte, 0, n)
	for _, s := range t {
		b = append(b, s.Text...)
	}
	return string(b)
}

// Join returns the texts separated by sep.
func Join(texts []Text, sep string) Text {
	var out Text
	for i, t := range texts {
		if i > 0 {
			out = append(out, Plain(sep))
		}
		out = append(out, t...)
	}
	return out
}
