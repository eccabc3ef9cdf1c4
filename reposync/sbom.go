package reposync

import (
	"context"
	"errors"
	"fmt"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/depfile"
	"github.com/switchboard-dev/switchboard/gitlab"
)

// SBOMArtifact names an SBOM that a CI job publishes as an artifact (the
// standards file's dependencies.sbom): the sync reads it from the latest
// successful job of that name on each repo's default branch and stores it
// as one of the repo's graphs.
type SBOMArtifact struct {
	// Job is the CI job's name; empty reads no artifact.
	Job string
	// Path is the file inside the job's artifacts (CycloneDX JSON or XML,
	// or SPDX JSON, told apart by content).
	Path string
}

// ArtifactSource is a Source that also reads CI job artifacts;
// *gitlab.Client is one. Options.SBOM is read only from such a Source.
type ArtifactSource interface {
	// JobArtifact returns one file of the artifacts of the latest
	// successful job named job on ref; gitlab.ErrNotFound when there is
	// no such job or file.
	JobArtifact(ctx context.Context, projectID int64, ref, job, path string) ([]byte, error)
}

// Source names the artifact as a dependency source, the way answers show
// it ("CI artifact sbom:build/reports/bom.json"): what an SRE looks for in
// the repo's pipelines, and never a path of the repository.
func (a SBOMArtifact) Source() string {
	return catalog.ArtifactSource(a.Job, a.Path)
}

// addSBOMArtifact reads the SBOM artifact of p's default branch into snap,
// when Options.SBOM names one: one request per repo read or compared
// (whether or not its commit moved: the job's pipeline finishes after the
// push that a sync may have seen first). No such job or file (404) is no
// SBOM: nothing is recorded, and an SBOM stored before is dropped. A
// failure to read it (5xx, timeout, over the size limit) is recorded as an
// unread dependency file, so that the repo is read again at the next sync;
// a malformed SBOM as an unparsable one, with its position. Only ctx's end
// is returned.
func (s *Syncer) addSBOMArtifact(ctx context.Context, p gitlab.Project, snap *catalog.RepoSnapshot) error {
	a := s.opts.SBOM
	src, ok := s.src.(ArtifactSource)
	if a.Job == "" || a.Path == "" || !ok || p.EmptyRepo || p.DefaultBranch == "" {
		return nil
	}
	name := a.Source()
	if snap.Partial {
		snap.DependencyFiles = append(snap.DependencyFiles, name)
	}
	data, err := src.JobArtifact(ctx, p.ID, p.DefaultBranch, a.Job, a.Path)
	switch {
	case errors.Is(err, gitlab.ErrNotFound):
		return nil
	case err != nil && ctx.Err() != nil:
		return fmt.Errorf("read %s: %w", name, ctx.Err())
	case err != nil:
		problem := unreadProblem(ctx, err)
		if problem == "" {
			problem = catalog.FileError
		}
		s.log.Debug("SBOM artifact not read", "repo", p.Path, "artifact", name, "err", err)
		snap.DependencySources = append(snap.DependencySources, catalog.DependencyFile{Path: name, Problem: problem, Error: err.Error()})
		return nil
	}
	r := depfile.ParseSBOM(name, data)
	rec := catalog.DependencyFile{Path: name, Graph: r.Graph.String(), Note: r.Note}
	if r.Err != nil {
		s.log.Debug("SBOM artifact not parsed", "repo", p.Path, "artifact", name, "err", r.Err)
		rec.Graph, rec.Problem, rec.Error = "", catalog.FileUnparsable, r.Err.Error()
	}
	snap.DependencySources = append(snap.DependencySources, rec)
	for _, d := range r.Deps {
		snap.Dependencies = append(snap.Dependencies, catalogDependency(d, name))
	}
	return nil
}
