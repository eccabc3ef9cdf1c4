package manifest

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
)

// Report is the result of linting a set of descriptor files.
type Report struct {
	// Descriptors are the files linted, in the order they were added.
	Descriptors []Descriptor
}

// Add appends a linted file to the report.
func (r *Report) Add(d Descriptor) { r.Descriptors = append(r.Descriptors, d) }

// Summary counts files and findings by severity.
type Summary struct {
	// Files is the number of files linted.
	Files int `json:"files"`
	// Entities is the number of entities declared.
	Entities int `json:"entities"`
	// Errors counts errors.
	Errors int `json:"errors"`
	// Warnings counts warnings.
	Warnings int `json:"warnings"`
	// Infos counts infos.
	Infos int `json:"infos"`
}

// Summary counts the report's files and findings.
func (r Report) Summary() Summary {
	s := Summary{Files: len(r.Descriptors)}
	for _, d := range r.Descriptors {
		s.Entities += len(d.Entities)
		for _, f := range d.Findings {
			switch f.Severity {
			case SeverityError:
				s.Errors++
			case SeverityWarning:
				s.Warnings++
			default:
				s.Infos++
			}
		}
	}
	return s
}

// HasErrors reports whether any file has an error finding.
func (r Report) HasErrors() bool {
	return slices.ContainsFunc(r.Descriptors, Descriptor.HasErrors)
}

// Findings returns every finding, file by file, each file's by position.
func (r Report) Findings() []Finding {
	var out []Finding
	for _, d := range r.Descriptors {
		fs := slices.Clone(d.Findings)
		slices.SortStableFunc(fs, func(a, b Finding) int {
			return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
		})
		out = append(out, fs...)
	}
	return out
}

// WriteText writes one line per finding: "path:line:col: severity: message (fix: ...)".
func (r Report) WriteText(w io.Writer) error {
	for _, f := range r.Findings() {
		if _, err := fmt.Fprintln(w, f.String()); err != nil {
			return fmt.Errorf("write text report: %w", err)
		}
	}
	return nil
}

// jsonReport is the document WriteJSON writes.
type jsonReport struct {
	Files   []Descriptor `json:"files"`
	Summary Summary      `json:"summary"`
}

// WriteJSON writes the report as one JSON document: {"files": [...], "summary": {...}},
// each file with its format, entities and findings.
func (r Report) WriteJSON(w io.Writer) error {
	doc := jsonReport{Files: make([]Descriptor, 0, len(r.Descriptors)), Summary: r.Summary()}
	for _, d := range r.Descriptors {
		if d.Entities == nil {
			d.Entities = []Entity{}
		}
		if d.Findings == nil {
			d.Findings = []Finding{}
		}
		doc.Files = append(doc.Files, d)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write json report: %w", err)
	}
	return nil
}

// CodeQualityIssue is one entry of a GitLab Code Quality report.
type CodeQualityIssue struct {
	// Description is the finding's message and fix.
	Description string `json:"description"`
	// CheckName is the rule name.
	CheckName string `json:"check_name"`
	// Fingerprint identifies the finding: a hash of path, rule, line and message.
	Fingerprint string `json:"fingerprint"`
	// Severity is info, minor, major, critical or blocker.
	Severity string `json:"severity"`
	// Location is where the finding is.
	Location CodeQualityLocation `json:"location"`
}

// CodeQualityLocation is the location of a Code Quality issue.
type CodeQualityLocation struct {
	// Path is the file path, relative to the repository root, with '/'.
	Path string `json:"path"`
	// Lines holds the line the issue begins on.
	Lines CodeQualityLines `json:"lines"`
}

// CodeQualityLines is the line range of a Code Quality issue.
type CodeQualityLines struct {
	// Begin is the 1-based line.
	Begin int `json:"begin"`
}

// CodeQuality converts the findings into GitLab Code Quality issues. Errors
// are "major", warnings "minor", infos "info"; issues with the same
// fingerprint are listed once.
func (r Report) CodeQuality() []CodeQualityIssue {
	out := []CodeQualityIssue{}
	seen := map[string]bool{}
	for _, f := range r.Findings() {
		p := filepath.ToSlash(f.Path)
		fp := Fingerprint(p, f.Rule, f.Line, f.Message)
		if seen[fp] {
			continue
		}
		seen[fp] = true
		desc := f.Message
		if f.Fix != "" {
			desc += " (fix: " + f.Fix + ")"
		}
		out = append(out, CodeQualityIssue{
			Description: desc,
			CheckName:   f.Rule,
			Fingerprint: fp,
			Severity:    codeQualitySeverity(f.Severity),
			Location:    CodeQualityLocation{Path: p, Lines: CodeQualityLines{Begin: f.Line}},
		})
	}
	return out
}

// WriteCodeQuality writes the report as a GitLab Code Quality report (a JSON array).
func (r Report) WriteCodeQuality(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r.CodeQuality()); err != nil {
		return fmt.Errorf("write code quality report: %w", err)
	}
	return nil
}

// Fingerprint is the stable identity of a finding in a Code Quality report:
// the SHA-256 of its path, rule, line and message.
func Fingerprint(path, rule string, line int, message string) string {
	h := sha256.New()
	for _, part := range []string{path, rule, strconv.Itoa(line), message} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

func codeQualitySeverity(s Severity) string {
	switch s {
	case SeverityError:
		return "major"
	case SeverityWarning:
		return "minor"
	}
	return "info"
}
