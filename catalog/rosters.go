package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/switchboard-dev/switchboard/manifest"
)

// Membership sources: where a team membership was learnt. A roster sync of
// one source replaces that source's memberships only.
const (
	MemberSourceGitLab     = "gitlab"
	MemberSourcePagerDuty  = "pagerduty"
	MemberSourceDescriptor = "descriptor"
	MemberSourceImport     = "import"
)

// MemberChanges says what ReplaceMembers changed in one team's roster.
type MemberChanges struct {
	// Added and Removed count memberships of the source added and removed;
	// Kept those that were there already.
	Added, Removed, Kept int
	// Skipped counts people given without any key to find them by (no
	// email, and no GitLab username or PagerDuty user id the catalog knows).
	Skipped int
}

// ReplaceMembers makes people the team's whole membership as learnt from
// source ("gitlab", "pagerduty", ...), in one transaction: memberships of
// that source not in people are removed, the others added; memberships of
// other sources are untouched. Each person is upserted by email (ignoring
// case): ids given replace the stored ones, fields left empty keep their
// stored value, and a stored name is kept (sources spell names differently;
// a roster run must not flip them back and forth); a person without an
// email is matched by GitLab username, else PagerDuty user id, among people
// already known, and skipped when none matches.
//
// Returns ErrNotFound if there is no such team, ErrInvalid if source is
// empty.
func (s *Store) ReplaceMembers(ctx context.Context, team, source string, people []Person) (MemberChanges, error) {
	source = strings.TrimSpace(source)
	if source == "" {
		return MemberChanges{}, fmt.Errorf("replace members of team %s: %w: empty source", team, ErrInvalid)
	}
	var ch MemberChanges
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var teamID int64
		if err := tx.QueryRow(ctx, `SELECT id FROM teams WHERE lower(name) = lower($1)`, team).Scan(&teamID); err != nil {
			return err
		}
		ids := make([]int64, 0, len(people))
		for _, p := range people {
			id, ok, err := resolvePerson(ctx, tx, p)
			if err != nil {
				return err
			}
			if !ok {
				ch.Skipped++
				continue
			}
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
		tag, err := tx.Exec(ctx, `DELETE FROM team_members WHERE team_id = $1 AND source = $2 AND NOT (person_id = ANY($3))`, teamID, source, ids)
		if err != nil {
			return fmt.Errorf("remove members: %w", err)
		}
		ch.Removed = int(tag.RowsAffected())
		if len(ids) > 0 {
			tag, err = tx.Exec(ctx, `
				INSERT INTO team_members (team_id, person_id, source)
				SELECT $1, unnest($3::bigint[]), $2
				ON CONFLICT (team_id, person_id, source) DO NOTHING`, teamID, source, ids)
			if err != nil {
				return fmt.Errorf("add members: %w", err)
			}
			ch.Added = int(tag.RowsAffected())
		}
		ch.Kept = len(ids) - ch.Added
		return nil
	})
	if err != nil {
		return MemberChanges{}, fmt.Errorf("replace %s members of team %s: %w", source, team, translate(err))
	}
	return ch, nil
}

// resolvePerson finds or creates the person p stands for and returns their
// id; ok is false when p has nothing to find them by.
func resolvePerson(ctx context.Context, tx pgx.Tx, p Person) (id int64, ok bool, err error) {
	p.Email = strings.TrimSpace(p.Email)
	if p.Email != "" {
		// Rows are rewritten only when something changes.
		err := tx.QueryRow(ctx, `
			INSERT INTO people AS o (name, email, slack_user_id, gitlab_username, pagerduty_user_id)
			VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (lower(email)) DO UPDATE SET
				name = COALESCE(NULLIF(o.name, ''), EXCLUDED.name),
				slack_user_id = COALESCE(NULLIF(EXCLUDED.slack_user_id, ''), o.slack_user_id),
				gitlab_username = COALESCE(NULLIF(EXCLUDED.gitlab_username, ''), o.gitlab_username),
				pagerduty_user_id = COALESCE(NULLIF(EXCLUDED.pagerduty_user_id, ''), o.pagerduty_user_id),
				updated_at = now()
			WHERE (o.name, o.slack_user_id, o.gitlab_username, o.pagerduty_user_id) IS DISTINCT FROM
			      (COALESCE(NULLIF(o.name, ''), EXCLUDED.name),
			       COALESCE(NULLIF(EXCLUDED.slack_user_id, ''), o.slack_user_id),
			       COALESCE(NULLIF(EXCLUDED.gitlab_username, ''), o.gitlab_username),
			       COALESCE(NULLIF(EXCLUDED.pagerduty_user_id, ''), o.pagerduty_user_id))
			RETURNING id`,
			p.Name, p.Email, p.SlackUserID, p.GitLabUsername, p.PagerDutyUserID).Scan(&id)
		if err == pgx.ErrNoRows {
			err = tx.QueryRow(ctx, `SELECT id FROM people WHERE lower(email) = lower($1)`, p.Email).Scan(&id)
		}
		if err != nil {
			return 0, false, fmt.Errorf("person %s: %w", p.Email, err)
		}
		return id, true, nil
	}
	var query, key string
	switch {
	case p.GitLabUsername != "":
		query, key = `SELECT id FROM people WHERE lower(gitlab_username) = lower($1) ORDER BY id LIMIT 1`, p.GitLabUsername
	case p.PagerDutyUserID != "":
		query, key = `SELECT id FROM people WHERE pagerduty_user_id = $1 ORDER BY id LIMIT 1`, p.PagerDutyUserID
	default:
		return 0, false, nil
	}
	err = tx.QueryRow(ctx, query, key).Scan(&id)
	if err == pgx.ErrNoRows {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("person %s: %w", key, err)
	}
	return id, true, nil
}

// RosterMember is a person on a team's roster, with where their membership
// comes from.
type RosterMember struct {
	Person
	// Sources are the membership's sources ("descriptor", "gitlab",
	// "pagerduty", ...), sorted.
	Sources []string
	// Role is the membership's role, when a source gave one.
	Role string
}

// Roster returns the people of the team with id teamID, by name, each once
// with every source their membership comes from.
func (s *Store) Roster(ctx context.Context, teamID int64) ([]RosterMember, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT `+prefixed("p.", personColumns)+`, array_agg(DISTINCT m.source ORDER BY m.source), max(m.role)
		FROM people p JOIN team_members m ON m.person_id = p.id
		WHERE m.team_id = $1
		GROUP BY p.id
		ORDER BY lower(p.name), lower(p.email)`, teamID)
	if err != nil {
		return nil, fmt.Errorf("roster of team %d: %w", teamID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (RosterMember, error) {
		var m RosterMember
		err := r.Scan(&m.ID, &m.Name, &m.Email, &m.SlackUserID, &m.GitLabUsername, &m.PagerDutyUserID, &m.Sources, &m.Role)
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("roster of team %d: %w", teamID, err)
	}
	return out, nil
}

// teamSuggestionLimit is how many "did you mean" teams SuggestTeams offers.
const teamSuggestionLimit = 5

// SuggestTeams returns up to five teams whose name or title is close to
// name (trigram similarity of at least 0.3, or starting with it), best
// first: "did you mean" for a team name that found nothing.
func (s *Store) SuggestTeams(ctx context.Context, name string) ([]Team, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `
		SELECT `+teamColumns+` FROM (
			SELECT t.*, greatest(similarity(lower(t.name), lower($1)), similarity(lower(t.title), lower($1)),
			                     CASE WHEN starts_with(lower(t.name), lower($1)) THEN 1 ELSE 0 END) AS score
			FROM teams t
		) t
		WHERE score >= $2
		ORDER BY score DESC, lower(name)
		LIMIT $3`, name, minSimilarity, teamSuggestionLimit)
	if err != nil {
		return nil, fmt.Errorf("suggest teams for %q: %w", name, err)
	}
	teams, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Team, error) { return scanTeam(r) })
	if err != nil {
		return nil, fmt.Errorf("suggest teams for %q: %w", name, err)
	}
	return teams, nil
}

// OwnedService is a service a team owns, with its repos.
type OwnedService struct {
	Service Service
	Repos   []Repo
}

// TeamServices returns the services the team with id teamID owns, with
// their repos: active ones first, then by tier ("1" first, unset last) and
// name.
func (s *Store) TeamServices(ctx context.Context, teamID int64) ([]OwnedService, error) {
	rows, err := s.pool.Query(ctx, serviceSelect+`
		WHERE s.team_id = $1
		ORDER BY s.status = 'orphaned', s.tier = '', s.tier, lower(s.name), s.namespace`, teamID)
	if err != nil {
		return nil, fmt.Errorf("services of team %d: %w", teamID, err)
	}
	svcs, err := collectServices(rows)
	if err != nil {
		return nil, fmt.Errorf("services of team %d: %w", teamID, err)
	}
	out := make([]OwnedService, len(svcs))
	index := make(map[int64]int, len(svcs))
	ids := make([]int64, len(svcs))
	for i, svc := range svcs {
		out[i].Service = svc
		index[svc.ID] = i
		ids[i] = svc.ID
	}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err = s.pool.Query(ctx, `
		SELECT `+repoColumns+`, sr.subpath, sr.service_id
		FROM repos r JOIN service_repos sr ON sr.repo_id = r.id
		WHERE sr.service_id = ANY($1) ORDER BY r.path`, ids)
	if err != nil {
		return nil, fmt.Errorf("repos of team %d: %w", teamID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			sub   string
			svcID int64
		)
		repo, err := scanRepo(rows, &sub, &svcID)
		if err != nil {
			return nil, fmt.Errorf("repos of team %d: %w", teamID, err)
		}
		repo.Subpath = sub
		i := index[svcID]
		out[i].Repos = append(out[i].Repos, repo)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("repos of team %d: %w", teamID, err)
	}
	return out, nil
}

// PersonBySlackID returns the person with Slack user id id. Returns
// ErrNotFound if the catalog knows nobody with it.
func (s *Store) PersonBySlackID(ctx context.Context, id string) (Person, error) {
	if strings.TrimSpace(id) == "" {
		return Person{}, fmt.Errorf("person with slack id %q: %w", id, ErrNotFound)
	}
	p, err := scanPerson(s.pool.QueryRow(ctx, `SELECT `+personColumns+` FROM people WHERE slack_user_id = $1 ORDER BY id LIMIT 1`, id))
	if err != nil {
		return Person{}, fmt.Errorf("person with slack id %s: %w", id, translate(err))
	}
	return p, nil
}

// PersonByEmail returns the person with email, ignoring case. Returns
// ErrNotFound if there is none.
func (s *Store) PersonByEmail(ctx context.Context, email string) (Person, error) {
	p, err := scanPerson(s.pool.QueryRow(ctx, `SELECT `+personColumns+` FROM people WHERE lower(email) = lower($1)`, strings.TrimSpace(email)))
	if err != nil {
		return Person{}, fmt.Errorf("person %s: %w", email, translate(err))
	}
	return p, nil
}

// PeopleByHandle returns the people a handle typed in a command may mean,
// ignoring case: those whose email is handle (or starts with "handle@"),
// whose GitLab username or Slack user id is handle, or whose name is handle
// with dots, dashes or underscores read as spaces ("ada.lovelace" is "Ada
// Lovelace"). Several people may match; none is not an error.
func (s *Store) PeopleByHandle(ctx context.Context, handle string) ([]Person, error) {
	handle = strings.TrimPrefix(strings.TrimSpace(handle), "@")
	if handle == "" {
		return nil, nil
	}
	name := strings.NewReplacer(".", " ", "_", " ", "-", " ").Replace(handle)
	rows, err := s.pool.Query(ctx, `
		SELECT `+personColumns+` FROM people
		WHERE lower(email) = lower($1) OR lower(split_part(email, '@', 1)) = lower($1)
		   OR (gitlab_username <> '' AND lower(gitlab_username) = lower($1))
		   OR (slack_user_id <> '' AND slack_user_id = $1)
		   OR lower(name) = lower($2)
		ORDER BY lower(email) = lower($1) DESC, id`, handle, name)
	if err != nil {
		return nil, fmt.Errorf("people by handle %q: %w", handle, err)
	}
	people, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Person, error) { return scanPerson(r) })
	if err != nil {
		return nil, fmt.Errorf("people by handle %q: %w", handle, err)
	}
	return people, nil
}

// PersonTeams returns the teams the person with id personID is on, from any
// source, by name.
func (s *Store) PersonTeams(ctx context.Context, personID int64) ([]Team, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT `+prefixed("t.", teamColumns)+` FROM teams t
		WHERE EXISTS (SELECT 1 FROM team_members m WHERE m.team_id = t.id AND m.person_id = $1)
		ORDER BY lower(t.name)`, personID)
	if err != nil {
		return nil, fmt.Errorf("teams of person %d: %w", personID, err)
	}
	teams, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Team, error) { return scanTeam(r) })
	if err != nil {
		return nil, fmt.Errorf("teams of person %d: %w", personID, err)
	}
	return teams, nil
}

// BrokenDescriptor is a repo whose descriptor does not validate.
type BrokenDescriptor struct {
	Repo Repo
	// Team is the team whose repo it is.
	Team string
	// First is the first error of the descriptor (the first finding when
	// none is an error).
	First manifest.Finding
	// Findings counts the descriptor's findings.
	Findings int
}

// BrokenDescriptors returns the repos with an invalid descriptor that belong
// to the teams with ids teamIDs: repos of the services they own, and repos
// under their GitLab groups. Deleted and archived repos are left out.
func (s *Store) BrokenDescriptors(ctx context.Context, teamIDs []int64) ([]BrokenDescriptor, error) {
	if len(teamIDs) == 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `
		WITH mine AS (
			SELECT sr.repo_id, t.name AS team FROM services s
			JOIN service_repos sr ON sr.service_id = s.id JOIN teams t ON t.id = s.team_id
			WHERE s.team_id = ANY($1)
			UNION
			SELECT r.id, t.name FROM repos r JOIN teams t
			  ON t.gitlab_group <> '' AND starts_with(lower(r.path), lower(t.gitlab_group) || '/')
			WHERE t.id = ANY($1)
		), owned AS (
			SELECT repo_id, min(team) AS team FROM mine GROUP BY repo_id
		)
		SELECT `+repoColumns+`, owned.team, r.descriptor_errors
		FROM repos r JOIN owned ON owned.repo_id = r.id
		WHERE r.descriptor_status = 'invalid' AND r.deleted_at IS NULL AND NOT r.archived
		ORDER BY lower(r.path)`, teamIDs)
	if err != nil {
		return nil, fmt.Errorf("broken descriptors: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (BrokenDescriptor, error) {
		var (
			b   BrokenDescriptor
			raw []byte
		)
		repo, err := scanRepo(row, &b.Team, &raw)
		if err != nil {
			return b, err
		}
		b.Repo = repo
		var findings []manifest.Finding
		if err := json.Unmarshal(raw, &findings); err != nil {
			return b, fmt.Errorf("decode findings of %s: %w", repo.Path, err)
		}
		b.Findings = len(findings)
		if len(findings) > 0 {
			b.First = findings[0]
			for _, f := range findings {
				if f.Severity == manifest.SeverityError {
					b.First = f
					break
				}
			}
		}
		return b, nil
	})
	if err != nil {
		return nil, fmt.Errorf("broken descriptors: %w", err)
	}
	return out, nil
}

// TeamPagerDutyServices returns the PagerDuty service ids of the active
// services team owns, most critical tier first.
func (s *Store) TeamPagerDutyServices(ctx context.Context, team string) ([]string, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT DISTINCT s.pagerduty_service_id, s.tier FROM services s JOIN teams t ON t.id = s.team_id
		WHERE lower(t.name) = lower($1) AND s.status = 'active' AND s.pagerduty_service_id <> ''
		ORDER BY s.tier, s.pagerduty_service_id`, team)
	if err != nil {
		return nil, fmt.Errorf("pagerduty services of %s: %w", team, err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id, tier string
		if err := rows.Scan(&id, &tier); err != nil {
			return nil, fmt.Errorf("pagerduty services of %s: %w", team, err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
