package reposync_test

import (
	"context"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/gitlab"
	"github.com/switchboard-dev/switchboard/gitlab/fakegitlab"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
	"github.com/switchboard-dev/switchboard/reposync"
	"github.com/switchboard-dev/switchboard/standards"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

const token = "glpat-test-token"

type env struct {
	fake   *fakegitlab.Server
	client *gitlab.Client
	store  *catalog.Store
	syncer *reposync.Syncer
	// dbURL is the test's database; gitlabURL the fake's.
	dbURL, gitlabURL string
}

func newEnv(t testing.TB, n int, opts fakegitlab.Options) *env {
	t.Helper()
	return newOrgEnv(t, fakegitlab.Generate(n, 1), opts, reposync.Options{Rules: standards.Default().Rules(), Workers: 8})
}

// newOrgEnv serves org from a fake GitLab with opts and syncs it with
// syncOpts over a fresh database.
func newOrgEnv(t testing.TB, org *fakegitlab.Org, opts fakegitlab.Options, syncOpts reposync.Options) *env {
	t.Helper()
	opts.Token = token
	fake := fakegitlab.New(org, opts)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	fake.SetURL(srv.URL)
	client, err := gitlab.New(gitlab.Config{BaseURL: srv.URL, Token: token, RetryWaitMin: time.Millisecond, RetryWaitMax: 20 * time.Millisecond, RetryMax: 3})
	if err != nil {
		t.Fatal(err)
	}
	dbURL := pgtest.URL(t)
	pool, err := pgxpool.New(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	store := catalog.NewStore(pool, nil)
	syncer := reposync.New(client, store, syncOpts)
	return &env{fake: fake, client: client, store: store, syncer: syncer, dbURL: dbURL, gitlabURL: srv.URL}
}

// expected counts the generated projects by what their descriptor should
// become, from the fake's own ground truth.
func expected(projects []fakegitlab.Project) map[reposync.Outcome]int {
	want := map[reposync.Outcome]int{}
	for _, p := range projects {
		desc, _ := fakegitlab.Describe(p)
		switch desc {
		case fakegitlab.DescBackstage, fakegitlab.DescOpsLevel, fakegitlab.DescMonorepo, fakegitlab.DescOpsLevelNoOwner:
			want[reposync.OutcomeOK]++
		case fakegitlab.DescBackstageNoOwner, fakegitlab.DescBackstageBadName, fakegitlab.DescBackstageSyntaxError:
			want[reposync.OutcomeInvalid]++
		case fakegitlab.DescTemplate:
			want[reposync.OutcomeTemplate]++
		default:
			want[reposync.OutcomeMissing]++
		}
	}
	return want
}

func TestFullSyncMatchesGroundTruth(t *testing.T) {
	e := newEnv(t, 60, fakegitlab.Options{})
	ctx := context.Background()
	sum, err := e.syncer.Run(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	projects := e.fake.Projects()
	want := expected(projects)
	t.Logf("summary %+v; expected %v", sum, want)
	got := map[reposync.Outcome]int{
		reposync.OutcomeOK: sum.Catalogued, reposync.OutcomeInvalid: sum.Invalid,
		reposync.OutcomeTemplate: sum.Templates, reposync.OutcomeMissing: sum.Missing,
	}
	if sum.Seen != len(projects) || sum.Failed != 0 {
		t.Fatalf("seen %d of %d, failed %d: %v", sum.Seen, len(projects), sum.Failed, sum.Failures)
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: got %d, want %d", k, got[k], w)
		}
	}

	// checkout-api is catalogued, owned by payments, with its runbook.
	l, err := e.store.FindService(ctx, "checkout-api")
	if err != nil || len(l.Services) != 1 {
		t.Fatalf("checkout-api: %+v %v", l, err)
	}
	p, err := e.store.Profile(ctx, l.Services[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if p.Team == nil || p.Team.Name != "payments" || len(p.Repos) != 1 || len(p.Service.LinksOf(catalog.LinkRunbook)) == 0 {
		t.Fatalf("checkout-api profile: team %+v repos %+v links %+v", p.Team, p.Repos, p.Service.Links)
	}

	// Every log4j-core the fake planted is found, with its version.
	wantLog4j := 0
	for _, pr := range projects {
		if _, v := fakegitlab.Describe(pr); v != "" {
			wantLog4j++
		}
	}
	hits, err := e.store.DependentRepos(ctx, "log4j-core")
	if err != nil {
		t.Fatal(err)
	}
	repos := map[string]bool{}
	for _, h := range hits {
		repos[h.Repo.Path] = true
	}
	if len(repos) != wantLog4j {
		t.Errorf("repos with log4j-core: got %d, want %d", len(repos), wantLog4j)
	}

	// Invalid descriptors keep their positioned findings.
	var withFindings int
	if err := e.store.Pool().QueryRow(ctx, `SELECT count(*) FROM repos WHERE descriptor_status = 'invalid' AND jsonb_array_length(descriptor_errors) > 0`).Scan(&withFindings); err != nil {
		t.Fatal(err)
	}
	if withFindings != want[reposync.OutcomeInvalid] {
		t.Errorf("invalid repos with findings: got %d, want %d", withFindings, want[reposync.OutcomeInvalid])
	}

	// A second run with nothing changed costs only the listing.
	before := e.fake.Stats()
	sum2, err := e.syncer.Run(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if sum2.Unchanged != len(projects) {
		t.Errorf("second run: unchanged %d of %d", sum2.Unchanged, len(projects))
	}
	if d := e.fake.Stats().Requests - before.Requests; d > int64(len(projects)/100+2) {
		t.Errorf("second run: %d requests, want only listing pages", d)
	}
}

func TestSyncSurvivesFailures(t *testing.T) {
	e := newEnv(t, 30, fakegitlab.Options{})
	ctx := context.Background()
	broken := e.fake.Projects()[3].Path
	e.fake.SetFailPaths(broken)
	e.fake.SetErrorRate(0.05) // and a few transient 5xx everywhere
	sum, err := e.syncer.Run(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Failed != 1 || len(sum.Failures) != 1 || !strings.HasPrefix(sum.Failures[0], broken) {
		t.Fatalf("failures: got %d %v, want just %s", sum.Failed, sum.Failures, broken)
	}
	var reason string
	if err := e.store.Pool().QueryRow(ctx, `SELECT sync_error FROM repos WHERE path = $1`, broken).Scan(&reason); err != nil || reason == "" {
		t.Fatalf("failed repo's reason: %q, %v", reason, err)
	}
	// Once the repo recovers, the next run picks it up.
	e.fake.SetFailPaths()
	e.fake.SetErrorRate(0)
	sum, err = e.syncer.Run(ctx, time.Time{})
	if err != nil || sum.Failed != 0 || sum.Unchanged != sum.Seen-1 {
		t.Fatalf("recovery run: %+v, %v", sum, err)
	}
}

func TestInterruptedSyncLeavesConsistentCatalog(t *testing.T) {
	e := newEnv(t, 40, fakegitlab.Options{Latency: 20 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	_, err := e.syncer.Run(ctx, time.Time{})
	if err == nil {
		t.Fatal("interrupted run: got nil error")
	}
	// Every repo stored so far is complete: it has its files.
	var partial int
	if err := e.store.Pool().QueryRow(context.Background(), `
		SELECT count(*) FROM repos r WHERE r.synced_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM repo_files f WHERE f.repo_id = r.id)`).Scan(&partial); err != nil {
		t.Fatal(err)
	}
	if partial != 0 {
		t.Fatalf("%d repos stored without their files", partial)
	}
	sum, err := e.syncer.Run(context.Background(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Seen != len(e.fake.Projects()) || sum.Failed != 0 {
		t.Fatalf("the next run: %+v", sum)
	}
}

// TestIncrementalSync pushes changes and runs the sync again: each changed
// repo is brought up to date from a comparison of commits, reading only
// the files that changed.
func TestIncrementalSync(t *testing.T) {
	// The fake's clock moves a second a push: last_activity_at has whole
	// seconds.
	var clock atomic.Int64
	clock.Store(time.Now().Unix())
	e := newEnv(t, 30, fakegitlab.Options{Now: func() time.Time { return time.Unix(clock.Load(), 0) }})
	ctx := context.Background()
	if _, err := e.syncer.Run(ctx, time.Time{}); err != nil {
		t.Fatal(err)
	}
	p := checkoutProject(t, e)
	push := func(ch fakegitlab.Change) {
		t.Helper()
		clock.Add(1)
		if _, err := e.fake.Push(p.ID, ch); err != nil {
			t.Fatal(err)
		}
	}
	run := func() reposync.Summary {
		t.Helper()
		before := e.fake.Stats().Requests
		sum, err := e.syncer.Run(ctx, time.Time{})
		if err != nil || sum.Failed > 0 {
			t.Fatalf("run: %+v %v", sum, err)
		}
		sum.Requests = e.fake.Stats().Requests - before
		return sum
	}
	pages := int64(1) // 30 projects: one listing page
	// A repo whose default branch moved has its last merge read again
	// (a scorecard fact; its protection, read minutes ago, is kept).
	const facts = 1

	// The README changed: read again (its first paragraph feeds search).
	push(fakegitlab.Change{Files: map[string][]byte{"README.md": []byte("# checkout\n\nTakes the basket to a paid order, retrying declined cards.\n")}})
	if sum := run(); sum.Requests != pages+2+facts {
		t.Errorf("README-only push: got %d requests, want %d (listing + comparison + README + GitLab facts)", sum.Requests, pages+2+facts)
	}
	if hits, err := e.store.Search(ctx, "declined cards", 1); err != nil || len(hits) == 0 || hits[0].Service.Name != "checkout-api" {
		t.Errorf("search for the README's words: %v %v, want checkout-api", hits, err)
	}

	push(fakegitlab.Change{Files: map[string][]byte{
		"catalog-info.yaml": withOwner(p.Files["catalog-info.yaml"], "fulfilment"),
		"extra/pom.xml": []byte(`<project><dependencies><dependency><groupId>org.apache.logging.log4j</groupId>` +
			`<artifactId>log4j-core</artifactId><version>2.14.1</version></dependency></dependencies></project>`),
	}})
	if sum := run(); sum.Requests != pages+3+facts {
		t.Errorf("descriptor + new pom.xml: got %d requests, want %d", sum.Requests, pages+3+facts)
	}
	if got := owner(t, e.store, "checkout-api"); got != "fulfilment" {
		t.Errorf("owner after push: got %q, want fulfilment", got)
	}
	hits, _ := e.store.DependentRepos(ctx, "log4j-core")
	found := false
	for _, h := range hits {
		found = found || h.Repo.Path == p.Path && h.Dependency.File == "extra/pom.xml"
	}
	if !found {
		t.Errorf("the new pom.xml's log4j-core is not indexed")
	}
	files, _ := e.store.RepoFiles(ctx, p.ID)
	if !slices.Contains(files, "extra/pom.xml") {
		t.Errorf("file index lacks extra/pom.xml")
	}

	push(fakegitlab.Change{Delete: []string{"catalog-info.yaml", "extra/pom.xml"}})
	run()
	l, _ := e.store.FindService(ctx, "checkout-api")
	if len(l.Services) != 1 || l.Services[0].Status != catalog.StatusOrphaned {
		t.Errorf("after the descriptor is deleted: %+v, want checkout-api orphaned", l.Services)
	}
	hits, _ = e.store.DependentRepos(ctx, "log4j-core")
	for _, h := range hits {
		if h.Dependency.File == "extra/pom.xml" {
			t.Errorf("deleted pom.xml still indexed")
		}
	}
}

// TestVerifyFindsPushesLastActivityHid: GitLab may leave last_activity_at
// where it was after a push (it updates it at most about hourly). The
// incremental run then sees nothing; Verify compares each repo's commit and
// finds the push.
func TestVerifyFindsPushesLastActivityHid(t *testing.T) {
	e := newEnv(t, 30, fakegitlab.Options{})
	ctx := context.Background()
	if _, err := e.syncer.Run(ctx, time.Time{}); err != nil {
		t.Fatal(err)
	}
	p := checkoutProject(t, e)
	if _, err := e.fake.Push(p.ID, fakegitlab.Change{Files: map[string][]byte{"catalog-info.yaml": withOwner(p.Files["catalog-info.yaml"], "fulfilment")}}); err != nil {
		t.Fatal(err)
	}
	pushed, err := e.client.Project(ctx, p.ID) // as GitLab's API shows it
	if err != nil {
		t.Fatal(err)
	}
	// As if GitLab had not moved last_activity_at: the catalog already has it.
	if _, err := e.store.Pool().Exec(ctx, `UPDATE repos SET last_activity_at = $2 WHERE gitlab_id = $1`, p.ID, pushed.LastActivityAt); err != nil {
		t.Fatal(err)
	}
	if _, err := e.syncer.Run(ctx, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if got := owner(t, e.store, "checkout-api"); got != "payments" {
		t.Fatalf("the incremental run saw the push (owner %q): the test does not test what it says", got)
	}
	before := e.fake.Stats().Requests
	sum, err := e.syncer.Verify(ctx)
	if err != nil || sum.Failed > 0 {
		t.Fatalf("verify: %+v %v", sum, err)
	}
	if got := owner(t, e.store, "checkout-api"); got != "fulfilment" {
		t.Fatalf("after Verify: owner %q, want fulfilment", got)
	}
	// A comparison a repo, the changed file and the last merge of the
	// repo that moved (the others' cannot have changed; protection was
	// read by the first run), and the tree of the repos with no commit
	// known (no file was ever read from them), with their last merge
	// (read whole, they may have moved).
	states, _ := e.store.RepoStates(ctx)
	budget := int64(1 + len(states) + 1 + 1)
	for _, st := range states {
		if st.LastCommit == "" {
			budget += 2 + 1
		}
	}
	if n := e.fake.Stats().Requests - before; n > budget {
		t.Errorf("verify: %d requests for %d repos, want at most %d", n, len(states), budget)
	}
}
