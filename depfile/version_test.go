package depfile_test

import (
	"errors"
	"testing"

	"github.com/switchboard-dev/switchboard/depfile"
)

func TestCompareVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"2.14.1", "2.17.1", -1},
		{"2.17.1", "2.14.1", 1},
		{"2.17", "2.17.0", 0},
		{"2.17", "2.17.1", -1},
		{"2.17.0.RELEASE", "2.17", 0},
		{"5.3.18.Final", "5.3.18", 0},
		{"1.10", "1.9", 1},
		{"1.2.11.1", "1.2.11", 1},
		{"v1.2.3", "1.2.3", 0},
		{"1.0-alpha-1", "1.0-beta-1", -1},
		{"1.0-beta9", "1.0-rc1", -1},
		{"2.0.0-rc1", "2.0.0-rc2", -1},
		{"2.0.0-rc2", "2.0.0", -1},
		{"1.0-SNAPSHOT", "1.0", -1},
		{"1.0-rc1", "1.0-SNAPSHOT", -1},
		{"1.0", "1.0-sp1", -1},
		{"1.0.1", "1.0-rc1", 1},
		{"1.0.0-alpha.1", "1.0.0-alpha.2", -1},
		{"1.0.0+build.5", "1.0.0", 0},
		{"2.0", "2.0.0-M1", 1},
		{"0.0.20131108.vaadin1", "0.0.20131108", 1},
		{"v0.0.0-20240606120523-5a60cdf6a761", "v0.0.1", -1},
		{"v0.0.0-20230101000000-aaaaaaaaaaaa", "v0.0.0-20240101000000-aaaaaaaaaaaa", -1},
		{"^0.6.21", "0.7", -1},
		{"~4.2.0", "4.2.0", 0},
		{"2.9.+", "2.9", 0},
		{"007", "7", 0},
		{"99999999999999999999999", "99999999999999999999998", 1},
		{"", "1", -1},
		{"", "", 0},
	}
	for _, tt := range tests {
		if got := depfile.CompareVersions(tt.a, tt.b); got != tt.want {
			t.Errorf("CompareVersions(%q, %q): got %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := depfile.CompareVersions(tt.b, tt.a); got != -tt.want {
			t.Errorf("CompareVersions(%q, %q): got %d, want %d", tt.b, tt.a, got, -tt.want)
		}
	}
}

func TestMatchConstraint(t *testing.T) {
	tests := []struct {
		version, constraint string
		want                bool
		wantErr             error // nil, errUnknown or errConstraint
	}{
		{"2.14.1", "<2.17.1", true, nil},
		{"2.11.2", "<2.17.1", true, nil},
		{"2.17.1", "<2.17.1", false, nil},
		{"2.17.1", "<=2.17.1", true, nil},
		{"2.17.2", ">2.17.1", true, nil},
		{"2.17.1", ">=2.17.1", true, nil},
		{"2.14.1", "=2.14.1", true, nil},
		{"2.14.1", "==2.14.1", true, nil},
		{"2.14.1", "2.14.1", true, nil},
		{"2.14.1", "!=2.14.1", false, nil},
		{"2.0-beta9", ">=2.0-beta9, <2.17.1", true, nil},
		{"1.2.17", ">=2.0,<2.17.1", false, nil},
		{"2.15.0", ">= 2.0 < 2.17.1", true, nil},
		{"1.2.17", "<1.3 || >=2.0 <2.17.1", true, nil},
		{"2.17.0", "<1.3 || >=2.0 <2.17.0", false, nil},
		{"^0.6.21", "<0.7", true, nil},
		{"v1.9.3", ">=v1.9.0", true, nil},
		{"${log4j.version}", "<2.17.1", false, depfile.ErrUnknownVersion},
		{"", "<2.17.1", false, depfile.ErrUnknownVersion},
		{"latest", "<2.17.1", false, depfile.ErrUnknownVersion},
		{"[2.0,2.17.1)", "<2.17.1", false, depfile.ErrUnknownVersion},
		{"2.14.1", "", false, errConstraint},
		{"2.14.1", "<", false, errConstraint},
		{"2.14.1", "=>2.0", false, errConstraint},
		{"2.14.1", "<abc", false, errConstraint},
		{"2.14.1", "<2.0 ||", false, errConstraint},
		{"2.14.1", "~2.0", false, errConstraint},
	}
	for _, tt := range tests {
		got, err := depfile.MatchConstraint(tt.version, tt.constraint)
		switch {
		case tt.wantErr == nil && err != nil:
			t.Errorf("MatchConstraint(%q, %q): got error %v, want none", tt.version, tt.constraint, err)
		case tt.wantErr == depfile.ErrUnknownVersion && !errors.Is(err, depfile.ErrUnknownVersion):
			t.Errorf("MatchConstraint(%q, %q): got error %v, want ErrUnknownVersion", tt.version, tt.constraint, err)
		case tt.wantErr == errConstraint && (err == nil || errors.Is(err, depfile.ErrUnknownVersion)):
			t.Errorf("MatchConstraint(%q, %q): got error %v, want a constraint error", tt.version, tt.constraint, err)
		}
		if got != tt.want {
			t.Errorf("MatchConstraint(%q, %q): got %v, want %v", tt.version, tt.constraint, got, tt.want)
		}
	}
}

// errConstraint stands for "a malformed constraint" in test tables.
var errConstraint = errors.New("constraint error")
