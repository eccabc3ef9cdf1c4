package main

import (
	"context"
	"embed"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/term"

	"github.com/switchboard-dev/switchboard/advisories"
	"github.com/switchboard-dev/switchboard/bot/fakeslack"
	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
	"github.com/switchboard-dev/switchboard/gitlab"
	"github.com/switchboard-dev/switchboard/gitlab/fakegitlab"
	"github.com/switchboard-dev/switchboard/grading"
	"github.com/switchboard-dev/switchboard/maven"
	"github.com/switchboard-dev/switchboard/maven/fakemaven"
	"github.com/switchboard-dev/switchboard/pagerduty"
	"github.com/switchboard-dev/switchboard/sampleorg"
	"github.com/switchboard-dev/switchboard/shell"
	"github.com/switchboard-dev/switchboard/standards"
)

// multiFlag collects a repeated string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, "; ") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// runDemo is "switchboard demo": a catalog of the sample organisation in a
// database of its own, then either the given --run commands or an
// interactive shell.
func runDemo(ctx context.Context, args []string, env *Env) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	var (
		dbf     dbFlags
		runs    multiFlag
		as      string
		verbose bool
		listen  string
	)
	dbf.register(fs)
	fs.Var(&runs, "run", "run this slash command, print its reply and exit (repeatable), e.g. --run '/whoowns checkout-api'")
	fs.StringVar(&as, "as", "ada.lovelace@"+sampleorg.Domain, "email of the sample user the commands run as")
	fs.BoolVar(&verbose, "v", false, "log what the demo does (startup, database)")
	fs.StringVar(&listen, "listen", "", "also serve Slack's HTTP endpoints on this address (e.g. 127.0.0.1:8080), with a fake Slack Web API in-process; needs SLACK_SIGNING_SECRET")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "switchboard demo: unexpected argument %q (quote the command: --run '/whoowns checkout-api')\n", fs.Arg(0))
		return 2
	}
	level := slog.LevelWarn
	if verbose {
		level = slog.LevelInfo
	}
	log := newLogger(env.Stderr, env, level)

	d, err := startDemo(ctx, dbf, env, log)
	if err != nil {
		fmt.Fprintln(env.Stderr, "switchboard demo:", err)
		return 1
	}
	defer d.close()

	pd, stopPD, err := startDemoPagerDuty(time.Now(), log)
	if err != nil {
		fmt.Fprintln(env.Stderr, "switchboard demo:", err)
		return 1
	}
	defer stopPD()
	if err := runDemoRosters(ctx, d.store, d.gitlabClient, pd, log); err != nil {
		fmt.Fprintln(env.Stderr, "switchboard demo:", err)
		return 1
	}
	if err := refreshDemoIncidents(ctx, d.store, pd); err != nil {
		fmt.Fprintln(env.Stderr, "switchboard demo:", err)
		return 1
	}
	if err := gradeDemo(ctx, d, pd, log); err != nil {
		fmt.Fprintln(env.Stderr, "switchboard demo:", err)
		return 1
	}
	if listen != "" {
		return serveDemo(ctx, env, d, listen, log, extras{pagerduty: pd, standards: d.standards, scorecardNotice: d.scorecardNotice})
	}
	// /page's "Tell their channels" posts are shown as they would go.
	notices := commands.PublisherFunc(func(_ context.Context, channel string, resp commands.Response) error {
		fmt.Fprintf(env.Stdout, "[posted to %s]\n", channel)
		return shell.Render(env.Stdout, resp)
	})
	router := newRouter(deps{log: log, store: d.store, lookups: d.store, pagerduty: pd, standards: d.standards, scorecardNotice: d.scorecardNotice,
		notices: notices})
	user := commands.User{ID: "UDEMO", Name: strings.Split(as, "@")[0], Email: as}
	for _, p := range sampleorg.People() {
		if strings.EqualFold(p.Email, as) {
			user = commands.User{ID: p.SlackUserID, Name: p.Name, Email: p.Email}
		}
	}
	sh := &shell.Shell{D: router, User: user, Channel: "CDEMO", In: env.Stdin}
	mr := &commands.MRWorker{Queue: d.store, GitLab: d.gitlabClient, Log: log, Notify: printNotifier{}}
	sh.AfterSubmit = func(ctx context.Context, w io.Writer) {
		mr.Notify = printNotifier{w: w}
		if _, err := mr.RunOnce(ctx); err != nil {
			fmt.Fprintln(w, "merge requests:", err)
		}
	}

	if len(runs) > 0 {
		failed := 0
		for i, line := range runs {
			if i > 0 {
				fmt.Fprintln(env.Stdout)
			}
			fmt.Fprintf(env.Stdout, "> %s\n", line)
			if err := sh.Exec(ctx, line, env.Stdout); err != nil {
				failed++
			}
		}
		if failed > 0 {
			fmt.Fprintf(env.Stderr, "switchboard demo: %d command(s) failed; see the log above\n", failed)
			return 1
		}
		return 0
	}

	interactive := false
	if f, ok := env.Stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		interactive = true
		n, _ := d.store.CountServices(ctx)
		fmt.Fprintf(env.Stdout, "Switchboard demo: %d services of the sample organisation %q. Try /whoowns checkout-api, /whoowns frontend, /help; exit with Ctrl-D.\n\n", n, "Acme")
	}
	failed, err := sh.Run(ctx, env.Stdout, interactive)
	if err != nil && ctx.Err() == nil {
		fmt.Fprintln(env.Stderr, "switchboard demo:", err)
		return 1
	}
	if failed > 0 && !interactive {
		return 1
	}
	return 0
}

// gradeDemo grades the sample organisation's services as serve's jobs do
// after a sync and a roster refresh: PagerDuty's on-call read once, then
// every service not graded yet (all of them) against the standards'
// scorecard.
func gradeDemo(ctx context.Context, d *demo, pd *pagerduty.Client, log *slog.Logger) error {
	if d.standards == nil || d.standards.Scorecard == nil {
		return nil
	}
	g, err := grading.New(d.store, d.standards.Scorecard, log)
	if err != nil {
		return fmt.Errorf("grade the demo organisation: %w", err)
	}
	if pd != nil {
		g.PagerDuty = pd
	}
	res, err := g.Refresh(ctx)
	if err != nil {
		return fmt.Errorf("grade the demo organisation: %w", err)
	}
	log.Info("demo services graded", "result", fmt.Sprintf("%+v", res))
	return nil
}

// demo is the demo's running state.
type demo struct {
	db      *database
	admin   *pgx.ConnConfig // the server's maintenance database
	name    string
	created bool
	store   *catalog.Store
	gitlab  *httptest.Server
	// maven is the demo's Maven repository (demomaven/, fakemaven).
	maven *httptest.Server
	// gitlabClient talks to the demo's fake GitLab.
	gitlabClient *gitlab.Client
	standards    *standards.Standards
	// scorecardNotice is what /scorecard says while the standards file's
	// scorecard section has errors (cardInForce.Notice).
	scorecardNotice string
	log             *slog.Logger
}

// startDemo makes a database of the demo's own, named after this process so
// that two demos never share one, on the server of DATABASE_URL or the
// embedded one, and loads the sample organisation into it, with its
// coverage history.
func startDemo(ctx context.Context, dbf dbFlags, env *Env, log *slog.Logger) (*demo, error) {
	name := fmt.Sprintf("switchboard_demo_%d", os.Getpid())
	cfg, srv, err := serverConfig(ctx, dbf, env, log, "postgres")
	if err != nil {
		return nil, err
	}
	d := &demo{name: name, log: log, db: &database{server: srv}, admin: cfg.ConnConfig.Copy()}
	admin, err := pgx.ConnectConfig(ctx, d.admin)
	if err != nil {
		d.close()
		return nil, fmt.Errorf("connect to database server: %w", err)
	}
	dropStaleDemos(ctx, admin, log)
	_, err = admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	admin.Close(ctx)
	if err != nil {
		d.close()
		return nil, fmt.Errorf("create demo database: %w", err)
	}
	d.created = true
	cfg.ConnConfig.Database = name
	if d.db.Pool, err = catalog.ConnectConfig(ctx, cfg); err != nil {
		d.close()
		return nil, err
	}
	if err := catalog.MigratePool(ctx, d.db.Pool, log); err != nil {
		d.close()
		return nil, err
	}
	d.store = catalog.NewStore(d.db.Pool, log)
	if err := d.syncFromFakeGitLab(ctx, env, log); err != nil {
		d.close()
		return nil, err
	}
	if err := loadDemoAdvisories(ctx, advisories.NewStore(d.db.Pool), log); err != nil {
		d.close()
		return nil, err
	}
	if err := recordDemoCoverage(ctx, d); err != nil {
		d.close()
		return nil, err
	}
	return d, nil
}

// demoAdvisories are real OSV records (copies of advisories/testdata; see
// demoadvisories/SOURCES.md): Log4Shell and its follow-ups, Spring4Shell,
// and one or two each for npm, PyPI, Go, RubyGems and crates.io.
//
//go:embed demoadvisories/*.json
var demoAdvisories embed.FS

// loadDemoAdvisories puts the embedded records into the demo's store, so
// that /impact CVE-2021-44228 answers without the OSV API.
func loadDemoAdvisories(ctx context.Context, store *advisories.Store, log *slog.Logger) error {
	names, err := demoAdvisories.ReadDir("demoadvisories")
	if err != nil {
		return fmt.Errorf("demo advisories: %w", err)
	}
	var recs []*advisories.Record
	for _, n := range names {
		raw, err := demoAdvisories.ReadFile("demoadvisories/" + n.Name())
		if err != nil {
			return fmt.Errorf("demo advisories: %w", err)
		}
		r, err := advisories.Parse(raw)
		if err != nil {
			return fmt.Errorf("demo advisory %s: %w", n.Name(), err)
		}
		recs = append(recs, r)
	}
	if _, err := store.Put(ctx, recs); err != nil {
		return fmt.Errorf("demo advisories: %w", err)
	}
	log.Info("demo advisories loaded", "records", len(recs))
	return nil
}

// syncFromFakeGitLab serves the sample organisation from a fake GitLab
// and fills the demo catalog the way a real one is filled: by a sync. The
// teams' channels and PagerDuty policies and the people's Slack ids come
// from the sample directory.
func (d *demo) syncFromFakeGitLab(ctx context.Context, env *Env, log *slog.Logger) error {
	fake := fakegitlab.New(sampleorg.GitLabOrg(time.Now()), fakegitlab.Options{Token: demoGitLabToken})
	d.gitlab = httptest.NewServer(fake)
	fake.SetURL(d.gitlab.URL)
	client, err := gitlab.New(gitlab.Config{BaseURL: d.gitlab.URL, Token: demoGitLabToken, Logger: log})
	if err != nil {
		return err
	}
	d.gitlabClient = client
	// As serve: errors in the scorecard section alone leave the card
	// chooseCard gives in force (the demo's database keeps none: the
	// embedded default).
	ld, err := loadStandardsKeepingScorecard(env, log)
	if err != nil {
		return err
	}
	card, err := chooseCard(ctx, ld, d.store, log)
	if err != nil {
		return err
	}
	std := card.apply(ld.Standards)
	d.standards, d.scorecardNotice = std, card.Notice
	if err := sampleorg.LoadDirectory(ctx, d.store); err != nil {
		return err
	}
	mvn, err := d.demoMaven()
	if err != nil {
		return err
	}
	sum, err := newSyncer(client, d.store, std, log, nil, mvn).Run(ctx, time.Time{})
	if err != nil {
		return fmt.Errorf("sync the demo organisation from the fake GitLab: %w", err)
	}
	log.Info("demo catalog synced from the fake GitLab", "url", d.gitlab.URL, "database", d.name,
		"repos", sum.Seen, "catalogued", sum.Catalogued, "invalid", sum.Invalid, "missing", sum.Missing, "requests", sum.Requests)
	return nil
}

// demoMavenRepo is the demo's Maven repository: the POMs the sample
// organisation's pom.xml files need (see demomaven/SOURCES.md).
//
//go:embed demomaven
var demoMavenRepo embed.FS

// demoMaven serves demoMavenRepo, with the POMs the sample organisation
// publishes from its own repos (sampleorg.MavenRepo), from a fake Maven
// repository and returns
// the resolver the demo's sync uses: that repository behind the POM cache
// in the demo's database, as serve and sync use Maven Central.
func (d *demo) demoMaven() (*maven.Resolver, error) {
	sub, err := fs.Sub(demoMavenRepo, "demomaven")
	if err != nil {
		return nil, fmt.Errorf("demo maven repository: %w", err)
	}
	d.maven = httptest.NewServer(fakemaven.New(sampleorg.MavenRepo(sub)))
	return mavenConfig{Repos: []maven.RemoteRepo{{URL: d.maven.URL}}}.resolver(d.db.Pool, d.maven.Client())
}

// demoGitLabToken is the demo's fake GitLab's token.
const demoGitLabToken = "glpat-demo"

// close drops the demo's database and stops what it started.
func (d *demo) close() {
	if d.gitlab != nil {
		d.gitlab.Close()
	}
	if d.maven != nil {
		d.maven.Close()
	}
	if d.db.Pool != nil {
		d.db.Pool.Close()
		d.db.Pool = nil
	}
	if d.created {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if conn, err := pgx.ConnectConfig(ctx, d.admin); err == nil {
			if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{d.name}.Sanitize()+" WITH (FORCE)"); err != nil {
				d.log.Warn("drop demo database", "database", d.name, "err", err)
			}
			conn.Close(ctx)
		}
	}
	d.db.Close()
}

// dropStaleDemos removes demo databases left by demos that were killed:
// those nobody is connected to.
func dropStaleDemos(ctx context.Context, conn *pgx.Conn, log *slog.Logger) {
	rows, err := conn.Query(ctx, `
		SELECT datname FROM pg_database d
		WHERE datname LIKE 'switchboard\_demo\_%'
		  AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname)`)
	if err != nil {
		return
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return
	}
	for _, n := range names {
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{n}.Sanitize()); err != nil {
			log.Debug("drop stale demo database", "database", n, "err", err)
		}
	}
}

// serveDemo serves the bot's HTTP endpoints over the demo catalog, with the
// fake Slack Web API in-process, logging every Web API call the bot makes,
// until interrupted.
func serveDemo(ctx context.Context, env *Env, d *demo, addr string, log *slog.Logger, x extras) int {
	secret := env.Getenv("SLACK_SIGNING_SECRET")
	if secret == "" {
		// Slack requests are verified with it: the demo makes one up and
		// says it, so that test requests can be signed with it.
		var err error
		if secret, err = catalog.NewPageToken(); err != nil {
			fmt.Fprintln(env.Stderr, "switchboard demo:", err)
			return 1
		}
		fmt.Fprintf(env.Stdout, "SLACK_SIGNING_SECRET is unset: the demo's Slack endpoints verify requests with %s (set it to choose your own).\n", secret)
	}
	var users []fakeslack.User
	for _, p := range sampleorg.People() {
		users = append(users, fakeslack.User{ID: p.SlackUserID, Name: strings.Split(p.Email, "@")[0], RealName: p.Name, Email: p.Email})
	}
	fake := fakeslack.New(users, nil)
	defer fake.Close()
	info := newLogger(env.Stderr, env, slog.LevelInfo)
	fake.OnCall(func(c fakeslack.Call) {
		info.Info("slack web api call", "method", c.Method, "params", callSummary(c))
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintf(env.Stderr, "switchboard demo: --listen %s: %v\n", addr, err)
		return 1
	}
	webEnv := demoWebEnv(env.Getenv, fake, users, "http://"+ln.Addr().String())
	cfg, err := loadServeConfig(func(k string) string {
		switch k {
		case "SLACK_BOT_TOKEN":
			return fakeslack.Token
		case "SLACK_API_URL":
			return fake.APIURL()
		case "LISTEN_ADDR":
			return addr
		case "SLACK_SIGNING_SECRET":
			return secret
		}
		if v, ok := webEnv[k]; ok {
			return v
		}
		return env.Getenv(k)
	})
	if err != nil {
		ln.Close()
		fmt.Fprintf(env.Stderr, "switchboard demo: %v\n", err)
		return 2
	}
	srv, err := newServer(cfg, d.db, info, x)
	if err != nil {
		ln.Close()
		fmt.Fprintln(env.Stderr, "switchboard demo:", err)
		return 1
	}
	fmt.Fprintf(env.Stdout, "Serving Slack's endpoints over the demo catalog on http://%s/slack/{commands,interactions,events,options}; fake Slack Web API at %s. Ctrl-C stops.\n", ln.Addr(), fake.APIURL())
	fmt.Fprintf(env.Stdout, "Web catalog at %s/ (sign-in: %s).\n", cfg.Web.BaseURL, demoWebAuth(cfg.Web.Auth))
	_, token, err := d.store.CreateAPIToken(ctx, "demo", "demo")
	if err != nil {
		fmt.Fprintln(env.Stderr, "switchboard demo: API token:", err)
		return 1
	}
	fmt.Fprintf(env.Stdout, "JSON API on http://%[1]s/api/v1/ (described at /api/v1/openapi.json); MCP over streamable HTTP at http://%[1]s/mcp.\nDemo API token: %[2]s\nTry: curl -H \"Authorization: Bearer %[2]s\" http://%[1]s/api/v1/services/checkout-api\n", ln.Addr(), token)
	if err := srv.serve(ctx, ln); err != nil {
		fmt.Fprintln(env.Stderr, "switchboard demo:", err)
		return 1
	}
	return 0
}

// callSummary is a short rendering of a Web API call's parameters for the
// demo's log (never the token).
func callSummary(c fakeslack.Call) string {
	var parts []string
	if c.JSON != nil {
		for k, v := range c.JSON {
			if k == "token" || k == "blocks" || k == "view" {
				continue
			}
			parts = append(parts, fmt.Sprintf("%s=%v", k, v))
		}
	}
	for k, v := range c.Form {
		if k == "token" || k == "blocks" {
			continue
		}
		parts = append(parts, k+"="+strings.Join(v, ","))
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}

// printNotifier shows what a user would be told by direct message.
type printNotifier struct{ w io.Writer }

// Notify implements commands.Notifier.
func (p printNotifier) Notify(_ context.Context, userID string, resp commands.Response) error {
	if p.w == nil {
		return nil
	}
	fmt.Fprintf(p.w, "[direct message to %s]\n", userID)
	return shell.Render(p.w, resp)
}
