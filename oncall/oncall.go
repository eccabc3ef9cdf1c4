// Package oncall holds the domain types of on-call and paging: who is on
// call now for a service or an escalation policy, a page to send and the
// incident it opened, what is known of a page once it was sent, and the
// kinds of failure an on-call provider reports.
//
// The types are Switchboard's own. The PagerDuty adapter (package
// pagerduty) returns them; the commands that answer /oncall, /whoowns,
// /page, /team, /onboard and the App Home, and the roster refresh, read
// them, and none of those needs the adapter or its client library to
// compile. The package imports nothing of Switchboard's.
package oncall

import "time"

// Now is who is on call right now for a service or an escalation policy.
type Now struct {
	// Service is the PagerDuty service (zero when asked for a policy).
	Service Service
	// Policy is the escalation policy.
	Policy Policy
	// Levels are the policy's levels that have someone on call, level 1
	// first.
	Levels []Level
	// FetchedAt is when the answer came from PagerDuty (the adapter's
	// clock).
	FetchedAt time.Time
	// Stale is true when PagerDuty could not be asked and this is an older
	// answer, fetched at FetchedAt.
	Stale bool
}

// Service is a PagerDuty service.
type Service struct {
	ID      string
	Name    string
	HTMLURL string
}

// Policy is a PagerDuty escalation policy.
type Policy struct {
	ID      string
	Name    string
	HTMLURL string
}

// Level is one level of an escalation policy and who is on call at it.
type Level struct {
	// Level is the escalation level, from 1.
	Level int
	// Users are the people on call at this level, each once, in
	// PagerDuty's order.
	Users []User
	// Schedule is the rotation that put the first user on call; zero when
	// the level targets users directly.
	Schedule Schedule
	// Until is when the level's on-call next changes (the earliest end of
	// its shifts); zero when everyone at this level is always on call.
	Until time.Time
	// Shifts are the on-call entries of this level, one per user and
	// schedule, for callers that show each user's own end.
	Shifts []Shift
}

// User is a PagerDuty user. Email is how the bot finds the Slack user.
type User struct {
	ID      string
	Name    string
	Email   string
	HTMLURL string
}

// Schedule is a PagerDuty on-call schedule.
type Schedule struct {
	ID      string
	Name    string
	HTMLURL string
}

// Shift is one on-call entry: a user on call at a level, through a schedule
// (zero when targeted directly), from Start to End (both zero when always
// on call).
type Shift struct {
	User     User
	Schedule Schedule
	Start    time.Time
	End      time.Time
}
