package catalog_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/pgserver"
)

// TestDatabaseRestart: while the database is down, lookups fail with an
// error IsUnavailable recognises; once it is back the same store answers
// again and nothing stored was lost.
func TestDatabaseRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and stops its own Postgres server")
	}
	dir, err := os.MkdirTemp("", "sbrst-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	opts := pgserver.Options{DataDir: filepath.Join(dir, "d")}
	srv, err := pgserver.Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { srv.Stop() }()
	pool, err := catalog.Connect(ctx, srv.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := catalog.MigratePool(ctx, pool, nil); err != nil {
		t.Fatal(err)
	}
	s := catalog.NewStore(pool, nil)
	if _, err := s.PutService(ctx, catalog.Service{Name: "checkout-api", Team: "payments", Source: catalog.SourceImport}); err != nil {
		t.Fatal(err)
	}

	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	_, err = s.FindService(ctx, "checkout-api")
	if err == nil {
		t.Fatal("lookup with the database down: got nil error")
	}
	if !catalog.IsUnavailable(err) {
		t.Fatalf("IsUnavailable(%v): got false, want true", err)
	}

	if srv, err = pgserver.Start(ctx, opts); err != nil {
		t.Fatal(err)
	}
	// The pool replaces its dead connections; allow it a few tries.
	var l catalog.Lookup
	for i := range 20 {
		if l, err = s.FindService(ctx, "checkout-api"); err == nil {
			break
		}
		time.Sleep(time.Duration(i+1) * 50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("after restart: %v", err)
	}
	if len(l.Services) != 1 || l.Services[0].Team != "payments" {
		t.Fatalf("after restart: got %+v, want checkout-api owned by payments", l.Services)
	}
}
