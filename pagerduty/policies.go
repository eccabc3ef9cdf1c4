package pagerduty

import (
	"cmp"
	"context"
	"fmt"

	pd "github.com/PagerDuty/go-pagerduty"

	"github.com/switchboard-dev/switchboard/oncall"
)

// maxPolicyPages stops a listing of escalation policies that never ends
// (at 100 a page, 5,000 policies).
const maxPolicyPages = 50

// AllOnCall reads every escalation policy of the account with the services
// it covers and its levels, and who is on call now at each level: the
// periodic refresh of the scorecard's PagerDuty facts. It costs a request
// per 100 policies and one per Config.PageSize on-call entries, whatever
// the number of services, and is not cached.
//
// Errors (package oncall): ErrUnauthorized, ErrRateLimited, ErrUnavailable.
func (c *Client) AllOnCall(ctx context.Context) ([]oncall.PolicyNow, error) {
	var policies []pd.EscalationPolicy
	opts := pd.ListEscalationPoliciesOptions{Limit: 100}
	for page := 1; ; page++ {
		var resp *pd.ListEscalationPoliciesResponse
		err := c.call(ctx, func(ctx context.Context) (err error) {
			resp, err = c.pd.ListEscalationPoliciesWithContext(ctx, opts)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("list escalation policies (offset %d): %w", opts.Offset, err)
		}
		policies = append(policies, resp.EscalationPolicies...)
		if !resp.More || len(resp.EscalationPolicies) == 0 {
			break
		}
		if page >= maxPolicyPages {
			return nil, fmt.Errorf("list escalation policies: %w: more than %d pages", oncall.ErrUnavailable, maxPolicyPages)
		}
		opts.Offset = resp.Offset + cmp.Or(resp.Limit, uint(len(resp.EscalationPolicies)))
	}

	all, err := c.listOnCalls(ctx, pd.ListOnCallOptions{Earliest: true, Includes: []string{"users"}, Limit: uint(c.cfg.PageSize)})
	if err != nil {
		return nil, err
	}
	byPolicy := map[string][]pd.OnCall{}
	for _, o := range all {
		byPolicy[o.EscalationPolicy.ID] = append(byPolicy[o.EscalationPolicy.ID], o)
	}

	out := make([]oncall.PolicyNow, 0, len(policies))
	for _, ep := range policies {
		p := oncall.PolicyNow{
			Policy: oncall.Policy{ID: ep.ID, Name: cmp.Or(ep.Name, ep.Summary), HTMLURL: ep.HTMLURL},
			Rules:  len(ep.EscalationRules),
			Levels: buildLevels(ep.ID, byPolicy[ep.ID]),
		}
		for _, s := range ep.Services {
			p.Services = append(p.Services, oncall.Service{ID: s.ID, Name: s.Summary, HTMLURL: s.HTMLURL})
		}
		out = append(out, p)
	}
	return out, nil
}

// listOnCalls lists the on-call entries opts selects, following every page
// (at most maxOnCallPages).
func (c *Client) listOnCalls(ctx context.Context, opts pd.ListOnCallOptions) ([]pd.OnCall, error) {
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
			return all, nil
		}
		if page >= maxOnCallPages {
			return nil, fmt.Errorf("list on-calls: %w: more than %d pages", oncall.ErrUnavailable, maxOnCallPages)
		}
		opts.Offset = resp.Offset + cmp.Or(resp.Limit, uint(len(resp.OnCalls)))
	}
}
