package catalog_test

import (
	"context"
	"net/http/httptest"
	"path"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
	"github.com/switchboard-dev/switchboard/digest"
	"github.com/switchboard-dev/switchboard/gitlab"
	"github.com/switchboard-dev/switchboard/gitlab/fakegitlab"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
	"github.com/switchboard-dev/switchboard/manifest"
	"github.com/switchboard-dev/switchboard/reposync"
	"github.com/switchboard-dev/switchboard/standards"
)

// syncFakeOrg syncs a generated organisation of n projects from the fake
// GitLab into a fresh catalog whose clock is the organisation's "now".
func syncFakeOrg(tb testing.TB, n int) (*catalog.Store, []fakegitlab.Project) {
	tb.Helper()
	const token = "glpat-digest-test"
	fake := fakegitlab.New(fakegitlab.Generate(n, 1), fakegitlab.Options{Token: token})
	srv := httptest.NewServer(fake)
	tb.Cleanup(srv.Close)
	fake.SetURL(srv.URL)
	client, err := gitlab.New(gitlab.Config{BaseURL: srv.URL, Token: token, RetryWaitMin: time.Millisecond, RetryWaitMax: 20 * time.Millisecond, RetryMax: 3})
	if err != nil {
		tb.Fatal(err)
	}
	store := catalog.NewStore(pgtest.New(tb), nil)
	store.Now = fakegitlab.GeneratedAt
	syncer := reposync.New(client, store, reposync.Options{Rules: standards.Default().Rules(), Workers: 16})
	sum, err := syncer.Run(context.Background(), time.Time{})
	if err != nil {
		tb.Fatal(err)
	}
	if sum.Failed > 0 {
		tb.Fatalf("sync: %d repos failed: %v", sum.Failed, sum.Failures)
	}
	return store, fake.Projects()
}

// TestDigestMatchesFakeOrg syncs a generated organisation and checks the
// digest's counts against the generator's own ground truth: which projects
// are active, and what descriptor each has.
func TestDigestMatchesFakeOrg(t *testing.T) {
	store, projects := syncFakeOrg(t, 200)
	ctx := context.Background()
	cutoff := fakegitlab.GeneratedAt().Add(-catalog.DefaultActiveDays * 24 * time.Hour)

	var want catalog.Coverage
	wantGroups := map[string]int{}
	for _, p := range projects {
		if p.Archived || p.LastActivity.Before(cutoff) {
			continue
		}
		want.Active++
		desc, _ := fakegitlab.Describe(p)
		switch desc {
		case fakegitlab.DescBackstage, fakegitlab.DescOpsLevel, fakegitlab.DescMonorepo, fakegitlab.DescOpsLevelNoOwner:
			want.Catalogued++
		case fakegitlab.DescBackstageNoOwner, fakegitlab.DescBackstageBadName, fakegitlab.DescBackstageSyntaxError:
			want.Broken++
		default:
			want.NoDescriptor++
			wantGroups[path.Dir(p.Path)]++
		}
	}
	if want.Active == 0 || want.NoDescriptor == 0 || want.Broken == 0 {
		t.Fatalf("the generated org lacks a case: %+v", want)
	}

	d, err := store.Digest(ctx, catalog.DigestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Coverage != want {
		t.Errorf("coverage: got %+v, want %+v", d.Coverage, want)
	}
	gotGroups := map[string]int{}
	for i, g := range d.Uncatalogued {
		gotGroups[g.Group] = len(g.Repos)
		if i > 0 && len(g.Repos) > len(d.Uncatalogued[i-1].Repos) {
			t.Errorf("group %s (%d repos) after %s (%d): want the largest first", g.Group, len(g.Repos), d.Uncatalogued[i-1].Group, len(d.Uncatalogued[i-1].Repos))
		}
	}
	for g, n := range wantGroups {
		if gotGroups[g] != n {
			t.Errorf("uncatalogued in %s: got %d, want %d", g, gotGroups[g], n)
		}
	}
	if len(gotGroups) != len(wantGroups) {
		t.Errorf("groups: got %v, want %v", gotGroups, wantGroups)
	}
	if len(d.Broken) != want.Broken {
		t.Errorf("broken: got %d, want %d", len(d.Broken), want.Broken)
	}
	for _, b := range d.Broken {
		if b.First.Line == 0 || b.First.Message == "" || b.FileURL() == "" {
			t.Errorf("broken %s: got first finding %+v (url %q), want a position and a message", b.Path, b.First, b.FileURL())
		}
	}
	// The generator names several services frontend: the first keeps the
	// name, the others are in conflict.
	i := slices.IndexFunc(d.Conflicts, func(c catalog.NameConflict) bool { return c.Service == "frontend" })
	if i < 0 {
		t.Fatalf("conflicts: got %+v, want frontend", d.Conflicts)
	}
	if c := d.Conflicts[i]; len(c.Repos) < 2 || !c.Repos[0].Holds {
		t.Errorf("frontend conflict: got %+v, want its holder first and the others", c)
	}

	// One group's digest counts that group only.
	g := d.Uncatalogued[0].Group
	dg, err := store.Digest(ctx, catalog.DigestOptions{Group: g})
	if err != nil {
		t.Fatal(err)
	}
	if got := dg.UncataloguedCount(); got != wantGroups[g]+subgroupCount(wantGroups, g) {
		t.Errorf("digest of %s: got %d uncatalogued, want %d", g, got, wantGroups[g]+subgroupCount(wantGroups, g))
	}
}

func subgroupCount(groups map[string]int, g string) int {
	n := 0
	for k, v := range groups {
		if strings.HasPrefix(k, g+"/") {
			n += v
		}
	}
	return n
}

// digestNow is the clock of the hand-made catalogs.
func digestNow() time.Time { return time.Date(2025, 11, 3, 8, 0, 0, 0, time.UTC) }

// seedDigestOrg makes a small catalog with one of each case the digest
// shows.
func seedDigestOrg(t *testing.T) *catalog.Store {
	t.Helper()
	ctx := context.Background()
	s := catalog.NewStore(pgtest.New(t), nil)
	s.Now = digestNow
	for _, tm := range []catalog.Team{
		{Name: "payments", GitLabGroup: "acme/payments", PagerDutyEscalationPolicy: "PEP1", SlackChannel: "#team-payments"},
		{Name: "search", GitLabGroup: "acme/search", SlackChannel: "#team-search"},
		{Name: "platform", GitLabGroup: "acme/platform"},
	} {
		if _, err := s.PutTeam(ctx, tm); err != nil {
			t.Fatal(err)
		}
	}
	runbook := manifest.Links{Runbooks: []manifest.Link{{Title: "Runbook", URL: "https://runbooks/x"}}}
	svc := func(name, owner, pd string, links manifest.Links) []manifest.Entity {
		e := manifest.Entity{Kind: manifest.KindComponent, Name: name, Namespace: "default", PagerDutyServiceID: pd, Links: links}
		if owner != "" {
			e.Owner = "group:" + owner
		}
		return []manifest.Entity{e}
	}
	recent := digestNow().Add(-72 * time.Hour)
	id := int64(0)
	apply := func(p, status string, last time.Time, archived bool, entities []manifest.Entity, findings []manifest.Finding) {
		t.Helper()
		id++
		snap := catalog.RepoSnapshot{
			Repo: catalog.Repo{GitLabID: 100 + id, Path: p, WebURL: "https://gitlab.example.com/" + p, DefaultBranch: "main",
				LastActivityAt: last, Archived: archived},
			DescriptorStatus: status, Entities: entities, Findings: findings,
		}
		if status == catalog.DescriptorOK || status == catalog.DescriptorInvalid {
			snap.DescriptorPath = "catalog-info.yaml"
		}
		if _, err := s.ApplyRepo(ctx, snap); err != nil {
			t.Fatal(err)
		}
	}
	ok := catalog.DescriptorOK
	missing := catalog.DescriptorMissing
	apply("acme/payments/checkout", ok, recent, false, svc("checkout-api", "payments", "", runbook), nil)
	apply("acme/payments/ledger", ok, recent, false, svc("ledger", "payments", "", manifest.Links{}), nil)
	apply("acme/search/query", ok, recent, false, svc("query", "search", "", runbook), nil)
	apply("acme/search/indexer", ok, recent, false, svc("indexer", "", "P1", runbook), nil)
	apply("acme/payments/old", ok, recent, false, svc("old-svc", "payments", "", runbook), nil)
	id-- // the same repo, whose descriptor is now gone
	apply("acme/payments/old", missing, recent, false, nil, nil)
	apply("acme/payments/web", missing, digestNow().Add(-time.Hour), false, nil, nil)
	apply("acme/payments/sub/tool", missing, recent, false, nil, nil)
	apply("acme/search/stale", missing, digestNow().Add(-200*24*time.Hour), false, nil, nil)
	apply("acme/search/archived", missing, recent, true, nil, nil)
	apply("acme/misc/broken", catalog.DescriptorInvalid, recent, false, nil, []manifest.Finding{
		{Path: "catalog-info.yaml", Line: 2, Col: 1, Severity: manifest.SeverityWarning, Message: "a warning"},
		{Path: "catalog-info.yaml", Line: 5, Col: 3, Severity: manifest.SeverityError, Message: "spec.owner is required"},
	})
	apply("acme/platform/frontend", ok, recent, false, svc("frontend", "platform", "P2", runbook), nil)
	apply("acme/search/frontend", ok, recent, false, svc("frontend", "search", "P3", runbook), nil)
	apply("acme/misc/tmpl", catalog.DescriptorTemplate, recent, false, nil, nil)
	apply("acme/misc/scratch", missing, recent, false, nil, nil)
	return s
}

func groupsOf(d *catalog.Digest) []string {
	var out []string
	for _, g := range d.Uncatalogued {
		var paths []string
		for _, r := range g.Repos {
			paths = append(paths, r.Path)
		}
		out = append(out, g.Group+"="+strings.Join(paths, ","))
	}
	return out
}

func issuesOf(xs []catalog.ServiceIssue) []string {
	var out []string
	for _, x := range xs {
		var what []string
		if x.NoOwner {
			what = append(what, "owner")
		}
		if x.NoOnCall {
			what = append(what, "oncall")
		}
		if x.NoRunbook {
			what = append(what, "runbook")
		}
		out = append(out, x.Ref+"@"+x.Team+":"+strings.Join(what, "+"))
	}
	return out
}

func TestDigestSections(t *testing.T) {
	s := seedDigestOrg(t)
	ctx := context.Background()
	d, err := s.Digest(ctx, catalog.DigestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := (catalog.Coverage{Active: 12, Catalogued: 6, NoDescriptor: 5, Broken: 1}); d.Coverage != want {
		t.Errorf("coverage: got %+v, want %+v", d.Coverage, want)
	}
	payments := d.ForTeam("payments").Coverage
	tests := []struct {
		name      string
		got, want any
	}{
		{"groups, largest first, latest activity first", groupsOf(d), []string{
			"acme/misc=acme/misc/scratch,acme/misc/tmpl",
			"acme/payments=acme/payments/web,acme/payments/old",
			"acme/payments/sub=acme/payments/sub/tool",
		}},
		{"team of a subgroup", d.Uncatalogued[2].Team, "payments"},
		{"template status", d.Uncatalogued[0].Repos[1].Status, catalog.DescriptorTemplate},
		{"broken", len(d.Broken), 1},
		{"first error", d.Broken[0].First.Message, "spec.owner is required"},
		{"file url", d.Broken[0].FileURL(), "https://gitlab.example.com/acme/misc/broken/-/blob/main/catalog-info.yaml#L5"},
		{"conflicts", len(d.Conflicts), 1},
		{"holder", d.Conflicts[0].Repos[0].Path + " holds=" + boolString(d.Conflicts[0].Repos[0].Holds), "acme/platform/frontend holds=true"},
		{"claimant", d.Conflicts[0].Repos[1].Path + " team=" + d.Conflicts[0].Repos[1].Team, "acme/search/frontend team=search"},
		{"orphaned", issuesOf(d.Orphaned), []string{"old-svc@payments:"}},
		{"gaps", issuesOf(d.Gaps), []string{"indexer@search:owner", "ledger@payments:runbook", "query@search:oncall"}},
		{"teams with a group", len(d.Teams), 3},
		{"payments coverage", payments, catalog.Coverage{Active: 5, Catalogued: 2, NoDescriptor: 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !equal(tt.got, tt.want) {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}

	pt := d.ForTeam("Payments")
	if got, want := groupsOf(pt), []string{"acme/payments=acme/payments/web,acme/payments/old", "acme/payments/sub=acme/payments/sub/tool"}; !equal(got, want) {
		t.Errorf("payments' part: got groups %v, want %v", got, want)
	}
	if got, want := issuesOf(pt.Gaps), []string{"ledger@payments:runbook"}; !equal(got, want) {
		t.Errorf("payments' part: got gaps %v, want %v", got, want)
	}
	if len(pt.Broken) != 0 || len(pt.Conflicts) != 0 || len(pt.Orphaned) != 1 || pt.Team != "payments" {
		t.Errorf("payments' part: got broken %v conflicts %v orphaned %v team %q", pt.Broken, pt.Conflicts, pt.Orphaned, pt.Team)
	}
	st := d.ForTeam("search")
	if len(st.Conflicts) != 1 || len(st.Uncatalogued) != 0 || st.Coverage.Active != 3 || st.Coverage.Catalogued != 3 {
		t.Errorf("search's part: got conflicts %v uncatalogued %v coverage %+v", st.Conflicts, st.Uncatalogued, st.Coverage)
	}
	// The holder of a conflicting name hears of it too.
	if pl := d.ForTeam("platform"); len(pl.Conflicts) != 1 || len(pl.Gaps)+len(pl.Orphaned)+len(pl.Broken)+len(pl.Uncatalogued) != 0 {
		t.Errorf("platform's part: got %+v, want the conflict only", pl)
	}
	if !d.ForTeam("nobody").Empty() {
		t.Errorf("part of an unknown team: got %+v, want nothing", d.ForTeam("nobody"))
	}

	// One group, subgroups included.
	dg, err := s.Digest(ctx, catalog.DigestOptions{Group: "acme/payments"})
	if err != nil {
		t.Fatal(err)
	}
	if dg.Coverage != payments || len(dg.Orphaned) != 1 || !equal(issuesOf(dg.Gaps), []string{"ledger@payments:runbook"}) || len(dg.Conflicts) != 0 {
		t.Errorf("digest of acme/payments: got coverage %+v orphaned %v gaps %v conflicts %v", dg.Coverage, dg.Orphaned, issuesOf(dg.Gaps), dg.Conflicts)
	}

	// Repos the standards file ignores count as ignored.
	di, err := s.Digest(ctx, catalog.DigestOptions{Ignored: func(p string) bool { return strings.HasPrefix(p, "acme/misc/") }})
	if err != nil {
		t.Fatal(err)
	}
	if want := (catalog.Coverage{Active: 9, Catalogued: 6, NoDescriptor: 3, Ignored: 3}); di.Coverage != want || len(di.Broken) != 0 {
		t.Errorf("with acme/misc ignored: got %+v and %d broken, want %+v and none", di.Coverage, len(di.Broken), want)
	}

	// A shorter activity window leaves more out.
	dw, err := s.Digest(ctx, catalog.DigestOptions{ActiveDays: 1})
	if err != nil {
		t.Fatal(err)
	}
	if dw.Coverage.Active != 1 || dw.ActiveDays != 1 {
		t.Errorf("active in the last day: got %d (window %d), want 1 (acme/payments/web)", dw.Coverage.Active, dw.ActiveDays)
	}
}

// TestRegisteredRepoIsCatalogued: a repo registered from the digest (a
// service created in Slack and attached to it) counts as catalogued and
// leaves the list, before any descriptor lands.
func TestRegisteredRepoIsCatalogued(t *testing.T) {
	s := seedDigestOrg(t)
	ctx := context.Background()
	svc, err := s.CreateService(ctx, catalog.Service{Name: "payments-web", Team: "payments", Source: catalog.SourceSlack,
		Links: []catalog.Link{{Kind: catalog.LinkRunbook, URL: "https://runbooks/web"}}})
	if err != nil {
		t.Fatal(err)
	}
	repo, err := s.PutRepo(ctx, catalog.Repo{GitLabID: 106, Path: "acme/payments/web", LastActivityAt: digestNow().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AttachRepo(ctx, svc.ID, repo.ID, ""); err != nil {
		t.Fatal(err)
	}
	d, err := s.Digest(ctx, catalog.DigestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := (catalog.Coverage{Active: 12, Catalogued: 7, NoDescriptor: 4, Broken: 1}); d.Coverage != want {
		t.Errorf("coverage: got %+v, want %+v", d.Coverage, want)
	}
	for _, g := range groupsOf(d) {
		if strings.Contains(g, "acme/payments/web") {
			t.Errorf("the registered repo is still listed: %s", g)
		}
	}
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func equal(a, b any) bool {
	switch a := a.(type) {
	case []string:
		return slices.Equal(a, b.([]string))
	}
	return a == b
}

func TestDigestHistory(t *testing.T) {
	s := seedDigestOrg(t)
	ctx := context.Background()
	d, err := s.Digest(ctx, catalog.DigestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Previous != nil || len(d.Trend) != 0 {
		t.Fatalf("first digest: got previous %+v trend %v, want none", d.Previous, d.Trend)
	}
	snap := d.Snapshot()
	if cov := d.ForTeam("payments").Coverage; snap.Teams["payments"] != cov {
		t.Errorf("snapshot of payments: got %+v, want %+v", snap.Teams["payments"], cov)
	}
	if snap.Groups["acme"] != d.Coverage {
		t.Errorf("snapshot of acme: got %+v, want the whole %+v", snap.Groups["acme"], d.Coverage)
	}
	days := []time.Time{
		time.Date(2025, 10, 29, 0, 0, 0, 0, time.UTC),
		time.Date(2025, 10, 30, 0, 0, 0, 0, time.UTC),
		time.Date(2025, 10, 31, 0, 0, 0, 0, time.UTC),
	}
	for i, day := range days {
		c := snap
		c.Coverage.Catalogued = 3 + i
		if err := digest.NewDays(s.Pool()).RecordPosted(ctx, day, day.Add(9*time.Hour), "test", []string{"digest"}, c); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.IgnoreRepo(ctx, "acme/payments/web", "moved", "U1"); err != nil {
		t.Fatal(err)
	}
	today := time.Date(2025, 11, 3, 0, 0, 0, 0, time.UTC)
	d, err = s.Digest(ctx, catalog.DigestOptions{Day: today})
	if err != nil {
		t.Fatal(err)
	}
	if d.Previous == nil || !d.Previous.Day.Equal(days[2]) || d.Previous.Coverage.Catalogued != 5 {
		t.Fatalf("previous: got %+v, want 31 Oct's", d.Previous)
	}
	var trend []int
	for _, c := range d.Trend {
		trend = append(trend, c.Coverage.Catalogued)
	}
	if !slices.Equal(trend, []int{3, 4, 5}) {
		t.Errorf("trend: got %v, want oldest first [3 4 5]", trend)
	}
	old, err := s.Digest(ctx, catalog.DigestOptions{Day: days[1]})
	if err != nil {
		t.Fatal(err)
	}
	if old.Previous == nil || !old.Previous.Day.Equal(days[0]) {
		t.Errorf("previous of 30 Oct: got %+v, want 29 Oct's", old.Previous)
	}
	// A team's part and a group's digest compare with their own past.
	pt := d.ForTeam("payments")
	if pt.Previous == nil || pt.Previous.Coverage != snap.Teams["payments"] || pt.Coverage.Ignored != 1 {
		t.Errorf("payments' previous: got %+v now %+v, want %+v", pt.Previous, pt.Coverage, snap.Teams["payments"])
	}
	dg, err := s.Digest(ctx, catalog.DigestOptions{Group: "acme/payments", Day: today})
	if err != nil {
		t.Fatal(err)
	}
	if dg.Previous == nil || dg.Previous.Coverage != snap.Groups["acme/payments"] {
		t.Errorf("acme/payments' previous: got %+v, want %+v", dg.Previous, snap.Groups["acme/payments"])
	}
}

// BenchmarkDigest builds the digest of 6,000 repos synced from the fake
// GitLab, and renders it as the Slack message: what a /digest waits for.
// It reports latency percentiles.
func BenchmarkDigest(b *testing.B) {
	store, _ := syncFakeOrg(b, 6000)
	ctx := context.Background()
	var lat []time.Duration
	for b.Loop() {
		start := time.Now()
		d, err := store.Digest(ctx, catalog.DigestOptions{})
		if err != nil {
			b.Fatal(err)
		}
		resp := commands.DigestResponse(d)
		lat = append(lat, time.Since(start))
		if d.Coverage.Active == 0 || len(resp.Blocks) == 0 {
			b.Fatalf("empty digest: %+v", d.Coverage)
		}
	}
	reportPercentiles(b, lat)
}
