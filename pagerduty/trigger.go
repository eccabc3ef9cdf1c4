package pagerduty

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	pd "github.com/PagerDuty/go-pagerduty"

	"github.com/switchboard-dev/switchboard/oncall"
)

// MaxSummaryLength is the longest summary PagerDuty accepts (Events API v2
// payload.summary: 1,024 characters). Trigger truncates longer ones.
const MaxSummaryLength = 1024

// maxDedupKeyLength is the longest dedup key PagerDuty accepts.
const maxDedupKeyLength = 255

// ellipsis ends a truncated summary.
const ellipsis = "…"

// TruncateSummary shortens s to at most MaxSummaryLength bytes (hence
// characters too), ending with an ellipsis when it had to cut, never in
// the middle of a UTF-8 character.
func TruncateSummary(s string) string {
	if len(s) <= MaxSummaryLength {
		return s
	}
	cut := MaxSummaryLength - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strings.TrimRight(s[:cut], " ") + ellipsis
}

// Trigger pages a service. With an integration key it sends an Events API
// v2 trigger (routing_key, dedup_key, payload with summary, source and
// severity); without, it opens an incident with POST /incidents, From the
// paging user and with the dedup key as incident_key. Either way a repeated
// DedupKey returns the open incident (Created false) instead of opening
// another. It succeeds only when PagerDuty accepted the page: a REST answer
// with an incident, or an Events API answer "success" with a dedup key.
//
// Retries stay within ctx's deadline. Errors (package oncall): ErrRateLimited,
// ErrUnavailable (5xx, timeouts, no connection), ErrNotFound (no such
// service), ErrUnauthorized (REST token refused), *ErrRejected (PagerDuty's
// message: a From that is no PagerDuty user, an unknown routing key, ...).
// When an attempt may have reached PagerDuty and nothing settled it, the
// error is joined with ErrUnconfirmed: TriggerOutcome says Unknown, and the
// incident is to be looked up with FindIncident. A request without Summary
// or DedupKey is refused before anything is sent.
func (c *Client) Trigger(ctx context.Context, req oncall.TriggerRequest) (oncall.Incident, error) {
	if err := validate(req); err != nil {
		return oncall.Incident{}, fmt.Errorf("trigger: %w", err)
	}
	summary := TruncateSummary(strings.TrimSpace(req.Summary))
	var (
		inc oncall.Incident
		err error
	)
	if req.IntegrationKey != "" {
		inc, err = c.triggerEvent(ctx, req, summary)
	} else {
		inc, err = c.createIncident(ctx, req, summary)
	}
	if err != nil {
		c.logger.Warn("page failed", "service", req.ServiceID, "dedup_key", req.DedupKey, "via", via(req), "err", err)
		return oncall.Incident{}, err
	}
	c.logger.Info("paged", "service", req.ServiceID, "dedup_key", inc.DedupKey, "via", inc.Via,
		"incident", inc.ID, "created", inc.Created)
	return inc, nil
}

func via(req oncall.TriggerRequest) string {
	if req.IntegrationKey != "" {
		return oncall.ViaEvents
	}
	return oncall.ViaREST
}

func validate(r oncall.TriggerRequest) error {
	switch {
	case strings.TrimSpace(r.Summary) == "":
		return errors.New("summary is empty")
	case r.DedupKey == "":
		return errors.New("dedup key is empty")
	case len(r.DedupKey) > maxDedupKeyLength:
		return fmt.Errorf("dedup key is %d characters, want at most %d", len(r.DedupKey), maxDedupKeyLength)
	case r.Urgency != "" && r.Urgency != "high" && r.Urgency != "low":
		return fmt.Errorf("urgency is %q, want high or low", r.Urgency)
	case r.IntegrationKey == "" && !validID(r.ServiceID):
		return fmt.Errorf("service %q: %w: not a PagerDuty ID", r.ServiceID, oncall.ErrNotFound)
	case r.IntegrationKey != "" && r.ServiceID != "" && !validID(r.ServiceID):
		return fmt.Errorf("service %q: %w: not a PagerDuty ID", r.ServiceID, oncall.ErrNotFound)
	}
	return nil
}

// restBody is a REST incident's body: Details, then each custom detail
// as "name: value", by name.
func restBody(req oncall.TriggerRequest) string {
	parts := []string{}
	if req.Details != "" {
		parts = append(parts, req.Details)
	}
	keys := slices.Sorted(maps.Keys(req.CustomDetails))
	for _, k := range keys {
		if v := req.CustomDetails[k]; v != "" {
			parts = append(parts, k+":\n"+v)
		}
	}
	return strings.Join(parts, "\n\n")
}

// createIncident is the REST path: POST /incidents with incident_key, and
// on PagerDuty's "Open incident with matching dedup key already exists",
// the open incident found by GET /incidents?incident_key=.
func (c *Client) createIncident(ctx context.Context, req oncall.TriggerRequest, summary string) (oncall.Incident, error) {
	opts := &pd.CreateIncidentOptions{
		Title:       summary,
		Service:     &pd.APIReference{ID: req.ServiceID, Type: "service_reference"},
		Urgency:     req.Urgency,
		IncidentKey: req.DedupKey,
	}
	if body := restBody(req); body != "" {
		opts.Body = &pd.APIDetails{Type: "incident_body", Details: body}
	}
	var created *pd.Incident
	err := c.send(ctx, func(ctx context.Context) (err error) {
		created, err = c.pd.CreateIncidentWithContext(ctx, req.FromEmail, opts)
		return err
	})
	if err != nil {
		var rej *oncall.ErrRejected
		if errors.As(err, &rej) && duplicate(rej) {
			// PagerDuty says an incident with this dedup key is open: the
			// page is there, whether or not its link can be read.
			inc, ok, lerr := c.findOpenIncident(ctx, req.ServiceID, req.DedupKey, lookupRetried)
			if lerr == nil && ok {
				inc.Via = oncall.ViaREST
				return inc, nil
			}
			if lerr != nil {
				c.logger.Warn("open incident with the same dedup key not found", "service", req.ServiceID, "dedup_key", req.DedupKey, "err", lerr)
			}
			return oncall.Incident{DedupKey: req.DedupKey, ServiceID: req.ServiceID, Title: summary, Status: "triggered", Via: oncall.ViaREST}, nil
		}
		return oncall.Incident{}, fmt.Errorf("create incident on service %s: %w", req.ServiceID, err)
	}
	if created == nil || created.ID == "" {
		// A 2xx without an incident: PagerDuty took something.
		return oncall.Incident{}, fmt.Errorf("create incident on service %s: %w: %w: answer without an incident", req.ServiceID, oncall.ErrUnconfirmed, oncall.ErrUnavailable)
	}
	inc := fromPD(*created)
	inc.Created, inc.Via = true, oncall.ViaREST
	inc.DedupKey = cmp.Or(inc.DedupKey, req.DedupKey)
	return inc, nil
}

// triggerEvent is the Events API path. PagerDuty's answer says only that
// the event was accepted, so the open incident is looked up before (an open
// one means this page is a repeat: nothing is sent) and after (for its
// link), both best effort: a failed lookup never fails the page.
func (c *Client) triggerEvent(ctx context.Context, req oncall.TriggerRequest, summary string) (oncall.Incident, error) {
	if inc, ok, _ := c.findOpenIncident(ctx, req.ServiceID, req.DedupKey, lookupOnce); ok {
		inc.Via = oncall.ViaEvents
		return inc, nil
	}
	severity := "critical"
	if req.Urgency == "low" {
		severity = "warning"
	}
	details := map[string]string{}
	if req.Details != "" {
		details["details"] = req.Details
	}
	if req.FromEmail != "" {
		details["requested_by"] = req.FromEmail
	}
	for k, v := range req.CustomDetails {
		if _, taken := details[k]; !taken && v != "" {
			details[k] = v
		}
	}
	ev := &pd.V2Event{
		RoutingKey: req.IntegrationKey,
		Action:     "trigger",
		DedupKey:   req.DedupKey,
		Client:     "Switchboard",
		Payload:    &pd.V2Payload{Summary: summary, Source: c.cfg.Source, Severity: severity},
	}
	if len(details) > 0 {
		ev.Payload.Details = details
	}
	var resp *pd.V2EventResponse
	err := c.send(ctx, func(ctx context.Context) (err error) {
		resp, err = c.pd.ManageEventWithContext(ctx, ev)
		return err
	})
	if err != nil {
		return oncall.Incident{}, fmt.Errorf("send trigger event: %w", err)
	}
	if resp == nil || resp.Status != "success" {
		msg, errs := "no answer", []string(nil)
		if resp != nil {
			msg, errs = cmp.Or(resp.Message, resp.Status), resp.Errors
		}
		return oncall.Incident{}, fmt.Errorf("send trigger event: %w", newRejected(202, 0, msg, errs))
	}
	if resp.DedupKey == "" {
		return oncall.Incident{}, fmt.Errorf("send trigger event: %w: %w: success without a dedup key", oncall.ErrUnconfirmed, oncall.ErrUnavailable)
	}
	inc := oncall.Incident{Title: summary, Status: "triggered", DedupKey: resp.DedupKey, ServiceID: req.ServiceID}
	if found, ok, _ := c.findOpenIncident(ctx, req.ServiceID, resp.DedupKey, lookupAwait); ok {
		inc = found
	}
	inc.Created, inc.Via = true, oncall.ViaEvents
	return inc, nil
}

// send is call for the request that pages: its error is joined with
// ErrUnconfirmed when its attempts may have reached PagerDuty (decide).
func (c *Client) send(ctx context.Context, fn func(context.Context) error) error {
	tctx, tr := withTrace(ctx)
	err := fn(tctx)
	if err == nil {
		return nil
	}
	cerr := classify(ctx, tr, err)
	if o := tr.outcome(); o != oncall.NotPaged {
		// Unknown, or a 2xx whose answer could not be read.
		return fmt.Errorf("%w: %w", oncall.ErrUnconfirmed, cerr)
	}
	return cerr
}

// FindIncident looks up the incident of a page by its dedup key (the
// incident_key of GET /incidents), whatever its status, on the PagerDuty
// service serviceID (any service when empty: an Events API page knows only
// its routing key). It reports found false when PagerDuty answered and
// holds no such incident; an error when it could not be asked. Retries
// stay within ctx's deadline.
func (c *Client) FindIncident(ctx context.Context, serviceID, dedupKey string) (oncall.Incident, bool, error) {
	if dedupKey == "" {
		return oncall.Incident{}, false, errors.New("find incident: dedup key is empty")
	}
	if serviceID != "" && !validID(serviceID) {
		return oncall.Incident{}, false, fmt.Errorf("find incident: service %q: %w: not a PagerDuty ID", serviceID, oncall.ErrNotFound)
	}
	opts := pd.ListIncidentsOptions{IncidentKey: dedupKey, Statuses: []string{"triggered", "acknowledged", "resolved"}}
	if serviceID != "" {
		opts.ServiceIDs = []string{serviceID}
	}
	var resp *pd.ListIncidentsResponse
	err := c.call(ctx, func(ctx context.Context) (err error) {
		resp, err = c.pd.ListIncidentsWithContext(ctx, opts)
		return err
	})
	if err != nil {
		return oncall.Incident{}, false, fmt.Errorf("find incident with key %q: %w", dedupKey, err)
	}
	for _, in := range resp.Incidents {
		if in.IncidentKey == dedupKey && (serviceID == "" || in.Service.ID == serviceID) {
			inc := fromPD(in)
			return inc, true, nil
		}
	}
	return oncall.Incident{}, false, nil
}

// lookupMode is how hard findOpenIncident tries.
type lookupMode int

const (
	// lookupRetried is an ordinary request, retried like any other.
	lookupRetried lookupMode = iota
	// lookupOnce is one attempt within LookupTimeout (is a page a repeat?).
	lookupOnce
	// lookupAwait is lookupOnce, tried again shortly after when PagerDuty
	// has not opened the incident yet (it opens Events API incidents
	// asynchronously).
	lookupAwait
)

// findOpenIncident looks for the open incident of a service (any service
// when serviceID is empty) with this incident key.
func (c *Client) findOpenIncident(ctx context.Context, serviceID, key string, mode lookupMode) (oncall.Incident, bool, error) {
	opts := pd.ListIncidentsOptions{IncidentKey: key, Statuses: []string{"triggered", "acknowledged"}}
	if serviceID != "" {
		opts.ServiceIDs = []string{serviceID}
	}
	tries := 1
	if mode != lookupRetried {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.cfg.LookupTimeout)
		defer cancel()
	}
	if mode == lookupAwait {
		tries = 2
	}
	for i := range tries {
		if i > 0 && !sleep(ctx, c.cfg.LookupTimeout/5) {
			break
		}
		var resp *pd.ListIncidentsResponse
		err := c.call(ctx, func(ctx context.Context) (err error) {
			if mode != lookupRetried {
				traceFrom(ctx).setOnce()
			}
			resp, err = c.pd.ListIncidentsWithContext(ctx, opts)
			return err
		})
		if err != nil {
			c.logger.Debug("incident lookup failed", "service", serviceID, "dedup_key", key, "err", err)
			return oncall.Incident{}, false, fmt.Errorf("find incident with key %q: %w", key, err)
		}
		for _, in := range resp.Incidents {
			if in.IncidentKey == key && (serviceID == "" || in.Service.ID == serviceID) {
				return fromPD(in), true, nil
			}
		}
	}
	return oncall.Incident{}, false, nil
}

func fromPD(in pd.Incident) oncall.Incident {
	return oncall.Incident{
		ID:        in.ID,
		Number:    int(in.IncidentNumber),
		HTMLURL:   in.HTMLURL,
		Title:     in.Title,
		Status:    in.Status,
		DedupKey:  in.IncidentKey,
		ServiceID: in.Service.ID,
	}
}
