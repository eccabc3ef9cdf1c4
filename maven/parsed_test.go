package maven

import (
	"context"
	"sync/atomic"
	"testing"
)

// countingRepo serves one POM for any coordinate, counting the fetches.
type countingRepo struct{ fetches atomic.Int64 }

func (r *countingRepo) FetchPOM(_ context.Context, c Coord) ([]byte, error) {
	r.fetches.Add(1)
	return []byte("<project><groupId>" + c.GroupID + "</groupId><artifactId>" + c.ArtifactID + "</artifactId><version>" + c.Version + "</version></project>"), nil
}

func (r *countingRepo) Versions(context.Context, string, string) ([]string, error) { return nil, nil }

// TestParsedPOMsShared: the sessions of one resolver share each released
// POM's parse (one fetch, one parse); a SNAPSHOT POM, which may change, is
// fetched again by each session.
func TestParsedPOMsShared(t *testing.T) {
	tests := []struct {
		version string
		shared  bool
	}{{"1.0", true}, {"1.1-SNAPSHOT", false}}
	for _, tt := range tests {
		t.Run(tt.version, func(t *testing.T) {
			repo := &countingRepo{}
			r := &Resolver{Repo: repo}
			c := Coord{GroupID: "com.acme", ArtifactID: "lib", Version: tt.version}
			ctx := context.Background()
			p1, err := r.Session(Files{}).l.fetch(ctx, c)
			if err != nil {
				t.Fatal(err)
			}
			p2, err := r.Session(Files{}).l.fetch(ctx, c)
			if err != nil {
				t.Fatal(err)
			}
			wantFetches := int64(2)
			if tt.shared {
				wantFetches = 1
			}
			if (p1 == p2) != tt.shared || repo.fetches.Load() != wantFetches {
				t.Errorf("same parse %v, %d fetches; want shared %v, %d fetches", p1 == p2, repo.fetches.Load(), tt.shared, wantFetches)
			}
		})
	}
}
