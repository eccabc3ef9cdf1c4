package csvsafe_test

import (
	"encoding/csv"
	"slices"
	"strings"
	"testing"

	"github.com/switchboard-dev/switchboard/internal/csvsafe"
)

func TestWrite(t *testing.T) {
	tests := []struct{ in, want string }{
		{"checkout-api", "checkout-api"},
		{"=HYPERLINK(\"https://evil.example\",\"x\")", "'=HYPERLINK(\"https://evil.example\",\"x\")"},
		{"+1", "'+1"}, {"-1", "'-1"}, {"@SUM(A1)", "'@SUM(A1)"}, {"\tx", "'\tx"}, {"\rx", "'\rx"},
		{"a, \"b\"\nc", "a, \"b\"\nc"}, {"", ""},
	}
	var b strings.Builder
	w := csvsafe.NewWriter(&b)
	var in []string
	for _, tt := range tests {
		in = append(in, tt.in)
	}
	w.Write(in...)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(b.String())).ReadAll()
	if err != nil || len(recs) != 1 {
		t.Fatalf("read back: %v %v", recs, err)
	}
	var want []string
	for _, tt := range tests {
		want = append(want, tt.want)
	}
	if got := recs[0]; !slices.Equal(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
}
