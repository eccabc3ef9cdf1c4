package reposync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/gitlab"
	"github.com/switchboard-dev/switchboard/jobs"
)

// The sync as River jobs, taken by any replica:
//
//   - RunArgs: a sync run (the cluster's schedule, every SYNC_INTERVAL; the
//     daily verification; switchboard sync) lists the projects and enqueues
//     a RepoArgs job for each repo that needs work, in batches;
//   - RepoArgs: one repo's sync, from a run or from a webhook. Unique per
//     (project, generation) while it waits or runs: a burst of pushes is one
//     job, and a push while one runs queues exactly one more (see
//     catalog.Store.BeginRepoSync), which waits for the running one;
//   - DestroyArgs: a project GitLab destroyed (a system hook).
//
// A replica that dies while working one of them loses nothing: its jobs go
// back to available (jobs.Rescue) and another replica runs them again; a
// repo's sync is idempotent, and a run records each repo once.

// Job priorities: a webhook's repo before a run's thousands.
const (
	priorityWebhook = 1
	priorityRun     = 2
)

// Timeouts of the jobs (their context ends then; River retries them).
const (
	// RepoTimeout bounds one repo's sync: a tree of a few thousand paths and
	// a dozen files, with retries of 5xx and 429 waits.
	RepoTimeout = 2 * time.Minute
	// RunTimeout bounds a run's listing and enqueueing (6,000 projects is
	// 60 pages).
	RunTimeout = 10 * time.Minute
	// DestroyTimeout bounds marking a destroyed project.
	DestroyTimeout = 30 * time.Second
)

// WebhookSettle is how long a webhook's job lets pushes settle before it
// reads GitLab: every push to the project in that time joins the job (it
// is unique while it waits and runs, until it begins), so a burst of pushes
// costs one comparison, two when it outlasts the first job's settling.
// (Not River's scheduled jobs: those become available only when River's
// leader looks, every 5 s.)
const WebhookSettle = 500 * time.Millisecond

// busyPoll is how often a repo's job looks again whether the earlier job
// of its project that it waits for has ended.
const busyPoll = 100 * time.Millisecond

// insertBatch is how many repo jobs a run inserts at once.
const insertBatch = 500

// uniqueWhilePending makes a job unique by its args while it waits or runs.
var uniqueWhilePending = river.UniqueOpts{ByArgs: true, ByState: jobs.WhileQueued}

// RepoArgs is one repo's sync.
type RepoArgs struct {
	ProjectID int64 `json:"project_id" river:"unique"`
	// Gen is the project's sync generation when the job was inserted.
	Gen int64 `json:"gen" river:"unique"`
	// Run is the run that enqueued the job; 0 for a webhook's.
	Run int64 `json:"run,omitempty"`
	// Project is the project as the run listed it (saving a request); nil:
	// the job asks GitLab, and compares the repo whatever its activity.
	Project *Listed `json:"project,omitempty"`
	// Verify compares the repo with GitLab even if its activity has not
	// moved (the daily verification).
	Verify bool `json:"verify,omitempty"`
}

// Kind implements river.JobArgs.
func (RepoArgs) Kind() string { return "reposync_repo" }

// Listed is what a repo's sync reads of a project as listed: the job's
// copy, no more (each job's row is written three times).
type Listed struct {
	ID             int64     `json:"id"`
	Path           string    `json:"path"`
	DefaultBranch  string    `json:"default_branch,omitempty"`
	WebURL         string    `json:"web_url,omitempty"`
	Archived       bool      `json:"archived,omitempty"`
	Forked         bool      `json:"forked,omitempty"`
	EmptyRepo      bool      `json:"empty_repo,omitempty"`
	LastActivityAt time.Time `json:"last_activity_at"`
}

func listed(p gitlab.Project) *Listed {
	return &Listed{ID: p.ID, Path: p.Path, DefaultBranch: p.DefaultBranch, WebURL: p.WebURL, Archived: p.Archived,
		Forked: p.Forked, EmptyRepo: p.EmptyRepo, LastActivityAt: p.LastActivityAt}
}

func (l *Listed) project() gitlab.Project {
	return gitlab.Project{ID: l.ID, Path: l.Path, DefaultBranch: l.DefaultBranch, WebURL: l.WebURL, Archived: l.Archived,
		Forked: l.Forked, EmptyRepo: l.EmptyRepo, LastActivityAt: l.LastActivityAt}
}

// InsertOpts implements river.JobArgsWithInsertOpts.
func (RepoArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 5, Priority: priorityWebhook, UniqueOpts: uniqueWhilePending}
}

// Run kinds.
const (
	// RunIncremental reads the projects active since the last completed
	// run (all of them when none has completed).
	RunIncremental = "incremental"
	// RunFull reads every project; after a completed run, it verifies
	// every repo (as RunVerify).
	RunFull = "full"
	// RunVerify compares every repo with GitLab.
	RunVerify = "verify"
)

// RunArgs is a sync run.
type RunArgs struct {
	// What is RunIncremental, RunFull or RunVerify.
	What string `json:"what" river:"unique"`
	// Daily marks the cluster's daily verification: skipped when a
	// verification completed less than 20 hours before.
	Daily bool `json:"daily,omitempty" river:"unique"`
}

// Kind implements river.JobArgs.
func (RunArgs) Kind() string { return "reposync_run" }

// InsertOpts implements river.JobArgsWithInsertOpts: one run of each kind
// at a time.
func (RunArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 3, UniqueOpts: uniqueWhilePending}
}

// DestroyArgs is a project GitLab destroyed.
type DestroyArgs struct {
	ProjectID int64 `json:"project_id" river:"unique"`
}

// Kind implements river.JobArgs.
func (DestroyArgs) Kind() string { return "reposync_destroy" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (DestroyArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 10, UniqueOpts: uniqueWhilePending}
}

// JobStore is what the jobs keep in the catalog; *catalog.Store is one.
type JobStore interface {
	Store
	Gens
	BeginRepoSync(ctx context.Context, jobID, gitlabID int64) (bool, catalog.RepoState, error)
	EndRepoSync(ctx context.Context, jobID, gitlabID int64) error
	MarkRepoDeleted(ctx context.Context, gitlabID int64) ([]string, error)
	StartSyncRun(ctx context.Context, k catalog.SyncRunKey) (catalog.SyncRun, error)
	ListedSyncRun(ctx context.Context, id int64, l catalog.RunListing) (bool, error)
	RecordRunRepo(ctx context.Context, id, jobID int64, r catalog.RunRepo) (bool, error)
	RunRepoIDs(ctx context.Context, id int64) (map[int64]bool, error)
	FinishSyncRun(ctx context.Context, id int64, runErr string) error
	LastCompletedSync(ctx context.Context) (time.Time, error)
	LastCompletedVerify(ctx context.Context) (time.Time, error)
}

// Gens reads projects' sync generations; *catalog.Store is one.
type Gens interface {
	SyncGens(ctx context.Context, ids ...int64) (map[int64]int64, error)
}

// Workers are the sync's kinds of job; register each with River.
type Workers struct {
	Repo    *RepoWorker
	Run     *RunWorker
	Destroy *DestroyWorker
}

// NewWorkers returns the workers of the sync's jobs over s and store.
func NewWorkers(s *Syncer, store JobStore) *Workers {
	return &Workers{
		Repo:    &RepoWorker{syncer: s, store: store},
		Run:     &RunWorker{syncer: s, store: store},
		Destroy: &DestroyWorker{store: store, syncer: s},
	}
}

// Register adds the workers to w.
func (ws *Workers) Register(w *river.Workers) {
	river.AddWorker(w, ws.Repo)
	river.AddWorker(w, ws.Run)
	river.AddWorker(w, ws.Destroy)
}

// RepoWorker works RepoArgs.
type RepoWorker struct {
	river.WorkerDefaults[RepoArgs]
	syncer *Syncer
	store  JobStore
	// Changed, when set, is called once a sync stored a change of the
	// repo (the scorecard queues its services' grading: grading.QueueGrade);
	// its failure is logged, not the sync's.
	Changed func(ctx context.Context, gitlabID int64) error
}

// Timeout implements river.Worker.
func (w *RepoWorker) Timeout(*river.Job[RepoArgs]) time.Duration { return RepoTimeout }

// Work implements river.Worker.
func (w *RepoWorker) Work(ctx context.Context, job *river.Job[RepoArgs]) error {
	a := job.Args
	if a.Project == nil {
		if err := sleep(ctx, time.Until(job.CreatedAt.Add(WebhookSettle))); err != nil {
			return err
		}
	}
	// Wait for another job of the project still syncing it (a push while
	// it ran queued this one): two syncs of one repo at once could store
	// the older commit last.
	var known catalog.RepoState
	for {
		ok, k, err := w.store.BeginRepoSync(ctx, job.ID, a.ProjectID)
		if err != nil {
			return err
		}
		if ok {
			known = k
			break
		}
		if err := sleep(ctx, busyPoll); err != nil {
			return err
		}
	}
	ended := false
	defer func() {
		if !ended {
			ectx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			if err := w.store.EndRepoSync(ectx, job.ID, a.ProjectID); err != nil {
				w.syncer.log.Warn("end of a repo's sync not recorded", "project", a.ProjectID, "err", err)
			}
		}
	}()
	var err error
	ctr := &gitlab.Counter{}
	gctx := gitlab.WithCounter(ctx, ctr)
	s := w.syncer
	var r RepoResult
	var syncErr error
	var p gitlab.Project
	if a.Project != nil {
		p = a.Project.project()
	} else if p, err = s.src.Project(gctx, a.ProjectID); errors.Is(err, gitlab.ErrNotFound) {
		// Gone since the hook was sent: a destroy hook follows, or was lost.
		if _, err := w.store.MarkRepoDeleted(ctx, a.ProjectID); err != nil && !errors.Is(err, catalog.ErrNotFound) {
			return err
		}
		s.log.Info("project not found at GitLab: marked deleted", "project", a.ProjectID)
		return nil
	} else if err != nil {
		if job.Attempt < job.MaxAttempts {
			return fmt.Errorf("project %d: %w", a.ProjectID, err)
		}
		p, syncErr, r = gitlab.Project{ID: a.ProjectID}, err, RepoResult{Outcome: OutcomeFailed, Work: WorkFailed}
	}
	if syncErr == nil {
		r, syncErr = s.repo(gctx, p, known, a.Verify || a.Project == nil)
	}
	if syncErr != nil {
		var se *storeError
		if ctx.Err() != nil || errors.As(syncErr, &se) && job.Attempt < job.MaxAttempts {
			return syncErr
		}
	}
	if w.Changed != nil && syncErr == nil && (r.Work == WorkChanged || r.Work == WorkReread) {
		if err := w.Changed(ctx, a.ProjectID); err != nil {
			s.log.Warn("a synced change not passed on", "project", p.Path, "err", err)
		}
	}
	if s.opts.Progress != nil {
		s.opts.Progress.Done(p.Path, r.Outcome)
	}
	if a.Run == 0 {
		s.log.Info("gitlab webhook: project synced", "project", p.Path, "work", r.Work, "outcome", r.Outcome, "err", syncErr)
		return nil
	}
	rec := catalog.RunRepo{
		GitLabID: a.ProjectID, Path: p.Path, Work: string(r.Work), Services: r.Applied.Services,
		Conflicts: len(r.Applied.Conflicts), Orphaned: len(r.Applied.Orphaned),
		DependencyFilesUnread: r.DependencyFilesUnread,
		Requests:              ctr.Requests(), RateLimited: ctr.RateLimited(),
	}
	if r.Described {
		rec.Outcome = string(r.Outcome)
	}
	if syncErr != nil {
		rec.Error = syncErr.Error()
	}
	last, err := w.store.RecordRunRepo(ctx, a.Run, job.ID, rec)
	if err != nil {
		return err
	}
	ended = true
	if last {
		return w.store.FinishSyncRun(ctx, a.Run, "")
	}
	return nil
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// RunWorker works RunArgs.
type RunWorker struct {
	river.WorkerDefaults[RunArgs]
	syncer *Syncer
	store  JobStore
}

// Timeout implements river.Worker.
func (w *RunWorker) Timeout(*river.Job[RunArgs]) time.Duration { return RunTimeout }

// dailyEvery is how recent a verification makes the daily one needless.
const dailyEvery = 20 * time.Hour

// Work implements river.Worker.
func (w *RunWorker) Work(ctx context.Context, job *river.Job[RunArgs]) error {
	s, a := w.syncer, job.Args
	last, err := w.store.LastCompletedSync(ctx)
	if err != nil {
		return err
	}
	kind, verify, since := a.What, false, time.Time{}
	switch a.What {
	case RunIncremental:
		if last.IsZero() {
			kind = RunFull
		} else {
			// GitLab's last_activity_at is coarse and clocks differ: look
			// back a little further than the last run's start.
			since = last.Add(-10 * time.Minute)
		}
	case RunFull:
		verify = !last.IsZero()
	case RunVerify:
		verify = true
		if a.Daily {
			lastVerify, err := w.store.LastCompletedVerify(ctx)
			if err != nil {
				return err
			}
			if last.IsZero() || time.Since(lastVerify) < dailyEvery {
				s.log.Debug("daily verification skipped: none needed yet", "last", lastVerify)
				return nil
			}
		}
	default:
		return river.JobCancel(fmt.Errorf("unknown sync run kind %q", a.What))
	}
	run, err := w.store.StartSyncRun(ctx, catalog.SyncRunKey{JobID: job.ID, Kind: kind, At: time.Now()})
	if err != nil {
		return err
	}
	if !run.FinishedAt.IsZero() {
		return nil
	}
	client, err := river.ClientFromContextSafely[pgx.Tx](ctx)
	if err != nil {
		return fmt.Errorf("sync run: %w", err)
	}
	// A run listed again (its job ran before and did not finish: its
	// replica died, say) must count every repo once: see enqueue.
	l, listErr := w.enqueue(ctx, client, run.ID, since, verify, job.Attempt > 1)
	if listErr != nil {
		if ctx.Err() != nil {
			return listErr // stopping: run again (here or elsewhere)
		}
		s.log.Error("sync run: listing failed", "run", run.ID, "err", listErr)
		return w.store.FinishSyncRun(context.WithoutCancel(ctx), run.ID, listErr.Error())
	}
	done, err := w.store.ListedSyncRun(ctx, run.ID, l)
	if err != nil {
		return err
	}
	s.log.Info("sync run listed", "run", run.ID, "kind", kind, "seen", l.Seen, "queued", l.Queued,
		"already_queued", l.AlreadyQueued, "unchanged", l.Unchanged, "ignored", l.Ignored)
	if done {
		return w.store.FinishSyncRun(ctx, run.ID, "")
	}
	return nil
}

// enqueue lists the projects and inserts a job for each repo that needs
// work, in batches, as the pages come.
//
// again is a run listed once more: repos it has recorded already are counted
// queued (done), and no repo is skipped as unchanged, since one may be
// unchanged only because this run's own job synced it and has not yet
// recorded it; counting it unchanged would let the run finish before that
// job records it. Every listed repo is then recorded once by some job.
func (w *RunWorker) enqueue(ctx context.Context, client *river.Client[pgx.Tx], runID int64, since time.Time, verify, again bool) (catalog.RunListing, error) {
	s := w.syncer
	var l catalog.RunListing
	known, err := w.store.RepoStates(ctx)
	if err != nil {
		return l, err
	}
	recorded := map[int64]bool{}
	if again {
		if recorded, err = w.store.RunRepoIDs(ctx, runID); err != nil {
			return l, err
		}
	}
	gens, err := w.store.SyncGens(ctx)
	if err != nil {
		return l, err
	}
	ctr := &gitlab.Counter{}
	batch := make([]river.InsertManyParams, 0, insertBatch)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		res, err := client.InsertMany(ctx, batch)
		if err != nil {
			return fmt.Errorf("enqueue repo jobs: %w", err)
		}
		for _, r := range res {
			if !r.UniqueSkippedAsDuplicate {
				l.Queued++
				continue
			}
			// Waiting already: this run's own job (a run that ran again),
			// or another's (a webhook's), which does the same work.
			var prior RepoArgs
			if err := json.Unmarshal(r.Job.EncodedArgs, &prior); err == nil && prior.Run == runID {
				l.Queued++
			} else {
				l.AlreadyQueued++
			}
		}
		batch = batch[:0]
		return nil
	}
	opts := &river.InsertOpts{Priority: priorityRun}
	err = s.src.ListProjects(gitlab.WithCounter(ctx, ctr), s.listOptions(since), func(p gitlab.Project) error {
		l.Seen++
		if s.opts.Progress != nil {
			s.opts.Progress.Listed(l.Seen)
		}
		switch k := known[p.ID]; {
		case s.opts.Ignored(p.Path):
			l.Ignored++
			return nil
		case recorded[p.ID]:
			l.Queued++ // and done
			return nil
		case !verify && !again && unchanged(p, k):
			l.Unchanged++
			return nil
		}
		batch = append(batch, river.InsertManyParams{
			Args:       RepoArgs{ProjectID: p.ID, Gen: gens[p.ID], Run: runID, Project: listed(p), Verify: verify},
			InsertOpts: opts,
		})
		if len(batch) >= insertBatch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	l.Requests, l.RateLimited = ctr.Requests(), ctr.RateLimited()
	if err != nil {
		return l, fmt.Errorf("list projects: %w", err)
	}
	return l, nil
}

// DestroyWorker works DestroyArgs.
type DestroyWorker struct {
	river.WorkerDefaults[DestroyArgs]
	store  JobStore
	syncer *Syncer
}

// Timeout implements river.Worker.
func (w *DestroyWorker) Timeout(*river.Job[DestroyArgs]) time.Duration { return DestroyTimeout }

// Work implements river.Worker: the repo is kept, marked deleted, and its
// services orphaned; a repo the catalog never had needs nothing.
func (w *DestroyWorker) Work(ctx context.Context, job *river.Job[DestroyArgs]) error {
	orphaned, err := w.store.MarkRepoDeleted(ctx, job.Args.ProjectID)
	if errors.Is(err, catalog.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	w.syncer.log.Info("gitlab project destroyed", "project", job.Args.ProjectID, "orphaned", orphaned)
	return nil
}

// Periodic returns the cluster's sync schedules: an incremental run every
// interval (and at once when a replica becomes River's leader), and the
// daily verification of every repo, at 03:00 UTC and whenever a leader
// starts and none completed in the last 20 hours (so that replicas
// redeployed more often than daily still verify daily).
func Periodic(interval time.Duration) []*river.PeriodicJob {
	return []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(interval), func() (river.JobArgs, *river.InsertOpts) {
			return RunArgs{What: RunIncremental}, nil
		}, &river.PeriodicJobOpts{RunOnStart: true}),
		river.NewPeriodicJob(dailyAt{hour: 3}, func() (river.JobArgs, *river.InsertOpts) {
			return RunArgs{What: RunVerify, Daily: true}, nil
		}, &river.PeriodicJobOpts{RunOnStart: true}),
	}
}

// dailyAt is a river.PeriodicSchedule: every day at hour:00 UTC.
type dailyAt struct{ hour int }

// Next implements river.PeriodicSchedule.
func (d dailyAt) Next(t time.Time) time.Time {
	t = t.UTC()
	next := time.Date(t.Year(), t.Month(), t.Day(), d.hour, 0, 0, 0, time.UTC)
	if !next.After(t) {
		next = next.AddDate(0, 0, 1)
	}
	return next
}
