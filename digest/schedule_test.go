package digest_test

import (
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/digest"
)

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestLastDue(t *testing.T) {
	paris := mustLoad(t, "Europe/Paris")
	at := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, paris) }
	tests := []struct {
		name    string
		expr    string
		now     time.Time
		want    time.Time
		wantDay string
	}{
		{"weekday, before 9", "0 9 * * 1-5", at(2025, 11, 4, 8, 59), at(2025, 11, 3, 9, 0), "2025-11-03"},
		{"weekday, at 9", "0 9 * * 1-5", at(2025, 11, 4, 9, 0), at(2025, 11, 4, 9, 0), "2025-11-04"},
		{"monday morning looks back to friday", "0 9 * * 1-5", at(2025, 11, 3, 7, 0), at(2025, 10, 31, 9, 0), "2025-10-31"},
		{"sunday", "0 9 * * 1-5", at(2025, 11, 2, 12, 0), at(2025, 10, 31, 9, 0), "2025-10-31"},
		{"default schedule", "", at(2025, 11, 5, 10, 0), at(2025, 11, 5, 9, 0), "2025-11-05"},
		{"weekly", "@weekly", at(2025, 11, 5, 10, 0), at(2025, 11, 2, 0, 0), "2025-11-02"},
		{"monthly", "30 8 1 * *", at(2025, 11, 20, 10, 0), at(2025, 11, 1, 8, 30), "2025-11-01"},
		{"names", "0 9 * * mon", at(2025, 11, 6, 10, 0), at(2025, 11, 3, 9, 0), "2025-11-03"},
		{"every minute", "* * * * *", at(2025, 11, 6, 10, 0).Add(30 * time.Second), at(2025, 11, 6, 10, 0), "2025-11-06"},
		{"the day after summer time ends", "0 9 * * *", at(2025, 10, 26, 9, 30), at(2025, 10, 26, 9, 0), "2025-10-26"},
		{"late evening in Paris is the next day in UTC", "30 23 * * *", time.Date(2025, 11, 5, 22, 45, 0, 0, time.UTC), at(2025, 11, 5, 23, 30), "2025-11-05"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := digest.ParseSchedule(tt.expr, paris)
			if err != nil {
				t.Fatal(err)
			}
			got := s.LastDue(tt.now)
			if !got.Equal(tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			if day := s.Day(got).Format(time.DateOnly); day != tt.wantDay {
				t.Errorf("day: got %s, want %s", day, tt.wantDay)
			}
			if next := s.Next(tt.now); !next.After(tt.now) {
				t.Errorf("next: got %v, want after %v", next, tt.now)
			}
		})
	}

	every, err := digest.ParseSchedule("@every 1h", nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 11, 6, 10, 17, 0, 0, time.UTC)
	if got := every.LastDue(now); !got.Equal(now) {
		t.Errorf("@every: got %v, want always due (%v)", got, now)
	}

	for _, bad := range []string{"0 25 * * *", "0 9 * *", "CRON_TZ=Europe/Paris 0 9 * * *", "@sometimes"} {
		if _, err := digest.ParseSchedule(bad, nil); err == nil {
			t.Errorf("ParseSchedule(%q): got no error, want one", bad)
		}
	}
}
