package catalog_test

import (
	"context"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
)

// TestMigrateConcurrently runs the migrations from several connections at
// once on an empty database: all succeed and the schema is applied once.
func TestMigrateConcurrently(t *testing.T) {
	srv := pgtest.Server()
	if srv == nil {
		t.Skip("needs the test's own server (TEST_DATABASE_URL is set)")
	}
	ctx := context.Background()
	if err := srv.EnsureDatabase(ctx, "migrate_race"); err != nil {
		t.Fatal(err)
	}
	url := srv.URL("migrate_race")
	const n = 6
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := pgx.Connect(ctx, url)
			if err != nil {
				errs <- err
				return
			}
			defer conn.Close(ctx)
			errs <- catalog.Migrate(ctx, conn, nil)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent migrate: %v", err)
		}
	}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	applied, latest, err := catalog.SchemaVersion(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	if applied != latest || latest == 0 {
		t.Fatalf("schema version: got %d of %d", applied, latest)
	}
	if err := catalog.RiverSchemaCurrent(ctx, pool); err != nil {
		t.Fatalf("River's tables after concurrent migrations: %v", err)
	}
}
