package catalog

import (
	"context"
	"fmt"
	"strings"
)

// DecodeHitsBothWays runs DependentRepos' statement for name twice and
// reads its rows once with the hitDecoder's raw decoding and once with
// pgx's Scan, for a test to compare; fast says whether the raw decoding
// was used.
func (s *Store) DecodeHitsBothWays(ctx context.Context, name string) (raw, scanned []ImpactHit, fast bool, err error) {
	q := `SELECT ` + repoColumns + `, ` + dependencyColumns + ` ` + dependencyJoins + `
		WHERE ` + nameMatch + ` AND r.deleted_at IS NULL ORDER BY r.path, d.source, d.name, d.version`
	for _, useRaw := range []bool{true, false} {
		rows, err := s.pool.Query(ctx, q, strings.TrimSpace(name))
		if err != nil {
			return nil, nil, false, err
		}
		dec := newHitDecoder(rows)
		if useRaw {
			fast = dec.fast
		}
		dec.fast = dec.fast && useRaw
		var hits []ImpactHit
		for rows.Next() {
			hits = append(hits, ImpactHit{})
			if err := dec.decode(rows, &hits[len(hits)-1]); err != nil {
				rows.Close()
				return nil, nil, false, fmt.Errorf("decode (raw %v): %w", useRaw, err)
			}
		}
		if err := rows.Err(); err != nil {
			return nil, nil, false, err
		}
		if useRaw {
			raw = hits
		} else {
			scanned = hits
		}
	}
	return raw, scanned, fast, nil
}
