package reposync_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/depfile"
	"github.com/switchboard-dev/switchboard/gitlab"
	"github.com/switchboard-dev/switchboard/gitlab/fakegitlab"
	"github.com/switchboard-dev/switchboard/reposync"
	"github.com/switchboard-dev/switchboard/standards"
)

// refusingSource answers files with an error chosen per path while told
// to: a GitLab that lists a file in the tree and then cannot give it.
type refusingSource struct {
	*gitlab.Client
	mu     sync.Mutex
	refuse func(path string) error
}

func (s *refusingSource) File(ctx context.Context, projectID int64, path, ref string) (gitlab.File, error) {
	s.mu.Lock()
	refuse := s.refuse
	s.mu.Unlock()
	if refuse != nil {
		if err := refuse(path); err != nil {
			return gitlab.File{}, err
		}
	}
	return s.Client.File(ctx, projectID, path, ref)
}

func (s *refusingSource) set(refuse func(string) error) {
	s.mu.Lock()
	s.refuse = refuse
	s.mu.Unlock()
}

// TestUnreadIsNotEmpty: dependency files the tree lists but GitLab will
// not give (404 at the commit, too large) are recorded on their repos with
// the reason, counted in the summary, and read again at the next sync
// although nothing moved; a malformed one is recorded as unparsable.
func TestUnreadIsNotEmpty(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		problem string
	}{
		{"404 at the commit", fmt.Errorf("file: %w", gitlab.ErrNotFound), catalog.FileNotFound},
		{"over the size limit", fmt.Errorf("file: %w", gitlab.ErrFileTooLarge), catalog.FileTooLarge},
		{"timeout", fmt.Errorf("file: %w", context.DeadlineExceeded), catalog.FileTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, 20, fakegitlab.Options{})
			ctx := context.Background()
			src := &refusingSource{Client: e.client}
			syncer := reposync.New(src, e.store, reposync.Options{Rules: standards.Default().Rules(), Workers: 4})
			src.set(func(p string) error {
				if depfile.IsDependencyFile(p) {
					return tt.err
				}
				return nil
			})
			sum, err := syncer.Run(ctx, time.Time{})
			if err != nil || sum.Failed != 0 {
				t.Fatalf("first run: %v, failures %v", err, sum.Failures)
			}
			var files, unreadRepos, deps int
			var problems []string
			if err := e.store.Pool().QueryRow(ctx, `SELECT count(*), array_agg(DISTINCT problem) FROM dependency_files`).Scan(&files, &problems); err != nil {
				t.Fatal(err)
			}
			if err := e.store.Pool().QueryRow(ctx, `SELECT count(*) FILTER (WHERE dependency_files_unread > 0) FROM repos`).Scan(&unreadRepos); err != nil {
				t.Fatal(err)
			}
			if err := e.store.Pool().QueryRow(ctx, `SELECT count(*) FROM dependencies`).Scan(&deps); err != nil {
				t.Fatal(err)
			}
			if files == 0 || sum.DependencyFilesUnread != files || len(problems) != 1 || problems[0] != tt.problem || unreadRepos == 0 || deps != 0 {
				t.Fatalf("first run: %d files recorded (%v), summary says %d unread, %d repos with unread files, %d dependencies; want every file %s, none stored",
					files, problems, sum.DependencyFilesUnread, unreadRepos, deps, tt.problem)
			}

			// GitLab answers again: nothing moved, yet the repos with
			// unread files are read again, and only they.
			src.set(nil)
			sum, err = syncer.Run(ctx, time.Time{})
			if err != nil || sum.Failed != 0 {
				t.Fatalf("second run: %v, failures %v", err, sum.Failures)
			}
			if sum.Reread != unreadRepos || sum.DependencyFilesUnread != 0 {
				t.Fatalf("second run: re-read %d repos (want %d), %d files unread (want 0)", sum.Reread, unreadRepos, sum.DependencyFilesUnread)
			}
			if err := e.store.Pool().QueryRow(ctx, `SELECT count(*) FROM dependency_files WHERE problem <> ''`).Scan(&files); err != nil || files != 0 {
				t.Fatalf("second run: %d files still with a problem (%v)", files, err)
			}
			hits, err := e.store.DependentRepos(ctx, "log4j-core")
			if err != nil || len(hits) == 0 {
				t.Fatalf("second run: log4j-core found in %d repos (%v)", len(hits), err)
			}
		})
	}
}

// TestUnparsableRecorded: a malformed dependency file is read, recorded
// with its positioned error, and not taken for an unread one.
func TestUnparsableRecorded(t *testing.T) {
	e := newEnv(t, 10, fakegitlab.Options{})
	ctx := context.Background()
	src := &truncatingSource{Client: e.client}
	syncer := reposync.New(src, e.store, reposync.Options{Rules: standards.Default().Rules(), Workers: 4})
	sum, err := syncer.Run(ctx, time.Time{})
	if err != nil || sum.Failed != 0 || sum.DependencyFilesUnread != 0 {
		t.Fatalf("run: %v, failures %v, unread %d", err, sum.Failures, sum.DependencyFilesUnread)
	}
	rows, err := e.store.Pool().Query(ctx, `SELECT path, error FROM dependency_files WHERE problem = 'unparsable'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var p, msg string
		if err := rows.Scan(&p, &msg); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(msg, p+":") {
			t.Errorf("%s: error %q has no position", p, msg)
		}
		n++
	}
	if n == 0 {
		t.Fatal("no pom.xml recorded as unparsable")
	}
}

// truncatingSource cuts every pom.xml short.
type truncatingSource struct{ *gitlab.Client }

func (s *truncatingSource) File(ctx context.Context, projectID int64, path, ref string) (gitlab.File, error) {
	f, err := s.Client.File(ctx, projectID, path, ref)
	if err == nil && strings.HasSuffix(path, "pom.xml") {
		f.Content = f.Content[:len(f.Content)/2]
	}
	return f, err
}

// TestIncrementalLockfile: a push changing only a lockfile reads its
// folder again with the manifest beside it, so the direct dependency keeps
// the manifest's line and the transitive one gets its chain; files of
// other folders are not read again, and deleting the folder drops both.
func TestIncrementalLockfile(t *testing.T) {
	var clock atomic.Int64
	clock.Store(time.Now().Unix())
	e := newEnv(t, 10, fakegitlab.Options{Now: func() time.Time { return time.Unix(clock.Load(), 0) }})
	ctx := context.Background()
	if _, err := e.syncer.Run(ctx, time.Time{}); err != nil {
		t.Fatal(err)
	}
	p := e.fake.Projects()[0]
	push := func(ch fakegitlab.Change) reposync.Summary {
		t.Helper()
		clock.Add(1)
		if _, err := e.fake.Push(p.ID, ch); err != nil {
			t.Fatal(err)
		}
		sum, err := e.syncer.Run(ctx, time.Time{})
		if err != nil || sum.Failed > 0 {
			t.Fatalf("run: %+v %v", sum, err)
		}
		return sum
	}
	manifest := []byte("{\n  \"name\": \"web\",\n  \"dependencies\": {\n    \"express\": \"^4.17.1\"\n  }\n}\n")
	lock := func(qs string) []byte {
		return []byte(`{
  "name": "web",
  "lockfileVersion": 3,
  "packages": {
    "": {"name": "web", "dependencies": {"express": "^4.17.1"}},
    "node_modules/express": {"version": "4.17.1", "dependencies": {"qs": "` + qs + `"}},
    "node_modules/qs": {"version": "` + qs + `"}
  }
}
`)
	}
	push(fakegitlab.Change{Files: map[string][]byte{"web/package.json": manifest, "web/package-lock.json": lock("6.7.0")}})
	push(fakegitlab.Change{Files: map[string][]byte{"web/package-lock.json": lock("6.11.0")}})

	check := func(name, wantVersion, wantFile string, wantLine int, wantDirect bool, wantVia []string) {
		t.Helper()
		hits, err := e.store.DependentRepos(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		var got []catalog.Dependency
		for _, h := range hits {
			if h.Repo.GitLabID == p.ID {
				got = append(got, h.Dependency)
			}
		}
		if wantVersion == "" {
			if len(got) != 0 {
				t.Errorf("%s: got %+v, want none", name, got)
			}
			return
		}
		if len(got) != 1 || got[0].Version != wantVersion || got[0].File != wantFile || got[0].Line != wantLine ||
			got[0].Direct != wantDirect || !slices.Equal(got[0].Via, wantVia) || got[0].Source != "web/package-lock.json" {
			t.Errorf("%s: got %+v, want %s in %s:%d direct %v via %v", name, got, wantVersion, wantFile, wantLine, wantDirect, wantVia)
		}
	}
	check("express", "4.17.1", "web/package.json", 4, true, nil)
	check("qs", "6.11.0", "web/package-lock.json", 7, false, []string{"express@4.17.1"})

	push(fakegitlab.Change{Delete: []string{"web/package.json", "web/package-lock.json"}})
	check("express", "", "", 0, false, nil)
	check("qs", "", "", 0, false, nil)
	var records int
	if err := e.store.Pool().QueryRow(ctx, `SELECT count(*) FROM dependency_files f JOIN repos r ON r.id = f.repo_id WHERE r.gitlab_id = $1 AND f.path LIKE 'web/%'`, p.ID).Scan(&records); err != nil || records != 0 {
		t.Errorf("records of the deleted folder: got %d (%v), want 0", records, err)
	}
}
