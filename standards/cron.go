package standards

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// cronField is one field of a five-field cron expression.
type cronField struct {
	name     string
	min, max int
	names    []string // names for values min.. (months, weekdays), lower case
}

func cronFields() []cronField {
	return []cronField{
		{name: "minute", min: 0, max: 59},
		{name: "hour", min: 0, max: 23},
		{name: "day of month", min: 1, max: 31},
		{name: "month", min: 1, max: 12, names: []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}},
		{name: "day of week", min: 0, max: 7, names: weekdayNames},
	}
}

// weekdayNames are the days' three-letter lower-case names, Sunday first
// as time.Weekday numbers them: cron's day-of-week names and the names
// incidents.weekdays takes.
var weekdayNames = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// validCron checks a standard five-field cron expression (minute hour
// day-of-month month day-of-week, with *, lists, ranges, steps and month and
// weekday names), or a descriptor such as @daily or @every 1h.
func validCron(expr string) error {
	expr = strings.TrimSpace(expr)
	if expr == "" {
		return errors.New("it is empty")
	}
	if strings.HasPrefix(expr, "@") {
		switch expr {
		case "@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly":
			return nil
		}
		if d, ok := strings.CutPrefix(expr, "@every "); ok {
			if dur, err := time.ParseDuration(strings.TrimSpace(d)); err != nil || dur <= 0 {
				return fmt.Errorf("%q is not a positive duration", d)
			}
			return nil
		}
		return fmt.Errorf("unknown descriptor %s", expr)
	}
	parts := strings.Fields(expr)
	fields := cronFields()
	if len(parts) != len(fields) {
		return fmt.Errorf("it has %d fields, want 5", len(parts))
	}
	for i, p := range parts {
		if err := fields[i].check(p); err != nil {
			return fmt.Errorf("%s: %w", fields[i].name, err)
		}
	}
	return nil
}

func (f cronField) check(s string) error {
	for item := range strings.SplitSeq(s, ",") {
		rng, step, hasStep := strings.Cut(item, "/")
		if hasStep {
			n, err := strconv.Atoi(step)
			if err != nil || n < 1 {
				return fmt.Errorf("step %q is not a positive number", step)
			}
		}
		if rng == "*" || (rng == "?" && f.names != nil && f.max == 7) || (rng == "?" && f.name == "day of month") {
			continue
		}
		lo, hi, isRange := strings.Cut(rng, "-")
		a, err := f.value(lo)
		if err != nil {
			return err
		}
		if !isRange {
			continue
		}
		b, err := f.value(hi)
		if err != nil {
			return err
		}
		if a > b {
			return fmt.Errorf("range %s is backwards", rng)
		}
	}
	return nil
}

func (f cronField) value(s string) (int, error) {
	for i, n := range f.names {
		if strings.EqualFold(s, n) {
			return f.min + i, nil
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < f.min || n > f.max {
		return 0, fmt.Errorf("%q is not between %d and %d", s, f.min, f.max)
	}
	return n, nil
}
