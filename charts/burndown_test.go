package charts

import (
	"bytes"
	"image/png"
	"slices"
	"strings"
	"testing"
	"time"

	gocharts "github.com/go-analyze/charts"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestSparkline(t *testing.T) {
	long := make([]int, 100)
	for i := range long {
		long[i] = 100 - i
	}
	for _, tc := range []struct {
		name   string
		values []int
		want   string
	}{
		{"empty", nil, ""},
		{"one day", []int{5}, "█"},
		{"all zero", []int{0, 0, 0}, "▁▁▁"},
		{"burning down", []int{7, 6, 5, 4, 3, 2, 1, 0}, "█▇▆▅▄▃▂▁"},
		{"scaled", []int{14, 7, 0}, "█▅▁"},
		{"goes up when services join", []int{2, 4}, "▅█"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Sparkline(tc.values); got != tc.want {
				t.Errorf("Sparkline(%v) = %q, want %q", tc.values, got, tc.want)
			}
		})
	}
	t.Run("long series sampled", func(t *testing.T) {
		got := []rune(Sparkline(long))
		if len(got) != maxSparkWidth || got[0] != '█' || got[len(got)-1] != '▁' {
			t.Errorf("Sparkline(100 days) = %q, want %d bars from █ to ▁", string(got), maxSparkWidth)
		}
	})
}

func TestPNG(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    BurnDown
	}{
		{"one day", BurnDown{Title: "log4j", Days: []Day{{day("2026-12-01"), 12}}, Deadline: day("2026-12-31")}},
		{"several days with a gap", BurnDown{Title: "log4j", Days: []Day{{day("2026-12-01"), 12}, {day("2026-12-02"), 9}, {day("2026-12-05"), 3}}, Deadline: day("2026-12-10")}},
		{"past the deadline", BurnDown{Days: []Day{{day("2026-12-01"), 4}, {day("2026-12-20"), 1}}, Deadline: day("2026-12-10")}},
		{"no deadline", BurnDown{Days: []Day{{day("2026-12-01"), 4}, {day("2026-12-02"), 0}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			buf, err := PNG(tc.b)
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(buf))
			if err != nil {
				t.Fatalf("not a PNG: %v", err)
			}
			if b := img.Bounds(); b.Dx() != Width || b.Dy() != Height {
				t.Errorf("size %dx%d, want %dx%d", b.Dx(), b.Dy(), Width, Height)
			}
		})
	}
}

func TestPNGErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    BurnDown
		want string
	}{
		{"empty", BurnDown{}, "no days"},
		{"deadline years away", BurnDown{Days: []Day{{day("2026-12-01"), 4}}, Deadline: day("2036-12-01")}, "is more than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := PNG(tc.b)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("PNG error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestDailyValuesAndIdeal(t *testing.T) {
	got := dailyValues([]Day{{day("2026-12-01"), 5}, {day("2026-12-03"), 2}}, day("2026-12-01"), 4)
	if got[0] != 5 || got[1] != 5 || got[2] != 2 {
		t.Errorf("dailyValues = %v, want 5 5 2 then null", got)
	}
	if got[3] != gocharts.GetNullValue() {
		t.Errorf("day after the last count = %v, want the null value", got[3])
	}
	if id := ideal(10, 4, 6); id[0] != 10 || id[2] != 5 || id[4] != 0 || id[5] != 0 {
		t.Errorf("ideal(10, 4, 6) = %v, want 10 7.5 5 2.5 0 0", id)
	}
}

func TestDaily(t *testing.T) {
	days := []Day{{day("2026-12-01"), 5}, {day("2026-12-03"), 2}}
	for _, tc := range []struct {
		name  string
		days  []Day
		until time.Time
		want  []int
	}{
		{"none", nil, day("2026-12-05"), nil},
		{"gaps kept, through today", days, day("2026-12-05"), []int{5, 5, 2, 2, 2}},
		{"today before the last count", days, day("2026-12-02"), []int{5, 5, 2}},
		{"one day", days[:1], day("2026-12-01"), []int{5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Daily(tc.days, tc.until); !slices.Equal(got, tc.want) {
				t.Errorf("Daily = %v, want %v", got, tc.want)
			}
		})
	}
}
