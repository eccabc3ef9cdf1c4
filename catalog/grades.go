package catalog

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchboard-dev/switchboard/scorecard"
)

// ServiceGrade is a service's scorecard as last graded (table
// service_grades, migration 018).
type ServiceGrade struct {
	// Service is the service graded (with its owning team's name).
	Service Service
	// Grade is its grade: Level and Ceiling are ranks of the card's levels
	// (card.LevelName), Results name their checks by ID (Result.Check is
	// not stored: match a result to card.Checks by ID).
	Grade scorecard.Grade
	// GradedAt is when it was graded.
	GradedAt time.Time
	// CardHash is the hash of the card that graded it (CardHash); a grade
	// of another card is stale.
	CardHash string
}

// CardHash returns a short hash of the card's levels and checks: grades
// stored with another hash were graded by another card, and are graded
// again.
func CardHash(card *scorecard.Card) (string, error) {
	b, err := json.Marshal(card)
	if err != nil {
		return "", fmt.Errorf("hash scorecard: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8]), nil
}

// gradeSelect reads services with their grade (serviceSelect's columns,
// then the grade's).
const gradeSelect = `
	SELECT s.id, s.namespace, s.name, s.title, s.description, COALESCE(t.name, ''),
	       s.lifecycle, s.tier, s.type, s.language, s.framework, s.tags, s.slack_channel,
	       s.pagerduty_service_id, s.pagerduty_integration_key, s.links, s.source, s.status,
	       s.updated_at,
	       ARRAY(SELECT a.alias FROM service_aliases a WHERE a.service_id = s.id ORDER BY a.alias),
	       g.grade, g.graded_at, g.card_hash
	FROM services s JOIN service_grades g ON g.service_id = s.id LEFT JOIN teams t ON t.id = s.team_id`

func scanGrade(row pgx.Row) (ServiceGrade, error) {
	var (
		sg    ServiceGrade
		links []byte
		grade []byte
	)
	svc := &sg.Service
	err := row.Scan(&svc.ID, &svc.Namespace, &svc.Name, &svc.Title, &svc.Description, &svc.Team,
		&svc.Lifecycle, &svc.Tier, &svc.Type, &svc.Language, &svc.Framework, &svc.Tags, &svc.SlackChannel,
		&svc.PagerDutyServiceID, &svc.PagerDutyIntegrationKey, &links, &svc.Source, &svc.Status,
		&svc.UpdatedAt, &svc.Aliases, &grade, &sg.GradedAt, &sg.CardHash)
	if err != nil {
		return ServiceGrade{}, err
	}
	if err := json.Unmarshal(links, &svc.Links); err != nil {
		return ServiceGrade{}, fmt.Errorf("decode links of %s: %w", svc.Name, err)
	}
	if err := json.Unmarshal(grade, &sg.Grade); err != nil {
		return ServiceGrade{}, fmt.Errorf("decode grade of %s: %w", svc.Name, err)
	}
	return sg, nil
}

func collectGrades(rows pgx.Rows) ([]ServiceGrade, error) {
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (ServiceGrade, error) { return scanGrade(r) })
}

// ServiceGrade returns the grade of the service with id serviceID. Returns
// ErrNotFound when the service has not been graded (or does not exist).
func (s *Store) ServiceGrade(ctx context.Context, serviceID int64) (ServiceGrade, error) {
	sg, err := scanGrade(s.pool.QueryRow(ctx, gradeSelect+` WHERE s.id = $1`, serviceID))
	if err != nil {
		return ServiceGrade{}, fmt.Errorf("grade of service %d: %w", serviceID, translate(err))
	}
	return sg, nil
}

// TeamGrades returns the grades of the active services the team owns
// (its name, ignoring case), worst first: by level, then ceiling, then
// name. Services not graded yet are left out. Returns ErrNotFound when the
// catalog has no such team.
func (s *Store) TeamGrades(ctx context.Context, team string) ([]ServiceGrade, error) {
	var teamID int64
	if err := s.pool.QueryRow(ctx, `SELECT id FROM teams WHERE lower(name) = lower($1)`, strings.TrimSpace(team)).Scan(&teamID); err != nil {
		return nil, fmt.Errorf("grades of team %q: %w", team, translate(err))
	}
	rows, err := s.pool.Query(ctx, gradeSelect+`
		WHERE s.team_id = $1 AND s.status = 'active'
		ORDER BY g.level, g.ceiling, lower(s.name), s.namespace`, teamID)
	if err != nil {
		return nil, fmt.Errorf("grades of team %q: %w", team, err)
	}
	out, err := collectGrades(rows)
	if err != nil {
		return nil, fmt.Errorf("grades of team %q: %w", team, err)
	}
	return out, nil
}

// AllGrades returns the grades of every active service graded, by team
// (services without an owner last), then worst first as TeamGrades.
// Decoding every grade costs: for counts, LevelCounts is cheaper.
func (s *Store) AllGrades(ctx context.Context) ([]ServiceGrade, error) {
	rows, err := s.pool.Query(ctx, gradeSelect+`
		WHERE s.status = 'active'
		ORDER BY t.name IS NULL, lower(t.name), g.level, g.ceiling, lower(s.name), s.namespace`)
	if err != nil {
		return nil, fmt.Errorf("all grades: %w", err)
	}
	out, err := collectGrades(rows)
	if err != nil {
		return nil, fmt.Errorf("all grades: %w", err)
	}
	return out, nil
}

// LevelCount is how many of a team's active services are at one level.
type LevelCount struct {
	// Team is the owning team's name; empty for services without an owner.
	Team string
	// Level is the rank (0: no level reached).
	Level int
	// Services is how many services.
	Services int
	// Stale is how many of them were graded by another card than the one
	// asked about (0 when no card hash was given).
	Stale int
}

// LevelCounts counts the active services graded, by team and level (one
// grouping query, no grade decoded): the organisation's distribution. With
// cardHash, Stale counts those graded by another card.
func (s *Store) LevelCounts(ctx context.Context, cardHash string) ([]LevelCount, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT COALESCE(t.name, ''), g.level, count(*), count(*) FILTER (WHERE $1 <> '' AND g.card_hash <> $1)
		FROM services s JOIN service_grades g ON g.service_id = s.id LEFT JOIN teams t ON t.id = s.team_id
		WHERE s.status = 'active'
		GROUP BY 1, 2 ORDER BY COALESCE(t.name, '') = '', lower(COALESCE(t.name, '')), 2`, cardHash)
	if err != nil {
		return nil, fmt.Errorf("level counts: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (LevelCount, error) {
		var c LevelCount
		return c, r.Scan(&c.Team, &c.Level, &c.Services, &c.Stale)
	})
	if err != nil {
		return nil, fmt.Errorf("level counts: %w", err)
	}
	return out, nil
}

// GradeDay is a service's level on one day (UTC): the day's last grading.
type GradeDay struct {
	ServiceID int64
	// Day is midnight UTC of the day.
	Day     time.Time
	Level   int
	Ceiling int
}

// LevelHistory returns the daily levels of the services with the given
// ids since the day of since (included), by service then day: a trend.
func (s *Store) LevelHistory(ctx context.Context, serviceIDs []int64, since time.Time) ([]GradeDay, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT service_id, day, level, ceiling FROM service_grade_days
		WHERE service_id = ANY($1) AND day >= ($2::timestamptz AT TIME ZONE 'UTC')::date
		ORDER BY service_id, day`, serviceIDs, since)
	if err != nil {
		return nil, fmt.Errorf("level history: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (GradeDay, error) {
		var d GradeDay
		return d, r.Scan(&d.ServiceID, &d.Day, &d.Level, &d.Ceiling)
	})
	if err != nil {
		return nil, fmt.Errorf("level history: %w", err)
	}
	return out, nil
}

// LevelChange is a service's level moving: a rise, or a drop with a known
// cause (a check failed). A drop caused only by unknown facts (PagerDuty
// did not answer: Grade.Ceiling not below the level before) is not one,
// nor is its recovery a rise; nor is a change of level that a changed card
// caused.
type LevelChange struct {
	// ID is the change's id (service_level_changes.id); 0 for the net
	// changes of LevelChanges.
	ID int64
	// Service is the service, with its owning team's name.
	Service Service
	// TeamChannel is the owning team's Slack channel, empty when it has
	// none (or the service no owner).
	TeamChannel string
	// From and To are ranks of the card's levels (0: none reached).
	From, To int
	// Ceiling is the level the service would have if every unknown check
	// passed, when it changed.
	Ceiling int
	// Failed are the ids of the failed checks at or below From that caused
	// a drop; empty for a rise.
	Failed []string
	// At is when it changed (for a net change, the last change).
	At time.Time
	// Notified is when the team's channel was told of a drop; zero before.
	Notified time.Time
}

// Drop reports whether the change is a drop.
func (c LevelChange) Drop() bool { return c.To < c.From }

const changeSelect = `
	SELECT c.id, s.id, s.namespace, s.name, s.title, s.description, COALESCE(t.name, ''),
	       s.lifecycle, s.tier, s.type, s.language, s.framework, s.tags, s.slack_channel,
	       s.pagerduty_service_id, s.pagerduty_integration_key, s.links, s.source, s.status,
	       s.updated_at, '{}'::text[], COALESCE(t.slack_channel, ''),
	       c.from_level, c.to_level, c.ceiling, c.failed, c.at, c.notified_at
	FROM service_level_changes c JOIN services s ON s.id = c.service_id LEFT JOIN teams t ON t.id = s.team_id`

func scanChange(row pgx.Row) (LevelChange, error) {
	var (
		c        LevelChange
		links    []byte
		notified *time.Time
	)
	svc := &c.Service
	err := row.Scan(&c.ID, &svc.ID, &svc.Namespace, &svc.Name, &svc.Title, &svc.Description, &svc.Team,
		&svc.Lifecycle, &svc.Tier, &svc.Type, &svc.Language, &svc.Framework, &svc.Tags, &svc.SlackChannel,
		&svc.PagerDutyServiceID, &svc.PagerDutyIntegrationKey, &links, &svc.Source, &svc.Status,
		&svc.UpdatedAt, &svc.Aliases, &c.TeamChannel, &c.From, &c.To, &c.Ceiling, &c.Failed, &c.At, &notified)
	if err != nil {
		return LevelChange{}, err
	}
	if notified != nil {
		c.Notified = *notified
	}
	if err := json.Unmarshal(links, &svc.Links); err != nil {
		return LevelChange{}, fmt.Errorf("decode links of %s: %w", svc.Name, err)
	}
	return c, nil
}

func collectChanges(rows pgx.Rows) ([]LevelChange, error) {
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (LevelChange, error) { return scanChange(r) })
}

// LevelChanges returns the services whose level rose or dropped since a
// time (the last digest), one net change per service: From is the level
// before the first change after since, To the level after the last; a
// service back where it was is left out. Drops first, then rises, by team
// and name. ID is 0; Failed holds the causes of the drops among them.
func (s *Store) LevelChanges(ctx context.Context, since time.Time) ([]LevelChange, error) {
	rows, err := s.pool.Query(ctx, changeSelect+`
		WHERE c.at > $1 ORDER BY c.service_id, c.at, c.id`, since)
	if err != nil {
		return nil, fmt.Errorf("level changes since %s: %w", since.Format(time.RFC3339), err)
	}
	all, err := collectChanges(rows)
	if err != nil {
		return nil, fmt.Errorf("level changes since %s: %w", since.Format(time.RFC3339), err)
	}
	var out []LevelChange
	for i := 0; i < len(all); {
		j := i
		net := all[i]
		net.ID, net.Notified = 0, time.Time{}
		net.Failed = nil
		for ; j < len(all) && all[j].Service.ID == all[i].Service.ID; j++ {
			c := all[j]
			net.To, net.Ceiling, net.At = c.To, c.Ceiling, c.At
			for _, f := range c.Failed {
				if !slices.Contains(net.Failed, f) {
					net.Failed = append(net.Failed, f)
				}
			}
		}
		i = j
		if net.To != net.From {
			if !net.Drop() {
				net.Failed = nil
			}
			out = append(out, net)
		}
	}
	slices.SortStableFunc(out, func(a, b LevelChange) int {
		if a.Drop() != b.Drop() {
			if a.Drop() {
				return -1
			}
			return 1
		}
		if c := strings.Compare(strings.ToLower(a.Service.Team), strings.ToLower(b.Service.Team)); c != 0 {
			return c
		}
		return strings.Compare(strings.ToLower(a.Service.Name), strings.ToLower(b.Service.Name))
	})
	return out, nil
}

// PutGrades stores grades (each with Service.ID, Grade, CardHash, and
// GradedAt, the store's clock when zero), in one transaction: the current
// grade of each service, its day in the history (the day's last grading
// wins), and the changes of level. Each service's stored grade is locked
// while the new one is compared with it, so that replicas grading the same
// service at once record one change. A drop counts only when a check
// failed (Grade.Ceiling below the level before); a grade of another card
// than the stored one records no change (the standard moved, not the
// service). inTx, when set, runs in the same transaction with the drops
// recorded (a River job telling the teams is inserted there). Returns the
// changes recorded, rises and drops.
func (s *Store) PutGrades(ctx context.Context, grades []ServiceGrade, inTx func(ctx context.Context, tx pgx.Tx, drops []LevelChange) error) ([]LevelChange, error) {
	if len(grades) == 0 {
		return nil, nil
	}
	var changes []LevelChange
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		changes, err = s.putGrades(ctx, tx, grades)
		if err != nil || inTx == nil {
			return err
		}
		var drops []LevelChange
		for _, c := range changes {
			if c.Drop() {
				drops = append(drops, c)
			}
		}
		return inTx(ctx, tx, drops)
	})
	if err != nil {
		return nil, fmt.Errorf("store %d grades: %w", len(grades), translate(err))
	}
	return changes, nil
}

// copyThreshold is how many grades are written by COPY rather than as
// array parameters.
const copyThreshold = 200

func (s *Store) putGrades(ctx context.Context, tx pgx.Tx, grades []ServiceGrade) ([]LevelChange, error) {
	// One grade per service: the last given wins.
	byID := make(map[int64]int, len(grades))
	for i, g := range grades {
		byID[g.Service.ID] = i
	}
	ids := make([]int64, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	now := s.Now()
	// Rows for services graded for the first time, so that every row can
	// be locked (in id order: two replicas cannot deadlock).
	fresh, err := queryIDs(ctx, tx, "new grades", `
		INSERT INTO service_grades (service_id, level, ceiling, settled_level, grade, card_hash, graded_at)
		SELECT u.sid, 0, 0, 0, '{}', '', $2 FROM unnest($1::bigint[]) AS u(sid)
		WHERE EXISTS (SELECT 1 FROM services s WHERE s.id = u.sid)
		ORDER BY u.sid
		ON CONFLICT (service_id) DO NOTHING RETURNING service_id`, ids, now)
	if err != nil {
		return nil, err
	}
	isFresh := make(map[int64]bool, len(fresh))
	for _, id := range fresh {
		isFresh[id] = true
	}
	type old struct {
		settled int
		hash    string
	}
	olds := make(map[int64]old, len(ids))
	rows, err := tx.Query(ctx, `
		SELECT service_id, settled_level, card_hash FROM service_grades
		WHERE service_id = ANY($1) ORDER BY service_id FOR UPDATE`, ids)
	if err != nil {
		return nil, fmt.Errorf("lock grades: %w", err)
	}
	for rows.Next() {
		var (
			id int64
			o  old
		)
		if err := rows.Scan(&id, &o.settled, &o.hash); err != nil {
			rows.Close()
			return nil, fmt.Errorf("lock grades: %w", err)
		}
		olds[id] = o
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lock grades: %w", err)
	}

	n := len(olds)
	var (
		gIDs      = make([]int64, 0, n)
		gLevel    = make([]int32, 0, n)
		gCeiling  = make([]int32, 0, n)
		gSettled  = make([]int32, 0, n)
		gJSON     = make([]string, 0, n)
		gNext     = make([]int32, 0, n)
		gMissing  = make([][]string, 0, n)
		gHash     = make([]string, 0, n)
		gAt       = make([]time.Time, 0, n)
		changes   []LevelChange
		cIDs      []int64
		cFrom     []int32
		cTo       []int32
		cCeil     []int32
		cFailed   []string
		cAt       []time.Time
		jsonBytes []byte
	)
	for _, id := range ids {
		o, ok := olds[id]
		if !ok {
			continue // the service is gone
		}
		sg := grades[byID[id]]
		g := sg.Grade
		at := sg.GradedAt
		if at.IsZero() {
			at = now
		}
		settled := o.settled
		var ch *LevelChange
		switch {
		case isFresh[id] || o.hash != sg.CardHash:
			settled = g.Level
		case g.Level < o.settled && g.Ceiling < o.settled:
			ch = &LevelChange{From: o.settled, To: g.Level, Ceiling: g.Ceiling, At: at}
			for _, r := range g.Results {
				if r.Status == scorecard.Failed && r.Level <= o.settled && !slices.Contains(ch.Failed, r.ID) {
					ch.Failed = append(ch.Failed, r.ID)
				}
			}
			settled = g.Level
		case g.Level > o.settled:
			ch = &LevelChange{From: o.settled, To: g.Level, Ceiling: g.Ceiling, At: at}
			settled = g.Level
		}
		jsonBytes, err = json.Marshal(g)
		if err != nil {
			return nil, fmt.Errorf("encode grade of service %d: %w", id, err)
		}
		gIDs = append(gIDs, id)
		gLevel = append(gLevel, int32(g.Level))
		gCeiling = append(gCeiling, int32(g.Ceiling))
		gSettled = append(gSettled, int32(settled))
		gJSON = append(gJSON, string(jsonBytes))
		gNext = append(gNext, int32(g.Next))
		gMissing = append(gMissing, missingColumn(g.Missing))
		gHash = append(gHash, sg.CardHash)
		gAt = append(gAt, at)
		if ch != nil {
			ch.Service = sg.Service
			ch.Service.ID = id
			changes = append(changes, *ch)
			failed, _ := json.Marshal(ch.Failed)
			if ch.Failed == nil {
				failed = []byte("[]")
			}
			cIDs = append(cIDs, id)
			cFrom = append(cFrom, int32(ch.From))
			cTo = append(cTo, int32(ch.To))
			cCeil = append(cCeil, int32(ch.Ceiling))
			cFailed = append(cFailed, string(failed))
			cAt = append(cAt, at)
		}
	}
	var b pgx.Batch
	if len(gIDs) >= copyThreshold {
		// Many grades: COPY them into a scratch table (cheaper than arrays
		// of text to encode and decode), then update from it.
		if _, err := tx.Exec(ctx, `CREATE TEMP TABLE grades_in (id bigint, level int, ceiling int, settled int,
			grade jsonb, hash text, at timestamptz, next int, missing text[]) ON COMMIT DROP`); err != nil {
			return nil, fmt.Errorf("write grades: %w", err)
		}
		rows := make([][]any, len(gIDs))
		for i := range gIDs {
			rows[i] = []any{gIDs[i], gLevel[i], gCeiling[i], gSettled[i], gJSON[i], gHash[i], gAt[i], gNext[i], gMissing[i]}
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"grades_in"}, []string{"id", "level", "ceiling", "settled", "grade", "hash", "at", "next", "missing"},
			pgx.CopyFromRows(rows)); err != nil {
			return nil, fmt.Errorf("write grades: %w", err)
		}
		b.Queue(`
			UPDATE service_grades g SET level = u.level, ceiling = u.ceiling, settled_level = u.settled,
				grade = u.grade, card_hash = u.hash, graded_at = u.at, next_level = u.next, missing = u.missing
			FROM grades_in u WHERE g.service_id = u.id`)
	} else {
		// missing, an array a row, goes as a JSON array a row (arrays of
		// arrays must be rectangular).
		mJSON := make([]string, len(gMissing))
		for i, m := range gMissing {
			b, err := json.Marshal(m)
			if err != nil {
				return nil, fmt.Errorf("encode missing checks of service %d: %w", gIDs[i], err)
			}
			mJSON[i] = string(b)
		}
		b.Queue(`
			UPDATE service_grades g SET level = u.level, ceiling = u.ceiling, settled_level = u.settled,
				grade = u.grade::jsonb, card_hash = u.hash, graded_at = u.at,
				next_level = u.next, missing = ARRAY(SELECT jsonb_array_elements_text(u.missing::jsonb))
			FROM unnest($1::bigint[], $2::int[], $3::int[], $4::int[], $5::text[], $6::text[], $7::timestamptz[], $8::int[], $9::text[])
				AS u(id, level, ceiling, settled, grade, hash, at, next, missing)
			WHERE g.service_id = u.id`, gIDs, gLevel, gCeiling, gSettled, gJSON, gHash, gAt, gNext, mJSON)
	}
	b.Queue(`
		INSERT INTO service_grade_days (service_id, day, level, ceiling)
		SELECT id, (at AT TIME ZONE 'UTC')::date, level, ceiling
		FROM unnest($1::bigint[], $2::int[], $3::int[], $4::timestamptz[]) AS u(id, level, ceiling, at)
		ON CONFLICT (service_id, day) DO UPDATE SET level = EXCLUDED.level, ceiling = EXCLUDED.ceiling`,
		gIDs, gLevel, gCeiling, gAt)
	var changeIDs []int64
	if len(changes) > 0 {
		b.Queue(`
			INSERT INTO service_level_changes (service_id, from_level, to_level, ceiling, failed, at)
			SELECT id, f, t, c, ARRAY(SELECT jsonb_array_elements_text(failed::jsonb)), at
			FROM unnest($1::bigint[], $2::int[], $3::int[], $4::int[], $5::text[], $6::timestamptz[])
				WITH ORDINALITY AS u(id, f, t, c, failed, at, n)
			ORDER BY n RETURNING id`, cIDs, cFrom, cTo, cCeil, cFailed, cAt).Query(func(rows pgx.Rows) error {
			var err error
			changeIDs, err = pgx.CollectRows(rows, pgx.RowTo[int64])
			return err
		})
	}
	if err := tx.SendBatch(ctx, &b).Close(); err != nil {
		return nil, fmt.Errorf("write grades: %w", err)
	}
	if len(changeIDs) != len(changes) {
		return nil, fmt.Errorf("write grades: %d changes recorded of %d", len(changeIDs), len(changes))
	}
	for i := range changes {
		changes[i].ID = changeIDs[i]
	}
	return changes, nil
}

// missingColumn is a grade's missing checks as service_grades.missing
// holds them (migration 020): "status id" each, in order.
func missingColumn(missing []scorecard.Result) []string {
	out := make([]string, len(missing))
	for i, r := range missing {
		out[i] = r.Status.String() + " " + r.ID
	}
	return out
}

// ServicesOfProject returns the ids of the active services the repo of
// GitLab project gitlabID provides (its descriptor's), by id.
func (s *Store) ServicesOfProject(ctx context.Context, gitlabID int64) ([]int64, error) {
	ids, err := queryIDs(ctx, s.pool, fmt.Sprintf("services of project %d", gitlabID), `
		SELECT sr.service_id FROM service_repos sr JOIN repos r ON r.id = sr.repo_id
		JOIN services s ON s.id = sr.service_id
		WHERE r.gitlab_id = $1 AND s.status = 'active' ORDER BY 1`, gitlabID)
	if err != nil {
		return nil, err
	}
	return ids, nil
}

// UngradedServices returns the ids of the active services whose grade is
// missing, was made by another card than cardHash, or is older than the
// last sync of one of their repos: those to grade again, up to limit (all
// when limit <= 0), by id.
func (s *Store) UngradedServices(ctx context.Context, cardHash string, limit int) ([]int64, error) {
	var lim any
	if limit > 0 {
		lim = limit
	}
	ids, err := queryIDs(ctx, s.pool, "services to grade", `
		SELECT s.id FROM services s LEFT JOIN service_grades g ON g.service_id = s.id
		WHERE s.status = 'active' AND (g.service_id IS NULL OR g.card_hash <> $1
			OR EXISTS (SELECT 1 FROM service_repos sr JOIN repos r ON r.id = sr.repo_id
				WHERE sr.service_id = s.id AND r.synced_at > g.graded_at))
		ORDER BY s.id LIMIT $2`, cardHash, lim)
	if err != nil {
		return nil, err
	}
	return ids, nil
}

// PendingDrops returns the drops recorded since a time whose team's
// channel has not been told yet, oldest first.
func (s *Store) PendingDrops(ctx context.Context, since time.Time) ([]LevelChange, error) {
	rows, err := s.pool.Query(ctx, changeSelect+`
		WHERE c.notified_at IS NULL AND c.to_level < c.from_level AND c.at >= $1
		ORDER BY c.at, c.id`, since)
	if err != nil {
		return nil, fmt.Errorf("pending drops: %w", err)
	}
	out, err := collectChanges(rows)
	if err != nil {
		return nil, fmt.Errorf("pending drops: %w", err)
	}
	return out, nil
}

// ClaimDrop claims the drop with id to tell its team, for the claimant by:
// it succeeds when the drop is not told yet and not claimed, or claimed
// more than takeOver ago (its claimant died). Only the claimant tells; it
// then calls DropTold, or DropNotTold to let it be claimed again.
func (s *Store) ClaimDrop(ctx context.Context, id int64, by string, takeOver time.Duration) (bool, error) {
	now := s.Now()
	tag, err := s.pool.Exec(ctx, `
		UPDATE service_level_changes SET claimed_at = $2, claimed_by = $3, attempts = attempts + 1
		WHERE id = $1 AND notified_at IS NULL AND to_level < from_level
			AND (claimed_at IS NULL OR claimed_at < $4)`, id, now, by, now.Add(-takeOver))
	if err != nil {
		return false, fmt.Errorf("claim drop %d: %w", id, err)
	}
	return tag.RowsAffected() == 1, nil
}

// DropTold records that the drop with id was told, in channel (empty when
// there was no channel to tell), by its claimant by. Returns ErrConflict
// when by no longer holds the claim.
func (s *Store) DropTold(ctx context.Context, id int64, by, channel string) error {
	tag, err := s.pool.Exec(ctx, `
		UPDATE service_level_changes SET notified_at = $3, channel = $4, last_error = ''
		WHERE id = $1 AND claimed_by = $2 AND notified_at IS NULL`, id, by, s.Now(), channel)
	if err != nil {
		return fmt.Errorf("drop %d told: %w", id, err)
	}
	if tag.RowsAffected() != 1 {
		return fmt.Errorf("drop %d told: %w: claimed by another", id, ErrConflict)
	}
	return nil
}

// DropNotTold releases the claimant by's claim on the drop with id after a
// failure to tell it, recording why: it may be claimed again at once.
func (s *Store) DropNotTold(ctx context.Context, id int64, by, why string) error {
	if _, err := s.pool.Exec(ctx, `
		UPDATE service_level_changes SET claimed_at = NULL, claimed_by = '', last_error = $3
		WHERE id = $1 AND claimed_by = $2 AND notified_at IS NULL`, id, by, why); err != nil {
		return fmt.Errorf("drop %d not told: %w", id, err)
	}
	return nil
}
