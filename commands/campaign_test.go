package commands_test

import (
	"bytes"
	"context"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
	"github.com/switchboard-dev/switchboard/manifest"
)

// listStarter starts campaigns with a fixed list of services: the
// evaluation is package campaigns' (tested there); this is the store's
// side and the command's.
type listStarter struct {
	store    *catalog.Store
	services []catalog.CampaignService
	started  []catalog.Campaign
}

func (l *listStarter) Evaluate(ctx context.Context, c catalog.Campaign, _ []int64) ([]catalog.CampaignService, error) {
	var out []catalog.CampaignService
	for _, s := range l.services {
		if c.Filter.Match(s.Service) {
			out = append(out, s)
		}
	}
	return out, nil
}

func (l *listStarter) Start(ctx context.Context, c catalog.Campaign) (catalog.CampaignProgress, error) {
	services, _ := l.Evaluate(ctx, c, nil)
	c, err := l.store.CreateCampaign(ctx, c, services)
	if err != nil {
		return catalog.CampaignProgress{}, err
	}
	l.started = append(l.started, c)
	return l.store.CampaignByName(ctx, c.Name)
}

// denyAll refuses everyone but U-ALLOWED.
type denyAll struct{}

func (denyAll) MayPage(_ context.Context, userID string) (bool, string, error) {
	return userID == "U-ALLOWED", "paging is limited", nil
}

func TestCampaign(t *testing.T) {
	ctx := context.Background()
	s := catalog.NewStore(pgtest.New(t), nil)
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	for i, svc := range []struct{ name, team string }{{"payment-gateway", "payments"}, {"ledger", "payments"}, {"search-api", "search"}} {
		snap := catalog.RepoSnapshot{
			Repo:             catalog.Repo{GitLabID: int64(i + 1), Path: "acme/" + svc.name, WebURL: "https://gitlab/acme/" + svc.name},
			DescriptorStatus: catalog.DescriptorOK,
			Entities:         []manifest.Entity{{Kind: manifest.KindComponent, Name: svc.name, Namespace: "default", Owner: "group:" + svc.team}},
		}
		if _, err := s.ApplyRepo(ctx, snap); err != nil {
			t.Fatal(err)
		}
	}
	var services []catalog.CampaignService
	for _, name := range []string{"ledger", "payment-gateway", "search-api"} {
		l, err := s.MatchService(ctx, name)
		if err != nil || len(l.Services) != 1 {
			t.Fatalf("service %s: %v", name, err)
		}
		services = append(services, catalog.CampaignService{Service: l.Services[0], Status: catalog.CampaignOpen, Where: "pom.xml:12", FixTo: "2.17.1"})
	}
	starter := &listStarter{store: s, services: services}
	r := commands.NewRouter(nil, 0)
	r.Register(commands.Campaign(commands.CampaignConfig{Store: s, Starter: starter, Policy: denyAll{}, Now: func() time.Time { return now }}))
	run := func(user, text string) commands.Response {
		t.Helper()
		resp, err := r.Dispatch(ctx, commands.Request{Command: "/campaign", Text: text, User: commands.User{ID: user}})
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	steps := []struct {
		name, user, text string
		want, notWant    []string
	}{
		{"nothing running", "U1", "list", []string{"No campaign is running"}, nil},
		{"no deadline, started", "U-ALLOWED", "new log4j-core <2.17.1 --yes", []string{"By when? Give --deadline YYYY-MM-DD"}, nil},
		{"no deadline: one proposed", "U-ALLOWED", "new log4j-core <2.17.1", []string{"due 2026-12-31", "The deadline is 30 days from today", "/campaign new log4j-core <2.17.1 --deadline YYYY-MM-DD"}, nil},
		{"bad date", "U-ALLOWED", "new log4j-core <2.17.1 --deadline 31/12/2026", []string{"YYYY-MM-DD, got \"31/12/2026\""}, nil},
		{"past deadline", "U-ALLOWED", "new log4j-core <2.17.1 --deadline 2026-11-30", []string{"is past"}, nil},
		{"no constraint", "U-ALLOWED", "new log4j-core --deadline 2026-12-31", []string{"Give a constraint"}, nil},
		{"bad constraint", "U-ALLOWED", "new log4j-core <=banana --deadline 2026-12-31", []string{"is not a version constraint"}, nil},
		{"unknown option", "U-ALLOWED", "new log4j-core <2.17.1 --deadline 2026-12-31 --tema x", []string{"no option --tema"}, nil},
		{"no question", "U-ALLOWED", "new --deadline 2026-12-31", []string{"What must every service fix?", "opens a form"}, nil},
		{"not allowed", "U1", "new log4j-core <2.17.1 --deadline 2026-12-31", []string{"You may not start a campaign", "campaigns.allowed_usergroups"}, []string{"payments"}},
		{"preview", "U-ALLOWED", "new log4j-core <2.17.1 --deadline 2026-12-31 --team payments", []string{"Move off log4j-core <2.17.1 would start with 2 services of 1 teams", "payments: 2 services", "log4j-core-2-17-1"}, []string{"search"}},
		{"start", "U-ALLOWED", "new log4j-core <2.17.1 --deadline 2026-12-31 --channel #log4j --yes", []string{"Campaign started", "3 remaining, 0 done, 0 won't fix", "payments: 2 left", "search: 1 left", "pom.xml:12", "move to 2.17.1"}, nil},
		{"list", "U1", "list", []string{"Move off log4j-core <2.17.1", "log4j-core-2-17-1", "3 remaining, 0 done, 0 won't fix; 2 teams; due 2026-12-31", "█"}, nil},
		{"wontfix unknown service", "U1", "wontfix log4j-core-2-17-1 nope retiring", []string{"No service nope in campaign"}, nil},
		{"wontfix", "U1", "wontfix log4j-core-2-17-1 ledger retiring in January", []string{"ledger is marked won't fix", "retiring in January"}, nil},
		{"status", "U1", "status log4j-core-2-17-1", []string{"2 remaining, 0 done, 1 won't fix", "payments: 1 left, 0 done, 1 won't fix", "Left to fix (2)", "Won't fix (1)", "retiring in January", "Remaining a day: █"}, nil},
		{"status unknown", "U1", "status nope", []string{"No campaign nope"}, nil},
		{"close not allowed", "U1", "close log4j-core-2-17-1", []string{"You may not close a campaign"}, nil},
		{"close", "U-ALLOWED", "close log4j-core-2-17-1", []string{"is closed"}, nil},
		{"closed twice", "U-ALLOWED", "close log4j-core-2-17-1", []string{"No running campaign"}, nil},
		{"list after close", "U1", "list", []string{"No campaign is running"}, nil},
		{"unknown subcommand", "U1", "frobnicate", []string{"No /campaign frobnicate", "/campaign status NAME"}, nil},
	}
	for _, st := range steps {
		got := flatten(run(st.user, st.text))
		for _, w := range st.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: lacks %q:\n%s", st.name, w, got)
			}
		}
		for _, w := range st.notWant {
			if strings.Contains(got, w) {
				t.Errorf("%s: has %q:\n%s", st.name, w, got)
			}
		}
	}
	if len(starter.started) != 1 {
		t.Fatalf("started %d campaigns, want 1", len(starter.started))
	}
	c := starter.started[0]
	if c.UpdatesChannel != "log4j" || c.CreatedBy != "U-ALLOWED" || c.Condition.Package != "log4j-core" || c.Condition.Constraint != "<2.17.1" || len(c.Reminders) != 2 {
		t.Errorf("started %+v", c)
	}
	// A second campaign on the same question gets a name of its own.
	if got := flatten(run("U-ALLOWED", "new log4j-core <2.17.1 --deadline 2026-12-31 --yes")); !strings.Contains(got, "log4j-core-2-17-1-2") {
		t.Errorf("second campaign: want the name log4j-core-2-17-1-2:\n%s", got)
	}
	log, err := s.AuditLog(ctx, "", 50)
	if err != nil {
		t.Fatal(err)
	}
	refused := map[string]bool{}
	for _, e := range log {
		if e.Result == "refused" && e.Actor == "U1" {
			refused[e.Action+" "+e.Subject] = true
		}
	}
	if !refused["campaign.start campaign:log4j-core <2.17.1"] || !refused["campaign.close campaign:log4j-core-2-17-1"] || len(refused) != 2 {
		t.Errorf("refusals audited: %v, want the start and the close by U1", refused)
	}
	// A campaign named after a service: the reason is what follows the
	// service, spacing aside.
	run("U-ALLOWED", "new log4j-core <2.17.1 --deadline 2026-12-31 --name ledger-upgrade --yes")
	run("U1", "wontfix ledger-upgrade ledger  moving   off it")
	if got := flatten(run("U1", "status ledger-upgrade")); !strings.Contains(got, "ledger: moving off it") {
		t.Errorf("won't fix reason: want \"moving off it\":\n%s", got)
	}
}

// TestCampaignPreviewButton: the preview's Start button runs the same
// campaign with --yes.
func TestCampaignPreviewButton(t *testing.T) {
	ctx := context.Background()
	s := catalog.NewStore(pgtest.New(t), nil)
	starter := &listStarter{store: s, services: []catalog.CampaignService{{Service: catalog.Service{Name: "a", Team: "t"}, Status: catalog.CampaignOpen}}}
	r := commands.NewRouter(nil, 0)
	r.Register(commands.Campaign(commands.CampaignConfig{Store: s, Starter: starter,
		Now: func() time.Time { return time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) }}))
	// Each preview has the Start button and one opening the form with
	// what was given (a proposed deadline is the form's own).
	tests := []struct{ text, button, form string }{
		{"new CVE-2021-44228 --deadline 2026-12-31", "/campaign new CVE-2021-44228 --deadline 2026-12-31 --yes", "/campaign new CVE-2021-44228 --deadline 2026-12-31 --form"},
		{"new file:.gitlab-ci.yml --team web --deadline 2027-01-15 --channel #ci", "/campaign new file:.gitlab-ci.yml --deadline 2027-01-15 --channel #ci --team web --yes",
			"/campaign new file:.gitlab-ci.yml --deadline 2027-01-15 --channel #ci --team web --form"},
		{"new check:runbook --deadline 2026-12-31 --name runbooks", "/campaign new check:runbook --deadline 2026-12-31 --name runbooks --yes", "/campaign new check:runbook --deadline 2026-12-31 --name runbooks --form"},
		{"new log4j-core <2.17.1", "/campaign new log4j-core <2.17.1 --deadline 2026-12-31 --yes", "/campaign new log4j-core <2.17.1 --form"},
		{"new log4j-core <2.17.1 --deadline 2026-12-31 --channel <#C0LOG4J|log4j>", "/campaign new log4j-core <2.17.1 --deadline 2026-12-31 --channel #C0LOG4J --yes",
			"/campaign new log4j-core <2.17.1 --deadline 2026-12-31 --channel #C0LOG4J --form"},
	}
	for _, tt := range tests {
		starter.services[0].Service.Team = "t"
		if strings.Contains(tt.text, "--team web") {
			starter.services[0].Service.Team = "web"
		}
		resp, err := r.Dispatch(ctx, commands.Request{Command: "/campaign", Text: tt.text})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, b := range resp.Blocks {
			if a, ok := b.(*commands.Actions); ok {
				for _, btn := range a.Buttons {
					got = append(got, btn.Command)
				}
			}
		}
		if len(got) != 2 || got[0] != tt.button || got[1] != tt.form {
			t.Errorf("%s: buttons %q, want %q and %q\n%s", tt.text, got, tt.button, tt.form, flatten(resp))
		}
	}
}

// TestCampaignChart: status comes with the burn-down as a PNG.
func TestCampaignChart(t *testing.T) {
	ctx := context.Background()
	s := catalog.NewStore(pgtest.New(t), nil)
	snap := catalog.RepoSnapshot{Repo: catalog.Repo{GitLabID: 1, Path: "acme/a", WebURL: "https://gitlab/acme/a"}, DescriptorStatus: catalog.DescriptorOK,
		Entities: []manifest.Entity{{Kind: manifest.KindComponent, Name: "a", Namespace: "default", Owner: "group:t"}}}
	if _, err := s.ApplyRepo(ctx, snap); err != nil {
		t.Fatal(err)
	}
	l, err := s.MatchService(ctx, "a")
	if err != nil || len(l.Services) != 1 {
		t.Fatalf("service a: %v", err)
	}
	starter := &listStarter{store: s, services: []catalog.CampaignService{{Service: l.Services[0], Status: catalog.CampaignOpen}}}
	r := commands.NewRouter(nil, 0)
	r.Register(commands.Campaign(commands.CampaignConfig{Store: s, Starter: starter}))
	deadline := time.Now().UTC().AddDate(0, 1, 0).Format(time.DateOnly)
	for _, text := range []string{"new file:README.md --name readme --deadline " + deadline + " --yes", "status readme"} {
		resp, err := r.Dispatch(ctx, commands.Request{Command: "/campaign", Text: text})
		if err != nil {
			t.Fatal(err)
		}
		if text == "status readme" {
			if resp.File == nil || resp.File.Name != "campaign-readme-burndown.png" {
				t.Fatalf("status: file %+v, want the burn-down PNG\n%s", resp.File, flatten(resp))
			}
			if _, err := png.Decode(bytes.NewReader(resp.File.Content)); err != nil {
				t.Errorf("burn-down: %v", err)
			}
		}
	}
}

// TestImpactStartsCampaign: an /impact package answer offers
// "Start a campaign", which previews /campaign new of the same question.
func TestImpactStartsCampaign(t *testing.T) {
	ctx := context.Background()
	s := catalog.NewStore(pgtest.New(t), nil)
	snap := catalog.RepoSnapshot{
		Repo:             catalog.Repo{GitLabID: 1, Path: "acme/payments/gateway", WebURL: "https://gitlab/acme/payments/gateway"},
		Files:            []string{"pom.xml"},
		DescriptorStatus: catalog.DescriptorOK,
		Dependencies:     []catalog.Dependency{{Ecosystem: "maven", Name: "org.apache.logging.log4j:log4j-core", Version: "2.14.1", File: "pom.xml"}},
		Entities:         []manifest.Entity{{Kind: manifest.KindComponent, Name: "payment-gateway", Namespace: "default", Owner: "group:payments"}},
	}
	if _, err := s.ApplyRepo(ctx, snap); err != nil {
		t.Fatal(err)
	}
	r := commands.NewRouter(nil, 0)
	r.Register(commands.Impact(s))
	tests := []struct{ text, want string }{
		{"log4j-core <2.17.1", "/campaign new log4j-core <2.17.1"},
		{"file:pom.xml", ""},        // repos having a file; a campaign asks all to have it
		{"log4j-core", ""},          // no constraint: nothing to be done
		{"log4j-core >=2.17.1", ""}, // no repo to fix
	}
	for _, tt := range tests {
		resp, err := r.Dispatch(ctx, commands.Request{Command: "/impact", Text: tt.text})
		if err != nil {
			t.Fatal(err)
		}
		var got string
		for _, b := range resp.Blocks {
			if a, ok := b.(*commands.Actions); ok {
				for _, btn := range a.Buttons {
					if btn.Label == "Start a campaign" {
						got = btn.Command
					}
				}
			}
		}
		if got != tt.want {
			t.Errorf("/impact %s: Start a campaign runs %q, want %q\n%s", tt.text, got, tt.want, flatten(resp))
		}
	}
}
