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
	// IDs, when set, keeps only these services (the ranked hits of a
	// full-text Search, which callers then order by rank).
	IDs []int64
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

// conds are the SQL conditions on services s that f's set fields make,
// their values added through arg (which returns the parameter's $n).
// Only the filters given are in the statement: a parameter that may be
// empty (tested with "OR") would leave the planner's generic plan unable
// to use the list's index.
func (f ServiceFilter) conds(arg func(any) string) []string {
	var where []string
	if f.Team != "" {
		where = append(where, "s.team_id = (SELECT id FROM teams WHERE lower(name) = lower("+arg(f.Team)+"))")
	}
	if f.Tier != "" {
		where = append(where, "lower(s.tier) = lower("+arg(f.Tier)+")")
	}
	if f.Lifecycle != "" {
		where = append(where, "lower(s.lifecycle) = lower("+arg(f.Lifecycle)+")")
	}
	if f.Tag != "" {
		where = append(where, arg(f.Tag)+" = ANY(s.tags)")
	}
	if f.IDs != nil {
		where = append(where, "s.id = ANY("+arg(f.IDs)+"::bigint[])")
	}
	return where
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
	var (
		where []string
		args  []any
	)
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if after != (ServiceCursor{}) {
		where = append(where, fmt.Sprintf("(lower(s.name), s.namespace) > (%s, %s)", arg(after.Name), arg(after.Namespace)))
	}
	where = append(where, f.conds(arg)...)
	sql := serviceSelect
	if len(where) > 0 {
		sql += "\n\t\tWHERE " + strings.Join(where, "\n\t\t  AND ")
	}
	sql += "\n\t\tORDER BY lower(s.name), s.namespace LIMIT " + arg(limit+1)
	rows, err := s.pool.Query(ctx, sql, args...)
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
