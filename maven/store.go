package maven

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Store is the POM cache in Postgres (table pom_cache, migration 014),
// shared by replicas. It is safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool
	// ClaimTimeout is how old a claim must be before another replica
	// takes it over (its fetcher died). A minute when 0.
	ClaimTimeout time.Duration
}

// NewStore returns a store over pool, whose schema is migrated.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// storeTimeout bounds each claim, fill and release. They run on a context
// detached from the caller's: a caller whose context ended while the
// claim's COMMIT was on its way would hold a committed claim it does not
// know of, and every replica's need of that POM would wait ClaimTimeout
// for it; likewise a fill or release cut short leaves the claim behind.
const storeTimeout = 10 * time.Second

// detach returns ctx without its cancellation, bounded by storeTimeout.
func detach(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
}

// claim is the outcome of claimPOM.
type claim int

const (
	// claimed: the caller must fetch the POM and fill (or release) it.
	claimed claim = iota
	// cached: the POM is there.
	cached
	// pending: another fetcher holds the claim.
	pending
)

// claimPOM returns the cached POM of coordinate, or claims its fetch. It
// does not start once ctx is done, but once started it completes whatever
// ctx does (within storeTimeout), so that its outcome is known: the caller
// then releases a claim it no longer wants.
func (s *Store) claimPOM(ctx context.Context, coordinate string) (claim, []byte, error) {
	if err := ctx.Err(); err != nil {
		return 0, nil, fmt.Errorf("claim POM %s: %w", coordinate, err)
	}
	ctx, cancel := detach(ctx)
	defer cancel()
	timeout := s.ClaimTimeout
	if timeout <= 0 {
		timeout = time.Minute
	}
	var (
		out  claim
		data []byte
	)
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO pom_cache (coordinate) VALUES ($1) ON CONFLICT DO NOTHING`, coordinate)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 1 {
			out = claimed
			return nil
		}
		var stale bool
		err = tx.QueryRow(ctx, `SELECT pom, pom IS NULL AND claimed_at < now() - make_interval(secs => $2)
			FROM pom_cache WHERE coordinate = $1`, coordinate, timeout.Seconds()).Scan(&data, &stale)
		if errors.Is(err, pgx.ErrNoRows) {
			// Released between the insert and the select.
			out = pending
			return nil
		}
		if err != nil {
			return err
		}
		switch {
		case data != nil:
			out = cached
		case stale:
			tag, err := tx.Exec(ctx, `UPDATE pom_cache SET claimed_at = now()
				WHERE coordinate = $1 AND pom IS NULL AND claimed_at < now() - make_interval(secs => $2)`, coordinate, timeout.Seconds())
			if err != nil {
				return err
			}
			out = pending
			if tag.RowsAffected() == 1 {
				out = claimed
			}
		default:
			out = pending
		}
		return nil
	})
	if err != nil {
		return 0, nil, fmt.Errorf("claim POM %s: %w", coordinate, err)
	}
	return out, data, nil
}

// fill stores the fetched POM of a claimed coordinate, whether or not ctx
// has ended (within storeTimeout): the POM is in hand and others wait for it.
func (s *Store) fill(ctx context.Context, coordinate string, pom []byte) error {
	ctx, cancel := detach(ctx)
	defer cancel()
	_, err := s.pool.Exec(ctx, `INSERT INTO pom_cache (coordinate, pom, fetched_at, fetches) VALUES ($1, $2, now(), 1)
		ON CONFLICT (coordinate) DO UPDATE SET pom = $2, fetched_at = now(), fetches = pom_cache.fetches + 1
		WHERE pom_cache.pom IS NULL`, coordinate, pom)
	if err != nil {
		return fmt.Errorf("store POM %s: %w", coordinate, err)
	}
	return nil
}

// release drops a claim that was not filled, so that the next need tries
// again at once; it runs whether or not ctx has ended (within
// storeTimeout).
func (s *Store) release(ctx context.Context, coordinate string) error {
	ctx, cancel := detach(ctx)
	defer cancel()
	if _, err := s.pool.Exec(ctx, `DELETE FROM pom_cache WHERE coordinate = $1 AND pom IS NULL`, coordinate); err != nil {
		return fmt.Errorf("release POM claim %s: %w", coordinate, err)
	}
	return nil
}

// Fetches returns the number of coordinates stored and the fetches made
// for them (equal when each was fetched once).
func (s *Store) Fetches(ctx context.Context) (coordinates, fetches int, err error) {
	err = s.pool.QueryRow(ctx, `SELECT count(*), coalesce(sum(fetches), 0) FROM pom_cache WHERE pom IS NOT NULL`).Scan(&coordinates, &fetches)
	if err != nil {
		return 0, 0, fmt.Errorf("count POM fetches: %w", err)
	}
	return coordinates, fetches, nil
}

// Cached is a Repository whose released POMs come from the Store, each
// fetched from Repo once across every replica. SNAPSHOT POMs and version
// lists always come from Repo.
type Cached struct {
	// Repo is where POMs come from (a *Remote).
	Repo Repository
	// Store is the shared cache.
	Store *Store
	// Poll is how often a replica waiting for another's fetch looks
	// again; 20 ms when 0.
	Poll time.Duration
	// MemoryBytes bounds the in-process layer in front of the Store
	// (DefaultMemoryBytes when 0; none when negative). Set it before
	// first use.
	MemoryBytes int

	memOnce sync.Once
	mem     *memory[[]byte]

	// flights are the POMs this process is getting from the Store (or
	// fetching), by coordinate: concurrent needs of one wait for one get.
	flightMu sync.Mutex
	flights  map[string]*entry[[]byte]
}

// memory returns the in-process layer, nil when there is none.
func (r *Cached) memory() *memory[[]byte] {
	r.memOnce.Do(func() {
		switch {
		case r.MemoryBytes == 0:
			r.mem = newMemory[[]byte](DefaultMemoryBytes)
		case r.MemoryBytes > 0:
			r.mem = newMemory[[]byte](r.MemoryBytes)
		}
	})
	return r.mem
}

// FetchPOM returns the POM of c from the cache, or fetches and stores it.
// Within the process, concurrent needs of c make one request of the Store
// (single flight); across replicas, the Store's claim makes one fetch:
// while another replica fetches c, it waits for that fetch.
func (r *Cached) FetchPOM(ctx context.Context, c Coord) ([]byte, error) {
	if c.Snapshot() {
		return r.Repo.FetchPOM(ctx, c)
	}
	key := c.String()
	mem := r.memory()
	for {
		if mem != nil {
			if data, ok := mem.get(key); ok {
				return data, nil
			}
		}
		r.flightMu.Lock()
		f, waiting := r.flights[key]
		if !waiting {
			if r.flights == nil {
				r.flights = map[string]*entry[[]byte]{}
			}
			f = &entry[[]byte]{done: make(chan struct{})}
			r.flights[key] = f
		}
		r.flightMu.Unlock()
		if !waiting {
			return r.fly(ctx, c, key, f)
		}
		select {
		case <-f.done:
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for POM %s: %w", key, ctx.Err())
		}
		// The flight's own context may have ended while ours has not:
		// then look again (and fly, if nobody does).
		if f.err == nil || !errors.Is(f.err, context.Canceled) && !errors.Is(f.err, context.DeadlineExceeded) {
			return f.v, f.err
		}
	}
}

// fly gets the POM of c for every caller waiting on f, and lands.
func (r *Cached) fly(ctx context.Context, c Coord, key string, f *entry[[]byte]) ([]byte, error) {
	poll := r.Poll
	if poll <= 0 {
		poll = 20 * time.Millisecond
	}
	f.v, f.err = r.fetchShared(ctx, c, key, poll)
	if mem := r.memory(); f.err == nil && mem != nil {
		mem.put(key, f.v, len(f.v))
	}
	r.flightMu.Lock()
	delete(r.flights, key)
	r.flightMu.Unlock()
	close(f.done)
	return f.v, f.err
}

// fetchShared returns the POM of c from the Store, fetching it if no
// replica has.
func (r *Cached) fetchShared(ctx context.Context, c Coord, key string, poll time.Duration) ([]byte, error) {
	for {
		st, data, err := r.Store.claimPOM(ctx, key)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		switch st {
		case cached:
			return data, nil
		case claimed:
			data, err := r.fetchClaimed(ctx, c, key)
			if err != nil {
				// Whatever went wrong (ctx ended after the claim
				// committed, the fetch or the fill failed), the claim
				// must not wait ClaimTimeout for a fill that will not come.
				if rerr := r.Store.release(ctx, key); rerr != nil {
					// A stale claim is taken over anyway.
					err = fmt.Errorf("%w (and %w)", err, rerr)
				}
				return nil, err
			}
			return data, nil
		}
		select {
		case <-time.After(poll):
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for POM %s: %w", key, ctx.Err())
		}
	}
}

// fetchClaimed fetches the POM of c, claimed by this caller, and fills the
// claim with it.
func (r *Cached) fetchClaimed(ctx context.Context, c Coord, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("fetch POM %s: %w", key, err)
	}
	data, err := r.Repo.FetchPOM(ctx, c)
	if err != nil {
		return nil, err
	}
	if err := r.Store.fill(ctx, key, data); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return data, nil
}

// Versions lists versions from Repo (a version list changes; never
// cached).
func (r *Cached) Versions(ctx context.Context, groupID, artifactID string) ([]string, error) {
	return r.Repo.Versions(ctx, groupID, artifactID)
}
