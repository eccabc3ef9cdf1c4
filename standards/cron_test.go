package standards

import "testing"

func TestValidCron(t *testing.T) {
	tests := []struct {
		expr string
		ok   bool
	}{
		{"0 9 * * 1-5", true},
		{"*/15 * * * *", true},
		{"0 9,13 1-15/2 jan-jun MON-FRI", true},
		{"30 8 * * 7", true},
		{"0 0 ? * *", true},
		{"@daily", true},
		{"@every 1h30m", true},
		{"", false},
		{"0 9 * *", false},
		{"0 9 * * * *", false},
		{"60 9 * * *", false},
		{"0 24 * * *", false},
		{"0 9 0 * *", false},
		{"0 9 * 13 *", false},
		{"0 9 * * 8", false},
		{"0 9 * * 5-1", false},
		{"*/0 9 * * *", false},
		{"0 9 * * mon-", false},
		{"@fortnightly", false},
		{"@every soon", false},
	}
	for _, tt := range tests {
		if err := validCron(tt.expr); (err == nil) != tt.ok {
			t.Errorf("validCron(%q): got %v, want ok=%v", tt.expr, err, tt.ok)
		}
	}
}
