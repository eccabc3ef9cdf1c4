package catalog

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// PutTeam creates the team, or updates the one of the same name (ignoring
// case): fields left empty in t keep their stored value. It returns the
// stored team.
func (s *Store) PutTeam(ctx context.Context, t Team) (Team, error) {
	t.Name = strings.TrimSpace(t.Name)
	if t.Name == "" {
		return Team{}, fmt.Errorf("put team: %w: empty name", ErrInvalid)
	}
	var out Team
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		out, err = putTeam(ctx, tx, t)
		return err
	})
	if err != nil {
		return Team{}, fmt.Errorf("put team %q: %w", t.Name, translate(err))
	}
	return out, nil
}

func putTeam(ctx context.Context, tx pgx.Tx, t Team) (Team, error) {
	row := tx.QueryRow(ctx, `
		INSERT INTO teams (name, title, description, slack_channel, gitlab_group,
		                   pagerduty_escalation_policy, pagerduty_team)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (lower(name)) DO UPDATE SET
			title = COALESCE(NULLIF(EXCLUDED.title, ''), teams.title),
			description = COALESCE(NULLIF(EXCLUDED.description, ''), teams.description),
			slack_channel = COALESCE(NULLIF(EXCLUDED.slack_channel, ''), teams.slack_channel),
			gitlab_group = COALESCE(NULLIF(EXCLUDED.gitlab_group, ''), teams.gitlab_group),
			pagerduty_escalation_policy = COALESCE(NULLIF(EXCLUDED.pagerduty_escalation_policy, ''), teams.pagerduty_escalation_policy),
			pagerduty_team = COALESCE(NULLIF(EXCLUDED.pagerduty_team, ''), teams.pagerduty_team),
			updated_at = now()
		RETURNING `+teamColumns,
		t.Name, t.Title, t.Description, t.SlackChannel, t.GitLabGroup, t.PagerDutyEscalationPolicy, t.PagerDutyTeam)
	return scanTeam(row)
}

const teamColumns = `id, name, title, description, slack_channel, gitlab_group, pagerduty_escalation_policy, pagerduty_team`

func scanTeam(row pgx.Row) (Team, error) {
	var t Team
	err := row.Scan(&t.ID, &t.Name, &t.Title, &t.Description, &t.SlackChannel, &t.GitLabGroup, &t.PagerDutyEscalationPolicy, &t.PagerDutyTeam)
	return t, err
}

// FindTeam returns the team named name, ignoring case. Returns ErrNotFound
// if there is none.
func (s *Store) FindTeam(ctx context.Context, name string) (Team, error) {
	t, err := scanTeam(s.pool.QueryRow(ctx, `SELECT `+teamColumns+` FROM teams WHERE lower(name) = lower($1)`, name))
	if err != nil {
		return Team{}, fmt.Errorf("find team %q: %w", name, translate(err))
	}
	return t, nil
}

// PutPerson creates the person, or updates the one with the same email
// (ignoring case): fields left empty keep their stored value.
func (s *Store) PutPerson(ctx context.Context, p Person) (Person, error) {
	p.Email = strings.TrimSpace(p.Email)
	if p.Email == "" {
		return Person{}, fmt.Errorf("put person %q: %w: empty email", p.Name, ErrInvalid)
	}
	row := s.pool.QueryRow(ctx, `
		INSERT INTO people (name, email, slack_user_id, gitlab_username, pagerduty_user_id)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (lower(email)) DO UPDATE SET
			name = COALESCE(NULLIF(EXCLUDED.name, ''), people.name),
			slack_user_id = COALESCE(NULLIF(EXCLUDED.slack_user_id, ''), people.slack_user_id),
			gitlab_username = COALESCE(NULLIF(EXCLUDED.gitlab_username, ''), people.gitlab_username),
			pagerduty_user_id = COALESCE(NULLIF(EXCLUDED.pagerduty_user_id, ''), people.pagerduty_user_id),
			updated_at = now()
		RETURNING `+personColumns,
		p.Name, p.Email, p.SlackUserID, p.GitLabUsername, p.PagerDutyUserID)
	out, err := scanPerson(row)
	if err != nil {
		return Person{}, fmt.Errorf("put person %q: %w", p.Email, translate(err))
	}
	return out, nil
}

const personColumns = `id, name, email, slack_user_id, gitlab_username, pagerduty_user_id`

func scanPerson(row pgx.Row) (Person, error) {
	var p Person
	err := row.Scan(&p.ID, &p.Name, &p.Email, &p.SlackUserID, &p.GitLabUsername, &p.PagerDutyUserID)
	return p, err
}

// AddMember records that the person with email belongs to team, as learnt
// from source ("gitlab", "pagerduty", "descriptor", "import"). Returns
// ErrNotFound if the team or the person does not exist.
func (s *Store) AddMember(ctx context.Context, team, email, source, role string) error {
	tag, err := s.pool.Exec(ctx, `
		INSERT INTO team_members (team_id, person_id, source, role)
		SELECT t.id, p.id, $3, $4 FROM teams t, people p
		WHERE lower(t.name) = lower($1) AND lower(p.email) = lower($2)
		ON CONFLICT (team_id, person_id, source) DO UPDATE SET role = EXCLUDED.role, updated_at = now()`,
		team, email, source, role)
	if err != nil {
		return fmt.Errorf("add %s to team %s: %w", email, team, translate(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("add %s to team %s: %w", email, team, ErrNotFound)
	}
	return nil
}

// TeamMembers returns the people of the team with id teamID, by name.
func (s *Store) TeamMembers(ctx context.Context, teamID int64) ([]Person, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT DISTINCT `+prefixed("p.", personColumns)+`
		FROM people p JOIN team_members m ON m.person_id = p.id
		WHERE m.team_id = $1
		ORDER BY p.name, p.email`, teamID)
	if err != nil {
		return nil, fmt.Errorf("team members: %w", err)
	}
	people, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Person, error) { return scanPerson(r) })
	if err != nil {
		return nil, fmt.Errorf("team members: %w", err)
	}
	return people, nil
}

// prefixed qualifies each column of a comma-separated list with prefix.
func prefixed(prefix, columns string) string {
	parts := strings.Split(columns, ",")
	for i, p := range parts {
		parts[i] = prefix + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}
