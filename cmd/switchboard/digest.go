package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"strings"

	"github.com/slack-go/slack"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
	"github.com/switchboard-dev/switchboard/digest"
	"github.com/switchboard-dev/switchboard/shell"
)

// runDigest is "switchboard digest [--post] [--teams]": today's digest,
// printed as text, or posted to Slack now.
func runDigest(ctx context.Context, args []string, env *Env) int {
	fs := flag.NewFlagSet("digest", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	var dbf dbFlags
	dbf.register(fs)
	post := fs.Bool("post", false, "post today's digest to Slack now (SLACK_BOT_TOKEN; the channel is digest.channel of the standards file), instead of printing it")
	teams := fs.Bool("teams", false, "also each team's part, for the channel of each team whose GitLab group holds repos the digest flags")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "switchboard digest: unexpected argument %q\nusage: switchboard digest [--post] [--teams] [--data-dir DIR]\n", fs.Arg(0))
		return 2
	}
	level := slog.LevelWarn
	if *post {
		level = slog.LevelInfo
	}
	log := newLogger(env.Stderr, env, level)
	std, err := loadStandards(env, log)
	if err != nil {
		fmt.Fprintln(env.Stderr, "switchboard digest:", err)
		return 2
	}
	var pub digest.Publisher
	if *post {
		if pub, err = newDigestPublisher(env.Getenv); err != nil {
			fmt.Fprintln(env.Stderr, "switchboard digest: configuration:", err)
			return 2
		}
	}
	db, err := openDatabase(ctx, dbf, env, log, "switchboard")
	if err != nil {
		fmt.Fprintln(env.Stderr, "switchboard digest:", err)
		return 1
	}
	defer db.Close()
	p := digest.NewPoster(catalog.NewStore(db.Pool, log), pub, std, log)
	p.TeamDigests = *teams
	if _, err := p.Schedule(); err != nil {
		fmt.Fprintln(env.Stderr, "switchboard digest:", err)
		return 2
	}
	if !*post {
		text, err := p.Text(ctx)
		if err != nil {
			fmt.Fprintln(env.Stderr, "switchboard digest:", err)
			return 1
		}
		fmt.Fprint(env.Stdout, text)
		return 0
	}
	res, err := p.PostNow(ctx)
	if len(res.Channels) > 0 {
		fmt.Fprintf(env.Stdout, "posted the digest of %s to %s\n", res.Day.Format("Mon 2 Jan 2006"), strings.Join(res.Channels, ", "))
	}
	if err != nil {
		fmt.Fprintln(env.Stderr, "switchboard digest:", err)
		return 1
	}
	if len(res.Channels) == 0 {
		fmt.Fprintln(env.Stdout, "nothing to post: no channel has a part of the digest")
	}
	return 0
}

// newDigestPublisher returns what posts the digest to Slack, from
// SLACK_BOT_TOKEN and SLACK_API_URL. It posts the digest as text (links
// kept); the bot's Publisher, which renders Block Kit with buttons, takes
// its place once it exists.
func newDigestPublisher(getenv func(string) string) (digest.Publisher, error) {
	token := strings.TrimSpace(getenv("SLACK_BOT_TOKEN"))
	switch {
	case token == "":
		return nil, errors.New("SLACK_BOT_TOKEN is not set: --post needs the bot token (xoxb-...)")
	case !strings.HasPrefix(token, "xoxb-"):
		return nil, errors.New("SLACK_BOT_TOKEN must start with xoxb- (a bot token, not a user or app token)")
	}
	var opts []slack.Option
	if api := strings.TrimSpace(getenv("SLACK_API_URL")); api != "" {
		u, err := url.Parse(api)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, errors.New("SLACK_API_URL must be an http(s) URL such as https://slack.com/api/")
		}
		if !strings.HasSuffix(api, "/") {
			api += "/"
		}
		opts = append(opts, slack.OptionAPIURL(api))
	}
	return textPublisher{api: slack.New(token, opts...)}, nil
}

// textPublisher posts a response as one text message.
type textPublisher struct{ api *slack.Client }

// Publish posts resp to channel as text.
func (p textPublisher) Publish(ctx context.Context, channel string, resp commands.Response) error {
	var b strings.Builder
	resp.InChannel = false // it is posted in the channel: no need to say so
	if err := shell.Render(&b, resp); err != nil {
		return fmt.Errorf("render: %w", err)
	}
	text := b.String()
	// Slack cuts messages longer than 40,000 characters.
	if r := []rune(text); len(r) > 39_000 {
		text = string(r[:39_000]) + "\n…"
	}
	if _, _, err := p.api.PostMessageContext(ctx, channel, slack.MsgOptionText(text, false)); err != nil {
		return fmt.Errorf("post to %s: %w", channel, err)
	}
	return nil
}
