package pagerduty

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	pd "github.com/PagerDuty/go-pagerduty"
)

// maxOnCallPages stops a pagination that never ends (at 100 a page, 5,000
// on-call entries: far more than any escalation policy has).
const maxOnCallPages = 50

// OnCallNow is who is on call right now for a service or an escalation
// policy.
type OnCallNow struct {
	// Service is the PagerDuty service (zero for OnCallForPolicy).
	Service Service
	// Policy is the escalation policy.
	Policy Policy
	// Levels are the policy's levels that have someone on call, level 1
	// first.
	Levels []Level
	// FetchedAt is when the answer came from PagerDuty (the client's
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

// OnCall returns who is on call now for a PagerDuty service: the service,
// its escalation policy, and every level of it. Answers are cached for
// Config.CacheTTL; concurrent callers for the same service share one fetch.
// When PagerDuty is unavailable or rate limited, an answer younger than
// Config.StaleTTL is returned with Stale set instead of an error.
//
// Errors: ErrNotFound (no such service), ErrUnauthorized, ErrRateLimited,
// ErrUnavailable.
func (c *Client) OnCall(ctx context.Context, serviceID string) (OnCallNow, error) {
	if !validID(serviceID) {
		return OnCallNow{}, fmt.Errorf("on call for service %q: %w: not a PagerDuty ID", serviceID, ErrNotFound)
	}
	v, err := c.cached(ctx, "service:"+serviceID, func(ctx context.Context) (OnCallNow, error) {
		return c.fetchServiceOnCall(ctx, serviceID)
	})
	if err != nil {
		return OnCallNow{}, fmt.Errorf("on call for service %s: %w", serviceID, err)
	}
	return v, nil
}

// OnCallForPolicy returns who is on call now for an escalation policy (a
// team's), cached like OnCall.
//
// Errors: ErrNotFound (no such policy), ErrUnauthorized, ErrRateLimited,
// ErrUnavailable.
func (c *Client) OnCallForPolicy(ctx context.Context, policyID string) (OnCallNow, error) {
	if !validID(policyID) {
		return OnCallNow{}, fmt.Errorf("on call for escalation policy %q: %w: not a PagerDuty ID", policyID, ErrNotFound)
	}
	v, err := c.cached(ctx, "policy:"+policyID, func(ctx context.Context) (OnCallNow, error) {
		return c.fetchPolicyOnCall(ctx, policyID)
	})
	if err != nil {
		return OnCallNow{}, fmt.Errorf("on call for escalation policy %s: %w", policyID, err)
	}
	return v, nil
}

// call runs one go-pagerduty call with a trace and classifies its error.
func (c *Client) call(ctx context.Context, fn func(context.Context) error) error {
	tctx, tr := withTrace(ctx)
	if err := fn(tctx); err != nil {
		return classify(ctx, tr, err)
	}
	return nil
}

func (c *Client) fetchServiceOnCall(ctx context.Context, serviceID string) (OnCallNow, error) {
	var svc *pd.Service
	err := c.call(ctx, func(ctx context.Context) (err error) {
		svc, err = c.pd.GetServiceWithContext(ctx, serviceID, nil)
		return err
	})
	if err != nil {
		return OnCallNow{}, fmt.Errorf("get service: %w", err)
	}
	ep := svc.EscalationPolicy
	if ep.ID == "" {
		return OnCallNow{}, fmt.Errorf("service %s has no escalation policy: %w", serviceID, ErrNotFound)
	}
	out := OnCallNow{
		Service: Service{ID: svc.ID, Name: svc.Name, HTMLURL: svc.HTMLURL},
		Policy:  Policy{ID: ep.ID, Name: cmp.Or(ep.Name, ep.Summary), HTMLURL: ep.HTMLURL},
	}
	if out.Levels, err = c.fetchLevels(ctx, &out.Policy); err != nil {
		return OnCallNow{}, err
	}
	return out, nil
}

func (c *Client) fetchPolicyOnCall(ctx context.Context, policyID string) (OnCallNow, error) {
	var ep *pd.EscalationPolicy
	err := c.call(ctx, func(ctx context.Context) (err error) {
		ep, err = c.pd.GetEscalationPolicyWithContext(ctx, policyID, nil)
		return err
	})
	if err != nil {
		return OnCallNow{}, fmt.Errorf("get escalation policy: %w", err)
	}
	out := OnCallNow{Policy: Policy{ID: cmp.Or(ep.ID, policyID), Name: cmp.Or(ep.Name, ep.Summary), HTMLURL: ep.HTMLURL}}
	if out.Levels, err = c.fetchLevels(ctx, &out.Policy); err != nil {
		return OnCallNow{}, err
	}
	return out, nil
}

// fetchLevels lists the current on-calls of a policy, following every page,
// and groups them by level. It fills the policy's name and link from the
// entries when they are missing.
func (c *Client) fetchLevels(ctx context.Context, policy *Policy) ([]Level, error) {
	opts := pd.ListOnCallOptions{
		EscalationPolicyIDs: []string{policy.ID},
		Earliest:            true,
		Includes:            []string{"users"},
		Limit:               uint(c.cfg.PageSize),
	}
	var all []pd.OnCall
	for page := 1; ; page++ {
		var resp *pd.ListOnCallsResponse
		err := c.call(ctx, func(ctx context.Context) (err error) {
			resp, err = c.pd.ListOnCallsWithContext(ctx, opts)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("list on-calls (offset %d): %w", opts.Offset, err)
		}
		all = append(all, resp.OnCalls...)
		if !resp.More || len(resp.OnCalls) == 0 {
			break
		}
		if page >= maxOnCallPages {
			return nil, fmt.Errorf("list on-calls: %w: more than %d pages", ErrUnavailable, maxOnCallPages)
		}
		step := resp.Limit
		if step == 0 {
			step = uint(len(resp.OnCalls))
		}
		opts.Offset = resp.Offset + step
	}
	for _, oc := range all {
		if oc.EscalationPolicy.ID != "" && oc.EscalationPolicy.ID != policy.ID {
			continue
		}
		policy.Name = cmp.Or(policy.Name, oc.EscalationPolicy.Name, oc.EscalationPolicy.Summary)
		policy.HTMLURL = cmp.Or(policy.HTMLURL, oc.EscalationPolicy.HTMLURL)
	}
	return buildLevels(policy.ID, all), nil
}

// buildLevels groups on-call entries by escalation level, level 1 first.
func buildLevels(policyID string, ocs []pd.OnCall) []Level {
	byLevel := map[int]*Level{}
	for _, oc := range ocs {
		if oc.EscalationPolicy.ID != "" && oc.EscalationPolicy.ID != policyID {
			continue
		}
		n := int(oc.EscalationLevel)
		l, ok := byLevel[n]
		if !ok {
			l = &Level{Level: n}
			byLevel[n] = l
		}
		u := User{ID: oc.User.ID, Name: cmp.Or(oc.User.Name, oc.User.Summary), Email: oc.User.Email, HTMLURL: oc.User.HTMLURL}
		sc := Schedule{ID: oc.Schedule.ID, Name: cmp.Or(oc.Schedule.Name, oc.Schedule.Summary), HTMLURL: oc.Schedule.HTMLURL}
		sh := Shift{User: u, Schedule: sc, Start: parseTime(oc.Start), End: parseTime(oc.End)}
		l.Shifts = append(l.Shifts, sh)
		if !slices.ContainsFunc(l.Users, func(x User) bool { return x.ID == u.ID }) {
			l.Users = append(l.Users, u)
		}
		if l.Schedule.ID == "" && sc.ID != "" {
			l.Schedule = sc
		}
		if !sh.End.IsZero() && (l.Until.IsZero() || sh.End.Before(l.Until)) {
			l.Until = sh.End
		}
	}
	levels := make([]Level, 0, len(byLevel))
	for _, l := range byLevel {
		levels = append(levels, *l)
	}
	slices.SortFunc(levels, func(a, b Level) int { return cmp.Compare(a.Level, b.Level) })
	return levels
}

// parseTime reads PagerDuty's ISO 8601 times; empty (null) is zero.
func parseTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// clone copies an answer so that callers sharing a cache entry cannot
// change each other's slices.
func (o OnCallNow) clone() OnCallNow {
	levels := make([]Level, len(o.Levels))
	for i, l := range o.Levels {
		l.Users = slices.Clone(l.Users)
		l.Shifts = slices.Clone(l.Shifts)
		levels[i] = l
	}
	o.Levels = levels
	return o
}
