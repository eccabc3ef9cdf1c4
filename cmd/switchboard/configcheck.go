package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/switchboard-dev/switchboard/manifest"
	"github.com/switchboard-dev/switchboard/standards"
)

// configCheckCommand is `switchboard config check [--format text|json] [FILE]`:
// it validates the organisation standards file FILE (default
// $SWITCHBOARD_CONFIG, else the built-in default) and prints each problem as
// path:line:col: severity: message. args are those after `config check` (a
// leading "check" is tolerated). It exits 0 when the file has no error, 1
// when it has, 2 when it cannot be read or the flags are wrong.
func configCheckCommand(_ context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) > 0 && args[0] == "check" {
		args = args[1:]
	}
	flags := flag.NewFlagSet("config check", flag.ContinueOnError)
	flags.SetOutput(stderr)
	format := flags.String("format", "text", "output format: text or json")
	flags.Usage = func() {
		fmt.Fprintln(stderr, "Usage: switchboard config check [--format text|json] [FILE]")
		fmt.Fprintf(stderr, "\nValidates the organisation standards file (default $%s, else the built-in default).\n", standards.EnvConfig)
		fmt.Fprintln(stderr, "Exit status: 0 valid, 1 errors found, 2 the file could not be read.\n\nFlags:")
		flags.PrintDefaults()
	}
	rest, err := parseInterspersed(flags, args)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return 2
	}
	if *format != "text" && *format != "json" {
		fmt.Fprintf(stderr, "config check: unknown --format %q: want text or json\n", *format)
		return 2
	}
	if len(rest) > 1 {
		fmt.Fprintln(stderr, "config check: give at most one FILE")
		return 2
	}
	path := getenv(standards.EnvConfig)
	if len(rest) == 1 {
		path = rest[0]
	}
	name, data := "(built-in default)", standards.DefaultYAML()
	if path != "" {
		name = path
		data, err = os.ReadFile(path)
		if err != nil {
			fmt.Fprintf(stderr, "config check: %v\n", err)
			return 2
		}
	}
	std, findings := standards.Parse(name, data)
	findings = append(findings, std.UnsetVariables(name, getenv)...)
	if err := writeConfigFindings(*format, name, findings, stdout); err != nil {
		fmt.Fprintf(stderr, "config check: %v\n", err)
		return 2
	}
	errs := 0
	for _, f := range findings {
		if f.Severity == manifest.SeverityError {
			errs++
		}
	}
	if *format == "text" {
		if errs == 0 {
			fmt.Fprintf(stderr, "%s: ok (%d findings)\n", name, len(findings))
		} else {
			fmt.Fprintf(stderr, "%s: %d errors\n", name, errs)
		}
	}
	if errs > 0 {
		return 1
	}
	return 0
}

func writeConfigFindings(format, name string, findings []manifest.Finding, w io.Writer) error {
	if format == "json" {
		if findings == nil {
			findings = []manifest.Finding{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Path     string             `json:"path"`
			Findings []manifest.Finding `json:"findings"`
		}{name, findings})
	}
	for _, f := range findings {
		if _, err := fmt.Fprintln(w, f); err != nil {
			return fmt.Errorf("write findings: %w", err)
		}
	}
	return nil
}
