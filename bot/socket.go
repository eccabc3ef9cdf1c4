package bot

import (
	"context"
	"fmt"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// RunSocketMode connects to Slack over Socket Mode (the API client must
// carry the app-level token) and serves until ctx ends. slack-go's client
// reconnects when Slack asks it to, but returns when a reconnection fails
// (network down, Slack unreachable); RunSocketMode then starts a new client
// with exponential backoff (1 s doubling to 1 min), forever.
func (b *Bot) RunSocketMode(ctx context.Context) error {
	bo := backoff.NewExponentialBackOff()
	bo.InitialInterval = time.Second
	bo.MaxInterval = time.Minute
	for {
		started := time.Now()
		err := b.socketOnce(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if time.Since(started) > 5*time.Minute {
			bo.Reset() // it was up for a good while: start backing off afresh
		}
		wait := bo.NextBackOff()
		b.log.Warn("Socket Mode connection lost; reconnecting", "err", err, "in", wait.Round(time.Millisecond))
		b.metrics.slackError("socket_mode")
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
	}
}

func (b *Bot) socketOnce(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	client := socketmode.New(b.cfg.API)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case evt := <-client.Events:
				// Each in its own goroutine: a slow command must not delay
				// the acknowledgement of the next delivery.
				b.inflight.Add(1)
				go func() {
					defer b.inflight.Done()
					b.socketEvent(ctx, client, evt)
				}()
			}
		}
	}()
	// RunContext returns only with an error: a reconnection it gave up on.
	err := client.RunContext(ctx)
	cancel()
	<-done
	return err
}

func (b *Bot) socketEvent(ctx context.Context, client *socketmode.Client, evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeConnected:
		b.log.Info("connected to Slack over Socket Mode")
	case socketmode.EventTypeInvalidAuth:
		b.log.Error("Slack refused the app token (SLACK_APP_TOKEN): invalid_auth")
	case socketmode.EventTypeSlashCommand:
		sc, ok := evt.Data.(slack.SlashCommand)
		if !ok || evt.Request == nil {
			return
		}
		b.ack(ctx, client, evt.Request, b.slash(sc))
	case socketmode.EventTypeInteractive:
		cb, ok := evt.Data.(slack.InteractionCallback)
		if !ok || evt.Request == nil {
			return
		}
		b.ack(ctx, client, evt.Request, b.interaction(cb))
	case socketmode.EventTypeEventsAPI:
		ev, ok := evt.Data.(slackevents.EventsAPIEvent)
		if !ok || evt.Request == nil {
			return
		}
		b.ack(ctx, client, evt.Request, nil)
		retry := ""
		if evt.Request.RetryAttempt > 0 {
			retry = fmt.Sprint(evt.Request.RetryAttempt)
		}
		b.event(ev, retry)
	}
}

func (b *Bot) ack(ctx context.Context, client *socketmode.Client, req *socketmode.Request, payload any) {
	if err := client.AckCtx(ctx, req.EnvelopeID, payload); err != nil {
		b.metrics.slackError("socket_ack")
		b.log.Error("socket mode ack failed", "envelope", req.EnvelopeID, "err", err)
	}
}
