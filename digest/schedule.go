package digest

import (
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// DefaultSchedule is the digest's schedule when the standards file gives
// none: 09:00 on weekdays.
const DefaultSchedule = "0 9 * * 1-5"

// Schedule is when the digest is due: a cron expression in a time zone.
type Schedule struct {
	expr  string
	sched cron.Schedule
	loc   *time.Location
}

// ParseSchedule reads a five-field cron expression (minute hour
// day-of-month month day-of-week, with names, ranges, lists and steps) or a
// descriptor (@daily, @weekly, @every 1h), whose times are in loc (UTC when
// nil). An empty expression is DefaultSchedule.
func ParseSchedule(expr string, loc *time.Location) (Schedule, error) {
	expr = strings.TrimSpace(expr)
	if expr == "" {
		expr = DefaultSchedule
	}
	if loc == nil {
		loc = time.UTC
	}
	if strings.HasPrefix(expr, "TZ=") || strings.HasPrefix(expr, "CRON_TZ=") {
		return Schedule{}, fmt.Errorf("digest schedule %q: give the time zone as digest.timezone, not in the expression", expr)
	}
	s, err := cron.ParseStandard(expr)
	if err != nil {
		return Schedule{}, fmt.Errorf("digest schedule %q: %w", expr, err)
	}
	return Schedule{expr: expr, sched: s, loc: loc}, nil
}

// String returns the expression and its time zone.
func (s Schedule) String() string { return s.expr + " (" + s.loc.String() + ")" }

// Location is the schedule's time zone.
func (s Schedule) Location() *time.Location { return s.loc }

// Next returns the first due time after t.
func (s Schedule) Next(t time.Time) time.Time {
	return s.sched.Next(t.In(s.loc))
}

// LastDue returns the last due time at or before now; zero when there was
// none in the past year. An @every schedule is always due: its digest goes
// out once a day, as soon as it can.
func (s Schedule) LastDue(now time.Time) time.Time {
	now = now.In(s.loc)
	if _, ok := s.sched.(cron.ConstantDelaySchedule); ok {
		return now
	}
	// Look back a day first: most schedules fire daily, and a per-minute
	// one then takes at most 1,440 steps. Weekly, monthly and yearly
	// schedules need longer looks.
	for _, window := range []time.Duration{24 * time.Hour, 8 * 24 * time.Hour, 32 * 24 * time.Hour, 367 * 24 * time.Hour} {
		t := s.sched.Next(now.Add(-window))
		if t.IsZero() || t.After(now) {
			continue
		}
		for range 100_000 {
			n := s.sched.Next(t)
			if n.IsZero() || n.After(now) {
				break
			}
			t = n
		}
		return t
	}
	return time.Time{}
}

// Day returns the date (midnight UTC) of a due time in the schedule's time
// zone: the day a digest is for.
func (s Schedule) Day(due time.Time) time.Time {
	d := due.In(s.loc)
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
}
