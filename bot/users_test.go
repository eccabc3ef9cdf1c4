package bot_test

import (
	"context"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/switchboard-dev/switchboard/bot"
	"github.com/switchboard-dev/switchboard/bot/fakeslack"
)

func TestUserGroupPolicy(t *testing.T) {
	fs := fakeslack.NewForTest(t, nil, nil)
	fs.SetUserGroup("SONCALL", "U1", "U2")
	api := slack.New(fakeslack.Token, slack.OptionAPIURL(fs.APIURL()))
	ctx := context.Background()
	tests := []struct {
		name       string
		groups     []string
		user       string
		want       bool
		wantReason string
		wantErr    bool
	}{
		{"member", []string{"SONCALL"}, "U2", true, "", false},
		{"not a member", []string{"SONCALL"}, "U9", false, "SONCALL", false},
		{"no groups: anyone", nil, "U9", true, "", false},
		{"unknown group", []string{"SNOPE"}, "U1", false, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &bot.UserGroupPolicy{API: api, Groups: tt.groups}
			ok, reason, err := p.MayPage(ctx, tt.user)
			if (err != nil) != tt.wantErr || ok != tt.want || !strings.Contains(reason, tt.wantReason) {
				t.Fatalf("got %v %q %v; want %v, a reason naming %q, error %v", ok, reason, err, tt.want, tt.wantReason, tt.wantErr)
			}
		})
	}
	// Membership is read once per five minutes.
	p := &bot.UserGroupPolicy{API: api, Groups: []string{"SONCALL"}}
	before := len(fs.Calls("usergroups.users.list"))
	for range 3 {
		if ok, _, _ := p.MayPage(ctx, "U1"); !ok {
			t.Fatal("member refused")
		}
	}
	if n := len(fs.Calls("usergroups.users.list")) - before; n != 1 {
		t.Fatalf("usergroups.users.list calls for three checks: got %d, want 1", n)
	}
}
