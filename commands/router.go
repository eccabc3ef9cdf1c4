package commands

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/switchboard-dev/switchboard/catalog"
)

// Handler runs one command. It returns an error only when it failed
// internally (database down, a bug); answers to bad input, such as an
// unknown service, are Responses.
type Handler func(ctx context.Context, req Request) (Response, error)

// Command is a slash command: its name, how to use it, and its handler.
type Command struct {
	// Name includes the slash: "/whoowns".
	Name string
	// Usage is the argument hint: "SERVICE".
	Usage string
	// Summary is one line for /help.
	Summary string
	Handler Handler
}

// Router dispatches requests to the commands registered with it.
type Router struct {
	cmds    map[string]Command
	forms   map[string]FormHandler
	options map[string]OptionsFunc
	log     *slog.Logger
	timeout time.Duration
}

// NewRouter returns a router with /help built in. Each command gets at most
// timeout to answer (no limit when zero).
func NewRouter(log *slog.Logger, timeout time.Duration) *Router {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Router{cmds: map[string]Command{}, forms: map[string]FormHandler{}, options: map[string]OptionsFunc{}, log: log, timeout: timeout}
	r.Register(Command{Name: "/help", Summary: "List the commands", Handler: r.help})
	return r
}

// Register adds c. Registering a name twice replaces the first.
func (r *Router) Register(c Command) { r.cmds[c.Name] = c }

// RegisterForm sets the handler of the forms with id.
func (r *Router) RegisterForm(id string, h FormHandler) { r.forms[id] = h }

// RegisterOptions sets the provider of a search field's options, by the
// form's id and the field's name.
func (r *Router) RegisterOptions(formID, field string, f OptionsFunc) {
	r.options[formID+"/"+field] = f
}

// Submit hands a form's values to its handler. An unknown form is an
// error (a stale modal after an upgrade, or a forged payload). A value
// with a NUL byte or invalid UTF-8 never reaches the handler: the form
// stays open with the problem beside that field.
func (r *Router) Submit(ctx context.Context, req Request, formID, state string, values map[string]string) (FormResult, error) {
	h, ok := r.forms[formID]
	if !ok {
		return FormResult{}, fmt.Errorf("submit: no form %q", formID)
	}
	if errs := unreadableValues(values); len(errs) > 0 {
		// The form stays open with what the user typed; nothing is stored.
		return FormResult{Errors: errs}, nil
	}
	if r.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.timeout)
		defer cancel()
	}
	res, err := h(ctx, req, state, values)
	if err != nil {
		r.log.ErrorContext(ctx, "form submission failed", "form", formID, "user", req.User.ID, "err", err)
		return FormResult{Response: failure(formID, err)}, fmt.Errorf("submit %s: %w", formID, err)
	}
	return res, nil
}

// Options returns the choices of a search field for what the user typed.
func (r *Router) Options(ctx context.Context, req Request, formID, field, query string) ([]Option, error) {
	f, ok := r.options[formID+"/"+field]
	if !ok || unreadable(query) != "" {
		return nil, nil
	}
	return f(ctx, req, query)
}

// Commands returns the registered commands by name.
func (r *Router) Commands() []Command {
	out := make([]Command, 0, len(r.cmds))
	for _, c := range r.cmds {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Dispatch runs the command req names. The Response is always fit to show:
// when the handler fails internally, it is a short apology that says what
// was not done, and the error is returned for the caller to log and count.
// A command line with a NUL byte or invalid UTF-8 is answered with what is
// wrong with it, and runs nothing.
func (r *Router) Dispatch(ctx context.Context, req Request) (Response, error) {
	name := strings.ToLower(strings.TrimSpace(req.Command))
	if name != "" && !strings.HasPrefix(name, "/") {
		name = "/" + name
	}
	if msg := unreadable(req.Command + " " + req.Text); msg != "" {
		return Response{Text: msg, Blocks: []Block{&Section{Text: T(Plain(msg))}}}, nil
	}
	c, ok := r.cmds[name]
	if !ok {
		return r.unknown(name), nil
	}
	req.Command, req.Text = name, strings.TrimSpace(req.Text)
	if r.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.timeout)
		defer cancel()
	}
	resp, err := c.Handler(ctx, req)
	if err != nil {
		r.log.ErrorContext(ctx, "command failed", "command", name, "text", req.Text, "user", req.User.ID, "err", err)
		return failure(name, err), fmt.Errorf("%s %s: %w", name, req.Text, err)
	}
	return resp, nil
}

// failure is what the user sees when a command fails internally.
func failure(name string, err error) Response {
	msg := fmt.Sprintf("Sorry, %s failed on our side and did nothing. The error is logged; try again in a minute, and tell the platform team if it persists.", name)
	switch {
	case catalog.IsUnavailable(err):
		msg = fmt.Sprintf("The catalog database is not reachable right now, so %s could not answer. Nothing was changed; try again in a minute.", name)
	case errors.Is(err, context.DeadlineExceeded):
		msg = fmt.Sprintf("%s took too long and was stopped. Nothing was changed; try again in a minute.", name)
	}
	return Response{Text: msg, Blocks: []Block{&Section{Text: T(Plain(msg))}}}
}

func (r *Router) unknown(name string) Response {
	msg := fmt.Sprintf("There is no command %s.", name)
	blocks := []Block{&Section{Text: T(Plain(msg+" "), Code("/help"), Plain(" lists them."))}}
	return Response{Text: msg, Blocks: blocks}
}

func (r *Router) help(_ context.Context, _ Request) (Response, error) {
	var lines []Text
	for _, c := range r.Commands() {
		line := T(Code(strings.TrimSpace(c.Name + " " + c.Usage)))
		if c.Summary != "" {
			line = append(line, Plain(" — "+c.Summary))
		}
		lines = append(lines, line)
	}
	return Response{
		Text:   "Switchboard commands",
		Blocks: []Block{&Header{Text: "Switchboard commands"}, &Section{Text: Join(lines, "\n")}},
	}, nil
}

// unreadable says what is wrong with text Switchboard cannot store or
// show (a NUL byte, which Postgres refuses in text, or bytes that are not
// UTF-8), or "" when nothing is.
func unreadable(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return fmt.Sprintf("That text contains a NUL byte (\\x00) at byte %d, which Switchboard cannot store; remove it and try again.", i+1)
	}
	if !utf8.ValidString(s) {
		i := 0
		for i < len(s) {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			i += n
		}
		return fmt.Sprintf("That text is not valid UTF-8 (byte 0x%02x at byte %d), so Switchboard cannot read it; retype it and try again.", s[i], i+1)
	}
	return ""
}

// unreadableValues returns the problem of each form value that has one,
// by field name.
func unreadableValues(values map[string]string) map[string]string {
	var errs map[string]string
	for field, v := range values {
		if msg := unreadable(v); msg != "" {
			if errs == nil {
				errs = map[string]string{}
			}
			errs[field] = strings.Replace(msg, "That text", "This field", 1)
		}
	}
	return errs
}
