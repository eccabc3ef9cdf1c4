package standards

import (
	"fmt"
	"os"

	"github.com/switchboard-dev/switchboard/manifest"
)

// Loaded is a standards file as LoadKeepingScorecard read it.
type Loaded struct {
	// Standards are the file's. With ScorecardErrors, their Scorecard is
	// the embedded default's, not the file's: the caller decides which
	// card is in force (the last good one it kept, see catalog's
	// scorecard store).
	Standards *Standards
	// Path is the file's path; "" for the embedded default.
	Path string
	// Findings are all the file's findings, by position.
	Findings []manifest.Finding
	// ScorecardErrors are the error findings of the scorecard section, by
	// position; empty when the section is valid or absent.
	ScorecardErrors []manifest.Finding
}

// ScorecardValid reports whether the file's scorecard (its own, or the
// embedded default's when it has no scorecard section) is the one read:
// the scorecard section has no error.
func (l Loaded) ScorecardValid() bool { return len(l.ScorecardErrors) == 0 }

// LoadKeepingScorecard reads the standards file at path as Load does, but
// errors in the scorecard section alone do not refuse the file: they are
// returned in ScorecardErrors, so that a service can keep the previous
// scorecard in force. An error anywhere else refuses the file, as Load
// does (wrapping ErrInvalid); so does a file that cannot be read. An
// empty path gives Default.
func LoadKeepingScorecard(path string) (Loaded, error) {
	if path == "" {
		return Loaded{Standards: Default()}, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return Loaded{}, fmt.Errorf("read standards %s: %w", path, err)
	}
	s, findings, score := decodeSplit(path, data, Default())
	l := Loaded{Standards: s, Path: path, Findings: findings}
	inScore := map[manifest.Finding]bool{}
	for _, f := range score {
		inScore[f] = true
		if f.Severity == manifest.SeverityError {
			l.ScorecardErrors = append(l.ScorecardErrors, f)
		}
	}
	for _, f := range findings {
		if f.Severity == manifest.SeverityError && !inScore[f] {
			return Loaded{Findings: findings}, fmt.Errorf("standards %s:%d:%d: %s: %w", path, f.Line, f.Col, f.Message, ErrInvalid)
		}
	}
	return l, nil
}
