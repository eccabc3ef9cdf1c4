package sampleorg

import (
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
)

// TestCoverageHistory checks the demo's coverage history: one day each,
// consecutive, ending today at the coverage given, catalogued never
// falling and rising overall, no negative count, and the same for the same
// inputs.
func TestCoverageHistory(t *testing.T) {
	now := time.Date(2026, 12, 1, 21, 30, 0, 0, time.UTC)
	tests := []struct {
		name string
		cur  catalog.Coverage
		days int
	}{
		{"demo-like", catalog.Coverage{Active: 60, Catalogued: 41, NoDescriptor: 15, Broken: 2, Ignored: 3}, 90},
		{"nothing ignored or broken", catalog.Coverage{Active: 10, Catalogued: 5, NoDescriptor: 5}, 30},
		{"empty organisation", catalog.Coverage{}, 5},
		{"one day", catalog.Coverage{Active: 3, Catalogued: 1, NoDescriptor: 2}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := CoverageHistory(now, tt.cur, tt.days)
			if len(h) != tt.days {
				t.Fatalf("%d days, want %d", len(h), tt.days)
			}
			last := h[len(h)-1]
			if !last.Day.Equal(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)) || last.Coverage != tt.cur {
				t.Fatalf("last day %s %+v, want today at %+v", last.Day, last.Coverage, tt.cur)
			}
			for i, d := range h {
				c := d.Coverage
				if c.Active < 0 || c.Catalogued < 0 || c.NoDescriptor < 0 || c.Broken < 0 || c.Ignored < 0 || c.Catalogued > c.Active {
					t.Errorf("day %d: implausible %+v", i, c)
				}
				if i > 0 {
					if got := d.Day.Sub(h[i-1].Day); got != 24*time.Hour {
						t.Errorf("day %d is %s after the one before", i, got)
					}
					if c.Catalogued < h[i-1].Coverage.Catalogued {
						t.Errorf("catalogued fell on day %d: %d after %d", i, c.Catalogued, h[i-1].Coverage.Catalogued)
					}
				}
			}
			if tt.days >= 30 && tt.cur.Catalogued > 2 && h[0].Coverage.Catalogued >= tt.cur.Catalogued {
				t.Errorf("catalogued did not rise: %d then %d", h[0].Coverage.Catalogued, tt.cur.Catalogued)
			}
			again := CoverageHistory(now.Add(time.Hour), tt.cur, tt.days)
			for i := range h {
				if h[i].Coverage != again[i].Coverage || !h[i].Day.Equal(again[i].Day) {
					t.Fatalf("day %d differs between two calls the same day", i)
				}
			}
		})
	}
	if h := CoverageHistory(now, catalog.Coverage{Active: 1}, 0); h != nil {
		t.Errorf("0 days gave %d", len(h))
	}
}
