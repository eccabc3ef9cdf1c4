package oncall

import (
	"errors"
	"fmt"
	"time"
)

// The kinds of failure of an on-call provider, matched with errors.Is.
// Every failure of the adapter is one of these or *ErrRejected, possibly
// wrapping the cause, so that the caller can tell the user exactly what
// happened.
var (
	// ErrRateLimited: PagerDuty answered 429 and waiting as long as its
	// rate-limit headers asked would have gone past the caller's deadline
	// (or past the retry budget). errors.As to *RateLimitError gives the
	// wait PagerDuty asked for.
	ErrRateLimited = errors.New("pagerduty rate limit reached")
	// ErrUnavailable: PagerDuty answered 5xx, timed out, or could not be
	// reached, after the bounded retries; or it answered something that
	// cannot be read. For a trigger it is not enough to say "NOT paged":
	// TriggerOutcome says whether the page may have gone through.
	ErrUnavailable = errors.New("pagerduty unavailable")
	// ErrNotFound: the service, escalation policy or incident does not
	// exist (404), or the ID is not a PagerDuty ID.
	ErrNotFound = errors.New("not found in pagerduty")
	// ErrUnauthorized: PagerDuty refused the API token (401) or its rights
	// (403).
	ErrUnauthorized = errors.New("pagerduty refused the api token")
)

// ErrRejected is PagerDuty refusing a request as invalid (a 4xx other than
// 401, 403, 404 and 429): a From email that is no PagerDuty user, an invalid
// Events API payload or routing key, an open incident with the same dedup
// key that could not be found. Message is PagerDuty's own words, fit to show
// to the user.
type ErrRejected struct {
	// StatusCode is the HTTP status (400, 422, ...).
	StatusCode int
	// Code is PagerDuty's REST error code (e.g. 2001, 1008), 0 for the
	// Events API.
	Code int
	// Message is PagerDuty's message followed by its detailed errors, e.g.
	// "Invalid Input Provided: Title cannot be empty.".
	Message string
	// Errors are PagerDuty's detailed errors, as sent.
	Errors []string
}

// Error implements error.
func (e *ErrRejected) Error() string {
	return fmt.Sprintf("pagerduty rejected the request (%d): %s", e.StatusCode, e.Message)
}

// RateLimitError is the detail of ErrRateLimited: errors.Is(err,
// ErrRateLimited) holds for it.
type RateLimitError struct {
	// RetryAfter is how long PagerDuty asked to wait (0 when it did not
	// say).
	RetryAfter time.Duration
}

// Error implements error.
func (e *RateLimitError) Error() string {
	if e.RetryAfter > 0 {
		return fmt.Sprintf("%s: retry after %s", ErrRateLimited, e.RetryAfter)
	}
	return ErrRateLimited.Error()
}

// Is makes errors.Is(err, ErrRateLimited) true.
func (e *RateLimitError) Is(target error) bool { return target == ErrRateLimited }
