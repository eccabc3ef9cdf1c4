package charts

import (
	"errors"
	"fmt"

	gocharts "github.com/go-analyze/charts"
)

// BurnDownSVG renders b as the Width×Height SVG the web catalog shows: the
// same chart, from the same data, as the PNG posted in Slack.
func BurnDownSVG(b BurnDown) ([]byte, error) { return burnDown(b, gocharts.ChartOutputSVG) }

// Series is one line of a line chart: a name and a value per label.
type Series struct {
	Name   string
	Values []float64
}

// maxSymbols is the most points a line chart marks each of.
const maxSymbols = 14

// LinesSVG renders a line chart titled title with one point per label and
// one line per series, as a Width×Height SVG (the web catalog's coverage
// over time). Every series must have a value per label.
func LinesSVG(title string, labels []string, series []Series) ([]byte, error) {
	if len(labels) == 0 || len(series) == 0 {
		return nil, errors.New("line chart: nothing to draw")
	}
	values := make([][]float64, len(series))
	names := make([]string, len(series))
	for i, s := range series {
		if len(s.Values) != len(labels) {
			return nil, fmt.Errorf("line chart: series %q has %d values for %d labels", s.Name, len(s.Values), len(labels))
		}
		values[i], names[i] = s.Values, s.Name
	}
	opt := gocharts.NewLineChartOptionWithData(values)
	opt.Title.Text = title
	opt.XAxis.Labels = labels
	opt.Legend.SeriesNames = names
	opt.Legend.Offset = gocharts.OffsetRight
	opt.LineStrokeWidth = 2
	if len(labels) > maxSymbols {
		// Points are marked only while few: a line of 90 days reads
		// without them, and the SVG stays small.
		opt.Symbol.Shape = gocharts.SymbolNone
	}
	opt.YAxis = []gocharts.YAxisOption{{Min: gocharts.Ptr(0.0)}}
	p := gocharts.NewPainter(gocharts.PainterOptions{OutputFormat: gocharts.ChartOutputSVG, Width: Width, Height: Height})
	if err := p.LineChart(opt); err != nil {
		return nil, fmt.Errorf("line chart: %w", err)
	}
	buf, err := p.Bytes()
	if err != nil {
		return nil, fmt.Errorf("line chart: encoding SVG: %w", err)
	}
	return buf, nil
}
