package catalog

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Registration is a service registered from Slack whose descriptor goes
// to its repo by merge request.
type Registration struct {
	ID          int64
	Service     Service
	RepoPath    string
	GitLabID    int64
	RequestedBy string
	Descriptor  string
	// State is "pending" (the merge request is still to open), "opened"
	// or "failed" (given up).
	State    string
	MRURL    string
	Attempts int
	Error    string
}

// RegisterService adds a service registered by requestedBy (a Slack user
// id), in one transaction: the service (ErrConflict if its name is taken
// in its namespace), its repo if repoPath is set (ErrNotFound if the
// catalog does not know it), the merge request to open with descriptor,
// and the audit entry, and the job that opens the merge request when
// RegistrationJobs is set.
func (s *Store) RegisterService(ctx context.Context, svc Service, repoPath, requestedBy, descriptor string) (Service, *Registration, error) {
	svc.Source = SourceSlack
	svc.Status = StatusActive
	if svc.Namespace == "" {
		svc.Namespace = DefaultNamespace
	}
	var out Service
	var reg *Registration
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		if out, err = writeService(ctx, tx, svc, false); err != nil {
			return err
		}
		if repoPath != "" {
			var repoID, gitlabID int64
			err := tx.QueryRow(ctx, `SELECT id, COALESCE(gitlab_id, 0) FROM repos WHERE lower(path) = lower($1) AND deleted_at IS NULL`, repoPath).Scan(&repoID, &gitlabID)
			if err != nil {
				return fmt.Errorf("repo %s: %w", repoPath, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO service_repos (service_id, repo_id) VALUES ($1, $2)`, out.ID, repoID); err != nil {
				return err
			}
			reg = &Registration{Service: out, RepoPath: repoPath, GitLabID: gitlabID, RequestedBy: requestedBy, Descriptor: descriptor, State: "pending"}
			if err := tx.QueryRow(ctx, `
				INSERT INTO registrations (service_id, repo_id, requested_by, descriptor) VALUES ($1, $2, $3, $4) RETURNING id`,
				out.ID, repoID, requestedBy, descriptor).Scan(&reg.ID); err != nil {
				return err
			}
			if s.RegistrationJobs != nil {
				if err := s.RegistrationJobs(ctx, tx, *reg); err != nil {
					return fmt.Errorf("merge request job: %w", err)
				}
			}
		}
		return appendAudit(ctx, tx, AuditEntry{Actor: requestedBy, Action: "service.register", Subject: out.Ref(),
			Detail: map[string]any{"repo": repoPath, "team": out.Team}})
	})
	if err != nil {
		return Service{}, nil, fmt.Errorf("register service %s: %w", svc.Ref(), translate(err))
	}
	return out, reg, nil
}

// ClaimRegistrations returns up to limit registrations whose merge request
// is due, each claimed for lease (another replica will not take it until
// then).
func (s *Store) ClaimRegistrations(ctx context.Context, limit int, lease time.Duration) ([]Registration, error) {
	rows, err := s.pool.Query(ctx, `
		UPDATE registrations g SET next_attempt_at = now() + $2::interval, attempts = attempts + 1, updated_at = now()
		FROM repos r
		WHERE g.repo_id = r.id AND g.id IN (
			SELECT id FROM registrations WHERE state = 'pending' AND next_attempt_at <= now()
			ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
		RETURNING g.id, g.service_id, r.path, COALESCE(r.gitlab_id, 0), g.requested_by, g.descriptor, g.state, g.mr_url, g.attempts, g.last_error`,
		limit, lease.String())
	if err != nil {
		return nil, fmt.Errorf("claim registrations: %w", err)
	}
	var regs []Registration
	for rows.Next() {
		var r Registration
		if err := rows.Scan(&r.ID, &r.Service.ID, &r.RepoPath, &r.GitLabID, &r.RequestedBy, &r.Descriptor, &r.State, &r.MRURL, &r.Attempts, &r.Error); err != nil {
			rows.Close()
			return nil, fmt.Errorf("claim registrations: %w", err)
		}
		regs = append(regs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("claim registrations: %w", err)
	}
	for i := range regs {
		if regs[i].Service, err = s.GetService(ctx, regs[i].Service.ID); err != nil {
			return nil, err
		}
	}
	return regs, nil
}

// TakeRegistration claims registration id for one attempt at its merge
// request, for lease (ClaimRegistrations does not take it until then), and
// counts the attempt. It returns ok false when the registration is no
// longer pending (its merge request opened, or given up) or does not exist.
func (s *Store) TakeRegistration(ctx context.Context, id int64, lease time.Duration) (Registration, bool, error) {
	var r Registration
	err := s.pool.QueryRow(ctx, `
		UPDATE registrations g SET next_attempt_at = now() + $2::interval, attempts = attempts + 1, updated_at = now()
		FROM repos r
		WHERE g.repo_id = r.id AND g.id = $1 AND g.state = 'pending'
		RETURNING g.id, g.service_id, r.path, COALESCE(r.gitlab_id, 0), g.requested_by, g.descriptor, g.state, g.mr_url, g.attempts, g.last_error`,
		id, lease.String()).Scan(&r.ID, &r.Service.ID, &r.RepoPath, &r.GitLabID, &r.RequestedBy, &r.Descriptor, &r.State, &r.MRURL, &r.Attempts, &r.Error)
	if errors.Is(err, pgx.ErrNoRows) {
		return Registration{}, false, nil
	}
	if err != nil {
		return Registration{}, false, fmt.Errorf("take registration %d: %w", id, err)
	}
	if r.Service, err = s.GetService(ctx, r.Service.ID); err != nil {
		return Registration{}, false, fmt.Errorf("take registration %d: %w", id, err)
	}
	return r, true, nil
}

// PendingRegistrations returns the ids of the registrations whose merge
// request is still to open and that nothing touched for idle: those a job
// may have missed (registered before merge requests were jobs).
func (s *Store) PendingRegistrations(ctx context.Context, idle time.Duration) ([]int64, error) {
	ids, err := queryIDs(ctx, s.pool, "pending registrations", `
		SELECT id FROM registrations WHERE state = 'pending' AND updated_at < now() - $1::interval
		  AND next_attempt_at <= now() ORDER BY id`, idle.String())
	if err != nil {
		return nil, err
	}
	return ids, nil
}

// RegistrationOpened records the merge request of registration id.
func (s *Store) RegistrationOpened(ctx context.Context, id int64, url string) error {
	_, err := s.pool.Exec(ctx, `UPDATE registrations SET state = 'opened', mr_url = $2, last_error = '', updated_at = now() WHERE id = $1`, id, url)
	if err != nil {
		return fmt.Errorf("record merge request of registration %d: %w", id, err)
	}
	return nil
}

// RegistrationFailed records why a merge request could not be opened:
// retried at retryAt, or given up when retryAt is zero.
func (s *Store) RegistrationFailed(ctx context.Context, id int64, reason string, retryAt time.Time) error {
	var err error
	if retryAt.IsZero() {
		_, err = s.pool.Exec(ctx, `UPDATE registrations SET state = 'failed', last_error = $2, updated_at = now() WHERE id = $1`, id, reason)
	} else {
		_, err = s.pool.Exec(ctx, `UPDATE registrations SET last_error = $2, next_attempt_at = $3, updated_at = now() WHERE id = $1`, id, reason, retryAt)
	}
	if err != nil {
		return fmt.Errorf("record failure of registration %d: %w", id, err)
	}
	return nil
}

// UncataloguedRepos returns active repos no service lives in, whose path
// contains query (ignoring case), at most limit, by path.
func (s *Store) UncataloguedRepos(ctx context.Context, query string, limit int) ([]Repo, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT `+repoColumns+` FROM repos r
		WHERE NOT r.archived AND r.deleted_at IS NULL AND r.ignored_reason = ''
		  AND NOT EXISTS (SELECT 1 FROM service_repos sr JOIN services s ON s.id = sr.service_id WHERE sr.repo_id = r.id AND s.status = 'active')
		  AND strpos(lower(r.path), lower($1)) > 0
		ORDER BY r.path LIMIT $2`, strings.TrimSpace(query), limit)
	if err != nil {
		return nil, fmt.Errorf("uncatalogued repos: %w", err)
	}
	repos, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Repo, error) { return scanRepo(r) })
	if err != nil {
		return nil, fmt.Errorf("uncatalogued repos: %w", err)
	}
	return repos, nil
}

// Teams returns every team, by name.
func (s *Store) Teams(ctx context.Context) ([]Team, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+teamColumns+` FROM teams ORDER BY lower(name)`)
	if err != nil {
		return nil, fmt.Errorf("teams: %w", err)
	}
	teams, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Team, error) { return scanTeam(r) })
	if err != nil {
		return nil, fmt.Errorf("teams: %w", err)
	}
	return teams, nil
}

// TeamsOf returns the teams of the person with Slack user id userID.
func (s *Store) TeamsOf(ctx context.Context, userID string) ([]Team, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT DISTINCT `+prefixed("t.", teamColumns)+` FROM teams t
		JOIN team_members m ON m.team_id = t.id JOIN people p ON p.id = m.person_id
		WHERE p.slack_user_id = $1 AND $1 <> '' ORDER BY t.name`, userID)
	if err != nil {
		return nil, fmt.Errorf("teams of %s: %w", userID, err)
	}
	teams, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Team, error) { return scanTeam(r) })
	if err != nil {
		return nil, fmt.Errorf("teams of %s: %w", userID, err)
	}
	return teams, nil
}

// RepoByPath returns the repo at path (ignoring case). Returns ErrNotFound
// if the catalog does not know it.
func (s *Store) RepoByPath(ctx context.Context, path string) (Repo, error) {
	r, err := scanRepo(s.pool.QueryRow(ctx, `SELECT `+repoColumns+` FROM repos r WHERE lower(r.path) = lower($1) AND r.deleted_at IS NULL`, strings.Trim(path, "/ ")))
	if err != nil {
		return Repo{}, fmt.Errorf("repo %s: %w", path, translate(err))
	}
	return r, nil
}
