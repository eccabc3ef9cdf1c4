package catalog_test

import (
	"context"
	"slices"
	"testing"

	"github.com/switchboard-dev/switchboard/catalog"
)

// TestApplyDependencyGraph stores dependencies with their graph and the
// record of each dependency file, whole and by partial update, and counts
// the files left unread on the repo.
func TestApplyDependencyGraph(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	lock := []catalog.Dependency{
		{Ecosystem: "npm", Name: "express", Version: "4.17.1", File: "package.json", Line: 7, Source: "package-lock.json", Direct: true},
		{Ecosystem: "npm", Name: "qs", Version: "6.7.0", File: "package-lock.json", Line: 120, Source: "package-lock.json",
			Via: []string{"express@4.17.1", "body-parser@1.19.0"}},
		{Ecosystem: "pypi", Name: "Flask_Cors", Version: "3.0.9", File: "requirements.txt", Line: 2, Direct: true},
	}
	snap := snapshot(1, "acme/web/shop", catalog.DescriptorMissing)
	snap.Dependencies = lock
	snap.DependencySources = []catalog.DependencyFile{
		{Path: "package-lock.json", Graph: catalog.GraphPaths, Manifest: "package.json"},
		{Path: "requirements.txt", Graph: catalog.GraphDeclared},
		{Path: "api/pom.xml", Problem: catalog.FileNotFound, Error: "404"},
		{Path: "web/yarn.lock", Problem: catalog.FileUnparsable, Error: "web/yarn.lock:3:1: bad"},
	}
	mustApply(t, s, snap)

	type row struct {
		source, file string
		line         int
		direct       bool
		via          []string
		nameKey      string
	}
	rows := func() []row {
		t.Helper()
		rs, err := s.Pool().Query(ctx, `SELECT source, file, line, direct, via, name_key FROM dependencies ORDER BY source, name`)
		if err != nil {
			t.Fatal(err)
		}
		defer rs.Close()
		var out []row
		for rs.Next() {
			var r row
			if err := rs.Scan(&r.source, &r.file, &r.line, &r.direct, &r.via, &r.nameKey); err != nil {
				t.Fatal(err)
			}
			out = append(out, r)
		}
		return out
	}
	unread := func() int {
		t.Helper()
		st, err := s.RepoStates(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		return st[1].DependencyFilesUnread
	}
	got := rows()
	want := []row{
		{"package-lock.json", "package.json", 7, true, []string{}, "express"},
		{"package-lock.json", "package-lock.json", 120, false, []string{"express@4.17.1", "body-parser@1.19.0"}, "qs"},
		{"requirements.txt", "requirements.txt", 2, true, []string{}, "flask-cors"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.source != w.source || g.file != w.file || g.line != w.line || g.direct != w.direct || !slices.Equal(g.via, w.via) || g.nameKey != w.nameKey {
			t.Errorf("row %d: got %+v, want %+v", i, g, w)
		}
	}
	if n := unread(); n != 1 {
		t.Fatalf("unread files: got %d, want 1 (the unparsable one is read)", n)
	}

	// A partial update reads the unread file again: its record and the
	// count change, the others stay.
	mustApply(t, s, catalog.RepoSnapshot{
		Repo: snap.Repo, Partial: true, KeepDescriptor: true,
		DependencyFiles:   []string{"api/pom.xml"},
		Dependencies:      []catalog.Dependency{{Ecosystem: "maven", Name: "org.apache.logging.log4j:log4j-core", Version: "2.14.1", File: "api/pom.xml", Line: 30, Direct: true}},
		DependencySources: []catalog.DependencyFile{{Path: "api/pom.xml", Graph: catalog.GraphDeclared}},
	})
	if n := unread(); n != 0 {
		t.Fatalf("unread files after the re-read: got %d, want 0", n)
	}
	if got := rows(); len(got) != 4 {
		t.Fatalf("rows after the partial update: got %+v", got)
	}
	var files int
	if err := s.Pool().QueryRow(ctx, `SELECT count(*) FROM dependency_files`).Scan(&files); err != nil || files != 4 {
		t.Fatalf("dependency files: got %d (%v), want 4", files, err)
	}
}

func TestDependencyFileIncomplete(t *testing.T) {
	tests := []struct {
		f          catalog.DependencyFile
		unread     bool
		incomplete string
	}{
		{catalog.DependencyFile{Graph: catalog.GraphPaths}, false, ""},
		{catalog.DependencyFile{Graph: catalog.GraphPaths, Note: "inferred"}, false, "inferred"},
		{catalog.DependencyFile{Graph: catalog.GraphDeclared}, false, "declares direct dependencies only: transitive ones are not seen (no lockfile)"},
		{catalog.DependencyFile{Graph: catalog.GraphFlat}, false, "lists packages without telling direct from transitive"},
		{catalog.DependencyFile{Problem: catalog.FileNotFound}, true, "not read (not found at the commit read)"},
		{catalog.DependencyFile{Problem: catalog.FileTooLarge}, true, "not read (over the size limit)"},
		{catalog.DependencyFile{Problem: catalog.FileUnparsable, Error: "a:1:1: x"}, false, "cannot be parsed: a:1:1: x"},
	}
	for _, tt := range tests {
		if got := tt.f.Unread(); got != tt.unread {
			t.Errorf("%+v: Unread got %v, want %v", tt.f, got, tt.unread)
		}
		if got := tt.f.Incomplete(); got != tt.incomplete {
			t.Errorf("%+v: Incomplete got %q, want %q", tt.f, got, tt.incomplete)
		}
	}
}

// TestImpactQueries: the versions in use by name key (PEP 503 for PyPI),
// the repos using some of them, and the repos whose graphs are incomplete
// for an ecosystem.
func TestImpactQueries(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	apply := func(id int64, path string, deps []catalog.Dependency, files []catalog.DependencyFile) {
		t.Helper()
		snap := snapshot(id, path, catalog.DescriptorMissing)
		snap.Dependencies, snap.DependencySources = deps, files
		mustApply(t, s, snap)
	}
	apply(1, "acme/a", []catalog.Dependency{{Ecosystem: "pypi", Name: "PyYAML", Version: "5.3", File: "requirements.txt", Direct: true}},
		[]catalog.DependencyFile{{Path: "requirements.txt", Graph: catalog.GraphDeclared}})
	apply(2, "acme/b", []catalog.Dependency{{Ecosystem: "pypi", Name: "pyyaml", Version: "6.0", File: "poetry.lock", Via: []string{"x@1"}}},
		[]catalog.DependencyFile{{Path: "poetry.lock", Graph: catalog.GraphPaths}})
	apply(3, "acme/c", nil, []catalog.DependencyFile{{Path: "pom.xml", Problem: catalog.FileTooLarge}})
	apply(4, "acme/d", []catalog.Dependency{{Ecosystem: "maven", Name: "g:a", Version: "1", File: "pom.xml", Direct: true}},
		[]catalog.DependencyFile{{Path: "pom.xml", Graph: catalog.GraphDeclared}})

	versions, err := s.VersionsInUse(ctx, []catalog.PackageKey{{Ecosystem: "pypi", NameKey: "pyyaml"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(versions) != 2 || versions[0].Version != "5.3" || versions[1].Version != "6.0" {
		t.Fatalf("versions in use: got %+v", versions)
	}
	hits, err := s.ReposUsing(ctx, versions[:1])
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 1 || hits[0].Repo.Path != "acme/a" || hits[0].From.Graph != catalog.GraphDeclared || !hits[0].Dependency.Direct {
		t.Fatalf("repos using PyYAML 5.3: got %+v", hits)
	}

	tests := []struct {
		ecosystems []string
		repos      int
		list       []string
	}{
		{nil, 3, []string{"acme/c", "acme/a", "acme/d"}},
		{[]string{"pypi"}, 2, []string{"acme/c", "acme/a"}},
		{[]string{"npm"}, 1, []string{"acme/c"}},
	}
	for _, tt := range tests {
		g, err := s.GraphGaps(ctx, tt.ecosystems, 10)
		if err != nil {
			t.Fatal(err)
		}
		var list []string
		for _, r := range g.List {
			list = append(list, r.Repo.Path)
		}
		if g.Repos != tt.repos || !slices.Equal(list, tt.list) || g.Unread != 1 {
			t.Errorf("%v: got %d repos %v (unread %d), want %d %v", tt.ecosystems, g.Repos, list, g.Unread, tt.repos, tt.list)
		}
	}
}
