package catalog

import (
	"context"
	"fmt"
)

// PageNotices returns the notices of a page by channel: their states
// (for the tests: nothing else reads them).
func (s *Store) PageNotices(ctx context.Context, token string) (map[string]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT channel, state FROM page_dependent_notices WHERE page_token = $1`, token)
	if err != nil {
		return nil, fmt.Errorf("page notices of %s: %w", token, err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var ch, st string
		if err := rows.Scan(&ch, &st); err != nil {
			return nil, fmt.Errorf("page notices of %s: %w", token, err)
		}
		out[ch] = st
	}
	return out, rows.Err()
}
