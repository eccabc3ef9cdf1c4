package commands_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
)

// The default standards file's checklist, as /onboard numbers it.
const (
	itemWhoowns = "find-your-teams-services-with-whoowns"
	itemOnCall  = "check-who-is-on-call-for-them-with"
	itemRunbook = "read-the-runbook-of-each-service-your"
	itemAlerts  = "join-your-teams-alerts-channel"
)

// slackProfiles is the bot's users.info as a test sees it.
type slackProfiles map[string]commands.User

func (p slackProfiles) UserByID(_ context.Context, id string) (commands.User, error) {
	u, ok := p[id]
	if !ok {
		return commands.User{}, errors.New("slack: user_not_found")
	}
	return u, nil
}

func TestOnboardInfersTheTeam(t *testing.T) {
	e := newRosterEnv(t, rosterOptions{users: slackProfiles{"UNEW42": {ID: "UNEW42", Name: "Nora New", Email: "nora.new@acme.example"}}})
	ctx := context.Background()
	// Karen is on two teams: search (from GitLab and PagerDuty) and
	// platform (a Backstage Group descriptor).
	if err := e.store.AddMember(ctx, "platform", "karen.sparck.jones@acme.example", catalog.MemberSourceDescriptor, ""); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		user        commands.User
		line        string
		want        []string
		wantButtons []string
	}{
		{
			name: "no user: the caller, on one team", user: adaUser, line: "/onboard",
			want: []string{"Welcome for @Ada Lovelace to payments ready: 0/4 done.", "Welcome to Payments, Ada!"},
		},
		{
			name: "a Slack mention, on one team", user: adaUser, line: "/onboard <@UPAY02|grace.hopper>",
			want: []string{"@Grace Hopper to payments ready", "Welcome to Payments, Grace!"},
		},
		{
			name: "several teams: ask which", user: adaUser, line: "/onboard @karen.sparck.jones",
			want:        []string{"Karen Sparck Jones is on 2 teams; which one"},
			wantButtons: []string{"/onboard karen.sparck.jones@acme.example platform", "/onboard karen.sparck.jones@acme.example search"},
		},
		{
			name: "the chosen team", user: adaUser, line: "/onboard karen.sparck.jones@acme.example platform",
			want: []string{"@Karen Sparck Jones to platform ready", "Welcome to Platform / SRE, Karen!"},
		},
		{
			name: "no team: someone new", user: adaUser, line: "/onboard @new.dev",
			want: []string{"`@new.dev` is not in the catalog yet", "so their team cannot be inferred", "`/onboard @new.dev TEAM`"},
		},
		{
			name: "a misspelt team", user: adaUser, line: "/onboard @new.dev paymnts",
			want:        []string{"No team named `paymnts`. Did you mean:"},
			wantButtons: []string{"/onboard @new.dev payments"},
		},
		{
			name: "a Slack user the catalog does not know, found in Slack", user: adaUser, line: "/onboard <@UNEW42|nora> search",
			want: []string{"@Nora New to search ready", "Nora New was not in the catalog; Switchboard recorded them as nora.new@acme.example."},
		},
		{
			name: "no team: on no roster", user: adaUser, line: "/onboard nora.new@acme.example",
			want: []string{"Nora New is on no team's roster yet", "`/onboard nora.new@acme.example TEAM`"},
		},
		{
			name: "a Slack user nobody knows", user: adaUser, line: "/onboard <@UGHOST|ghost> search",
			want: []string{"Cannot onboard ghost: Slack did not say who this user is.", "/onboard name@company.com TEAM"},
		},
		{
			name: "two people", user: adaUser, line: "/onboard @a @b payments",
			want: []string{"One person at a time"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := e.run(t, tt.user, tt.line)
			expect(t, tt.line, rendered(t, resp), tt.want, nil)
			got := buttonsOf(resp)
			for _, b := range tt.wantButtons {
				if !slices.Contains(got, b) {
					t.Errorf("got buttons %v, want %s", got, b)
				}
			}
		})
	}
}

func TestOnboardNewDeveloper(t *testing.T) {
	e := newRosterEnv(t, rosterOptions{})
	onCall := e.levelOneName(t, "payments")
	resp := e.run(t, adaUser, "/onboard @new.dev payments")
	text := rendered(t, resp)
	expect(t, "summary", resp.Text, []string{"Not sent to new.dev (no direct messages here): 0/4 done."}, nil)
	expect(t, "welcome", text, []string{
		// To the runner.
		"Welcome for new.dev to payments ready: 0/4 done.",
		"new.dev is in no roster yet, so Switchboard recorded them as new.dev@acme.example (the handle at your email's domain).",
		"-> /onboard --status new.dev@acme.example",
		// The direct message.
		"Welcome to Payments, new.dev!",
		"You are joining team payments. Here is what you need on day one, sent by @ada.lovelace.",
		"Your teammates (4): @Ada Lovelace, @Alan Turing, @Barbara Liskov, @Grace Hopper",
		"Services you now help own (6):",
		"• checkout-api · tier 1 · repo acme/payments/checkout-api <https://gitlab.acme.example/acme/payments/checkout-api> · runbook <https://wiki.acme.example/runbooks/checkout-api> · docs <https://docs.acme.example/checkout-api>",
		"On-call rotations (escalation policy Payments escalation policy <https://acme.pagerduty.com/escalation_policies/EPPAY>):",
		"• Level 1 — Payments primary <https://acme.pagerduty.com/schedules/PPAYPRI>: now @" + onCall + " until",
		"• Level 2 — Payments secondary",
		"Channels to join: #team-payments, #checkout",
		"-> Join #team-payments: https://slack.com/app_redirect?channel=team-payments",
		"-> Join #checkout: https://slack.com/app_redirect?channel=checkout",
		"Checklist (0/4 done):",
		"☐ Find your team's services with /whoowns",
		"-> /onboard --done " + itemWhoowns + " new.dev@acme.example",
		"-> /onboard --done " + itemAlerts + " new.dev@acme.example",
	}, []string{"✅"})
	p, err := e.store.PersonByEmail(context.Background(), "new.dev@acme.example")
	if err != nil {
		t.Fatalf("new.dev: got %v, want a person record", err)
	}
	if p.Name != "new.dev" {
		t.Errorf("got name %q, want new.dev", p.Name)
	}
	// Onboarding records the onboarding, not a roster membership.
	teams, err := e.store.PersonTeams(context.Background(), p.ID)
	if err != nil || len(teams) != 0 {
		t.Errorf("got teams %v (%v), want none until GitLab or PagerDuty has them", teams, err)
	}
}

func TestOnboardChecklistSurvivesRestart(t *testing.T) {
	e := newRosterEnv(t, rosterOptions{})
	welcome := e.run(t, adaUser, "/onboard @new.dev payments")
	// new.dev clicks two of the welcome's buttons; Ada ticks one for them and
	// then unticks it.
	newDev := commands.User{ID: "UNEW01", Name: "new.dev"}
	var clicks []string
	for _, b := range buttonsOf(welcome) {
		if strings.HasPrefix(b, "/onboard --done "+itemWhoowns) || strings.HasPrefix(b, "/onboard --done "+itemOnCall) {
			clicks = append(clicks, b)
		}
	}
	if len(clicks) != 2 {
		t.Fatalf("got buttons %v, want the two items' Done buttons", buttonsOf(welcome))
	}
	for _, c := range clicks {
		resp := e.run(t, newDev, c)
		expect(t, c, rendered(t, resp), []string{"Welcome to Payments, new.dev!"}, nil)
	}
	resp := e.run(t, adaUser, "/onboard --done "+itemRunbook+" new.dev@acme.example")
	expect(t, "ticked by Ada", rendered(t, resp), []string{"Checklist (3/4 done):"}, nil)
	resp = e.run(t, adaUser, "/onboard --undo "+itemRunbook+" new.dev@acme.example")
	text := rendered(t, resp)
	expect(t, "after two ticks", text, []string{"Checklist (2/4 done):", "✅ Find your team's services with /whoowns — done 11 Mar", "☐ Read the runbook"}, nil)
	if slices.Contains(buttonsOf(resp), "/onboard --done "+itemWhoowns+" new.dev@acme.example") {
		t.Errorf("got buttons %v, want no Done button for a done item", buttonsOf(resp))
	}

	// A restart: a new store on the same database, a new router.
	router := e.newRouter(openStore(t, e.url))
	tests := []struct {
		user commands.User
		line string
		want []string
	}{
		{adaUser, "/onboard --status new.dev@acme.example", []string{"new.dev → payments: 2/4 done (welcome not sent)", "✅ Check who is on call for them with /oncall", "☐ Join your team's alerts channel"}},
		{adaUser, "/onboard --status", []string{"new.dev → payments: 2/4 done"}},
		{adaUser, "/onboard @new.dev payments", []string{"Welcome for new.dev to payments ready: 2/4 done.", "Onboarding to payments started 11 Mar 2026 by ada.lovelace; the checklist keeps its state."}},
		{adaUser, "/onboard --done nope", []string{"There is no checklist item `nope`.", "`" + itemAlerts + "` Join your team's alerts channel"}},
		{adaUser, "/onboard --done", []string{"Which checklist item? Usage: /onboard --done ITEM [@user]"}},
		{adaUser, "/onboard --status @grace.hopper", []string{"Grace Hopper has not been onboarded with /onboard."}},
		{adaUser, "/onboard --frobnicate", []string{"Unknown option --frobnicate."}},
		{adaUser, "/onboard --status @nobody.here", []string{"Nobody in the catalog is `@nobody.here`."}},
		{adaUser, "/onboard --done " + itemAlerts + " typo@acme.example", []string{"Nobody in the catalog is `typo@acme.example`."}},
	}
	for _, tt := range tests {
		expect(t, tt.line, rendered(t, runOn(t, router, tt.user, tt.line)), tt.want, nil)
	}
}

func TestOnboardSendsDirectMessage(t *testing.T) {
	m := &recordingMessenger{byMail: map[string]string{"new.dev@acme.example": "UNEW01"}}
	e := newRosterEnv(t, rosterOptions{messenger: m})
	tests := []struct {
		line     string
		wantTo   commands.Recipient
		wantText string
		wantID   string // the person's Slack id afterwards
	}{
		{"/onboard <@UPAY02|grace.hopper>", commands.Recipient{SlackUserID: "UPAY02", Email: "grace.hopper@acme.example", Name: "Grace Hopper"}, "Sent to Grace Hopper: 0/4 done.", "UPAY02"},
		{"/onboard @new.dev payments", commands.Recipient{Email: "new.dev@acme.example", Name: "new.dev"}, "Sent to new.dev: 0/4 done.", "UNEW01"},
	}
	for i, tt := range tests {
		resp := e.run(t, adaUser, tt.line)
		if resp.Text != tt.wantText {
			t.Errorf("%s: got %q, want %q", tt.line, resp.Text, tt.wantText)
		}
		if len(m.sent) != i+1 {
			t.Fatalf("%s: got %d direct messages, want %d", tt.line, len(m.sent), i+1)
		}
		dm := m.sent[i]
		if dm.to != tt.wantTo {
			t.Errorf("%s: got recipient %+v, want %+v", tt.line, dm.to, tt.wantTo)
		}
		expect(t, tt.line+" DM", rendered(t, dm.resp), []string{"Welcome to Payments", "Checklist (0/4 done):"}, nil)
		// The runner sees the summary, not the whole welcome again.
		expect(t, tt.line+" reply", rendered(t, resp), []string{"Checklist (0/4 done):"}, []string{"Services you now help own"})
		p, err := e.store.PersonByEmail(context.Background(), tt.wantTo.Email)
		if err != nil {
			t.Fatal(err)
		}
		if p.SlackUserID != tt.wantID {
			t.Errorf("%s: got Slack id %q, want %q", tt.line, p.SlackUserID, tt.wantID)
		}
	}
	// Marked sent: the status no longer says it was not.
	expect(t, "status", rendered(t, e.run(t, adaUser, "/onboard --status")), []string{"new.dev → payments: 0/4 done", "Grace Hopper → payments: 0/4 done"}, []string{"welcome not sent"})

	// Slack refuses: the runner gets the welcome to forward.
	m.fail = true
	resp := e.run(t, adaUser, "/onboard <@UPAY03|alan.turing>")
	expect(t, "refused", rendered(t, resp), []string{"Could not send @Alan Turing the welcome to payments: Slack refused the direct message", "Welcome to Payments, Alan!"}, nil)

	// Nobody in Slack has the email: the runner is told that, not that
	// Slack refused.
	m.fail, m.noAccount = false, true
	resp = e.run(t, adaUser, "/onboard @late.dev payments")
	expect(t, "no account", rendered(t, resp), []string{"the welcome to payments: Slack has no account with their email"}, []string{"Slack refused"})
}
