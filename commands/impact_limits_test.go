package commands_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
)

// bigIndex answers every package question with n repos, each of its own
// team, each dependency transitive through a long chain.
type bigIndex struct{ n, chain int }

func (b bigIndex) DependentRepos(context.Context, string) ([]catalog.ImpactHit, error) {
	var hits []catalog.ImpactHit
	for i := range b.n {
		var via []string
		for j := range b.chain {
			via = append(via, fmt.Sprintf("org.example.some.long.group:artifact-with-a-long-name-%d@1.%d.0", j, j))
		}
		path := fmt.Sprintf("acme/group-%d/repository-with-a-long-name-%d", i, i)
		hits = append(hits, catalog.ImpactHit{
			Repo:       catalog.Repo{ID: int64(i + 1), Path: path, WebURL: "https://gitlab.example.com/" + path},
			Dependency: catalog.Dependency{Ecosystem: "maven", Name: "org.apache.logging.log4j:log4j-core", Version: "2.14.1", File: "gradle.lockfile", Line: 100 + i, Via: via},
			From:       catalog.DependencyFile{Path: "gradle.lockfile", Graph: catalog.GraphPaths},
			Services:   []catalog.Service{{Name: fmt.Sprintf("service-%d", i), Namespace: "default", Team: fmt.Sprintf("team-%03d", i)}},
		})
	}
	return hits, nil
}

func (bigIndex) EcosystemsOf(context.Context, string) ([]string, error) {
	return []string{"maven"}, nil
}
func (bigIndex) ReposWithFile(context.Context, string, int) ([]catalog.ImpactHit, error) {
	return nil, nil
}
func (bigIndex) VersionsInUse(context.Context, []catalog.PackageKey) ([]catalog.PackageVersion, error) {
	return nil, nil
}
func (bigIndex) ReposUsing(context.Context, []catalog.PackageVersion) ([]catalog.ImpactHit, error) {
	return nil, nil
}
func (b bigIndex) GraphGaps(context.Context, []string, int) (catalog.GraphGaps, error) {
	g := catalog.GraphGaps{Repos: b.n, Unread: b.n}
	for i := range min(b.n, 15) {
		g.List = append(g.List, catalog.RepoGap{Repo: catalog.Repo{ID: int64(10000 + i), Path: fmt.Sprintf("acme/x/r%d", i)},
			Files: []catalog.DependencyFile{{Path: "a/pom.xml", Problem: catalog.FileTimeout}, {Path: "b/pom.xml", Problem: catalog.FileTooLarge}}})
	}
	return g, nil
}
func (bigIndex) Declarations(context.Context, []catalog.EntryRef) (map[catalog.EntryRef]catalog.Dependency, error) {
	return nil, nil
}

// TestImpactWithinSlackLimits: however many repos, teams and steps of
// chains, an answer keeps to Slack's 50 blocks and 3,000 characters a
// section, and says what it left out.
func TestImpactWithinSlackLimits(t *testing.T) {
	tests := []struct {
		n, chain int
		want     string
	}{
		{1, 1, "1 repos, 1 services, 1 teams — 1 transitive"},
		{60, 3, "60 repos"},
		{500, 40, "…and 440 more"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.n, "x", tt.chain), func(t *testing.T) {
			r := commands.NewRouter(nil, 0)
			r.Register(commands.Impact(bigIndex{tt.n, tt.chain}))
			resp, err := r.Dispatch(context.Background(), commands.Request{Command: "/impact", Text: "log4j-core"})
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.Blocks) > 50 {
				t.Errorf("got %d blocks, want at most 50", len(resp.Blocks))
			}
			for i, b := range resp.Blocks {
				if s, ok := b.(*commands.Section); ok {
					n := 0
					for _, sp := range s.Text {
						n += len(sp.Text) + len(sp.URL)
					}
					if n > 3000 {
						t.Errorf("block %d: %d characters, want at most 3,000", i, n)
					}
				}
			}
			if got := flatten(resp); !strings.Contains(got, tt.want) {
				t.Errorf("lacks %q:\n%s", tt.want, got)
			}
		})
	}
}
