package pagerduty

import "github.com/switchboard-dev/switchboard/oncall"

// The adapter's results and errors are package oncall's. These names keep
// code written against the adapter's former types compiling (rosters)
// until it names the oncall package itself; they are the very same types
// and values, so errors.Is and interface satisfaction hold either way.
type (
	// OnCallNow is oncall.Now.
	//
	// Deprecated: use oncall.Now.
	OnCallNow = oncall.Now
	// User is oncall.User.
	//
	// Deprecated: use oncall.User.
	User = oncall.User
)

// ErrUnavailable is oncall.ErrUnavailable.
//
// Deprecated: use oncall.ErrUnavailable.
var ErrUnavailable = oncall.ErrUnavailable
