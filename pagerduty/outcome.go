package pagerduty

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"

	"github.com/switchboard-dev/switchboard/oncall"
)

// attempt is one try of a request, as the transport saw it.
type attempt struct {
	// status is the answer's HTTP status, 0 when there was none.
	status int
	// err is the transport's error when there was no answer.
	err error
	// wrote: the whole request was written to the connection
	// (httptrace's WroteRequest without error), so PagerDuty may have
	// received it.
	wrote bool
}

// decide is the one place that says what a trigger's attempts, oldest
// first, mean for the page. Every attempt carries the same dedup key, so
// one accepted attempt is the page; and once an attempt may have reached
// PagerDuty unanswered, only an answer about the page itself settles it:
//
//   - a 2xx answer: Paged (a 2xx whose body could not be read is still
//     Unknown to the caller, who got an error; see Trigger).
//   - a refusal of the request as such (400, 401, 403, 404, 409, 422 and
//     any 4xx but 408 and 429), last: NotPaged. PagerDuty validated this
//     very request and said no; the earlier attempts were the same request.
//   - an attempt that may have reached PagerDuty unanswered: the whole
//     trigger is Unknown, whatever came after (a 429, a 503 or a refused
//     connection says nothing about the earlier attempt).
//   - otherwise (every attempt never left, was throttled, or got 500/503):
//     NotPaged.
//
// Per attempt, unanswered:
//
//   - an error while connecting (net.OpError "dial", DNS, TLS handshake,
//     certificate) or before the request was fully written: it never
//     reached PagerDuty.
//   - any other error once the request was written (timeout, context
//     deadline, reset, EOF): it may have.
//
// And answered: 408 (the server gave up reading: not processed), 429
// (throttled before processing), 500 and 503 (PagerDuty's own answer that
// it failed to take the event; its docs say to retry them) are no page;
// 502 and 504 come from a gateway that forwarded the request and got no
// good answer from behind it: the request may have reached PagerDuty.
func decide(attempts []attempt) oncall.Outcome {
	maybe := false
	for i, a := range attempts {
		last := i == len(attempts)-1
		switch {
		case a.status >= 200 && a.status < 300:
			return oncall.Paged
		case a.status != 0 && refusal(a.status):
			if last {
				return oncall.NotPaged
			}
		case a.status == http.StatusBadGateway || a.status == http.StatusGatewayTimeout:
			maybe = true
		case a.status != 0:
			// 408, 429, 500, 503 and other 5xx: not taken.
		case mayHaveReached(a.err, a.wrote):
			maybe = true
		}
	}
	if maybe {
		return oncall.Unknown
	}
	return oncall.NotPaged
}

// refusal reports whether a status is PagerDuty refusing the request as
// such: a 4xx other than 408 (timeout) and 429 (throttled).
func refusal(status int) bool {
	return status >= 400 && status < 500 && status != http.StatusRequestTimeout && status != http.StatusTooManyRequests
}

// mayHaveReached reports whether an unanswered attempt may have reached
// PagerDuty: its request was written in full, and the error is not one of
// connecting.
func mayHaveReached(err error, wrote bool) bool {
	if !wrote || connecting(err) {
		return false
	}
	return true
}

// connecting reports whether err happened before any request could be
// sent: dialling, resolving the name, or the TLS handshake.
func connecting(err error) bool {
	if err == nil {
		return false
	}
	var (
		op      *net.OpError
		dns     *net.DNSError
		rec     tls.RecordHeaderError
		alert   tls.AlertError
		verify  *tls.CertificateVerificationError
		unknown x509.UnknownAuthorityError
		host    x509.HostnameError
		invalid x509.CertificateInvalidError
	)
	switch {
	case errors.As(err, &op) && op.Op == "dial":
		return true
	case errors.As(err, &dns), errors.As(err, &rec), errors.As(err, &alert), errors.As(err, &verify),
		errors.As(err, &unknown), errors.As(err, &host), errors.As(err, &invalid):
		return true
	}
	return false
}
