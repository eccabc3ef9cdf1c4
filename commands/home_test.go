package commands_test

import (
	"context"
	"slices"
	"testing"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
	"github.com/switchboard-dev/switchboard/manifest"
	"github.com/switchboard-dev/switchboard/standards"
)

func TestHome(t *testing.T) {
	ctx := context.Background()
	e := newRosterEnv(t, rosterOptions{})
	// A payments repo whose descriptor is broken (the sync found it so).
	if _, err := e.store.ApplyRepo(ctx, catalog.RepoSnapshot{
		Repo:             catalog.Repo{GitLabID: 5001, Path: "acme/payments/payments-scripts", DefaultBranch: "main", WebURL: "https://gitlab.acme.example/acme/payments/payments-scripts"},
		DescriptorStatus: catalog.DescriptorInvalid, DescriptorPath: "catalog-info.yaml",
		Findings: []manifest.Finding{
			{Path: "catalog-info.yaml", Line: 5, Col: 3, Severity: manifest.SeverityError, Rule: "required", Message: "spec.owner is required", Fix: "add owner: group:payments"},
			{Path: "catalog-info.yaml", Line: 6, Col: 3, Severity: manifest.SeverityWarning, Rule: "lifecycle", Message: "spec.lifecycle is not one of the approved values"},
		},
	}); err != nil {
		t.Fatal(err)
	}
	// Ada welcomed new.dev, who has done one item.
	e.run(t, adaUser, "/onboard @new.dev payments")
	e.run(t, adaUser, "/onboard --done "+itemWhoowns+" new.dev@acme.example")

	home := commands.HomeView{Catalog: e.store, OnCall: e.oc, Checklist: standards.Default().Onboarding.Checklist}
	onCall := e.levelOneName(t, "payments")
	tests := []struct {
		name        string
		user        commands.User
		want        []string
		notWant     []string
		wantButtons []string
	}{
		{
			name: "a team member with a broken descriptor in a team repo", user: adaUser,
			want: []string{
				"Your Switchboard",
				"Team payments · #team-payments · on call now: @" + onCall + " until",
				"Services (6):", "• checkout-api · tier 1",
				"Broken descriptors in your teams' repos (1):",
				"• acme/payments/payments-scripts <https://gitlab.acme.example/acme/payments/payments-scripts> (payments): catalog-info.yaml:5:3 <https://gitlab.acme.example/acme/payments/payments-scripts/-/blob/main/catalog-info.yaml#L5> spec.owner is required (fix: add owner: group:payments) · 2 findings",
				"Onboarding you started, not finished:", "• new.dev → payments: 1/4 done (welcome not sent)",
			},
			notWant:     []string{"Your onboarding to"},
			wantButtons: []string{"/team payments", "/onboard --status new.dev@acme.example"},
		},
		{
			name: "the new developer, known by email only, before any roster has them", user: commands.User{ID: "UNEW01", Email: "new.dev@acme.example"},
			want: []string{
				"Your onboarding to payments: 1/4 done",
				"✅ Find your team's services with /whoowns", "☐ Join your team's alerts channel",
				"Team payments", "Broken descriptors in your teams' repos (1):",
			},
			notWant:     []string{"Onboarding you started"},
			wantButtons: []string{"/onboard --done " + itemAlerts + " new.dev@acme.example"},
		},
		{
			name: "another team, nothing broken", user: commands.User{ID: "USEA01"},
			want:    []string{"Team search", "• search-api · tier 1", "✓ No broken descriptors in your teams' repos."},
			notWant: []string{"payments-scripts", "Onboarding"},
		},
		{
			name: "someone the catalog does not know", user: commands.User{ID: "UNOBODY", Email: "nobody@elsewhere.example"},
			want: []string{"Switchboard does not know you yet"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := home.Build(ctx, tt.user)
			if err != nil {
				t.Fatal(err)
			}
			expect(t, tt.name, rendered(t, resp), tt.want, tt.notWant)
			got := buttonsOf(resp)
			for _, b := range tt.wantButtons {
				if !slices.Contains(got, b) {
					t.Errorf("got buttons %v, want %s", got, b)
				}
			}
		})
	}
}
