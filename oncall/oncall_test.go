package oncall_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/oncall"
)

func TestTriggerOutcome(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want oncall.Outcome
	}{
		{"no error", nil, oncall.Paged},
		{"unconfirmed", fmt.Errorf("send trigger event: %w: %w", oncall.ErrUnconfirmed, oncall.ErrUnavailable), oncall.Unknown},
		{"unavailable", fmt.Errorf("send trigger event: %w", oncall.ErrUnavailable), oncall.NotPaged},
		{"rejected", fmt.Errorf("send trigger event: %w", &oncall.ErrRejected{StatusCode: 400, Message: "Event object is invalid"}), oncall.NotPaged},
		{"rate limited", &oncall.RateLimitError{RetryAfter: time.Second}, oncall.NotPaged},
		{"invalid request", errors.New("trigger: summary is empty"), oncall.NotPaged},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := oncall.TriggerOutcome(tt.err); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestOutcomeString(t *testing.T) {
	tests := []struct {
		o    oncall.Outcome
		want string
	}{
		{oncall.Paged, "paged"},
		{oncall.NotPaged, "not paged"},
		{oncall.Unknown, "unknown"},
		{oncall.Outcome(0), "invalid outcome"},
	}
	for _, tt := range tests {
		if got := tt.o.String(); got != tt.want {
			t.Errorf("Outcome(%d).String(): got %q, want %q", int(tt.o), got, tt.want)
		}
	}
}

func TestRateLimitErrorIsErrRateLimited(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"with a wait", &oncall.RateLimitError{RetryAfter: 2 * time.Second}, "pagerduty rate limit reached: retry after 2s"},
		{"without", &oncall.RateLimitError{}, "pagerduty rate limit reached"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wrapped := fmt.Errorf("on call for service PX: %w", tt.err)
			if !errors.Is(wrapped, oncall.ErrRateLimited) {
				t.Errorf("errors.Is(%v, ErrRateLimited): got false, want true", wrapped)
			}
			if errors.Is(wrapped, oncall.ErrUnavailable) {
				t.Errorf("errors.Is(%v, ErrUnavailable): got true, want false", wrapped)
			}
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
