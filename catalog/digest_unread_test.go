package catalog_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
)

// TestDependencyFilePosition: a parse error's position is split from its
// message, and an error without one is left whole.
func TestDependencyFilePosition(t *testing.T) {
	tests := []struct {
		name      string
		f         catalog.DependencyFile
		line, col int
		msg       string
	}{
		{"line and column", catalog.DependencyFile{Path: "web/package-lock.json", Problem: catalog.FileUnparsable,
			Error: "web/package-lock.json:12:5: unexpected end of JSON input"}, 12, 5, "unexpected end of JSON input"},
		{"line only", catalog.DependencyFile{Path: "go.mod", Problem: catalog.FileUnparsable,
			Error: "go.mod:3: unknown directive: requir"}, 3, 0, "unknown directive: requir"},
		{"no position", catalog.DependencyFile{Path: "yarn.lock", Problem: catalog.FileUnparsable,
			Error: "yarn.lock: empty file"}, 0, 0, "yarn.lock: empty file"},
		{"another file's position", catalog.DependencyFile{Path: "a/pom.xml", Problem: catalog.FileUnparsable,
			Error: "b/pom.xml:4:1: bad"}, 0, 0, "b/pom.xml:4:1: bad"},
		{"not a parse error", catalog.DependencyFile{Path: "pom.xml", Problem: catalog.FileNotFound,
			Error: "pom.xml:4:1: 404"}, 0, 0, "pom.xml:4:1: 404"},
		{"a number that is not a line", catalog.DependencyFile{Path: "Cargo.lock", Problem: catalog.FileUnparsable,
			Error: "Cargo.lock:12x: bad"}, 0, 0, "Cargo.lock:12x: bad"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line, col, msg := tt.f.Position()
			if line != tt.line || col != tt.col || msg != tt.msg {
				t.Errorf("got %d:%d %q, want %d:%d %q", line, col, msg, tt.line, tt.col, tt.msg)
			}
		})
	}
}

// TestUnreadRepoFileURL: a file is linked at the commit it was read at,
// at the line of its parse error.
func TestUnreadRepoFileURL(t *testing.T) {
	unparsable := catalog.DependencyFile{Path: "web/yarn.lock", Problem: catalog.FileUnparsable, Error: "web/yarn.lock:40:1: entry cut short"}
	missing := catalog.DependencyFile{Path: "pom.xml", Problem: catalog.FileNotFound, Error: "404"}
	tests := []struct {
		name string
		repo catalog.UnreadRepo
		f    catalog.DependencyFile
		want string
	}{
		{"at the commit, at the line", catalog.UnreadRepo{WebURL: "https://gl/a/b", DefaultBranch: "main", LastCommit: "abc123"}, unparsable,
			"https://gl/a/b/-/blob/abc123/web/yarn.lock#L40"},
		{"on the branch when no commit", catalog.UnreadRepo{WebURL: "https://gl/a/b/", DefaultBranch: "main"}, missing,
			"https://gl/a/b/-/blob/main/pom.xml"},
		{"the repo when no ref", catalog.UnreadRepo{WebURL: "https://gl/a/b"}, missing, "https://gl/a/b"},
		{"nothing when no address", catalog.UnreadRepo{DefaultBranch: "main"}, missing, ""},
		{"a CI artifact: the job's artifact on the branch", catalog.UnreadRepo{WebURL: "https://gl/a/b", DefaultBranch: "release/2", LastCommit: "abc123"},
			catalog.DependencyFile{Path: catalog.ArtifactSource("sbom & co", "build/reports/bom.json"), Problem: catalog.FileError, Error: "500"},
			"https://gl/a/b/-/jobs/artifacts/release%2F2/file/build/reports/bom.json?job=sbom+%26+co"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.repo.FileURL(tt.f); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestDigestUnread: the digest lists the active repos whose dependency
// files could not be read or parsed, by path, each file with its problem;
// inactive, archived and ignored repos are left out; a team's part and a
// group's digest keep their own.
func TestDigestUnread(t *testing.T) {
	ctx := context.Background()
	s := catalog.NewStore(pgtest.New(t), nil)
	s.Now = digestNow
	for _, tm := range []catalog.Team{
		{Name: "payments", GitLabGroup: "acme/payments"},
		{Name: "search", GitLabGroup: "acme/search"},
	} {
		if _, err := s.PutTeam(ctx, tm); err != nil {
			t.Fatal(err)
		}
	}
	recent := digestNow().Add(-72 * time.Hour)
	id := int64(0)
	apply := func(p string, last time.Time, archived bool, files ...catalog.DependencyFile) {
		t.Helper()
		id++
		snap := catalog.RepoSnapshot{
			Repo: catalog.Repo{GitLabID: id, Path: p, WebURL: "https://gitlab.example.com/" + p, DefaultBranch: "main",
				LastActivityAt: last, Archived: archived, LastCommit: "c0ffee"},
			DescriptorStatus: catalog.DescriptorMissing, DependencySources: files,
		}
		if _, err := s.ApplyRepo(ctx, snap); err != nil {
			t.Fatal(err)
		}
	}
	bad := func(path, problem, msg string) catalog.DependencyFile {
		return catalog.DependencyFile{Path: path, Problem: problem, Error: msg}
	}
	good := catalog.DependencyFile{Path: "go.mod", Graph: catalog.GraphPaths}
	apply("acme/payments/web", recent, false,
		bad("package-lock.json", catalog.FileUnparsable, "package-lock.json:12:5: unexpected end of JSON input"),
		bad("yarn.lock", catalog.FileNotFound, "404"), good)
	apply("acme/payments/ok", recent, false, good)
	apply("acme/search/api", recent, false, bad("pom.xml", catalog.FileTimeout, "deadline exceeded"))
	apply("acme/search/old", digestNow().Add(-400*24*time.Hour), false, bad("pom.xml", catalog.FileTimeout, "x"))
	apply("acme/search/gone", recent, true, bad("pom.xml", catalog.FileTimeout, "x"))
	apply("acme/misc/tool", recent, false, bad("Cargo.lock", catalog.FileTooLarge, "too large"))

	summary := func(d *catalog.Digest) []string {
		var out []string
		for _, r := range d.Unread {
			var files []string
			for _, f := range r.Files {
				files = append(files, f.Path+"="+f.Problem)
			}
			out = append(out, r.Path+"@"+r.Team+":"+strings.Join(files, ","))
		}
		return out
	}
	all, err := s.Digest(ctx, catalog.DigestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	group, err := s.Digest(ctx, catalog.DigestOptions{Group: "acme/search"})
	if err != nil {
		t.Fatal(err)
	}
	ignoring, err := s.Digest(ctx, catalog.DigestOptions{Ignored: func(p string) bool { return strings.HasPrefix(p, "acme/misc/") }})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		d     *catalog.Digest
		want  []string
		files int
	}{
		{"whole digest", all, []string{
			"acme/misc/tool@:Cargo.lock=too_large",
			"acme/payments/web@payments:package-lock.json=unparsable,yarn.lock=not_found",
			"acme/search/api@search:pom.xml=timeout",
		}, 4},
		{"payments' part", all.ForTeam("payments"), []string{"acme/payments/web@payments:package-lock.json=unparsable,yarn.lock=not_found"}, 2},
		{"search's part", all.ForTeam("Search"), []string{"acme/search/api@search:pom.xml=timeout"}, 1},
		{"a group's digest", group, []string{"acme/search/api@search:pom.xml=timeout"}, 1},
		{"ignored by configuration", ignoring, []string{
			"acme/payments/web@payments:package-lock.json=unparsable,yarn.lock=not_found",
			"acme/search/api@search:pom.xml=timeout",
		}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := summary(tt.d); !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if n := tt.d.UnreadFiles(); n != tt.files {
				t.Errorf("files: got %d, want %d", n, tt.files)
			}
			if tt.d.Empty() {
				t.Error("Empty: got true with unread files")
			}
		})
	}
	web := all.Unread[1]
	if got, want := web.FileURL(web.Files[0]), "https://gitlab.example.com/acme/payments/web/-/blob/c0ffee/package-lock.json#L12"; got != want {
		t.Errorf("link: got %q, want %q", got, want)
	}
}
