package maven_test

import (
	"bufio"
	"context"
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/switchboard-dev/switchboard/depfile"
	"github.com/switchboard-dev/switchboard/maven"
)

// origin is one line of mvn-origins.txt (MvnOrigins.java): where Maven's
// effective model says a version comes from.
type origin struct {
	// model is the id of the POM whose <version> gives it ("" when none).
	model string
	// property, when the version is written ${property} there, and
	// definer, the POM defining it ("" for the project's own coordinates).
	property, definer string
}

// readOrigins reads mvn-origins.txt: Maven's origins of the project's
// dependencies and management entries, each by groupId:artifactId.
func readOrigins(t *testing.T, file string) (deps, managed map[string]origin) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	deps, managed = map[string]origin{}, map[string]origin{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 4 && len(fields) != 7 {
			t.Fatalf("%s: unexpected line %q", file, sc.Text())
		}
		key := strings.Split(fields[1], ":")
		if len(key) < 3 || key[2] != "jar" || len(key) > 3 {
			continue // the graphs compared hold jars without a classifier
		}
		var o origin
		if fields[3] != "-" {
			o.model = fields[3][:strings.LastIndexByte(fields[3], ':')]
		}
		if len(fields) == 7 {
			o.property = fields[5]
			if fields[6] != "-" {
				o.definer = fields[6]
			}
		}
		m := deps
		if fields[0] == "managed" {
			m = managed
		}
		m[key[0]+":"+key[1]] = o
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return deps, managed
}

// inRepository reports whether model (groupId:artifactId:version) is a POM
// of testdata/repo, a POM outside the workspace.
func inRepository(model string) bool {
	p := strings.Split(model, ":")
	if len(p) != 3 {
		return false
	}
	_, err := os.Stat(filepath.Join("testdata/repo", filepath.FromSlash(maven.Coord{GroupID: p[0], ArtifactID: p[1], Version: p[2]}.Path())))
	return err == nil
}

// wantFrom is the VersionFrom Maven's origin implies: the POM outside the
// workspace defining the property the version is written with, else the
// POM outside the workspace whose <version> gives it; "" when the
// workspace sets it.
func (o origin) wantFrom() string {
	switch {
	case o.property != "":
		if inRepository(o.definer) {
			return o.definer
		}
		return "" // defined in the workspace, or the project's own coordinates
	case inRepository(o.model):
		return o.model
	}
	return ""
}

// TestVersionFromAgainstMaven holds VersionFrom to where Maven's own model
// builder says each version comes from (testdata/mvn-origins.sh): for a
// direct dependency its effective <version>'s origin, for a transitive one
// the origin of the project's management entry deciding it (none: empty).
func TestVersionFromAgainstMaven(t *testing.T) {
	_, remote := newFake(t)
	r := &maven.Resolver{Repo: remote}
	poms := walkFixturePOMs(t)
	ws := os.DirFS("testdata/projects")
	set := 0
	for _, pom := range poms {
		t.Run(path.Dir(pom), func(t *testing.T) {
			deps, managed := readOrigins(t, filepath.Join("testdata/projects", path.Dir(pom), "mvn-origins.txt"))
			res, err := r.Resolve(context.Background(), ws, pom)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range res.Deps {
				o, ok := managed[d.Name]
				if d.Direct {
					o, ok = deps[d.Name]
					if !ok {
						t.Errorf("%s: direct, but Maven's model has no such dependency", d.Name)
						continue
					}
				}
				want := ""
				if ok {
					want = o.wantFrom()
				}
				if d.VersionFrom != want {
					t.Errorf("%s %s: VersionFrom %q, want %q (Maven: %+v)", d.Name, d.Version, d.VersionFrom, want, o)
				}
				if d.VersionFrom != "" {
					set++
				}
			}
		})
	}
	if set < 8 {
		t.Errorf("only %d dependencies have a VersionFrom: the fixtures no longer hold the cases", set)
	}
}

// layered is a Repository serving some POMs from files, the others from
// next.
type layered struct {
	poms map[maven.Coord]string
	next maven.Repository
}

func (l layered) FetchPOM(ctx context.Context, c maven.Coord) ([]byte, error) {
	if f, ok := l.poms[c]; ok {
		return os.ReadFile(f)
	}
	return l.next.FetchPOM(ctx, c)
}

func (l layered) Versions(ctx context.Context, groupID, artifactID string) ([]string, error) {
	return l.next.Versions(ctx, groupID, artifactID)
}

// TestVersionFrom: which POM outside the workspace sets a version, and the
// line to change in the workspace.
func TestVersionFrom(t *testing.T) {
	_, remote := newFake(t)
	// The sample organisation's parent POM is published from another
	// repo: served, as the demo does, from its file.
	repo := layered{poms: map[maven.Coord]string{
		{GroupID: "example.acme", ArtifactID: "java-parent", Version: "3.2.0"}: "../sampleorg/testdata/acme/platform/java-parent/pom.xml",
	}, next: remote}
	sample := func(repo string) fs.FS {
		sub, err := fs.Sub(os.DirFS("../sampleorg/testdata/acme"), repo)
		if err != nil {
			t.Fatal(err)
		}
		return sub
	}
	projects := os.DirFS("testdata/projects")
	// A reactor whose BOM is one of its modules, the BOM's parent outside
	// the workspace.
	reactorBOM := fstest.MapFS{
		"bom/pom.xml": {Data: []byte(`<project>
<parent><groupId>com.acme</groupId><artifactId>acme-parent</artifactId><version>1.4.0</version><relativePath/></parent>
<artifactId>bom</artifactId><version>1</version><packaging>pom</packaging>
<dependencyManagement><dependencies>
<dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-api</artifactId><version>2.17.1</version></dependency>
</dependencies></dependencyManagement></project>`)},
		"app/pom.xml": {Data: []byte(`<project><groupId>com.acme</groupId><artifactId>app</artifactId><version>1</version>
<dependencyManagement><dependencies>
<dependency><groupId>com.acme</groupId><artifactId>bom</artifactId><version>1</version><type>pom</type><scope>import</scope></dependency>
</dependencies></dependencyManagement>
<dependencies>
<dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-api</artifactId></dependency>
<dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId></dependency>
</dependencies></project>`)},
	}
	// The project's own property sets the version its remote parent's
	// management writes as ${log4j2.version}; another of its own
	// properties is defined from that one.
	overrides := fstest.MapFS{"pom.xml": {Data: []byte(`<project>
<parent><groupId>com.acme</groupId><artifactId>acme-parent</artifactId><version>1.4.0</version><relativePath/></parent>
<artifactId>p</artifactId><version>1</version>
<properties><log4j2.version>2.17.1</log4j2.version><jul.version>${log4j2.version}</jul.version></properties>
<dependencies>
<dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId></dependency>
<dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-jul</artifactId><version>${jul.version}</version></dependency>
</dependencies></project>`)}}
	// The repo imports Spring Boot's BOM, which imports log4j-bom 2.14.1:
	// Maven's model says log4j-bom:2.14.1 set the version (its
	// <version>); VersionFrom names the BOM the repo imports, what the
	// repo can move (testdata/MvnOrigins.java run on this file says so).
	nested := fstest.MapFS{"pom.xml": {Data: []byte(`<project><groupId>com.acme</groupId><artifactId>n</artifactId><version>1</version>
<dependencyManagement><dependencies>
<dependency><groupId>org.springframework.boot</groupId><artifactId>spring-boot-dependencies</artifactId><version>2.6.1</version><type>pom</type><scope>import</scope></dependency>
</dependencies></dependencyManagement>
<dependencies>
<dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId></dependency>
</dependencies></project>`)}}
	tests := []struct {
		name string
		ws   fs.FS
		pom  string
		dep  string
		// want: VersionFrom, version, file:line
		from, version, file string
		line                int
	}{
		{name: "parent outside the repo (sample invoice-service)", ws: sample("backoffice/invoice-service"), pom: "pom.xml",
			dep: "org.apache.logging.log4j:log4j-core", from: "example.acme:java-parent:3.2.0", version: "2.14.1", file: "pom.xml", line: 14},
		{name: "BOM import in the repo (sample audit-trail)", ws: sample("identity/audit-trail"), pom: "pom.xml",
			dep: "org.apache.logging.log4j:log4j-core", from: "org.apache.logging.log4j:log4j-bom:2.14.1", version: "2.14.1", file: "pom.xml", line: 9},
		{name: "property from the remote parent", ws: projects, pom: "parent-remote/pom.xml",
			dep: "org.apache.logging.log4j:log4j-core", from: "com.acme:acme-parent:1.4.0", version: "2.14.1", file: "parent-remote/pom.xml", line: 13},
		{name: "inherited from the remote parent: its <parent>", ws: projects, pom: "parent-remote/pom.xml",
			dep: "org.slf4j:slf4j-api", from: "com.acme:acme-parent:1.4.0", version: "1.7.36", file: "parent-remote/pom.xml", line: 4},
		{name: "${project.parent.version}: the project's own", ws: projects, pom: "parent-remote/pom.xml",
			dep: "com.acme:acme-commons", from: "", version: "1.4.0", file: "parent-remote/pom.xml", line: 17},
		{name: "project's own management", ws: projects, pom: "bom-parent/pom.xml",
			dep: "org.apache.logging.log4j:log4j-slf4j-impl", from: "", version: "2.17.1", file: "bom-parent/pom.xml", line: 39},
		{name: "inherited management wins over the project's import", ws: projects, pom: "bom-parent/pom.xml",
			dep: "org.apache.logging.log4j:log4j-core", from: "com.acme:acme-parent:1.4.0", version: "2.14.1", file: "bom-parent/pom.xml", line: 31},
		{name: "BOM import whose version a remote parent's property sets", ws: projects, pom: "bom-parent/pom.xml",
			dep: "org.apache.logging.log4j:log4j-jul", from: "org.apache.logging.log4j:log4j-bom:2.14.1", version: "2.14.1", file: "bom-parent/pom.xml", line: 16},
		{name: "transitive, managed by the imported BOM", ws: projects, pom: "bom-parent/pom.xml",
			dep: "org.apache.logging.log4j:log4j-api", from: "org.apache.logging.log4j:log4j-bom:2.14.1", version: "2.14.1", file: "bom-parent/pom.xml", line: 16},
		{name: "transitive, managed by a BOM import", ws: projects, pom: "bom/pom.xml",
			dep: "org.apache.logging.log4j:log4j-core", from: "org.apache.logging.log4j:log4j-bom:2.17.1", version: "2.17.1", file: "bom/pom.xml", line: 9},
		{name: "direct, version from the second BOM import", ws: projects, pom: "bom/pom.xml",
			dep: "org.springframework.boot:spring-boot-starter-log4j2", from: "org.springframework.boot:spring-boot-dependencies:2.6.1", version: "2.6.1", file: "bom/pom.xml", line: 16},
		{name: "BOM imported by the imported BOM: the one the repo imports", ws: nested, pom: "pom.xml",
			dep: "org.apache.logging.log4j:log4j-core", from: "org.springframework.boot:spring-boot-dependencies:2.6.1", version: "2.14.1", file: "pom.xml", line: 3},
		{name: "transitive, not managed by the project", ws: projects, pom: "starter/pom.xml",
			dep: "org.apache.logging.log4j:log4j-core", from: "", version: "2.14.1", file: "starter/pom.xml", line: 8},
		{name: "remote parent's management, the repo's property", ws: overrides, pom: "pom.xml",
			dep: "org.apache.logging.log4j:log4j-core", from: "", version: "2.17.1", file: "pom.xml", line: 6},
		{name: "the repo's property defined from the repo's", ws: overrides, pom: "pom.xml",
			dep: "org.apache.logging.log4j:log4j-jul", from: "", version: "2.17.1", file: "pom.xml", line: 7},
		{name: "BOM among the repo's modules: the repo sets it", ws: reactorBOM, pom: "app/pom.xml",
			dep: "org.apache.logging.log4j:log4j-api", from: "", version: "2.17.1", file: "app/pom.xml", line: 6},
		{name: "BOM among the repo's modules, entry from its remote parent", ws: reactorBOM, pom: "app/pom.xml",
			dep: "org.apache.logging.log4j:log4j-core", from: "com.acme:acme-parent:1.4.0", version: "2.14.1", file: "app/pom.xml", line: 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := (&maven.Resolver{Repo: repo}).Resolve(context.Background(), tt.ws, tt.pom)
			if err != nil {
				t.Fatal(err)
			}
			if res.Partial() {
				// The sample's jackson-databind is not in testdata/repo.
				t.Logf("partial: %v", res.Err())
			}
			var got *depfile.Dependency
			for i := range res.Deps {
				if res.Deps[i].Name == tt.dep {
					got = &res.Deps[i]
				}
			}
			if got == nil {
				t.Fatalf("%s not resolved: %v", tt.dep, res.Deps)
			}
			if got.VersionFrom != tt.from || got.Version != tt.version || got.File != tt.file || got.Line != tt.line {
				t.Errorf("got %s from %q at %s:%d, want %s from %q at %s:%d",
					got.Version, got.VersionFrom, got.File, got.Line, tt.version, tt.from, tt.file, tt.line)
			}
		})
	}
}

// TestVersionFromUnresolvedParent: without its parent, the project's
// declarations are kept as written, and nothing claims where a version
// comes from.
func TestVersionFromUnresolvedParent(t *testing.T) {
	fake, remote := newFake(t)
	fake.Fail("com/acme/acme-parent/1.4.0/acme-parent-1.4.0.pom", 404)
	res, err := (&maven.Resolver{Repo: remote}).Resolve(context.Background(), os.DirFS("testdata/projects"), "parent-remote/pom.xml")
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(res.Err(), maven.ErrNotFound) {
		t.Fatalf("got %v, want the parent not found", res.Err())
	}
	for _, d := range res.Deps {
		if d.VersionFrom != "" {
			t.Errorf("%s: VersionFrom %q without the parent", d.Name, d.VersionFrom)
		}
	}
}
