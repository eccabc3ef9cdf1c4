// Package commands holds Switchboard's slash commands, apart from any chat
// transport. A command takes a plain Request and returns a platform-neutral
// Response; the Slack adapter renders it as Block Kit and the demo shell as
// text. Each command's whole behaviour is in one file of this package.
package commands

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
}

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
func Link(text, url string) Span {
	if text == "" {
		text = url
	}
	return Span{Text: text, URL: url}
}

// Mention is a Slack user, shown as name where mentions cannot be.
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
