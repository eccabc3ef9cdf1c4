// Package pgtest gives tests a real, migrated Postgres database: one server
// per test binary, started by Main from the system's PostgreSQL binaries, and
// a fresh database per test cloned from a migrated template by pgtestdb
// (dropped when the test passes, kept and named when it fails).
//
// Set TEST_DATABASE_URL to use a running server instead of starting one.
package pgtest

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver pgtestdb uses
	"github.com/peterldowns/pgtestdb"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/migrations"
	"github.com/switchboard-dev/switchboard/pgserver"
)

// server is the test binary's Postgres, set by Main. Test helpers are the
// one place a package-level variable is the simplest honest design: tests
// cannot receive arguments from TestMain.
var server struct {
	conf pgtestdb.Config
	srv  *pgserver.Server
	err  error
}

// Main starts a throwaway Postgres server (unless TEST_DATABASE_URL is set),
// runs the tests and stops the server. Call it from TestMain.
func Main(m *testing.M) {
	code := run(m)
	os.Exit(code)
}

func run(m *testing.M) int {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		server.conf, server.err = configFromURL(u)
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "sbpg-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	// The postgres OS user (when the tests run as root) must reach the
	// data directory inside.
	if err := os.Chmod(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	srv, err := pgserver.Start(ctx, pgserver.Options{DataDir: filepath.Join(dir, "data"), Fast: true, DieWithParent: true})
	cancel()
	if err != nil {
		// Let each test fail with the reason, rather than exiting silently.
		server.err = fmt.Errorf("start test postgres: %w", err)
		return m.Run()
	}
	defer srv.Stop()
	server.srv = srv
	server.conf = pgtestdb.Config{
		DriverName: "pgx",
		Host:       "localhost",
		Port:       strconv.Itoa(srv.Port()),
		User:       pgserver.User,
		Database:   "postgres",
		Options:    "sslmode=disable&host=" + url.QueryEscape(srv.SocketDir()),
		// The application's own role in production creates pg_trgm; a
		// superuser here keeps tests independent of role setup.
		TestRole: &pgtestdb.Role{Username: "switchboard_test", Password: "switchboard_test", Capabilities: "SUPERUSER"},
	}
	return m.Run()
}

func configFromURL(raw string) (pgtestdb.Config, error) {
	cfg, err := pgx.ParseConfig(raw)
	if err != nil {
		return pgtestdb.Config{}, fmt.Errorf("TEST_DATABASE_URL: %w", err)
	}
	return pgtestdb.Config{
		DriverName: "pgx",
		Host:       "localhost",
		Port:       strconv.Itoa(int(cfg.Port)),
		User:       cfg.User,
		Password:   cfg.Password,
		Database:   cfg.Database,
		Options:    "sslmode=disable&host=" + url.QueryEscape(cfg.Host),
		TestRole:   &pgtestdb.Role{Username: "switchboard_test", Password: "switchboard_test", Capabilities: "SUPERUSER"},
	}, nil
}

// URL returns the connection string of a fresh, migrated database for this
// test. The test fails at once if no server is available.
func URL(t testing.TB) string {
	t.Helper()
	if server.err != nil {
		t.Fatal(server.err)
	}
	if server.conf.DriverName == "" {
		t.Fatal("pgtest: no server; call pgtest.Main(m) from TestMain")
	}
	conf := pgtestdb.Custom(t, server.conf, migrator{})
	return conf.URL()
}

// New returns a pool on a fresh, migrated database for this test, closed
// when the test ends.
func New(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), URL(t))
	if err != nil {
		t.Fatalf("pgtest: connect: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// Server returns the test binary's own Postgres server, or nil when the
// tests use TEST_DATABASE_URL. Tests of restarts and outages use it.
func Server() *pgserver.Server { return server.srv }

// migrator builds pgtestdb's template database with the catalog's own
// migrations.
type migrator struct{}

// Hash identifies the schema by the migration files' names and contents.
func (migrator) Hash() (string, error) {
	h := sha256.New()
	names, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil {
		return "", err
	}
	sort.Strings(names)
	for _, n := range names {
		b, err := fs.ReadFile(migrations.FS, n)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", n, len(b))
		h.Write(b)
	}
	// River's tables are migrated too: a River with new migrations makes a
	// new template.
	rm, err := rivermigrate.New(riverpgxv5.New(nil), nil)
	if err != nil {
		return "", err
	}
	for _, v := range rm.AllVersions() {
		fmt.Fprintf(h, "river\x00%d\x00%s\x00", v.Version, v.SQLUp)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// Migrate applies the catalog's migrations to the template database.
func (migrator) Migrate(ctx context.Context, _ *sql.DB, conf pgtestdb.Config) error {
	conn, err := pgx.Connect(ctx, conf.URL())
	if err != nil {
		return fmt.Errorf("pgtest: connect to template: %w", err)
	}
	defer conn.Close(ctx)
	return catalog.Migrate(ctx, conn, nil)
}
