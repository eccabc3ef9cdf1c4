package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/switchboard-dev/switchboard/manifest"
	"github.com/switchboard-dev/switchboard/standards"
)

// lintCommand is `switchboard lint [--format text|json|codequality] [--config FILE] [PATH...]`:
// it lints the descriptor files at each PATH (a file, or a folder searched for
// catalog-info.yaml/.yml, opslevel.yml/.yaml and .backstage/*.yaml), the
// current folder when none is given. It exits 0 when there is no error, 1
// when any file has one, 2 when it cannot run.
func lintCommand(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	flags := flag.NewFlagSet("lint", flag.ContinueOnError)
	flags.SetOutput(stderr)
	format := flags.String("format", "text", "output format: text, json or codequality (GitLab Code Quality)")
	config := flags.String("config", "", "organisation standards file (default $"+standards.EnvConfig+", else the built-in standards)")
	flags.Usage = func() {
		fmt.Fprintln(stderr, "Usage: switchboard lint [--format text|json|codequality] [--config FILE] [PATH...]")
		fmt.Fprintln(stderr, "\nLints Backstage catalog-info.yaml and OpsLevel opslevel.yml descriptors.")
		fmt.Fprintln(stderr, "PATH is a file or a folder (default: the current folder).\nExit status: 0 no errors, 1 errors found, 2 the command could not run.\n\nFlags:")
		flags.PrintDefaults()
	}
	paths, err := parseInterspersed(flags, args)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return 2
	}
	write, ok := lintWriters()[*format]
	if !ok {
		fmt.Fprintf(stderr, "lint: unknown --format %q: want text, json or codequality\n", *format)
		return 2
	}
	cfg := *config
	if cfg == "" {
		cfg = getenv(standards.EnvConfig)
	}
	std, findings, err := standards.Load(cfg)
	if err != nil {
		for _, f := range findings {
			fmt.Fprintln(stderr, f)
		}
		fmt.Fprintf(stderr, "lint: %v\n", err)
		return 2
	}
	if len(paths) == 0 {
		paths = []string{"."}
	}
	report, err := lintPaths(ctx, paths, std.Rules())
	if err != nil {
		fmt.Fprintf(stderr, "lint: %v\n", err)
		return 2
	}
	if err := write(report, stdout); err != nil {
		fmt.Fprintf(stderr, "lint: %v\n", err)
		return 2
	}
	s := report.Summary()
	if s.Files == 0 {
		fmt.Fprintf(stderr, "lint: no descriptor files found in %s\n", strings.Join(paths, ", "))
	} else if *format == "text" {
		writeLintSummary(stderr, report)
	}
	if report.HasErrors() {
		return 1
	}
	return 0
}

// lintWriters are the report writers by --format.
func lintWriters() map[string]func(manifest.Report, io.Writer) error {
	return map[string]func(manifest.Report, io.Writer) error{
		"text":        manifest.Report.WriteText,
		"json":        manifest.Report.WriteJSON,
		"codequality": manifest.Report.WriteCodeQuality,
	}
}

// parseInterspersed parses flags that may come before, between or after the
// positional arguments, and returns the positional arguments.
func parseInterspersed(flags *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := flags.Parse(args); err != nil {
			return nil, err
		}
		rest := flags.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// lintPaths lints each path, a file or a folder.
func lintPaths(ctx context.Context, paths []string, rules manifest.Rules) (manifest.Report, error) {
	var report manifest.Report
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return report, fmt.Errorf("lint %s: %w", p, err)
		}
		if !info.IsDir() {
			d, err := lintFile(ctx, p, rules)
			if err != nil {
				return report, err
			}
			report.Add(d)
			continue
		}
		err = filepath.WalkDir(p, func(path string, entry fs.DirEntry, err error) error {
			if err != nil {
				return fmt.Errorf("lint %s: %w", path, err)
			}
			if entry.IsDir() {
				if path != p && skipDir(entry.Name()) {
					return filepath.SkipDir
				}
				return nil
			}
			if !entry.Type().IsRegular() || !manifest.IsDescriptorPath(filepath.ToSlash(path)) {
				return nil
			}
			d, err := lintFile(ctx, path, rules)
			if err != nil {
				return err
			}
			report.Add(d)
			return nil
		})
		if err != nil {
			return report, err
		}
	}
	return report, nil
}

// skipDir reports whether a folder is not searched for descriptors: VCS and
// dependency folders, and hidden folders other than .backstage.
func skipDir(name string) bool {
	switch name {
	case ".backstage":
		return false
	case "node_modules", "vendor":
		return true
	}
	return strings.HasPrefix(name, ".")
}

// lintFile reads and lints one file, reading at most one byte more than the
// size limit so that a huge file is reported, not loaded.
func lintFile(ctx context.Context, path string, rules manifest.Rules) (manifest.Descriptor, error) {
	if err := ctx.Err(); err != nil {
		return manifest.Descriptor{}, fmt.Errorf("lint %s: %w", path, err)
	}
	f, err := os.Open(path)
	if err != nil {
		return manifest.Descriptor{}, fmt.Errorf("lint %s: %w", path, err)
	}
	defer f.Close()
	limit := rules.MaxFileSize
	if limit <= 0 {
		limit = manifest.DefaultMaxFileSize
	}
	data, err := io.ReadAll(io.LimitReader(f, int64(limit)+1))
	if err != nil {
		return manifest.Descriptor{}, fmt.Errorf("lint %s: %w", path, err)
	}
	return manifest.Parse(path, data, rules), nil
}

// writeLintSummary tells, on stderr for people, each file linted and the totals.
func writeLintSummary(w io.Writer, report manifest.Report) {
	for _, d := range report.Descriptors {
		one := manifest.Report{Descriptors: []manifest.Descriptor{d}}.Summary()
		what := string(d.Format)
		if d.Template {
			what = "template"
		}
		fmt.Fprintf(w, "%s: %s, %s (%s, %s)\n", d.Path, plural(one.Errors, "error"), plural(one.Warnings, "warning"), what, plural(one.Entities, "entity"))
	}
	s := report.Summary()
	fmt.Fprintf(w, "%s, %s: %s, %s, %s\n", plural(s.Files, "file"), plural(s.Entities, "entity"),
		plural(s.Errors, "error"), plural(s.Warnings, "warning"), plural(s.Infos, "info"))
}

// plural renders "1 file" or "2 files".
func plural(n int, noun string) string {
	switch {
	case n == 1:
		return "1 " + noun
	case strings.HasSuffix(noun, "y"):
		return fmt.Sprintf("%d %sies", n, strings.TrimSuffix(noun, "y"))
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
