package catalog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/tern/v2/migrate"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/switchboard-dev/switchboard/migrations"
)

// versionTable records which migrations have been applied.
const versionTable = "public.schema_version"

// Store is the catalog in Postgres. It is safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool
	log  *slog.Logger
	// Now is the store's clock; tests may replace it.
	Now func() time.Time
	// RegistrationJobs, when set, is called inside the transaction that
	// registers a service with a repo (RegisterService), so that the job
	// opening its merge request is committed with the registration or not
	// at all. Set it before the store is shared.
	RegistrationJobs func(ctx context.Context, tx pgx.Tx, reg Registration) error
	// PageLookups, when set, takes over the lookups of unconfirmed pages
	// (FollowPage): main sets it to insert a River job, durable across a
	// restart and worked by any replica. Set it before the store is shared.
	PageLookups func(ctx context.Context, l PageLookup) error
}

// NewStore returns a store over pool. The schema must be migrated (Migrate).
func NewStore(pool *pgxpool.Pool, log *slog.Logger) *Store {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Store{pool: pool, log: log, Now: time.Now}
}

// Pool returns the store's connection pool.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// DefaultMaxConns is the size of a replica's pool: Slack commands and the
// web, plus the background jobs' (up to jobs.DefaultMaxWorkers at once,
// each holding a connection only while it reads or writes the catalog, and
// River's own: the fetcher, the completer, LISTEN, the leader's services).
// pgx's default (4 on a 2-core machine) queues commands behind a sync.
const DefaultMaxConns = 32

// PoolConfig parses url into a pool configuration of DefaultMaxConns
// connections, unless url sets pool_max_conns: the one place a pool is
// sized.
func PoolConfig(url string) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database URL: %w", err)
	}
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = DefaultMaxConns
	}
	return cfg, nil
}

// Connect opens a pool on url (sized by PoolConfig) and checks that the
// server answers.
func Connect(ctx context.Context, url string) (*pgxpool.Pool, error) {
	cfg, err := PoolConfig(url)
	if err != nil {
		return nil, err
	}
	return ConnectConfig(ctx, cfg)
}

// ConnectConfig opens a pool with cfg (from PoolConfig) and checks that
// the server answers.
func ConnectConfig(ctx context.Context, cfg *pgxpool.Config) (*pgxpool.Pool, error) {
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to database %s: %w", redact(cfg.ConnConfig), err)
	}
	return pool, nil
}

func redact(c *pgx.ConnConfig) string {
	return fmt.Sprintf("host=%s port=%d database=%s user=%s", c.Host, c.Port, c.Database, c.User)
}

// migrateLock is the key of the session advisory lock held while the
// schema (the catalog's and River's) is migrated.
const migrateLock = "switchboard:migrate"

// Migrate applies the embedded migrations that are not applied yet, then
// River's (the job queue's tables, by River's own migrator). It holds a
// Postgres advisory lock while it runs, so several processes starting at
// once migrate one after the other, and each later one finds nothing left
// to do.
func Migrate(ctx context.Context, conn *pgx.Conn, log *slog.Logger) error {
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(hashtextextended($1, 0))`, migrateLock); err != nil {
		return fmt.Errorf("migrate: lock: %w", err)
	}
	defer func() {
		// A fresh context: the lock must go even when ctx has ended.
		uctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, _ = conn.Exec(uctx, `SELECT pg_advisory_unlock(hashtextextended($1, 0))`, migrateLock)
	}()
	m, err := migrate.NewMigrator(ctx, conn, versionTable)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if err := m.LoadMigrations(migrations.FS); err != nil {
		return fmt.Errorf("migrate: load migrations: %w", err)
	}
	if log != nil {
		m.OnStart = func(seq int32, name, _, _ string) {
			log.Info("applying migration", "sequence", seq, "name", name)
		}
	}
	if err := m.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return migrateRiver(ctx, conn.Config(), log)
}

// migrateRiver applies River's migrations with River's migrator (each
// version in its own transaction, as some need), over a one-connection pool
// of its own: the caller's connection holds the lock.
func migrateRiver(ctx context.Context, cc *pgx.ConnConfig, log *slog.Logger) error {
	cfg, err := pgxpool.ParseConfig("")
	if err != nil {
		return fmt.Errorf("migrate river: %w", err)
	}
	cfg.ConnConfig = cc.Copy()
	cfg.MaxConns = 1
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("migrate river: connect: %w", err)
	}
	defer pool.Close()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Logger: log})
	if err != nil {
		return fmt.Errorf("migrate river: %w", err)
	}
	res, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return fmt.Errorf("migrate river: %w", err)
	}
	for _, v := range res.Versions {
		log.Info("applied River migration", "version", v.Version, "name", v.Name)
	}
	return nil
}

// MigratePool runs Migrate on a connection taken from pool.
func MigratePool(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrate: acquire connection: %w", err)
	}
	defer conn.Release()
	return Migrate(ctx, conn.Conn(), log)
}

// SchemaVersion returns the number of the last applied migration and of the
// last embedded one; they are equal when the schema is up to date.
func SchemaVersion(ctx context.Context, pool *pgxpool.Pool) (applied, latest int32, err error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("schema version: %w", err)
	}
	defer conn.Release()
	m, err := migrate.NewMigrator(ctx, conn.Conn(), versionTable)
	if err != nil {
		return 0, 0, fmt.Errorf("schema version: %w", err)
	}
	if err := m.LoadMigrations(migrations.FS); err != nil {
		return 0, 0, fmt.Errorf("schema version: %w", err)
	}
	applied, err = m.GetCurrentVersion(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("schema version: %w", err)
	}
	return applied, int32(len(m.Migrations)), nil
}

// RiverSchemaCurrent returns nil when River's tables are migrated to the
// version this binary's River needs, else an error saying what is missing.
func RiverSchemaCurrent(ctx context.Context, pool *pgxpool.Pool) error {
	m, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return fmt.Errorf("river schema: %w", err)
	}
	res, err := m.Validate(ctx, nil)
	if err != nil {
		return fmt.Errorf("river schema: %w", err)
	}
	if !res.OK {
		return fmt.Errorf("river schema not migrated: %s", strings.Join(res.Messages, "; "))
	}
	return nil
}

// inTx runs fn in a transaction, committing when it returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, fn)
}

// queryIDs runs sql, whose rows are one bigint each, through q (the pool
// or a transaction) and returns them in order; what names the read in its
// errors.
func queryIDs(ctx context.Context, q querier, what, sql string, args ...any) ([]int64, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return ids, nil
}

// translate maps Postgres errors to the catalog's: unique violations become
// ErrConflict, check violations ErrInvalid.
func translate(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505":
			return fmt.Errorf("%w: %s", ErrConflict, pgErr.Detail)
		case "23514", "23502":
			return fmt.Errorf("%w: %s", ErrInvalid, pgErr.Message)
		}
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

// IsUnavailable reports whether err means the database could not be reached
// (down, restarting, refusing connections) rather than a bad request; such
// errors are worth retrying.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	var connErr *pgconn.ConnectError
	if errors.As(err, &connErr) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// Class 08: connection exception; 57P01-57P03: admin shutdown,
		// crash shutdown, cannot connect now.
		return pgErr.Code[:2] == "08" || pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03"
	}
	return pgconn.SafeToRetry(err)
}
