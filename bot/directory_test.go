package bot_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/switchboard-dev/switchboard/bot"
	"github.com/switchboard-dev/switchboard/bot/fakeslack"
	"github.com/switchboard-dev/switchboard/commands"
)

// fakeClock is a clock that moves only when told.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newDirectory is a Directory over a fake Slack that knows users, with a
// clock of its own.
func newDirectory(t *testing.T, users []fakeslack.User) (*bot.Directory, *fakeslack.Server, *fakeClock) {
	t.Helper()
	fs := fakeslack.NewForTest(t, users, nil)
	d := bot.NewDirectory(slack.New(fakeslack.Token, slack.OptionAPIURL(fs.APIURL())), nil, nil)
	clk := &fakeClock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	bot.SetDirectoryClock(d, clk.Now)
	return d, fs, clk
}

var directoryUsers = []fakeslack.User{
	{ID: "U1", Name: "ada", RealName: "Ada Lovelace", Email: "ada@acme.example"},
	{ID: "U2", Name: "alan", Email: "alan@acme.example"},
}

func TestDirectoryUserIDByEmail(t *testing.T) {
	tests := []struct {
		name     string
		email    string
		fail     string // the Web API error of the first call, if any
		want     string
		wantErr  string // the Slack error code the error wraps
		wantHits int    // users.lookupByEmail calls for two lookups
	}{
		{"known", "ada@acme.example", "", "U1", "", 1},
		{"case and spaces ignored", "  Ada@ACME.example ", "", "U1", "", 1},
		{"nobody with it: empty, remembered", "nobody@acme.example", "", "", "", 1},
		{"Slack failing: an error, not remembered", "ada@acme.example", "internal_error", "", "internal_error", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, fs, _ := newDirectory(t, directoryUsers)
			if tt.fail != "" {
				fs.FailNext(1, tt.fail)
			}
			ctx := context.Background()
			got, err := d.UserIDByEmail(ctx, tt.email)
			var se slack.SlackErrorResponse
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("got error %v, want none", err)
			case tt.wantErr != "" && (!errors.As(err, &se) || se.Err != tt.wantErr):
				t.Fatalf("got error %v, want one wrapping Slack's %q", err, tt.wantErr)
			case got != tt.want:
				t.Fatalf("got %q, want %q", got, tt.want)
			}
			if _, err := d.UserIDByEmail(ctx, tt.email); err != nil {
				t.Fatalf("second lookup: %v", err)
			}
			if n := len(fs.Calls("users.lookupByEmail")); n != tt.wantHits {
				t.Errorf("users.lookupByEmail calls for two lookups: got %d, want %d", n, tt.wantHits)
			}
		})
	}
}

func TestDirectoryUserByID(t *testing.T) {
	tests := []struct {
		name    string
		id      string
		want    commands.User
		wantErr string
	}{
		{"real name", "U1", commands.User{ID: "U1", Name: "Ada Lovelace", Email: "ada@acme.example"}, ""},
		{"no real name: the handle", "U2", commands.User{ID: "U2", Name: "alan", Email: "alan@acme.example"}, ""},
		{"unknown", "U9", commands.User{ID: "U9"}, "user_not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, _, _ := newDirectory(t, directoryUsers)
			got, err := d.UserByID(context.Background(), tt.id)
			var se slack.SlackErrorResponse
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("got error %v, want none", err)
			case tt.wantErr != "" && (!errors.As(err, &se) || se.Err != tt.wantErr):
				t.Fatalf("got error %v, want one wrapping Slack's %q", err, tt.wantErr)
			case got != tt.want:
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// A users.info answer is kept an hour, a failure five minutes.
func TestDirectoryUserCache(t *testing.T) {
	tests := []struct {
		name      string
		id        string
		after     time.Duration
		wantCalls int
	}{
		{"answer, within the hour", "U1", 59 * time.Minute, 1},
		{"answer, after the hour", "U1", 61 * time.Minute, 2},
		{"failure, within five minutes", "U9", 4 * time.Minute, 1},
		{"failure, after five minutes", "U9", 6 * time.Minute, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, fs, clk := newDirectory(t, directoryUsers)
			ctx := context.Background()
			_, _ = d.UserByID(ctx, tt.id)
			clk.Add(tt.after)
			_, _ = d.UserByID(ctx, tt.id)
			if n := len(fs.Calls("users.info")); n != tt.wantCalls {
				t.Errorf("users.info calls: got %d, want %d", n, tt.wantCalls)
			}
		})
	}
}

func TestDirectorySendDirect(t *testing.T) {
	tests := []struct {
		name    string
		to      commands.Recipient
		want    string
		wantErr error
	}{
		{"by Slack id", commands.Recipient{SlackUserID: "U2", Email: "ignored@acme.example"}, "U2", nil},
		{"by email", commands.Recipient{Email: "ada@acme.example"}, "U1", nil},
		{"nobody with the email", commands.Recipient{Email: "nobody@acme.example"}, "", commands.ErrNoSlackAccount},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, fs, _ := newDirectory(t, directoryUsers)
			got, err := d.SendDirect(context.Background(), tt.to, commands.Response{Text: "welcome"})
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("got error %v, want %v", err, tt.wantErr)
				}
				if n := len(fs.Calls("chat.postMessage")); n != 0 {
					t.Fatalf("chat.postMessage calls: got %d, want 0", n)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
			calls := fs.Calls("chat.postMessage")
			if len(calls) != 1 || calls[0].Form.Get("channel") != tt.want && calls[0].JSON["channel"] != tt.want {
				t.Fatalf("got chat.postMessage calls %+v, want one to %s", calls, tt.want)
			}
		})
	}
}

func TestUserGroupPolicy(t *testing.T) {
	tests := []struct {
		name       string
		groups     []string
		user       string
		want       bool
		wantReason string
		wantErr    string
	}{
		{"member", []string{"SONCALL"}, "U2", true, "", ""},
		{"not a member", []string{"SONCALL"}, "U9", false, "SONCALL", ""},
		{"no groups: anyone", nil, "U9", true, "", ""},
		{"unknown group", []string{"SNOPE"}, "U1", false, "", "no_such_subteam"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, fs, _ := newDirectory(t, nil)
			fs.SetUserGroup("SONCALL", "U1", "U2")
			ok, reason, err := d.PagePolicy(tt.groups).MayPage(context.Background(), tt.user)
			var se slack.SlackErrorResponse
			if tt.wantErr != "" && (!errors.As(err, &se) || se.Err != tt.wantErr) {
				t.Fatalf("got error %v, want one wrapping Slack's %q", err, tt.wantErr)
			}
			if (tt.wantErr == "" && err != nil) || ok != tt.want || !strings.Contains(reason, tt.wantReason) {
				t.Fatalf("got %v %q %v; want %v, a reason naming %q", ok, reason, err, tt.want, tt.wantReason)
			}
		})
	}
}

// Membership is read once per five minutes.
func TestUserGroupPolicyCache(t *testing.T) {
	d, fs, clk := newDirectory(t, nil)
	fs.SetUserGroup("SONCALL", "U1", "U2")
	p := d.PagePolicy([]string{"SONCALL"})
	ctx := context.Background()
	for range 3 {
		if ok, _, err := p.MayPage(ctx, "U1"); !ok || err != nil {
			t.Fatalf("member refused: %v", err)
		}
	}
	if n := len(fs.Calls("usergroups.users.list")); n != 1 {
		t.Fatalf("usergroups.users.list calls for three checks: got %d, want 1", n)
	}
	fs.SetUserGroup("SONCALL", "U2")
	clk.Add(6 * time.Minute)
	if ok, _, err := p.MayPage(ctx, "U1"); ok || err != nil {
		t.Fatalf("after five minutes, a member who left: got %v, %v; want refused", ok, err)
	}
	if n := len(fs.Calls("usergroups.users.list")); n != 2 {
		t.Fatalf("usergroups.users.list calls after five minutes: got %d, want 2", n)
	}
}
