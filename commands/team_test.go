package commands_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
	"github.com/switchboard-dev/switchboard/gitlab"
	"github.com/switchboard-dev/switchboard/gitlab/fakegitlab"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
	"github.com/switchboard-dev/switchboard/pagerduty"
	"github.com/switchboard-dev/switchboard/pagerduty/fakepd"
	"github.com/switchboard-dev/switchboard/rosters"
	"github.com/switchboard-dev/switchboard/sampleorg"
	"github.com/switchboard-dev/switchboard/shell"
	"github.com/switchboard-dev/switchboard/standards"
)

// rosterNow is a Wednesday afternoon: the sample's weekly rotations are
// mid-shift.
var rosterNow = time.Date(2026, 3, 11, 15, 4, 5, 0, time.UTC)

// rosterEnv is the sample organisation in a fresh catalog with its rosters
// read from a fake GitLab and the fake PagerDuty through the real adapters,
// and a router with /team and /onboard (and /oncall) over it.
type rosterEnv struct {
	url       string
	store     *catalog.Store
	gitlab    *fakegitlab.Server
	pdFake    *fakepd.Server
	pd        *pagerduty.Client
	oc        *commands.OnCallLookup
	messenger commands.DirectMessenger
	users     commands.UserDirectory
	router    *commands.Router
}

type rosterOptions struct {
	noPagerDuty bool
	messenger   commands.DirectMessenger
	users       commands.UserDirectory
}

func newRosterEnv(t *testing.T, opts rosterOptions) *rosterEnv {
	t.Helper()
	ctx := context.Background()
	e := &rosterEnv{url: pgtest.URL(t), messenger: opts.messenger, users: opts.users}
	e.store = openStore(t, e.url)
	if err := sampleorg.Load(ctx, e.store); err != nil {
		t.Fatal(err)
	}

	const token = "glpat-commands-test"
	e.gitlab = fakegitlab.New(sampleorg.GitLabOrg(rosterNow), fakegitlab.Options{Token: token})
	glSrv := httptest.NewServer(e.gitlab)
	t.Cleanup(glSrv.Close)
	e.gitlab.SetURL(glSrv.URL)
	gl, err := gitlab.New(gitlab.Config{BaseURL: glSrv.URL, Token: token, RetryMax: -1})
	if err != nil {
		t.Fatal(err)
	}
	e.pdFake = fakepd.Sample(rosterNow)
	pdSrv := httptest.NewServer(e.pdFake)
	t.Cleanup(pdSrv.Close)
	e.pd, err = pagerduty.New(pagerduty.Config{
		Token: fakepd.SampleToken, APIURL: pdSrv.URL, EventsURL: pdSrv.URL,
		Retry: pagerduty.RetryPolicy{InitialBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, AttemptTimeout: 300 * time.Millisecond, MaxRetries: 1},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.pd.Now = func() time.Time { return rosterNow }
	sum, err := (&rosters.Syncer{GitLab: gl, PagerDuty: e.pd, Store: e.store}).Run(ctx)
	if err != nil || sum.Err() != nil {
		t.Fatalf("roster run: %v, %v", err, sum.Err())
	}
	e.oc = &commands.OnCallLookup{People: e.store, Now: func() time.Time { return rosterNow }}
	if !opts.noPagerDuty {
		e.oc.PagerDuty = e.pd
	}
	e.router = e.newRouter(e.store)
	return e
}

func openStore(t *testing.T, url string) *catalog.Store {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return catalog.NewStore(pool, nil)
}

// newRouter registers /team, /onboard and /oncall over store, as the
// binary does.
func (e *rosterEnv) newRouter(store *catalog.Store) *commands.Router {
	r := commands.NewRouter(slog.New(slog.DiscardHandler), 10*time.Second)
	r.Register(commands.Team(store, e.oc))
	r.Register(commands.Onboard(commands.OnboardConfig{
		Catalog: store, OnCall: e.oc, Checklist: standards.Default().Onboarding.Checklist,
		Messenger: e.messenger, Users: e.users, Now: func() time.Time { return rosterNow },
	}))
	r.Register(commands.OnCall(store, store, e.oc))
	return r
}

func (e *rosterEnv) run(t *testing.T, user commands.User, line string) commands.Response {
	t.Helper()
	return runOn(t, e.router, user, line)
}

func runOn(t *testing.T, r *commands.Router, user commands.User, line string) commands.Response {
	t.Helper()
	cmd, text, _ := strings.Cut(line, " ")
	resp, err := r.Dispatch(context.Background(), commands.Request{Command: cmd, Text: text, User: user, ChannelID: "CTEST"})
	if err != nil {
		t.Fatalf("%s: got error %v, want none", line, err)
	}
	return resp
}

// rendered is a response as the demo shell prints it.
func rendered(t *testing.T, resp commands.Response) string {
	t.Helper()
	var b bytes.Buffer
	if err := shell.Render(&b, resp); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// spansOf lists every span of a response, fields and sections alike.
func spansOf(resp commands.Response) []commands.Span {
	var out []commands.Span
	for _, b := range resp.Blocks {
		switch b := b.(type) {
		case *commands.Section:
			out = append(out, b.Text...)
			for _, f := range b.Fields {
				out = append(out, f.Value...)
			}
		case *commands.Context:
			out = append(out, b.Text...)
		}
	}
	return out
}

// mentioned lists the Slack users a response mentions.
func mentioned(resp commands.Response) map[string]bool {
	out := map[string]bool{}
	for _, s := range spansOf(resp) {
		if s.UserID != "" {
			out[s.UserID] = true
		}
	}
	return out
}

// buttonsOf lists a response's buttons: their command, else their URL.
func buttonsOf(resp commands.Response) []string {
	var out []string
	for _, b := range resp.Blocks {
		switch b := b.(type) {
		case *commands.Actions:
			for _, btn := range b.Buttons {
				out = append(out, btn.Command+btn.URL)
			}
		case *commands.Select:
			for _, o := range b.Options {
				out = append(out, o.Command)
			}
		}
	}
	return out
}

// expect checks that text holds every want and none of notWant.
func expect(t *testing.T, what, text string, want, notWant []string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("%s: got\n%s\nwant it to contain %q", what, text, w)
		}
	}
	for _, w := range notWant {
		if strings.Contains(text, w) {
			t.Errorf("%s: got\n%s\nwant it not to contain %q", what, text, w)
		}
	}
}

// levelOneName is who the fake PagerDuty has on call at level 1 for a
// sample team now.
func (e *rosterEnv) levelOneName(t *testing.T, team string) string {
	t.Helper()
	now, err := e.pd.OnCallForPolicy(context.Background(), fakepd.SampleEscalationPolicyID(team))
	if err != nil {
		t.Fatal(err)
	}
	if len(now.Levels) == 0 || len(now.Levels[0].Users) == 0 {
		t.Fatalf("got levels %+v, want someone at level 1", now.Levels)
	}
	return now.Levels[0].Users[0].Name
}

// adaUser is the sample user the tests act as.
var adaUser = commands.User{ID: "UPAY01", Name: "ada.lovelace", Email: "ada.lovelace@acme.example"}

func TestTeam(t *testing.T) {
	e := newRosterEnv(t, rosterOptions{})
	onCall := e.levelOneName(t, "payments")
	tests := []struct {
		line         string
		want         []string
		notWant      []string
		wantMentions []string
		wantButtons  []string
	}{
		{
			line: "/team payments",
			want: []string{
				"Team payments\n", "Channel:", "#team-payments", "On call now:", "@" + onCall, "until ",
				"People (4): @Ada Lovelace, @Alan Turing, @Barbara Liskov, @Grace Hopper",
				"Services (6):", "• checkout-api · tier 1 · repo acme/payments/checkout-api <https://gitlab.acme.example/acme/payments/checkout-api> · runbook <https://wiki.acme.example/runbooks/checkout-api>",
				"• pricing-engine · tier 1", "no runbook", "• fraud-scoring · tier 2",
				"GitLab group:", "acme/payments", "Escalation policy:", "EPPAY",
				"4 from the GitLab group, 4 from the PagerDuty escalation policy, 4 from the import",
			},
			notWant:      []string{"Karen"},
			wantMentions: []string{"UPAY01", "UPAY02", "UPAY03", "UPAY04"},
			wantButtons:  []string{"/oncall payments", "https://slack.com/app_redirect?channel=team-payments"},
		},
		{line: "/team  PAYMENTS ", want: []string{"Team payments\n", "People (4)"}},
		{line: "/team paymnts", want: []string{"No team named `paymnts`. Did you mean:", "• payments\n"}, wantButtons: []string{"/team payments"}},
		{line: "/team zzzz", want: []string{"No team named `zzzz`, and no team name close to it."}},
		{line: "/team", want: []string{"Usage: `/team TEAM`"}},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			resp := e.run(t, adaUser, tt.line)
			expect(t, tt.line, rendered(t, resp), tt.want, tt.notWant)
			m := mentioned(resp)
			for _, id := range tt.wantMentions {
				if !m[id] {
					t.Errorf("got mentions %v, want %s", m, id)
				}
			}
			got := buttonsOf(resp)
			for _, b := range tt.wantButtons {
				if !slices.Contains(got, b) {
					t.Errorf("got buttons %v, want %s", got, b)
				}
			}
		})
	}
}

func TestTeamOnCallDegrades(t *testing.T) {
	tests := []struct {
		name string
		prep func(e *rosterEnv)
		opts rosterOptions
		line string
		want string
	}{
		{"PagerDuty not configured", nil, rosterOptions{noPagerDuty: true}, "/team search", "unknown (PagerDuty is not configured)"},
		{"PagerDuty down", func(e *rosterEnv) { e.pdFake.SetDown(true) }, rosterOptions{}, "/team search", "unavailable: PagerDuty is not reachable"},
		{"team without escalation policy", func(e *rosterEnv) {
			if _, err := e.store.PutTeam(context.Background(), catalog.Team{Name: "docs"}); err != nil {
				t.Fatal(err)
			}
		}, rosterOptions{}, "/team docs", "unknown (no PagerDuty escalation policy for this team)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newRosterEnv(t, tt.opts)
			if tt.prep != nil {
				tt.prep(e)
			}
			text := rendered(t, e.run(t, adaUser, tt.line))
			expect(t, tt.line, text, []string{tt.want}, nil)
		})
	}
}

// recordingMessenger is the bot's DM sending as a test sees it: it records
// each message, answers with the recipient's Slack id (or one found "by
// email"), and fails for addresses it is told to.
type recordingMessenger struct {
	mu     sync.Mutex
	sent   []sentDM
	byMail map[string]string
	fail   bool
	// noAccount: no Slack account has the recipient's email.
	noAccount bool
}

type sentDM struct {
	to   commands.Recipient
	resp commands.Response
}

func (m *recordingMessenger) SendDirect(_ context.Context, to commands.Recipient, resp commands.Response) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail {
		return "", errors.New("slack: user_not_found")
	}
	if m.noAccount && to.SlackUserID == "" {
		return "", fmt.Errorf("%w with the email %s", commands.ErrNoSlackAccount, to.Email)
	}
	m.sent = append(m.sent, sentDM{to: to, resp: resp})
	if to.SlackUserID != "" {
		return to.SlackUserID, nil
	}
	return m.byMail[to.Email], nil
}
