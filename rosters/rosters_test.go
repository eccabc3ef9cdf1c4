package rosters_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/gitlab"
	"github.com/switchboard-dev/switchboard/gitlab/fakegitlab"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
	"github.com/switchboard-dev/switchboard/oncall"
	"github.com/switchboard-dev/switchboard/pagerduty"
	"github.com/switchboard-dev/switchboard/pagerduty/fakepd"
	"github.com/switchboard-dev/switchboard/rosters"
	"github.com/switchboard-dev/switchboard/sampleorg"
)

// now is a Wednesday afternoon: the sample's rotations are mid-week.
var now = time.Date(2026, 3, 11, 15, 4, 5, 0, time.UTC)

const gitlabToken = "glpat-rosters-test"

// slackDirectory is the sample's Slack workspace, as the bot's
// users.lookupByEmail would answer; it counts the questions.
type slackDirectory struct {
	mu    sync.Mutex
	ids   map[string]string
	calls int
	err   error
}

func newSlackDirectory() *slackDirectory {
	d := &slackDirectory{ids: map[string]string{}}
	for _, p := range sampleorg.People() {
		d.ids[strings.ToLower(p.Email)] = p.SlackUserID
	}
	return d
}

func (d *slackDirectory) UserIDByEmail(_ context.Context, email string) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls++
	if d.err != nil {
		return "", d.err
	}
	return d.ids[strings.ToLower(email)], nil
}

// env is the sample organisation's teams in a fresh catalog (no people, no
// memberships), its GitLab groups in a fake GitLab and its escalation
// policies in a fake PagerDuty, both served over HTTP and read through the
// real adapters.
type env struct {
	store  *catalog.Store
	gitlab *fakegitlab.Server
	pd     *fakepd.Server
	slack  *slackDirectory
	syncer *rosters.Syncer
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{store: catalog.NewStore(pgtest.New(t), nil), slack: newSlackDirectory()}
	for _, name := range sampleTeams() {
		if _, err := e.store.PutTeam(ctx, catalog.Team{Name: name, GitLabGroup: "acme/" + name, PagerDutyEscalationPolicy: fakepd.SampleEscalationPolicyID(name)}); err != nil {
			t.Fatal(err)
		}
	}

	e.gitlab = fakegitlab.New(sampleorg.GitLabOrg(now), fakegitlab.Options{Token: gitlabToken})
	glSrv := httptest.NewServer(e.gitlab)
	t.Cleanup(glSrv.Close)
	e.gitlab.SetURL(glSrv.URL)
	gl, err := gitlab.New(gitlab.Config{BaseURL: glSrv.URL, Token: gitlabToken, RetryMax: -1})
	if err != nil {
		t.Fatal(err)
	}

	e.pd = fakepd.Sample(now)
	pdSrv := httptest.NewServer(e.pd)
	t.Cleanup(pdSrv.Close)
	pd, err := pagerduty.New(pagerduty.Config{
		Token: fakepd.SampleToken, APIURL: pdSrv.URL, EventsURL: pdSrv.URL,
		Retry: pagerduty.RetryPolicy{InitialBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, AttemptTimeout: 300 * time.Millisecond, MaxRetries: 1},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.syncer = &rosters.Syncer{GitLab: gl, PagerDuty: pd, Slack: e.slack, Store: e.store, Now: func() time.Time { return now }}
	return e
}

// sampleTeams are the sample organisation's team names, in order.
func sampleTeams() []string {
	var out []string
	for _, p := range sampleorg.People() {
		if !slices.Contains(out, p.Team) {
			out = append(out, p.Team)
		}
	}
	return out
}

func (e *env) run(t *testing.T) rosters.Summary {
	t.Helper()
	sum, err := e.syncer.Run(context.Background())
	if err != nil {
		t.Fatalf("roster run: %v", err)
	}
	return sum
}

// roster renders a team's roster as "email=source+source".
func (e *env) roster(t *testing.T, team string) []string {
	t.Helper()
	tm, err := e.store.FindTeam(context.Background(), team)
	if err != nil {
		t.Fatal(err)
	}
	members, err := e.store.Roster(context.Background(), tm.ID)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range members {
		out = append(out, m.Email+"="+strings.Join(m.Sources, "+"))
	}
	slices.Sort(out)
	return out
}

func emails(team string, sources string) []string {
	var out []string
	for _, p := range sampleorg.People() {
		if p.Team == team {
			out = append(out, p.Email+"="+sources)
		}
	}
	slices.Sort(out)
	return out
}

func TestRunJoinsGitLabAndPagerDutyByEmail(t *testing.T) {
	e := newEnv(t)
	sum := e.run(t)
	people := sampleorg.People()
	want := rosters.Summary{Teams: 8, GitLabRosters: 8, PagerDutyRosters: 8, Added: 2 * len(people), SlackLinked: len(people)}
	if got := countsOf(sum); got != countsOf(want) {
		t.Errorf("got summary %+v, want %+v", got, countsOf(want))
	}
	if err := sum.Err(); err != nil {
		t.Errorf("got failures %v, want none", err)
	}
	for _, team := range sampleTeams() {
		if got, want := e.roster(t, team), emails(team, "gitlab+pagerduty"); !slices.Equal(got, want) {
			t.Errorf("roster of %s: got %v, want %v", team, got, want)
		}
	}
	// One person per email, with what each system knows of them.
	for _, sp := range people {
		p, err := e.store.PersonByEmail(context.Background(), sp.Email)
		if err != nil {
			t.Fatal(err)
		}
		if p.Name != sp.Name || p.GitLabUsername != sp.GitLabUsername || p.PagerDutyUserID != fakepd.SampleUserID(sp.Email) || p.SlackUserID != sp.SlackUserID {
			t.Errorf("got person %+v, want name %q, gitlab %q, pagerduty %q, slack %q", p, sp.Name, sp.GitLabUsername, fakepd.SampleUserID(sp.Email), sp.SlackUserID)
		}
	}
	var n int
	if err := e.store.Pool().QueryRow(context.Background(), `SELECT count(*) FROM people`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != len(people) {
		t.Errorf("got %d people, want %d (one per email)", n, len(people))
	}

	// A second run changes nothing and asks Slack nothing more.
	calls := e.slack.calls
	sum = e.run(t)
	if sum.Added != 0 || sum.Removed != 0 || len(sum.Failures) != 0 {
		t.Errorf("second run: got added %d, removed %d, failures %v; want nothing", sum.Added, sum.Removed, sum.Failures)
	}
	if e.slack.calls != calls {
		t.Errorf("second run: got %d more Slack lookups, want 0 (everyone is linked)", e.slack.calls-calls)
	}
}

// counts are a summary's numbers, to compare.
type counts struct {
	Teams, GitLabRosters, PagerDutyRosters, Added, Removed, Inactive, Unmatched, SlackLinked, SlackFailures int
}

func countsOf(s rosters.Summary) counts {
	return counts{s.Teams, s.GitLabRosters, s.PagerDutyRosters, s.Added, s.Removed, s.Inactive, s.Unmatched, s.SlackLinked, s.SlackFailures}
}

func TestRosterFollowsGitLabGroupChange(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.run(t)
	// Barbara is also declared in the team's Backstage Group descriptor.
	if err := e.store.AddMember(ctx, "payments", "barbara.liskov@acme.example", catalog.MemberSourceDescriptor, ""); err != nil {
		t.Fatal(err)
	}
	group := e.gitlab.GroupMembers("acme/payments")
	if len(group) != 4 {
		t.Fatalf("got %d members of acme/payments, want 4", len(group))
	}
	ada, grace, alan, barbara := group[0], group[1], group[2], group[3]
	eve := fakegitlab.Member{ID: 9001, Username: "evenewcomer", Name: "Eve Newcomer", Email: "eve.newcomer@acme.example"}
	bot := fakegitlab.Member{ID: 9002, Username: "group_11_bot_4f2a", Name: "payments deploy token", Email: "group11_bot@noreply.gitlab.example"}
	adaNoEmail := ada
	adaNoEmail.Email = "" // a token that may not see emails: joined by username

	base := emails("payments", "gitlab+pagerduty")
	for i, m := range base {
		if strings.HasPrefix(m, "barbara.liskov@") {
			base[i] = "barbara.liskov@acme.example=descriptor+gitlab+pagerduty"
		}
	}
	steps := []struct {
		name        string
		members     []fakegitlab.Member
		wantAdded   int
		wantRemoved int
		wantSkipped int // bots and blocked accounts
		want        []string
	}{
		{
			name: "Eve joins the GitLab group (and a bot token appears)", members: []fakegitlab.Member{ada, grace, alan, barbara, eve, bot},
			wantAdded: 1, wantSkipped: 1,
			want: sorted(append(slices.Clone(base), "eve.newcomer@acme.example=gitlab")),
		},
		{
			name: "Eve and Barbara leave it; Ada is seen without an email", members: []fakegitlab.Member{adaNoEmail, grace, alan},
			wantRemoved: 2,
			want: sorted([]string{
				"ada.lovelace@acme.example=gitlab+pagerduty", "alan.turing@acme.example=gitlab+pagerduty",
				"barbara.liskov@acme.example=descriptor+pagerduty", "grace.hopper@acme.example=gitlab+pagerduty",
			}),
		},
	}
	for _, st := range steps {
		if err := e.gitlab.SetGroupMembers("acme/payments", st.members); err != nil {
			t.Fatal(err)
		}
		sum := e.run(t)
		if sum.Added != st.wantAdded || sum.Removed != st.wantRemoved || sum.Inactive != st.wantSkipped || len(sum.Failures) != 0 {
			t.Errorf("%s: got added %d, removed %d, inactive %d, failures %v; want %d, %d, %d, none",
				st.name, sum.Added, sum.Removed, sum.Inactive, sum.Failures, st.wantAdded, st.wantRemoved, st.wantSkipped)
		}
		if got := e.roster(t, "payments"); !slices.Equal(got, st.want) {
			t.Errorf("%s: got roster %v, want %v", st.name, got, st.want)
		}
	}
	// The other teams did not move.
	if got, want := e.roster(t, "search"), emails("search", "gitlab+pagerduty"); !slices.Equal(got, want) {
		t.Errorf("roster of search: got %v, want %v", got, want)
	}
}

func sorted(s []string) []string {
	slices.Sort(s)
	return s
}

func TestRunFailuresLeaveRostersAsTheyWere(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.run(t)
	if _, err := e.store.PutTeam(ctx, catalog.Team{Name: "ghost", GitLabGroup: "acme/ghost", PagerDutyEscalationPolicy: "PNOPE00"}); err != nil {
		t.Fatal(err)
	}
	e.pd.SetDown(true)
	e.slack.err = errors.New("slack is down")
	// Someone joins while PagerDuty is down: GitLab's part still lands.
	eve := fakegitlab.Member{ID: 9001, Username: "evenewcomer", Name: "Eve Newcomer", Email: "eve.newcomer@acme.example"}
	if err := e.gitlab.SetGroupMembers("acme/payments", append(e.gitlab.GroupMembers("acme/payments"), eve)); err != nil {
		t.Fatal(err)
	}

	sum := e.run(t)
	if sum.GitLabRosters != 8 || sum.PagerDutyRosters != 0 || sum.Added != 1 || sum.Removed != 0 {
		t.Errorf("got summary %+v, want 8 GitLab rosters, no PagerDuty roster, 1 added, none removed", countsOf(sum))
	}
	var failed []string
	for _, f := range sum.Failures {
		failed = append(failed, f.Team+"/"+f.Source)
		wantErr := oncall.ErrUnavailable
		if f.Source == catalog.MemberSourceGitLab {
			wantErr = gitlab.ErrNotFound
		}
		if !errors.Is(f.Err, wantErr) {
			t.Errorf("failure %s/%s: got %v, want %v", f.Team, f.Source, f.Err, wantErr)
		}
	}
	slices.Sort(failed)
	want := []string{"ghost/gitlab"}
	for _, team := range append(sampleTeams(), "ghost") {
		want = append(want, team+"/pagerduty")
	}
	slices.Sort(want)
	if !slices.Equal(failed, want) {
		t.Errorf("got failures %v, want %v", failed, want)
	}
	if sum.SlackFailures != 1 {
		t.Errorf("got %d Slack failures, want 1 (Eve's lookup)", sum.SlackFailures)
	}
	if err := sum.Err(); err == nil || !strings.Contains(err.Error(), "pagerduty roster of team payments") {
		t.Errorf("got Err() %v, want the failures joined", err)
	}
	wantPayments := sorted(append(emails("payments", "gitlab+pagerduty"), "eve.newcomer@acme.example=gitlab"))
	if got := e.roster(t, "payments"); !slices.Equal(got, wantPayments) {
		t.Errorf("roster of payments: got %v, want %v (PagerDuty's part kept)", got, wantPayments)
	}
	eveP, err := e.store.PersonByEmail(ctx, eve.Email)
	if err != nil {
		t.Fatal(err)
	}
	if eveP.SlackUserID != "" {
		t.Errorf("got Eve's Slack id %q, want none (Slack failed)", eveP.SlackUserID)
	}
}

func TestRunWithoutSources(t *testing.T) {
	e := newEnv(t)
	e.syncer.GitLab, e.syncer.PagerDuty, e.syncer.Slack = nil, nil, nil
	sum := e.run(t)
	if got := countsOf(sum); got != (counts{}) {
		t.Errorf("got %+v, want nothing done", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	e2 := newEnv(t)
	if _, err := e2.syncer.Run(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("run with a cancelled context: got %v, want context.Canceled", err)
	}
}

func TestRunStopsAskingAFailingSlack(t *testing.T) {
	e := newEnv(t)
	e.slack.err = errors.New("slack: ratelimited")
	sum := e.run(t)
	if sum.SlackFailures != 5 || e.slack.calls != 5 {
		t.Errorf("got %d Slack failures after %d lookups, want 5 and 5 (then it stops asking)", sum.SlackFailures, e.slack.calls)
	}
	if sum.GitLabRosters != 8 || sum.PagerDutyRosters != 8 || len(sum.Failures) != 0 {
		t.Errorf("got %d GitLab and %d PagerDuty rosters, failures %v; want 8, 8, none (Slack is not needed to write them)", sum.GitLabRosters, sum.PagerDutyRosters, sum.Failures)
	}
}

// TestPolicyLearntFromServices: a team that came from descriptors has no
// escalation policy; its services' PagerDuty services tell it, and its
// PagerDuty roster follows.
func TestPolicyLearntFromServices(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.store.Pool().Exec(ctx, `UPDATE teams SET pagerduty_escalation_policy = '' WHERE name = 'payments'`); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.PutService(ctx, catalog.Service{Name: "checkout-api", Team: "payments", Tier: "1", Source: catalog.SourceDescriptor,
		PagerDutyServiceID: fakepd.SampleServiceID("checkout-api")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.syncer.Run(ctx); err != nil {
		t.Fatal(err)
	}
	team, err := e.store.FindTeam(ctx, "payments")
	if err != nil || team.PagerDutyEscalationPolicy != fakepd.SampleEscalationPolicyID("payments") {
		t.Fatalf("payments' policy: got %q, %v; want %s", team.PagerDutyEscalationPolicy, err, fakepd.SampleEscalationPolicyID("payments"))
	}
	var fromPD int
	if err := e.store.Pool().QueryRow(ctx, `SELECT count(*) FROM team_members m JOIN teams t ON t.id = m.team_id WHERE t.name = 'payments' AND m.source = 'pagerduty'`).Scan(&fromPD); err != nil || fromPD == 0 {
		t.Fatalf("payments' PagerDuty roster: %d members, %v", fromPD, err)
	}
}
