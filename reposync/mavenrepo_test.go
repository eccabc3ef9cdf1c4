package reposync_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
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

// The Maven repository of these tests: a parent POM no repo holds, which
// manages log4j-core's version; log4j-core brings log4j-api.
var parentRepo = fstest.MapFS{
	"com/acme/acme-parent/1.0/acme-parent-1.0.pom": {Data: []byte(`<project>
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.acme</groupId>
  <artifactId>acme-parent</artifactId>
  <version>1.0</version>
  <packaging>pom</packaging>
  <dependencyManagement>
    <dependencies>
      <dependency>
        <groupId>org.apache.logging.log4j</groupId>
        <artifactId>log4j-core</artifactId>
        <version>2.14.1</version>
      </dependency>
    </dependencies>
  </dependencyManagement>
</project>
`)},
	"org/apache/logging/log4j/log4j-core/2.14.1/log4j-core-2.14.1.pom": {Data: []byte(`<project>
  <modelVersion>4.0.0</modelVersion>
  <groupId>org.apache.logging.log4j</groupId>
  <artifactId>log4j-core</artifactId>
  <version>2.14.1</version>
  <dependencies>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-api</artifactId>
      <version>2.14.1</version>
    </dependency>
  </dependencies>
</project>
`)},
	"org/apache/logging/log4j/log4j-api/2.14.1/log4j-api-2.14.1.pom": {Data: []byte(`<project>
  <modelVersion>4.0.0</modelVersion>
  <groupId>org.apache.logging.log4j</groupId>
  <artifactId>log4j-api</artifactId>
  <version>2.14.1</version>
</project>
`)},
}

// childPOM's parent is in the Maven repository only (an empty
// relativePath); it names log4j-core without a version.
const childPOM = `<project>
  <modelVersion>4.0.0</modelVersion>
  <parent>
    <groupId>com.acme</groupId>
    <artifactId>acme-parent</artifactId>
    <version>1.0</version>
    <relativePath/>
  </parent>
  <artifactId>svc</artifactId>
  <dependencies>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-core</artifactId>
    </dependency>
  </dependencies>
</project>
`

// mavenEnv is one repo, acme/svc, whose pom.xml is childPOM, synced
// against a fake Maven repository through the POM cache.
type mavenEnv struct {
	fake  *fakegitlab.Server
	mvn   *fakemaven.Server
	url   string // the Maven repository's
	pool  *pgxpool.Pool
	store *catalog.Store
	logs  *syncBuffer
}

// syncBuffer is a bytes.Buffer safe for the sync's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func newMavenEnv(t *testing.T) *mavenEnv {
	t.Helper()
	now := time.Now()
	org := &fakegitlab.Org{Groups: []fakegitlab.Group{{ID: 1, Path: "acme", Name: "Acme"}}}
	org.Projects = append(org.Projects, &fakegitlab.Project{ID: 1, Path: "acme/svc", DefaultBranch: "main",
		CreatedAt: now.Add(-time.Hour), LastActivity: now.Add(-time.Hour),
		Files: map[string][]byte{"catalog-info.yaml": []byte(shopDescriptor), "pom.xml": []byte(childPOM)}})
	fake := fakegitlab.New(org, fakegitlab.Options{Token: token})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	fake.SetURL(srv.URL)
	mvn := fakemaven.New(parentRepo)
	mvnSrv := httptest.NewServer(mvn)
	t.Cleanup(mvnSrv.Close)
	pool, err := pgxpool.New(context.Background(), pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return &mavenEnv{fake: fake, mvn: mvn, url: mvnSrv.URL, pool: pool, store: catalog.NewStore(pool, nil), logs: &syncBuffer{}}
}

// syncer returns a syncer resolving against the fake repository with
// repo's credentials, logging at debug level into e.logs.
func (e *mavenEnv) syncer(t *testing.T, repo maven.RemoteRepo) *reposync.Syncer {
	t.Helper()
	return e.syncerWith(t, repo, nil)
}

// syncerWith is syncer with the Maven repository's HTTP client.
func (e *mavenEnv) syncerWith(t *testing.T, repo maven.RemoteRepo, httpClient *http.Client) *reposync.Syncer {
	t.Helper()
	repo.URL = e.url
	remote, err := maven.NewRemote([]maven.RemoteRepo{repo}, httpClient)
	if err != nil {
		t.Fatal(err)
	}
	remote.Retries = -1
	client, err := gitlab.New(gitlab.Config{BaseURL: e.fake.URL(), Token: token, RetryWaitMin: time.Millisecond, RetryWaitMax: 20 * time.Millisecond, RetryMax: 3})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return reposync.New(client, e.store, reposync.Options{Rules: standards.Default().Rules(), Workers: 2, Log: log,
		Maven: &maven.Resolver{Repo: &maven.Cached{Repo: remote, Store: maven.NewStore(e.pool), MemoryBytes: -1}}})
}

// stored is everything the catalog keeps that a secret could leak into:
// the repo's row, its dependency files' records, its dependencies and the
// POM cache, as text.
func (e *mavenEnv) stored(t *testing.T) string {
	t.Helper()
	var out string
	err := e.pool.QueryRow(context.Background(), `SELECT
		(SELECT coalesce(string_agg(r::text, E'\n'), '') FROM repos r) ||
		(SELECT coalesce(string_agg(f::text, E'\n'), '') FROM dependency_files f) ||
		(SELECT coalesce(string_agg(d::text, E'\n'), '') FROM dependencies d) ||
		(SELECT coalesce(string_agg(p.coordinate || ' ' || coalesce(convert_from(p.pom, 'UTF8'), ''), E'\n'), '') FROM pom_cache p)`).Scan(&out)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// hasTransitive reports whether acme/svc's graph holds log4j-api, which
// only the resolved parent and log4j-core's POM bring in.
func hasTransitive(t *testing.T, pool *pgxpool.Pool) bool {
	t.Helper()
	d, ok := mavenDeps(t, pool, "acme/svc")["pom.xml org.apache.logging.log4j:log4j-api"]
	return ok && !d.direct && d.version == "2.14.1"
}

// TestMavenCredentials: a repository that requires credentials resolves
// with the right ones (bearer or basic); with wrong or no credentials the
// graph is stored partial, saying the repository refused them, and the
// sync goes on. No credential appears in the logs or the catalog.
func TestMavenCredentials(t *testing.T) {
	const secret, wrong = "s3cret-maven-token-7f3a", "wrong-token-c41d"
	tests := []struct {
		name     string
		username string // the repository's required user ("" for any)
		repo     maven.RemoteRepo
		resolved bool
		reason   string
	}{
		{"right bearer token", "", maven.RemoteRepo{Token: secret}, true, ""},
		{"right basic credentials", "ci", maven.RemoteRepo{Username: "ci", Token: secret}, true, ""},
		{"wrong token", "", maven.RemoteRepo{Token: wrong}, false, "refused the credentials (401)"},
		{"wrong user", "ci", maven.RemoteRepo{Username: "dev", Token: secret}, false, "refused the credentials (401)"},
		{"no credentials", "", maven.RemoteRepo{}, false, "asks for credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newMavenEnv(t)
			e.mvn.Token, e.mvn.Username = secret, tt.username
			sum, err := e.syncer(t, tt.repo).Run(context.Background(), time.Time{})
			if err != nil || sum.Failed != 0 || sum.Seen != 1 {
				t.Fatalf("sync: %v, seen %d, failures %v", err, sum.Seen, sum.Failures)
			}
			f := depFile(t, e.pool, "acme/svc", "pom.xml")
			if got := hasTransitive(t, e.pool); got != tt.resolved {
				t.Errorf("log4j-api through the parent: got %v, want %v; record %+v", got, tt.resolved, f)
			}
			if tt.resolved && f.Incomplete() != "" {
				t.Errorf("record: got %+v, want a complete graph", f)
			}
			if want := "Maven repository " + e.url + " " + tt.reason; !tt.resolved && (f.Problem != "" || !strings.Contains(f.Incomplete(), want)) {
				t.Errorf("record: got %+v, want a partial graph saying %q", f, want)
			}
			for where, text := range map[string]string{"logs": e.logs.String(), "catalog": e.stored(t), "record": f.Incomplete()} {
				if strings.Contains(text, secret) || strings.Contains(text, wrong) {
					t.Errorf("a credential appears in the %s:\n%s", where, text)
				}
			}
			if !tt.resolved && !strings.Contains(e.logs.String(), tt.reason) {
				t.Errorf("the logs do not say why (%q):\n%s", tt.reason, e.logs)
			}
		})
	}
}
