package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/switchboard-dev/switchboard/commands"
)

// maxBody is the largest request the bot reads; Slack's are far smaller.
const maxBody = 1 << 20

// Handler serves Slack's HTTP endpoints (/slack/commands,
// /slack/interactions, /slack/events, /slack/options) and the operational
// ones (/healthz, /readyz). Every /slack/ request must carry a valid
// X-Slack-Signature no older than five minutes, or it gets 401 and changes
// nothing; bodies over 1 MiB get 413.
func (b *Bot) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /slack/commands", b.verified(b.serveCommand))
	mux.HandleFunc("POST /slack/interactions", b.verified(b.serveInteraction))
	mux.HandleFunc("POST /slack/events", b.verified(b.serveEvent))
	mux.HandleFunc("POST /slack/options", b.verified(b.serveInteraction))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", b.serveReady)
	return mux
}

// verified reads the body (at most maxBody) and checks Slack's signature
// over it before next sees anything.
func (b *Bot) verified(next func(w http.ResponseWriter, r *http.Request, body []byte)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if b.cfg.SigningSecret == "" {
			b.metrics.reject("no_signing_secret")
			http.Error(w, "HTTP mode is off: SLACK_SIGNING_SECRET is not set", http.StatusNotFound)
			return
		}
		// Sized from Content-Length: io.ReadAll's doubling from 512 bytes
		// was the largest allocation of a command.
		buf := bytes.NewBuffer(make([]byte, 0, min(max(r.ContentLength, 0), maxBody)+1))
		_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, maxBody))
		body := buf.Bytes()
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				b.metrics.reject("too_large")
				http.Error(w, "request body over 1 MiB", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "cannot read request body", http.StatusBadRequest)
			return
		}
		sv, err := slack.NewSecretsVerifier(r.Header, b.cfg.SigningSecret)
		if err == nil {
			_, _ = sv.Write(body)
			err = sv.Ensure()
		}
		if err != nil {
			reason := "bad_signature"
			if errors.Is(err, slack.ErrExpiredTimestamp) {
				reason = "stale"
			}
			b.metrics.reject(reason)
			b.log.Warn("rejected Slack request", "path", r.URL.Path, "reason", reason, "remote", r.RemoteAddr)
			http.Error(w, "invalid or expired Slack signature", http.StatusUnauthorized)
			return
		}
		next(w, r, body)
	}
}

func (b *Bot) serveCommand(w http.ResponseWriter, _ *http.Request, body []byte) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		http.Error(w, "malformed form body", http.StatusBadRequest)
		return
	}
	sc := slack.SlashCommand{
		Command: form.Get("command"), Text: form.Get("text"), UserID: form.Get("user_id"), UserName: form.Get("user_name"),
		ChannelID: form.Get("channel_id"), ResponseURL: form.Get("response_url"), TriggerID: form.Get("trigger_id"), TeamID: form.Get("team_id"),
	}
	writeAck(w, b.slash(sc))
}

// slash handles a slash command from either transport and returns the
// acknowledgement's payload (nil for an empty one). Slack sends the text
// with "&", "<" and ">" as entities: the command gets what was typed
// (render escapes it again on the way out).
func (b *Bot) slash(sc slack.SlashCommand) any {
	line := sc.Command
	if sc.Text != "" {
		line += " " + unescape(sc.Text)
	}
	r, ready := b.answer(line, commands.User{ID: sc.UserID, Name: sc.UserName}, sc.ChannelID, sc.ResponseURL, sc.TriggerID)
	if !ready || r.formOpened {
		return nil
	}
	return r.webhook()
}

// serveInteraction serves /slack/interactions and /slack/options: both
// carry an interaction payload (block_suggestion for the options).
func (b *Bot) serveInteraction(w http.ResponseWriter, _ *http.Request, body []byte) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		http.Error(w, "malformed form body", http.StatusBadRequest)
		return
	}
	var cb slack.InteractionCallback
	if err := json.Unmarshal([]byte(form.Get("payload")), &cb); err != nil {
		http.Error(w, "malformed interaction payload", http.StatusBadRequest)
		return
	}
	writeAck(w, b.interaction(cb))
}

func (b *Bot) serveEvent(w http.ResponseWriter, r *http.Request, body []byte) {
	ev, err := slackevents.ParseEvent(json.RawMessage(body), slackevents.OptionNoVerifyToken())
	if err != nil {
		http.Error(w, "malformed event", http.StatusBadRequest)
		return
	}
	if ev.Type == slackevents.URLVerification {
		var ch slackevents.ChallengeResponse
		if err := json.Unmarshal(body, &ch); err != nil {
			http.Error(w, "malformed url_verification", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, ch.Challenge)
		return
	}
	w.WriteHeader(http.StatusOK) // ack first; handling is idempotent by event id
	b.event(ev, r.Header.Get("X-Slack-Retry-Num"))
}

func (b *Bot) serveReady(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if b.cfg.Ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := b.cfg.Ready(ctx); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, "not ready: "+err.Error()+"\n")
			return
		}
	}
	io.WriteString(w, "ready\n")
}

// writeAck answers Slack's request: 200 with payload as JSON, or empty.
func writeAck(w http.ResponseWriter, payload any) {
	if payload == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(payload); err != nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(buf.Bytes())
}
