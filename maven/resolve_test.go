package maven_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/switchboard-dev/switchboard/depfile"
	"github.com/switchboard-dev/switchboard/maven"
	"github.com/switchboard-dev/switchboard/maven/fakemaven"
)

// newFake serves testdata/repo over HTTP and returns the server and a
// Remote on it.
func newFake(t testing.TB) (*fakemaven.Server, *maven.Remote) {
	t.Helper()
	fake := fakemaven.New(os.DirFS("testdata/repo"))
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	return fake, &maven.Remote{Repos: []maven.RemoteRepo{{URL: srv.URL}}, Client: srv.Client(), RetryWait: time.Millisecond}
}

// treeDep is one line of mvn dependency:tree's text output.
type treeDep struct {
	name, version, scope string
	via                  []string
}

// readTree reads mvn-tree.txt into its dependencies, in tree order.
func readTree(t *testing.T, file string) []treeDep {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []treeDep
	var stack []string
	sc := bufio.NewScanner(f)
	first := true
	for sc.Scan() {
		line := sc.Text()
		if first {
			first = false
			continue
		}
		i := strings.IndexAny(line, "+\\")
		if i < 0 || i%3 != 0 {
			t.Fatalf("%s: unexpected line %q", file, line)
		}
		depth := i / 3
		parts := strings.Split(strings.TrimSpace(line[i+3:]), ":")
		if len(parts) < 5 {
			t.Fatalf("%s: unexpected line %q", file, line)
		}
		name := parts[0] + ":" + parts[1]
		version, scope := parts[len(parts)-2], parts[len(parts)-1]
		stack = append(stack[:depth], name+"@"+version)
		out = append(out, treeDep{name: name, version: version, scope: scope, via: append([]string(nil), stack[:depth]...)})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// walkFixturePOMs lists the pom.xml of every fixture project under
// testdata/projects, slash-separated and relative to it.
func walkFixturePOMs(t *testing.T) []string {
	t.Helper()
	var poms []string
	err := filepath.WalkDir("testdata/projects", func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Name() == "pom.xml" {
			rel, _ := filepath.Rel("testdata/projects", p)
			poms = append(poms, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil || len(poms) < 7 {
		t.Fatalf("fixture projects: %v (%d)", err, len(poms))
	}
	return poms
}

// TestAgainstMaven holds the resolver to Maven's own dependency:tree
// (testdata/mvn-expected.sh) for every fixture project.
func TestAgainstMaven(t *testing.T) {
	_, remote := newFake(t)
	r := &maven.Resolver{Repo: remote}
	poms := walkFixturePOMs(t)
	ws := os.DirFS("testdata/projects")
	for _, pom := range poms {
		t.Run(path.Dir(pom), func(t *testing.T) {
			want := readTree(t, filepath.Join("testdata/projects", path.Dir(pom), "mvn-tree.txt"))
			res, err := r.Resolve(context.Background(), ws, pom)
			if err != nil {
				t.Fatal(err)
			}
			if res.Partial() {
				t.Fatalf("partial: %v", res.Err())
			}
			compareTree(t, res, want)
		})
	}
}

// compareTree compares a resolved graph with Maven's tree: the same
// artifacts (name, version, scope, chain; an artifact twice under two
// classifiers is two), each with a file and line.
func compareTree(t *testing.T, res *maven.Result, want []treeDep) {
	t.Helper()
	var got, exp []string
	for _, d := range res.Deps {
		if d.Ecosystem != depfile.Maven {
			t.Errorf("%s: ecosystem %q", d.Name, d.Ecosystem)
		}
		if d.Direct != (len(d.Via) == 0) {
			t.Errorf("%s: direct %v with via %v", d.Name, d.Direct, d.Via)
		}
		if d.File == "" || d.Line == 0 {
			t.Errorf("%s: no file:line (%q:%d)", d.Name, d.File, d.Line)
		}
		got = append(got, fmt.Sprintf("%s@%s scope=%q via=%s", d.Name, d.Version, d.Scope, strings.Join(d.Via, " > ")))
	}
	for _, w := range want {
		scope := w.scope
		if scope == "compile" {
			scope = ""
		}
		exp = append(exp, fmt.Sprintf("%s@%s scope=%q via=%s", w.name, w.version, scope, strings.Join(w.via, " > ")))
	}
	sort.Strings(got)
	sort.Strings(exp)
	for len(got) > 0 || len(exp) > 0 {
		switch {
		case len(exp) == 0 || (len(got) > 0 && got[0] < exp[0]):
			t.Errorf("got %s, not in mvn's tree", got[0])
			got = got[1:]
		case len(got) == 0 || exp[0] < got[0]:
			t.Errorf("missing %s (mvn)", exp[0])
			exp = exp[1:]
		default:
			got, exp = got[1:], exp[1:]
		}
	}
}

// TestDebianRepoAgainstMaven (MAVEN_ORACLE=1; needs Debian's maven and
// libmaven-dependency-plugin-java) resolves a project depending on every
// artifact of /usr/share/maven-repo and holds it to mvn's tree. Debian's
// POMs that name artifacts Debian does not ship make the graph partial
// (mvn warns and goes on): those are logged.
func TestDebianRepoAgainstMaven(t *testing.T) {
	if os.Getenv("MAVEN_ORACLE") == "" {
		t.Skip("MAVEN_ORACLE unset")
	}
	dir := t.TempDir()
	out, err := exec.Command("testdata/mvn-oracle.sh", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("mvn-oracle.sh: %v\n%s", err, out)
	}
	// The junit 4.x placeholder first, then Debian's repository.
	placeholder := httptest.NewServer(fakemaven.New(os.DirFS("testdata/repo")))
	defer placeholder.Close()
	debian := httptest.NewServer(fakemaven.New(os.DirFS("/usr/share/maven-repo")))
	defer debian.Close()
	r := &maven.Resolver{Repo: &maven.Remote{Repos: []maven.RemoteRepo{{URL: placeholder.URL}, {URL: debian.URL}}}}
	res, err := r.Resolve(context.Background(), os.DirFS(dir), "pom.xml")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Problems {
		t.Log("partial:", p)
	}
	want := readTree(t, filepath.Join(dir, "mvn-tree.txt"))
	t.Logf("%d artifacts resolved, mvn's tree has %d", len(res.Deps), len(want))
	compareTree(t, res, want)
}

// TestLines: each dependency names the line to change.
func TestLines(t *testing.T) {
	_, remote := newFake(t)
	r := &maven.Resolver{Repo: remote}
	tests := []struct {
		pom, name, file string
		line            int
	}{
		{"starter/pom.xml", "org.springframework.boot:spring-boot-starter-log4j2", "starter/pom.xml", 8},
		{"starter/pom.xml", "org.apache.logging.log4j:log4j-core", "starter/pom.xml", 8},
		// The BOM import decides log4j-core's version.
		{"bom/pom.xml", "org.apache.logging.log4j:log4j-core", "bom/pom.xml", 9},
		// An inherited dependency is declared in the parent's file.
		{"multimodule/service/pom.xml", "com.acme:lib-d", "multimodule/pom.xml", 20},
		// Inherited from a parent in a repository: the <parent> line.
		{"parent-remote/pom.xml", "org.slf4j:slf4j-api", "parent-remote/pom.xml", 4},
	}
	for _, tt := range tests {
		t.Run(tt.pom+" "+tt.name, func(t *testing.T) {
			res, err := r.Resolve(context.Background(), os.DirFS("testdata/projects"), tt.pom)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range res.Deps {
				if d.Name == tt.name {
					if d.File != tt.file || d.Line != tt.line {
						t.Errorf("got %s:%d, want %s:%d", d.File, d.Line, tt.file, tt.line)
					}
					return
				}
			}
			t.Errorf("%s not resolved", tt.name)
		})
	}
}

// TestPartial: a graph that cannot be completed says why, and keeps what
// it could resolve.
func TestPartial(t *testing.T) {
	tests := []struct {
		name    string
		pom     string
		files   fstest.MapFS
		fail    map[string]int
		down    bool
		kind    maven.Kind
		wantDep string // a dependency still resolved
	}{
		{name: "repository down", pom: "starter/pom.xml", down: true, kind: maven.Unavailable,
			wantDep: "org.springframework.boot:spring-boot-starter-log4j2"},
		{name: "one POM errors", pom: "starter/pom.xml", kind: maven.Unavailable,
			fail:    map[string]int{"org/apache/logging/log4j/log4j-core/2.14.1/log4j-core-2.14.1.pom": 503},
			wantDep: "org.apache.logging.log4j:log4j-core"},
		{name: "POM missing", pom: "p/pom.xml", kind: maven.NotFound, wantDep: "com.acme:lib-a",
			files: fstest.MapFS{"p/pom.xml": {Data: []byte(project(`<dependency><groupId>com.acme</groupId><artifactId>nowhere</artifactId><version>9</version></dependency>
<dependency><groupId>com.acme</groupId><artifactId>lib-a</artifactId><version>1.0</version></dependency>`))}}},
		{name: "BOM missing", pom: "bom/pom.xml", kind: maven.NotFound, wantDep: "org.springframework.boot:spring-boot-starter-log4j2",
			fail: map[string]int{"org/springframework/boot/spring-boot-dependencies/2.6.1/spring-boot-dependencies-2.6.1.pom": 404}},
		{name: "BOM of a dependency's parent unavailable", pom: "debian-bom/pom.xml", kind: maven.Unavailable, wantDep: "org.apache.logging.log4j:log4j-api",
			fail: map[string]int{"org/apache/logging/log4j/log4j/debian/log4j-debian.pom": 500}},
		// Without its parent, the project's own declarations still
		// resolve, transitively.
		{name: "parent missing", pom: "p/pom.xml", kind: maven.NotFound, wantDep: "org.apache.logging.log4j:log4j-core",
			files: fstest.MapFS{"p/pom.xml": {Data: []byte(`<project><parent><groupId>com.acme</groupId><artifactId>gone</artifactId><version>1</version></parent>
<artifactId>x</artifactId><dependencies><dependency><groupId>com.acme</groupId><artifactId>lib-a</artifactId><version>1.0</version></dependency></dependencies></project>`)}}},
		{name: "parent cycle", pom: "a/pom.xml", kind: maven.ParentCycle, wantDep: "com.acme:lib-a",
			files: fstest.MapFS{
				"a/pom.xml": {Data: []byte(`<project><parent><groupId>g</groupId><artifactId>b</artifactId><version>1</version><relativePath>../b</relativePath></parent>
<artifactId>a</artifactId><dependencies><dependency><groupId>com.acme</groupId><artifactId>lib-a</artifactId><version>1.0</version></dependency></dependencies></project>`)},
				"b/pom.xml": {Data: []byte(`<project><parent><groupId>g</groupId><artifactId>a</artifactId><version>1</version><relativePath>../a</relativePath></parent><artifactId>b</artifactId></project>`)},
			}},
		{name: "malformed parent in workspace", pom: "c/pom.xml", kind: maven.Malformed, wantDep: "com.acme:lib-a",
			files: fstest.MapFS{
				"pom.xml":   {Data: []byte(`<project><groupId>g</groupId><artifactId>p</artifactId><version>1</version><dependencies>`)},
				"c/pom.xml": {Data: []byte(`<project><parent><groupId>g</groupId><artifactId>p</artifactId><version>1</version></parent><artifactId>c</artifactId><dependencies><dependency><groupId>com.acme</groupId><artifactId>lib-a</artifactId><version>1.0</version></dependency></dependencies></project>`)},
			}},
		{name: "property defined by copies of itself", pom: "p/pom.xml", kind: maven.Unresolved, wantDep: "com.acme:lib-a",
			files: fstest.MapFS{"p/pom.xml": {Data: []byte(`<project><groupId>g</groupId><artifactId>a</artifactId><version>1</version>
<properties><a>${a}${a}${a}${a}${a}${a}${a}${a}</a></properties><dependencies>
<dependency><groupId>com.acme</groupId><artifactId>lib-b</artifactId><version>${a}</version></dependency>
<dependency><groupId>com.acme</groupId><artifactId>lib-a</artifactId><version>1.0</version></dependency></dependencies></project>`)}}},
		{name: "undefined property", pom: "p/pom.xml", kind: maven.Unresolved, wantDep: "com.acme:lib-a",
			files: fstest.MapFS{"p/pom.xml": {Data: []byte(project(`<dependency><groupId>com.acme</groupId><artifactId>lib-b</artifactId><version>${nope}</version></dependency>
<dependency><groupId>com.acme</groupId><artifactId>lib-a</artifactId><version>1.0</version></dependency>`))}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, remote := newFake(t)
			for p, status := range tt.fail {
				fake.Fail(p, status)
			}
			if tt.down {
				fake.FailAll(http.StatusBadGateway)
			}
			var ws = os.DirFS("testdata/projects")
			if tt.files != nil {
				ws = tt.files
			}
			res, err := (&maven.Resolver{Repo: remote}).Resolve(context.Background(), ws, tt.pom)
			if err != nil {
				t.Fatal(err)
			}
			if !res.Partial() {
				t.Fatalf("got a complete graph of %d, want partial", len(res.Deps))
			}
			var e *maven.Error
			if !errors.As(res.Err(), &e) || e.Kind != tt.kind {
				t.Errorf("got %v, want kind %v", res.Err(), tt.kind)
			}
			found := false
			for _, d := range res.Deps {
				found = found || d.Name == tt.wantDep
			}
			if !found {
				t.Errorf("got %v, want %s kept", res.Deps, tt.wantDep)
			}
		})
	}
}

// project wraps dependencies in a project POM.
func project(deps string) string {
	return `<project><groupId>com.acme</groupId><artifactId>p</artifactId><version>1</version><dependencies>` + deps + `</dependencies></project>`
}

// TestRanges: a range resolves to the highest listed version within it.
func TestRanges(t *testing.T) {
	_, remote := newFake(t)
	tests := []struct {
		rng, want string
		partial   bool
	}{
		{"[2.14,2.17)", "2.16.0", false},
		{"[2.17.1,)", "2.19.0", false},
		{"(,2.14.1]", "2.14.1", false},
		{"[2.12.1]", "2.12.1", false},
		{"[3.0,4.0)", "[3.0,4.0)", true},
		{"[1.0,2.0),[3.0,)", "[1.0,2.0),[3.0,)", true},
	}
	for _, tt := range tests {
		t.Run(tt.rng, func(t *testing.T) {
			ws := fstest.MapFS{"pom.xml": {Data: []byte(project(`<dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>` + tt.rng + `</version></dependency>`))}}
			res, err := (&maven.Resolver{Repo: remote}).Resolve(context.Background(), ws, "pom.xml")
			if err != nil {
				t.Fatal(err)
			}
			if res.Deps[0].Version != tt.want || res.Partial() != tt.partial {
				t.Errorf("got %s (partial %v: %v), want %s", res.Deps[0].Version, res.Partial(), res.Err(), tt.want)
			}
		})
	}
}

// TestToken: credentials reach the repository.
func TestToken(t *testing.T) {
	fake := fakemaven.New(os.DirFS("testdata/repo"))
	fake.Token = "s3cret"
	srv := httptest.NewServer(fake)
	defer srv.Close()
	c := maven.Coord{GroupID: "com.acme", ArtifactID: "lib-a", Version: "1.0"}
	tests := []struct {
		repo maven.RemoteRepo
		ok   bool
	}{
		{maven.RemoteRepo{URL: srv.URL}, false},
		{maven.RemoteRepo{URL: srv.URL, Token: "s3cret"}, true},
		{maven.RemoteRepo{URL: srv.URL, Username: "ci", Token: "s3cret"}, true},
		{maven.RemoteRepo{URL: srv.URL, Token: "wrong"}, false},
	}
	for _, tt := range tests {
		_, err := (&maven.Remote{Repos: []maven.RemoteRepo{tt.repo}}).FetchPOM(context.Background(), c)
		if (err == nil) != tt.ok {
			t.Errorf("%+v: got %v, want ok %v", tt.repo, err, tt.ok)
		}
	}
}

// TestSession: a sync hands a repository's pom.xml files as Files; a
// module depending on its sibling resolves the sibling from them, never
// from a repository, and one session serves every module.
func TestSession(t *testing.T) {
	fake, remote := newFake(t)
	files := maven.Files{}
	for _, p := range []string{"pom.xml", "core/pom.xml", "app/pom.xml"} {
		data, err := os.ReadFile(filepath.Join("testdata/projects/reactor", p))
		if err != nil {
			t.Fatal(err)
		}
		files[p] = data
	}
	s := (&maven.Resolver{Repo: remote}).Session(files)
	for _, p := range []string{"pom.xml", "core/pom.xml", "app/pom.xml"} {
		res, err := s.Resolve(context.Background(), p)
		if err != nil || res.Partial() {
			t.Fatalf("%s: %v %v", p, err, res.Err())
		}
	}
	for p, n := range fake.Requests() {
		if strings.Contains(p, "fulfilment") {
			t.Errorf("asked the repository for %s", p)
		}
		if n != 1 {
			t.Errorf("%s: got %d requests in one session, want 1", p, n)
		}
	}
}

// TestRemoteRetries: a failure other than "not found" is tried again,
// "not found" is not; the next repository is asked after either.
func TestRemoteRetries(t *testing.T) {
	c := maven.Coord{GroupID: "com.acme", ArtifactID: "lib-a", Version: "1.0"}
	tests := []struct {
		name     string
		status   int
		retries  int
		requests int
		err      error
	}{
		{"unavailable, one retry", 503, 0, 2, maven.ErrUnavailable},
		{"unavailable, no retry", 503, -1, 1, maven.ErrUnavailable},
		{"unavailable, three retries", 500, 3, 4, maven.ErrUnavailable},
		{"not found", 404, 0, 1, maven.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, remote := newFake(t)
			fake.Fail(c.Path(), tt.status)
			remote.Retries, remote.RetryWait = tt.retries, time.Millisecond
			_, err := remote.FetchPOM(context.Background(), c)
			if !errors.Is(err, tt.err) {
				t.Errorf("got %v, want %v", err, tt.err)
			}
			if n := fake.Count(c.Path()); n != tt.requests {
				t.Errorf("got %d requests, want %d", n, tt.requests)
			}
		})
	}
	// The first repository failing, the second serves.
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(502) }))
	defer bad.Close()
	fake := fakemaven.New(os.DirFS("testdata/repo"))
	good := httptest.NewServer(fake)
	defer good.Close()
	r := &maven.Remote{Repos: []maven.RemoteRepo{{URL: bad.URL}, {URL: good.URL}}, RetryWait: time.Millisecond}
	if _, err := r.FetchPOM(context.Background(), c); err != nil {
		t.Errorf("got %v, want the second repository's POM", err)
	}
}

func TestNewRemote(t *testing.T) {
	tests := []struct {
		repos []maven.RemoteRepo
		ok    bool
	}{
		{nil, true},
		{[]maven.RemoteRepo{{URL: "https://nexus.example.com/repository/maven-public/", Token: "t"}}, true},
		{[]maven.RemoteRepo{{URL: "nexus.example.com"}}, false},
		{[]maven.RemoteRepo{{URL: "ftp://nexus.example.com"}}, false},
		{[]maven.RemoteRepo{{URL: "https://nexus.example.com/?x=1"}}, false},
		{[]maven.RemoteRepo{{URL: "https://nexus.example.com", Username: "ci"}}, false},
	}
	for _, tt := range tests {
		if _, err := maven.NewRemote(tt.repos, nil); (err == nil) != tt.ok {
			t.Errorf("%+v: got %v, want ok %v", tt.repos, err, tt.ok)
		}
	}
}

// TestMalformedProject: the project's own POM malformed is a positioned
// error, never an empty graph.
func TestMalformedProject(t *testing.T) {
	ws := maven.Files{"pom.xml": []byte("<project>\n  <dependencies>\n    <dependency>\n")}
	_, err := (&maven.Resolver{}).Resolve(context.Background(), ws, "pom.xml")
	var e *maven.Error
	if !errors.As(err, &e) || e.Kind != maven.Malformed || e.Line == 0 || e.Coordinate != "pom.xml" {
		t.Fatalf("got %v, want a malformed pom.xml with its line", err)
	}
}
