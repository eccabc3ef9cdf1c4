// Command switchboard is the Slack bot that is an organisation's service
// catalog and on-call switchboard. Run "switchboard help" for its
// subcommands.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], &Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv})
	stop()
	os.Exit(code)
}

// subcommand is one of switchboard's verbs. It returns the process exit
// code: 0 success, 1 the work found problems or failed, 2 bad usage.
type subcommand struct {
	summary string
	run     func(ctx context.Context, args []string, env *Env) int
}

// Env is what a subcommand gets from the process: its streams and
// environment variables (a function, so tests can supply their own).
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
}

func subcommands() map[string]subcommand {
	return map[string]subcommand{
		"demo": {"Run the demo: a sample organisation and a shell of slash commands", runDemo},
		"lint": {"Check descriptor files (catalog-info.yaml, opslevel.yml): lint [--format text|json|codequality] [PATH...]", func(ctx context.Context, a []string, e *Env) int {
			return lintCommand(ctx, a, e.Stdout, e.Stderr, e.Getenv)
		}},
		"advisories": {"Load OSV advisories (JSON, directories, export zips) or show one: advisories load FILE... | show ID", runAdvisories},
		"config": {"Validate the organisation's standards file: config check [FILE]", func(ctx context.Context, a []string, e *Env) int {
			if len(a) == 0 || a[0] != "check" {
				fmt.Fprintln(e.Stderr, "usage: switchboard config check [FILE]")
				return 2
			}
			return configCheckCommand(ctx, a[1:], e.Stdout, e.Stderr, e.Getenv)
		}},
		"migrate":   {"Apply database migrations and exit", runMigrate},
		"mcp":       {"Serve the MCP tools over stdio for a local AI assistant (DATABASE_URL or the embedded database)", runMCP},
		"token":     {"Manage the API's bearer tokens: token create NAME | revoke NAME | list", runToken},
		"scorecard": {"The services' levels against the scorecard, for reports and CI: scorecard [--format text|json|csv] [--team T] [--fail-below LEVEL]", runScorecard},
		"digest":    {"Print today's digest, or post it now: digest [--post] [--teams]", runDigest},
		"serve":     {"Run the Slack bot (Socket Mode and/or signed HTTP)", runServe},
		"sync":      {"Sync the catalog from GitLab once, with progress and a summary", runSync},
	}
}

func run(ctx context.Context, args []string, env *Env) int {
	stdout, stderr := env.Stdout, env.Stderr
	subs := subcommands()
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout, subs)
		return 0
	}
	sub, ok := subs[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "switchboard: unknown command %q\n\n", args[0])
		usage(stderr, subs)
		return 2
	}
	return sub.run(ctx, args[1:], env)
}

func usage(w io.Writer, subs map[string]subcommand) {
	fmt.Fprintln(w, "Switchboard: the service catalog and on-call switchboard in Slack.")
	fmt.Fprintln(w, "\nUsage: switchboard COMMAND [flags]\n\nCommands:")
	for _, name := range sortedKeys(subs) {
		fmt.Fprintf(w, "  %-10s %s\n", name, subs[name].summary)
	}
	fmt.Fprintln(w, "\nRun 'switchboard COMMAND -h' for a command's flags.")
}
