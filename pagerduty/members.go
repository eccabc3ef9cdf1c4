package pagerduty

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	pd "github.com/PagerDuty/go-pagerduty"

	"github.com/switchboard-dev/switchboard/oncall"
)

// PolicyMembers returns everyone an escalation policy can reach, each once:
// the users of the schedules its rules target and the users its rules
// target directly, level 1 first, in PagerDuty's order. This is the team's
// PagerDuty roster, whoever is on call right now. Each user comes with the
// email of their PagerDuty profile, how they are joined to the catalog's
// people.
//
// Requests: one for the policy, one per schedule, one per user (PagerDuty's
// references carry no email). Nothing is cached.
//
// Errors (package oncall): ErrNotFound (no such policy, or a schedule or user it names is
// gone), ErrUnauthorized, ErrRateLimited, ErrUnavailable.
func (c *Client) PolicyMembers(ctx context.Context, policyID string) ([]oncall.User, error) {
	if !validID(policyID) {
		return nil, fmt.Errorf("members of escalation policy %q: %w: not a PagerDuty ID", policyID, oncall.ErrNotFound)
	}
	var ep *pd.EscalationPolicy
	err := c.call(ctx, func(ctx context.Context) (err error) {
		ep, err = c.pd.GetEscalationPolicyWithContext(ctx, policyID, nil)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("members of escalation policy %s: get policy: %w", policyID, err)
	}
	var (
		ids       []string // user ids, in order
		schedules []string // schedule ids already read
	)
	addUser := func(id string) {
		if id != "" && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	for _, rule := range ep.EscalationRules {
		for _, t := range rule.Targets {
			switch strings.TrimSuffix(t.Type, "_reference") {
			case "user":
				addUser(t.ID)
			case "schedule":
				if slices.Contains(schedules, t.ID) || !validID(t.ID) {
					continue
				}
				schedules = append(schedules, t.ID)
				var sc *pd.Schedule
				err := c.call(ctx, func(ctx context.Context) (err error) {
					sc, err = c.pd.GetScheduleWithContext(ctx, t.ID, pd.GetScheduleOptions{})
					return err
				})
				if err != nil {
					return nil, fmt.Errorf("members of escalation policy %s: get schedule %s: %w", policyID, t.ID, err)
				}
				for _, u := range sc.Users {
					addUser(u.ID)
				}
				// Schedules list their users; older payloads only in layers.
				for _, l := range sc.ScheduleLayers {
					for _, u := range l.Users {
						addUser(u.User.ID)
					}
				}
			}
		}
	}
	out := make([]oncall.User, 0, len(ids))
	for _, id := range ids {
		if !validID(id) {
			continue
		}
		var u *pd.User
		err := c.call(ctx, func(ctx context.Context) (err error) {
			u, err = c.pd.GetUserWithContext(ctx, id, pd.GetUserOptions{})
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("members of escalation policy %s: get user %s: %w", policyID, id, err)
		}
		out = append(out, oncall.User{ID: cmp.Or(u.ID, id), Name: cmp.Or(u.Name, u.Summary), Email: u.Email, HTMLURL: u.HTMLURL})
	}
	return out, nil
}
