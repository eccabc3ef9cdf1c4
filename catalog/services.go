package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// serviceSelect reads services with their owning team's name and aliases.
const serviceSelect = `
	SELECT s.id, s.namespace, s.name, s.title, s.description, COALESCE(t.name, ''),
	       s.lifecycle, s.tier, s.type, s.language, s.framework, s.tags, s.slack_channel,
	       s.pagerduty_service_id, s.pagerduty_integration_key, s.links, s.source, s.status,
	       s.updated_at,
	       ARRAY(SELECT a.alias FROM service_aliases a WHERE a.service_id = s.id ORDER BY a.alias)
	FROM services s LEFT JOIN teams t ON t.id = s.team_id`

func scanService(row pgx.Row) (Service, error) {
	var (
		svc   Service
		links []byte
	)
	err := row.Scan(&svc.ID, &svc.Namespace, &svc.Name, &svc.Title, &svc.Description, &svc.Team,
		&svc.Lifecycle, &svc.Tier, &svc.Type, &svc.Language, &svc.Framework, &svc.Tags, &svc.SlackChannel,
		&svc.PagerDutyServiceID, &svc.PagerDutyIntegrationKey, &links, &svc.Source, &svc.Status,
		&svc.UpdatedAt, &svc.Aliases)
	if err != nil {
		return Service{}, err
	}
	if err := json.Unmarshal(links, &svc.Links); err != nil {
		return Service{}, fmt.Errorf("decode links of %s: %w", svc.Name, err)
	}
	return svc, nil
}

func collectServices(rows pgx.Rows) ([]Service, error) {
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Service, error) { return scanService(r) })
}

// CreateService registers a new service. Returns ErrConflict if its name is
// taken in its namespace (ignoring case), ErrInvalid if it has no name or
// source.
func (s *Store) CreateService(ctx context.Context, svc Service) (Service, error) {
	return s.writeService(ctx, svc, false)
}

// PutService creates the service or replaces the one with the same
// namespace and name (ignoring case): every field, aliases included, takes
// the value in svc. A service that names an owning team not yet in the
// catalog creates that team.
func (s *Store) PutService(ctx context.Context, svc Service) (Service, error) {
	return s.writeService(ctx, svc, true)
}

func (s *Store) writeService(ctx context.Context, svc Service, replace bool) (Service, error) {
	svc.Name = strings.TrimSpace(svc.Name)
	if svc.Namespace == "" {
		svc.Namespace = DefaultNamespace
	}
	if svc.Status == "" {
		svc.Status = StatusActive
	}
	if svc.Name == "" {
		return Service{}, fmt.Errorf("write service: %w: empty name", ErrInvalid)
	}
	if svc.Source == "" {
		return Service{}, fmt.Errorf("write service %q: %w: no source", svc.Name, ErrInvalid)
	}
	var out Service
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		out, err = writeService(ctx, tx, svc, replace)
		return err
	})
	if err != nil {
		return Service{}, fmt.Errorf("write service %q: %w", svc.Ref(), translate(err))
	}
	return out, nil
}

func writeService(ctx context.Context, tx pgx.Tx, svc Service, replace bool) (Service, error) {
	var teamID *int64
	if svc.Team != "" {
		t, err := putTeam(ctx, tx, Team{Name: svc.Team})
		if err != nil {
			return Service{}, fmt.Errorf("owning team %q: %w", svc.Team, err)
		}
		teamID = &t.ID
	}
	links := svc.Links
	if links == nil {
		links = []Link{}
	}
	linksJSON, err := json.Marshal(links)
	if err != nil {
		return Service{}, fmt.Errorf("encode links: %w", err)
	}
	tags := svc.Tags
	if tags == nil {
		tags = []string{}
	}
	onConflict := ""
	if replace {
		onConflict = `
		ON CONFLICT (namespace, lower(name)) DO UPDATE SET
			name = EXCLUDED.name, title = EXCLUDED.title, description = EXCLUDED.description,
			team_id = EXCLUDED.team_id, lifecycle = EXCLUDED.lifecycle, tier = EXCLUDED.tier,
			type = EXCLUDED.type, language = EXCLUDED.language, framework = EXCLUDED.framework,
			tags = EXCLUDED.tags, slack_channel = EXCLUDED.slack_channel,
			pagerduty_service_id = EXCLUDED.pagerduty_service_id,
			pagerduty_integration_key = EXCLUDED.pagerduty_integration_key,
			links = EXCLUDED.links, source = EXCLUDED.source, status = EXCLUDED.status,
			updated_at = now()`
	}
	var id int64
	err = tx.QueryRow(ctx, `
		INSERT INTO services (namespace, name, title, description, team_id, lifecycle, tier, type,
		                      language, framework, tags, slack_channel, pagerduty_service_id,
		                      pagerduty_integration_key, links, source, status)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`+onConflict+`
		RETURNING id`,
		svc.Namespace, svc.Name, svc.Title, svc.Description, teamID, svc.Lifecycle, svc.Tier, svc.Type,
		svc.Language, svc.Framework, tags, svc.SlackChannel, svc.PagerDutyServiceID,
		svc.PagerDutyIntegrationKey, linksJSON, string(svc.Source), svc.Status).Scan(&id)
	if err != nil {
		return Service{}, err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM service_aliases WHERE service_id = $1`, id); err != nil {
		return Service{}, fmt.Errorf("aliases: %w", err)
	}
	for _, a := range svc.Aliases {
		if a = strings.TrimSpace(a); a == "" {
			continue
		}
		if _, err := tx.Exec(ctx, `INSERT INTO service_aliases (service_id, alias) VALUES ($1, $2) ON CONFLICT DO NOTHING`, id, a); err != nil {
			return Service{}, fmt.Errorf("alias %q: %w", a, err)
		}
	}
	return scanService(tx.QueryRow(ctx, serviceSelect+` WHERE s.id = $1`, id))
}

// GetService returns the service with id. Returns ErrNotFound if there is
// none.
func (s *Store) GetService(ctx context.Context, id int64) (Service, error) {
	svc, err := scanService(s.pool.QueryRow(ctx, serviceSelect+` WHERE s.id = $1`, id))
	if err != nil {
		return Service{}, fmt.Errorf("get service %d: %w", id, translate(err))
	}
	return svc, nil
}

// splitRef splits "namespace/name" (namespace lower-cased); a plain name
// has no namespace.
func splitRef(query string) (namespace, name string) {
	if i := strings.IndexByte(query, '/'); i > 0 && i < len(query)-1 {
		return strings.ToLower(query[:i]), query[i+1:]
	}
	return "", query
}

// suggestionLimit is how many "did you mean" names FindService offers.
const suggestionLimit = 5

// FindService looks a service up by what a user typed: "name" or
// "namespace/name". It tries, in order, the exact name, the name ignoring
// case, and aliases (MatchService); several services sharing a name are
// all returned (the caller must not guess). When nothing matches,
// Suggestions holds up to five services whose name or alias is close
// (trigram similarity), best first.
func (s *Store) FindService(ctx context.Context, query string) (Lookup, error) {
	l, err := s.MatchService(ctx, query)
	if err != nil || len(l.Services) > 0 || l.Query == "" {
		return l, err
	}
	_, name := splitRef(l.Query)
	if l.Suggestions, err = s.suggest(ctx, name); err != nil {
		return l, fmt.Errorf("find service %q: %w", l.Query, err)
	}
	return l, nil
}

// MatchService looks a service up by the name (exact, then ignoring case)
// and then its aliases, "namespace/name" narrowing both; it offers no
// Suggestions: FindService adds them, and a
// caller that tries the name as something else first (/scorecard, a team)
// asks for them only when that fails too (the trigram search costs more
// than both lookups).
func (s *Store) MatchService(ctx context.Context, query string) (Lookup, error) {
	query = strings.TrimSpace(query)
	l := Lookup{Query: query}
	if query == "" {
		return l, nil
	}
	namespace, name := splitRef(query)
	// The name (and the alias) as a range of one: the same rows as
	// lower(s.name) = lower($1), but only the b-tree on lower(name) serves
	// a range, where for "=" the planner picks the trigram index at the
	// same estimated cost, and rechecks every name containing the one
	// asked (a team's name, in names like "payments-ledger": 1.2 ms
	// instead of 0.01 at 10,000 services). Aliases are asked only when
	// no name matched (most questions name the service).
	rows, err := s.pool.Query(ctx, serviceSelect+`
		WHERE lower(s.name) >= lower($1) AND lower(s.name) <= lower($1) AND ($2 = '' OR s.namespace = lower($2))
		ORDER BY s.namespace, s.name`, name, namespace)
	if err != nil {
		return l, fmt.Errorf("match service %q: %w", query, err)
	}
	if l.Services, err = collectServices(rows); err != nil {
		return l, fmt.Errorf("match service %q: %w", query, err)
	}
	if len(l.Services) > 0 {
		l.Kind = MatchCaseInsensitive
		for _, svc := range l.Services {
			if svc.Name == name {
				l.Kind = MatchExact
			}
		}
		return l, nil
	}
	rows, err = s.pool.Query(ctx, serviceSelect+`
		WHERE s.id IN (SELECT service_id FROM service_aliases WHERE lower(alias) >= lower($1) AND lower(alias) <= lower($1))
		  AND ($2 = '' OR s.namespace = lower($2))
		ORDER BY s.namespace, s.name`, name, namespace)
	if err != nil {
		return l, fmt.Errorf("match service %q by alias: %w", query, err)
	}
	if l.Services, err = collectServices(rows); err != nil {
		return l, fmt.Errorf("match service %q by alias: %w", query, err)
	}
	if len(l.Services) > 0 {
		l.Kind = MatchAlias
	}
	return l, nil
}

// suggest returns the services whose name or alias is most like name:
// the nearest by trigram distance (the GiST indexes answer "k nearest"
// without scanning), kept when their similarity reaches minSimilarity.
func (s *Store) suggest(ctx context.Context, name string) ([]Suggestion, error) {
	rows, err := s.pool.Query(ctx, `
		WITH candidates AS (
			(SELECT id AS service_id, 1 - (lower(name) <-> lower($1)) AS score
			 FROM services ORDER BY lower(name) <-> lower($1) LIMIT $2)
			UNION ALL
			(SELECT service_id, 1 - (lower(alias) <-> lower($1))
			 FROM service_aliases ORDER BY lower(alias) <-> lower($1) LIMIT $2)
		), best AS (
			SELECT service_id, max(score) AS score FROM candidates
			WHERE score >= $3 GROUP BY service_id
			ORDER BY score DESC, service_id LIMIT $2
		)
		SELECT best.score, q.* FROM best
		JOIN LATERAL (`+serviceSelect+` WHERE s.id = best.service_id) q ON true
		ORDER BY best.score DESC, q.name, q.namespace`, name, suggestionLimit, minSimilarity)
	if err != nil {
		return nil, fmt.Errorf("suggest: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Suggestion, error) {
		var sg Suggestion
		var score float64
		svc, err := scanService(prefixRow{row: r, first: &score})
		sg.Service, sg.Similarity = svc, score
		return sg, err
	})
}

// minSimilarity is the least trigram similarity of a suggestion: pg_trgm's
// own default threshold.
const minSimilarity = 0.3

// prefixRow scans one leading column into first and the rest into the
// destinations given to Scan.
type prefixRow struct {
	row   pgx.Row
	first any
}

func (p prefixRow) Scan(dest ...any) error {
	return p.row.Scan(append([]any{p.first}, dest...)...)
}

// Profile returns everything /whoowns shows about the service with id: the
// service, its owning team and that team's people, and its repos. Returns
// ErrNotFound if there is no such service.
func (s *Store) Profile(ctx context.Context, id int64) (Profile, error) {
	var p Profile
	var err error
	if p.Service, err = s.GetService(ctx, id); err != nil {
		return Profile{}, err
	}
	if p.Service.Team != "" {
		t, err := s.FindTeam(ctx, p.Service.Team)
		if err != nil {
			return Profile{}, fmt.Errorf("profile of %s: %w", p.Service.Ref(), err)
		}
		p.Team = &t
		if p.Members, err = s.TeamMembers(ctx, t.ID); err != nil {
			return Profile{}, fmt.Errorf("profile of %s: %w", p.Service.Ref(), err)
		}
	}
	if p.Repos, err = s.ServiceRepos(ctx, id); err != nil {
		return Profile{}, fmt.Errorf("profile of %s: %w", p.Service.Ref(), err)
	}
	return p, nil
}

// CountServices returns how many services the catalog holds.
func (s *Store) CountServices(ctx context.Context) (int, error) {
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM services`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count services: %w", err)
	}
	return n, nil
}
