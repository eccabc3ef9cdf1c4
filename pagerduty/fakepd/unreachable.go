package fakepd

import (
	"fmt"
	"net"
)

// UnreachableURL returns the http URL of a local port nobody listens on: a
// client pointed at it gets "connection refused" at once, before any
// request is written, as when PagerDuty's address cannot be reached at all.
// That is the one failure of the transport after which Switchboard knows
// nothing was sent (the other faults: SetDown hangs up after reading the
// request, SetLatency answers late, DelayNextResponses handles the request
// and then answers late; see testdata/SOURCES.md).
func UnreachableURL() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("unreachable url: %w", err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		return "", fmt.Errorf("unreachable url: %w", err)
	}
	return "http://" + addr, nil
}
