package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/mcpserver"
)

// runMCP is "switchboard mcp": the MCP server over stdio, for an assistant
// on an engineer's machine, reading the catalog of DATABASE_URL (or the
// embedded default) with PagerDuty when PAGERDUTY_TOKEN is set. stdout
// carries the protocol only; logs go to stderr.
func runMCP(ctx context.Context, args []string, env *Env) int {
	fs := flag.NewFlagSet("mcp", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	var dbf dbFlags
	dbf.register(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "switchboard mcp: unexpected argument %q\nusage: switchboard mcp [--data-dir DIR]\n", fs.Arg(0))
		return 2
	}
	log := newLogger(env.Stderr, env, slog.LevelWarn)
	pd, err := pagerDutyFromEnv(env.Getenv, log)
	if err != nil {
		fmt.Fprintln(env.Stderr, "switchboard mcp: configuration:", err)
		return 2
	}
	ld, err := loadStandardsKeepingScorecard(env, log)
	if err != nil {
		fmt.Fprintln(env.Stderr, "switchboard mcp:", err)
		return 2
	}
	std := ld.Standards
	if !ld.ScorecardValid() {
		// serve keeps the last good scorecard in force (a write); this
		// read-only server shows no levels meanwhile.
		copied := *std
		copied.Scorecard = nil
		std = &copied
	}
	db, err := openDatabase(ctx, dbf, env, log, "switchboard")
	if err != nil {
		fmt.Fprintln(env.Stderr, "switchboard mcp:", err)
		return 1
	}
	defer db.Close()
	store := catalog.NewStore(db.Pool, log)
	d := deps{log: log, store: store, lookups: store, pagerduty: pd, standards: std}
	srv := mcpserver.New(apiReader(d), buildVersion())
	transport := &mcp.IOTransport{Reader: io.NopCloser(env.Stdin), Writer: nopWriteCloser{env.Stdout}}
	if err := srv.Run(ctx, transport); err != nil && ctx.Err() == nil {
		fmt.Fprintln(env.Stderr, "switchboard mcp:", err)
		return 1
	}
	return 0
}

// nopWriteCloser is a writer the transport may close without closing the
// process's stdout.
type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }
