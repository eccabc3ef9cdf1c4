package pagerduty

import (
	"context"
	"fmt"
	"time"

	pd "github.com/PagerDuty/go-pagerduty"

	"github.com/switchboard-dev/switchboard/oncall"
)

// RateLimitPerMinute is PagerDuty's documented REST API rate limit: 960
// requests a minute for each account API key, and for each user across all
// of the user's API keys (support.pagerduty.com/docs/rest-api-rate-limits).
// A 429 carries ratelimit-reset, which the transport waits for.
const RateLimitPerMinute = 960

// MaxPaginated is how many records PagerDuty lets classic (offset)
// pagination reach: a request whose offset+limit exceeds it is refused
// with a 400. A time window holding more incidents is split in two.
const MaxPaginated = 10000

// incidentPage is the limit of each GET /incidents page (PagerDuty's
// maximum).
const incidentPage = 100

// minWindow is the narrowest window ListIncidents splits down to: more
// than MaxPaginated incidents created within one second is refused as an
// error rather than split forever.
const minWindow = time.Second

// Incident is one PagerDuty incident, as the incident counts need it.
type Incident struct {
	ID        string
	Number    int64
	ServiceID string
	CreatedAt time.Time
	Urgency   string // high or low
	Status    string // triggered, acknowledged or resolved
}

// IncidentListing is what one ListIncidents read cost.
type IncidentListing struct {
	// Requests is the number of GET /incidents requests answered (retries
	// after a 429 or a 5xx are the transport's and not counted).
	Requests int
	// Windows is the number of time windows read (more than one when a
	// window held more than MaxPaginated incidents).
	Windows int
}

// ListIncidents reads every incident of the account created in [since,
// until), every status, oldest first, and hands each page to fn as it
// comes (fn's error stops the read). serviceIDs, when not empty, limits
// the read to those PagerDuty services; reading the whole account and
// grouping by service costs fewer requests than asking per service.
//
// Pages are of 100 (PagerDuty's maximum). The first page of a window asks
// for the total: a window holding more than MaxPaginated incidents, which
// classic pagination cannot reach, is split in halves until each fits.
// 429s are waited out by the transport as everywhere in this package.
//
// Errors (package oncall): ErrUnauthorized, ErrRateLimited, ErrUnavailable.
func (c *Client) ListIncidents(ctx context.Context, since, until time.Time, serviceIDs []string, fn func([]Incident) error) (IncidentListing, error) {
	var cost IncidentListing
	for _, id := range serviceIDs {
		if !validID(id) {
			return cost, fmt.Errorf("list incidents: service %q: %w: not a PagerDuty ID", id, oncall.ErrNotFound)
		}
	}
	if !since.Before(until) {
		return cost, nil
	}
	// Windows to read, oldest first (a stack whose top is the oldest).
	stack := [][2]time.Time{{since, until}}
	for len(stack) > 0 {
		w := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		parts, err := c.listWindow(ctx, w[0], w[1], serviceIDs, &cost, fn)
		if err != nil {
			return cost, err
		}
		if parts == 0 {
			continue
		}
		// Equal parts, pushed newest first so the oldest is read next; a
		// part still too full (incidents bunch up) is split again.
		step := (w[1].Sub(w[0]) / time.Duration(parts)).Truncate(time.Second)
		if step < minWindow {
			return cost, fmt.Errorf("list incidents: %w: more than %d incidents created between %s and %s, which pagination cannot reach",
				oncall.ErrUnavailable, MaxPaginated, w[0].Format(time.RFC3339), w[1].Format(time.RFC3339))
		}
		var bounds []time.Time
		for t := w[0]; t.Before(w[1]); t = t.Add(step) {
			bounds = append(bounds, t)
		}
		bounds = append(bounds, w[1])
		for i := len(bounds) - 1; i > 0; i-- {
			if bounds[i].Sub(bounds[i-1]) > 0 {
				stack = append(stack, [2]time.Time{bounds[i-1], bounds[i]})
			}
		}
	}
	return cost, nil
}

// splitTarget is how many incidents a window split for holding too many
// is meant to hold: well under MaxPaginated, so that parts of a window
// whose incidents are not spread evenly still fit.
const splitTarget = 8000

// listWindow reads one window, or reports into how many parts it must be
// split (nothing handed to fn then; 0: read).
func (c *Client) listWindow(ctx context.Context, since, until time.Time, serviceIDs []string, cost *IncidentListing, fn func([]Incident) error) (parts int, err error) {
	opts := pd.ListIncidentsOptions{
		Limit:      incidentPage,
		Total:      true,
		Since:      since.UTC().Format(time.RFC3339),
		Until:      until.UTC().Format(time.RFC3339),
		ServiceIDs: serviceIDs,
		TimeZone:   "UTC",
		SortBy:     "created_at:asc",
		// Every status: a resolved incident counts as much as an open one.
		Statuses: []string{"triggered", "acknowledged", "resolved"},
	}
	cost.Windows++
	for {
		var resp *pd.ListIncidentsResponse
		err := c.call(ctx, func(ctx context.Context) (err error) {
			resp, err = c.pd.ListIncidentsWithContext(ctx, opts)
			return err
		})
		if err != nil {
			return 0, fmt.Errorf("list incidents %s..%s (offset %d): %w", opts.Since, opts.Until, opts.Offset, err)
		}
		cost.Requests++
		if opts.Total {
			// Only the first page asks for the total (it slows PagerDuty's
			// answer down).
			opts.Total = false
			if resp.Total > MaxPaginated {
				cost.Windows--
				return max(2, int((resp.Total+splitTarget-1)/splitTarget)), nil
			}
		}
		page := make([]Incident, 0, len(resp.Incidents))
		for _, in := range resp.Incidents {
			page = append(page, Incident{
				ID: in.ID, Number: int64(in.IncidentNumber), ServiceID: in.Service.ID,
				CreatedAt: parseTime(in.CreatedAt), Urgency: in.Urgency, Status: in.Status,
			})
		}
		if len(page) > 0 {
			if err := fn(page); err != nil {
				return 0, err
			}
		}
		if !resp.More || len(resp.Incidents) == 0 {
			return 0, nil
		}
		next := resp.Offset + max(resp.Limit, uint(len(resp.Incidents)))
		if next+incidentPage > MaxPaginated {
			// The total grew past the cap while reading: read the rest of
			// the window from the last incident seen.
			last := page[len(page)-1].CreatedAt
			if !last.After(since) {
				return 0, fmt.Errorf("list incidents: %w: more than %d incidents created at %s", oncall.ErrUnavailable, MaxPaginated, since.Format(time.RFC3339))
			}
			return c.listWindow(ctx, last, until, serviceIDs, cost, fn)
		}
		opts.Offset = next
	}
}
