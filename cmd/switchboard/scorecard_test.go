package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
	"github.com/switchboard-dev/switchboard/scorecard"
	"github.com/switchboard-dev/switchboard/standards"
)

// seedGrades makes a database with services graded by the default card:
// one at each level, one held back by an unknown fact, and one whose name a
// spreadsheet would take for a formula. It returns the database's URL and
// the services' levels by reference.
func seedGrades(t *testing.T) (string, map[string]int) {
	t.Helper()
	ctx := context.Background()
	url := pgtest.URL(t)
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	store := catalog.NewStore(pool, nil)
	card := standards.Default().Scorecard
	hash, err := catalog.CardHash(card)
	if err != nil {
		t.Fatal(err)
	}
	for _, team := range []string{"payments", "identity"} {
		if _, err := store.PutTeam(ctx, catalog.Team{Name: team}); err != nil {
			t.Fatal(err)
		}
	}
	pass := func(changes scorecard.Values) scorecard.Values {
		v := scorecard.Values{}
		for _, ref := range card.Needs() {
			f, _ := scorecard.LookupFact(ref.Name)
			switch {
			case f.Kind == scorecard.KindBool:
				v[ref.Key()] = scorecard.Bool(true)
			case f.Kind == scorecard.KindText:
				v[ref.Key()] = scorecard.Text("x")
			case ref.Name == "owner_team_size":
				v[ref.Key()] = scorecard.Number(3)
			case f.Kind == scorecard.KindNumber:
				v[ref.Key()] = scorecard.Number(0)
			case f.Kind == scorecard.KindDuration:
				v[ref.Key()] = scorecard.Duration(24 * time.Hour)
			}
		}
		for k, x := range changes {
			v[k] = x
		}
		return v
	}
	services := []struct {
		name, team string
		values     scorecard.Values
	}{
		{"gold-api", "payments", pass(nil)},
		{"silver-api", "payments", pass(scorecard.Values{"vulnerable_dependencies": scorecard.Number(2).At("pom.xml", 15)})},
		{"bronze-api", "identity", pass(scorecard.Values{"runbook": scorecard.Text("").At("catalog-info.yaml", 9)})},
		{"unknown-api", "identity", pass(scorecard.Values{"oncall_now": scorecard.UnknownValue(scorecard.KindBool, "PagerDuty did not answer")})},
		{"=cmd-api", "payments", pass(scorecard.Values{"readme": scorecard.Bool(false)})},
	}
	levels := map[string]int{}
	var grades []catalog.ServiceGrade
	for _, s := range services {
		svc, err := store.PutService(ctx, catalog.Service{Name: s.name, Team: s.team, Lifecycle: "production", Tier: "1", Source: catalog.SourceImport})
		if err != nil {
			t.Fatal(err)
		}
		g := card.Evaluate(scorecard.Service{Team: s.team, Lifecycle: "production", Tier: "1"}, s.values)
		levels[s.name] = g.Level
		grades = append(grades, catalog.ServiceGrade{Service: svc, Grade: g, CardHash: hash, GradedAt: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)})
	}
	if _, err := store.PutGrades(ctx, grades, nil); err != nil {
		t.Fatal(err)
	}
	return url, levels
}

func TestScorecardCommand(t *testing.T) {
	url, levels := seedGrades(t)
	card := standards.Default().Scorecard
	run1 := func(t *testing.T, args ...string) (int, string, string) {
		t.Helper()
		env, out, errb := testEnv(t, map[string]string{"DATABASE_URL": url})
		code := run(context.Background(), append([]string{"scorecard"}, args...), env)
		return code, out.String(), errb.String()
	}

	t.Run("json round-trips", func(t *testing.T) {
		code, out, errb := run1(t, "--format", "json")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errb)
		}
		var rep scorecardReport
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, out)
		}
		var again bytes.Buffer
		if err := writeScorecardJSON(&again, rep); err != nil {
			t.Fatal(err)
		}
		if again.String() != out {
			t.Errorf("JSON does not round-trip:\nfirst:\n%s\nagain:\n%s", out, again.String())
		}
		if len(rep.Services) != len(levels) {
			t.Fatalf("services: got %d, want %d", len(rep.Services), len(levels))
		}
		for _, s := range rep.Services {
			if want := levels[s.Service]; s.Rank != want {
				t.Errorf("%s: rank %d, want %d", s.Service, s.Rank, want)
			}
			if s.Service == "unknown-api" {
				if s.Failed != 0 || s.Unknown != 1 || len(s.Missing) != 1 || s.Missing[0].Status != "unknown" || s.Missing[0].Reason != "PagerDuty did not answer" {
					t.Errorf("unknown-api: an unknown fact must be unknown, not failed: %+v", s)
				}
			}
			if s.Service == "bronze-api" && (len(s.Missing) == 0 || s.Missing[0].Where != "catalog-info.yaml:9" || s.Missing[0].Message == "") {
				t.Errorf("bronze-api: want the runbook missing at catalog-info.yaml:9 with how to pass; got %+v", s.Missing)
			}
		}
	})

	t.Run("csv parses", func(t *testing.T) {
		code, out, errb := run1(t, "--format", "csv", "--team", "payments")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errb)
		}
		rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil {
			t.Fatalf("not CSV: %v\n%s", err, out)
		}
		if strings.Join(rows[0], ",") != strings.Join(scorecardCSVHeader, ",") {
			t.Errorf("header: got %v", rows[0])
		}
		got := map[string]string{}
		for _, r := range rows[1:] {
			if len(r) != len(scorecardCSVHeader) {
				t.Fatalf("row %v: %d cells, want %d", r, len(r), len(scorecardCSVHeader))
			}
			got[r[0]] = r[3]
		}
		for _, name := range []string{"gold-api", "silver-api"} {
			if want := levels[name]; got[name] != string(rune('0'+want)) {
				t.Errorf("%s: rank %q, want %d", name, got[name], want)
			}
		}
		if _, ok := got["'=cmd-api"]; !ok {
			t.Errorf("a formula-like name should be kept as text with a leading quote; got rows %v", rows)
		}
		if _, ok := got["bronze-api"]; ok {
			t.Errorf("--team payments lists identity's service")
		}
	})

	t.Run("text", func(t *testing.T) {
		code, out, errb := run1(t)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errb)
		}
		for _, w := range []string{"Scorecard of the organisation: 5 services graded", "bronze-api", "silver: runbook at catalog-info.yaml:9", "oncall-now (unknown)"} {
			if !strings.Contains(out, w) {
				t.Errorf("text lacks %q:\n%s", w, out)
			}
		}
	})

	t.Run("broken scorecard section: the last good card", func(t *testing.T) {
		cfg := filepath.Join(t.TempDir(), "sb.yaml")
		if err := os.WriteFile(cfg, []byte("version: 1\nscorecard:\n  levels: [bronze]\n  checks:\n    - {id: x, level: bronze, fact: has_ownr}\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		env, out, errb := testEnv(t, map[string]string{"DATABASE_URL": url, "SWITCHBOARD_CONFIG": cfg})
		code := run(context.Background(), []string{"scorecard", "--fail-below", "silver"}, env)
		if code != 1 || !strings.Contains(errb.String(), "The standards file's scorecard has 1 error") || !strings.Contains(out.String(), "bronze-api") {
			t.Errorf("exit %d, stderr %q, stdout %q: want the report with the card in force (silver is its level), the notice on stderr, exit 1", code, errb.String(), out.String())
		}
	})

	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"gate passes", []string{"--fail-below", card.LevelName(1), "--team", "identity"}, 0, ""},
		{"gate fails", []string{"--fail-below", "gold"}, 1, "services below gold"},
		{"unknown level", []string{"--fail-below", "platinum"}, 2, "not a level"},
		{"unknown format", []string{"--format", "xml"}, 2, "unknown --format"},
		{"unknown team", []string{"--team", "nobody"}, 2, `no team "nobody"`},
		{"stray argument", []string{"payments"}, 2, "unexpected argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errb := run1(t, tt.args...)
			if code != tt.code {
				t.Fatalf("exit: got %d, want %d; stderr %s", code, tt.code, errb)
			}
			if !strings.Contains(errb, tt.stderr) {
				t.Errorf("stderr lacks %q: %s", tt.stderr, errb)
			}
		})
	}
}
