package bot_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/bot/fakeslack"
	"github.com/switchboard-dev/switchboard/commands"
)

// TestFormKeptOpen keeps a modal open, with what the user typed, both when
// a value cannot be stored (a NUL byte: the error beside its field; invalid
// UTF-8 cannot come in JSON) and when the form fails on our side (the
// apology beside the first field).
func TestFormKeptOpen(t *testing.T) {
	h := newHarness(t, 2*time.Second)
	h.router.RegisterForm("fails", func(context.Context, commands.Request, string, map[string]string) (commands.FormResult, error) {
		return commands.FormResult{}, errors.New("database down")
	})
	h.router.RegisterForm("works", func(context.Context, commands.Request, string, map[string]string) (commands.FormResult, error) {
		return commands.FormResult{Response: commands.Response{Text: "done"}}, nil
	})
	input := func(v string) map[string]any {
		return map[string]any{"a": map[string]any{"type": "plain_text_input", "value": v}}
	}
	tests := []struct {
		name, form string
		values     map[string]any
		want       []string
	}{
		{"NUL", "works", map[string]any{"name": input("ok"), "description": input("a\x00b")},
			[]string{`"response_action":"errors"`, `"description":"This field contains a NUL byte (\\x00)`}},
		{"failure on our side", "fails", map[string]any{"b": input("typed"), "a": input("typed")},
			[]string{`"response_action":"errors"`, `"a":"Sorry, fails failed on our side`}},
		{"accepted", "works", map[string]any{"name": input("ok")}, []string{`"response_action":"clear"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := fakeslack.Interaction(map[string]any{"type": "view_submission", "user": map[string]any{"id": "U0ADA"},
				"view": map[string]any{"callback_id": tt.form, "private_metadata": "C1", "state": map[string]any{"values": tt.values}}})
			if err != nil {
				t.Fatal(err)
			}
			code, ack := h.post("/slack/interactions", p, fakeslack.Sign(secret, p, time.Now()))
			for _, w := range tt.want {
				if code != 200 || !strings.Contains(ack, w) {
					t.Fatalf("got %d %s, want %s", code, ack, w)
				}
			}
		})
	}
}
