package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"sort"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/pgserver"
)

// dbFlags are the database flags shared by every subcommand that needs one.
type dbFlags struct {
	dataDir string
}

func (f *dbFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.dataDir, "data-dir", "", "data directory of the embedded Postgres, used when DATABASE_URL is unset (default $SWITCHBOARD_DATA_DIR, else ~/.local/share/switchboard/postgres; /var/lib/switchboard/postgres for root)")
}

// database is an open, migrated catalog database and whatever must be shut
// down with it.
type database struct {
	Pool   *pgxpool.Pool
	server *pgserver.Server // nil when DATABASE_URL is used
}

// Close closes the pool and stops the embedded server, if this process
// started it.
func (d *database) Close() {
	if d.Pool != nil {
		d.Pool.Close()
	}
	if d.server != nil {
		_ = d.server.Stop()
	}
}

// embedded starts (or joins) the embedded Postgres server.
func embedded(ctx context.Context, f dbFlags, env *Env, log *slog.Logger) (*pgserver.Server, error) {
	dir := f.dataDir
	if dir == "" {
		dir = env.Getenv("SWITCHBOARD_DATA_DIR")
	}
	if dir == "" {
		var err error
		if dir, err = pgserver.DefaultDataDir(); err != nil {
			return nil, err
		}
	}
	srv, err := pgserver.Start(ctx, pgserver.Options{DataDir: dir, Logger: log})
	if err != nil {
		if errors.Is(err, pgserver.ErrNoBinaries) {
			return nil, fmt.Errorf("DATABASE_URL is unset, so Switchboard runs its own PostgreSQL, but %w (or set DATABASE_URL to an existing server)", err)
		}
		return nil, err
	}
	return srv, nil
}

// serverConfig returns the pool configuration (sized by catalog.PoolConfig)
// for DATABASE_URL or, when it
// is unset, for database name on the embedded server, which it starts (the
// caller stops it) and on which it creates name if needed.
func serverConfig(ctx context.Context, f dbFlags, env *Env, log *slog.Logger, name string) (*pgxpool.Config, *pgserver.Server, error) {
	if url := env.Getenv("DATABASE_URL"); url != "" {
		cfg, err := catalog.PoolConfig(url)
		if err != nil {
			return nil, nil, fmt.Errorf("DATABASE_URL: %w", err)
		}
		return cfg, nil, nil
	}
	srv, err := embedded(ctx, f, env, log)
	if err != nil {
		return nil, nil, err
	}
	if err := srv.EnsureDatabase(ctx, name); err != nil {
		_ = srv.Stop()
		return nil, nil, err
	}
	cfg, err := catalog.PoolConfig(srv.URL(name))
	if err != nil {
		_ = srv.Stop()
		return nil, nil, fmt.Errorf("embedded database URL: %w", err)
	}
	return cfg, srv, nil
}

// openDatabase connects to DATABASE_URL or, when it is unset, to database
// name on the embedded server, and applies pending migrations.
func openDatabase(ctx context.Context, f dbFlags, env *Env, log *slog.Logger, name string) (*database, error) {
	cfg, srv, err := serverConfig(ctx, f, env, log, name)
	if err != nil {
		return nil, err
	}
	db := &database{server: srv}
	if db.Pool, err = catalog.ConnectConfig(ctx, cfg); err != nil {
		db.Close()
		return nil, err
	}
	if err := catalog.MigratePool(ctx, db.Pool, log); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
