package reposync_test

import (
	"context"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/gitlab"
	"github.com/switchboard-dev/switchboard/gitlab/fakegitlab"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
	"github.com/switchboard-dev/switchboard/maven"
	"github.com/switchboard-dev/switchboard/maven/fakemaven"
	"github.com/switchboard-dev/switchboard/reposync"
	"github.com/switchboard-dev/switchboard/standards"
)

// A multi-module repo: the parent manages log4j-core's version, the app
// names only the Spring Boot starter that brings it.
const (
	parentPOM = `<project>
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.example</groupId>
  <artifactId>shop-parent</artifactId>
  <version>1.0.0</version>
  <packaging>pom</packaging>
  <modules><module>app</module></modules>
  <dependencyManagement>
    <dependencies>
      <dependency>
        <groupId>org.apache.logging.log4j</groupId>
        <artifactId>log4j-core</artifactId>
        <version>VERSION</version>
      </dependency>
    </dependencies>
  </dependencyManagement>
</project>
`
	appPOM = `<project>
  <modelVersion>4.0.0</modelVersion>
  <parent>
    <groupId>com.example</groupId>
    <artifactId>shop-parent</artifactId>
    <version>1.0.0</version>
  </parent>
  <artifactId>shop-app</artifactId>
  <dependencies>
    <dependency>
      <groupId>org.springframework.boot</groupId>
      <artifactId>spring-boot-starter-log4j2</artifactId>
      <version>2.6.1</version>
    </dependency>
  </dependencies>
</project>
`
	missingPOM = `<project>
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.example</groupId>
  <artifactId>lonely</artifactId>
  <version>1.0.0</version>
  <dependencies>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-core</artifactId>
      <version>2.14.1</version>
    </dependency>
    <dependency>
      <groupId>com.example</groupId>
      <artifactId>nowhere</artifactId>
      <version>9.9.9</version>
    </dependency>
  </dependencies>
</project>
`
	// With a descriptor the repo's commit is known, so the next sync
	// reads only what changed.
	shopDescriptor = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: shop\nspec:\n  type: service\n  lifecycle: production\n  owner: payments\n"
	brokenPOM      = "<project>\n  <dependencies>\n    <dependency>\n"
)

// mavenDep is one stored Maven dependency.
type mavenDep struct {
	name, version, source string
	direct                bool
	via                   []string
}

func mavenDeps(t *testing.T, pool *pgxpool.Pool, repo string) map[string]mavenDep {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT d.name, d.version, d.source, d.direct, d.via FROM dependencies d
		JOIN repos r ON r.id = d.repo_id WHERE r.path = $1 AND d.ecosystem = 'maven'`, repo)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]mavenDep{}
	for rows.Next() {
		var d mavenDep
		if err := rows.Scan(&d.name, &d.version, &d.source, &d.direct, &d.via); err != nil {
			t.Fatal(err)
		}
		out[d.source+" "+d.name] = d
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func depFile(t *testing.T, pool *pgxpool.Pool, repo, file string) catalog.DependencyFile {
	t.Helper()
	f := catalog.DependencyFile{Path: file}
	err := pool.QueryRow(context.Background(), `SELECT f.graph, f.note, f.problem, f.error FROM dependency_files f
		JOIN repos r ON r.id = f.repo_id WHERE r.path = $1 AND f.path = $2`, repo, file).Scan(&f.Graph, &f.Note, &f.Problem, &f.Error)
	if err != nil {
		t.Fatalf("%s %s: %v", repo, file, err)
	}
	return f
}

// mavenSync serves org from a fake GitLab and syncs it with workers
// workers and a Maven resolver over ../maven/testdata/repo through the
// POM cache.
func mavenSync(t *testing.T, org *fakegitlab.Org, workers int) (*fakegitlab.Server, *pgxpool.Pool, *catalog.Store, *reposync.Syncer) {
	t.Helper()
	fake := fakegitlab.New(org, fakegitlab.Options{Token: token})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	fake.SetURL(srv.URL)
	client, err := gitlab.New(gitlab.Config{BaseURL: srv.URL, Token: token, RetryWaitMin: time.Millisecond, RetryWaitMax: 20 * time.Millisecond, RetryMax: 3})
	if err != nil {
		t.Fatal(err)
	}
	mvnSrv := httptest.NewServer(fakemaven.New(os.DirFS("../maven/testdata/repo")))
	t.Cleanup(mvnSrv.Close)
	remote, err := maven.NewRemote([]maven.RemoteRepo{{URL: mvnSrv.URL}}, mvnSrv.Client())
	if err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.New(context.Background(), pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	store := catalog.NewStore(pool, nil)
	syncer := reposync.New(client, store, reposync.Options{Rules: standards.Default().Rules(), Workers: workers,
		Maven: &maven.Resolver{Repo: &maven.Cached{Repo: remote, Store: maven.NewStore(pool)}}})
	return fake, pool, store, syncer
}

// TestMavenResolved: with a resolver, every pom.xml is resolved over the
// repo's POMs (parent by relativePath) and a Maven repository: transitive
// dependencies are stored with their chain; a partial graph keeps what
// resolved and says what is missing; a malformed POM is the positioned
// error as before; a change to the parent resolves the app again.
func TestMavenResolved(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	org := &fakegitlab.Org{Groups: []fakegitlab.Group{{ID: 1, Path: "acme", Name: "Acme"}}}
	add := func(id int64, path string, files map[string]string) {
		fs := map[string][]byte{}
		for k, v := range files {
			fs[k] = []byte(v)
		}
		org.Projects = append(org.Projects, &fakegitlab.Project{ID: id, Path: path, DefaultBranch: "main",
			CreatedAt: now.Add(-time.Hour), LastActivity: now.Add(-time.Hour), Files: fs})
	}
	add(1, "acme/shop", map[string]string{"catalog-info.yaml": shopDescriptor, "pom.xml": strings.Replace(parentPOM, "VERSION", "2.14.1", 1), "app/pom.xml": appPOM})
	add(2, "acme/lonely", map[string]string{"pom.xml": missingPOM})
	add(3, "acme/broken", map[string]string{"pom.xml": brokenPOM})

	fake, pool, _, syncer := mavenSync(t, org, 2)

	if sum, err := syncer.Run(ctx, time.Time{}); err != nil || sum.Failed != 0 {
		t.Fatalf("sync: %v, failures %v", err, sum.Failures)
	}
	shop := mavenDeps(t, pool, "acme/shop")
	core, ok := shop["app/pom.xml org.apache.logging.log4j:log4j-core"]
	if !ok || core.version != "2.14.1" || core.direct || len(core.via) != 1 || core.via[0] != "org.springframework.boot:spring-boot-starter-log4j2@2.6.1" {
		t.Errorf("app/pom.xml log4j-core: got %+v (found %v), want 2.14.1 transitive via the starter; all: %v", core, ok, shop)
	}
	if starter := shop["app/pom.xml org.springframework.boot:spring-boot-starter-log4j2"]; !starter.direct {
		t.Errorf("starter: got %+v, want direct", starter)
	}
	if f := depFile(t, pool, "acme/shop", "app/pom.xml"); f.Graph != "paths" || f.Incomplete() != "" {
		t.Errorf("app/pom.xml record: got %+v, want a complete graph with paths", f)
	}

	lonely := mavenDeps(t, pool, "acme/lonely")
	if d, ok := lonely["pom.xml org.apache.logging.log4j:log4j-api"]; !ok || d.direct {
		t.Errorf("partial graph: got %v, want log4j-api kept, transitive", lonely)
	}
	if f := depFile(t, pool, "acme/lonely", "pom.xml"); !strings.Contains(f.Incomplete(), "com.example:nowhere:9.9.9") {
		t.Errorf("partial pom.xml record: got %+v, want the missing POM named as incomplete", f)
	}

	if f := depFile(t, pool, "acme/broken", "pom.xml"); f.Problem != catalog.FileUnparsable || !strings.Contains(f.Error, "pom.xml:") {
		t.Errorf("malformed pom.xml: got %+v, want unparsable with its position", f)
	}

	// The parent moves log4j-core to 2.17.1: the app, whose file did not
	// change, is resolved again.
	if _, err := fake.Push(1, fakegitlab.Change{Files: map[string][]byte{"pom.xml": []byte(strings.Replace(parentPOM, "VERSION", "2.17.1", 1))}}); err != nil {
		t.Fatal(err)
	}
	sum, err := syncer.Verify(ctx)
	if err != nil || sum.Failed != 0 || sum.Changed != 1 {
		t.Fatalf("second sync: %v, failures %v, changed %d (want 1: read from the comparison)", err, sum.Failures, sum.Changed)
	}
	core = mavenDeps(t, pool, "acme/shop")["app/pom.xml org.apache.logging.log4j:log4j-core"]
	if core.version != "2.17.1" || core.direct {
		t.Errorf("after the parent changed: log4j-core %+v, want 2.17.1 (managed by the parent), transitive", core)
	}
}
