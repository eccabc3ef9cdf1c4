package catalog

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/switchboard-dev/switchboard/scorecard"
)

// TeamGradeSummaries returns the grades of the active services the team
// owns (its name, ignoring case), worst first as TeamGrades, with only what
// a team's scorecard shows: each service's ID, Namespace, Name and Team,
// and each grade's Level, Ceiling, Next and Missing (each result's ID,
// Level and Status; no Value). Results is nil. It reads a team of 1,000
// services several times faster than TeamGrades, which decodes every
// result of every grade. An unknown team has no grades.
func (s *Store) TeamGradeSummaries(ctx context.Context, team string) ([]ServiceGrade, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT s.id, s.namespace, s.name, t.name, g.level, g.ceiling, COALESCE((g.grade->>'next')::int, 0),
		       ARRAY(SELECT (m->>'status') || ' ' || (m->>'id') FROM jsonb_array_elements(CASE jsonb_typeof(g.grade->'missing') WHEN 'array' THEN g.grade->'missing' ELSE '[]' END) m),
		       g.graded_at
		FROM teams t JOIN services s ON s.team_id = t.id JOIN service_grades g ON g.service_id = s.id
		WHERE lower(t.name) = lower($1) AND s.status = 'active'
		ORDER BY g.level, g.ceiling, lower(s.name), s.namespace`, strings.TrimSpace(team))
	if err != nil {
		return nil, fmt.Errorf("grade summaries of team %q: %w", team, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ServiceGrade, error) {
		var (
			sg      ServiceGrade
			missing []string
		)
		svc, g := &sg.Service, &sg.Grade
		if err := r.Scan(&svc.ID, &svc.Namespace, &svc.Name, &svc.Team, &g.Level, &g.Ceiling, &g.Next, &missing, &sg.GradedAt); err != nil {
			return ServiceGrade{}, err
		}
		g.Missing = make([]scorecard.Result, 0, len(missing))
		for _, m := range missing {
			status, id, _ := strings.Cut(m, " ")
			res := scorecard.Result{ID: id, Level: g.Next}
			if err := res.Status.UnmarshalText([]byte(status)); err != nil {
				return ServiceGrade{}, fmt.Errorf("grade of %s: %w", svc.Name, err)
			}
			g.Missing = append(g.Missing, res)
		}
		return sg, nil
	})
	if err != nil {
		return nil, fmt.Errorf("grade summaries of team %q: %w", team, err)
	}
	return out, nil
}
