package standards

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Incidents configures how PagerDuty incidents are counted: the business
// hours outside which an incident is "out of hours".
//
//	incidents:
//	  business_hours: "09:00-18:00"   # start included, end excluded
//	  weekdays: [mon, tue, wed, thu, fri]
//	  timezone: Europe/London         # default: digest.timezone
type Incidents struct {
	// BusinessHours is "HH:MM-HH:MM", start before end (default
	// "09:00-18:00").
	BusinessHours string `json:"business_hours"`
	// Weekdays are the working days, three-letter English names (default
	// mon to fri).
	Weekdays []string `json:"weekdays"`
	// Timezone is the IANA time zone of the business hours; empty: the
	// digest's.
	Timezone string `json:"timezone"`
}

// The business hours when the standards give none: 09:00-18:00, Monday
// to Friday. The one source of these defaults: Hours uses them, and so
// does catalog.BusinessHours' zero value.
const (
	// DefaultWorkdayStart is when the working day starts, since local
	// midnight.
	DefaultWorkdayStart = 9 * time.Hour
	// DefaultWorkdayEnd is when it ends (excluded).
	DefaultWorkdayEnd = 18 * time.Hour
)

// DefaultWeekdays are the working days when the standards give none,
// Monday to Friday (a new slice each call).
func DefaultWeekdays() []time.Weekday {
	return []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
}

// Hours returns the business hours' bounds since local midnight, the
// working days and the time zone (the digest's when Timezone is empty;
// UTC when neither loads). Values that do not parse (Parse reports them)
// fall back to the defaults.
func (s *Standards) Hours() (start, end time.Duration, days []time.Weekday, loc *time.Location) {
	start, end, err := parseHours(s.Incidents.BusinessHours)
	if err != nil {
		start, end = DefaultWorkdayStart, DefaultWorkdayEnd
	}
	for _, d := range s.Incidents.Weekdays {
		if i := slices.Index(weekdayNames, strings.ToLower(strings.TrimSpace(d))); i >= 0 && !slices.Contains(days, time.Weekday(i)) {
			days = append(days, time.Weekday(i))
		}
	}
	if len(days) == 0 {
		days = DefaultWeekdays()
	}
	loc = s.Digest.Location()
	if l, err := time.LoadLocation(s.Incidents.Timezone); err == nil && s.Incidents.Timezone != "" && s.Incidents.Timezone != "Local" {
		loc = l
	}
	return start, end, days, loc
}

// parseHours reads "HH:MM-HH:MM" (empty: the default).
func parseHours(v string) (start, end time.Duration, err error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return DefaultWorkdayStart, DefaultWorkdayEnd, nil
	}
	a, b, ok := strings.Cut(v, "-")
	if !ok {
		return 0, 0, fmt.Errorf("want HH:MM-HH:MM")
	}
	clock := func(s string) (time.Duration, error) {
		if strings.TrimSpace(s) == "24:00" {
			return 24 * time.Hour, nil
		}
		t, err := time.Parse("15:04", strings.TrimSpace(s))
		if err != nil {
			return 0, fmt.Errorf("%q is not a time of day HH:MM", strings.TrimSpace(s))
		}
		return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
	}
	if start, err = clock(a); err != nil {
		return 0, 0, err
	}
	if end, err = clock(b); err != nil {
		return 0, 0, err
	}
	if start >= end {
		return 0, 0, fmt.Errorf("the start must be before the end (hours across midnight are not supported)")
	}
	return start, end, nil
}

func (d *decoder) incidents(in *Incidents, v *yaml.Node) {
	d.section("incidents", v, map[string]func(*yaml.Node){
		"business_hours": func(v *yaml.Node) {
			in.BusinessHours = d.str("incidents.business_hours", v)
			if _, _, err := parseHours(in.BusinessHours); err != nil {
				d.errorf(RuleConfigValue, v, `write the working day as "09:00-18:00"`, "incidents.business_hours %q: %v", clip(in.BusinessHours), err)
			}
		},
		"weekdays": func(v *yaml.Node) {
			in.Weekdays = d.stringList("incidents.weekdays", v)
			for _, w := range in.Weekdays {
				if !slices.Contains(weekdayNames, strings.ToLower(strings.TrimSpace(w))) {
					d.errorf(RuleConfigValue, v, "list days as mon, tue, wed, thu, fri, sat, sun", "incidents.weekdays: %q is not a day", clip(w))
				}
			}
		},
		"timezone": func(v *yaml.Node) {
			in.Timezone = d.str("incidents.timezone", v)
			if in.Timezone == "" {
				return // the digest's
			}
			if _, err := time.LoadLocation(in.Timezone); err != nil || in.Timezone == "Local" {
				d.errorf(RuleConfigValue, v, "use an IANA time zone such as UTC or Europe/London", "incidents.timezone %q is not a time zone", clip(in.Timezone))
			}
		},
	})
}
