package bot_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/switchboard-dev/switchboard/bot"
	"github.com/switchboard-dev/switchboard/bot/fakeslack"
	"github.com/switchboard-dev/switchboard/commands"
)

// TestSocketMode answers a slash command over Socket Mode with the ack's
// payload, and keeps answering after the connection drops: the bot
// connects again by itself.
func TestSocketMode(t *testing.T) {
	h := newHarness(t, 2*time.Second)
	api := slack.New(fakeslack.Token, slack.OptionAPIURL(h.slack.APIURL()), slack.OptionAppLevelToken(fakeslack.AppToken))
	router := commands.NewRouter(slog.New(slog.DiscardHandler), 5*time.Second)
	router.Register(commands.WhoOwns(h.store))
	b, err := bot.New(bot.Config{API: api, Commands: router, Deliveries: h.store})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.RunSocketMode(ctx) }()

	ask := func(round int) {
		t.Helper()
		if !h.slack.WaitSocket(10*time.Second, func(_ []map[string]any, connected bool) bool { return connected }) {
			t.Fatalf("round %d: the bot did not connect", round)
		}
		// The bot may still be reading the hello: send until an ack comes.
		var id string
		for i := 0; i < 50 && id == ""; i++ {
			id, _ = h.slack.SocketSend("slash_commands", map[string]any{
				"command": "/whoowns", "text": "checkout-api", "user_id": "U0ADA", "channel_id": "C1",
				"response_url": h.slack.ResponseURL("socket"), "trigger_id": "T",
			})
			if id == "" {
				time.Sleep(20 * time.Millisecond)
			}
		}
		ok := h.slack.WaitSocket(10*time.Second, func(acks []map[string]any, _ bool) bool {
			for _, a := range acks {
				if a["envelope_id"] == id {
					b, _ := json.Marshal(a["payload"])
					return strings.Contains(string(b), "checkout-api is owned by payments")
				}
			}
			return false
		})
		if !ok {
			t.Fatalf("round %d: no ack with the answer for %s", round, id)
		}
	}
	ask(1)
	h.slack.SocketDrop()
	ask(2)
	// Slack refuses the next connection as slack-go cannot get past
	// (invalid_auth ends its own loop): the bot's wrapper starts again.
	h.slack.FailNext(1, "invalid_auth")
	h.slack.SocketDrop()
	ask(3)
	if n := h.slack.SocketConnections(); n < 4 {
		t.Fatalf("connections asked for: got %d, want at least 4 (two reconnections, one refused)", n)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("RunSocketMode: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("RunSocketMode did not return after cancel")
	}
}
