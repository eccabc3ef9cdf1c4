package campaigns_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/switchboard-dev/switchboard/campaigns"
	"github.com/switchboard-dev/switchboard/catalog"
)

// fakeSlack records the messages posted and updated, as Slack would hold
// them.
type fakeSlack struct {
	mu      sync.Mutex
	n       int
	msgs    map[string]string // ts → text
	channel map[string]string // ts → channel
	posts   int
	updates int
}

func (f *fakeSlack) PostTeamUpdate(_ context.Context, channel string, u campaigns.TeamUpdate) (string, string, error) {
	text := u.Text()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	ts := fmt.Sprintf("1700000000.%06d", f.n)
	f.msgs[ts], f.channel[ts] = text, channel
	f.posts++
	return channel, ts, nil
}

func (f *fakeSlack) UpdateTeamUpdate(_ context.Context, channel, ts string, u campaigns.TeamUpdate) error {
	text := u.Text()
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.channel[ts] != channel {
		return fmt.Errorf("message_not_found: %s in %s: %w", ts, channel, campaigns.ErrMessageGone)
	}
	f.msgs[ts] = text
	f.updates++
	return nil
}

// inChannel returns the texts in channel.
func (f *fakeSlack) inChannel(channel string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for ts, c := range f.channel {
		if c == channel {
			out = append(out, f.msgs[ts])
		}
	}
	return out
}

func TestTeamMessages(t *testing.T) {
	store := seed(t, 100)
	ctx := context.Background()
	e := &campaigns.Evaluator{Store: store}
	ci := campaign("ci", catalog.CampaignCondition{Kind: catalog.ConditionFile, FileGlob: ".gitlab-ci.yml"})
	if _, err := e.Start(ctx, ci); err != nil {
		t.Fatal(err)
	}
	slack := &fakeSlack{msgs: map[string]string{}, channel: map[string]string{}}
	// Two replicas tell at once: each team is told once.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range 2 {
		n := &campaigns.Notifier{Store: store, Poster: slack, Replica: fmt.Sprintf("replica-%d", i)}
		wg.Go(func() { errs[i] = n.Tell(ctx, "ci", nil) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	n := &campaigns.Notifier{Store: store, Poster: slack, Replica: "replica-0"}
	for _, tt := range []struct {
		channel string
		want    []string
	}{
		{"#team-7", []string{"team-7 has 10 of 10 services left:", "• `svc-7`: change `add .gitlab-ci.yml`"}},
		{"#team-8", []string{"team-8 has 10 of 10 services left:"}},
		{"#team-9", []string{"*has .gitlab-ci.yml* (campaign `ci`: has .gitlab-ci.yml), due Thu 31 Dec 2026"}},
		{"#team-1", nil},
	} {
		got := slack.inChannel(tt.channel)
		if tt.want == nil {
			if len(got) != 0 {
				t.Errorf("%s: got %q, want nothing (no service left)", tt.channel, got)
			}
			continue
		}
		if len(got) != 1 {
			t.Fatalf("%s: got %d messages, want 1", tt.channel, len(got))
		}
		for _, w := range tt.want {
			if !strings.Contains(got[0], w) {
				t.Errorf("%s: %q lacks %q", tt.channel, got[0], w)
			}
		}
	}
	if slack.posts != 3 || slack.updates != 0 {
		t.Errorf("posts %d, updates %d; want 3 and 0", slack.posts, slack.updates)
	}
	// svc-7 adds the file: team-7's message is updated in place, once.
	if _, err := store.Pool().Exec(ctx, `INSERT INTO repo_files (repo_id, path) SELECT id, '.gitlab-ci.yml' FROM repos WHERE gitlab_id = 7`); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		touched, err := e.ReevaluateProject(ctx, 7)
		if err != nil {
			t.Fatal(err)
		}
		for name, teams := range touched {
			if err := n.Tell(ctx, name, teams); err != nil {
				t.Fatal(err)
			}
		}
	}
	got := slack.inChannel("#team-7")
	if slack.posts != 3 || slack.updates != 1 || len(got) != 1 ||
		!strings.Contains(got[0], "team-7 has 9 of 10 services left:") || !strings.Contains(got[0], "Done: `svc-7`") {
		t.Errorf("after svc-7's fix: posts %d, updates %d, #team-7 %q", slack.posts, slack.updates, got)
	}
}

// TestTeamMessageGone: a team's message deleted in Slack is posted again
// at its next change, not updated in vain.
func TestTeamMessageGone(t *testing.T) {
	store := seed(t, 100)
	ctx := context.Background()
	e := &campaigns.Evaluator{Store: store}
	if _, err := e.Start(ctx, campaign("ci", catalog.CampaignCondition{Kind: catalog.ConditionFile, FileGlob: ".gitlab-ci.yml"})); err != nil {
		t.Fatal(err)
	}
	slack := &fakeSlack{msgs: map[string]string{}, channel: map[string]string{}}
	n := &campaigns.Notifier{Store: store, Poster: slack, Replica: "r1"}
	if err := n.Tell(ctx, "ci", nil); err != nil {
		t.Fatal(err)
	}
	slack.mu.Lock()
	for ts, c := range slack.channel {
		if c == "#team-7" {
			delete(slack.channel, ts)
			delete(slack.msgs, ts)
		}
	}
	slack.mu.Unlock()
	if _, err := store.Pool().Exec(ctx, `INSERT INTO repo_files (repo_id, path) SELECT id, '.gitlab-ci.yml' FROM repos WHERE gitlab_id = 7`); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ReevaluateProject(ctx, 7); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := n.Tell(ctx, "ci", []string{"team-7"}); err != nil {
			t.Fatal(err)
		}
	}
	got := slack.inChannel("#team-7")
	if slack.posts != 4 || slack.updates != 0 || len(got) != 1 || !strings.Contains(got[0], "team-7 has 9 of 10 services left") {
		t.Errorf("after the message was deleted: posts %d, updates %d, #team-7 %q; want it posted again", slack.posts, slack.updates, got)
	}
}
