package jobs

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// A replica that dies leaves the jobs it was working in state running.
// River's own stuck-job rescuer runs every 30 s (not configurable) and only
// rescues jobs running longer than RescueStuckJobsAfter, which must exceed
// the longest job's timeout: minutes. A webhook's promise needs seconds.
//
// So each replica's client has an ID (river.Config.ID, recorded by River
// as the last element of river_job.attempted_by) and, for as long as it
// works jobs, holds a session advisory lock keyed on that ID on a
// connection of its own. Postgres releases the lock when that connection
// ends, which is when the process dies (or its host, once TCP notices). Every
// RescueEvery, each replica moves the running jobs whose last claimant
// holds no liveness lock back to available, in one guarded UPDATE:
//
//   - only jobs claimed by clients built here (IDs starting with idPrefix):
//     a client of another program holds no such lock and would otherwise be
//     robbed of its jobs every second;
//   - FOR UPDATE SKIP LOCKED, so that two replicas rescuing at once, or River
//     completing the job meanwhile, never conflict; River completes a job
//     only if it is still running, so a rescued job is never marked done by
//     the replica that lost it;
//   - a job whose unique key is now held by another job (a newer one
//     inserted while it ran, when running is not among its unique states)
//     is cancelled instead: the newer job does the same work, and making
//     both available would break River's unique index;
//   - the rescued job keeps its attempt count and gains an error saying why.
//
// It is not a River periodic job on purpose: periodic jobs are inserted by
// River's leader, and when the leader is the replica that died, leadership
// moves only once its lease expires (River: elect interval 5 s + 10 s of
// padding, so up to about 15 s), which alone breaks the promise of seconds.
// Each replica runs the check itself; it is one indexed query a second.
//
// The delivery is at least once: a replica whose liveness connection breaks
// while the replica lives has its jobs run again elsewhere. Jobs here are
// idempotent (a repo's sync, a digest with its per-day record).

// DefaultRescueEvery is how often a replica looks for dead replicas' jobs.
const DefaultRescueEvery = time.Second

// idPrefix starts every client ID made here (see NewID).
const idPrefix = "sb-"

// NewID returns a fresh client ID: the host's name and random bits.
func NewID() string {
	host, _ := os.Hostname()
	host = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' {
			return r
		}
		return '_'
	}, host)
	if len(host) > 60 {
		host = host[:60]
	}
	var b [6]byte
	_, _ = crand.Read(b[:])
	return idPrefix + host + "-" + hex.EncodeToString(b[:])
}

// livenessKey is the SQL of a client's lock key from its ID.
const livenessKey = `hashtextextended('switchboard:river-client:' || %s, 0)`

// rescueSQL moves the running jobs of dead replicas back to available (see
// above) and returns the queues that got jobs back.
var rescueSQL = fmt.Sprintf(`
WITH live AS MATERIALIZED (
	-- The liveness locks held now, read once (pg_locks is a snapshot of the
	-- whole lock table: not per job).
	SELECT l.classid, l.objid FROM pg_locks l
	WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
	  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
), dead AS (
	SELECT j.id,
	       j.unique_key IS NOT NULL AND EXISTS (
	           SELECT 1 FROM river_job o
	           WHERE o.unique_key = j.unique_key AND o.id <> j.id AND o.unique_states IS NOT NULL
	             AND river_job_state_in_bitmask(o.unique_states, o.state)) AS superseded
	FROM river_job j
	CROSS JOIN LATERAL (SELECT `+livenessKey+` AS k) key
	WHERE j.state = 'running'
	  AND j.attempted_by[cardinality(j.attempted_by)] LIKE '`+idPrefix+`%%'
	  AND NOT EXISTS (
	      SELECT 1 FROM live
	      WHERE live.classid = ((key.k >> 32) & 4294967295)::oid AND live.objid = (key.k & 4294967295)::oid)
	FOR UPDATE OF j SKIP LOCKED
), moved AS (
	UPDATE river_job j SET
		state = CASE WHEN d.superseded THEN 'cancelled' ELSE 'available' END::river_job_state,
		finalized_at = CASE WHEN d.superseded THEN now() END,
		scheduled_at = now(),
		errors = array_append(j.errors, jsonb_build_object(
			'at', now(), 'attempt', j.attempt, 'trace', '',
			'error', 'the replica working it (' || j.attempted_by[cardinality(j.attempted_by)] || ') died; ' ||
			         CASE WHEN d.superseded THEN 'a newer job does its work' ELSE 'rescued' END))
	FROM dead d
	WHERE j.id = d.id AND j.state = 'running'
	RETURNING j.queue, d.superseded
)
SELECT count(*), coalesce(array_agg(DISTINCT queue) FILTER (WHERE NOT superseded), '{}') FROM moved`,
	`j.attempted_by[cardinality(j.attempted_by)]`)

// liveness holds a replica's liveness lock and rescues dead replicas' jobs.
type liveness struct {
	pool    *pgxpool.Pool
	id      string
	enabled bool // the client works jobs
	every   time.Duration
	log     *slog.Logger

	mu   sync.Mutex
	conn *pgx.Conn // holds the lock; nil when not held

	cancel context.CancelFunc
	done   chan struct{}
}

func newLiveness(pool *pgxpool.Pool, id string, enabled bool, every time.Duration, log *slog.Logger) *liveness {
	return &liveness{pool: pool, id: id, enabled: enabled, every: every, log: log.With("component", "jobs-liveness", "client", id)}
}

// start takes the liveness lock on a connection of its own.
func (l *liveness) start(ctx context.Context) error {
	if !l.enabled {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lockLocked(ctx)
}

func (l *liveness) lockLocked(ctx context.Context) error {
	if l.conn != nil {
		return nil
	}
	cc := l.pool.Config().ConnConfig.Copy()
	if cc.RuntimeParams == nil {
		cc.RuntimeParams = map[string]string{}
	}
	cc.RuntimeParams["application_name"] = "switchboard liveness " + l.id
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return fmt.Errorf("jobs liveness: connect: %w", err)
	}
	var ok bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock(`+fmt.Sprintf(livenessKey, "$1")+`)`, l.id).Scan(&ok); err != nil {
		_ = conn.Close(ctx)
		return fmt.Errorf("jobs liveness: lock: %w", err)
	}
	if !ok {
		_ = conn.Close(ctx)
		return fmt.Errorf("jobs liveness: another process holds client ID %s", l.id)
	}
	l.conn = conn
	return nil
}

// startRescue starts looking for dead replicas' jobs every l.every.
func (l *liveness) startRescue() {
	if !l.enabled {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	l.cancel, l.done = cancel, make(chan struct{})
	go func() {
		defer close(l.done)
		t := time.NewTimer(l.every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if n, err := l.rescue(ctx); err != nil && ctx.Err() == nil {
				l.log.Warn("rescue of dead replicas' jobs", "err", err)
			} else if n > 0 {
				l.log.Info("rescued the jobs of a dead replica", "jobs", n)
			}
			// A little jitter, so that replicas do not query in step.
			t.Reset(l.every - l.every/10 + rand.N(l.every/5+1))
		}
	}()
}

// rescue runs one rescue on the liveness connection (which checks it too:
// a broken one is replaced, and the lock taken again).
func (l *liveness) rescue(ctx context.Context) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn == nil || l.conn.IsClosed() {
		l.conn = nil
		if err := l.lockLocked(ctx); err != nil {
			return 0, err
		}
		l.log.Warn("liveness lock taken again after its connection broke")
	}
	qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	n, err := Rescue(qctx, l.conn)
	if err != nil && l.conn.IsClosed() {
		l.conn = nil
	}
	return n, err
}

// Querier is a connection, pool or transaction.
type Querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// Rescue moves the running jobs of dead replicas back to available once
// (what each replica does every RescueEvery), wakes the replicas that
// work their queues, and returns how many jobs it moved.
func Rescue(ctx context.Context, q Querier) (int64, error) {
	var n int64
	var queues []string
	if err := q.QueryRow(ctx, rescueSQL).Scan(&n, &queues); err != nil {
		return 0, fmt.Errorf("rescue jobs: %w", err)
	}
	if len(queues) > 0 {
		// As River does on insert: fetchers listening wake at once rather
		// than at their next poll.
		if _, err := q.Exec(ctx, `SELECT pg_notify('river_insert', json_build_object('queue', q)::text) FROM unnest($1::text[]) q`, queues); err != nil {
			return n, fmt.Errorf("rescue jobs: notify: %w", err)
		}
	}
	return n, nil
}

// stopRescue stops the rescue loop and waits for it.
func (l *liveness) stopRescue() {
	if l.cancel == nil {
		return
	}
	l.cancel()
	<-l.done
	l.cancel = nil
}

// stop releases the lock by closing its connection.
func (l *liveness) stop() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = l.conn.Close(ctx)
	l.conn = nil
}
