package pagerduty

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	pd "github.com/PagerDuty/go-pagerduty"

	"github.com/switchboard-dev/switchboard/oncall"
)

// duplicate reports whether PagerDuty refused to open an incident because an
// open one has the same incident key.
func duplicate(e *oncall.ErrRejected) bool {
	return strings.Contains(strings.ToLower(e.Message), "matching dedup key already exists")
}

func newRejected(status, code int, message string, details []string) *oncall.ErrRejected {
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
	return &oncall.ErrRejected{StatusCode: status, Code: code, Message: msg, Errors: errs}
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
			return &oncall.RateLimitError{RetryAfter: tr.retryAfterWait()}
		}
		return fmt.Errorf("%w: no answer before the deadline: %w", oncall.ErrUnavailable, ctxErr)
	}
	if terr != nil {
		return fmt.Errorf("%w: %w", oncall.ErrUnavailable, terr)
	}
	// A 2xx that could not be decoded, or a request that could not be built.
	return fmt.Errorf("%w: unreadable answer: %w", oncall.ErrUnavailable, err)
}

func fromStatus(tr *trace, status, code int, message string, details []string, cause error) error {
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return fmt.Errorf("%w (%d): %s", oncall.ErrUnauthorized, status, strings.TrimSpace(message))
	case status == http.StatusNotFound:
		return fmt.Errorf("%w (%d)", oncall.ErrNotFound, status)
	case status == http.StatusTooManyRequests:
		return &oncall.RateLimitError{RetryAfter: tr.retryAfterWait()}
	case status == http.StatusRequestTimeout || status >= 500:
		return fmt.Errorf("%w: %w", oncall.ErrUnavailable, cause)
	case status >= 400:
		return newRejected(status, code, message, details)
	default:
		return fmt.Errorf("%w: unexpected status %d: %w", oncall.ErrUnavailable, status, cause)
	}
}
