package catalog_test

import (
	"context"
	"fmt"
	"io/fs"
	"strings"
	"testing"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/migrations"
	"github.com/switchboard-dev/switchboard/scorecard"
)

// summaryGrade is a grade with a next level and missing checks, failed and
// unknown, varying with i.
func summaryGrade(i int) scorecard.Grade {
	g := scorecard.Grade{Level: i % 3, Ceiling: i%3 + i%2, Next: i%3 + 1}
	if g.Next > 3 {
		g.Next = 0
	}
	ids := []string{"runbook", "ci", "oncall"}
	for k := range i % 4 {
		st := scorecard.Failed
		if (i+k)%3 == 0 {
			st = scorecard.Unknown
		}
		r := scorecard.Result{ID: ids[k], Level: g.Next, Status: st, Value: scorecard.Bool(false).At("catalog-info.yaml", k+1)}
		g.Missing = append(g.Missing, r)
		g.Results = append(g.Results, r)
	}
	return g
}

// checkSummaries compares TeamGradeSummaries with TeamGrades (which
// decodes each grade's JSON): the same services in the same order, with
// the same level, ceiling, next level and missing checks.
func checkSummaries(t *testing.T, s *catalog.Store, team string, want int) {
	t.Helper()
	ctx := context.Background()
	full, err := s.TeamGrades(ctx, team)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.TeamGradeSummaries(ctx, team)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != want || len(full) != want {
		t.Fatalf("team %s: got %d summaries and %d grades, want %d", team, len(got), len(full), want)
	}
	for i, f := range full {
		g := got[i]
		if g.Service.ID != f.Service.ID || g.Service.Name != f.Service.Name || g.Service.Namespace != f.Service.Namespace || g.Service.Team != f.Service.Team {
			t.Fatalf("team %s, #%d: got service %+v, want %+v", team, i, g.Service, f.Service)
		}
		if g.Grade.Level != f.Grade.Level || g.Grade.Ceiling != f.Grade.Ceiling || g.Grade.Next != f.Grade.Next || !g.GradedAt.Equal(f.GradedAt) {
			t.Errorf("%s: got %d/%d/%d at %v, want %d/%d/%d at %v", f.Service.Name, g.Grade.Level, g.Grade.Ceiling, g.Grade.Next, g.GradedAt,
				f.Grade.Level, f.Grade.Ceiling, f.Grade.Next, f.GradedAt)
		}
		if g.Grade.Results != nil {
			t.Errorf("%s: summaries hold results", f.Service.Name)
		}
		if len(g.Grade.Missing) != len(f.Grade.Missing) {
			t.Errorf("%s: got %d missing, want %d", f.Service.Name, len(g.Grade.Missing), len(f.Grade.Missing))
			continue
		}
		for k, m := range f.Grade.Missing {
			gm := g.Grade.Missing[k]
			if gm.ID != m.ID || gm.Status != m.Status || gm.Level != f.Grade.Next {
				t.Errorf("%s, missing #%d: got %s %s at %d, want %s %s at %d", f.Service.Name, k, gm.Status, gm.ID, gm.Level, m.Status, m.ID, f.Grade.Next)
			}
		}
	}
}

// The columns a team's scorecard reads (migration 020) hold what the
// grade's JSON says, written as parameters (a few grades) and by COPY
// (many), and, for grades stored before the migration, filled from it.
func TestTeamGradeSummaries(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	// A few (written as parameters) and many (by COPY), named so that
	// case and namespace order them.
	var few, many []catalog.ServiceGrade
	for i := range 6 {
		name := []string{"Alpha", "bravo", "charlie", "alpha-2", "Delta", "bravo"}[i]
		ns := []string{"", "other", "", "", "", ""}[i]
		svc := mustPutService(t, s, catalog.Service{Name: name, Namespace: ns, Team: "payments", Status: catalog.StatusActive})
		// The two bravos tie but for their namespace.
		few = append(few, catalog.ServiceGrade{Service: svc, Grade: summaryGrade([]int{0, 1, 2, 3, 4, 1}[i]), CardHash: "A"})
	}
	for i := range 240 {
		svc := mustPutService(t, s, catalog.Service{Name: fmt.Sprintf("svc-%03d", i), Team: "identity", Status: catalog.StatusActive})
		many = append(many, catalog.ServiceGrade{Service: svc, Grade: summaryGrade(i), CardHash: "A"})
	}
	// Another team's service, and an orphaned one, are left out.
	other := mustPutService(t, s, catalog.Service{Name: "elsewhere", Team: "search", Status: catalog.StatusActive})
	gone := mustPutService(t, s, catalog.Service{Name: "gone", Team: "payments", Status: catalog.StatusOrphaned})
	few = append(few, catalog.ServiceGrade{Service: other, Grade: summaryGrade(1), CardHash: "A"},
		catalog.ServiceGrade{Service: gone, Grade: summaryGrade(1), CardHash: "A"})
	for _, gs := range [][]catalog.ServiceGrade{few, many} {
		if _, err := s.PutGrades(ctx, gs, nil); err != nil {
			t.Fatal(err)
		}
	}
	checkSummaries(t, s, "payments", 6)
	checkSummaries(t, s, "IDENTITY", 240)
	// Graded again with other grades: the columns follow.
	for i := range many {
		many[i].Grade = summaryGrade(i + 1)
	}
	if _, err := s.PutGrades(ctx, many, nil); err != nil {
		t.Fatal(err)
	}
	checkSummaries(t, s, "identity", 240)
	if got, err := s.TeamGradeSummaries(ctx, "nobody"); err != nil || len(got) != 0 {
		t.Errorf("unknown team: got %d, %v", len(got), err)
	}

	// Grades stored before migration 020: its UPDATE fills the columns
	// from the JSON.
	if _, err := s.Pool().Exec(ctx, `UPDATE service_grades SET next_level = 0, missing = '{}'`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Pool().Exec(ctx, migrationUpdate(t, "020_")); err != nil {
		t.Fatal(err)
	}
	checkSummaries(t, s, "payments", 6)
	checkSummaries(t, s, "identity", 240)
}

// migrationUpdate returns the UPDATE statement of the migration whose file
// name starts with prefix.
func migrationUpdate(t *testing.T, prefix string) string {
	t.Helper()
	files, err := fs.Glob(migrations.FS, prefix+"*.sql")
	if err != nil || len(files) != 1 {
		t.Fatalf("migration %s: %v, %v", prefix, files, err)
	}
	b, err := fs.ReadFile(migrations.FS, files[0])
	if err != nil {
		t.Fatal(err)
	}
	for stmt := range strings.SplitSeq(string(b), ";") {
		var code []string
		for line := range strings.SplitSeq(stmt, "\n") {
			if !strings.HasPrefix(strings.TrimSpace(line), "--") {
				code = append(code, line)
			}
		}
		if c := strings.TrimSpace(strings.Join(code, "\n")); strings.HasPrefix(c, "UPDATE") {
			return c
		}
	}
	t.Fatalf("migration %s has no UPDATE", files[0])
	return ""
}

func TestMatchService(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	mustPutService(t, s, catalog.Service{Name: "checkout-api", Team: "payments", Aliases: []string{"checkout"}})
	mustPutService(t, s, catalog.Service{Name: "ledger", Namespace: "finance", Team: "payments"})
	mustPutService(t, s, catalog.Service{Name: "ledger", Team: "payments"})
	tests := []struct {
		query string
		kind  catalog.MatchKind
		want  []string
	}{
		{"checkout-api", catalog.MatchExact, []string{"default/checkout-api"}},
		{"Checkout-API", catalog.MatchCaseInsensitive, []string{"default/checkout-api"}},
		{"CHECKOUT", catalog.MatchAlias, []string{"default/checkout-api"}},
		{"ledger", catalog.MatchExact, []string{"default/ledger", "finance/ledger"}},
		{"finance/ledger", catalog.MatchExact, []string{"finance/ledger"}},
		// Misspelt: no match, and no "did you mean" (FindService's).
		{"chekout-api", catalog.MatchNone, nil},
	}
	for _, tt := range tests {
		l, err := s.MatchService(ctx, tt.query)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, svc := range l.Services {
			got = append(got, svc.Namespace+"/"+svc.Name)
		}
		if strings.Join(got, ",") != strings.Join(tt.want, ",") || l.Kind != tt.kind || len(l.Suggestions) != 0 {
			t.Errorf("%s: got %v (kind %v, %d suggestions), want %v (kind %v)", tt.query, got, l.Kind, len(l.Suggestions), tt.want, tt.kind)
		}
		// FindService finds the same.
		f, err := s.FindService(ctx, tt.query)
		if err != nil {
			t.Fatal(err)
		}
		if len(f.Services) != len(l.Services) || f.Kind != l.Kind {
			t.Errorf("%s: FindService found %d (kind %v), MatchService %d (kind %v)", tt.query, len(f.Services), f.Kind, len(l.Services), l.Kind)
		}
	}
}
