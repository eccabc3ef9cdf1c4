package catalog

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Onboarding is someone being welcomed to a team with /onboard, and how far
// they are through the checklist.
type Onboarding struct {
	Person Person
	Team   Team
	// StartedBy is the Slack user id (or, outside Slack, the email) of who
	// started it; StartedByName their name when known.
	StartedBy     string
	StartedByName string
	StartedAt     time.Time
	// SentAt is when the welcome message was last sent; zero if never.
	SentAt time.Time
	// Done holds the checklist items the person has done, by item id. The
	// checklist is the person's: the same in each of their onboardings.
	Done map[string]ItemDone
}

// ItemDone is when a checklist item was ticked, and by whom (a Slack user
// id or an email).
type ItemDone struct {
	At time.Time
	By string
}

// StartOnboarding records that the person with id personID is being
// onboarded to the team with id teamID, started by startedBy at at. Starting
// an onboarding that exists already keeps its first start and its
// checklist; created says whether it is new. Returns ErrNotFound if the
// person or the team does not exist.
func (s *Store) StartOnboarding(ctx context.Context, personID, teamID int64, startedBy, startedByName string, at time.Time) (o Onboarding, created bool, err error) {
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `
			INSERT INTO onboarding (person_id, team_id, started_by, started_by_name, started_at)
			SELECT p.id, t.id, $3, $4, $5 FROM people p, teams t WHERE p.id = $1 AND t.id = $2
			ON CONFLICT (person_id, team_id) DO NOTHING`, personID, teamID, startedBy, startedByName, at)
		if err != nil {
			return err
		}
		created = tag.RowsAffected() == 1
		o, err = getOnboarding(ctx, tx, personID, teamID)
		return err
	})
	if err != nil {
		return Onboarding{}, false, fmt.Errorf("start onboarding of person %d to team %d: %w", personID, teamID, translate(err))
	}
	return o, created, nil
}

// MarkOnboardingSent records that the welcome message of an onboarding was
// sent at at. Returns ErrNotFound if there is no such onboarding.
func (s *Store) MarkOnboardingSent(ctx context.Context, personID, teamID int64, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE onboarding SET sent_at = $3 WHERE person_id = $1 AND team_id = $2`, personID, teamID, at)
	if err != nil {
		return fmt.Errorf("mark onboarding of person %d sent: %w", personID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("mark onboarding of person %d to team %d sent: %w", personID, teamID, ErrNotFound)
	}
	return nil
}

// GetOnboarding returns the onboarding of the person with id personID to
// the team with id teamID. Returns ErrNotFound if there is none.
func (s *Store) GetOnboarding(ctx context.Context, personID, teamID int64) (Onboarding, error) {
	var o Onboarding
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		o, err = getOnboarding(ctx, tx, personID, teamID)
		return err
	})
	if err != nil {
		return Onboarding{}, fmt.Errorf("onboarding of person %d to team %d: %w", personID, teamID, translate(err))
	}
	return o, nil
}

// OnboardingsOf returns the onboardings of the person with id personID,
// oldest first.
func (s *Store) OnboardingsOf(ctx context.Context, personID int64) ([]Onboarding, error) {
	out, err := s.onboardings(ctx, `o.person_id = $1`, personID)
	if err != nil {
		return nil, fmt.Errorf("onboardings of person %d: %w", personID, err)
	}
	return out, nil
}

// OnboardingsStartedBy returns the onboardings started by startedBy (a
// Slack user id or an email, as given to StartOnboarding), newest first.
func (s *Store) OnboardingsStartedBy(ctx context.Context, startedBy string) ([]Onboarding, error) {
	if strings.TrimSpace(startedBy) == "" {
		return nil, nil
	}
	out, err := s.onboardings(ctx, `o.started_by = $1`, startedBy)
	if err != nil {
		return nil, fmt.Errorf("onboardings started by %s: %w", startedBy, err)
	}
	// Newest first: what the runner did last matters most.
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// SetOnboardingItem ticks (done true) or unticks a checklist item of the
// person with id personID, recording who did it and when. changed is false
// when the item was already in that state (a second click). Returns
// ErrNotFound if the person does not exist, ErrInvalid if itemID is empty.
func (s *Store) SetOnboardingItem(ctx context.Context, personID int64, itemID string, done bool, by string, at time.Time) (changed bool, err error) {
	itemID = strings.TrimSpace(itemID)
	if itemID == "" {
		return false, fmt.Errorf("set onboarding item: %w: empty item id", ErrInvalid)
	}
	var exists bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM people WHERE id = $1)`, personID).Scan(&exists); err != nil {
		return false, fmt.Errorf("set onboarding item %s of person %d: %w", itemID, personID, err)
	}
	if !exists {
		return false, fmt.Errorf("set onboarding item %s of person %d: %w", itemID, personID, ErrNotFound)
	}
	var tag pgconn.CommandTag
	if done {
		tag, err = s.pool.Exec(ctx, `
			INSERT INTO onboarding_items (person_id, item_id, done_at, done_by) VALUES ($1, $2, $3, $4)
			ON CONFLICT (person_id, item_id) DO NOTHING`, personID, itemID, at, by)
	} else {
		tag, err = s.pool.Exec(ctx, `DELETE FROM onboarding_items WHERE person_id = $1 AND item_id = $2`, personID, itemID)
	}
	if err != nil {
		return false, fmt.Errorf("set onboarding item %s of person %d: %w", itemID, personID, translate(err))
	}
	return tag.RowsAffected() > 0, nil
}

// OnboardingItems returns the checklist items the person with id personID
// has done, by item id.
func (s *Store) OnboardingItems(ctx context.Context, personID int64) (map[string]ItemDone, error) {
	out, err := onboardingItems(ctx, s.pool, personID)
	if err != nil {
		return nil, fmt.Errorf("onboarding items of person %d: %w", personID, err)
	}
	return out, nil
}

// querier is what reads need of a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func onboardingItems(ctx context.Context, q querier, personID int64) (map[string]ItemDone, error) {
	rows, err := q.Query(ctx, `SELECT item_id, done_at, done_by FROM onboarding_items WHERE person_id = $1`, personID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]ItemDone{}
	for rows.Next() {
		var (
			id string
			d  ItemDone
		)
		if err := rows.Scan(&id, &d.At, &d.By); err != nil {
			return nil, err
		}
		out[id] = d
	}
	return out, rows.Err()
}

// onboardingSelect reads an onboarding with its person (personColumns) and
// team (teamColumns).
const onboardingSelect = `
	SELECT p.id, p.name, p.email, p.slack_user_id, p.gitlab_username, p.pagerduty_user_id,
	       t.id, t.name, t.title, t.description, t.slack_channel, t.gitlab_group,
	       t.pagerduty_escalation_policy, t.pagerduty_team,
	       o.started_by, o.started_by_name, o.started_at, o.sent_at
	FROM onboarding o JOIN people p ON p.id = o.person_id JOIN teams t ON t.id = o.team_id`

func scanOnboarding(row pgx.Row) (Onboarding, error) {
	var (
		o    Onboarding
		sent *time.Time
	)
	err := row.Scan(&o.Person.ID, &o.Person.Name, &o.Person.Email, &o.Person.SlackUserID, &o.Person.GitLabUsername, &o.Person.PagerDutyUserID,
		&o.Team.ID, &o.Team.Name, &o.Team.Title, &o.Team.Description, &o.Team.SlackChannel, &o.Team.GitLabGroup, &o.Team.PagerDutyEscalationPolicy, &o.Team.PagerDutyTeam,
		&o.StartedBy, &o.StartedByName, &o.StartedAt, &sent)
	if sent != nil {
		o.SentAt = *sent
	}
	return o, err
}

func getOnboarding(ctx context.Context, tx pgx.Tx, personID, teamID int64) (Onboarding, error) {
	o, err := scanOnboarding(tx.QueryRow(ctx, onboardingSelect+` WHERE o.person_id = $1 AND o.team_id = $2`, personID, teamID))
	if err != nil {
		return Onboarding{}, err
	}
	if o.Done, err = onboardingItems(ctx, tx, personID); err != nil {
		return Onboarding{}, err
	}
	return o, nil
}

// onboardings lists the onboardings matching where (over o, p and t), oldest
// first, each with its person's checklist.
func (s *Store) onboardings(ctx context.Context, where string, args ...any) ([]Onboarding, error) {
	rows, err := s.pool.Query(ctx, onboardingSelect+` WHERE `+where+` ORDER BY o.started_at, p.id, t.id`, args...)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Onboarding, error) { return scanOnboarding(r) })
	if err != nil {
		return nil, err
	}
	items := map[int64]map[string]ItemDone{}
	for i := range out {
		pid := out[i].Person.ID
		done, ok := items[pid]
		if !ok {
			if done, err = onboardingItems(ctx, s.pool, pid); err != nil {
				return nil, err
			}
			items[pid] = done
		}
		out[i].Done = done
	}
	return out, nil
}
