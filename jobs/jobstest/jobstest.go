// Package jobstest helps tests play replicas that die: a pool whose
// connections can all be cut at once, as when a process is killed.
package jobstest

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Replica is a pool standing for one process's connections to Postgres.
type Replica struct {
	Pool *pgxpool.Pool

	mu    sync.Mutex
	dead  bool
	conns []net.Conn
}

// NewReplica returns a pool on url (maxConns connections; pgx's default
// when zero) whose every connection, including those made later from its
// configuration (a River client's liveness connection), Kill cuts. The pool
// is closed when the test ends.
func NewReplica(t testing.TB, url string, maxConns int32) *Replica {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatalf("jobstest: %v", err)
	}
	if maxConns > 0 {
		cfg.MaxConns = maxConns
	}
	r := &Replica{}
	var d net.Dialer
	cfg.ConnConfig.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.dead {
			return nil, errors.New("jobstest: this replica was killed")
		}
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		r.conns = append(r.conns, c)
		return c, nil
	}
	if r.Pool, err = pgxpool.NewWithConfig(context.Background(), cfg); err != nil {
		t.Fatalf("jobstest: %v", err)
	}
	t.Cleanup(func() {
		r.Kill()
		r.Pool.Close()
	})
	return r
}

// Kill cuts every connection of the replica and refuses new ones: Postgres
// ends their sessions (releasing their advisory locks), and nothing the
// replica was doing reaches the database any more.
func (r *Replica) Kill() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dead = true
	for _, c := range r.conns {
		_ = c.Close()
	}
	r.conns = nil
}
