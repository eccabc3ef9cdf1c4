package catalog_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
)

// campaignService looks a seeded service up by name.
func campaignService(t *testing.T, s *catalog.Store, name string) catalog.Service {
	t.Helper()
	l, err := s.MatchService(context.Background(), name)
	if err != nil || len(l.Services) != 1 {
		t.Fatalf("service %s: %+v, %v", name, l.Services, err)
	}
	return l.Services[0]
}

func TestCampaignStore(t *testing.T) {
	s := seedDigestOrg(t)
	ctx := context.Background()
	now := digestNow()
	s.Now = func() time.Time { return now }
	checkout, ledger, query := campaignService(t, s, "checkout-api"), campaignService(t, s, "ledger"), campaignService(t, s, "query")
	c, err := s.CreateCampaign(ctx, catalog.Campaign{
		Name: "log4shell", Title: "Log4Shell",
		Condition: catalog.CampaignCondition{Kind: catalog.ConditionPackage, Package: "log4j-core", Constraint: "<2.17.1"},
		Deadline:  now.Add(30 * 24 * time.Hour), UpdatesChannel: "#sec", Reminders: []time.Duration{7 * 24 * time.Hour},
		CreatedBy: "U1",
	}, []catalog.CampaignService{
		{Service: checkout, Status: catalog.CampaignOpen, Where: "pom.xml:12", FixTo: "2.17.1"},
		{Service: ledger, Status: catalog.CampaignOpen, Where: "pom.xml:40", FixTo: "2.17.1"},
		{Service: query, Status: catalog.CampaignDone}, // never matched: left out
	})
	if err != nil {
		t.Fatal(err)
	}
	// A day later: checkout fixed, ledger won't fix, query starts matching.
	now = now.Add(24 * time.Hour)
	if err := s.SetCampaignServices(ctx, c.ID, []catalog.CampaignService{
		{Service: checkout, Status: catalog.CampaignDone},
		{Service: query, Status: catalog.CampaignOpen, Where: "build.gradle:3", FixTo: "2.17.1"},
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.WontFix(ctx, "log4shell", "ledger", "retiring in January", "U2"); err != nil {
		t.Fatal(err)
	}
	// The won't-fix stays so whatever the evaluation says.
	if err := s.SetCampaignServices(ctx, c.ID, []catalog.CampaignService{{Service: ledger, Status: catalog.CampaignOpen}}); err != nil {
		t.Fatal(err)
	}
	p, err := s.CampaignByName(ctx, "Log4Shell")
	if err != nil {
		t.Fatal(err)
	}
	if p.Campaign.Condition.String() != "log4j-core <2.17.1" || len(p.Campaign.Reminders) != 1 || p.Campaign.Reminders[0] != 7*24*time.Hour {
		t.Errorf("campaign: got %+v", p.Campaign)
	}
	status := map[string]catalog.CampaignService{}
	for _, cs := range p.Services {
		status[cs.Service.Name] = cs
	}
	if status["checkout-api"].Status != "done" || status["checkout-api"].Where != "pom.xml:12" ||
		status["ledger"].Status != "wontfix" || status["ledger"].Reason != "retiring in January" ||
		status["query"].Status != "open" || status["query"].Where != "build.gradle:3" || len(p.Services) != 3 {
		t.Errorf("services: got %+v", p.Services)
	}
	wantTeams := []catalog.CampaignTeam{{Team: "payments", Done: 1, WontFix: 1}, {Team: "search", Open: 1}}
	if len(p.ByTeam) != 2 || p.ByTeam[0] != wantTeams[0] || p.ByTeam[1] != wantTeams[1] || p.Remaining() != 1 {
		t.Errorf("by team: got %+v, want %+v", p.ByTeam, wantTeams)
	}
	if len(p.Days) != 2 || p.Days[0].Remaining != 2 || p.Days[1].Remaining != 1 || !p.Days[1].Day.Equal(now.Truncate(24*time.Hour)) {
		t.Errorf("days: got %+v", p.Days)
	}
	if err := s.CloseCampaign(ctx, "log4shell", "U1"); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		open bool
		want int
	}{{true, 0}, {false, 1}} {
		all, err := s.Campaigns(ctx, tt.open)
		if err != nil || len(all) != tt.want {
			t.Errorf("Campaigns(%v): got %d, %v; want %d", tt.open, len(all), err, tt.want)
		}
	}
	log, err := s.AuditLog(ctx, "campaign:log4shell", 10)
	if err != nil || len(log) != 3 || log[0].Action != "campaign.close" || log[1].Action != "campaign.wontfix" || log[2].Action != "campaign.start" {
		t.Errorf("audit: got %+v, %v", log, err)
	}
	for _, tt := range []struct {
		name string
		err  error
	}{
		{"close again", s.CloseCampaign(ctx, "log4shell", "U1")},
		{"unknown campaign", func() error { _, err := s.CampaignByName(ctx, "nope"); return err }()},
		{"won't fix unknown service", s.WontFix(ctx, "log4shell", "indexer", "x", "U1")},
	} {
		if !errors.Is(tt.err, catalog.ErrNotFound) {
			t.Errorf("%s: got %v, want ErrNotFound", tt.name, tt.err)
		}
	}
}

func TestCampaignConditionString(t *testing.T) {
	for _, tt := range []struct {
		c    catalog.CampaignCondition
		want string
	}{
		{catalog.CampaignCondition{Kind: "package", Package: "log4j-core", Constraint: "<2.17.1"}, "log4j-core <2.17.1"},
		{catalog.CampaignCondition{Kind: "advisory", Advisory: "CVE-2021-44228"}, "CVE-2021-44228"},
		{catalog.CampaignCondition{Kind: "scorecard", Check: "runbook"}, "scorecard check runbook"},
		{catalog.CampaignCondition{Kind: "file", FileGlob: ".gitlab-ci.yml"}, "has .gitlab-ci.yml"},
	} {
		if got := tt.c.String(); got != tt.want {
			t.Errorf("%+v: got %q, want %q", tt.c, got, tt.want)
		}
		if err := tt.c.Validate(); err != nil {
			t.Errorf("%+v: %v", tt.c, err)
		}
	}
}

func TestCampaignMessageClaims(t *testing.T) {
	s := seedDigestOrg(t)
	ctx := context.Background()
	now := digestNow()
	s.Now = func() time.Time { return now }
	c, err := s.CreateCampaign(ctx, catalog.Campaign{Name: "ci", Title: "CI everywhere",
		Condition: catalog.CampaignCondition{Kind: catalog.ConditionFile, FileGlob: ".gitlab-ci.yml"}, Deadline: now.Add(time.Hour)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		name      string
		advance   time.Duration
		by        string
		wantClaim bool
	}{
		{"first replica", 0, "r1", true},
		{"second replica while r1 posts", time.Minute, "r2", false},
		{"second replica once r1 is presumed dead", 10 * time.Minute, "r2", true},
	} {
		now = now.Add(step.advance)
		got, err := s.ClaimCampaignMessage(ctx, c.ID, "payments", step.by, 5*time.Minute)
		if err != nil || got != step.wantClaim {
			t.Errorf("%s: claimed %v, %v; want %v", step.name, got, err, step.wantClaim)
		}
	}
	m := catalog.CampaignMessage{CampaignID: c.ID, Team: "payments", Channel: "#team-payments", TS: "1.0001", Hash: "h1"}
	if err := s.CampaignMessagePosted(ctx, m, "r1"); !errors.Is(err, catalog.ErrConflict) {
		t.Errorf("posted by a replica that lost the claim: got %v, want ErrConflict", err)
	}
	if err := s.CampaignMessagePosted(ctx, m, "r2"); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Hour)
	if got, err := s.ClaimCampaignMessage(ctx, c.ID, "payments", "r3", 5*time.Minute); err != nil || got {
		t.Errorf("claim of a posted message: got %v, %v; want false", got, err)
	}
	if err := s.CampaignMessageUpdated(ctx, c.ID, "payments", "h2"); err != nil {
		t.Fatal(err)
	}
	// A failed post lets the next claim in at once.
	if got, _ := s.ClaimCampaignMessage(ctx, c.ID, "search", "r1", 5*time.Minute); !got {
		t.Fatal("claim for search refused")
	}
	if err := s.CampaignMessageNotPosted(ctx, c.ID, "search", "r1", "channel_not_found"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.ClaimCampaignMessage(ctx, c.ID, "search", "r2", 5*time.Minute); !got {
		t.Error("claim after a failed post refused")
	}
	msgs, err := s.CampaignMessages(ctx, c.ID)
	want := catalog.CampaignMessage{CampaignID: c.ID, Team: "payments", Channel: "#team-payments", TS: "1.0001", Hash: "h2"}
	if err != nil || len(msgs) != 1 || msgs["payments"] != want {
		t.Errorf("messages: got %+v, %v; want only %+v", msgs, err, want)
	}
}
