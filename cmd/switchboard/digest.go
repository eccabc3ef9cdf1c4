package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"strings"

	"github.com/switchboard-dev/switchboard/bot"
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
	// As serve: errors in the scorecard section alone leave the last good
	// scorecard in force (chooseCard, once the database is open).
	ld, err := loadStandardsKeepingScorecard(env, log)
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
	store := catalog.NewStore(db.Pool, log)
	inForce, err := chooseCard(ctx, ld, store, log)
	if err != nil {
		fmt.Fprintln(env.Stderr, "switchboard digest:", err)
		return 1
	}
	std := inForce.apply(ld.Standards)
	p := digest.NewPoster(store, pub, std, log)
	p.TeamDigests = *teams
	if _, err := p.Schedule(); err != nil {
		fmt.Fprintln(env.Stderr, "switchboard digest:", err)
		return 2
	}
	if !*post {
		text, err := p.Text(ctx, shell.Render)
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
// SLACK_BOT_TOKEN and SLACK_API_URL: the bot's own rendering (Block Kit,
// with the Register and Ignore buttons), by chat.postMessage.
func newDigestPublisher(getenv func(string) string) (digest.Publisher, error) {
	api, err := slackAPIFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	b, err := bot.New(bot.Config{API: api, Commands: commands.NewRouter(nil, 0)})
	if err != nil {
		return nil, err
	}
	return digest.PublisherFunc(b.Notify), nil
}

// addDigest makes the replica work the digest's jobs with poster, on the
// schedule of its standards file (a River periodic job: the cluster's, not
// this process's). An invalid schedule is logged and nothing is scheduled;
// nor is anything without a digest channel.
func addDigest(w *work, poster *digest.Poster, log *slog.Logger) {
	job, err := poster.PeriodicJob()
	if err != nil {
		log.Error("daily digest not scheduled", "err", err)
		return
	}
	addWorker(w, &digest.Worker{Poster: poster})
	if job != nil {
		w.Periodic = append(w.Periodic, job)
	}
}
