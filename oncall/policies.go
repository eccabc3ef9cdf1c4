package oncall

// PolicyNow is one escalation policy as a periodic refresh of the whole
// account reads it: the services it covers, how many levels it has, and
// who is on call at each level now.
type PolicyNow struct {
	// Policy is the escalation policy.
	Policy Policy
	// Services are the PagerDuty services that escalate through it.
	Services []Service
	// Rules is how many levels (escalation rules) the policy has, whether
	// or not someone is on call at each.
	Rules int
	// Levels are the levels with someone on call now, level 1 first (as
	// Now.Levels).
	Levels []Level
}

// OnCallAtFirstLevel reports whether someone is on call now at the
// policy's first level.
func (p PolicyNow) OnCallAtFirstLevel() bool {
	for _, l := range p.Levels {
		if l.Level == 1 && len(l.Users) > 0 {
			return true
		}
	}
	return false
}
