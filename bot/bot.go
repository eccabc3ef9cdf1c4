// Package bot is Switchboard's Slack adapter: it receives slash commands,
// interactions and events, over signed HTTP or Socket Mode, hands them to
// the commands as plain requests, and renders their responses as Block Kit.
//
// It keeps Slack's rules: every request is acknowledged within three
// seconds (slow answers follow through response_url), retried deliveries
// cause one effect, and Block Kit limits are respected.
package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/switchboard-dev/switchboard/commands"
)

// Dispatcher runs commands; *commands.Router is one.
type Dispatcher interface {
	Dispatch(ctx context.Context, req commands.Request) (commands.Response, error)
}

// Deliveries remembers which Slack deliveries were handled, across
// replicas; *catalog.Store is one.
type Deliveries interface {
	// FirstDelivery records key and reports whether it is new.
	FirstDelivery(ctx context.Context, key string) (bool, error)
}

// Config is what a Bot needs.
type Config struct {
	// SigningSecret verifies HTTP requests; required for HTTP mode.
	SigningSecret string
	// API is the Slack Web API client (bot token; app token for Socket Mode).
	API *slack.Client
	// Directory tells who sent each request (with their email) and sends
	// direct messages; built over API when nil. Pass the one the commands
	// were built with, so that both share its caches.
	Directory *Directory
	// Commands runs the slash commands.
	Commands Dispatcher
	// Deliveries makes retried events and double clicks harmless.
	Deliveries Deliveries
	// Ready reports whether the bot can serve (database reachable and
	// migrated); used by /readyz.
	Ready func(ctx context.Context) error
	// Metrics records what the bot does; nil records nothing.
	Metrics *Metrics
	Log     *slog.Logger
	// AckBudget is how long a slash command may run before the bot
	// acknowledges it and answers later through response_url. Slack allows
	// 3 s for the acknowledgement; the default is 2 s.
	AckBudget time.Duration
	// HTTPClient posts to response_url; http.DefaultClient when nil.
	HTTPClient *http.Client
	// Home builds a user's App Home tab; nil shows the list of commands.
	Home func(ctx context.Context, user commands.User) (commands.Response, error)
}

// Bot is the Slack adapter. It is safe for concurrent use.
type Bot struct {
	cfg      Config
	log      *slog.Logger
	metrics  *Metrics
	inflight sync.WaitGroup
	// base is the context of work that outlives the request that started
	// it (answers through response_url); cancelled by Shutdown's deadline.
	base   context.Context
	cancel context.CancelFunc
	dir    *Directory
}

// New returns a bot. It fails when the configuration cannot work.
func New(cfg Config) (*Bot, error) {
	if cfg.API == nil {
		return nil, errors.New("bot: no Slack API client")
	}
	if cfg.Commands == nil {
		return nil, errors.New("bot: no commands")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.AckBudget <= 0 {
		cfg.AckBudget = 2 * time.Second
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics(nil)
	}
	if cfg.Directory == nil {
		cfg.Directory = NewDirectory(cfg.API, cfg.Metrics, cfg.Log)
	}
	base, cancel := context.WithCancel(context.Background())
	return &Bot{cfg: cfg, log: cfg.Log, metrics: cfg.Metrics, base: base, cancel: cancel, dir: cfg.Directory}, nil
}

// Shutdown waits for in-flight work (answers still to be posted) to finish,
// or for ctx to end, whichever is first; then it cancels what is left.
func (b *Bot) Shutdown(ctx context.Context) error {
	done := make(chan struct{})
	go func() { b.inflight.Wait(); close(done) }()
	select {
	case <-done:
		b.cancel()
		return nil
	case <-ctx.Done():
		b.cancel()
		return fmt.Errorf("bot shutdown: in-flight work abandoned: %w", ctx.Err())
	}
}

// reply is an answer to show: where and how. Text and Blocks come from
// render.
type reply struct {
	Text         string
	Blocks       []slack.Block
	InChannel    bool
	Replace      bool
	failedInside bool
	// formOpened: the answer was a form, now open; nothing to post.
	formOpened bool
}

// run dispatches a command line typed (or clicked) by user and renders the
// answer. A form in the answer is opened with triggerID at once.
func (b *Bot) run(ctx context.Context, line string, user commands.User, channel, triggerID string) reply {
	cmd, text, _ := strings.Cut(strings.TrimSpace(line), " ")
	start := time.Now()
	user = b.dir.user(ctx, user.ID, user.Name)
	resp, err := b.cfg.Commands.Dispatch(ctx, commands.Request{Command: cmd, Text: text, User: user, ChannelID: channel})
	if err == nil && resp.Form != nil {
		if ferr := b.openForm(ctx, triggerID, resp.Form); ferr != nil {
			b.log.Warn("open form", "command", cmd, "err", ferr)
			resp = commands.Response{Text: "Could not open the form: Slack allows 3 seconds to open it and that passed, or Slack refused. Try the command again."}
			resp.Blocks = []commands.Block{&commands.Section{Text: commands.T(commands.Plain(resp.Text))}}
		} else if len(resp.Blocks) == 0 {
			b.metrics.observeCommand(cmd, nil, time.Since(start))
			return reply{formOpened: true}
		}
	}
	if err == nil && resp.File != nil {
		if ferr := b.sendFile(ctx, resp.File, user.ID, channel, resp.InChannel); ferr != nil {
			b.log.WarnContext(ctx, "send file", "command", cmd, "user", user.ID, "file", resp.File.Name, "err", ferr)
			resp, err = fileFailed(resp.File, ferr), ferr
		}
	}
	b.metrics.observeCommand(cmd, err, time.Since(start))
	if err != nil {
		b.log.ErrorContext(ctx, "command failed", "command", cmd, "user", user.ID, "err", err)
	}
	t, blocks := render(resp, line)
	return reply{Text: t, Blocks: blocks, InChannel: resp.InChannel, failedInside: err != nil}
}

// answer runs line and returns the reply if it is ready within the ack
// budget. Otherwise it returns false and posts the reply to responseURL
// when it is ready; that work counts as in flight for Shutdown.
func (b *Bot) answer(line string, user commands.User, channel, responseURL, triggerID string) (reply, bool) {
	done := make(chan reply, 1)
	l := &later{b: b, url: responseURL} // where later answers go
	b.inflight.Add(1)
	go func() {
		defer b.inflight.Done()
		done <- b.run(commands.WithLater(b.base, l), line, user, channel, triggerID)
	}()
	timer := time.NewTimer(b.cfg.AckBudget)
	defer timer.Stop()
	select {
	case r := <-done:
		return r, true
	case <-timer.C:
	}
	b.inflight.Add(1)
	go func() {
		defer b.inflight.Done()
		r := <-done
		b.postResponse(responseURL, r)
	}()
	return reply{}, false
}

// postResponse sends r to a response_url, retrying once: the user is
// waiting for it.
func (b *Bot) postResponse(url string, r reply) {
	if r.formOpened {
		return
	}
	if url == "" {
		b.log.Warn("no response_url to answer through; answer dropped")
		return
	}
	if err := b.postWebhook(b.base, url, r); err != nil {
		b.log.Error("post to response_url failed", "err", err)
	}
}

// postWebhook posts r to a response_url, each try bounded by postTimeout,
// and tries once more half a second after a failure unless ctx is done.
func (b *Bot) postWebhook(ctx context.Context, url string, r reply) error {
	var err error
	for attempt := range 2 {
		pctx, cancel := context.WithTimeout(ctx, postTimeout)
		err = slack.PostWebhookCustomHTTPContext(pctx, url, b.cfg.HTTPClient, r.webhook())
		cancel()
		if err == nil {
			return nil
		}
		b.metrics.slackError("response_url")
		if attempt == 0 {
			select {
			case <-ctx.Done():
				return err
			case <-time.After(500 * time.Millisecond):
			}
		}
	}
	return err
}
