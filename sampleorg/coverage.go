package sampleorg

import (
	"math"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
)

// CoverageHistory is a plausible history of the sample organisation's
// coverage over the days up to now (UTC days, oldest first, days of them),
// ending today at current, the coverage its catalog has now: teams added
// descriptors sprint by sprint, so the catalogued repos rose week by week
// along an S-curve from two fifths of today's; a repo was created each
// month; one more repo came to be ignored two months ago; a descriptor was
// broken for two weeks a month ago. It is computed from now and current
// alone (no randomness), so the demo's coverage page and the tests reading
// it always see the same line. Each day's PostedAt is when it was recorded:
// 09:00 UTC, or now if that is later than now.
func CoverageHistory(now time.Time, current catalog.Coverage, days int) []catalog.CoverageDay {
	if days <= 0 {
		return nil
	}
	today := now.UTC().Truncate(24 * time.Hour)
	weeks := (days - 1) / 7
	start := current.Catalogued * 2 / 5
	out := make([]catalog.CoverageDay, 0, days)
	for i := range days {
		ago := days - 1 - i
		c := current
		// Catalogued: weekly steps along 3t²-2t³, reaching today's on
		// the last week.
		if weeks > 0 {
			t := float64(i/7) / float64(weeks)
			if ago < 7 {
				t = 1
			}
			s := t * t * (3 - 2*t)
			c.Catalogued = start + int(math.Round(float64(current.Catalogued-start)*s))
		}
		c.Active = max(current.Active-ago/30, 0)
		if ago >= 60 && current.Ignored > 0 {
			c.Ignored = current.Ignored - 1
		}
		if ago >= 25 && ago < 40 {
			c.Broken = current.Broken + 1
		}
		// What is neither catalogued, broken nor ignored had no
		// descriptor; repos not created yet had none either.
		c.NoDescriptor = max(current.NoDescriptor+(current.Catalogued-c.Catalogued)-(current.Active-c.Active)+
			(current.Ignored-c.Ignored)-(c.Broken-current.Broken), 0)
		day := today.AddDate(0, 0, -ago)
		at := day.Add(9 * time.Hour) // as if recorded when the day's digest went out
		if at.After(now) {
			at = now
		}
		out = append(out, catalog.CoverageDay{Day: day, PostedAt: at, Coverage: c})
	}
	return out
}
