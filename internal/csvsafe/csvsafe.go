// Package csvsafe writes CSV files meant to be opened in a spreadsheet:
// a cell that a spreadsheet would run as a formula (one starting with =,
// +, -, @, a tab or a carriage return: OWASP's "CSV injection") is kept as
// text by a leading quote. Every CSV report of Switchboard goes through it.
package csvsafe

import (
	"encoding/csv"
	"io"
	"strings"
)

// Writer writes neutralised records.
type Writer struct{ w *csv.Writer }

// NewWriter returns a Writer to w.
func NewWriter(w io.Writer) *Writer { return &Writer{csv.NewWriter(w)} }

// Write writes one record, neutralising cells in place; its error, if
// any, is Flush's.
func (w *Writer) Write(cells ...string) {
	for i, c := range cells {
		cells[i] = Cell(c)
	}
	_ = w.w.Write(cells)
}

// Flush writes what is buffered and returns the first error of the
// writes and the flush.
func (w *Writer) Flush() error {
	w.w.Flush()
	return w.w.Error()
}

// Cell is c as a cell a spreadsheet shows as text.
func Cell(c string) string {
	if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
		return "'" + c
	}
	return c
}
