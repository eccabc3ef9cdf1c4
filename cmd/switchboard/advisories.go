package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/switchboard-dev/switchboard/advisories"
)

// advisoriesLoadBatch is how many records one transaction stores.
const advisoriesLoadBatch = 500

// runAdvisories is `switchboard advisories load|show ...`.
func runAdvisories(ctx context.Context, args []string, env *Env) int {
	usage := func(w io.Writer) {
		fmt.Fprintln(w, "Usage:")
		fmt.Fprintln(w, "  switchboard advisories load [--data-dir DIR] FILE...   load OSV records: JSON files, directories, osv.dev export zips (all.zip)")
		fmt.Fprintln(w, "  switchboard advisories show [--data-dir DIR] ID        an advisory by id or alias (CVE-...), from the store, else the OSV API ($"+advisories.EnvAPIURL+"; off for none)")
	}
	if len(args) == 0 {
		usage(env.Stderr)
		return 2
	}
	switch args[0] {
	case "load":
		return advisoriesLoad(ctx, args[1:], env)
	case "show":
		return advisoriesShow(ctx, args[1:], env)
	case "-h", "--help", "help":
		usage(env.Stdout)
		return 0
	}
	fmt.Fprintf(env.Stderr, "switchboard advisories: unknown command %q\n", args[0])
	usage(env.Stderr)
	return 2
}

// advisoriesLoad loads OSV records into the store. Exit 0 when every record
// was read, 1 when some were malformed (the others are loaded) or storing
// failed, 2 on bad usage.
func advisoriesLoad(ctx context.Context, args []string, env *Env) int {
	fs := flag.NewFlagSet("advisories load", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	var dbf dbFlags
	dbf.register(fs)
	paths, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return 2
	}
	if len(paths) == 0 {
		fmt.Fprintln(env.Stderr, "usage: switchboard advisories load [--data-dir DIR] FILE...")
		return 2
	}
	log := newLogger(env.Stderr, env, slog.LevelWarn)
	db, err := openDatabase(ctx, dbf, env, log, "switchboard")
	if err != nil {
		fmt.Fprintln(env.Stderr, "switchboard advisories load:", err)
		return 1
	}
	defer db.Close()
	store := advisories.NewStore(db.Pool)

	var (
		sum   loadSummary
		batch []*advisories.Record
	)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		out, err := store.Put(ctx, batch)
		if err != nil {
			return err
		}
		for _, o := range out {
			sum.add(o)
		}
		batch = batch[:0]
		return nil
	}
	err = advisories.Read(paths, func(it advisories.Item) error {
		if it.Err != nil {
			sum.malformed++
			fmt.Fprintf(env.Stderr, "%s: %v\n", it.Source, it.Err)
			return nil
		}
		batch = append(batch, it.Record)
		if len(batch) == advisoriesLoadBatch {
			return flush()
		}
		return ctx.Err()
	})
	if err == nil {
		err = flush()
	}
	fmt.Fprintln(env.Stdout, sum)
	if err != nil {
		fmt.Fprintln(env.Stderr, "switchboard advisories load:", err)
		return 1
	}
	if sum.malformed > 0 {
		return 1
	}
	return 0
}

// loadSummary counts what a load did.
type loadSummary struct {
	inserted, updated, skipped, malformed int
}

func (s *loadSummary) add(o advisories.Outcome) {
	switch o {
	case advisories.Inserted:
		s.inserted++
	case advisories.Updated:
		s.updated++
	default:
		s.skipped++
	}
}

// String is the load's one-line summary.
func (s loadSummary) String() string {
	return fmt.Sprintf("advisories: loaded %d (new %d, updated %d), skipped %d already up to date, malformed %d",
		s.inserted+s.updated, s.inserted, s.updated, s.skipped, s.malformed)
}

// advisoriesShow prints the advisories known by an id, and the packages and
// ranges each affects.
func advisoriesShow(ctx context.Context, args []string, env *Env) int {
	fs := flag.NewFlagSet("advisories show", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	var dbf dbFlags
	dbf.register(fs)
	ids, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return 2
	}
	if len(ids) != 1 {
		fmt.Fprintln(env.Stderr, "usage: switchboard advisories show [--data-dir DIR] ID")
		return 2
	}
	var api *advisories.Client
	if u := env.Getenv(advisories.EnvAPIURL); u != "off" {
		if api, err = advisories.NewClient(u, nil); err != nil {
			fmt.Fprintln(env.Stderr, "switchboard advisories show:", err)
			return 2
		}
	}
	log := newLogger(env.Stderr, env, slog.LevelWarn)
	db, err := openDatabase(ctx, dbf, env, log, "switchboard")
	if err != nil {
		fmt.Fprintln(env.Stderr, "switchboard advisories show:", err)
		return 1
	}
	defer db.Close()
	f := &advisories.Finder{Store: advisories.NewStore(db.Pool), API: api}
	recs, err := f.Find(ctx, ids[0])
	if err != nil {
		fmt.Fprintln(env.Stderr, "switchboard advisories show:", err)
		return 1
	}
	for _, r := range recs {
		writeAdvisory(env.Stdout, r)
	}
	return 0
}

// writeAdvisory prints one record: id, aliases, summary, then one line per
// affected package with its ranges and listed versions.
func writeAdvisory(w io.Writer, r *advisories.Record) {
	fmt.Fprintf(w, "%s", r.ID)
	if len(r.Aliases) > 0 {
		fmt.Fprintf(w, " (%s)", strings.Join(r.Aliases, ", "))
	}
	if r.Summary != "" {
		fmt.Fprintf(w, ": %s", r.Summary)
	}
	fmt.Fprintln(w)
	if !r.Withdrawn.IsZero() {
		fmt.Fprintf(w, "  withdrawn %s\n", r.Withdrawn.Format("2006-01-02"))
	}
	for _, p := range r.Packages {
		var ranges []string
		for _, rg := range p.Ranges {
			ranges = append(ranges, rg.String())
		}
		if len(p.Versions) > 0 {
			ranges = append(ranges, "versions "+strings.Join(p.Versions, " "))
		}
		fmt.Fprintf(w, "  %s %s: %s\n", p.Package.Ecosystem, p.Package.Name, strings.Join(ranges, "; "))
	}
}
