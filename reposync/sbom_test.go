package reposync_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/gitlab/fakegitlab"
	"github.com/switchboard-dev/switchboard/reposync"
	"github.com/switchboard-dev/switchboard/standards"
)

// artifactDep is one stored dependency of a repo's SBOM artifact.
type artifactDep struct {
	name, version, file string
	direct              bool
	via                 []string
}

// artifactState reads what the catalog holds of a repo's SBOM artifact:
// its dependencies, and its dependency_files record (problem "" when
// read; "-" when there is none), and the repo's unread count.
func artifactState(t *testing.T, e *env, repo, source string) (deps []artifactDep, problem string, unread int) {
	t.Helper()
	ctx := context.Background()
	rows, err := e.store.Pool().Query(ctx, `
		SELECT d.name, d.version, d.file, d.direct, d.via FROM dependencies d JOIN repos r ON r.id = d.repo_id
		WHERE r.path = $1 AND d.source = $2 ORDER BY d.name`, repo, source)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var d artifactDep
		if err := rows.Scan(&d.name, &d.version, &d.file, &d.direct, &d.via); err != nil {
			t.Fatal(err)
		}
		deps = append(deps, d)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	problem = "-"
	err = e.store.Pool().QueryRow(ctx, `
		SELECT coalesce((SELECT f.problem FROM dependency_files f WHERE f.repo_id = r.id AND f.path = $2), '-'), r.dependency_files_unread
		FROM repos r WHERE r.path = $1`, repo, source).Scan(&problem, &unread)
	if err != nil {
		t.Fatal(err)
	}
	return deps, problem, unread
}

func find(deps []artifactDep, name string) (artifactDep, bool) {
	i := slices.IndexFunc(deps, func(d artifactDep) bool { return d.name == name })
	if i < 0 {
		return artifactDep{}, false
	}
	return deps[i], true
}

// TestSBOMArtifact syncs repos whose CI publishes an SBOM artifact, the
// standards naming the job: the artifact's graph is stored as the repo's,
// direct and transitive with their chains, under the artifact's name; a
// repo without the job (404) has nothing recorded and nothing unread; a
// failing artifact (500) is recorded unread and read again at the next
// sync although nothing moved, then stored once GitLab answers; a new
// artifact on an unchanged commit replaces the old at the verification
// run; one gone (404) takes its graph away.
func TestSBOMArtifact(t *testing.T) {
	bom, err := os.ReadFile("../depfile/testdata/sbom/gradle/bom.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Components []json.RawMessage `json:"components"`
	}
	if err := json.Unmarshal(bom, &doc); err != nil || len(doc.Components) == 0 {
		t.Fatalf("the fixture: %v, %d components", err, len(doc.Components))
	}
	n := len(doc.Components)
	e := newEnv(t, 12, fakegitlab.Options{})
	ctx := context.Background()
	art := reposync.SBOMArtifact{Job: "sbom", Path: "build/reports/bom.json"}
	syncer := reposync.New(e.client, e.store, reposync.Options{Rules: standards.Default().Rules(), Workers: 4, SBOM: art})
	projects := e.fake.Projects()
	with, failing, without := projects[0], projects[1], projects[2]
	e.fake.SetJobArtifact(with.ID, fakegitlab.JobArtifact{Job: "sbom", Path: art.Path, Content: bom})
	e.fake.SetJobArtifact(failing.ID, fakegitlab.JobArtifact{Job: "sbom", Path: art.Path, Content: bom, FailStatus: http.StatusInternalServerError})
	// Another job's artifact, and another file of the job, are not it.
	e.fake.SetJobArtifact(without.ID, fakegitlab.JobArtifact{Job: "build", Path: art.Path, Content: bom})
	e.fake.SetJobArtifact(without.ID, fakegitlab.JobArtifact{Job: "sbom", Path: "build/reports/bom.xml", Content: bom})

	sum, err := syncer.Run(ctx, time.Time{})
	if err != nil || sum.Failed != 0 {
		t.Fatalf("first run: %v, failures %v", err, sum.Failures)
	}
	if sum.DependencyFilesUnread != 1 {
		t.Errorf("first run: %d dependency files unread, want 1 (the failing artifact)", sum.DependencyFilesUnread)
	}
	deps, problem, unread := artifactState(t, e, with.Path, art.Source())
	if problem != "" || unread != 0 || len(deps) != n {
		t.Fatalf("with an artifact: %d deps, problem %q, unread %d; want %d, read", len(deps), problem, unread, n)
	}
	log4j, ok := find(deps, "org.apache.logging.log4j:log4j-core")
	wantVia := []string{"com.acme.platform:acme-metrics-client@3.2.0", "com.acme.platform:acme-logging@3.2.0"}
	if !ok || log4j.version != "2.14.1" || log4j.direct || !slices.Equal(log4j.via, wantVia) || log4j.file != art.Source() {
		t.Errorf("log4j-core: got %+v, want 2.14.1 transitive via %v in %s", log4j, wantVia, art.Source())
	}
	if d, ok := find(deps, "com.acme.platform:acme-metrics-client"); !ok || !d.direct || len(d.via) != 0 {
		t.Errorf("acme-metrics-client: got %+v, want direct", d)
	}
	// /impact's query finds the repo through the artifact, with the
	// artifact's record (its graph level) attached.
	hits, err := e.store.DependentRepos(ctx, "log4j-core")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(hits, func(h catalog.ImpactHit) bool {
		return h.Repo.Path == with.Path && h.Dependency.SourceFile() == art.Source() && h.From.Graph == "paths" && !h.Dependency.Direct
	}) {
		t.Errorf("DependentRepos(log4j-core): %s not found through %s", with.Path, art.Source())
	}
	for _, p := range []fakegitlab.Project{without, projects[3]} {
		if deps, problem, unread := artifactState(t, e, p.Path, art.Source()); len(deps) != 0 || problem != "-" || unread != 0 {
			t.Errorf("%s without the artifact: %d deps, problem %q, unread %d; want nothing recorded", p.Path, len(deps), problem, unread)
		}
	}
	if deps, problem, unread := artifactState(t, e, failing.Path, art.Source()); len(deps) != 0 || problem != "error" || unread != 1 {
		t.Errorf("failing artifact: %d deps, problem %q, unread %d; want none, error, 1 unread", len(deps), problem, unread)
	}

	// GitLab answers again: only the repo with the unread artifact is read
	// again, and its graph stored.
	e.fake.SetJobArtifact(failing.ID, fakegitlab.JobArtifact{Job: "sbom", Path: art.Path, Content: bom})
	sum, err = syncer.Run(ctx, time.Time{})
	if err != nil || sum.Failed != 0 || sum.Reread != 1 || sum.DependencyFilesUnread != 0 {
		t.Fatalf("second run: %v, failures %v, re-read %d (want 1), unread %d (want 0)", err, sum.Failures, sum.Reread, sum.DependencyFilesUnread)
	}
	if deps, problem, unread := artifactState(t, e, failing.Path, art.Source()); len(deps) != n || problem != "" || unread != 0 {
		t.Errorf("second run, failing artifact: %d deps, problem %q, unread %d; want %d, read", len(deps), problem, unread, n)
	}

	// A later pipeline's SBOM, the commit unchanged: the verification run
	// replaces the graph; an artifact gone takes it away.
	e.fake.SetJobArtifact(with.ID, fakegitlab.JobArtifact{Job: "sbom", Path: art.Path, Content: bytes.ReplaceAll(bom, []byte("2.14.1"), []byte("2.17.1"))})
	e.fake.RemoveJobArtifacts(failing.ID)
	if sum, err = syncer.Verify(ctx); err != nil || sum.Failed != 0 {
		t.Fatalf("verify: %v, failures %v", err, sum.Failures)
	}
	deps, _, _ = artifactState(t, e, with.Path, art.Source())
	if log4j, _ := find(deps, "org.apache.logging.log4j:log4j-core"); len(deps) != n || log4j.version != "2.17.1" {
		t.Errorf("verify: %d deps, log4j-core %q; want %d, 2.17.1", len(deps), log4j.version, n)
	}
	if deps, problem, _ := artifactState(t, e, failing.Path, art.Source()); len(deps) != 0 || problem != "-" {
		t.Errorf("verify, artifact gone: %d deps, problem %q; want nothing", len(deps), problem)
	}
}

// TestSBOMArtifactUnparsable: a malformed artifact is recorded with its
// position, not taken as unread nor as "no dependencies".
func TestSBOMArtifactUnparsable(t *testing.T) {
	e := newEnv(t, 3, fakegitlab.Options{})
	ctx := context.Background()
	art := reposync.SBOMArtifact{Job: "sbom", Path: "sbom.json"}
	syncer := reposync.New(e.client, e.store, reposync.Options{Rules: standards.Default().Rules(), Workers: 2, SBOM: art})
	p := e.fake.Projects()[0]
	e.fake.SetJobArtifact(p.ID, fakegitlab.JobArtifact{Job: "sbom", Path: art.Path, Content: []byte("{\n  \"bomFormat\": \"CycloneDX\",\n  \"components\": [\n    {\"name\": ")})
	sum, err := syncer.Run(ctx, time.Time{})
	if err != nil || sum.Failed != 0 || sum.DependencyFilesUnread != 0 {
		t.Fatalf("run: %v, failures %v, unread %d", err, sum.Failures, sum.DependencyFilesUnread)
	}
	var problem, msg string
	if err := e.store.Pool().QueryRow(ctx, `SELECT problem, error FROM dependency_files WHERE path = $1`, art.Source()).Scan(&problem, &msg); err != nil {
		t.Fatal(err)
	}
	if want := art.Source() + ":4:"; problem != "unparsable" || len(msg) < len(want) || msg[:len(want)] != want {
		t.Fatalf("got %s %q, want unparsable at %s...", problem, msg, want)
	}
}
