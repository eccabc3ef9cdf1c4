package bot_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/switchboard-dev/switchboard/bot"
	"github.com/switchboard-dev/switchboard/bot/fakeslack"
	"github.com/switchboard-dev/switchboard/campaigns"
	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
)

// noDispatch is the dispatcher of a bot that only posts.
type noDispatch struct{}

func (noDispatch) Dispatch(context.Context, commands.Request) (commands.Response, error) {
	return commands.Response{}, nil
}

// TestCampaignMessages: a team's message is posted (the channel's id
// returned), updated in place only with its channel and ts, and hostile
// text (a title, a service, a won't-fix reason) reaches Slack escaped;
// the final report comes with its burn-down as a file.
func TestCampaignMessages(t *testing.T) {
	for _, h := range fakeslack.Hostile {
		t.Run(h.Name, func(t *testing.T) {
			fs := fakeslack.NewForTest(t, nil, []fakeslack.Channel{{ID: "C7", Name: "team-7"}})
			b, err := bot.New(bot.Config{SigningSecret: "s", API: slack.New(fakeslack.Token, slack.OptionAPIURL(fs.APIURL())), Commands: noDispatch{}})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			c := catalog.Campaign{Name: "ci", Title: "Add CI " + h.Value, Deadline: time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC),
				Condition: catalog.CampaignCondition{Kind: catalog.ConditionFile, FileGlob: ".gitlab-ci.yml"}}
			u := campaigns.TeamUpdate{Campaign: c, Team: "team-7", Services: []catalog.CampaignService{
				{Service: catalog.Service{Name: "svc-7"}, Status: catalog.CampaignOpen, Where: "add .gitlab-ci.yml " + h.Value},
				{Service: catalog.Service{Name: "svc-17"}, Status: catalog.CampaignWontFix, Reason: h.Value},
			}}
			ch, ts, err := b.PostTeamUpdate(ctx, "#team-7", u)
			if err != nil || ch != "C7" || ts == "" {
				t.Fatalf("post: %q, %q, %v; want C7 and a ts", ch, ts, err)
			}
			for _, tt := range []struct {
				name, channel, ts string
				wantErr           string
			}{
				{"another message", "C7", "1.2", "message_not_found"},
				{"another channel", "C8", ts, "message_not_found"},
				{"the message", "C7", ts, ""},
			} {
				err := b.UpdateTeamUpdate(ctx, tt.channel, tt.ts, u)
				if tt.wantErr == "" && err != nil || tt.wantErr != "" && (!errors.Is(err, campaigns.ErrMessageGone) || !strings.Contains(err.Error(), tt.wantErr)) {
					t.Errorf("update %s: %v, want %q", tt.name, err, tt.wantErr)
				}
			}
			if err := b.PostReminder(ctx, "C7", u); err != nil {
				t.Fatal(err)
			}
			r := campaigns.Report{Progress: catalog.CampaignProgress{Campaign: c, ByTeam: []catalog.CampaignTeam{{Team: "team-7", Open: 1, WontFix: 1}}},
				Overdue: true, Chart: []byte("\x89PNG fake")}
			if err := b.PostReport(ctx, "C7", r); err != nil {
				t.Fatal(err)
			}
			posts := fs.Calls("chat.postMessage")
			if len(posts) != 3 || !strings.HasPrefix(posts[1].Form.Get("text"), "Reminder: ci is due") ||
				!strings.Contains(posts[2].Form.Get("text"), "team-7: done 0, won't fix 1, left 1") {
				t.Errorf("posts %d: %+v", len(posts), posts)
			}
			if files := fs.Files(); len(files) != 1 || files[0].Channel != "C7" || files[0].Name != "campaign-ci-burndown.png" {
				t.Errorf("files %+v, want the burn-down in C7", files)
			}
		})
	}
}
