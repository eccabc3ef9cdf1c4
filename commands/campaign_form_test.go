package commands_test

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
	"github.com/switchboard-dev/switchboard/manifest"
	"github.com/switchboard-dev/switchboard/scorecard"
)

// campaignFormRouter is a router with /campaign and its form over a
// store, and the starter that records what started: services of the teams
// payments (tier-1, production) and search (tier-2, production).
func campaignFormRouter(t *testing.T) (*commands.Router, *listStarter) {
	t.Helper()
	s := catalog.NewStore(pgtest.New(t), nil)
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	starter := &listStarter{store: s}
	for i, svc := range []struct{ name, team, tier string }{{"ledger", "payments", "tier-1"}, {"search-api", "search", "tier-2"}} {
		snap := catalog.RepoSnapshot{
			Repo:             catalog.Repo{GitLabID: int64(i + 1), Path: "acme/" + svc.name, WebURL: "https://gitlab/acme/" + svc.name},
			DescriptorStatus: catalog.DescriptorOK,
			Entities: []manifest.Entity{{Kind: manifest.KindComponent, Name: svc.name, Namespace: "default", Owner: "group:" + svc.team,
				Tier: svc.tier, Lifecycle: "production"}},
		}
		if _, err := s.ApplyRepo(context.Background(), snap); err != nil {
			t.Fatal(err)
		}
		l, err := s.MatchService(context.Background(), svc.name)
		if err != nil || len(l.Services) != 1 {
			t.Fatalf("service %s: %v", svc.name, err)
		}
		starter.services = append(starter.services, catalog.CampaignService{Service: l.Services[0], Status: catalog.CampaignOpen})
	}
	r := commands.NewRouter(nil, 0)
	commands.RegisterCampaignCommand(r, commands.CampaignConfig{Store: s, Starter: starter, Policy: denyAll{}, Now: func() time.Time { return now }})
	return r, starter
}

// TestCampaignForm: /campaign new alone, or --form, opens the modal,
// prefilled with what was given.
func TestCampaignForm(t *testing.T) {
	r, _ := campaignFormRouter(t)
	tests := []struct {
		text string
		want map[string]string // initial value by field
	}{
		{"new", map[string]string{"title": "", "question": "", "teams": "", "tiers": "", "lifecycles": "", "deadline": "2026-12-31", "channel": "", "reminders": "7d,1d"}},
		{"new check:runbook --team payments --form", map[string]string{"title": "Pass the scorecard check runbook", "question": "check:runbook", "teams": "payments",
			"tiers": "", "lifecycles": "", "deadline": "2026-12-31", "channel": "", "reminders": "7d,1d"}},
		{"new CVE-2021-44228 --deadline 2027-01-15 --channel <#C0LOG4J|log4j> --team a --team b --form", map[string]string{"title": "Fix CVE-2021-44228", "question": "CVE-2021-44228",
			"teams": "a, b", "tiers": "", "lifecycles": "", "deadline": "2027-01-15", "channel": "C0LOG4J", "reminders": "7d,1d"}},
		// A channel by name is no channel id: the picker starts empty.
		{"new CVE-2021-44228 --channel #log4j --form", map[string]string{"title": "Fix CVE-2021-44228", "question": "CVE-2021-44228",
			"teams": "", "tiers": "", "lifecycles": "", "deadline": "2026-12-31", "channel": "", "reminders": "7d,1d"}},
	}
	kinds := map[string]string{"title": commands.FieldText, "question": commands.FieldText, "teams": commands.FieldText, "tiers": commands.FieldText,
		"lifecycles": commands.FieldText, "deadline": commands.FieldDate, "channel": commands.FieldChannel, "reminders": commands.FieldText}
	for _, tt := range tests {
		resp, err := r.Dispatch(context.Background(), commands.Request{Command: "/campaign", Text: tt.text, User: commands.User{ID: "U-ALLOWED"}})
		if err != nil {
			t.Fatal(err)
		}
		if resp.Form == nil {
			t.Fatalf("%s: no form:\n%s", tt.text, flatten(resp))
		}
		if resp.Form.ID != "campaign-new" || resp.Form.Title == "" || len(resp.Form.Title) > 24 {
			t.Errorf("%s: form %q titled %q", tt.text, resp.Form.ID, resp.Form.Title)
		}
		got := map[string]string{}
		for _, f := range resp.Form.Fields {
			got[f.Name] = f.Initial
			if f.Kind != kinds[f.Name] {
				t.Errorf("%s: field %s is a %s, want a %s", tt.text, f.Name, f.Kind, kinds[f.Name])
			}
			if required := f.Name == "question" || f.Name == "deadline"; f.Optional == required {
				t.Errorf("%s: field %s optional %v", tt.text, f.Name, f.Optional)
			}
		}
		if !maps.Equal(got, tt.want) {
			t.Errorf("%s: initial values\n%v\nwant\n%v", tt.text, got, tt.want)
		}
	}
}

// TestCampaignFormSubmit: a submission is checked field by field, and an
// accepted one starts the campaign as --yes does.
func TestCampaignFormSubmit(t *testing.T) {
	ctx := context.Background()
	valid := map[string]string{"title": "", "question": "CVE-2021-44228", "teams": "", "tiers": "", "lifecycles": "",
		"deadline": "2026-12-31", "channel": "C0LOG4J", "reminders": "7d,1d"}
	with := func(kv ...string) map[string]string {
		v := maps.Clone(valid)
		for i := 0; i < len(kv); i += 2 {
			v[kv[i]] = kv[i+1]
		}
		return v
	}
	tests := []struct {
		name   string
		values map[string]string
		errs   map[string]string // field → part of its error
	}{
		{"no question", with("question", ""), map[string]string{"question": "Say what every service must fix"}},
		{"no constraint", with("question", "log4j-core"), map[string]string{"question": "Give a constraint"}},
		{"bad constraint", with("question", "log4j-core <=banana"), map[string]string{"question": "is not a version constraint"}},
		{"empty check", with("question", "check:"), map[string]string{"question": "check: wants a scorecard check's id"}},
		{"no deadline", with("deadline", ""), map[string]string{"deadline": "Choose the day"}},
		{"bad deadline", with("deadline", "31/12/2026"), map[string]string{"deadline": `"31/12/2026" is not a day`}},
		{"past deadline", with("deadline", "2026-11-30"), map[string]string{"deadline": "2026-11-30 is past: choose a day from today (2026-12-01) on"}},
		{"reminder without unit", with("reminders", "7"), map[string]string{"reminders": `"7" wants a unit`}},
		{"reminder not a number", with("reminders", "xd"), map[string]string{"reminders": `"xd" is not a whole number`}},
		{"reminder zero", with("reminders", "0d"), map[string]string{"reminders": `"0d" is not a whole number`}},
		{"reminder twice", with("reminders", "1d,24h"), map[string]string{"reminders": `"24h" is given twice`}},
		{"reminder in minutes", with("reminders", "30m"), map[string]string{"reminders": `"30m" wants a unit: days (7d) or hours (12h)`}},
		{"reminder over a year", with("reminders", "400d"), map[string]string{"reminders": `"400d" is more than a year`}},
		{"long title", with("title", strings.Repeat("x", 151)), map[string]string{"title": "At most 150 characters"}},
		{"unknown teams", with("teams", "payments, nope,zilch"), map[string]string{"teams": "No team nope, zilch in the catalog"}},
		{"every error at once", with("question", "", "deadline", "", "reminders", "soon"), map[string]string{"question": "Say what", "deadline": "Choose the day", "reminders": `"soon" wants a unit`}},
	}
	r, starter := campaignFormRouter(t)
	for _, tt := range tests {
		res, err := r.Submit(ctx, commands.Request{User: commands.User{ID: "U-ALLOWED"}}, "campaign-new", "", tt.values)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if !slices.Equal(slices.Sorted(maps.Keys(res.Errors)), slices.Sorted(maps.Keys(tt.errs))) {
			t.Errorf("%s: errors %v, want on %v", tt.name, res.Errors, slices.Sorted(maps.Keys(tt.errs)))
			continue
		}
		for f, want := range tt.errs {
			if !strings.Contains(res.Errors[f], want) {
				t.Errorf("%s: %s: error %q, want %q", tt.name, f, res.Errors[f], want)
			}
		}
	}
	if len(starter.started) != 0 {
		t.Fatalf("refused submissions started %d campaigns", len(starter.started))
	}

	// Refused by the policy: nothing starts, the user is told.
	res, err := r.Submit(ctx, commands.Request{User: commands.User{ID: "U1"}}, "campaign-new", "", valid)
	if err != nil || len(res.Errors) > 0 || !strings.Contains(flatten(res.Response), "You may not start a campaign") {
		t.Fatalf("refused: %v %v\n%s", err, res.Errors, flatten(res.Response))
	}

	starts := []struct {
		name   string
		values map[string]string
		want   catalog.Campaign
		text   []string
	}{
		{"everything", with("title", "Log4Shell", "teams", "payments, search", "tiers", "tier-1", "lifecycles", "production", "reminders", "1D, 14d,12H"),
			catalog.Campaign{Name: "cve-2021-44228", Title: "Log4Shell", Condition: catalog.CampaignCondition{Kind: catalog.ConditionAdvisory, Advisory: "CVE-2021-44228"},
				Filter:   catalog.CampaignFilter{Teams: []string{"payments", "search"}, Tiers: []string{"tier-1"}, Lifecycles: []string{"production"}},
				Deadline: time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC), UpdatesChannel: "C0LOG4J", CreatedBy: "U-ALLOWED",
				Reminders: []time.Duration{14 * 24 * time.Hour, 24 * time.Hour, 12 * time.Hour}},
			[]string{"Campaign started", "Log4Shell", "1 remaining", "payments: 1 left"}},
		{"defaults: the question's title, every team, no reminder", with("question", "log4j-core <2.17.1", "channel", "", "reminders", ""),
			catalog.Campaign{Name: "log4j-core-2-17-1", Title: "Move off log4j-core <2.17.1", Condition: catalog.CampaignCondition{Kind: catalog.ConditionPackage, Package: "log4j-core", Constraint: "<2.17.1"},
				Deadline: time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC), CreatedBy: "U-ALLOWED", Reminders: []time.Duration{}},
			[]string{"Campaign started", "2 remaining", "payments: 1 left", "search: 1 left"}},
	}
	for i, st := range starts {
		res, err := r.Submit(ctx, commands.Request{User: commands.User{ID: "U-ALLOWED"}}, "campaign-new", "", st.values)
		if err != nil || len(res.Errors) > 0 {
			t.Fatalf("%s: %v %v", st.name, err, res.Errors)
		}
		got := flatten(res.Response)
		for _, w := range st.text {
			if !strings.Contains(got, w) {
				t.Errorf("%s: lacks %q:\n%s", st.name, w, got)
			}
		}
		if len(starter.started) != i+1 {
			t.Fatalf("%s: %d started, want %d", st.name, len(starter.started), i+1)
		}
		c := starter.started[i]
		if c.Name != st.want.Name || c.Title != st.want.Title || c.Condition != st.want.Condition || !slices.Equal(c.Filter.Teams, st.want.Filter.Teams) ||
			!slices.Equal(c.Filter.Tiers, st.want.Filter.Tiers) || !slices.Equal(c.Filter.Lifecycles, st.want.Filter.Lifecycles) ||
			!c.Deadline.Equal(st.want.Deadline) || c.UpdatesChannel != st.want.UpdatesChannel || c.CreatedBy != st.want.CreatedBy ||
			!slices.Equal(c.Reminders, st.want.Reminders) {
			t.Errorf("%s: started\n%+v\nwant\n%+v", st.name, c, st.want)
		}
	}
}

// TestScorecardStartsCampaign: a failing check on a service's or a team's
// scorecard offers a campaign over it (a team's filtered by the team); a
// card with nothing failed offers none.
func TestScorecardStartsCampaign(t *testing.T) {
	e := newScoreEnv(t)
	e.add(t, "checkout-api", "payments", passing(e.card, scorecard.Values{"runbook": scorecard.Text("")}))
	e.add(t, "ledger", "payments", passing(e.card, scorecard.Values{"oncall_now": scorecard.UnknownValue(scorecard.KindBool, "PagerDuty did not answer")}))
	e.add(t, "no-readme", "identity", passing(e.card, scorecard.Values{"readme": scorecard.Bool(false), "runbook": scorecard.Text("")}))
	e.add(t, "top", "search", passing(e.card, nil))
	tests := []struct {
		text   string
		button string // "": no campaign offered
	}{
		{"checkout-api", "button:/campaign new check:runbook"},
		{"no-readme", "button:/campaign new check:readme"}, // the next level's first
		{"ledger", ""}, // unknown is not failed
		{"top", ""},
		{"@payments", "button:/campaign new check:runbook --team payments"},
		{"@identity", "button:/campaign new check:readme --team identity"},
		{"@search", ""},
	}
	for _, tt := range tests {
		_, got := e.run(t, tt.text)
		if !strings.Contains(got, "H:Scorecard") {
			t.Fatalf("%s: no scorecard:\n%s", tt.text, got)
		}
		n := strings.Count(got, "button:/campaign new")
		switch {
		case tt.button == "" && n != 0:
			t.Errorf("%s: offers a campaign:\n%s", tt.text, got)
		case tt.button != "" && (n != 1 || !strings.Contains(got, tt.button+"\n") && !strings.HasSuffix(got, tt.button)):
			t.Errorf("%s: want one %q:\n%s", tt.text, tt.button, got)
		}
	}
}
