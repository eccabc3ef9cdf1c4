package standards_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/switchboard-dev/switchboard/standards"
)

// TestLoadKeepingScorecard: errors in the scorecard section alone give
// the file with the default card and the section's errors, positioned;
// an error in any other section refuses the file as Load does.
func TestLoadKeepingScorecard(t *testing.T) {
	valid := scoreYAML + "      op: le\n      value: 90d\n"
	broken := scoreYAML + "      op: gee\n      value: 90d\n" // unknown operator at 9:11
	tests := []struct {
		name        string
		yaml        string
		wantErr     string   // "" for none
		wantScore   []string // the scorecard errors, as path:line:col
		wantDefault bool     // the card is the embedded default's
	}{
		{"valid", "version: 1\n" + valid, "", nil, false},
		{"no scorecard section", "version: 1\ntiers: [tier-1]\n", "", nil, true},
		{"scorecard broken", broken, "", []string{"sb.yaml:9:11"}, true},
		{"scorecard not a mapping", "version: 1\nscorecard: [gold]\n", "", []string{"sb.yaml:2:12"}, true},
		{"scorecard and digest broken", "digest: {schedule: 'every day'}\n" + broken, "sb.yaml:1:", nil, false},
		{"digest broken", "digest: {schedule: 'every day'}\n" + valid, "sb.yaml:1:", nil, false},
		{"YAML syntax", valid + "  : [\n", "sb.yaml:", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "sb.yaml")
			if err := os.WriteFile(path, []byte(tt.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			l, err := standards.LoadKeepingScorecard(path)
			if tt.wantErr != "" {
				if !errors.Is(err, standards.ErrInvalid) || !strings.Contains(err.Error(), filepath.Dir(path)+"/"+tt.wantErr) {
					t.Fatalf("got %v, want ErrInvalid at %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range l.ScorecardErrors {
				got = append(got, strings.TrimPrefix(f.Path, filepath.Dir(path)+"/")+":"+itoa(f.Line)+":"+itoa(f.Col))
			}
			if strings.Join(got, " ") != strings.Join(tt.wantScore, " ") || l.ScorecardValid() != (len(tt.wantScore) == 0) {
				t.Errorf("scorecard errors: got %v, want %v", got, tt.wantScore)
			}
			got1, _ := json.Marshal(l.Standards.Scorecard)
			def, _ := json.Marshal(standards.Default().Scorecard)
			if (string(got1) == string(def)) != tt.wantDefault {
				t.Errorf("card %s: the default's is %v, want %v", got1, string(got1) == string(def), tt.wantDefault)
			}
			if l.Path != path || len(l.Findings) < len(l.ScorecardErrors) {
				t.Errorf("path %q, %d findings, %d scorecard errors", l.Path, len(l.Findings), len(l.ScorecardErrors))
			}
		})
	}
	l, err := standards.LoadKeepingScorecard("")
	if err != nil || l.Standards.Scorecard == nil || !l.ScorecardValid() {
		t.Fatalf("embedded default: %+v, %v", l, err)
	}
	want, _ := json.Marshal(standards.Default().Scorecard)
	if got, _ := json.Marshal(l.Standards.Scorecard); string(got) != string(want) {
		t.Errorf("embedded default's card:\n%s\nwant\n%s", got, want)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
