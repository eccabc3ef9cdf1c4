// Package charts draws Switchboard's pictures: a campaign's burn-down
// (remaining services per day) as a PNG for Slack, and as a text
// sparkline for the shell and for fallback text.
package charts

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	gocharts "github.com/go-analyze/charts"
)

// Day is how many services were left on one day.
type Day struct {
	Day       time.Time
	Remaining int
}

// BurnDown is what a burn-down chart shows: the remaining count per day
// from the campaign's first day, and the deadline the ideal line reaches
// zero at.
type BurnDown struct {
	// Title is shown above the chart, e.g. the campaign's title.
	Title string
	// Days are in order of day, one a day; a missing day keeps the
	// previous day's count.
	Days []Day
	// Deadline is the day the campaign should be done; zero: no ideal
	// line.
	Deadline time.Time
}

// Default size of a burn-down PNG, in pixels.
const (
	Width  = 800
	Height = 400
)

// maxChartDays bounds the days a chart spans (a deadline years away
// would otherwise draw thousands of points).
const maxChartDays = 3 * 366

// PNG renders b as a Width×Height PNG: the remaining services a day, the
// ideal line from the first day's count to zero at the deadline, and the
// deadline named in the subtitle and on the x axis.
func PNG(b BurnDown) ([]byte, error) { return burnDown(b, gocharts.ChartOutputPNG) }

// burnDown renders b in format (gocharts.ChartOutputPNG or SVG).
func burnDown(b BurnDown, format string) ([]byte, error) {
	if len(b.Days) == 0 {
		return nil, errors.New("burn-down chart: no days to draw")
	}
	first := truncDay(b.Days[0].Day)
	last := truncDay(b.Days[len(b.Days)-1].Day)
	end := last
	deadline := truncDay(b.Deadline)
	if !b.Deadline.IsZero() && deadline.After(end) {
		end = deadline
	}
	n := daysBetween(first, end) + 1
	if n > maxChartDays {
		return nil, fmt.Errorf("burn-down chart: %d days from %s to %s is more than %d", n, first.Format(time.DateOnly), end.Format(time.DateOnly), maxChartDays)
	}
	actual := dailyValues(b.Days, first, n)
	labels := make([]string, n)
	for i := range labels {
		labels[i] = first.AddDate(0, 0, i).Format("Jan 2")
	}
	values := [][]float64{actual}
	names := []string{"Remaining"}
	sub := ""
	if !b.Deadline.IsZero() {
		values = append(values, ideal(float64(b.Days[0].Remaining), daysBetween(first, deadline), n))
		names = append(names, "Ideal")
		sub = "Deadline " + deadline.Format(time.DateOnly)
		if i := daysBetween(first, deadline); i >= 0 && i < n {
			labels[i] = "Deadline " + labels[i]
		}
	}
	opt := gocharts.NewLineChartOptionWithData(values)
	opt.Title.Text = b.Title
	opt.Title.Subtext = sub
	opt.XAxis.Labels = labels
	opt.Legend.SeriesNames = names
	opt.Legend.Offset = gocharts.OffsetRight
	opt.Symbol.Shape = gocharts.SymbolNone
	opt.LineStrokeWidth = 2
	opt.YAxis = []gocharts.YAxisOption{{Min: gocharts.Ptr(0.0)}}
	p := gocharts.NewPainter(gocharts.PainterOptions{OutputFormat: format, Width: Width, Height: Height})
	if err := p.LineChart(opt); err != nil {
		return nil, fmt.Errorf("burn-down chart: %w", err)
	}
	buf, err := p.Bytes()
	if err != nil {
		return nil, fmt.Errorf("burn-down chart: encoding %s: %w", format, err)
	}
	return buf, nil
}

// dailyValues spreads days over n days from first: a day without a count
// keeps the previous one; days after the last count are null (not drawn).
func dailyValues(days []Day, first time.Time, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = gocharts.GetNullValue()
	}
	lastIdx, prev := -1, 0.0
	for _, d := range days {
		i := daysBetween(first, truncDay(d.Day))
		if i < 0 || i >= n {
			continue
		}
		for j := lastIdx + 1; j < i; j++ {
			out[j] = prev
		}
		prev = float64(d.Remaining)
		out[i] = prev
		lastIdx = max(lastIdx, i)
	}
	return out
}

// ideal is the straight line from start on day 0 to zero on day dl, zero
// after it, over n days.
func ideal(start float64, dl, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		switch {
		case dl <= 0 || i >= dl:
			out[i] = 0
		default:
			out[i] = math.Round(start*float64(dl-i)/float64(dl)*100) / 100
		}
	}
	return out
}

// truncDay is t's day at midnight UTC.
func truncDay(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// daysBetween is how many whole days b is after a (both at midnight).
func daysBetween(a, b time.Time) int { return int(b.Sub(a).Round(time.Hour).Hours() / 24) }

// sparkBars are the sparkline's levels, lowest first.
var sparkBars = []rune("▁▂▃▄▅▆▇█")

// maxSparkWidth bounds a sparkline's length: longer series are sampled.
const maxSparkWidth = 30

// Sparkline draws values as bars from ▁ (zero) to █ (the largest value),
// at most maxSparkWidth of them (a longer series is sampled evenly, the
// last value always shown); "" for no values.
func Sparkline(values []int) string {
	if len(values) == 0 {
		return ""
	}
	if len(values) > maxSparkWidth {
		sampled := make([]int, maxSparkWidth)
		for i := range sampled {
			sampled[i] = values[i*(len(values)-1)/(maxSparkWidth-1)]
		}
		values = sampled
	}
	top := 0
	for _, v := range values {
		top = max(top, v)
	}
	var sb strings.Builder
	for _, v := range values {
		i := 0
		if top > 0 && v > 0 {
			i = int(math.Round(float64(max(v, 0)) * float64(len(sparkBars)-1) / float64(top)))
		}
		sb.WriteRune(sparkBars[i])
	}
	return sb.String()
}

// Daily is the remaining count of every day from the first of days
// through until (or the last of days, when later): a day without a count
// keeps the previous day's. Nil for no days.
func Daily(days []Day, until time.Time) []int {
	if len(days) == 0 {
		return nil
	}
	first := truncDay(days[0].Day)
	n := max(daysBetween(first, truncDay(until)), daysBetween(first, truncDay(days[len(days)-1].Day))) + 1
	n = min(n, maxChartDays)
	vals := dailyValues(days, first, n)
	out := make([]int, n)
	prev := 0
	for i, v := range vals {
		if v != gocharts.GetNullValue() {
			prev = int(v)
		}
		out[i] = prev
	}
	return out
}
