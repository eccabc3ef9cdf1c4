package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchboard-dev/switchboard/manifest"
)

// RepoDetail is what the web catalog shows of one of a service's repos: its
// descriptor's status with findings, and the packages it depends on.
type RepoDetail struct {
	Repo Repo
	// Findings are the descriptor's findings as the last sync stored them
	// (empty when it is valid or unread).
	Findings []manifest.Finding
	// Dependencies are up to the limit asked for, direct ones first, then by
	// ecosystem and name; DependencyCount is how many there are in all.
	Dependencies    []Dependency
	DependencyCount int
}

// RepoDetails returns the repos of the service with id serviceID with their
// descriptor findings and up to depLimit dependencies each, in the order of
// Profile's repos (by path).
func (s *Store) RepoDetails(ctx context.Context, serviceID int64, depLimit int) ([]RepoDetail, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT `+repoColumns+`, sr.subpath, r.descriptor_errors,
		       (SELECT count(*) FROM dependencies d WHERE d.repo_id = r.id)
		FROM service_repos sr JOIN repos r ON r.id = sr.repo_id
		WHERE sr.service_id = $1 AND r.deleted_at IS NULL
		ORDER BY lower(r.path), sr.subpath`, serviceID)
	if err != nil {
		return nil, fmt.Errorf("repo details of service %d: %w", serviceID, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (RepoDetail, error) {
		var (
			d   RepoDetail
			sub string
			raw []byte
		)
		repo, err := scanRepo(row, &sub, &raw, &d.DependencyCount)
		if err != nil {
			return d, err
		}
		repo.Subpath = sub
		d.Repo = repo
		if err := json.Unmarshal(raw, &d.Findings); err != nil {
			return d, fmt.Errorf("decode findings of %s: %w", repo.Path, err)
		}
		return d, nil
	})
	if err != nil {
		return nil, fmt.Errorf("repo details of service %d: %w", serviceID, err)
	}
	for i := range out {
		if out[i].DependencyCount == 0 || depLimit <= 0 {
			continue
		}
		deps, err := s.repoDependencies(ctx, out[i].Repo.ID, depLimit)
		if err != nil {
			return nil, err
		}
		out[i].Dependencies = deps
	}
	return out, nil
}

func (s *Store) repoDependencies(ctx context.Context, repoID int64, limit int) ([]Dependency, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT ecosystem, name, version, file, line, source, direct, scope
		FROM dependencies WHERE repo_id = $1
		ORDER BY direct DESC, ecosystem, lower(name), version
		LIMIT $2`, repoID, limit)
	if err != nil {
		return nil, fmt.Errorf("dependencies of repo %d: %w", repoID, err)
	}
	deps, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Dependency, error) {
		var d Dependency
		err := row.Scan(&d.Ecosystem, &d.Name, &d.Version, &d.File, &d.Line, &d.Source, &d.Direct, &d.Scope)
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("dependencies of repo %d: %w", repoID, err)
	}
	return deps, nil
}

// RecordCoverageDay stores c as the coverage of at's day (UTC). A later
// recording of the same day replaces an earlier one; an earlier one
// arriving late (another replica's) does not replace a later one.
func (s *Store) RecordCoverageDay(ctx context.Context, at time.Time, c Coverage) error {
	_, err := s.pool.Exec(ctx, `
		INSERT INTO coverage_days (day, recorded_at, active_repos, catalogued, no_descriptor, broken, ignored)
		VALUES (($1::timestamptz AT TIME ZONE 'UTC')::date, $1, $2, $3, $4, $5, $6)
		ON CONFLICT (day) DO UPDATE SET recorded_at = EXCLUDED.recorded_at,
			active_repos = EXCLUDED.active_repos, catalogued = EXCLUDED.catalogued,
			no_descriptor = EXCLUDED.no_descriptor, broken = EXCLUDED.broken, ignored = EXCLUDED.ignored
		WHERE coverage_days.recorded_at < EXCLUDED.recorded_at`,
		at.UTC(), c.Active, c.Catalogued, c.NoDescriptor, c.Broken, c.Ignored)
	if err != nil {
		return fmt.Errorf("record coverage of %s: %w", at.UTC().Format(time.DateOnly), err)
	}
	return nil
}

// CoverageHistory returns the coverage recorded each day since since,
// oldest first.
func (s *Store) CoverageHistory(ctx context.Context, since time.Time) ([]CoverageDay, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT day::timestamp AT TIME ZONE 'UTC', recorded_at, active_repos, catalogued, no_descriptor, broken, ignored
		FROM coverage_days WHERE day >= ($1::timestamptz AT TIME ZONE 'UTC')::date ORDER BY day`, since.UTC())
	if err != nil {
		return nil, fmt.Errorf("coverage history: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (CoverageDay, error) {
		var d CoverageDay
		c := &d.Coverage
		err := row.Scan(&d.Day, &d.PostedAt, &c.Active, &c.Catalogued, &c.NoDescriptor, &c.Broken, &c.Ignored)
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("coverage history: %w", err)
	}
	return out, nil
}

// ServiceRef names a service: what a link to its page needs.
type ServiceRef struct {
	Namespace, Name string
	// Orphaned is true when its descriptor disappeared from its repo.
	Orphaned bool
}

// TeamServiceRefs returns up to limit of the services the team with id
// teamID owns, in TeamServices' order (active first, then by tier and
// name), and how many it owns in all: the web catalog's team page links
// them without reading their repos.
func (s *Store) TeamServiceRefs(ctx context.Context, teamID int64, limit int) ([]ServiceRef, int, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT s.namespace, s.name, s.status = 'orphaned', count(*) OVER ()
		FROM services s WHERE s.team_id = $1
		ORDER BY s.status = 'orphaned', s.tier = '', s.tier, lower(s.name), s.namespace
		LIMIT $2`, teamID, limit)
	if err != nil {
		return nil, 0, fmt.Errorf("services of team %d: %w", teamID, err)
	}
	total := 0
	refs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (ServiceRef, error) {
		var r ServiceRef
		err := row.Scan(&r.Namespace, &r.Name, &r.Orphaned, &total)
		return r, err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("services of team %d: %w", teamID, err)
	}
	return refs, total, nil
}
