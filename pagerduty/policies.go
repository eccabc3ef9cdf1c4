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
	policies, err := listAll(ctx, c, "escalation policies", maxPolicyPages, 0, func(ctx context.Context, offset uint) ([]pd.EscalationPolicy, pd.APIListObject, error) {
		resp, err := c.pd.ListEscalationPoliciesWithContext(ctx, pd.ListEscalationPoliciesOptions{Limit: 100, Offset: offset})
		if err != nil {
			return nil, pd.APIListObject{}, err
		}
		return resp.EscalationPolicies, resp.APIListObject, nil
	})
	if err != nil {
		return nil, err
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
	return listAll(ctx, c, "on-calls", maxOnCallPages, opts.Offset, func(ctx context.Context, offset uint) ([]pd.OnCall, pd.APIListObject, error) {
		opts.Offset = offset
		resp, err := c.pd.ListOnCallsWithContext(ctx, opts)
		if err != nil {
			return nil, pd.APIListObject{}, err
		}
		return resp.OnCalls, resp.APIListObject, nil
	})
}

// listAll follows PagerDuty's offset pagination from offset, each page
// read by list through Client.call, until the last page; more than
// maxPages pages is ErrUnavailable. what names the listing in errors.
func listAll[T any](ctx context.Context, c *Client, what string, maxPages int, offset uint, list func(ctx context.Context, offset uint) ([]T, pd.APIListObject, error)) ([]T, error) {
	var all []T
	for page := 1; ; page++ {
		var (
			items []T
			lo    pd.APIListObject
		)
		err := c.call(ctx, func(ctx context.Context) (err error) {
			items, lo, err = list(ctx, offset)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("list %s (offset %d): %w", what, offset, err)
		}
		all = append(all, items...)
		if !lo.More || len(items) == 0 {
			return all, nil
		}
		if page >= maxPages {
			return nil, fmt.Errorf("list %s: %w: more than %d pages", what, oncall.ErrUnavailable, maxPages)
		}
		offset = lo.Offset + cmp.Or(lo.Limit, uint(len(items)))
	}
}
