// Package reposync keeps the catalog in step with GitLab: it lists the
// organisation's projects, reads each one's file tree, descriptor and
// dependency files at its default branch, and stores what it found, one
// repo at a time, so that the catalog is consistent whenever a sync stops
// and the first services are visible seconds after it starts.
package reposync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/depfile"
	"github.com/switchboard-dev/switchboard/gitlab"
	"github.com/switchboard-dev/switchboard/manifest"
)

// Source is what the sync reads GitLab through; *gitlab.Client is one.
type Source interface {
	ListProjects(ctx context.Context, opts gitlab.ListOptions, fn func(gitlab.Project) error) error
	Project(ctx context.Context, id int64) (gitlab.Project, error)
	Tree(ctx context.Context, projectID int64, ref string) ([]string, error)
	File(ctx context.Context, projectID int64, path, ref string) (gitlab.File, error)
	Stats() gitlab.Stats
}

// Store is what the sync writes to; *catalog.Store is one.
type Store interface {
	ApplyRepo(ctx context.Context, snap catalog.RepoSnapshot) (catalog.ApplyResult, error)
	RepoStates(ctx context.Context) (map[int64]catalog.RepoState, error)
	RecordRepoFailure(ctx context.Context, r catalog.Repo, reason string) error
}

// Options configure a Syncer.
type Options struct {
	// Groups, SkipForks, SkipArchived and Ignore choose the projects (the
	// standards file's gitlab section).
	Groups       []string
	SkipForks    bool
	SkipArchived bool
	// Ignored reports whether a project path is never catalogued.
	Ignored func(path string) bool
	// Rules validate descriptors (the standards file's).
	Rules manifest.Rules
	// Workers is how many repos are read at once: 32 when zero.
	Workers int
	Log     *slog.Logger
	// Progress, when set, hears of every repo listed and done.
	Progress Progress
}

// Progress follows a sync.
type Progress interface {
	// Listed is called with the number of projects listed so far.
	Listed(total int)
	// Done is called when a repo is finished (stored, skipped or failed).
	Done(repo string, outcome Outcome)
}

// Outcome is what became of one repo.
type Outcome string

// Outcomes of a repo.
const (
	OutcomeOK        Outcome = catalog.DescriptorOK
	OutcomeInvalid   Outcome = catalog.DescriptorInvalid
	OutcomeMissing   Outcome = catalog.DescriptorMissing
	OutcomeTemplate  Outcome = catalog.DescriptorTemplate
	OutcomeUnchanged Outcome = "unchanged"
	OutcomeIgnored   Outcome = "ignored"
	OutcomeFailed    Outcome = "failed"
)

// Summary is what a sync did.
type Summary struct {
	Seen, Catalogued, Invalid, Missing, Templates, Unchanged, Ignored, Failed int
	Services, Conflicts, Orphaned                                           int
	Requests, RateLimited                                                   int64
	Duration                                                                time.Duration
	// Failures name each repo that failed, with why.
	Failures []string
}

// Syncer runs syncs.
type Syncer struct {
	src   Source
	store Store
	opts  Options
	log   *slog.Logger
}

// New returns a Syncer.
func New(src Source, store Store, opts Options) *Syncer {
	if opts.Workers <= 0 {
		opts.Workers = 32
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Ignored == nil {
		opts.Ignored = func(string) bool { return false }
	}
	return &Syncer{src: src, store: store, opts: opts, log: opts.Log}
}

// Run syncs every project active since since (all projects when since is
// zero). A repo whose last activity is what the catalog already has costs
// no request beyond its share of the listing. A repo that keeps failing is
// recorded with its reason and does not stop the run; Run returns an error
// only when the listing itself fails or ctx ends, and what was stored until
// then stays stored.
func (s *Syncer) Run(ctx context.Context, since time.Time) (Summary, error) {
	start := time.Now()
	before := s.src.Stats()
	known, err := s.store.RepoStates(ctx)
	if err != nil {
		return Summary{}, fmt.Errorf("sync: %w", err)
	}
	var (
		sum    Summary
		mu     sync.Mutex
		listed atomic.Int64
	)
	jobs := make(chan gitlab.Project, s.opts.Workers)
	var wg sync.WaitGroup
	for range s.opts.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range jobs {
				out, res, err := s.repo(ctx, p, known[p.ID])
				mu.Lock()
				sum.add(out, res)
				if err != nil {
					sum.Failures = append(sum.Failures, p.Path+": "+err.Error())
				}
				mu.Unlock()
				if s.opts.Progress != nil {
					s.opts.Progress.Done(p.Path, out)
				}
			}
		}()
	}
	listErr := s.src.ListProjects(ctx, gitlab.ListOptions{
		Groups: s.opts.Groups, Since: since, SkipArchived: s.opts.SkipArchived, SkipForks: s.opts.SkipForks,
	}, func(p gitlab.Project) error {
		n := listed.Add(1)
		if s.opts.Progress != nil {
			s.opts.Progress.Listed(int(n))
		}
		select {
		case jobs <- p:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	close(jobs)
	wg.Wait()
	after := s.src.Stats()
	sum.Requests = after.Requests - before.Requests
	sum.RateLimited = after.RateLimited - before.RateLimited
	sum.Duration = time.Since(start)
	sort.Strings(sum.Failures)
	if listErr != nil {
		return sum, fmt.Errorf("sync: list projects: %w", listErr)
	}
	return sum, ctx.Err()
}

func (sum *Summary) add(out Outcome, res catalog.ApplyResult) {
	sum.Seen++
	switch out {
	case OutcomeOK:
		sum.Catalogued++
	case OutcomeInvalid:
		sum.Invalid++
	case OutcomeMissing:
		sum.Missing++
	case OutcomeTemplate:
		sum.Templates++
	case OutcomeUnchanged:
		sum.Unchanged++
	case OutcomeIgnored:
		sum.Ignored++
	case OutcomeFailed:
		sum.Failed++
	}
	sum.Services += res.Services
	sum.Conflicts += len(res.Conflicts)
	sum.Orphaned += len(res.Orphaned)
}

// SyncProject re-reads one project (a push webhook's), whatever the catalog
// has.
func (s *Syncer) SyncProject(ctx context.Context, projectID int64) (Outcome, catalog.ApplyResult, error) {
	p, err := s.src.Project(ctx, projectID)
	if err != nil {
		return OutcomeFailed, catalog.ApplyResult{}, fmt.Errorf("sync project %d: %w", projectID, err)
	}
	return s.repo(ctx, p, catalog.RepoState{})
}

// repo reads one project and stores it.
func (s *Syncer) repo(ctx context.Context, p gitlab.Project, known catalog.RepoState) (Outcome, catalog.ApplyResult, error) {
	if s.opts.Ignored(p.Path) {
		return OutcomeIgnored, catalog.ApplyResult{}, nil
	}
	if known.Synced && known.SyncError == "" && !known.LastActivityAt.IsZero() &&
		known.LastActivityAt.Equal(p.LastActivityAt) && known.Path == p.Path && known.Archived == p.Archived {
		return OutcomeUnchanged, catalog.ApplyResult{}, nil
	}
	snap, err := s.read(ctx, p)
	if err != nil {
		if ctx.Err() != nil {
			return OutcomeFailed, catalog.ApplyResult{}, ctx.Err()
		}
		reason := err.Error()
		s.log.Warn("repo not synced", "repo", p.Path, "err", err)
		if rerr := s.store.RecordRepoFailure(ctx, repoOf(p), reason); rerr != nil {
			s.log.Error("record repo failure", "repo", p.Path, "err", rerr)
		}
		return OutcomeFailed, catalog.ApplyResult{}, err
	}
	res, err := s.store.ApplyRepo(ctx, snap)
	if err != nil {
		return OutcomeFailed, catalog.ApplyResult{}, err
	}
	return Outcome(snap.DescriptorStatus), res, nil
}

func repoOf(p gitlab.Project) catalog.Repo {
	return catalog.Repo{
		GitLabID: p.ID, Path: p.Path, DefaultBranch: p.DefaultBranch, WebURL: p.WebURL,
		Archived: p.Archived, Forked: p.Forked, LastActivityAt: p.LastActivityAt,
	}
}

// read fetches what the catalog keeps of a project: its tree, and the
// descriptor and dependency files in it. Requests: the tree's pages, plus
// one per file read.
func (s *Syncer) read(ctx context.Context, p gitlab.Project) (catalog.RepoSnapshot, error) {
	snap := catalog.RepoSnapshot{Repo: repoOf(p), DescriptorStatus: catalog.DescriptorMissing}
	if p.EmptyRepo || p.DefaultBranch == "" {
		return snap, nil
	}
	tree, err := s.src.Tree(ctx, p.ID, p.DefaultBranch)
	if errors.Is(err, gitlab.ErrNotFound) {
		return snap, nil // an empty repository
	}
	if err != nil {
		return snap, fmt.Errorf("tree: %w", err)
	}
	snap.Files = tree

	// Descriptors at the root (and in .backstage/), the first that exists
	// in this order of preference; dependency files anywhere.
	descriptor := pickDescriptor(tree)
	if descriptor != "" {
		f, err := s.src.File(ctx, p.ID, descriptor, p.DefaultBranch)
		if err != nil {
			return snap, fmt.Errorf("read %s: %w", descriptor, err)
		}
		snap.Repo.LastCommit = f.CommitID
		d := manifest.Parse(descriptor, f.Content, s.opts.Rules)
		snap.DescriptorPath, snap.Findings, snap.Entities = descriptor, d.Findings, d.Entities
		switch {
		case d.Template:
			snap.DescriptorStatus = catalog.DescriptorTemplate
		case d.HasErrors():
			snap.DescriptorStatus = catalog.DescriptorInvalid
		default:
			snap.DescriptorStatus = catalog.DescriptorOK
		}
	}
	for _, dep := range depfile.Select(skipVendored(tree)) {
		f, err := s.src.File(ctx, p.ID, dep, p.DefaultBranch)
		if errors.Is(err, gitlab.ErrFileTooLarge) {
			continue
		}
		if err != nil {
			return snap, fmt.Errorf("read %s: %w", dep, err)
		}
		if snap.Repo.LastCommit == "" {
			snap.Repo.LastCommit = f.CommitID
		}
		deps, err := depfile.Parse(dep, f.Content)
		if err != nil {
			// A malformed dependency file is the repo's problem, not the
			// sync's: keep what could be read and go on.
			s.log.Debug("dependency file not parsed", "repo", p.Path, "file", dep, "err", err)
		}
		for _, d := range deps {
			snap.Dependencies = append(snap.Dependencies, catalog.Dependency{Ecosystem: d.Ecosystem, Name: d.Name, Version: d.Version, File: dep})
		}
	}
	return snap, nil
}

// descriptorOrder is which descriptor file a repo's catalog entry comes
// from when it has several.
var descriptorOrder = []string{"catalog-info.yaml", "catalog-info.yml", "opslevel.yml", "opslevel.yaml"}

func pickDescriptor(tree []string) string {
	var backstage []string
	for _, p := range tree {
		if strings.HasPrefix(p, ".backstage/") && manifest.IsDescriptorPath(p) {
			backstage = append(backstage, p)
		}
	}
	for _, name := range descriptorOrder {
		for _, p := range tree {
			if !strings.Contains(p, "/") && strings.EqualFold(p, name) {
				return p
			}
		}
	}
	sort.Strings(backstage)
	if len(backstage) > 0 {
		return backstage[0]
	}
	return ""
}

// skipVendored leaves out folders of other people's code, whose dependency
// files say nothing about this repo.
func skipVendored(tree []string) []string {
	out := tree[:0:0]
	for _, p := range tree {
		skip := false
		for _, dir := range strings.Split(path.Dir(p), "/") {
			switch dir {
			case "node_modules", "vendor", "third_party", ".git", "testdata", "fixtures":
				skip = true
			}
		}
		if !skip {
			out = append(out, p)
		}
	}
	return out
}
