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

// TestSweepJobTwoReplicas: two replicas' River clients work the
// campaign_sweep job, queued twice at a reminder's time and twice past the
// deadline: each team with services left is reminded once, the final
// report is posted once.
func TestSweepJobTwoReplicas(t *testing.T) {
	store := seed(t, 100)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	e := &campaigns.Evaluator{Store: store}
	c := campaign("ci", catalog.CampaignCondition{Kind: catalog.ConditionFile, FileGlob: ".gitlab-ci.yml"})
	c.Deadline = time.Now().Add(30 * 24 * time.Hour).Truncate(time.Hour)
	c.Reminders = []time.Duration{24 * time.Hour}
	c.UpdatesChannel = "#campaign-updates"
	if _, err := e.Start(ctx, c); err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: c.Deadline.Add(-time.Hour)}
	fs, ns := slackReplicas(t, store, 2, clk)
	var clients []*river.Client[pgx.Tx]
	done := make(chan *river.Event, 16)
	for _, n := range ns {
		workers := river.NewWorkers()
		river.AddWorker(workers, river.Worker[campaigns.SweepArgs](&campaigns.SweepWorker{Notifier: n}))
		client, err := river.NewClient(riverpgxv5.New(store.Pool()), &river.Config{
			Queues:  map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 2}},
			Workers: workers, FetchPollInterval: 20 * time.Millisecond, FetchCooldown: 10 * time.Millisecond,
		})
		if err != nil {
			t.Fatal(err)
		}
		events, stop := client.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
		defer stop()
		go func() {
			for ev := range events {
				done <- ev
			}
		}()
		if err := client.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer client.Stop(context.WithoutCancel(ctx))
		clients = append(clients, client)
	}
	run := func() {
		t.Helper()
		if _, err := clients[0].Insert(ctx, campaigns.SweepArgs{}, nil); err != nil {
			t.Fatal(err)
		}
		select {
		case ev := <-done:
			if ev.Kind != river.EventKindJobCompleted {
				t.Fatalf("campaign_sweep failed: %+v", ev.Job.Errors)
			}
		case <-ctx.Done():
			t.Fatal("campaign_sweep did not complete")
		}
	}
	for _, tt := range []struct {
		at                        time.Time
		posts, reminders, reports int
	}{
		{c.Deadline.Add(-time.Hour), 6, 3, 0},
		{c.Deadline.Add(time.Minute), 7, 3, 1},
	} {
		clk.set(tt.at)
		run()
		run()
		var reminders, reports int
		calls := fs.Calls("chat.postMessage")
		for _, call := range calls {
			text := call.Form.Get("text")
			switch {
			case strings.HasPrefix(text, "Reminder:"):
				reminders++
			case strings.Contains(text, "reached its deadline"):
				reports++
			}
		}
		if len(calls) != tt.posts || reminders != tt.reminders || reports != tt.reports {
			t.Errorf("at %s: %d posts, %d reminders, %d reports; want %d, %d, %d", tt.at, len(calls), reminders, reports, tt.posts, tt.reminders, tt.reports)
		}
	}
}
