package pagerduty

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/oncall"
)

// post wraps err as net/http's client does: *url.Error {Op: "Post"}.
func post(err error) error {
	return &url.Error{Op: "Post", URL: "https://events.pagerduty.com/v2/enqueue", Err: err}
}

// realDialError is what dialling a closed local port returns.
func realDialError(t *testing.T) error {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = (&http.Client{Timeout: time.Second}).Post("http://"+addr+"/v2/enqueue", "application/json", nil)
	if err == nil {
		t.Fatal("posting to a closed port succeeded")
	}
	return err
}

// TestDecide is the table of what a trigger's attempts mean for the page.
func TestDecide(t *testing.T) {
	dial := realDialError(t)
	var (
		dialTimeout = post(&net.OpError{Op: "dial", Net: "tcp", Err: os.ErrDeadlineExceeded})
		dns         = post(&net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "events.pagerduty.com", IsNotFound: true}})
		tlsCert     = post(&tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}})
		tlsRecord   = post(tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"})
		deadline    = post(context.DeadlineExceeded)
		headers     = post(fmt.Errorf("net/http: timeout awaiting response headers"))
		reset       = post(&net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)})
		eof         = post(io.EOF)
		writeReset  = post(&net.OpError{Op: "write", Net: "tcp", Err: os.NewSyscallError("write", syscall.EPIPE)})
		cancelled   = post(context.Canceled)
	)
	sent := func(err error) attempt { return attempt{err: err, wrote: true} }
	unsent := func(err error) attempt { return attempt{err: err} }
	status := func(code int) attempt { return attempt{status: code, wrote: true} }
	tests := []struct {
		name     string
		attempts []attempt
		want     oncall.Outcome
	}{
		{"202 accepted", []attempt{status(202)}, oncall.Paged},
		{"201 created (REST)", []attempt{status(201)}, oncall.Paged},
		{"connection refused (a real dial error)", []attempt{unsent(dial)}, oncall.NotPaged},
		{"dial error even if the trace said written", []attempt{sent(dial)}, oncall.NotPaged},
		{"dial timeout", []attempt{unsent(dialTimeout)}, oncall.NotPaged},
		{"DNS failure", []attempt{unsent(dns)}, oncall.NotPaged},
		{"TLS certificate refused", []attempt{sent(tlsCert)}, oncall.NotPaged},
		{"not TLS", []attempt{unsent(tlsRecord)}, oncall.NotPaged},
		{"deadline before the request was written", []attempt{unsent(deadline)}, oncall.NotPaged},
		{"write failed midway (broken pipe)", []attempt{unsent(writeReset)}, oncall.NotPaged},
		{"deadline after the request was written", []attempt{sent(deadline)}, oncall.Unknown},
		{"timeout awaiting headers", []attempt{sent(headers)}, oncall.Unknown},
		{"connection reset while reading the answer", []attempt{sent(reset)}, oncall.Unknown},
		{"connection closed without an answer (EOF)", []attempt{sent(eof)}, oncall.Unknown},
		{"cancelled after sending", []attempt{sent(cancelled)}, oncall.Unknown},
		{"400 invalid event", []attempt{status(400)}, oncall.NotPaged},
		{"401 token refused", []attempt{status(401)}, oncall.NotPaged},
		{"403", []attempt{status(403)}, oncall.NotPaged},
		{"404 no such service", []attempt{status(404)}, oncall.NotPaged},
		{"422", []attempt{status(422)}, oncall.NotPaged},
		{"408 request timeout", []attempt{status(408)}, oncall.NotPaged},
		{"429 throttled", []attempt{status(429)}, oncall.NotPaged},
		{"500 internal error", []attempt{status(500)}, oncall.NotPaged},
		{"503 unavailable", []attempt{status(503)}, oncall.NotPaged},
		{"502 bad gateway", []attempt{status(502)}, oncall.Unknown},
		{"504 gateway timeout", []attempt{status(504)}, oncall.Unknown},
		{"no attempt at all", nil, oncall.NotPaged},
		{"retries that never connected", []attempt{unsent(dial), unsent(dial), unsent(dial)}, oncall.NotPaged},
		{"500s then refused", []attempt{status(500), status(503), unsent(dial)}, oncall.NotPaged},
		{"timeout, then accepted: folded into one incident", []attempt{sent(deadline), status(202)}, oncall.Paged},
		{"timeout, then refused connection", []attempt{sent(deadline), unsent(dial)}, oncall.Unknown},
		{"timeout, then 503", []attempt{sent(deadline), status(503)}, oncall.Unknown},
		{"timeout, then 429", []attempt{sent(deadline), status(429)}, oncall.Unknown},
		{"timeout, then 400: the same request is invalid", []attempt{sent(deadline), status(400)}, oncall.NotPaged},
		{"504, then 500", []attempt{status(504), status(500)}, oncall.Unknown},
		{"400 then (impossibly) a timeout", []attempt{status(400), sent(deadline)}, oncall.Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := decide(tt.attempts); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestTriggerOutcome(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want oncall.Outcome
	}{
		{"no error", nil, oncall.Paged},
		{"unconfirmed", fmt.Errorf("send trigger event: %w: %w", oncall.ErrUnconfirmed, oncall.ErrUnavailable), oncall.Unknown},
		{"unavailable", fmt.Errorf("send trigger event: %w", oncall.ErrUnavailable), oncall.NotPaged},
		{"rejected", fmt.Errorf("send trigger event: %w", newRejected(400, 0, "Event object is invalid", nil)), oncall.NotPaged},
		{"rate limited", &oncall.RateLimitError{RetryAfter: time.Second}, oncall.NotPaged},
		{"invalid request", errors.New("trigger: summary is empty"), oncall.NotPaged},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := oncall.TriggerOutcome(tt.err); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}
