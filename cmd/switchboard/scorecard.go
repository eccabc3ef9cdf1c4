package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/internal/csvsafe"
	"github.com/switchboard-dev/switchboard/scorecard"
)

// scorecardReport is what `switchboard scorecard --format json` writes:
// the card's levels, each service's grade and the count by level.
type scorecardReport struct {
	// Levels are the card's levels, lowest first.
	Levels []string `json:"levels"`
	// Team is the team reported on; empty for the whole organisation.
	Team string `json:"team,omitempty"`
	// ByLevel counts the services by level name ("none" for no level).
	ByLevel map[string]int `json:"by_level"`
	// Services are the graded services, worst first.
	Services []serviceReport `json:"services"`
}

// serviceReport is one service's grade as the report writes it.
type serviceReport struct {
	Service string `json:"service"`
	Team    string `json:"team"`
	// Level is the level reached ("none" for none), Rank its rank (0 for
	// none); Ceiling the level it would have if unknown checks passed.
	Level   string `json:"level"`
	Rank    int    `json:"rank"`
	Ceiling string `json:"ceiling"`
	// Next is the next level to reach, empty at the top.
	Next     string    `json:"next,omitempty"`
	Passed   int       `json:"passed"`
	Failed   int       `json:"failed"`
	Unknown  int       `json:"unknown"`
	GradedAt time.Time `json:"graded_at"`
	// Missing are the next level's checks not passed, failed first.
	Missing []checkReport `json:"missing"`
	// Checks are every applicable check's result.
	Checks []checkReport `json:"checks"`
}

// checkReport is one check's result for a service.
type checkReport struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Level  string `json:"level"`
	Status string `json:"status"`
	// Where is the file and line to change ("catalog-info.yaml:12").
	Where string `json:"where,omitempty"`
	// Reason says why an unknown check is unknown.
	Reason string `json:"reason,omitempty"`
	// Message says how to pass.
	Message string `json:"message,omitempty"`
}

// levelNone is the level name of a service that reached none.
const levelNone = "none"

// runScorecard is `switchboard scorecard [--format text|json|csv] [--team
// T] [--fail-below LEVEL]`: the services' grades as stored by the last
// grading, for reports and CI. Exit status: 0 the report was written (and
// no service is below --fail-below), 1 a service is below --fail-below,
// 2 the command could not run (usage, standards file, database).
func runScorecard(ctx context.Context, args []string, env *Env) int {
	fs := flag.NewFlagSet("scorecard", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	var dbf dbFlags
	dbf.register(fs)
	format := fs.String("format", "text", "output format: text, json or csv")
	team := fs.String("team", "", "report on this team's services only (its name)")
	failBelow := fs.String("fail-below", "", "exit 1 when a reported service is below this level (e.g. bronze): a CI gate")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "Usage: switchboard scorecard [--format text|json|csv] [--team TEAM] [--fail-below LEVEL] [--data-dir DIR]")
		fmt.Fprintln(env.Stderr, "\nThe services' levels against the standards file's scorecard, as last graded, worst first.")
		fmt.Fprintln(env.Stderr, "Exit status: 0 report written, 1 a service is below --fail-below, 2 the command could not run.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "switchboard scorecard: unexpected argument %q (a team is --team TEAM)\n", fs.Arg(0))
		return 2
	}
	write, ok := map[string]func(io.Writer, scorecardReport) error{"text": writeScorecardText, "json": writeScorecardJSON, "csv": writeScorecardCSV}[*format]
	if !ok {
		fmt.Fprintf(env.Stderr, "switchboard scorecard: unknown --format %q: want text, json or csv\n", *format)
		return 2
	}
	log := newLogger(env.Stderr, env, slog.LevelWarn)
	// As serve: errors in the scorecard section alone leave the last good
	// scorecard in force (chooseCard), said on stderr.
	ld, err := loadStandardsKeepingScorecard(env, log)
	if err != nil {
		fmt.Fprintln(env.Stderr, "switchboard scorecard:", err)
		return 2
	}
	db, err := openDatabase(ctx, dbf, env, log, "switchboard")
	if err != nil {
		fmt.Fprintln(env.Stderr, "switchboard scorecard:", err)
		return 2
	}
	defer db.Close()
	store := catalog.NewStore(db.Pool, log)
	inForce, err := chooseCard(ctx, ld, store, log)
	if err != nil {
		fmt.Fprintln(env.Stderr, "switchboard scorecard:", err)
		return 2
	}
	if inForce.Notice != "" {
		fmt.Fprintln(env.Stderr, "switchboard scorecard:", inForce.Notice)
	}
	card := inForce.Card
	if card == nil {
		fmt.Fprintln(env.Stderr, "switchboard scorecard: the standards file has no scorecard")
		return 2
	}
	floor := 0
	if *failBelow != "" {
		if floor = card.Rank(strings.ToLower(strings.TrimSpace(*failBelow))); floor == 0 {
			fmt.Fprintf(env.Stderr, "switchboard scorecard: --fail-below %q is not a level of the scorecard (%s)\n", *failBelow, strings.Join(card.LevelNames(), ", "))
			return 2
		}
	}
	var grades []catalog.ServiceGrade
	if *team != "" {
		grades, err = store.TeamGrades(ctx, *team)
		if errors.Is(err, catalog.ErrNotFound) {
			fmt.Fprintf(env.Stderr, "switchboard scorecard: no team %q in the catalog\n", *team)
			return 2
		}
	} else {
		grades, err = store.AllGrades(ctx)
	}
	if err != nil {
		fmt.Fprintln(env.Stderr, "switchboard scorecard:", err)
		return 2
	}
	rep := newScorecardReport(card, *team, grades)
	if err := write(env.Stdout, rep); err != nil {
		fmt.Fprintln(env.Stderr, "switchboard scorecard:", err)
		return 2
	}
	if floor > 0 {
		below := 0
		for _, s := range rep.Services {
			if s.Rank < floor {
				below++
			}
		}
		if below > 0 {
			fmt.Fprintf(env.Stderr, "switchboard scorecard: %d of %d services below %s\n", below, len(rep.Services), card.LevelName(floor))
			return 1
		}
	}
	return 0
}

// newScorecardReport reads grades against card: check titles and messages
// by id (a stored result names its check by id).
func newScorecardReport(card *scorecard.Card, team string, grades []catalog.ServiceGrade) scorecardReport {
	name := func(rank int) string {
		if n := card.LevelName(rank); n != "" {
			return n
		}
		return levelNone
	}
	result := func(r scorecard.Result) checkReport {
		c, _ := card.Check(r.ID)
		cr := checkReport{ID: r.ID, Title: c.Title(), Level: name(r.Level), Status: r.Status.String(), Reason: r.Value.Reason}
		if cr.Title == "" {
			cr.Title = r.ID
		}
		if r.Status != scorecard.Passed {
			cr.Message = c.Message
		}
		if r.Value.Where != nil {
			cr.Where = r.Value.Where.String()
		}
		return cr
	}
	rep := scorecardReport{Levels: card.LevelNames(), Team: team, ByLevel: map[string]int{levelNone: 0}, Services: []serviceReport{}}
	for _, l := range rep.Levels {
		rep.ByLevel[l] = 0
	}
	for _, g := range grades {
		gr := g.Grade
		p, f, u := gr.Counts()
		s := serviceReport{Service: g.Service.Ref(), Team: g.Service.Team, Level: name(gr.Level), Rank: gr.Level, Ceiling: name(gr.Ceiling),
			Next: card.LevelName(gr.Next), Passed: p, Failed: f, Unknown: u, GradedAt: g.GradedAt.UTC(),
			Missing: []checkReport{}, Checks: []checkReport{}}
		if gr.Next == 0 {
			s.Next = ""
		}
		for _, r := range gr.Missing {
			s.Missing = append(s.Missing, result(r))
		}
		for _, r := range gr.Results {
			s.Checks = append(s.Checks, result(r))
		}
		rep.ByLevel[s.Level]++
		rep.Services = append(rep.Services, s)
	}
	return rep
}

func writeScorecardJSON(w io.Writer, rep scorecardReport) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	return nil
}

// scorecardCSVHeader is the CSV report's header: one row per service.
var scorecardCSVHeader = []string{"service", "team", "level", "rank", "ceiling", "next", "passed", "failed", "unknown", "missing", "graded_at"}

func writeScorecardCSV(w io.Writer, rep scorecardReport) error {
	cw := csvsafe.NewWriter(w)
	write := cw.Write
	write(scorecardCSVHeader...)
	for _, s := range rep.Services {
		var missing []string
		for _, m := range s.Missing {
			missing = append(missing, m.ID+"("+m.Status+")")
		}
		write(s.Service, s.Team, s.Level, strconv.Itoa(s.Rank), s.Ceiling, s.Next, strconv.Itoa(s.Passed), strconv.Itoa(s.Failed),
			strconv.Itoa(s.Unknown), strings.Join(missing, " "), s.GradedAt.Format(time.RFC3339))
	}
	if err := cw.Flush(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

func writeScorecardText(w io.Writer, rep scorecardReport) error {
	scope := "the organisation"
	if rep.Team != "" {
		scope = "team " + rep.Team
	}
	fmt.Fprintf(w, "Scorecard of %s: %d services graded\n", scope, len(rep.Services))
	for i := len(rep.Levels) - 1; i >= -1; i-- {
		name := levelNone
		if i >= 0 {
			name = rep.Levels[i]
		}
		fmt.Fprintf(w, "  %-10s %d\n", name, rep.ByLevel[name])
	}
	if len(rep.Services) == 0 {
		return nil
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tTEAM\tLEVEL\tPASSED/FAILED/UNKNOWN\tNEXT: MISSING")
	for _, s := range rep.Services {
		next := "-"
		if s.Next != "" {
			var missing []string
			for _, m := range s.Missing {
				item := m.ID
				if m.Status != scorecard.Failed.String() {
					item += " (" + m.Status + ")"
				}
				if m.Where != "" {
					item += " at " + m.Where
				}
				missing = append(missing, item)
			}
			next = s.Next + ": " + strings.Join(missing, ", ")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d/%d/%d\t%s\n", printable(s.Service), printable(orDash(s.Team)), s.Level, s.Passed, s.Failed, s.Unknown, printable(next))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write text: %w", err)
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// printable shows control characters (a tab or newline in a synced name
// would break the table, an escape sequence the terminal) as Go escapes.
func printable(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) }) < 0 {
		return s
	}
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}
