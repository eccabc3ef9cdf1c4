package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/gitlab"
	"github.com/switchboard-dev/switchboard/jobs"
	"github.com/switchboard-dev/switchboard/maven"
	"github.com/switchboard-dev/switchboard/reposync"
	"github.com/switchboard-dev/switchboard/standards"
)

// gitlabFromEnv returns the GitLab client GITLAB_URL and GITLAB_TOKEN
// describe; nil, nil when GITLAB_URL is unset. GITLAB_RATE_LIMIT, when
// set, is the requests per minute every replica together may send (see
// shareRateLimit).
func gitlabFromEnv(getenv func(string) string, log *slog.Logger) (*gitlab.Client, error) {
	url, token := strings.TrimSpace(getenv("GITLAB_URL")), strings.TrimSpace(getenv("GITLAB_TOKEN"))
	if url == "" {
		if token != "" {
			return nil, errors.New("GITLAB_TOKEN is set but GITLAB_URL is not: give the instance's address, e.g. https://gitlab.example.com")
		}
		return nil, nil
	}
	if !strings.HasPrefix(url, "http://") && !strings.HasPrefix(url, "https://") {
		return nil, errors.New("GITLAB_URL must be an http(s) URL, e.g. https://gitlab.example.com")
	}
	if token == "" {
		return nil, errors.New("GITLAB_TOKEN is not set: a token with read_api scope (and api for /service add merge requests)")
	}
	cfg := gitlab.Config{BaseURL: strings.TrimSuffix(url, "/"), Token: token, Logger: log}
	if v := strings.TrimSpace(getenv("GITLAB_RATE_LIMIT")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, errors.New("GITLAB_RATE_LIMIT must be a number of requests per minute, like 2000 (GitLab's authenticated API limit)")
		}
		cfg.SharedRate = gitlab.Rate{Limit: n, Window: time.Minute}
	}
	return gitlab.New(cfg)
}

// shareRateLimit makes client spend the rate limit every replica shares
// (GITLAB_RATE_LIMIT), kept in Postgres, when one is configured.
func shareRateLimit(client *gitlab.Client, pool *pgxpool.Pool) {
	r := client.SharedRate()
	if r.Limit <= 0 {
		return
	}
	// Small batches: what a replica took and did not send by the window's
	// end is lost to all.
	client.UseLimiter(catalog.NewRateBudget(pool, "gitlab", r.Limit, r.Window), min(max(r.Limit/50, 1), 20))
}

// newSyncer builds the sync over client, configured by the standards.
func newSyncer(client *gitlab.Client, store *catalog.Store, std *standards.Standards, log *slog.Logger, progress reposync.Progress, mvn *maven.Resolver) *reposync.Syncer {
	return reposync.New(client, store, reposync.Options{
		Groups: std.GitLab.Groups, SkipForks: std.GitLab.SkipForks, SkipArchived: std.GitLab.SkipArchived,
		Ignored: std.GitLab.Ignored, Rules: std.Rules(), Log: log, Progress: progress, Maven: mvn,
		SBOM:    reposync.SBOMArtifact{Job: std.Dependencies.SBOM.Job, Path: std.Dependencies.SBOM.Path},
		History: true,
	})
}

// addSync adds the sync's kinds of job to the replica's work (a repo's
// sync, a run, a destroyed project) and the cluster's schedules (a run
// every interval, the daily verification).
func addSync(w *work, syncer *reposync.Syncer, store *catalog.Store, interval time.Duration) {
	ws := reposync.NewWorkers(syncer, store)
	ws.Repo.Changed = w.repoChanged
	addWorker(w, ws.Repo)
	addWorker(w, ws.Run)
	addWorker(w, ws.Destroy)
	w.Periodic = append(w.Periodic, reposync.Periodic(interval)...)
}

// lazyJobs inserts jobs through the replica's River client, built on first
// use (once every kind of job was added).
type lazyJobs struct{ w *work }

// Insert implements reposync.Inserter.
func (l lazyJobs) Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	c, err := l.w.Client()
	if err != nil {
		return nil, err
	}
	return c.Insert(ctx, args, opts)
}

// runSync is "switchboard sync": one sync run now, with progress and a
// summary. The run is a River job like the cluster's: this process works
// it and its repos' jobs (replicas running serve take their share too),
// and waits for the run to finish. When a run of the same kind is already
// under way, it follows that one.
func runSync(ctx context.Context, args []string, env *Env) int {
	fs := flag.NewFlagSet("sync", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	var dbf dbFlags
	dbf.register(fs)
	full := fs.Bool("full", false, "read every project, not only those active since the last sync (after a first sync: compare every repo with GitLab)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	log := newLogger(env.Stderr, env, slog.LevelInfo)
	// Errors in the scorecard section alone do not stop the sync (which
	// grades nothing): they are logged, and a valid card is kept as the
	// last good one (chooseCard).
	ld, err := loadStandardsKeepingScorecard(env, log)
	if err != nil {
		fmt.Fprintln(env.Stderr, "switchboard sync:", err)
		return 2
	}
	std := ld.Standards
	client, err := gitlabFromEnv(env.Getenv, log)
	if err == nil && client == nil {
		err = errors.New("GITLAB_URL is not set: give the GitLab instance to sync from (and GITLAB_TOKEN)")
	}
	if err != nil {
		fmt.Fprintln(env.Stderr, "switchboard sync:", err)
		return 2
	}
	mvnCfg, err := loadMavenConfig(env.Getenv, std)
	if err != nil {
		fmt.Fprintln(env.Stderr, "switchboard sync:", err)
		return 2
	}
	db, err := openDatabase(ctx, dbf, env, log, "switchboard")
	if err != nil {
		fmt.Fprintln(env.Stderr, "switchboard sync:", err)
		return 1
	}
	defer db.Close()
	store := catalog.NewStore(db.Pool, log)
	if _, err := chooseCard(ctx, ld, store, log); err != nil {
		fmt.Fprintln(env.Stderr, "switchboard sync:", err)
		return 1
	}
	shareRateLimit(client, db.Pool)
	mvn, err := mvnCfg.resolver(db.Pool, nil)
	if err != nil {
		fmt.Fprintln(env.Stderr, "switchboard sync:", err)
		return 1
	}
	progress := newProgress(env.Stderr, log)
	run, err := syncOnce(ctx, store, newSyncer(client, store, std, log, progress, mvn), *full, log)
	progress.finish()
	if err != nil {
		fmt.Fprintln(env.Stderr, "switchboard sync:", err)
		return 1
	}
	printSummary(env.Stdout, run)
	if !run.Completed {
		fmt.Fprintln(env.Stderr, "switchboard sync:", run.Error)
		return 1
	}
	return 0
}

// syncOnce inserts a sync run, works jobs until it has finished, and
// returns it.
func syncOnce(ctx context.Context, store *catalog.Store, syncer *reposync.Syncer, full bool, log *slog.Logger) (catalog.SyncRun, error) {
	workers := river.NewWorkers()
	reposync.NewWorkers(syncer, store).Register(workers)
	jc, err := jobs.New(store.Pool(), jobs.Config{Workers: workers, Log: log})
	if err != nil {
		return catalog.SyncRun{}, err
	}
	if err := jc.Start(ctx); err != nil {
		return catalog.SyncRun{}, err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if ctx.Err() != nil {
			// Interrupted: the jobs go back to the queue for another
			// replica, or the next run.
			_ = jc.StopAndCancel(sctx)
			return
		}
		if err := jc.Stop(sctx); err != nil {
			log.Warn("stop background jobs", "err", err)
		}
	}()
	what := reposync.RunIncremental
	if full {
		what = reposync.RunFull
	}
	res, err := jc.Insert(ctx, reposync.RunArgs{What: what}, nil)
	if err != nil {
		return catalog.SyncRun{}, fmt.Errorf("queue the sync run: %w", err)
	}
	if res.UniqueSkippedAsDuplicate {
		log.Info("a sync run of this kind is already under way: following it", "job", res.Job.ID)
	}
	run, err := store.WaitSyncRun(ctx, res.Job.ID)
	if err != nil {
		return catalog.SyncRun{}, err
	}
	return run, nil
}

// printSummary writes what a run did: what was done to the repos listed,
// what the descriptors read were found to be, and what it cost.
func printSummary(w io.Writer, r catalog.SyncRun) {
	fmt.Fprintf(w, "repos seen %d: verified %d, changed %d, re-read %d, unchanged %d (not asked), ignored %d, already queued %d, failed %d\n",
		r.ReposSeen, r.Verified, r.Changed, r.Reread, r.Unchanged, r.Ignored, r.AlreadyQueued, r.Failed)
	fmt.Fprintf(w, "descriptors read %d: catalogued %d, invalid %d, missing %d, templates %d; services %d, conflicts %d, orphaned %d\n",
		r.Catalogued+r.Invalid+r.Missing+r.Templates, r.Catalogued, r.Invalid, r.Missing, r.Templates, r.Services, r.Conflicts, r.Orphaned)
	fmt.Fprintf(w, "dependency files unread: %d (recorded on their repos, read again at the next sync)\n", r.DependencyFilesUnread)
	fmt.Fprintf(w, "API requests %d, 429s %d; %s\n", r.Requests, r.RateLimited, r.FinishedAt.Sub(r.StartedAt).Round(time.Millisecond))
	for i, f := range r.Failures {
		if i == 20 {
			fmt.Fprintf(w, "  ...and %d more failures\n", r.Failed-20)
			break
		}
		fmt.Fprintln(w, "  failed:", f)
	}
}

// progress shows a sync's progress: a bar on a terminal (repos done /
// listed, rate, ETA), a log line every 5 s otherwise.
type progress struct {
	mu     sync.Mutex
	bar    *progressbar.ProgressBar
	log    *slog.Logger
	listed int
	done   int
	start  time.Time
	last   time.Time
}

func newProgress(w io.Writer, log *slog.Logger) *progress {
	p := &progress{log: log, start: time.Now(), last: time.Now()}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.bar = progressbar.NewOptions(-1,
			progressbar.OptionSetWriter(w), progressbar.OptionSetDescription("syncing repos"),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("repos"),
			progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionFullWidth(), progressbar.OptionClearOnFinish())
	}
	return p
}

// Listed implements reposync.Progress.
func (p *progress) Listed(total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.listed = total
	if p.bar != nil {
		p.bar.ChangeMax(total)
	}
}

// Done implements reposync.Progress.
func (p *progress) Done(string, reposync.Outcome) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	if p.bar != nil {
		_ = p.bar.Add(1)
		return
	}
	if time.Since(p.last) >= 5*time.Second {
		p.last = time.Now()
		rate := float64(p.done) / time.Since(p.start).Seconds()
		p.log.Info("sync progress", "done", p.done, "listed", p.listed, "repos_per_s", fmt.Sprintf("%.1f", rate))
	}
}

func (p *progress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}
