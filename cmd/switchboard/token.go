package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"text/tabwriter"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
)

// runToken is "switchboard token create NAME | revoke NAME | list": the
// API's bearer tokens, for admins with access to the database. A created
// token is printed once, alone on stdout (for a script to capture); the
// catalog keeps only its hash. Creations and revocations are audited
// with the actor --by (default cli:$USER).
func runToken(ctx context.Context, args []string, env *Env) int {
	const usageLine = "usage: switchboard token create NAME | revoke NAME | list [--all] [--by WHO] [--data-dir DIR]"
	if len(args) == 0 {
		fmt.Fprintln(env.Stderr, usageLine)
		return 2
	}
	verb := args[0]
	fs := flag.NewFlagSet("token "+verb, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	var dbf dbFlags
	dbf.register(fs)
	by := fs.String("by", "cli:"+cmp.Or(env.Getenv("USER"), "unknown"), "who creates or revokes the token, for the audit log")
	all := fs.Bool("all", false, "list: revoked tokens too")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	var name string
	switch verb {
	case "create", "revoke":
		if fs.NArg() != 1 {
			fmt.Fprintf(env.Stderr, "switchboard token %s: give the token's name, e.g. switchboard token %s deploy-pipeline\n%s\n", verb, verb, usageLine)
			return 2
		}
		name = fs.Arg(0)
	case "list":
		if fs.NArg() != 0 {
			fmt.Fprintf(env.Stderr, "switchboard token list: unexpected argument %q\n%s\n", fs.Arg(0), usageLine)
			return 2
		}
	default:
		fmt.Fprintf(env.Stderr, "switchboard token: unknown action %q\n%s\n", verb, usageLine)
		return 2
	}
	log := newLogger(env.Stderr, env, slog.LevelWarn)
	db, err := openDatabase(ctx, dbf, env, log, "switchboard")
	if err != nil {
		fmt.Fprintln(env.Stderr, "switchboard token:", err)
		return 1
	}
	defer db.Close()
	store := catalog.NewStore(db.Pool, log)
	switch verb {
	case "create":
		t, secret, err := store.CreateAPIToken(ctx, name, *by)
		if err != nil {
			fmt.Fprintln(env.Stderr, "switchboard token create:", err)
			return tokenExit(err)
		}
		fmt.Fprintln(env.Stdout, secret)
		fmt.Fprintf(env.Stderr, "Created API token %q (%s…). It is shown this once: Switchboard keeps only its hash.\nUse it as: Authorization: Bearer <token>. Revoke it with: switchboard token revoke %s\n", t.Name, t.Prefix, t.Name)
	case "revoke":
		t, err := store.RevokeAPIToken(ctx, name, *by)
		if err != nil {
			fmt.Fprintln(env.Stderr, "switchboard token revoke:", err)
			return tokenExit(err)
		}
		fmt.Fprintf(env.Stdout, "Revoked API token %q (%s…): refused from now on.\n", t.Name, t.Prefix)
	case "list":
		tokens, err := store.APITokens(ctx, *all)
		if err != nil {
			fmt.Fprintln(env.Stderr, "switchboard token list:", err)
			return 1
		}
		if len(tokens) == 0 {
			fmt.Fprintln(env.Stdout, "No API tokens. Create one with: switchboard token create NAME")
			return 0
		}
		w := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "NAME\tPREFIX\tCREATED BY\tCREATED\tLAST USED\tREVOKED")
		for _, t := range tokens {
			fmt.Fprintf(w, "%s\t%s…\t%s\t%s\t%s\t%s\n", t.Name, t.Prefix, t.CreatedBy, when(t.CreatedAt), when(t.LastUsedAt), when(t.RevokedAt))
		}
		_ = w.Flush()
	}
	return 0
}

// tokenExit is 2 for a mistake of the caller's (a bad or taken name, no
// such token), 1 otherwise.
func tokenExit(err error) int {
	if errors.Is(err, catalog.ErrInvalid) || errors.Is(err, catalog.ErrConflict) || errors.Is(err, catalog.ErrNotFound) {
		return 2
	}
	return 1
}

// when is a time in RFC 3339 (UTC), "-" when zero.
func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
