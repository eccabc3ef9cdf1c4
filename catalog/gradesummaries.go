package catalog

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/switchboard-dev/switchboard/scorecard"
)

// TeamGradeSummaries returns the grades of the active services the team
// owns (its name, ignoring case), worst first as TeamGrades, with only what
// a team's scorecard shows: each service's ID, Namespace, Name and Team,
// and each grade's Level, Ceiling, Next and Missing (each result's ID,
// Level and Status; no Value). Results is nil. It reads them from the
// plain columns PutGrades writes beside the grade's JSON (migration 020),
// not from the JSON: a team of 1,000 services is read several times faster
// than TeamGrades reads it, which decodes every result of every grade. An
// unknown team has no grades.
func (s *Store) TeamGradeSummaries(ctx context.Context, team string) ([]ServiceGrade, error) {
	// Unsorted: the rows are sorted here rather than by the server, which
	// would hold them all to sort them before sending the first; a team of
	// 1,000 was read 1.5 times faster.
	rows, err := s.pool.Query(ctx, `
		SELECT s.id, s.namespace, s.name, t.name, g.level, g.ceiling, g.next_level, g.missing, g.graded_at
		FROM teams t JOIN services s ON s.team_id = t.id JOIN service_grades g ON g.service_id = s.id
		WHERE lower(t.name) = lower($1) AND s.status = 'active'`, strings.TrimSpace(team))
	if err != nil {
		return nil, fmt.Errorf("grade summaries of team %q: %w", team, err)
	}
	var sums []summaryRow
	for rows.Next() {
		var r summaryRow
		if err := rows.Scan(&r.id, &r.namespace, &r.name, &r.team, &r.level, &r.ceiling, &r.next, &r.missing, &r.gradedAt); err != nil {
			rows.Close()
			return nil, fmt.Errorf("grade summaries of team %q: %w", team, err)
		}
		r.lower = strings.ToLower(r.name)
		sums = append(sums, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("grade summaries of team %q: %w", team, err)
	}
	// Worst first, as TeamGrades' ORDER BY; the rows' indexes are sorted,
	// cheaper to move than the rows.
	order := make([]int32, len(sums))
	results := 0
	for i := range sums {
		order[i] = int32(i)
		results += len(sums[i].missing)
	}
	slices.SortFunc(order, func(i, j int32) int {
		a, b := &sums[i], &sums[j]
		return cmp.Or(cmp.Compare(a.level, b.level), cmp.Compare(a.ceiling, b.ceiling),
			strings.Compare(a.lower, b.lower), strings.Compare(a.namespace, b.namespace))
	})
	out := make([]ServiceGrade, len(sums))
	// Every grade's missing results in one allocation.
	all := make([]scorecard.Result, results)
	for i, k := range order {
		r, sg := &sums[k], &out[i]
		sg.Service = Service{ID: r.id, Namespace: r.namespace, Name: r.name, Team: r.team}
		n := len(r.missing)
		sg.Grade = scorecard.Grade{Level: r.level, Ceiling: r.ceiling, Next: r.next, Missing: all[:n:n]}
		all = all[n:]
		sg.GradedAt = r.gradedAt
		for j, m := range r.missing {
			status, id, _ := strings.Cut(m, " ")
			res := &sg.Grade.Missing[j]
			res.ID, res.Level = id, r.next
			if err := res.Status.UnmarshalText([]byte(status)); err != nil {
				return nil, fmt.Errorf("grade summaries of team %q: grade of %s: %w", team, r.name, err)
			}
		}
	}
	return out, nil
}

// summaryRow is one row of TeamGradeSummaries' query, with its name
// lower-cased to sort by.
type summaryRow struct {
	id                    int64
	namespace, name, team string
	lower                 string
	level, ceiling, next  int
	missing               []string
	gradedAt              time.Time
}
