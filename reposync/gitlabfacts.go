package reposync

import (
	"context"
	"errors"
	"fmt"
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

// ProtectionMaxAge is how old a repo's default branch protection may be
// before a sync that verifies the repo (its default branch has not moved)
// reads it again: the daily verification run refreshes it.
const ProtectionMaxAge = 20 * time.Hour

// gitlabFacts reads a project's last merge into its default branch and
// whether that branch is protected: two requests, for a repo read whole or
// whose default branch moved. A repo verified (its default branch where
// the catalog has it) keeps a last merge read before, which cannot have
// changed, and has its protection read again when older than
// ProtectionMaxAge. A read that fails makes its fact unknown with the
// reason, and is not a failure of the repo's sync; nil when the Source
// cannot read them.
func (s *Syncer) gitlabFacts(ctx context.Context, p gitlab.Project, known catalog.RepoState, verified bool) *catalog.GitLabFacts {
	src, ok := s.src.(FactSource)
	if !ok {
		return nil
	}
	f := &catalog.GitLabFacts{}
	if p.EmptyRepo || p.DefaultBranch == "" {
		// Nothing was ever merged into a branch that does not exist.
		f.ProtectionError = "the repository is empty: it has no default branch yet"
		return f
	}
	if verified {
		f.KeepMerge = known.MergeRead
		f.KeepProtection = !known.ProtectionReadAt.IsZero() && time.Since(known.ProtectionReadAt) < ProtectionMaxAge
	}
	if !f.KeepMerge {
		m, found, err := src.LastMerge(ctx, p.ID, p.DefaultBranch)
		switch {
		case err != nil:
			f.MergeError = factProblem("merge requests", err)
			s.log.Info("last merge not read", "repo", p.Path, "err", err)
		case found:
			f.LastMerge = &catalog.LastMerge{At: m.MergedAt, IID: m.IID, Author: m.Author, URL: m.WebURL}
		}
	}
	if f.KeepProtection {
		return f
	}
	protected, err := src.DefaultBranchProtected(ctx, p.ID, p.DefaultBranch)
	if err != nil {
		f.ProtectionError = factProblem("default branch's protection", err)
		s.log.Info("default branch protection not read", "repo", p.Path, "err", err)
	} else {
		f.Protected = protected
	}
	return f
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
