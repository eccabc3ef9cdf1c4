package shell

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/switchboard-dev/switchboard/commands"
)

// Dispatcher runs one command; *commands.Router is one.
type Dispatcher interface {
	Dispatch(ctx context.Context, req commands.Request) (commands.Response, error)
}

// Shell reads slash commands and prints their responses.
type Shell struct {
	D Dispatcher
	// User is who the commands run as.
	User commands.User
	// Channel is the channel the commands are "typed" in.
	Channel string
}

// Exec runs one line ("/whoowns checkout-api") and writes the response to
// w. It returns the command's internal error, if any, after writing the
// response the user sees.
func (s *Shell) Exec(ctx context.Context, line string, w io.Writer) error {
	line = strings.TrimSpace(line)
	if line == "" {
		return nil
	}
	cmd, args, _ := strings.Cut(line, " ")
	resp, err := s.D.Dispatch(ctx, commands.Request{Command: cmd, Text: args, User: s.User, ChannelID: s.Channel})
	if rerr := Render(w, resp); rerr != nil {
		return errors.Join(err, rerr)
	}
	return err
}

// Run is the interactive loop: it prompts, reads a line, runs it, until
// end of input, "exit" or "quit", or until ctx is cancelled (Ctrl-C), even
// while waiting for input. It keeps going after a failed command and returns
// the number of commands that failed internally.
func (s *Shell) Run(ctx context.Context, in io.Reader, out io.Writer, prompt bool) (failed int, err error) {
	lines := make(chan string)
	readErr := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(in)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
		readErr <- sc.Err()
	}()
	for {
		if prompt {
			fmt.Fprint(out, "switchboard> ")
		}
		var line string
		select {
		case <-ctx.Done():
			if prompt {
				fmt.Fprintln(out)
			}
			return failed, ctx.Err()
		case err := <-readErr:
			if prompt {
				fmt.Fprintln(out)
			}
			return failed, err
		case line = <-lines:
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
