package pagerduty

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	pd "github.com/PagerDuty/go-pagerduty"
)

// The errors the adapter's methods return, matched with errors.Is. Every
// failure is one of these or *ErrRejected, possibly wrapping the cause, so
// the caller can tell the user exactly what happened.
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

// duplicate reports whether PagerDuty refused to open an incident because an
// open one has the same incident key.
func (e *ErrRejected) duplicate() bool {
	return strings.Contains(strings.ToLower(e.Message), "matching dedup key already exists")
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

func newRejected(status, code int, message string, details []string) *ErrRejected {
	msg := strings.TrimSpace(message)
	var errs []string
	for _, d := range details {
		if d = strings.TrimSpace(d); d != "" {
			errs = append(errs, d)
		}
	}
	if len(errs) > 0 {
		if msg == "" {
			msg = strings.Join(errs, "; ")
		} else {
			msg += ": " + strings.Join(errs, "; ")
		}
	}
	if msg == "" {
		msg = http.StatusText(status)
	}
	return &ErrRejected{StatusCode: status, Code: code, Message: msg, Errors: errs}
}

// classify turns what go-pagerduty returned, and what the transport saw
// (tr), into one of the package's errors. ctx is the caller's context.
func classify(ctx context.Context, tr *trace, err error) error {
	var ae pd.APIError
	if errors.As(err, &ae) {
		if ae.APIError.Valid {
			obj := ae.APIError.ErrorObject
			return fromStatus(tr, ae.StatusCode, obj.Code, obj.Message, obj.Errors, err)
		}
		// Not a REST error object: an Events API error (go-pagerduty's
		// client reads those as REST errors), or no JSON at all.
		var ev pd.EventsAPIV2ErrorObject
		if json.Unmarshal(tr.body(), &ev) == nil && (ev.Message != "" || ev.Status != "") {
			return fromStatus(tr, ae.StatusCode, 0, cmp.Or(ev.Message, ev.Status), ev.Errors, err)
		}
		return fromStatus(tr, ae.StatusCode, 0, "", nil, err)
	}
	var ee pd.EventsAPIV2Error
	if errors.As(err, &ee) {
		obj := ee.APIError.ErrorObject
		msg := obj.Message
		if msg == "" {
			msg = obj.Status
		}
		return fromStatus(tr, ee.StatusCode, 0, msg, obj.Errors, err)
	}
	status, _, terr := tr.last()
	if ctxErr := ctx.Err(); ctxErr != nil {
		if errors.Is(ctxErr, context.Canceled) {
			return fmt.Errorf("request cancelled: %w", ctxErr)
		}
		if status == http.StatusTooManyRequests {
			return &RateLimitError{RetryAfter: tr.retryAfterWait()}
		}
		return fmt.Errorf("%w: no answer before the deadline: %w", ErrUnavailable, ctxErr)
	}
	if terr != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, terr)
	}
	// A 2xx that could not be decoded, or a request that could not be built.
	return fmt.Errorf("%w: unreadable answer: %w", ErrUnavailable, err)
}

func fromStatus(tr *trace, status, code int, message string, details []string, cause error) error {
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return fmt.Errorf("%w (%d): %s", ErrUnauthorized, status, strings.TrimSpace(message))
	case status == http.StatusNotFound:
		return fmt.Errorf("%w (%d)", ErrNotFound, status)
	case status == http.StatusTooManyRequests:
		return &RateLimitError{RetryAfter: tr.retryAfterWait()}
	case status == http.StatusRequestTimeout || status >= 500:
		return fmt.Errorf("%w: %w", ErrUnavailable, cause)
	case status >= 400:
		return newRejected(status, code, message, details)
	default:
		return fmt.Errorf("%w: unexpected status %d: %w", ErrUnavailable, status, cause)
	}
}
