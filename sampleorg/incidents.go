package sampleorg

import (
	"fmt"
	"hash/fnv"
	"time"

	"github.com/switchboard-dev/switchboard/pagerduty/fakepd"
)

// checkoutIncidents is checkout-api's incident history, as days ago and the
// hour (UTC) of creation: 7 in the last 30 days, 3 of them out of hours
// (02:00 or 21:00, outside 09:00-18:00 whatever the day) and the others at
// 11:00 or 14:00 on a weekday; 19 in the last 90 days.
var checkoutIncidents = []struct {
	daysAgo, hour int
	urgency       string
}{
	{1, 2, "high"}, {3, 11, "high"}, {6, 21, "high"}, {11, 14, "low"}, {15, 11, "high"}, {22, 2, "high"}, {27, 14, "low"},
	{33, 11, "high"}, {38, 2, "low"}, {41, 14, "high"}, {47, 11, "high"}, {52, 21, "high"}, {58, 11, "low"},
	{63, 14, "high"}, {67, 2, "high"}, {72, 11, "high"}, {78, 14, "low"}, {83, 21, "high"}, {86, 11, "high"},
}

// Incidents is the sample organisation's PagerDuty incident history
// relative to now, deterministic for a given day: checkout-api's fixed
// history (7 incidents in 30 days, 3 out of hours, 19 in 90 days) and, for
// each other sample PagerDuty service, 0 to 11 incidents spread over the
// last 90 days (the noisiest of the week is checkout-api or one close to
// it).
func Incidents(now time.Time) []fakepd.Incident {
	day := now.UTC().Truncate(24 * time.Hour)
	var out []fakepd.Incident
	n := 0
	add := func(serviceID string, at time.Time, urgency string) {
		n++
		out = append(out, fakepd.Incident{
			ID: fmt.Sprintf("QHIST%04d", n), Number: 1000 + n, ServiceID: serviceID, CreatedAt: at,
			Title: "Alert fired", Status: "resolved", Urgency: urgency,
		})
	}
	for _, s := range fakepd.SampleServices() {
		if s.Ref == "checkout-api" {
			for _, in := range checkoutIncidents {
				d := day.AddDate(0, 0, -in.daysAgo)
				if in.hour >= 9 && in.hour < 18 {
					d = weekday(d)
				}
				add(s.ID, d.Add(time.Duration(in.hour)*time.Hour+17*time.Minute), in.urgency)
			}
			continue
		}
		h := fnv.New32a()
		_, _ = h.Write([]byte(s.Ref))
		seed := h.Sum32()
		count := int(seed % 12)
		for i := range count {
			seed = seed*1664525 + 1013904223
			daysAgo := 1 + int(seed%89)
			hour := int(seed>>8) % 24
			add(s.ID, day.AddDate(0, 0, -daysAgo).Add(time.Duration(hour)*time.Hour+time.Duration(i)*time.Minute), "high")
		}
	}
	return out
}

// weekday is d, or the Friday before it when it is a weekend day.
func weekday(d time.Time) time.Time {
	switch d.Weekday() {
	case time.Saturday:
		return d.AddDate(0, 0, -1)
	case time.Sunday:
		return d.AddDate(0, 0, -2)
	}
	return d
}

// AddIncidents gives the fake PagerDuty (fakepd.Sample) the sample
// organisation's incident history.
func AddIncidents(pd *fakepd.Server, now time.Time) error {
	if err := pd.AddIncidentHistory(Incidents(now)...); err != nil {
		return fmt.Errorf("sample incidents: %w", err)
	}
	return nil
}
