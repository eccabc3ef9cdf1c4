package charts

import (
	"strings"
	"testing"
	"time"
)

// TestSVG: the web's charts are SVG drawn from the same data as the Slack
// ones, small enough for a page, and refuse what they cannot draw.
func TestSVG(t *testing.T) {
	labels := make([]string, 91)
	s := []Series{{Name: "Catalogued"}, {Name: "Flagged"}, {Name: "Ignored"}}
	for i := range labels {
		labels[i] = time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i).Format(time.DateOnly)
		s[0].Values = append(s[0].Values, float64(9000+i))
		s[1].Values = append(s[1].Values, float64(900-i))
		s[2].Values = append(s[2].Values, 100)
	}
	b, err := LinesSVG("Coverage", labels, s)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "<svg") || !strings.Contains(string(b), "Catalogued") || len(b) > 40_000 {
		t.Errorf("coverage SVG: %d bytes, %.100s", len(b), b)
	}
	var days []Day
	for i := range 60 {
		days = append(days, Day{Day: time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i), Remaining: 100 - i})
	}
	c, err := BurnDownSVG(BurnDown{Title: "Log4Shell", Days: days, Deadline: days[59].Day.AddDate(0, 0, 30)})
	if err != nil || !strings.HasPrefix(string(c), "<svg") || !strings.Contains(string(c), "Log4Shell") {
		t.Errorf("burn-down SVG: %v %.100s", err, c)
	}
	if _, err := BurnDownSVG(BurnDown{}); err == nil {
		t.Error("an empty burn-down drew")
	}
	if _, err := LinesSVG("x", []string{"a", "b"}, []Series{{Name: "s", Values: []float64{1}}}); err == nil {
		t.Error("a series short of values drew")
	}
	if _, err := LinesSVG("x", nil, nil); err == nil {
		t.Error("nothing drew")
	}
}
