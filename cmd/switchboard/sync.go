package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/gitlab"
	"github.com/switchboard-dev/switchboard/reposync"
	"github.com/switchboard-dev/switchboard/standards"
)

// loadStandards reads SWITCHBOARD_CONFIG, or the embedded default.
func loadStandards(env *Env, log *slog.Logger) (*standards.Standards, error) {
	path := env.Getenv("SWITCHBOARD_CONFIG")
	std, findings, err := standards.Load(path)
	for _, f := range findings {
		if log != nil {
			log.Warn("standards file", "finding", f.String())
		}
	}
	if err != nil {
		return nil, fmt.Errorf("SWITCHBOARD_CONFIG: %w (run switchboard config check %s)", err, path)
	}
	return std, nil
}

// gitlabFromEnv returns the GitLab client GITLAB_URL and GITLAB_TOKEN
// describe; nil, nil when GITLAB_URL is unset.
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
	return gitlab.New(gitlab.Config{BaseURL: strings.TrimSuffix(url, "/"), Token: token, Logger: log})
}

// newSyncer builds the sync over client, configured by the standards.
func newSyncer(client *gitlab.Client, store *catalog.Store, std *standards.Standards, log *slog.Logger, progress reposync.Progress) *reposync.Syncer {
	return reposync.New(client, store, reposync.Options{
		Groups: std.GitLab.Groups, SkipForks: std.GitLab.SkipForks, SkipArchived: std.GitLab.SkipArchived,
		Ignored: std.GitLab.Ignored, Rules: std.Rules(), Log: log, Progress: progress,
	})
}

// syncLock is the cluster-wide lock that keeps syncs one at a time.
func syncLock(pool *pgxpool.Pool) reposync.Locker {
	return func(ctx context.Context) (func(), bool, error) { return catalog.TryLock(ctx, pool, "sync") }
}

// runSync is "switchboard sync": one sync now, with progress and a summary.
func runSync(ctx context.Context, args []string, env *Env) int {
	fs := flag.NewFlagSet("sync", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	var dbf dbFlags
	dbf.register(fs)
	full := fs.Bool("full", false, "read every project, not only those active since the last sync")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	log := newLogger(env.Stderr, env, slog.LevelInfo)
	std, err := loadStandards(env, log)
	if err != nil {
		fmt.Fprintln(env.Stderr, "switchboard sync:", err)
		return 2
	}
	client, err := gitlabFromEnv(env.Getenv, log)
	if err == nil && client == nil {
		err = errors.New("GITLAB_URL is not set: give the GitLab instance to sync from (and GITLAB_TOKEN)")
	}
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
	progress := newProgress(env.Stderr, log)
	syncer := newSyncer(client, store, std, log, progress)
	sum, err := syncer.Once(ctx, store, syncLock(db.Pool), *full)
	progress.finish()
	printSummary(env.Stdout, sum)
	if err != nil {
		fmt.Fprintln(env.Stderr, "switchboard sync:", err)
		return 1
	}
	return 0
}

func printSummary(w io.Writer, s reposync.Summary) {
	fmt.Fprintf(w, "repos seen %d: catalogued %d, invalid %d, missing %d, templates %d, unchanged %d, ignored %d, failed %d\n",
		s.Seen, s.Catalogued, s.Invalid, s.Missing, s.Templates, s.Unchanged, s.Ignored, s.Failed)
	fmt.Fprintf(w, "services %d, conflicts %d, orphaned %d; API requests %d, 429s %d; %s\n",
		s.Services, s.Conflicts, s.Orphaned, s.Requests, s.RateLimited, s.Duration.Round(time.Millisecond))
	for i, f := range s.Failures {
		if i == 20 {
			fmt.Fprintf(w, "  ...and %d more failures\n", len(s.Failures)-20)
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
