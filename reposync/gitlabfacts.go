package reposync

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/gitlab"
)

// FactSource is a Source that also reads the GitLab facts of a project
// the scorecard uses; *gitlab.Client is one. With a Source that is not,
// the sync leaves the stored facts as they are.
type FactSource interface {
	LastMerge(ctx context.Context, projectID int64, branch string) (gitlab.Merge, bool, error)
	DefaultBranchProtected(ctx context.Context, projectID int64, branch string) (bool, error)
}

// ProtectionMaxAge is how long a repo's default branch protection, once
// read, is not read again: protection does not move with pushes, and the
// daily verification run refreshes it.
const ProtectionMaxAge = 20 * time.Hour

// pendingFacts are a repo's GitLab facts being read beside its files.
type pendingFacts struct {
	s     *Syncer
	src   FactSource
	p     gitlab.Project
	facts catalog.GitLabFacts
	// lazyMerge: the last merge is read only if the default branch moved
	// (see finish).
	lazyMerge bool
	wg        sync.WaitGroup
}

// startGitLabFacts starts reading a project's last merge into its default
// branch and whether that branch is protected, while the sync reads its
// files: one request each, at the same time as the files' (no round trip
// added to the repo's sync). The last merge is read for every repo read,
// but in a verification where the repo had one read before: that one is
// read (in finish) only if the default branch moved, since a merge moves
// it. Protection is read when the last read is older than
// ProtectionMaxAge, failed, or never happened. nil when the Source cannot
// read them.
func (s *Syncer) startGitLabFacts(ctx context.Context, p gitlab.Project, known catalog.RepoState, mayUpdate, verify bool) *pendingFacts {
	src, ok := s.src.(FactSource)
	if !ok {
		return nil
	}
	pf := &pendingFacts{s: s, src: src, p: p}
	f := &pf.facts
	if p.EmptyRepo || p.DefaultBranch == "" {
		// Nothing was ever merged into a branch that does not exist.
		f.ProtectionError = "the repository is empty: it has no default branch yet"
		return pf
	}
	pf.lazyMerge = verify && mayUpdate && known.MergeRead
	if !pf.lazyMerge {
		pf.wg.Go(func() { pf.readMerge(ctx) })
	}
	f.KeepProtection = !known.ProtectionReadAt.IsZero() && time.Since(known.ProtectionReadAt) < ProtectionMaxAge
	if !f.KeepProtection {
		pf.wg.Go(func() {
			protected, err := src.DefaultBranchProtected(ctx, p.ID, p.DefaultBranch)
			if err != nil {
				f.ProtectionError = factProblem("default branch's protection", err)
				s.log.Info("default branch protection not read", "repo", p.Path, "err", err)
				return
			}
			f.Protected = protected
		})
	}
	return pf
}

// readMerge reads the last merge into the facts.
func (pf *pendingFacts) readMerge(ctx context.Context) {
	m, found, err := pf.src.LastMerge(ctx, pf.p.ID, pf.p.DefaultBranch)
	switch {
	case err != nil:
		pf.facts.MergeError = factProblem("merge requests", err)
		pf.s.log.Info("last merge not read", "repo", pf.p.Path, "err", err)
	case found:
		pf.facts.LastMerge = &catalog.LastMerge{At: m.MergedAt, IID: m.IID, Author: m.Author, URL: m.WebURL}
	}
}

// finish waits for the reads and returns the facts to store: verified
// says the default branch did not move (a last merge read before is
// kept). With use false (the repo's sync failed) nothing more is read.
// A read that failed is its fact unknown with the reason, never a failure
// of the repo's sync. nil for a nil pendingFacts.
func (pf *pendingFacts) finish(ctx context.Context, verified, use bool) *catalog.GitLabFacts {
	if pf == nil {
		return nil
	}
	pf.wg.Wait()
	if !use {
		return nil
	}
	if pf.lazyMerge {
		if verified {
			pf.facts.KeepMerge = true
		} else {
			pf.readMerge(ctx)
		}
	}
	return &pf.facts
}

// factProblem says why a GitLab fact could not be read, for people.
func factProblem(what string, err error) string {
	switch {
	case errors.Is(err, gitlab.ErrForbidden):
		return fmt.Sprintf("the GitLab token may not read the project's %s (403)", what)
	case errors.Is(err, gitlab.ErrNotFound):
		return fmt.Sprintf("GitLab did not find the project's %s (404)", what)
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Sprintf("GitLab did not answer in time about the project's %s", what)
	}
	return fmt.Sprintf("GitLab did not tell the project's %s: %v", what, err)
}
