package shell

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/switchboard-dev/switchboard/commands"
)

// Dispatcher runs one command; *commands.Router is one.
type Dispatcher interface {
	Dispatch(ctx context.Context, req commands.Request) (commands.Response, error)
}

// FormSubmitter receives filled-in forms; *commands.Router is one.
type FormSubmitter interface {
	Submit(ctx context.Context, req commands.Request, formID, state string, values map[string]string) (commands.FormResult, error)
}

// Shell reads slash commands and prints their responses. Forms are asked
// field by field on the same input.
type Shell struct {
	D Dispatcher
	// User is who the commands run as.
	User commands.User
	// Channel is the channel the commands are "typed" in.
	Channel string
	// In is where commands and form answers are read from.
	In io.Reader
	// AfterSubmit, when set, runs after a form was accepted (the demo opens
	// the merge requests that are due and prints what the user is told).
	AfterSubmit func(ctx context.Context, w io.Writer)

	once  sync.Once
	lines chan string
	eof   chan error
}

// errEOF means the input ended.
var errEOF = errors.New("end of input")

func (s *Shell) start(ctx context.Context) {
	s.once.Do(func() {
		s.lines, s.eof = make(chan string), make(chan error, 1)
		in := s.In
		if in == nil {
			in = strings.NewReader("")
		}
		go func() {
			sc := bufio.NewScanner(in)
			sc.Buffer(make([]byte, 64*1024), 1024*1024)
			for sc.Scan() {
				select {
				case s.lines <- sc.Text():
				case <-ctx.Done():
					return
				}
			}
			err := sc.Err()
			if err == nil {
				err = errEOF
			}
			s.eof <- err
		}()
	})
}

// readLine returns the next input line.
func (s *Shell) readLine(ctx context.Context) (string, error) {
	s.start(ctx)
	select {
	case <-ctx.Done():
		return "", ctx.Err()
	case err := <-s.eof:
		s.eof <- err // every later read sees it too
		return "", err
	case l := <-s.lines:
		return l, nil
	}
}

// Exec runs one line ("/whoowns checkout-api") and writes the response to
// w. A form in the response is asked on the input. It returns the
// command's internal error, if any, after writing what the user sees.
func (s *Shell) Exec(ctx context.Context, line string, w io.Writer) error {
	line = strings.TrimSpace(line)
	if line == "" {
		return nil
	}
	cmd, args, _ := strings.Cut(line, " ")
	req := commands.Request{Command: cmd, Text: args, User: s.User, ChannelID: s.Channel}
	resp, err := s.D.Dispatch(ctx, req)
	if rerr := Render(w, resp); rerr != nil {
		return errors.Join(err, rerr)
	}
	if err == nil && resp.Form != nil {
		return s.form(ctx, req, resp.Form, w)
	}
	return err
}

// maxFormRounds is how often a form with errors is asked again.
const maxFormRounds = 3

// form asks each field, submits, and asks again the fields with errors.
func (s *Shell) form(ctx context.Context, req commands.Request, f *commands.Form, w io.Writer) error {
	sub, ok := s.D.(FormSubmitter)
	if !ok {
		return errors.New("this shell cannot submit forms")
	}
	fmt.Fprintf(w, "%s (Enter keeps the [value]; Ctrl-D cancels)\n", f.Title)
	values := map[string]string{}
	ask := f.Fields
	for round := 0; round < maxFormRounds; round++ {
		for _, fd := range ask {
			v, err := s.askField(ctx, fd, values, w)
			if err != nil {
				fmt.Fprintln(w, "\nForm cancelled: nothing was registered.")
				return nil
			}
			values[fd.Name] = v
		}
		res, err := sub.Submit(ctx, req, f.ID, f.State, values)
		if err != nil {
			_ = Render(w, res.Response)
			return err
		}
		if len(res.Errors) == 0 {
			if err := Render(w, res.Response); err != nil {
				return err
			}
			if s.AfterSubmit != nil {
				s.AfterSubmit(ctx, w)
			}
			return nil
		}
		ask = nil
		for _, fd := range f.Fields {
			if msg, bad := res.Errors[fd.Name]; bad {
				fmt.Fprintf(w, "  ✗ %s: %s\n", fd.Label, msg)
				ask = append(ask, fd)
			}
		}
	}
	fmt.Fprintln(w, "Form not accepted after three tries: nothing was registered.")
	return nil
}

// askField prompts for one field and reads the answer: a value, the
// number of a listed choice, or nothing to keep the current value.
func (s *Shell) askField(ctx context.Context, fd commands.FormField, values map[string]string, w io.Writer) (string, error) {
	current, ok := values[fd.Name]
	if !ok {
		current = fd.Initial
	}
	prompt := "  " + fd.Label
	if len(fd.Options) > 0 {
		var names []string
		for i, o := range fd.Options {
			if i == 12 {
				names = append(names, fmt.Sprintf("... %d more", len(fd.Options)-12))
				break
			}
			names = append(names, fmt.Sprintf("%d=%s", i+1, o.Command))
		}
		prompt += " (" + strings.Join(names, ", ") + ")"
	}
	if fd.Optional {
		prompt += " (optional)"
	}
	if current != "" {
		prompt += " [" + current + "]"
	}
	for {
		fmt.Fprint(w, prompt+": ")
		line, err := s.readLine(ctx)
		if err != nil {
			return "", err
		}
		line = strings.TrimSpace(line)
		fmt.Fprintln(w, line)
		if line == "" {
			return current, nil
		}
		if n, err := strconv.Atoi(line); err == nil && n >= 1 && n <= len(fd.Options) {
			return fd.Options[n-1].Command, nil
		}
		if fd.Kind != commands.FieldSelect || len(fd.Options) == 0 {
			return line, nil
		}
		for _, o := range fd.Options {
			if strings.EqualFold(o.Command, line) {
				return o.Command, nil
			}
		}
		fmt.Fprintf(w, "  %q is not one of the choices: give its number or its value.\n", line)
	}
}

// Run is the interactive loop: it prompts, reads a line, runs it, until
// end of input, "exit" or "quit", or until ctx is cancelled (Ctrl-C), even
// while waiting for input. It keeps going after a failed command and returns
// the number of commands that failed internally.
func (s *Shell) Run(ctx context.Context, out io.Writer, prompt bool) (failed int, err error) {
	for {
		if prompt {
			fmt.Fprint(out, "switchboard> ")
		}
		line, err := s.readLine(ctx)
		if err != nil {
			if prompt {
				fmt.Fprintln(out)
			}
			if errors.Is(err, errEOF) {
				return failed, nil
			}
			return failed, err
		}
		line = strings.TrimSpace(line)
		switch line {
		case "":
			continue
		case "exit", "quit", "/exit", "/quit":
			return failed, nil
		}
		if err := s.Exec(ctx, line, out); err != nil {
			failed++
		}
		fmt.Fprintln(out)
	}
}
