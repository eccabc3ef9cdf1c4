package reposync_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/gitlab"
	"github.com/switchboard-dev/switchboard/gitlab/fakegitlab"
	"github.com/switchboard-dev/switchboard/reposync"
	"github.com/switchboard-dev/switchboard/sampleorg"
	"github.com/switchboard-dev/switchboard/standards"
)

// readmeCounter counts the README files the sync asks GitLab for, and
// refuses them while told to.
type readmeCounter struct {
	*gitlab.Client
	mu     sync.Mutex
	reads  int
	refuse bool
}

func (s *readmeCounter) File(ctx context.Context, projectID int64, path, ref string) (gitlab.File, error) {
	if strings.HasPrefix(strings.ToLower(path), "readme") {
		s.mu.Lock()
		s.reads++
		refuse := s.refuse
		s.mu.Unlock()
		if refuse {
			return gitlab.File{}, fmt.Errorf("file: %w", gitlab.ErrFileTooLarge)
		}
	}
	return s.Client.File(ctx, projectID, path, ref)
}

func (s *readmeCounter) take() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.reads
	s.reads = 0
	return n
}

// TestReadmeReadAtSync: the sync keeps each repo's README's first
// paragraph, which search then finds; it reads a README again only when
// the comparison says it changed (or it was never read), not at every
// sync; a README GitLab will not give keeps what was stored.
func TestReadmeReadAtSync(t *testing.T) {
	var clock struct {
		sync.Mutex
		now time.Time
	}
	clock.now = time.Now()
	now := func() time.Time { clock.Lock(); defer clock.Unlock(); return clock.now }
	tick := func() { clock.Lock(); clock.now = clock.now.Add(time.Second); clock.Unlock() }
	e := newOrgEnv(t, sampleorg.GitLabOrg(time.Now()), fakegitlab.Options{Now: now}, reposync.Options{})
	ctx := context.Background()
	src := &readmeCounter{Client: e.client}
	syncer := reposync.New(src, e.store, reposync.Options{Rules: standards.Default().Rules(), Workers: 4})
	if sum, err := syncer.Run(ctx, time.Time{}); err != nil || sum.Failed != 0 {
		t.Fatalf("first run: %+v %v", sum, err)
	}
	projects := len(e.fake.Projects())
	if n := src.take(); n != projects {
		t.Errorf("first run read %d READMEs, want one per repo (%d)", n, projects)
	}
	search := func(q, want string) {
		t.Helper()
		hits, err := e.store.Search(ctx, q, 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) == 0 || hits[0].Service.Name != want {
			t.Fatalf("search %q: %v, want %s first", q, hits, want)
		}
		if !strings.Contains(strings.Join(hits[0].Why, " "), "readme: ") {
			t.Errorf("search %q: why %q, want the README", q, hits[0].Why)
		}
	}
	search("bigquery replicas", "warehouse-loader")
	search("chargebacks", "refunds-worker")

	// Nothing moved: no README read. Verify compares every repo: still none.
	if _, err := syncer.Run(ctx, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, err := syncer.Verify(ctx); err != nil {
		t.Fatal(err)
	}
	if n := src.take(); n != 0 {
		t.Errorf("runs with no README change read %d READMEs, want 0", n)
	}

	// A push that leaves the README alone: not read.
	var loader fakegitlab.Project
	for _, p := range e.fake.Projects() {
		if strings.HasSuffix(p.Path, "/warehouse-loader") {
			loader = p
		}
	}
	tick()
	if _, err := e.fake.Push(loader.ID, fakegitlab.Change{Files: map[string][]byte{"main.py": []byte("print('x')\n")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := syncer.Run(ctx, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if n := src.take(); n != 0 {
		t.Errorf("a push not touching the README read %d READMEs, want 0", n)
	}

	// The README changed but GitLab refuses it: what was stored stays.
	tick()
	if _, err := e.fake.Push(loader.ID, fakegitlab.Change{Files: map[string][]byte{"README.md": []byte("# loader\n\nLoads the Snowflake warehouse from the lake every hour.\n")}}); err != nil {
		t.Fatal(err)
	}
	src.mu.Lock()
	src.refuse = true
	src.mu.Unlock()
	if sum, err := syncer.Run(ctx, time.Time{}); err != nil || sum.Failed != 0 {
		t.Fatalf("run with the README refused: %+v %v", sum, err)
	}
	src.take()
	search("bigquery replicas", "warehouse-loader")

	// Pushed again, GitLab answering: the new paragraph replaces the old.
	src.mu.Lock()
	src.refuse = false
	src.mu.Unlock()
	tick()
	if _, err := e.fake.Push(loader.ID, fakegitlab.Change{Files: map[string][]byte{"README.md": []byte("# loader\n\nLoads the Snowflake warehouse from the lake every hour, retrying failed loads.\n")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := syncer.Run(ctx, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if n := src.take(); n != 1 {
		t.Errorf("a README push read %d READMEs, want 1", n)
	}
	search("snowflake", "warehouse-loader")
	if hits, _ := e.store.Search(ctx, "bigquery", 3); len(hits) > 0 && hits[0].Service.Name == "warehouse-loader" {
		t.Errorf("the old README still matches: %q", hits[0].Why)
	}

	// Repos synced before READMEs were read (migration 025 leaves
	// readme_path NULL): the next verification reads each once.
	if _, err := e.store.Pool().Exec(ctx, `UPDATE repos SET readme_path = NULL, readme = ''`); err != nil {
		t.Fatal(err)
	}
	if _, err := syncer.Verify(ctx); err != nil {
		t.Fatal(err)
	}
	if n := src.take(); n != projects {
		t.Errorf("verification after the migration read %d READMEs, want %d", n, projects)
	}
	search("snowflake", "warehouse-loader")
	if _, err := syncer.Verify(ctx); err != nil {
		t.Fatal(err)
	}
	if n := src.take(); n != 0 {
		t.Errorf("the verification after read %d READMEs, want 0", n)
	}
}
