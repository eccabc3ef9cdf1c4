package reposync_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/gitlab/fakegitlab"
	"github.com/switchboard-dev/switchboard/reposync"
	"github.com/switchboard-dev/switchboard/standards"
)

func descriptorOf(name, team, typ string) []byte {
	return fmt.Appendf(nil, `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: %s
spec:
  type: %s
  lifecycle: production
  owner: group:%s
`, name, typ, team)
}

const (
	libPOM = `<project>
  <modelVersion>4.0.0</modelVersion>
  <groupId>example.acme</groupId>
  <artifactId>acme-logging</artifactId>
  <version>1.4.0</version>
</project>
`
	consumerPOM = `<project>
  <modelVersion>4.0.0</modelVersion>
  <groupId>example.acme</groupId>
  <artifactId>checkout-api</artifactId>
  <version>1.0.0</version>
  <dependencies>
    <dependency>
      <groupId>example.acme</groupId>
      <artifactId>acme-logging</artifactId>
      <version>1.4.0</version>
    </dependency>
  </dependencies>
</project>
`
	consumerPOMWithout = `<project>
  <modelVersion>4.0.0</modelVersion>
  <groupId>example.acme</groupId>
  <artifactId>checkout-api</artifactId>
  <version>1.0.0</version>
</project>
`
)

// TestInferredEdgesFollowTheRepos: through real syncs from the fake
// GitLab, an edge "checkout-api depends on logging-lib" appears when
// checkout's pom.xml starts depending on the artifact logging-lib's repo
// publishes, and disappears when it stops; a Go module the same.
func TestInferredEdgesFollowTheRepos(t *testing.T) {
	var clock atomic.Int64
	clock.Store(time.Now().Add(-time.Hour).Unix())
	now := time.Unix(clock.Load(), 0)
	org := &fakegitlab.Org{
		Groups: []fakegitlab.Group{{ID: 1, Path: "acme", Name: "Acme"}},
		Projects: []*fakegitlab.Project{
			{ID: 1, Path: "acme/platform/logging-lib", CreatedAt: now, LastActivity: now, Files: map[string][]byte{
				"catalog-info.yaml": descriptorOf("logging-lib", "platform", "library"),
				"pom.xml":           []byte(libPOM),
				"authclient/go.mod": []byte("module example.acme/authclient\n\ngo 1.22\n"),
			}},
			{ID: 2, Path: "acme/payments/checkout", CreatedAt: now, LastActivity: now, Files: map[string][]byte{
				"catalog-info.yaml": descriptorOf("checkout-api", "payments", "service"),
				"pom.xml":           []byte(consumerPOMWithout),
			}},
		},
	}
	e := newOrgEnv(t, org, fakegitlab.Options{Now: func() time.Time { return time.Unix(clock.Load(), 0) }},
		reposync.Options{Rules: standards.Default().Rules(), Workers: 2})
	ctx := context.Background()
	run := func() {
		t.Helper()
		if sum, err := e.syncer.Run(ctx, time.Time{}); err != nil || sum.Failed > 0 {
			t.Fatalf("sync: %+v, %v", sum, err)
		}
	}
	push := func(ch fakegitlab.Change) {
		t.Helper()
		clock.Add(1)
		if _, err := e.fake.Push(2, ch); err != nil {
			t.Fatal(err)
		}
	}
	origins := func() []string {
		t.Helper()
		l, err := e.store.FindService(ctx, "logging-lib")
		if err != nil || len(l.Services) != 1 {
			t.Fatalf("find logging-lib: %+v, %v", l, err)
		}
		deps, err := e.store.Dependents(ctx, l.Services[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, d := range deps {
			for _, v := range d.Via {
				if v.Kind != catalog.EdgePackage {
					t.Errorf("edge kind %q, want package", v.Kind)
				}
				out = append(out, d.Service.Name+": "+v.Origin)
			}
		}
		return out
	}

	run()
	if got := origins(); len(got) != 0 {
		t.Fatalf("before checkout uses the library: %v", got)
	}

	push(fakegitlab.Change{Files: map[string][]byte{"pom.xml": []byte(consumerPOM)}})
	run()
	want := "checkout-api: pom.xml:9 depends on example.acme:acme-logging, published by acme/platform/logging-lib (pom.xml:4)"
	if got := origins(); len(got) != 1 || got[0] != want {
		t.Errorf("after checkout's pom.xml depends on acme-logging: got %q, want %q", got, want)
	}

	push(fakegitlab.Change{Files: map[string][]byte{"pom.xml": []byte(consumerPOMWithout)}})
	run()
	if got := origins(); len(got) != 0 {
		t.Errorf("after checkout's pom.xml stops depending on acme-logging: %v", got)
	}

	// A Go module: checkout's go.mod requires the one logging-lib's repo
	// publishes from its authclient/ folder.
	push(fakegitlab.Change{Files: map[string][]byte{"go.mod": []byte("module example.acme/checkout\n\ngo 1.22\n\nrequire example.acme/authclient v0.3.0\n")}})
	run()
	want = "checkout-api: go.mod:5 depends on example.acme/authclient, published by acme/platform/logging-lib (authclient/go.mod:1)"
	if got := origins(); len(got) != 1 || got[0] != want {
		t.Errorf("after checkout's go.mod requires authclient: got %q, want %q", got, want)
	}
	push(fakegitlab.Change{Delete: []string{"go.mod"}})
	run()
	if got := origins(); len(got) != 0 {
		t.Errorf("after checkout's go.mod is deleted: %v", got)
	}
}
