package campaigns

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/jobs"
)

// evaluateTimeout bounds a repo's re-evaluation.
const evaluateTimeout = time.Minute

// EvaluateArgs evaluates every open campaign again for the services of
// one repo: queued when its sync stored a change.
type EvaluateArgs struct {
	// ProjectID is the repo's GitLab project id.
	ProjectID int64 `json:"project_id" river:"unique"`
}

// Kind implements river.JobArgs.
func (EvaluateArgs) Kind() string { return "campaign_evaluate" }

// InsertOpts implements river.JobArgsWithInsertOpts: one per repo while it
// waits or runs.
func (EvaluateArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 5, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: jobs.WhileQueued}}
}

// QueueEvaluate queues the re-evaluation of a repo's services from within
// a River job (the sync of the repo, once it stored a change): through the
// job's client, found in ctx.
func QueueEvaluate(ctx context.Context, gitlabID int64) error {
	client, err := river.ClientFromContextSafely[pgx.Tx](ctx)
	if err != nil {
		return fmt.Errorf("queue campaign evaluation of project %d: %w", gitlabID, err)
	}
	if _, err := client.Insert(ctx, EvaluateArgs{ProjectID: gitlabID}, nil); err != nil {
		return fmt.Errorf("queue campaign evaluation of project %d: %w", gitlabID, err)
	}
	return nil
}

// EvaluateWorker works EvaluateArgs.
type EvaluateWorker struct {
	river.WorkerDefaults[EvaluateArgs]
	Evaluator *Evaluator
	// Notifier, when set, updates the messages of the teams whose
	// services were evaluated.
	Notifier *Notifier
}

// Timeout implements river.Worker.
func (w *EvaluateWorker) Timeout(*river.Job[EvaluateArgs]) time.Duration { return evaluateTimeout }

// Work implements river.Worker.
func (w *EvaluateWorker) Work(ctx context.Context, job *river.Job[EvaluateArgs]) error {
	touched, err := w.Evaluator.ReevaluateProject(ctx, job.Args.ProjectID)
	if err != nil || w.Notifier == nil {
		return err
	}
	return w.Notifier.tellAll(ctx, touched)
}

// tellAll tells the teams touched, by campaign name (Reevaluate), and
// sweeps those campaigns: the last service fixed ends one at once.
func (n *Notifier) tellAll(ctx context.Context, touched map[string][]string) error {
	var errs []error
	for name, teams := range touched {
		errs = append(errs, n.tellAndSweep(ctx, name, teams))
	}
	return errors.Join(errs...)
}

// ReevaluateProject re-evaluates every open campaign for the services of
// the repo of GitLab project gitlabID; nothing when it is not catalogued.
// It returns the teams touched, by campaign (Reevaluate).
func (e *Evaluator) ReevaluateProject(ctx context.Context, gitlabID int64) (map[string][]string, error) {
	id, err := e.Store.RepoIDOfProject(ctx, gitlabID)
	if errors.Is(err, catalog.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return e.Reevaluate(ctx, []int64{id})
}

// EvaluateAllInterval is how often every open campaign is evaluated
// again over the whole catalog: what a repo's job cannot see (grades
// changed by the scorecard's refresh or graded after the repo's job ran,
// services moved between teams) is caught up within it.
const EvaluateAllInterval = time.Hour

// evaluateAllTimeout bounds the evaluation of every campaign.
const evaluateAllTimeout = 10 * time.Minute

// EvaluateAllArgs evaluates every open campaign again over the catalog.
type EvaluateAllArgs struct{}

// Kind implements river.JobArgs.
func (EvaluateAllArgs) Kind() string { return "campaign_evaluate_all" }

// InsertOpts implements river.JobArgsWithInsertOpts: one at a time.
func (EvaluateAllArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: jobs.WhileQueued}}
}

// EvaluateAllWorker works EvaluateAllArgs.
type EvaluateAllWorker struct {
	river.WorkerDefaults[EvaluateAllArgs]
	Evaluator *Evaluator
	// Notifier, when set, posts or updates every team's message.
	Notifier *Notifier
}

// Timeout implements river.Worker.
func (w *EvaluateAllWorker) Timeout(*river.Job[EvaluateAllArgs]) time.Duration {
	return evaluateAllTimeout
}

// Work implements river.Worker.
func (w *EvaluateAllWorker) Work(ctx context.Context, _ *river.Job[EvaluateAllArgs]) error {
	touched, err := w.Evaluator.Reevaluate(ctx, nil)
	if err != nil || w.Notifier == nil {
		return err
	}
	return w.Notifier.tellAll(ctx, touched)
}
