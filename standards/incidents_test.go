package standards_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/standards"
)

func TestIncidentHours(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		wantErr string // a finding's text; "" for none
		start   time.Duration
		end     time.Duration
		days    []time.Weekday
		zone    string
	}{
		{name: "default: the digest's zone", yaml: "digest: {timezone: Europe/Paris}\n", start: 9 * time.Hour, end: 18 * time.Hour,
			days: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}, zone: "Europe/Paris"},
		{name: "set", yaml: "incidents:\n  business_hours: \"08:30-17:00\"\n  weekdays: [sun, Mon, tue, wed, thu]\n  timezone: Asia/Jerusalem\n",
			start: 8*time.Hour + 30*time.Minute, end: 17 * time.Hour,
			days: []time.Weekday{time.Sunday, time.Monday, time.Tuesday, time.Wednesday, time.Thursday}, zone: "Asia/Jerusalem"},
		{name: "until midnight", yaml: "incidents: {business_hours: \"00:00-24:00\"}\n", start: 0, end: 24 * time.Hour,
			days: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}, zone: "UTC"},
		{name: "across midnight", yaml: "incidents: {business_hours: \"22:00-06:00\"}\n", wantErr: `incidents.business_hours "22:00-06:00": the start must be before the end`},
		{name: "not a time", yaml: "incidents: {business_hours: \"9am-6pm\"}\n", wantErr: `incidents.business_hours "9am-6pm": "9am" is not a time of day HH:MM`},
		{name: "no dash", yaml: "incidents: {business_hours: \"09:00\"}\n", wantErr: "want HH:MM-HH:MM"},
		{name: "bad day", yaml: "incidents: {weekdays: [monday]}\n", wantErr: `incidents.weekdays: "monday" is not a day`},
		{name: "bad zone", yaml: "incidents: {timezone: Mars/Olympus}\n", wantErr: `incidents.timezone "Mars/Olympus" is not a time zone`},
		{name: "unknown key", yaml: "incidents: {hours: 9-5}\n", wantErr: "hours"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, findings := standards.Parse("sb.yaml", []byte(tt.yaml))
			var msgs []string
			for _, f := range findings {
				msgs = append(msgs, f.String())
			}
			all := strings.Join(msgs, "\n")
			if tt.wantErr != "" {
				if !strings.Contains(all, tt.wantErr) || !strings.Contains(all, "sb.yaml:") {
					t.Fatalf("findings %q, want one with %q and its position", all, tt.wantErr)
				}
				return
			}
			if len(findings) > 0 {
				t.Fatalf("findings: %s", all)
			}
			start, end, days, loc := s.Hours()
			if start != tt.start || end != tt.end || !slices.Equal(days, tt.days) || loc.String() != tt.zone {
				t.Errorf("hours %s-%s %v %s, want %s-%s %v %s", start, end, days, loc, tt.start, tt.end, tt.days, tt.zone)
			}
		})
	}
}
