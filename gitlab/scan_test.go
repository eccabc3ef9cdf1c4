package gitlab_test

import (
	"context"
	"fmt"
	"path"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/depfile"
	"github.com/switchboard-dev/switchboard/gitlab"
	"github.com/switchboard-dev/switchboard/gitlab/fakegitlab"
)

// scanResult is what coldScan learnt.
type scanResult struct {
	repos, files int
	commits      map[int64]string
	firstRepo    time.Duration
}

// coldScan reads every active project the way a cold sync can within
// three requests a repo: the listing (one request per 100 projects), the
// recursive tree at the default branch (one request per 100 entries), then
// only the files worth reading — root descriptors and depfile.Select's
// dependency files — each of which also tells the head commit; a repo with
// none of them costs one more request for its head commit.
func coldScan(ctx context.Context, c *gitlab.Client, workers int) (scanResult, error) {
	descriptors := map[string]bool{"catalog-info.yaml": true, "catalog-info.yml": true, "opslevel.yml": true, "opslevel.yaml": true}
	res := scanResult{commits: map[int64]string{}}
	var (
		mu       sync.Mutex
		firstErr error
		files    atomic.Int64
		wg       sync.WaitGroup
		start    = time.Now()
	)
	jobs := make(chan gitlab.Project, workers)
	for range workers {
		wg.Go(func() {
			for p := range jobs {
				commit, err := scanOne(ctx, c, p, descriptors, &files)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = fmt.Errorf("scan %s: %w", p.Path, err)
				}
				res.commits[p.ID] = commit
				if len(res.commits) == 1 {
					res.firstRepo = time.Since(start)
				}
				mu.Unlock()
			}
		})
	}
	err := c.ListProjects(ctx, gitlab.ListOptions{SkipArchived: true}, func(p gitlab.Project) error {
		res.repos++
		jobs <- p
		return nil
	})
	close(jobs)
	wg.Wait()
	res.files = int(files.Load())
	if err != nil {
		return res, err
	}
	return res, firstErr
}

func scanOne(ctx context.Context, c *gitlab.Client, p gitlab.Project, descriptors map[string]bool, files *atomic.Int64) (string, error) {
	paths, err := c.Tree(ctx, p.ID, p.DefaultBranch)
	if err != nil {
		return "", err
	}
	var want []string
	for _, q := range paths {
		if descriptors[q] {
			want = append(want, q)
		}
	}
	want = append(want, depfile.Select(paths)...)
	commit := ""
	for _, q := range want {
		// The first file pins the commit; the others are read at it.
		ref := p.DefaultBranch
		if commit != "" {
			ref = commit
		}
		f, err := c.File(ctx, p.ID, q, ref)
		if err != nil {
			return "", err
		}
		files.Add(1)
		commit = f.CommitID
		if depfile.IsDependencyFile(q) {
			if _, err := depfile.Parse(path.Clean(q), f.Content); err != nil {
				return "", err
			}
		}
	}
	if commit == "" {
		return c.DefaultBranchCommit(ctx, p.ID, p.DefaultBranch)
	}
	return commit, nil
}

func TestColdScanBudget(t *testing.T) {
	s, url := mustFake(t, fakegitlab.Generate(600, 1), fakegitlab.Options{})
	c := mustClient(t, url, nil)
	res, err := coldScan(context.Background(), c, 8)
	if err != nil {
		t.Fatal(err)
	}
	active := 0
	for _, p := range s.Projects() {
		if !p.Archived {
			active++
			if res.commits[p.ID] != p.Commit {
				t.Errorf("%s: got commit %q, want %q", p.Path, res.commits[p.ID], p.Commit)
			}
		}
	}
	if res.repos != active {
		t.Errorf("repos: got %d, want the %d active ones", res.repos, active)
	}
	perRepo := float64(c.Stats().Requests) / float64(res.repos)
	t.Logf("cold scan of %d repos: %d requests (%.2f a repo), %d files read, by route %v", res.repos, c.Stats().Requests, perRepo, res.files, s.Stats().ByRoute)
	if perRepo > 3 {
		t.Errorf("requests a repo: got %.2f, want at most 3", perRepo)
	}
}

// BenchmarkColdScan scans 1,000 generated repos through the fake with 50ms
// of latency a request, 32 at a time, and reports the adapter's share of a
// cold sync: repos/s, requests/repo and the time to the first repo read.
func BenchmarkColdScan(b *testing.B) {
	const n, workers = 1000, 32
	org := fakegitlab.Generate(n, 1)
	_, url := mustFake(b, org, fakegitlab.Options{Latency: 50 * time.Millisecond})
	for b.Loop() {
		c := mustClient(b, url, nil)
		start := time.Now()
		res, err := coldScan(context.Background(), c, workers)
		if err != nil {
			b.Fatal(err)
		}
		wall := time.Since(start)
		b.ReportMetric(float64(res.repos)/wall.Seconds(), "repos/s")
		b.ReportMetric(float64(c.Stats().Requests)/float64(res.repos), "requests/repo")
		b.ReportMetric(res.firstRepo.Seconds(), "first-repo-s")
		b.ReportMetric(wall.Seconds(), "wall-s")
	}
}

// BenchmarkColdScanRateLimited scans 600 repos through a fake that allows
// 300 requests a second (50ms latency) and reports floor-ratio: the wall
// time over the time the allowance itself needs (requests / 300 per
// second). Near 1 means the client is limited by the server's allowance,
// not by itself; 429s should stay near zero.
func BenchmarkColdScanRateLimited(b *testing.B) {
	const n, workers, perSecond = 600, 32, 300
	org := fakegitlab.Generate(n, 1)
	s, url := mustFake(b, org, fakegitlab.Options{Latency: 50 * time.Millisecond, RateLimit: perSecond, RateWindow: time.Second})
	for b.Loop() {
		s.ResetStats()
		c := mustClient(b, url, nil)
		start := time.Now()
		res, err := coldScan(context.Background(), c, workers)
		if err != nil {
			b.Fatal(err)
		}
		wall := time.Since(start)
		st := c.Stats()
		floor := float64(st.Requests) / perSecond
		b.ReportMetric(wall.Seconds()/floor, "floor-ratio")
		b.ReportMetric(float64(st.Requests)/float64(res.repos), "requests/repo")
		b.ReportMetric(float64(st.RateLimited), "429s")
		b.ReportMetric(wall.Seconds(), "wall-s")
	}
}
