package manifest_test

import (
	"fmt"
	"os"
	"path"
	"strings"
	"testing"

	"github.com/switchboard-dev/switchboard/manifest"
)

// verdict is one row of testdata/backstage-verdicts.tsv, written by
// tools/backstage-verdicts from Backstage's own catalog processing.
type verdict struct {
	file       string // under testdata
	valid      bool   // Backstage accepts every entity of the file
	message    string // Backstage's message
	difference string // why Switchboard deliberately answers otherwise, or ""
}

// verdicts reads testdata/backstage-verdicts.tsv.
func verdicts(tb testing.TB) []verdict {
	tb.Helper()
	data, err := os.ReadFile("testdata/backstage-verdicts.tsv")
	if err != nil {
		tb.Fatal(err)
	}
	var out []verdict
	for i, line := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
		cols := strings.Split(line, "\t")
		if i == 0 {
			continue
		}
		if len(cols) != 4 || (cols[1] != "valid" && cols[1] != "invalid") {
			tb.Fatalf("backstage-verdicts.tsv line %d: got %q, want file, valid|invalid, message, difference", i+1, line)
		}
		out = append(out, verdict{file: cols[0], valid: cols[1] == "valid", message: cols[2], difference: cols[3]})
	}
	if len(out) < 150 {
		tb.Fatalf("got %d verdicts, want at least 150", len(out))
	}
	return out
}

// lintPath is the path a verdict's file is linted under: its path in its
// repository for the real-world corpus, a .backstage/ path for crafted files
// (so that the name makes it a Backstage descriptor).
func lintPath(tb testing.TB, file string) string {
	tb.Helper()
	if local, ok := strings.CutPrefix(file, "corpus/"); ok {
		for _, f := range corpus(tb) {
			if f.local == local {
				return f.path
			}
		}
		tb.Fatalf("%s is not in testdata/corpus/SOURCES.tsv", file)
	}
	return path.Join(".backstage", file)
}

// TestAgreesWithBackstage holds lint, under the built-in standards, to
// Backstage's verdicts: a file Backstage accepts gets no error; a file
// Backstage rejects gets at least one error, positioned and with a fix;
// except the rows the table marks as deliberate differences.
func TestAgreesWithBackstage(t *testing.T) {
	rules := defaultRules()
	var validClean, validErr, invalidErr, invalidClean, deliberate int
	var deliberateRows []string
	for _, v := range verdicts(t) {
		data, err := os.ReadFile(path.Join("testdata", v.file))
		if err != nil {
			t.Fatal(err)
		}
		p := lintPath(t, v.file)
		d := manifest.Parse(p, data, rules)
		var errs []manifest.Finding
		for _, f := range d.Findings {
			if f.Severity == manifest.SeverityError {
				errs = append(errs, f)
			}
		}
		if v.difference != "" {
			deliberate++
			deliberateRows = append(deliberateRows, fmt.Sprintf("  %s (Backstage %s, lint %d errors): %s", v.file, verdictWord(v.valid), len(errs), v.difference))
			continue
		}
		switch {
		case v.valid && len(errs) == 0:
			validClean++
		case v.valid:
			validErr++
			t.Errorf("%s: Backstage accepts it, got errors:\n%s", v.file, findingsText(errs))
		case len(errs) > 0:
			invalidErr++
			for _, f := range errs {
				if f.Line < 1 || f.Col < 1 || f.Fix == "" || f.Message == "" {
					t.Errorf("%s: got error %s, want a position, a message and a fix", v.file, f)
				}
			}
		default:
			invalidClean++
			t.Errorf("%s: Backstage rejects it (%s), got no error; findings:\n%s", v.file, v.message, findingsText(d.Findings))
		}
	}
	t.Logf("lint (built-in standards) against Backstage's verdicts:\n"+
		"                     lint error   lint no error\n"+
		"  Backstage valid    %10d   %13d\n"+
		"  Backstage invalid  %10d   %13d\n"+
		"  deliberate differences: %d\n%s",
		validErr, validClean, invalidErr, invalidClean, deliberate, strings.Join(deliberateRows, "\n"))
}

func verdictWord(valid bool) string {
	if valid {
		return "valid"
	}
	return "invalid"
}

// TestVerdictsCoverCorpus checks that every Backstage file of the corpus and
// every crafted file has a verdict, so that the table is rerun when files
// are added.
func TestVerdictsCoverCorpus(t *testing.T) {
	have := map[string]bool{}
	for _, v := range verdicts(t) {
		have[v.file] = true
	}
	for _, f := range corpus(t) {
		if strings.HasPrefix(f.local, "catalog-info/") && !have["corpus/"+f.local] {
			t.Errorf("corpus/%s has no verdict: rerun tools/backstage-verdicts/run.sh", f.local)
		}
	}
	crafted := 0
	err := walkFiles("testdata/crafted", func(p string) {
		crafted++
		if rel := strings.TrimPrefix(p, "testdata/"); !have[rel] {
			t.Errorf("%s has no verdict: rerun tools/backstage-verdicts/run.sh", rel)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if crafted < 100 {
		t.Errorf("got %d crafted files, want at least 100", crafted)
	}
}

// walkFiles calls visit with the slash path of every file under dir.
func walkFiles(dir string, visit func(string)) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("read %s: %w", dir, err)
	}
	for _, e := range entries {
		p := path.Join(dir, e.Name())
		if e.IsDir() {
			if err := walkFiles(p, visit); err != nil {
				return err
			}
			continue
		}
		visit(p)
	}
	return nil
}

// TestMutantsAgreeWithBackstage is the differential test of
// tools/backstage-verdicts/mutate.js, run only when
// SWITCHBOARD_BACKSTAGE_MUTANTS names its output folder: it lists the
// mutants on which lint and Backstage disagree (mutants of UTF-16 files and
// of the known limitations, and placeholder-dependent verdicts, aside, as in
// the table).
func TestMutantsAgreeWithBackstage(t *testing.T) {
	dir := os.Getenv("SWITCHBOARD_BACKSTAGE_MUTANTS")
	if dir == "" {
		t.Skip("SWITCHBOARD_BACKSTAGE_MUTANTS is not set: run tools/backstage-verdicts/mutate.js first")
	}
	data, err := os.ReadFile(path.Join(dir, "verdicts.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	rules := defaultRules()
	disagree, total := 0, 0
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		cols := strings.Split(line, "\t")
		if len(cols) != 4 {
			t.Fatalf("got line %q, want 4 columns", line)
		}
		if strings.Contains(cols[3], "utf16") || strings.Contains(cols[3], "limitation-") || strings.Contains(cols[2], `"stub"`) {
			continue
		}
		b, err := os.ReadFile(path.Join(dir, "cases", cols[0]))
		if err != nil {
			t.Fatal(err)
		}
		d := manifest.Parse(".backstage/"+cols[0], b, rules)
		if d.Template {
			continue
		}
		total++
		if valid := cols[1] == "valid"; valid == d.HasErrors() {
			disagree++
			t.Errorf("%s (a mutant of %s): Backstage says %s (%s); lint findings:\n%s", cols[0], cols[3], cols[1], cols[2], findingsText(d.Findings))
		}
	}
	t.Logf("%d mutants, %d disagreements", total, disagree)
}
