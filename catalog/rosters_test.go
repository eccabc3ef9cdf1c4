package catalog_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/manifest"
)

func mustPutTeam(t testing.TB, s *catalog.Store, team catalog.Team) catalog.Team {
	t.Helper()
	out, err := s.PutTeam(context.Background(), team)
	if err != nil {
		t.Fatalf("put team %s: %v", team.Name, err)
	}
	return out
}

// rosterOf renders a team's roster as "email=source+source", by name.
func rosterOf(t testing.TB, s *catalog.Store, teamID int64) []string {
	t.Helper()
	roster, err := s.Roster(context.Background(), teamID)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range roster {
		out = append(out, m.Email+"="+strings.Join(m.Sources, "+"))
	}
	return out
}

func TestReplaceMembers(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	team := mustPutTeam(t, s, catalog.Team{Name: "payments"})
	ada := catalog.Person{Name: "Ada", Email: "Ada@Example.com", GitLabUsername: "ada"}
	grace := catalog.Person{Name: "Grace", Email: "grace@example.com", GitLabUsername: "grace"}
	alan := catalog.Person{Name: "Alan", Email: "alan@example.com", PagerDutyUserID: "PALAN01"}
	if _, err := s.PutPerson(ctx, catalog.Person{Name: "Barbara", Email: "barbara@example.com"}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddMember(ctx, "payments", "barbara@example.com", catalog.MemberSourceDescriptor, ""); err != nil {
		t.Fatal(err)
	}

	steps := []struct {
		name    string
		source  string
		people  []catalog.Person
		want    catalog.MemberChanges
		roster  []string
		comment string
	}{
		{
			name: "gitlab members added", source: catalog.MemberSourceGitLab, people: []catalog.Person{ada, grace},
			want:   catalog.MemberChanges{Added: 2},
			roster: []string{"Ada@Example.com=gitlab", "barbara@example.com=descriptor", "grace@example.com=gitlab"},
		},
		{
			name: "pagerduty joins by email, ignoring case", source: catalog.MemberSourcePagerDuty,
			people: []catalog.Person{{Name: "Ada L.", Email: "ada@example.com", PagerDutyUserID: "PADA001"}, alan},
			want:   catalog.MemberChanges{Added: 2},
			roster: []string{"Ada@Example.com=gitlab+pagerduty", "alan@example.com=pagerduty", "barbara@example.com=descriptor", "grace@example.com=gitlab"},
		},
		{
			name: "grace left the gitlab group; other sources untouched", source: catalog.MemberSourceGitLab, people: []catalog.Person{ada},
			want:   catalog.MemberChanges{Removed: 1, Kept: 1},
			roster: []string{"Ada@Example.com=gitlab+pagerduty", "alan@example.com=pagerduty", "barbara@example.com=descriptor"},
		},
		{
			name: "member without email matched by gitlab username; unknown one skipped", source: catalog.MemberSourceGitLab,
			people: []catalog.Person{{GitLabUsername: "ADA"}, {GitLabUsername: "nobody-knows"}, {Name: "no key at all"}},
			want:   catalog.MemberChanges{Kept: 1, Skipped: 2},
			roster: []string{"Ada@Example.com=gitlab+pagerduty", "alan@example.com=pagerduty", "barbara@example.com=descriptor"},
		},
		{
			name: "pagerduty empties; the same run twice changes nothing", source: catalog.MemberSourcePagerDuty, people: nil,
			want:   catalog.MemberChanges{Removed: 2},
			roster: []string{"Ada@Example.com=gitlab", "barbara@example.com=descriptor"},
		},
		{
			name: "again", source: catalog.MemberSourcePagerDuty, people: nil,
			want:   catalog.MemberChanges{},
			roster: []string{"Ada@Example.com=gitlab", "barbara@example.com=descriptor"},
		},
	}
	for _, st := range steps {
		got, err := s.ReplaceMembers(ctx, "PAYMENTS", st.source, st.people)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got != st.want {
			t.Errorf("%s: got changes %+v, want %+v", st.name, got, st.want)
		}
		if roster := rosterOf(t, s, team.ID); !slices.Equal(roster, st.roster) {
			t.Errorf("%s: got roster %v, want %v", st.name, roster, st.roster)
		}
	}

	// What each source said about Ada is kept together on one person.
	p, err := s.PersonByEmail(ctx, "ADA@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if p.GitLabUsername != "ada" || p.PagerDutyUserID != "PADA001" || p.Name != "Ada" {
		t.Errorf("got person %+v, want gitlab username ada, pagerduty id PADA001, the first name kept (Ada)", p)
	}

	for _, tt := range []struct {
		team, source string
		want         error
	}{
		{"nope", catalog.MemberSourceGitLab, catalog.ErrNotFound},
		{"payments", " ", catalog.ErrInvalid},
	} {
		if _, err := s.ReplaceMembers(ctx, tt.team, tt.source, []catalog.Person{ada}); !errors.Is(err, tt.want) {
			t.Errorf("ReplaceMembers(%q, %q): got %v, want %v", tt.team, tt.source, err, tt.want)
		}
	}
}

func TestSuggestTeams(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	for _, team := range []catalog.Team{{Name: "payments", Title: "Payments"}, {Name: "identity", Title: "Identity & Access"}, {Name: "search"}, {Name: "platform", Title: "Platform / SRE"}} {
		mustPutTeam(t, s, team)
	}
	tests := []struct {
		query string
		want  []string
	}{
		{"paymnts", []string{"payments"}},
		{"pay", []string{"payments"}},
		{"Identity and access", []string{"identity"}},
		{"serch", []string{"search"}},
		{"zzzz", nil},
		{"", nil},
	}
	for _, tt := range tests {
		teams, err := s.SuggestTeams(ctx, tt.query)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, team := range teams {
			got = append(got, team.Name)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("SuggestTeams(%q): got %v, want %v", tt.query, got, tt.want)
		}
	}
}

func TestPeopleLookups(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mustPutTeam(t, s, catalog.Team{Name: "payments"})
	mustPutTeam(t, s, catalog.Team{Name: "search"})
	for _, p := range []catalog.Person{
		{Name: "Ada Lovelace", Email: "ada.lovelace@acme.example", SlackUserID: "UPAY01", GitLabUsername: "adalovelace"},
		{Name: "Ada Byron", Email: "ada@other.example"},
		{Name: "Grace Hopper", Email: "grace.hopper@acme.example"},
	} {
		if _, err := s.PutPerson(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range []struct{ team, email, source string }{
		{"payments", "ada.lovelace@acme.example", catalog.MemberSourceGitLab},
		{"search", "ada.lovelace@acme.example", catalog.MemberSourceDescriptor},
		{"payments", "ada.lovelace@acme.example", catalog.MemberSourcePagerDuty},
	} {
		if err := s.AddMember(ctx, m.team, m.email, m.source, ""); err != nil {
			t.Fatal(err)
		}
	}

	handles := []struct {
		handle string
		want   []string
	}{
		{"@ada.lovelace", []string{"ada.lovelace@acme.example"}},
		{"ADALOVELACE", []string{"ada.lovelace@acme.example"}},
		{"UPAY01", []string{"ada.lovelace@acme.example"}},
		{"grace_hopper", []string{"grace.hopper@acme.example"}},
		{"ada", []string{"ada@other.example"}},
		{"ada@other.example", []string{"ada@other.example"}},
		{"new.dev", nil},
	}
	for _, tt := range handles {
		people, err := s.PeopleByHandle(ctx, tt.handle)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range people {
			got = append(got, p.Email)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("PeopleByHandle(%q): got %v, want %v", tt.handle, got, tt.want)
		}
	}

	p, err := s.PersonBySlackID(ctx, "UPAY01")
	if err != nil || p.Email != "ada.lovelace@acme.example" {
		t.Fatalf("PersonBySlackID(UPAY01): got %+v, %v, want Ada", p, err)
	}
	if _, err := s.PersonBySlackID(ctx, ""); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("PersonBySlackID(\"\"): got %v, want ErrNotFound", err)
	}
	teams, err := s.PersonTeams(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, team := range teams {
		names = append(names, team.Name)
	}
	if want := []string{"payments", "search"}; !slices.Equal(names, want) {
		t.Errorf("PersonTeams: got %v, want %v", names, want)
	}
}

func TestTeamServicesAndBrokenDescriptors(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	team := mustPutTeam(t, s, catalog.Team{Name: "payments", GitLabGroup: "acme/payments"})
	other := mustPutTeam(t, s, catalog.Team{Name: "search", GitLabGroup: "acme/search"})
	ledger := mustPutService(t, s, catalog.Service{Name: "ledger", Team: "payments", Tier: "1"})
	mustPutService(t, s, catalog.Service{Name: "refunds", Team: "payments", Tier: "2"})
	mustPutService(t, s, catalog.Service{Name: "fraud", Team: "payments"})
	mustPutService(t, s, catalog.Service{Name: "search-api", Team: "search", Tier: "1"})

	// ledger's repo: broken; a repo under the group with no service: broken;
	// another team's broken repo; a broken but archived repo.
	apply := func(path string, gitlabID int64, archived bool, findings []manifest.Finding) catalog.Repo {
		t.Helper()
		status := catalog.DescriptorOK
		if len(findings) > 0 {
			status = catalog.DescriptorInvalid
		}
		if _, err := s.ApplyRepo(ctx, catalog.RepoSnapshot{
			Repo:             catalog.Repo{GitLabID: gitlabID, Path: path, DefaultBranch: "main", WebURL: "https://gitlab.example/" + path, Archived: archived},
			DescriptorStatus: status, DescriptorPath: "catalog-info.yaml", Findings: findings,
		}); err != nil {
			t.Fatal(err)
		}
		r, err := s.RepoByPath(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	warn := manifest.Finding{Path: "catalog-info.yaml", Line: 2, Col: 1, Severity: manifest.SeverityWarning, Rule: "x", Message: "a warning"}
	missingOwner := manifest.Finding{Path: "catalog-info.yaml", Line: 7, Col: 3, Severity: manifest.SeverityError, Rule: "required", Message: "spec.owner is required", Fix: "add spec.owner"}
	ledgerRepo := apply("acme/payments-legacy/ledger", 1, false, []manifest.Finding{warn, missingOwner})
	if err := s.AttachRepo(ctx, ledger.ID, ledgerRepo.ID, ""); err != nil {
		t.Fatal(err)
	}
	apply("acme/payments/scripts", 2, false, []manifest.Finding{missingOwner})
	apply("acme/payments/fine", 3, false, nil)
	apply("acme/payments/old", 4, true, []manifest.Finding{missingOwner})
	apply("acme/search/crawler", 5, false, []manifest.Finding{missingOwner})
	apply("acme/paymentsx/not-ours", 6, false, []manifest.Finding{missingOwner})

	owned, err := s.TeamServices(ctx, team.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range owned {
		got = append(got, o.Service.Name+":"+o.Service.Tier+":"+strconv.Itoa(len(o.Repos)))
	}
	if want := []string{"ledger:1:1", "refunds:2:0", "fraud::0"}; !slices.Equal(got, want) {
		t.Errorf("TeamServices: got %v, want %v", got, want)
	}

	tests := []struct {
		teams []int64
		want  []string
	}{
		{[]int64{team.ID}, []string{"acme/payments-legacy/ledger payments catalog-info.yaml:7:3 2", "acme/payments/scripts payments catalog-info.yaml:7:3 1"}},
		{[]int64{other.ID}, []string{"acme/search/crawler search catalog-info.yaml:7:3 1"}},
		{nil, nil},
	}
	for _, tt := range tests {
		broken, err := s.BrokenDescriptors(ctx, tt.teams)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, b := range broken {
			got = append(got, b.Repo.Path+" "+b.Team+" "+b.First.Path+":"+strconv.Itoa(b.First.Line)+":"+strconv.Itoa(b.First.Col)+" "+strconv.Itoa(b.Findings))
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("BrokenDescriptors(%v): got %v, want %v", tt.teams, got, tt.want)
		}
	}
}
