package catalog

import (
	"context"
	"fmt"
	"strings"
)

// ServiceFilter narrows ListServices. Empty fields do not filter; set ones
// must all hold.
type ServiceFilter struct {
	// Team is the owning team's name, ignoring case.
	Team string
	// Tier and Lifecycle are matched ignoring case.
	Tier      string
	Lifecycle string
	// Tag is one of the service's tags, exactly.
	Tag string
	// Query is text the service's name, an alias or its title contains,
	// ignoring case (served by the trigram index on names). Full-text
	// search (issue 15) replaces it.
	Query string
}

// ServiceCursor is where a page of ListServices starts: after the service
// with this lower-cased name and namespace (the list's order, unique).
// The zero cursor starts at the beginning.
type ServiceCursor struct {
	Name      string
	Namespace string
}

// CursorOf is the cursor of the page after svc.
func CursorOf(svc Service) ServiceCursor {
	return ServiceCursor{Name: strings.ToLower(svc.Name), Namespace: svc.Namespace}
}

// ListServices returns up to limit services matching f, by lower-cased
// name then namespace, starting after the cursor; more reports whether
// more follow. Pages are stable while the catalog does not change, and a
// change never repeats nor skips a service that stays (keyset paging,
// served by the index of migration 034).
func (s *Store) ListServices(ctx context.Context, f ServiceFilter, after ServiceCursor, limit int) (services []Service, more bool, err error) {
	if limit <= 0 {
		return nil, false, fmt.Errorf("%w: list services: limit %d", ErrInvalid, limit)
	}
	rows, err := s.pool.Query(ctx, serviceSelect+`
		WHERE ($1 = '' AND $2 = '' OR (lower(s.name), s.namespace) > ($1, $2))
		  AND ($3 = '' OR lower(t.name) = lower($3))
		  AND ($4 = '' OR lower(s.tier) = lower($4))
		  AND ($5 = '' OR lower(s.lifecycle) = lower($5))
		  AND ($6 = '' OR $6 = ANY(s.tags))
		  AND ($7 = '' OR lower(s.name) LIKE $8 OR lower(s.title) LIKE $8
		       OR EXISTS (SELECT 1 FROM service_aliases a WHERE a.service_id = s.id AND lower(a.alias) LIKE $8))
		ORDER BY lower(s.name), s.namespace
		LIMIT $9`,
		after.Name, after.Namespace, f.Team, f.Tier, f.Lifecycle, f.Tag, f.Query, likePattern(f.Query), limit+1)
	if err != nil {
		return nil, false, fmt.Errorf("list services: %w", err)
	}
	if services, err = collectServices(rows); err != nil {
		return nil, false, fmt.Errorf("list services: %w", err)
	}
	if len(services) > limit {
		return services[:limit], true, nil
	}
	return services, false, nil
}

// likePattern is a LIKE pattern matching text containing q (lower-cased),
// q's own wildcards escaped.
func likePattern(q string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(strings.ToLower(strings.TrimSpace(q))) + "%"
}
