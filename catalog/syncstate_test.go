package catalog_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
)

// TestRateBudgetSharedByReplicas: takes from two pools at once (two
// replicas) never grant more than the window's limit in all.
func TestRateBudgetSharedByReplicas(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	var budgets []*catalog.RateBudget
	for range 2 {
		pool, err := catalog.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		// An hour-long window: every take below falls in the same one.
		budgets = append(budgets, catalog.NewRateBudget(pool, "gitlab", 100, time.Hour))
	}
	var mu sync.Mutex
	granted := 0
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10 {
				n, left, err := budgets[i%2].Take(ctx, 7)
				if err != nil || left <= 0 || left > time.Hour {
					t.Errorf("take: %d, %v left, %v", n, left, err)
					return
				}
				mu.Lock()
				granted += n
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if granted != 100 {
		t.Fatalf("granted %d in one window, want the limit, 100", granted)
	}
}

// TestBeginRepoSync: one job at a time syncs a project; each begin bumps
// the project's generation; a job that ended, or is no longer running (its
// replica died, the job was rescued), no longer holds the project.
func TestBeginRepoSync(t *testing.T) {
	ctx := context.Background()
	s := catalog.NewStore(pgtest.New(t), nil)
	job := func(state string) int64 {
		t.Helper()
		var id int64
		if err := s.Pool().QueryRow(ctx, `
			INSERT INTO river_job (args, kind, max_attempts, state, attempt, queue, priority, finalized_at)
			VALUES ('{}', 'reposync_repo', 5, $1::river_job_state, 1, 'default', 1,
			        CASE WHEN $1 IN ('completed', 'cancelled', 'discarded') THEN now() END)
			RETURNING id`, state).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	setState := func(id int64, state string) {
		t.Helper()
		if _, err := s.Pool().Exec(ctx, `UPDATE river_job SET state = $2::river_job_state WHERE id = $1`, id, state); err != nil {
			t.Fatal(err)
		}
	}
	const project = 42
	a, b, c := job("running"), job("running"), job("running")
	steps := []struct {
		name   string
		do     func()
		job    int64
		wantOK bool
		gen    int64
	}{
		{"first job begins", nil, a, true, 1},
		{"second waits while the first runs", nil, b, false, 1},
		{"the first may begin again (it ran again)", nil, a, true, 2},
		{"the first ends: the second begins", func() { _ = s.EndRepoSync(ctx, a, project) }, b, true, 3},
		{"third waits for the second", nil, c, false, 3},
		{"the second's replica died, its job rescued: the third begins", func() { setState(b, "available") }, c, true, 4},
	}
	for _, st := range steps {
		if st.do != nil {
			st.do()
		}
		ok, _, err := s.BeginRepoSync(ctx, st.job, project)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		gens, err := s.SyncGens(ctx, project)
		if err != nil {
			t.Fatal(err)
		}
		if ok != st.wantOK || gens[project] != st.gen {
			t.Fatalf("%s: ok %v, generation %d; want %v, %d", st.name, ok, gens[project], st.wantOK, st.gen)
		}
	}
}

// TestBeginRepoSyncKnowsWhatRepoStatesKnows: the state a repo's job begins
// from is the state a run lists it with, unread dependency files included
// (a job that saw none would take such a repo for unchanged and never read
// its files again).
func TestBeginRepoSyncKnowsWhatRepoStatesKnows(t *testing.T) {
	ctx := context.Background()
	s := catalog.NewStore(pgtest.New(t), nil)
	if _, err := s.ApplyRepo(ctx, catalog.RepoSnapshot{Repo: catalog.Repo{GitLabID: 7, Path: "acme/unread", DefaultBranch: "main", LastCommit: "abc"}, DescriptorStatus: catalog.DescriptorMissing}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Pool().Exec(ctx, `UPDATE repos SET dependency_files_unread = 2 WHERE gitlab_id = 7`); err != nil {
		t.Fatal(err)
	}
	states, err := s.RepoStates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ok, known, err := s.BeginRepoSync(ctx, 1, 7)
	if err != nil || !ok {
		t.Fatalf("begin: %v, %v", ok, err)
	}
	if known != states[7] || known.DependencyFilesUnread != 2 {
		t.Fatalf("got %+v, want %+v with 2 unread files", known, states[7])
	}
}

// TestBeginRepoSyncKnowsGitLabFactsRead: a job begins knowing that the
// repo's last merge and branch protection were read, as a run's listing
// does, so that it reads them again only when due.
func TestBeginRepoSyncKnowsGitLabFactsRead(t *testing.T) {
	ctx := context.Background()
	s := catalog.NewStore(pgtest.New(t), nil)
	if _, err := s.ApplyRepo(ctx, catalog.RepoSnapshot{Repo: catalog.Repo{GitLabID: 7, Path: "acme/read", DefaultBranch: "main", LastCommit: "abc"}, DescriptorStatus: catalog.DescriptorMissing}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Pool().Exec(ctx, `UPDATE repos SET last_merge_read_at = now(), protection_read_at = now(), readme_path = 'README.md' WHERE gitlab_id = 7`); err != nil {
		t.Fatal(err)
	}
	states, err := s.RepoStates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ok, known, err := s.BeginRepoSync(ctx, 1, 7)
	if err != nil || !ok {
		t.Fatalf("begin: %v, %v", ok, err)
	}
	if known != states[7] || !known.MergeRead || known.ProtectionReadAt.IsZero() || known.ReadmePath != "README.md" {
		t.Fatalf("got %+v, want %+v with merge and protection read", known, states[7])
	}
	// A project the catalog has never stored begins from nothing.
	if ok, known, err := s.BeginRepoSync(ctx, 2, 8); err != nil || !ok || known != (catalog.RepoState{}) {
		t.Fatalf("begin unknown project: %v, %+v, %v", ok, known, err)
	}
}
