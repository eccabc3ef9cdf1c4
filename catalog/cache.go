package catalog

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// changeChannel is the Postgres notification channel the catalog's
// triggers signal on (migration 003).
const changeChannel = "catalog_changed"

// Cache answers FindService and Profile from an in-memory copy of the
// catalog (services, teams, people, repos: a few MB for 10,000 services),
// in front of a Store. It is kept current through Postgres: triggers NOTIFY
// on every change, from any replica, and Run LISTENs. From a change until
// the copy is reloaded, and whenever Run is not listening, every call goes
// to the Store, so the cache never answers with something it cannot know
// to be current. "Did you mean" suggestions always come from the Store
// (pg_trgm).
type Cache struct {
	store *Store
	log   *slog.Logger
	// Debounce is how long Run waits after a change for more changes
	// before reloading (a sync changes many rows in a row).
	Debounce time.Duration

	mu   sync.RWMutex
	snap *snapshot // nil: not usable (stale or not listening)
	gen  uint64    // bumped on every change notification

	graph graphMemo // the service graph, kept for one gen (graph.go)
}

// snapshot is the catalog in memory.
type snapshot struct {
	byID    map[int64]*Profile
	byName  map[string][]int64 // lower(name) -> ids, namespace order
	byAlias map[string][]int64 // lower(alias) -> ids
}

// NewCache returns a cache over store. Until Run is started and has loaded
// the catalog, it passes every call to store.
func NewCache(store *Store) *Cache {
	return &Cache{store: store, log: store.log, Debounce: 200 * time.Millisecond}
}

// Run keeps the cache current until ctx ends. It reconnects with a growing
// pause (up to 30 s) when its connection is lost, passing calls to the
// store meanwhile.
func (c *Cache) Run(ctx context.Context) error {
	pause := 100 * time.Millisecond
	for {
		err := c.listen(ctx)
		c.invalidate()
		if ctx.Err() != nil {
			return nil
		}
		c.log.Warn("catalog cache: lost change notifications; answering from the database until reconnected", "err", err, "retry_in", pause)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(pause):
		}
		pause = min(2*pause, 30*time.Second)
	}
}

func (c *Cache) invalidate() {
	c.mu.Lock()
	c.snap = nil
	c.gen++
	c.mu.Unlock()
}

func (c *Cache) listen(ctx context.Context) error {
	conn, err := c.store.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("acquire listener connection: %w", err)
	}
	// The connection ends in LISTEN state: take it out of the pool for good.
	pc := conn.Hijack()
	defer pc.Close(context.Background())
	if _, err := pc.Exec(ctx, "LISTEN "+changeChannel); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	c.invalidate() // anything may have changed before LISTEN
	for {
		// Reload once no change has come for Debounce.
		wctx, cancel := context.WithTimeout(ctx, c.Debounce)
		_, err := pc.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			c.invalidate()
			continue
		case ctx.Err() != nil:
			return ctx.Err()
		case !pgconn.Timeout(err): // a timeout leaves the connection usable
			return fmt.Errorf("wait for notification: %w", err)
		}
		c.mu.RLock()
		stale, gen := c.snap == nil, c.gen
		c.mu.RUnlock()
		if stale {
			if err := c.reload(ctx, gen); err != nil {
				c.log.Warn("catalog cache: reload failed; answering from the database", "err", err)
			}
		}
	}
}

// reload loads the catalog and installs it if no change came meanwhile.
func (c *Cache) reload(ctx context.Context, gen uint64) error {
	s, err := c.store.loadSnapshot(ctx)
	if err != nil {
		return err
	}
	c.mu.Lock()
	installed := c.gen == gen
	if installed {
		c.snap = s
	}
	c.mu.Unlock()
	if installed {
		c.refreshGraph(ctx) // graph.go: once /blast or /page has used it
	}
	return nil
}

// Live reports whether answers currently come from memory.
func (c *Cache) Live() bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.snap != nil
}

func (c *Cache) current() *snapshot {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.snap
}

// FindService is Store.FindService, from memory when possible.
func (c *Cache) FindService(ctx context.Context, query string) (Lookup, error) {
	s := c.current()
	if s == nil {
		return c.store.FindService(ctx, query)
	}
	query = strings.TrimSpace(query)
	l := Lookup{Query: query}
	if query == "" {
		return l, nil
	}
	namespace, name := splitRef(query)
	pick := func(ids []int64) []Service {
		var out []Service
		for _, id := range ids {
			if p := s.byID[id]; p != nil && (namespace == "" || p.Service.Namespace == namespace) {
				out = append(out, p.Service)
			}
		}
		return out
	}
	key := strings.ToLower(name)
	if l.Services = pick(s.byName[key]); len(l.Services) > 0 {
		l.Kind = MatchCaseInsensitive
		for _, svc := range l.Services {
			if svc.Name == name {
				l.Kind = MatchExact
			}
		}
		return l, nil
	}
	if l.Services = pick(s.byAlias[key]); len(l.Services) > 0 {
		l.Kind = MatchAlias
		return l, nil
	}
	var err error
	if l.Suggestions, err = c.store.suggest(ctx, name); err != nil {
		return l, fmt.Errorf("find service %q: %w", query, err)
	}
	return l, nil
}

// Profile is Store.Profile, from memory when possible.
func (c *Cache) Profile(ctx context.Context, id int64) (Profile, error) {
	if s := c.current(); s != nil {
		if p, ok := s.byID[id]; ok {
			return *p, nil
		}
	}
	return c.store.Profile(ctx, id)
}

// loadSnapshot reads every service with its team, people and repos, in
// one repeatable-read transaction so that the parts agree.
func (s *Store) loadSnapshot(ctx context.Context) (*snapshot, error) {
	snap := &snapshot{byID: map[int64]*Profile{}, byName: map[string][]int64{}, byAlias: map[string][]int64{}}
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, serviceSelect+` ORDER BY s.namespace, s.name`)
		if err != nil {
			return err
		}
		services, err := collectServices(rows)
		if err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `SELECT `+teamColumns+` FROM teams`)
		if err != nil {
			return err
		}
		teams, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Team, error) { return scanTeam(r) })
		if err != nil {
			return err
		}
		teamByName := map[string]*Team{}
		for i := range teams {
			teamByName[strings.ToLower(teams[i].Name)] = &teams[i]
		}
		rows, err = tx.Query(ctx, `
			SELECT DISTINCT m.team_id, `+prefixed("p.", personColumns)+`
			FROM people p JOIN team_members m ON m.person_id = p.id
			ORDER BY m.team_id, p.name, p.email`)
		if err != nil {
			return err
		}
		members := map[int64][]Person{}
		for rows.Next() {
			var teamID int64
			var p Person
			if err := rows.Scan(&teamID, &p.ID, &p.Name, &p.Email, &p.SlackUserID, &p.GitLabUsername, &p.PagerDutyUserID); err != nil {
				rows.Close()
				return err
			}
			members[teamID] = append(members[teamID], p)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `SELECT sr.service_id, `+repoColumns+`, sr.subpath FROM repos r JOIN service_repos sr ON sr.repo_id = r.id WHERE r.deleted_at IS NULL ORDER BY r.path`)
		if err != nil {
			return err
		}
		repos := map[int64][]Repo{}
		for rows.Next() {
			var sid int64
			var sub string
			repo, err := scanRepo(prefixRow{row: rows, first: &sid}, &sub)
			if err != nil {
				rows.Close()
				return err
			}
			repo.Subpath = sub
			repos[sid] = append(repos[sid], repo)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		for _, svc := range services {
			p := &Profile{Service: svc, Repos: repos[svc.ID]}
			if t := teamByName[strings.ToLower(svc.Team)]; t != nil && svc.Team != "" {
				p.Team = t
				p.Members = members[t.ID]
			}
			snap.byID[svc.ID] = p
			key := strings.ToLower(svc.Name)
			snap.byName[key] = append(snap.byName[key], svc.ID)
			for _, a := range svc.Aliases {
				ak := strings.ToLower(a)
				snap.byAlias[ak] = append(snap.byAlias[ak], svc.ID)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load catalog into memory: %w", err)
	}
	return snap, nil
}
