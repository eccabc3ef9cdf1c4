package commands_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/switchboard-dev/switchboard/commands"
)

// errorLog records what is logged at ERROR.
type errorLog struct {
	slog.Handler
	mu   sync.Mutex
	msgs []string
}

func (e *errorLog) Enabled(context.Context, slog.Level) bool { return true }

func (e *errorLog) Handle(_ context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError {
		e.mu.Lock()
		e.msgs = append(e.msgs, r.Message)
		e.mu.Unlock()
	}
	return nil
}

func (e *errorLog) WithAttrs([]slog.Attr) slog.Handler { return e }
func (e *errorLog) WithGroup(string) slog.Handler      { return e }

var unreadableInputs = []struct {
	name, text, want string
}{
	{"NUL", "checkout\x00api", "NUL byte (\\x00)"},
	{"NUL alone", "\x00", "NUL byte (\\x00)"},
	{"invalid UTF-8", "checkout\xffapi", "not valid UTF-8 (byte 0xff"},
	{"truncated UTF-8", "caf\xc3", "not valid UTF-8 (byte 0xc3"},
	{"UTF-16 surrogate", "a\xed\xa0\x80", "not valid UTF-8 (byte 0xed"},
}

// TestUnreadableCommandText answers a command line with a NUL byte or
// invalid UTF-8 with what is wrong, before any command runs: no database
// error, no ERROR log.
func TestUnreadableCommandText(t *testing.T) {
	store, _ := fixture(t)
	for _, tt := range unreadableInputs {
		t.Run(tt.name, func(t *testing.T) {
			log := &errorLog{}
			r := commands.NewRouter(slog.New(log), 0)
			r.Register(commands.WhoOwns(store))
			ran := false
			r.Register(commands.Command{Name: "/probe", Handler: func(context.Context, commands.Request) (commands.Response, error) {
				ran = true
				return commands.Response{}, nil
			}})
			for _, cmd := range []string{"/whoowns", "/probe"} {
				resp, err := r.Dispatch(context.Background(), commands.Request{Command: cmd, Text: tt.text, User: commands.User{ID: "U0ADA"}})
				if err != nil {
					t.Fatalf("%s: got error %v, want an answer", cmd, err)
				}
				if got := flatten(resp); !strings.Contains(got, tt.want) || !strings.Contains(got, "try again") {
					t.Errorf("%s: got %q, want it to say %q and what to do", cmd, got, tt.want)
				}
			}
			if ran {
				t.Error("the command ran on unreadable text")
			}
			if len(log.msgs) > 0 {
				t.Errorf("ERROR logged: %v", log.msgs)
			}
		})
	}
}

// TestUnreadableFormValues keeps a form open with the problem beside each
// field whose value has a NUL byte or invalid UTF-8; the handler never
// sees them. A search field's query with one finds nothing.
func TestUnreadableFormValues(t *testing.T) {
	for _, tt := range unreadableInputs {
		t.Run(tt.name, func(t *testing.T) {
			r := commands.NewRouter(nil, 0)
			r.RegisterForm("f", func(context.Context, commands.Request, string, map[string]string) (commands.FormResult, error) {
				t.Error("the form handler got unreadable values")
				return commands.FormResult{}, nil
			})
			r.RegisterOptions("f", "repo", func(context.Context, commands.Request, string) ([]commands.Option, error) {
				t.Error("the options provider got an unreadable query")
				return nil, nil
			})
			res, err := r.Submit(context.Background(), commands.Request{}, "f", "", map[string]string{"name": "ok", "description": tt.text})
			if err != nil {
				t.Fatalf("got error %v, want field errors", err)
			}
			if len(res.Errors) != 1 || !strings.Contains(res.Errors["description"], tt.want) || !strings.HasPrefix(res.Errors["description"], "This field") {
				t.Fatalf("errors: got %v, want one beside description saying %q", res.Errors, tt.want)
			}
			if opts, err := r.Options(context.Background(), commands.Request{}, "f", "repo", tt.text); err != nil || len(opts) != 0 {
				t.Fatalf("options: got %v, %v; want none", opts, err)
			}
		})
	}
}
