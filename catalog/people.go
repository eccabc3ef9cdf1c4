package catalog

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// PeopleByEmail returns the people with these emails, keyed by lower-cased
// email; emails nobody in the catalog has are absent from the map. This is
// how PagerDuty users become Slack users: by the email both know.
func (s *Store) PeopleByEmail(ctx context.Context, emails []string) (map[string]Person, error) {
	out := map[string]Person{}
	var keys []string
	for _, e := range emails {
		if e = strings.ToLower(strings.TrimSpace(e)); e != "" {
			keys = append(keys, e)
		}
	}
	if len(keys) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT `+personColumns+` FROM people WHERE lower(email) = ANY($1)`, keys)
	if err != nil {
		return nil, fmt.Errorf("people by email: %w", err)
	}
	people, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Person, error) { return scanPerson(r) })
	if err != nil {
		return nil, fmt.Errorf("people by email: %w", err)
	}
	for _, p := range people {
		out[strings.ToLower(p.Email)] = p
	}
	return out, nil
}
