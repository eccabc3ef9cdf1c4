package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"

	"github.com/switchboard-dev/switchboard/catalog"
)

// runMigrate is "switchboard migrate": apply pending migrations and say
// where the schema stands.
func runMigrate(ctx context.Context, args []string, env *Env) int {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	var dbf dbFlags
	dbf.register(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	log := newLogger(env.Stderr, env, slog.LevelInfo)
	db, err := openDatabase(ctx, dbf, env, log, "switchboard")
	if err != nil {
		fmt.Fprintln(env.Stderr, "switchboard migrate:", err)
		return 1
	}
	defer db.Close()
	applied, latest, err := catalog.SchemaVersion(ctx, db.Pool)
	if err != nil {
		fmt.Fprintln(env.Stderr, "switchboard migrate:", err)
		return 1
	}
	fmt.Fprintf(env.Stdout, "schema at version %d of %d\n", applied, latest)
	return 0
}
