package campaigns_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/switchboard-dev/switchboard/campaigns"
	"github.com/switchboard-dev/switchboard/catalog"
)

// changedArgs stands for a repo's sync that stored a change: its worker
// calls the Changed hook (campaigns.QueueEvaluate) twice. It runs in a
// queue of its own, so that the evaluations it queues wait.
type changedArgs struct {
	ProjectID int64 `json:"project_id"`
}

func (changedArgs) Kind() string { return "test_repo_changed" }

func (changedArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: "changes"} }

type changedWorker struct {
	river.WorkerDefaults[changedArgs]
}

func (changedWorker) Work(ctx context.Context, job *river.Job[changedArgs]) error {
	for range 2 {
		if err := campaigns.QueueEvaluate(ctx, job.Args.ProjectID); err != nil {
			return err
		}
	}
	return nil
}

// runJobs starts a River client working queue until want jobs completed.
func runJobs(t *testing.T, store *catalog.Store, workers *river.Workers, queue string, want int, insert func(*river.Client[pgx.Tx]) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	client, err := river.NewClient(riverpgxv5.New(store.Pool()), &river.Config{
		Queues:  map[string]river.QueueConfig{queue: {MaxWorkers: 2}},
		Workers: workers, FetchPollInterval: 20 * time.Millisecond, FetchCooldown: 10 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	events, stop := client.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
	defer stop()
	if err := client.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer client.Stop(context.WithoutCancel(ctx))
	if err := insert(client); err != nil {
		t.Fatal(err)
	}
	for done := 0; done < want; {
		select {
		case ev := <-events:
			if ev.Kind != river.EventKindJobCompleted {
				t.Fatalf("job %s failed: %+v", ev.Job.Kind, ev.Job.Errors)
			}
			done++
		case <-ctx.Done():
			t.Fatalf("%d of %d jobs completed", done, want)
		}
	}
}

func TestEvaluateJob(t *testing.T) {
	store := seed(t, 30)
	ctx := context.Background()
	e := &campaigns.Evaluator{Store: store}
	if _, err := e.Start(ctx, campaign("log4shell", log4shell)); err != nil {
		t.Fatal(err)
	}

	// The sync's hook queues one evaluation per repo while it waits (this
	// client knows the kind but works only the changes' queue).
	worker := river.Worker[campaigns.EvaluateArgs](&campaigns.EvaluateWorker{Evaluator: e})
	changed := river.NewWorkers()
	river.AddWorker(changed, river.Worker[changedArgs](changedWorker{}))
	river.AddWorker(changed, worker)
	runJobs(t, store, changed, "changes", 1, func(c *river.Client[pgx.Tx]) error {
		_, err := c.Insert(ctx, changedArgs{ProjectID: 10}, nil)
		return err
	})
	var queued int
	if err := store.Pool().QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'campaign_evaluate' AND args->>'project_id' = '10'`).Scan(&queued); err != nil {
		t.Fatal(err)
	}
	if queued != 1 {
		t.Errorf("campaign_evaluate jobs queued: got %d, want 1", queued)
	}

	// The evaluation sees the fix; a repo not catalogued is nothing to do.
	if _, err := store.Pool().Exec(ctx, `UPDATE dependencies d SET version = '2.17.1' FROM repos r
		WHERE r.id = d.repo_id AND r.gitlab_id = 10 AND d.name LIKE '%log4j-core'`); err != nil {
		t.Fatal(err)
	}
	evaluate := river.NewWorkers()
	river.AddWorker(evaluate, worker)
	runJobs(t, store, evaluate, river.QueueDefault, 2, func(c *river.Client[pgx.Tx]) error {
		_, err := c.Insert(ctx, campaigns.EvaluateArgs{ProjectID: 9999}, nil)
		return err
	})
	p, err := store.CampaignByName(ctx, "log4shell")
	if err != nil || p.Remaining() != 2 {
		t.Errorf("remaining %d, %v; want 2 (svc-20 and svc-30)", p.Remaining(), err)
	}
}

func TestEvaluateAllJob(t *testing.T) {
	store := seed(t, 30)
	ctx := context.Background()
	e := &campaigns.Evaluator{Store: store}
	if _, err := e.Start(ctx, campaign("log4shell", log4shell)); err != nil {
		t.Fatal(err)
	}
	// Fixed with no sync's job to see it (svc-10, svc-20).
	if _, err := store.Pool().Exec(ctx, `UPDATE dependencies d SET version = '2.17.1' FROM repos r
		WHERE r.id = d.repo_id AND r.gitlab_id IN (10, 20) AND d.name LIKE '%log4j-core'`); err != nil {
		t.Fatal(err)
	}
	slack := &fakeSlack{msgs: map[string]string{}, channel: map[string]string{}}
	workers := river.NewWorkers()
	river.AddWorker(workers, river.Worker[campaigns.EvaluateAllArgs](&campaigns.EvaluateAllWorker{Evaluator: e,
		Notifier: &campaigns.Notifier{Store: store, Poster: slack, Replica: "r1"}}))
	runJobs(t, store, workers, river.QueueDefault, 1, func(c *river.Client[pgx.Tx]) error {
		_, err := c.Insert(ctx, campaigns.EvaluateAllArgs{}, nil)
		return err
	})
	p, err := store.CampaignByName(ctx, "log4shell")
	if err != nil || p.Remaining() != 1 || len(p.Services) != 3 {
		t.Errorf("remaining %d of %d, %v; want 1 of 3 (svc-30)", p.Remaining(), len(p.Services), err)
	}
	// The team was told once, with what is left.
	if got := slack.inChannel("#team-0"); slack.posts != 1 || len(got) != 1 || !strings.Contains(got[0], "team-0 has 1 of 3 services left") {
		t.Errorf("#team-0: %d posts, %q", slack.posts, got)
	}
}
