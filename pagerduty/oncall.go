package pagerduty

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	pd "github.com/PagerDuty/go-pagerduty"

	"github.com/switchboard-dev/switchboard/oncall"
)

// maxOnCallPages stops a pagination that never ends (at 100 a page, 5,000
// on-call entries: far more than any escalation policy has).
const maxOnCallPages = 50

// OnCall returns who is on call now for a PagerDuty service: the service,
// its escalation policy, and every level of it. Answers are cached for
// Config.CacheTTL; concurrent callers for the same service share one fetch.
// When PagerDuty is unavailable or rate limited, an answer younger than
// Config.StaleTTL is returned with Stale set instead of an error.
//
// Errors (package oncall): ErrNotFound (no such service), ErrUnauthorized, ErrRateLimited,
// ErrUnavailable.
func (c *Client) OnCall(ctx context.Context, serviceID string) (oncall.Now, error) {
	if !validID(serviceID) {
		return oncall.Now{}, fmt.Errorf("on call for service %q: %w: not a PagerDuty ID", serviceID, oncall.ErrNotFound)
	}
	v, err := c.cached(ctx, "service:"+serviceID, func(ctx context.Context) (oncall.Now, error) {
		return c.fetchServiceOnCall(ctx, serviceID)
	})
	if err != nil {
		return oncall.Now{}, fmt.Errorf("on call for service %s: %w", serviceID, err)
	}
	return v, nil
}

// OnCallForPolicy returns who is on call now for an escalation policy (a
// team's), cached like OnCall.
//
// Errors (package oncall): ErrNotFound (no such policy), ErrUnauthorized, ErrRateLimited,
// ErrUnavailable.
func (c *Client) OnCallForPolicy(ctx context.Context, policyID string) (oncall.Now, error) {
	if !validID(policyID) {
		return oncall.Now{}, fmt.Errorf("on call for escalation policy %q: %w: not a PagerDuty ID", policyID, oncall.ErrNotFound)
	}
	v, err := c.cached(ctx, "policy:"+policyID, func(ctx context.Context) (oncall.Now, error) {
		return c.fetchPolicyOnCall(ctx, policyID)
	})
	if err != nil {
		return oncall.Now{}, fmt.Errorf("on call for escalation policy %s: %w", policyID, err)
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

func (c *Client) fetchServiceOnCall(ctx context.Context, serviceID string) (oncall.Now, error) {
	var svc *pd.Service
	err := c.call(ctx, func(ctx context.Context) (err error) {
		svc, err = c.pd.GetServiceWithContext(ctx, serviceID, nil)
		return err
	})
	if err != nil {
		return oncall.Now{}, fmt.Errorf("get service: %w", err)
	}
	ep := svc.EscalationPolicy
	if ep.ID == "" {
		return oncall.Now{}, fmt.Errorf("service %s has no escalation policy: %w", serviceID, oncall.ErrNotFound)
	}
	out := oncall.Now{
		Service: oncall.Service{ID: svc.ID, Name: svc.Name, HTMLURL: svc.HTMLURL},
		Policy:  oncall.Policy{ID: ep.ID, Name: cmp.Or(ep.Name, ep.Summary), HTMLURL: ep.HTMLURL},
	}
	if out.Levels, err = c.fetchLevels(ctx, &out.Policy); err != nil {
		return oncall.Now{}, err
	}
	return out, nil
}

func (c *Client) fetchPolicyOnCall(ctx context.Context, policyID string) (oncall.Now, error) {
	var ep *pd.EscalationPolicy
	err := c.call(ctx, func(ctx context.Context) (err error) {
		ep, err = c.pd.GetEscalationPolicyWithContext(ctx, policyID, nil)
		return err
	})
	if err != nil {
		return oncall.Now{}, fmt.Errorf("get escalation policy: %w", err)
	}
	out := oncall.Now{Policy: oncall.Policy{ID: cmp.Or(ep.ID, policyID), Name: cmp.Or(ep.Name, ep.Summary), HTMLURL: ep.HTMLURL}}
	if out.Levels, err = c.fetchLevels(ctx, &out.Policy); err != nil {
		return oncall.Now{}, err
	}
	return out, nil
}

// fetchLevels lists the current on-calls of a policy, following every page,
// and groups them by level. It fills the policy's name and link from the
// entries when they are missing.
func (c *Client) fetchLevels(ctx context.Context, policy *oncall.Policy) ([]oncall.Level, error) {
	opts := pd.ListOnCallOptions{
		EscalationPolicyIDs: []string{policy.ID},
		Earliest:            true,
		Includes:            []string{"users"},
		Limit:               uint(c.cfg.PageSize),
	}
	all, err := c.listOnCalls(ctx, opts)
	if err != nil {
		return nil, err
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
func buildLevels(policyID string, ocs []pd.OnCall) []oncall.Level {
	byLevel := map[int]*oncall.Level{}
	for _, oc := range ocs {
		if oc.EscalationPolicy.ID != "" && oc.EscalationPolicy.ID != policyID {
			continue
		}
		n := int(oc.EscalationLevel)
		l, ok := byLevel[n]
		if !ok {
			l = &oncall.Level{Level: n}
			byLevel[n] = l
		}
		u := oncall.User{ID: oc.User.ID, Name: cmp.Or(oc.User.Name, oc.User.Summary), Email: oc.User.Email, HTMLURL: oc.User.HTMLURL}
		sc := oncall.Schedule{ID: oc.Schedule.ID, Name: cmp.Or(oc.Schedule.Name, oc.Schedule.Summary), HTMLURL: oc.Schedule.HTMLURL}
		sh := oncall.Shift{User: u, Schedule: sc, Start: parseTime(oc.Start), End: parseTime(oc.End)}
		l.Shifts = append(l.Shifts, sh)
		if !slices.ContainsFunc(l.Users, func(x oncall.User) bool { return x.ID == u.ID }) {
			l.Users = append(l.Users, u)
		}
		if l.Schedule.ID == "" && sc.ID != "" {
			l.Schedule = sc
		}
		if !sh.End.IsZero() && (l.Until.IsZero() || sh.End.Before(l.Until)) {
			l.Until = sh.End
		}
	}
	levels := make([]oncall.Level, 0, len(byLevel))
	for _, l := range byLevel {
		levels = append(levels, *l)
	}
	slices.SortFunc(levels, func(a, b oncall.Level) int { return cmp.Compare(a.Level, b.Level) })
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
func clone(o oncall.Now) oncall.Now {
	levels := make([]oncall.Level, len(o.Levels))
	for i, l := range o.Levels {
		l.Users = slices.Clone(l.Users)
		l.Shifts = slices.Clone(l.Shifts)
		levels[i] = l
	}
	o.Levels = levels
	return o
}
