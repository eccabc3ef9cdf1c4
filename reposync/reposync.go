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
	"net"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/depfile"
	"github.com/switchboard-dev/switchboard/gitlab"
	"github.com/switchboard-dev/switchboard/manifest"
	"github.com/switchboard-dev/switchboard/maven"
)

// Source is what the sync reads GitLab through; *gitlab.Client is one.
type Source interface {
	ListProjects(ctx context.Context, opts gitlab.ListOptions, fn func(gitlab.Project) error) error
	Project(ctx context.Context, id int64) (gitlab.Project, error)
	Tree(ctx context.Context, projectID int64, ref string) ([]string, error)
	File(ctx context.Context, projectID int64, path, ref string) (gitlab.File, error)
	Compare(ctx context.Context, projectID int64, from, to string) (gitlab.Comparison, error)
	Stats() gitlab.Stats
}

// Store is what the sync writes to; *catalog.Store is one.
type Store interface {
	ApplyRepo(ctx context.Context, snap catalog.RepoSnapshot) (catalog.ApplyResult, error)
	RepoStates(ctx context.Context, ids ...int64) (map[int64]catalog.RepoState, error)
	RecordRepoFailure(ctx context.Context, r catalog.Repo, reason string) error
	RepoFiles(ctx context.Context, gitlabID int64) ([]string, error)
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
	// Writers is how many repos are stored at once (ApplyRepo), whatever
	// the number of workers or replicas' jobs reading them: Postgres spends
	// more CPU a repo when many write at once (contention) than it gains.
	// DefaultWriters when zero.
	Writers int
	Log     *slog.Logger
	// Progress, when set, hears of every repo listed and done.
	Progress Progress
	// Maven, when set, resolves every pom.xml the way Maven does (parents,
	// BOMs, transitive dependencies with their chain) over the repo's
	// pom.xml files; nil reads POMs as declared (direct dependencies only).
	Maven *maven.Resolver
	// SBOM, when its Job is set, is a CI job's artifact read as each
	// repo's graph at its default branch (see SBOMArtifact); the Source
	// must then be an ArtifactSource.
	SBOM SBOMArtifact
	// History makes the sync read, after each project it stores, the
	// project's merged merge requests, deployments and pushes since it
	// last did (see backfillChanges), when the Source and the Store can.
	History bool
	// HistoryWindow is how far back a project's first change-history
	// backfill goes: DefaultHistoryWindow when zero.
	HistoryWindow time.Duration
	// Now is the clock of the history's watermarks; time.Now when nil.
	Now func() time.Time
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

// Work is what a sync did to one repo.
type Work string

// What a sync does to a repo.
const (
	// WorkVerified: compared with GitLab; its default branch had not moved.
	WorkVerified Work = "verified"
	// WorkChanged: brought up to date from a comparison (the changed
	// descriptor and dependency files read again).
	WorkChanged Work = "changed"
	// WorkReread: read whole (new to the catalog, or the comparison could
	// not tell what changed).
	WorkReread Work = "reread"
	// WorkUnchanged: not asked about (its last activity had not moved).
	WorkUnchanged Work = "unchanged"
	WorkIgnored   Work = "ignored"
	WorkFailed    Work = "failed"
)

// Summary is what a sync did.
type Summary struct {
	// Seen counts the repos listed; Verified, Changed, Reread, Unchanged,
	// Ignored and Failed what was done to each (see Work).
	Seen, Verified, Changed, Reread, Unchanged, Ignored, Failed int
	// Catalogued, Invalid, Missing and Templates count the descriptors read
	// by what they were found to be (a verified repo's is not read).
	Catalogued, Invalid, Missing, Templates int
	Services, Conflicts, Orphaned           int
	// DependencyFilesUnread counts the dependency files listed in a tree
	// that could not be read (not found at the commit, too large, timed
	// out): recorded on their repos, which the next sync reads again.
	DependencyFilesUnread int
	Requests, RateLimited int64
	Duration              time.Duration
	// Failures name each repo that failed, with why.
	Failures []string
}

// DefaultWriters is Options.Writers' default. Measured on the cpu-bound
// BenchmarkSyncCold (3,000 repos, no GitLab latency): see the README.
const DefaultWriters = 4

// Syncer runs syncs.
type Syncer struct {
	src   Source
	store Store
	opts  Options
	log   *slog.Logger
	// writing holds a token per repo being stored (Options.Writers).
	writing chan struct{}
}

// New returns a Syncer.
func New(src Source, store Store, opts Options) *Syncer {
	if opts.Workers <= 0 {
		opts.Workers = 32
	}
	if opts.Writers <= 0 {
		opts.Writers = DefaultWriters
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Ignored == nil {
		opts.Ignored = func(string) bool { return false }
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Syncer{src: src, store: store, opts: opts, log: opts.Log, writing: make(chan struct{}, opts.Writers)}
}

// Run syncs every project active since since (all projects when since is
// zero). A repo whose last activity is what the catalog already has costs
// no request beyond its share of the listing. A repo that keeps failing is
// recorded with its reason and does not stop the run; Run returns an error
// only when the listing itself fails or ctx ends, and what was stored until
// then stays stored.
func (s *Syncer) Run(ctx context.Context, since time.Time) (Summary, error) {
	return s.run(ctx, since, false)
}

// Verify syncs every project and asks GitLab, for each one the catalog
// already has, whether its default branch moved (one comparison request),
// even when its last activity says nothing happened: GitLab updates
// last_activity_at at most about once an hour, so a push soon after other
// activity can leave it unchanged. A changed repo is then updated as in Run.
func (s *Syncer) Verify(ctx context.Context) (Summary, error) {
	return s.run(ctx, time.Time{}, true)
}

func (s *Syncer) run(ctx context.Context, since time.Time, verify bool) (Summary, error) {
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
				r, err := s.repo(ctx, p, known[p.ID], verify)
				mu.Lock()
				sum.add(r)
				if err != nil {
					sum.Failures = append(sum.Failures, p.Path+": "+err.Error())
				}
				mu.Unlock()
				if s.opts.Progress != nil {
					s.opts.Progress.Done(p.Path, r.Outcome)
				}
			}
		}()
	}
	listErr := s.src.ListProjects(ctx, s.listOptions(since), func(p gitlab.Project) error {
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

// now is the sync's clock.
func (s *Syncer) now() time.Time { return s.opts.Now() }

// listOptions chooses the projects a sync lists: those of the configured
// groups active since since (all when zero).
func (s *Syncer) listOptions(since time.Time) gitlab.ListOptions {
	return gitlab.ListOptions{Groups: s.opts.Groups, Since: since, SkipArchived: s.opts.SkipArchived, SkipForks: s.opts.SkipForks}
}

func (sum *Summary) add(r RepoResult) {
	sum.Seen++
	switch r.Work {
	case WorkVerified:
		sum.Verified++
	case WorkChanged:
		sum.Changed++
	case WorkReread:
		sum.Reread++
	case WorkUnchanged:
		sum.Unchanged++
	case WorkIgnored:
		sum.Ignored++
	case WorkFailed:
		sum.Failed++
	}
	if r.Described {
		switch r.Outcome {
		case OutcomeOK:
			sum.Catalogued++
		case OutcomeInvalid:
			sum.Invalid++
		case OutcomeMissing:
			sum.Missing++
		case OutcomeTemplate:
			sum.Templates++
		}
	}
	sum.Services += r.Applied.Services
	sum.Conflicts += len(r.Applied.Conflicts)
	sum.Orphaned += len(r.Applied.Orphaned)
	sum.DependencyFilesUnread += r.DependencyFilesUnread
}

// RepoResult is what the sync of one repo did.
type RepoResult struct {
	// Outcome is the repo's descriptor status after the sync, or
	// unchanged, ignored, failed.
	Outcome Outcome
	Work    Work
	// Described is true when the descriptor was read (Outcome is what it
	// was found to be), false when the stored one was kept.
	Described bool
	Applied   catalog.ApplyResult
	// DependencyFilesUnread counts the dependency files this sync could
	// not read.
	DependencyFilesUnread int
}

// repo reads one project and stores it.
// With verify, a repo whose last activity has not moved is compared with
// GitLab all the same. A failure to read GitLab is recorded on the repo
// and returned; a failure to store it is returned (errStore).
func (s *Syncer) repo(ctx context.Context, p gitlab.Project, known catalog.RepoState, verify bool) (RepoResult, error) {
	failed := RepoResult{Outcome: OutcomeFailed, Work: WorkFailed}
	if s.opts.Ignored(p.Path) {
		return RepoResult{Outcome: OutcomeIgnored, Work: WorkIgnored}, nil
	}
	if !verify && unchanged(p, known) {
		return RepoResult{Outcome: OutcomeUnchanged, Work: WorkUnchanged}, nil
	}
	var snap catalog.RepoSnapshot
	var err error
	updated := false
	// A repo with dependency files left unread, or whose graph a
	// repository that did not answer left partial, is read whole again,
	// even if its commit did not move: unread is not empty. One a POM not
	// found left partial is read again at the verification run only.
	reread := known.DependencyFilesUnread > 0 || verify && s.retryDaily(ctx, p)
	mayUpdate := known.Synced && known.SyncError == "" && known.LastCommit != "" && known.Path == p.Path && !reread
	facts := s.startGitLabFacts(ctx, p, known, mayUpdate, verify)
	if mayUpdate {
		snap, updated, err = s.update(ctx, p, known)
	}
	if !updated && err == nil {
		snap, err = s.read(ctx, p, known)
	}
	if err == nil {
		err = s.addSBOMArtifact(ctx, p, &snap)
	}
	// The default branch did not move since the repo was last stored.
	unmoved := updated && snap.Repo.LastCommit == known.LastCommit
	snap.GitLab = facts.finish(ctx, unmoved, err == nil)
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		if ctx.Err() != nil {
			return failed, ctx.Err()
		}
		reason := err.Error()
		s.log.Warn("repo not synced", "repo", p.Path, "err", err)
		if rerr := s.store.RecordRepoFailure(ctx, repoOf(p), reason); rerr != nil {
			s.log.Error("record repo failure", "repo", p.Path, "err", rerr)
			return failed, &storeError{rerr}
		}
		return failed, err
	}
	res, err := s.apply(ctx, snap)
	if err != nil {
		return failed, &storeError{err}
	}
	// The change history, once the repo is stored; it never fails it.
	s.backfillChanges(ctx, p, !unmoved)
	r := RepoResult{Outcome: Outcome(snap.DescriptorStatus), Work: WorkReread, Described: true, Applied: res}
	for _, f := range snap.DependencySources {
		if f.Unread() {
			r.DependencyFilesUnread++
		}
	}
	if updated {
		r.Work = WorkChanged
		if snap.Repo.LastCommit == known.LastCommit {
			r.Work = WorkVerified
		}
	}
	if snap.Partial && snap.KeepDescriptor {
		r.Outcome, r.Described = Outcome(known.DescriptorStatus), false
	}
	return r, nil
}

// unchanged reports whether the listing says the repo has not moved since
// it was stored.
func unchanged(p gitlab.Project, known catalog.RepoState) bool {
	return known.Synced && known.SyncError == "" && known.DependencyFilesUnread == 0 && !known.LastActivityAt.IsZero() &&
		known.LastActivityAt.Equal(p.LastActivityAt) && known.Path == p.Path && known.Archived == p.Archived
}

// storeError is a failure to write the catalog (rather than to read
// GitLab): worth trying the job again.
type storeError struct{ err error }

func (e *storeError) Error() string { return e.err.Error() }
func (e *storeError) Unwrap() error { return e.err }

// update brings a stored repo up to date from its last synced commit: one
// request for the comparison, plus one for each descriptor or dependency
// file that changed. It returns ok false when the comparison cannot tell
// (the old commit is gone, GitLab gave up comparing), for a full read.
func (s *Syncer) update(ctx context.Context, p gitlab.Project, known catalog.RepoState) (catalog.RepoSnapshot, bool, error) {
	cmp, err := s.src.Compare(ctx, p.ID, known.LastCommit, p.DefaultBranch)
	if errors.Is(err, gitlab.ErrNotFound) || err == nil && cmp.Truncated {
		return catalog.RepoSnapshot{}, false, nil
	}
	if err != nil {
		return catalog.RepoSnapshot{}, false, fmt.Errorf("compare: %w", err)
	}
	snap := catalog.RepoSnapshot{Repo: repoOf(p), Partial: true, KeepDescriptor: true}
	snap.Repo.LastCommit = cmp.Head
	if cmp.Same || len(cmp.Changes) == 0 {
		if !known.ReadmeRead {
			// Synced before READMEs were read: once, from the stored tree.
			tree, err := s.store.RepoFiles(ctx, p.ID)
			if err != nil {
				return snap, false, err
			}
			snap.Readme = s.readme(ctx, p, pickReadme(tree), cmp.Head)
		}
		return snap, true, nil
	}
	old, err := s.store.RepoFiles(ctx, p.ID)
	if err != nil {
		return snap, false, err
	}
	files := map[string]bool{}
	for _, f := range old {
		files[f] = true
	}
	changed := map[string]bool{}
	for _, c := range cmp.Changes {
		switch {
		case c.Deleted:
			delete(files, c.Path)
			snap.RemovedFiles = append(snap.RemovedFiles, c.Path)
		case c.Renamed:
			delete(files, c.OldPath)
			snap.RemovedFiles = append(snap.RemovedFiles, c.OldPath)
			files[c.Path] = true
			snap.AddedFiles = append(snap.AddedFiles, c.Path)
		default:
			if !files[c.Path] {
				snap.AddedFiles = append(snap.AddedFiles, c.Path)
			}
			files[c.Path] = true
		}
		changed[c.Path] = true
		changed[c.OldPath] = true
	}
	tree := make([]string, 0, len(files))
	for f := range files {
		tree = append(tree, f)
	}
	sort.Strings(tree)

	// The descriptor: read again when the file it comes from, or the choice
	// of file, changed.
	descriptor := pickDescriptor(tree)
	if descriptor != known.DescriptorPath || changed[descriptor] {
		snap.KeepDescriptor = false
		snap.DescriptorStatus = catalog.DescriptorMissing
		if descriptor != "" {
			f, err := s.src.File(ctx, p.ID, descriptor, cmp.Head)
			if err != nil {
				return snap, false, fmt.Errorf("read %s: %w", descriptor, err)
			}
			s.describe(&snap, descriptor, f.Content)
		}
	}

	// The README: read again when it changed, or another file is now the
	// README, or it was never read.
	if readme := pickReadme(tree); !known.ReadmeRead || readme != known.ReadmePath || readme != "" && changed[readme] {
		snap.Readme = s.readme(ctx, p, readme, cmp.Head)
	}

	// Dependencies: a folder whose dependency files changed, or were added
	// or dropped, is read again whole (a lockfile is read with its
	// manifest); files no longer selected lose theirs.
	oldSel, newSel := depfile.SelectGraph(skipVendored(old)), depfile.SelectGraph(skipVendored(tree))
	inOld, inNew := set(oldSel), set(newSel)
	dirs := map[string]bool{}
	for _, f := range newSel {
		if !inOld[f] || changed[f] {
			dirs[path.Dir(f)] = true
		}
	}
	for _, f := range oldSel {
		if !inNew[f] {
			dirs[path.Dir(f)] = true
		}
	}
	if len(dirs) == 0 {
		return snap, true, nil
	}
	// Resolved POMs depend on each other (parents, sibling modules): when
	// one changed, every pom.xml of the repo is read and resolved again.
	if s.opts.Maven != nil && pomIn(dirs, oldSel, newSel) {
		for _, f := range newSel {
			if isPOM(f) {
				dirs[path.Dir(f)] = true
			}
		}
	}
	var reread []string
	for _, f := range newSel {
		if dirs[path.Dir(f)] {
			reread = append(reread, f)
		}
	}
	for _, f := range append(oldSel, newSel...) {
		if dirs[path.Dir(f)] && !slices.Contains(snap.DependencyFiles, f) {
			snap.DependencyFiles = append(snap.DependencyFiles, f)
		}
	}
	snap.Dependencies, snap.DependencySources, snap.Packages, err = s.dependencies(ctx, p, reread, cmp.Head)
	if err != nil {
		return snap, false, err
	}
	return snap, true, nil
}

func set(xs []string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

func repoOf(p gitlab.Project) catalog.Repo {
	return catalog.Repo{
		GitLabID: p.ID, Path: p.Path, DefaultBranch: p.DefaultBranch, WebURL: p.WebURL,
		Archived: p.Archived, Forked: p.Forked, LastActivityAt: p.LastActivityAt,
	}
}

// sameCommit reports whether a full read at commit (the descriptor's; ""
// when the repo has none) reads the repo as it was last stored: the same
// commit, or, with no commit known, a last activity that has not moved.
func sameCommit(p gitlab.Project, known catalog.RepoState, commit string) bool {
	if commit != "" || known.LastCommit != "" {
		return commit == known.LastCommit
	}
	return !known.LastActivityAt.IsZero() && known.LastActivityAt.Equal(p.LastActivityAt)
}

// read fetches what the catalog keeps of a project: its tree, and the
// descriptor, README and dependency files in it. Requests: the tree's
// pages, plus one per file read. The README is not read again when the
// repo is read as it was last stored (sameCommit: a repo read whole again
// for dependency files left unread, or at the daily verification).
func (s *Syncer) read(ctx context.Context, p gitlab.Project, known catalog.RepoState) (catalog.RepoSnapshot, error) {
	snap := catalog.RepoSnapshot{Repo: repoOf(p), DescriptorStatus: catalog.DescriptorMissing, Readme: &catalog.RepoReadme{}}
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
		s.describe(&snap, descriptor, f.Content)
	}
	// Read at the commit the descriptor was read at, when known, so that
	// the snapshot is of one commit.
	ref := p.DefaultBranch
	if snap.Repo.LastCommit != "" {
		ref = snap.Repo.LastCommit
	}
	if readme := pickReadme(tree); !(known.ReadmeRead && readme == known.ReadmePath && sameCommit(p, known, snap.Repo.LastCommit)) {
		snap.Readme = s.readme(ctx, p, readme, ref)
	} else {
		snap.Readme = nil // as stored: same file, same commit
	}
	snap.Dependencies, snap.DependencySources, snap.Packages, err = s.dependencies(ctx, p, depfile.SelectGraph(skipVendored(tree)), ref)
	if err != nil {
		return snap, err
	}
	return snap, nil
}

// describe parses a descriptor into snap.
func (s *Syncer) describe(snap *catalog.RepoSnapshot, path string, content []byte) {
	d := manifest.Parse(path, content, s.opts.Rules)
	snap.DescriptorPath, snap.Findings, snap.Entities = path, d.Findings, d.Entities
	switch {
	case d.Template:
		snap.DescriptorStatus = catalog.DescriptorTemplate
	case d.HasErrors():
		snap.DescriptorStatus = catalog.DescriptorInvalid
	default:
		snap.DescriptorStatus = catalog.DescriptorOK
	}
}

// dependencies reads the dependency files at paths (SelectGraph's choice,
// or the folders of them that changed) and parses them together, folder by
// folder (depfile.ParseDir pairs each lockfile with its manifest). Every
// file gets a record: the graph it gave, or why it gave nothing. A file
// that cannot be read (404 at that commit, over the size limit, a
// timeout) or parsed is the repo's problem, not the sync's: it is
// recorded with the reason and the sync goes on; any other failure to
// read is returned. It also returns the packages the files publish
// (depfile.Publishes: a pom.xml's coordinates, a package.json's name, a
// go.mod's module path), from which the service graph infers who depends
// on the repo's services.
func (s *Syncer) dependencies(ctx context.Context, p gitlab.Project, paths []string, ref string) ([]catalog.Dependency, []catalog.DependencyFile, []catalog.Package, error) {
	// Up to fileReaders files at once: a repo's files are independent
	// requests, and with GitLab's latency a repo with a lockfile and its
	// manifest in several folders would otherwise wait for each in turn.
	contents := make([][]byte, len(paths))
	errs := make([]error, len(paths))
	sem := make(chan struct{}, fileReaders)
	var wg sync.WaitGroup
	for i, name := range paths {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			f, err := s.src.File(ctx, p.ID, name, ref)
			contents[i], errs[i] = f.Content, err
		}()
	}
	wg.Wait()
	var (
		files   []depfile.File
		records []catalog.DependencyFile
	)
	for i, name := range paths {
		if err := errs[i]; err != nil {
			problem := unreadProblem(ctx, err)
			if problem == "" {
				return nil, nil, nil, fmt.Errorf("read %s: %w", name, err)
			}
			s.log.Debug("dependency file not read", "repo", p.Path, "file", name, "err", err)
			records = append(records, catalog.DependencyFile{Path: name, Problem: problem, Error: err.Error()})
			continue
		}
		files = append(files, depfile.File{Path: name, Data: contents[i]})
	}
	var pkgs []catalog.Package
	for _, f := range files {
		if pub, ok := depfile.Publishes(f.Path, f.Data); ok {
			pkgs = append(pkgs, catalog.Package{Ecosystem: pub.Ecosystem, Name: pub.Name, Source: pub.File, Line: pub.Line})
		}
	}
	var deps []catalog.Dependency
	results := depfile.ParseDir(files)
	retry := s.resolvePOMs(ctx, p, files, results)
	for _, r := range results {
		rec := catalog.DependencyFile{Path: r.File, Graph: r.Graph.String(), Manifest: r.Manifest, Note: r.Note, Retry: retry[r.File]}
		if r.Err != nil {
			s.log.Debug("dependency file not parsed", "repo", p.Path, "file", r.File, "err", r.Err)
			rec.Graph, rec.Problem, rec.Error = "", catalog.FileUnparsable, r.Err.Error()
		}
		records = append(records, rec)
		for _, d := range r.Deps {
			deps = append(deps, catalogDependency(d, r.File))
		}
	}
	return deps, records, pkgs, nil
}

// catalogDependency is d as the catalog stores it, read from source.
func catalogDependency(d depfile.Dependency, source string) catalog.Dependency {
	return catalog.Dependency{
		Ecosystem: d.Ecosystem, Name: d.Name, Version: d.Version, File: d.File, Line: d.Line,
		Source: source, Direct: d.Direct, Via: d.Via, Scope: d.Scope, VersionFrom: d.VersionFrom,
	}
}

// resolvePOMs replaces, with Options.Maven set, the declared dependencies
// of each pom.xml parsed in results by its graph as Maven resolves it: one
// maven.Session over every pom.xml in files (parents by relativePath and
// sibling modules come from the repo itself), each project resolved,
// parent-only modules included (their own dependencies are theirs, and
// the session builds each model once, so it costs no request more). A
// POM depfile could not parse keeps its positioned error. A partial graph
// keeps what resolved, and its file's Note says what is missing, so that
// /impact counts the repo as incomplete; it returns, by file, when such a
// graph is tried again (retryOf).
func (s *Syncer) resolvePOMs(ctx context.Context, p gitlab.Project, files []depfile.File, results []depfile.Result) map[string]string {
	if s.opts.Maven == nil {
		return nil
	}
	ws := maven.Files{}
	for _, f := range files {
		if isPOM(f.Path) {
			ws[f.Path] = f.Data
		}
	}
	if len(ws) == 0 {
		return nil
	}
	retry := map[string]string{}
	session := s.opts.Maven.Session(ws)
	for i := range results {
		r := &results[i]
		if !isPOM(r.File) || r.Err != nil {
			continue
		}
		res, err := session.Resolve(ctx, r.File)
		if err != nil {
			// depfile read it, the resolver could not: keep the declared
			// dependencies, and say why they are all there is.
			s.log.Debug("pom.xml not resolved", "repo", p.Path, "file", r.File, "err", err)
			r.Note = "declared dependencies only: not resolved: " + err.Error()
			continue
		}
		r.Deps, r.Graph = res.Deps, depfile.GraphPaths
		if res.Partial() {
			s.log.Debug("pom.xml resolved in part", "repo", p.Path, "file", r.File, "err", res.Err())
			r.Note = "resolved in part: " + strings.ReplaceAll(res.Err().Error(), "\n", "; ")
			retry[r.File] = retryOf(res.Problems)
		}
	}
	return retry
}

// retryOf says when a graph left partial by problems is tried again
// although the repo did not change. A repository that did not answer (5xx,
// timeout, refused credentials) may answer at the next sync: at every
// sync, as a file not read. A POM not found is most often missing for
// good (a typo, an internal artifact never published there), yet may be
// published later: once a day, at the verification run, so that it costs
// a repo read a day rather than one a sync. A malformed POM, a cycle or an
// unresolved version cannot change without a change somewhere that is
// seen anyway: never.
func retryOf(problems []*maven.Error) string {
	retry := ""
	for _, e := range problems {
		switch e.Kind {
		case maven.Unavailable:
			return catalog.RetryNextSync
		case maven.NotFound:
			retry = catalog.RetryDaily
		}
	}
	return retry
}

// retryDaily reports whether p's graph is to be tried again at the
// verification run (catalog.RetryDaily), when the store can tell.
func (s *Syncer) retryDaily(ctx context.Context, p gitlab.Project) bool {
	st, ok := s.store.(interface {
		DependencyRetryDaily(ctx context.Context, gitlabID int64) (bool, error)
	})
	if !ok || s.opts.Maven == nil {
		return false
	}
	retry, err := st.DependencyRetryDaily(ctx, p.ID)
	if err != nil {
		s.log.Warn("dependency files to retry", "repo", p.Path, "err", err)
		return false
	}
	return retry
}

// isPOM reports whether name is a Maven project file.
func isPOM(name string) bool { return path.Base(name) == "pom.xml" }

// pomIn reports whether a pom.xml of oldSel or newSel is in one of dirs.
func pomIn(dirs map[string]bool, oldSel, newSel []string) bool {
	for _, f := range append(slices.Clip(oldSel), newSel...) {
		if isPOM(f) && dirs[path.Dir(f)] {
			return true
		}
	}
	return false
}

// fileReaders bounds the dependency files of one repo read at once.
const fileReaders = 4

// unreadProblem says why a dependency file could not be read, when that
// is the file's problem (catalog.FileNotFound, FileTooLarge, FileTimeout),
// or "" when the read failed otherwise (the sync stops, ctx ended).
func unreadProblem(ctx context.Context, err error) string {
	var ne net.Error
	switch {
	case ctx.Err() != nil:
		return ""
	case errors.Is(err, gitlab.ErrNotFound):
		return catalog.FileNotFound
	case errors.Is(err, gitlab.ErrFileTooLarge):
		return catalog.FileTooLarge
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return catalog.FileTimeout
	}
	return ""
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

// apply stores snap, at most Options.Writers at once.
func (s *Syncer) apply(ctx context.Context, snap catalog.RepoSnapshot) (catalog.ApplyResult, error) {
	select {
	case s.writing <- struct{}{}:
	case <-ctx.Done():
		return catalog.ApplyResult{}, ctx.Err()
	}
	defer func() { <-s.writing }()
	return s.store.ApplyRepo(ctx, snap)
}
