package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/slack-go/slack"

	"github.com/switchboard-dev/switchboard/advisories"
	"github.com/switchboard-dev/switchboard/api"
	"github.com/switchboard-dev/switchboard/bot"
	"github.com/switchboard-dev/switchboard/campaigns"
	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
	"github.com/switchboard-dev/switchboard/digest"
	"github.com/switchboard-dev/switchboard/gitlab"
	"github.com/switchboard-dev/switchboard/grading"
	"github.com/switchboard-dev/switchboard/pagerduty"
	"github.com/switchboard-dev/switchboard/reposync"
	"github.com/switchboard-dev/switchboard/standards"
	"github.com/switchboard-dev/switchboard/weblinks"
)

// serveConfig is the configuration of "switchboard serve", from the
// environment.
type serveConfig struct {
	// SyncInterval is how often the catalog is synced from GitLab.
	SyncInterval time.Duration
	// WebhookSecret is the X-Gitlab-Token GitLab's webhooks carry.
	WebhookSecret string
	BotToken      string
	AppToken      string
	SigningSecret string
	ListenAddr    string
	SlackAPIURL   string
	// OSVAPIURL is the OSV API /impact asks for advisories the store
	// lacks ("" for the default, "off" for none).
	OSVAPIURL string
	// Maven is where the sync resolves pom.xml files: MAVEN_REPOSITORIES
	// here, the standards file's repositories once runServe has read it.
	Maven mavenConfig
	// Web is the web catalog's configuration (web.go).
	Web webConfig
	// API is the JSON API's and MCP server's configuration (api.go).
	API apiConfig
}

// loadServeConfig reads and validates the environment. Every problem is
// reported, each naming its variable; no value of a secret is ever echoed.
func loadServeConfig(getenv func(string) string) (serveConfig, error) {
	c := serveConfig{
		AppToken:      strings.TrimSpace(getenv("SLACK_APP_TOKEN")),
		SigningSecret: strings.TrimSpace(getenv("SLACK_SIGNING_SECRET")),
		ListenAddr:    strings.TrimSpace(getenv("LISTEN_ADDR")),
	}
	errs := c.loadSlackAPI(getenv)
	c.OSVAPIURL = strings.TrimSpace(getenv(advisories.EnvAPIURL))
	if c.OSVAPIURL != "off" {
		if _, err := advisories.NewClient(c.OSVAPIURL, nil); err != nil {
			errs = append(errs, err)
		}
	}
	var err error
	if c.Maven, err = loadMavenConfig(getenv, nil); err != nil {
		errs = append(errs, err)
	}
	if c.Web, err = loadWebConfig(getenv); err != nil {
		errs = append(errs, err)
	}
	if c.API, err = loadAPIConfig(getenv); err != nil {
		errs = append(errs, err)
	}
	if c.AppToken != "" && !strings.HasPrefix(c.AppToken, "xapp-") {
		errs = append(errs, errors.New("SLACK_APP_TOKEN must start with xapp- (an app-level token with connections:write)"))
	}
	if c.AppToken == "" && c.SigningSecret == "" {
		errs = append(errs, errors.New("set SLACK_APP_TOKEN (Socket Mode, no public endpoint) or SLACK_SIGNING_SECRET (HTTP mode), or both"))
	}
	if c.SigningSecret != "" && len(c.SigningSecret) < 16 {
		errs = append(errs, errors.New("SLACK_SIGNING_SECRET is too short to be a Slack signing secret (see Basic Information > App Credentials)"))
	}
	if c.ListenAddr == "" {
		c.ListenAddr = ":8080"
	}
	c.WebhookSecret = strings.TrimSpace(getenv("GITLAB_WEBHOOK_SECRET"))
	if c.WebhookSecret != "" && strings.TrimSpace(getenv("GITLAB_URL")) == "" {
		errs = append(errs, errors.New("GITLAB_WEBHOOK_SECRET is set but GITLAB_URL is not: webhooks re-sync repos from GitLab, so give the instance's address too"))
	}
	c.SyncInterval = 15 * time.Minute
	if v := strings.TrimSpace(getenv("SYNC_INTERVAL")); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Minute {
			errs = append(errs, errors.New("SYNC_INTERVAL must be a duration of at least 1m, like 15m or 1h"))
		} else {
			c.SyncInterval = d
		}
	}
	if _, _, err := net.SplitHostPort(c.ListenAddr); err != nil {
		errs = append(errs, fmt.Errorf("LISTEN_ADDR must be host:port, like :8080 or 127.0.0.1:8080: %w", err))
	}
	return c, errors.Join(errs...)
}

// loadSlackAPI reads and checks SLACK_BOT_TOKEN and SLACK_API_URL into c.
func (c *serveConfig) loadSlackAPI(getenv func(string) string) []error {
	c.BotToken = strings.TrimSpace(getenv("SLACK_BOT_TOKEN"))
	c.SlackAPIURL = strings.TrimSpace(getenv("SLACK_API_URL"))
	var errs []error
	switch {
	case c.BotToken == "":
		errs = append(errs, errors.New("SLACK_BOT_TOKEN is not set: give the bot token from the Slack app's OAuth & Permissions page (xoxb-...)"))
	case !strings.HasPrefix(c.BotToken, "xoxb-"):
		errs = append(errs, errors.New("SLACK_BOT_TOKEN must start with xoxb- (a bot token, not a user or app token)"))
	}
	if c.SlackAPIURL != "" {
		u, err := url.Parse(c.SlackAPIURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, errors.New("SLACK_API_URL must be an http(s) URL such as https://slack.com/api/"))
		} else if !strings.HasSuffix(c.SlackAPIURL, "/") {
			c.SlackAPIURL += "/"
		}
	}
	return errs
}

// slackClient returns the Web API client the configuration describes.
func (c serveConfig) slackClient() *slack.Client {
	opts := []slack.Option{}
	if c.SlackAPIURL != "" {
		opts = append(opts, slack.OptionAPIURL(c.SlackAPIURL))
	}
	if c.AppToken != "" {
		opts = append(opts, slack.OptionAppLevelToken(c.AppToken))
	}
	return slack.New(c.BotToken, opts...)
}

// slackAPIFromEnv is the Web API client of SLACK_BOT_TOKEN and
// SLACK_API_URL, for commands that only post (digest --post).
func slackAPIFromEnv(getenv func(string) string) (*slack.Client, error) {
	var c serveConfig
	if errs := c.loadSlackAPI(getenv); len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return c.slackClient(), nil
}

// runServe is "switchboard serve": the bot, until SIGINT or SIGTERM.
func runServe(ctx context.Context, args []string, env *Env) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	var dbf dbFlags
	dbf.register(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg, err := loadServeConfig(env.Getenv)
	if err != nil {
		fmt.Fprintf(env.Stderr, "switchboard serve: configuration:\n  %s\n", strings.ReplaceAll(err.Error(), "\n", "\n  "))
		return 2
	}
	log := newLogger(env.Stderr, env, slog.LevelInfo)
	// Every configuration error is found before the database is touched:
	// a wrong variable must not cost a migration, nor start a server.
	pd, err := pagerDutyFromEnv(env.Getenv, log)
	if err != nil {
		fmt.Fprintln(env.Stderr, "switchboard serve: configuration:", err)
		return 2
	}
	// Errors in the scorecard section alone do not stop serve: the last
	// good scorecard stays in force (chooseCard, once the database is open).
	ld, err := loadStandardsKeepingScorecard(env, log)
	if err != nil {
		fmt.Fprintln(env.Stderr, "switchboard serve:", err)
		return 2
	}
	std := ld.Standards
	if cfg.Maven, err = loadMavenConfig(env.Getenv, std); err != nil {
		fmt.Fprintln(env.Stderr, "switchboard serve: configuration:", err)
		return 2
	}
	gl, err := gitlabFromEnv(env.Getenv, log)
	if err != nil {
		fmt.Fprintln(env.Stderr, "switchboard serve: configuration:", err)
		return 2
	}
	db, err := openDatabase(ctx, dbf, env, log, "switchboard")
	if err != nil {
		fmt.Fprintln(env.Stderr, "switchboard serve:", err)
		return 1
	}
	defer db.Close()
	card, err := chooseCard(ctx, ld, catalog.NewStore(db.Pool, log), log)
	if err != nil {
		fmt.Fprintln(env.Stderr, "switchboard serve:", err)
		return 1
	}
	std = card.apply(std)
	srv, err := newServer(cfg, db, log, extras{pagerduty: pd, standards: std, teamDigests: true, scorecardNotice: card.Notice})
	if err != nil {
		fmt.Fprintln(env.Stderr, "switchboard serve:", err)
		return 1
	}
	if err := srv.withGitLab(gl, std, log); err != nil {
		fmt.Fprintln(env.Stderr, "switchboard serve:", err)
		return 1
	}
	ln, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		fmt.Fprintf(env.Stderr, "switchboard serve: LISTEN_ADDR %s: %v\n", cfg.ListenAddr, err)
		return 1
	}
	if err := srv.serve(ctx, ln); err != nil {
		fmt.Fprintln(env.Stderr, "switchboard serve:", err)
		return 1
	}
	return 0
}

// server is a running bot: HTTP endpoints, Socket Mode, background chores.
type server struct {
	cfg       serveConfig
	store     *catalog.Store
	cache     *catalog.Cache
	pagerduty *pagerduty.Client
	// directory is Slack's directory of people, shared by the commands,
	// the bot and the roster refresh.
	directory *bot.Directory
	bot       *bot.Bot
	http      *http.Server
	mux       *http.ServeMux
	log       *slog.Logger
	// work is the replica's background work on River: the kinds of job it
	// works and the cluster's schedules (see jobs_wiring.go).
	work *work
	// tokens is the API's token cache (nil without an API), which hears
	// revocations while it runs.
	tokens *api.TokenCache
}

// extras are the optional parts of a server.
type extras struct {
	pagerduty *pagerduty.Client
	standards *standards.Standards
	// teamDigests posts each team's part of the digest to its channel too.
	teamDigests bool
	// scorecardNotice is what /scorecard says while the standards file's
	// scorecard section has errors (cardInForce.Notice).
	scorecardNotice string
}

func newServer(cfg serveConfig, db *database, log *slog.Logger, x extras) (*server, error) {
	store := catalog.NewStore(db.Pool, log)
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	cache := catalog.NewCache(store)
	api := cfg.slackClient()
	w := newWork(db.Pool, reg, log)
	// One straight line: the Slack client, the directory of people over it,
	// the commands over the directory, the bot over the commands.
	metrics := bot.NewMetrics(reg)
	directory := bot.NewDirectory(api, metrics, log)
	d := deps{log: log, store: store, lookups: cache, pagerduty: x.pagerduty, standards: x.standards,
		scorecardNotice: x.scorecardNotice, slackUsers: directory, directMessages: directory, slackProfiles: directory,
		links: weblinks.New(cfg.Web.BaseURL)}
	if cfg.OSVAPIURL != "off" {
		osv, err := advisories.NewClient(cfg.OSVAPIURL, nil)
		if err != nil {
			return nil, err
		}
		d.osv = osv
	}
	if x.standards != nil && len(x.standards.Paging.AllowedUsergroups) > 0 {
		d.pagePolicy = directory.PagePolicy(x.standards.Paging.AllowedUsergroups)
	}
	if x.standards != nil && len(x.standards.Campaigns.AllowedUsergroups) > 0 {
		d.campaignPolicy = directory.PagePolicy(x.standards.Campaigns.AllowedUsergroups)
	}
	if x.standards != nil && len(x.standards.API.TokenAdminsUsergroups) > 0 {
		d.tokenAdmins = directory.PagePolicy(x.standards.API.TokenAdminsUsergroups)
	}
	d.queueCampaignSweep = func(ctx context.Context) error {
		c, err := w.Client() // built when serve starts, before any request
		if err != nil {
			return err
		}
		return campaigns.QueueSweep(ctx, c)
	}
	// The bot is built over the router: the notices reach it once it is.
	var b *bot.Bot
	d.notices = commands.PublisherFunc(func(ctx context.Context, channel string, resp commands.Response) error {
		return b.Notify(ctx, channel, resp)
	})
	router := newRouter(d)
	b, err := bot.New(bot.Config{
		SigningSecret: cfg.SigningSecret,
		API:           api,
		Directory:     directory,
		Commands:      router,
		Deliveries:    store,
		Home:          newHome(d).Build,
		Metrics:       metrics,
		Log:           log,
		Ready: func(ctx context.Context) error {
			applied, latest, err := catalog.SchemaVersion(ctx, db.Pool)
			if err != nil {
				return fmt.Errorf("database: %w", err)
			}
			if applied != latest {
				return fmt.Errorf("database schema at version %d of %d", applied, latest)
			}
			return nil
		},
	})
	if err != nil {
		return nil, err
	}
	if x.standards != nil {
		poster := digest.NewPoster(store, digest.PublisherFunc(b.Notify), x.standards, log)
		poster.TeamDigests = x.teamDigests
		addDigest(w, poster, log)
	}
	addChores(w, store, log)
	addCoverageSnapshots(w, digest.Source{Store: store, Standards: x.standards}, store, log)
	if x.standards != nil && x.standards.Scorecard != nil {
		if err := addScorecard(w, store, x.standards.Scorecard, x.pagerduty, grading.PublisherFunc(b.Notify), log); err != nil {
			return nil, err
		}
	}
	addCampaigns(w, store, b, log)
	addIncidents(w, store, x.pagerduty, x.standards, log)
	if x.pagerduty != nil {
		pages := commands.PageConfig{Catalog: cache, Pages: store, Pager: x.pagerduty, Log: log, Links: d.links}
		addPageLookups(w, store, commands.NewPageLookups(pages, b.AnswerAt), log)
	}
	// One mux with every route under its method, and no catch-all: a known
	// path asked with the wrong method is 405 with Allow, an unknown one 404.
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	for _, prefix := range []string{"/slack/", "/healthz", "/readyz"} {
		mux.Handle(prefix, b.Handler())
	}
	if err := mountWeb(mux, cfg, d, router); err != nil {
		return nil, err
	}
	tokens, err := mountAPI(mux, cfg, d)
	if err != nil {
		return nil, err
	}
	return &server{
		work: w,
		cfg:  cfg, store: store, cache: cache, tokens: tokens, pagerduty: x.pagerduty, directory: directory, bot: b, log: log, mux: mux,
		http: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second},
	}, nil
}

// serve runs until ctx ends, then shuts down gracefully: it stops taking
// requests, lets in-flight ones and the answers still owed finish (up to
// 25 s), and returns.
func (s *server) serve(ctx context.Context, ln net.Listener) error {
	// The jobs' client first: requests insert jobs through it (a
	// registration's merge request, a page's lookups, a webhook), so it is
	// built before the first request, and a replica that cannot work jobs
	// does not serve.
	if err := s.work.start(ctx); err != nil {
		return err
	}
	errc := make(chan error, 2)
	go func() {
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("http: %w", err)
		}
	}()
	mode := []string{}
	if s.cfg.SigningSecret != "" {
		mode = append(mode, "http")
	}
	if s.cfg.AppToken != "" {
		mode = append(mode, "socket")
		go func() { _ = s.bot.RunSocketMode(ctx) }()
	}
	go func() { _ = s.cache.Run(ctx) }()
	if s.tokens != nil {
		go func() { _ = s.tokens.Run(ctx) }()
	}
	s.log.Info("switchboard serving", "addr", ln.Addr().String(), "slack", strings.Join(mode, "+"))

	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	s.log.Info("shutting down: finishing in-flight work")
	sctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	if herr := s.http.Shutdown(sctx); herr != nil {
		s.log.Warn("http shutdown", "err", herr)
	}
	if berr := s.bot.Shutdown(sctx); berr != nil {
		s.log.Warn("bot shutdown", "err", berr)
	}
	if werr := s.work.stop(sctx); werr != nil {
		s.log.Warn("background jobs shutdown", "err", werr)
	}
	s.log.Info("stopped")
	return err
}

// withGitLab adds, when there is a GitLab client (GITLAB_URL is set), the
// sync's jobs and the cluster's sync schedules (sync.go) and, when
// GITLAB_WEBHOOK_SECRET is set too, POST /gitlab/webhook, which queues jobs.
func (s *server) withGitLab(client *gitlab.Client, std *standards.Standards, log *slog.Logger) error {
	if client == nil {
		return nil
	}
	shareRateLimit(client, s.store.Pool())
	mvn, err := s.cfg.Maven.resolver(s.store.Pool(), nil)
	if err != nil {
		return err
	}
	syncer := newSyncer(client, s.store, std, log, nil, mvn)
	addSync(s.work, syncer, s.store, s.cfg.SyncInterval)
	roster := newRosterSyncer(s.store, client, s.pagerduty, s.directory, log)
	addRosters(s.work, roster, s.cfg.SyncInterval, log)
	addMergeRequests(s.work, s.store, &commands.MRWorker{Queue: s.store, GitLab: client, Notify: s.bot, Log: log})
	if s.cfg.WebhookSecret != "" {
		hook, err := reposync.NewWebhook(s.cfg.WebhookSecret, lazyJobs{s.work}, s.store, log)
		if err != nil {
			return err
		}
		hook.RecordChangesTo(s.store)
		s.mux.Handle("POST /gitlab/webhook", hook)
	}
	return nil
}
