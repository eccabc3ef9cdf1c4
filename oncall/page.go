package oncall

import "errors"

// How an incident was opened (Incident.Via, catalog.Page.Via).
const (
	ViaEvents = "events" // Events API v2 trigger with the service's integration key
	ViaREST   = "rest"   // REST API POST /incidents, From the paging user
)

// TriggerRequest is a page: what to open an incident about, on which
// service, for whom.
type TriggerRequest struct {
	// ServiceID is the PagerDuty service. Required without an integration
	// key; with one, it narrows the incident lookups.
	ServiceID string
	// IntegrationKey is the service's Events API v2 routing key. When set,
	// the page goes through the Events API; else through POST /incidents.
	IntegrationKey string
	// Summary is the incident's title; the adapter truncates one longer
	// than its provider accepts. Required.
	Summary string
	// Details is free text shown in the incident (Events API
	// custom_details, REST incident body).
	Details string
	// DedupKey identifies the page: a second trigger with the same key
	// while the incident is open never opens another one. Derive it from
	// the confirmation the user clicked. Required, at most 255 characters.
	DedupKey string
	// FromEmail is the paging user's email: the REST API's From header
	// (it must be a PagerDuty user's), and "requested_by" in the Events
	// API's details.
	FromEmail string
	// Urgency is "high" (default) or "low". On the Events API, low is
	// severity "warning", high is "critical".
	Urgency string
	// CustomDetails are more details by name (the service's last
	// changes, its dependents): Events API custom_details beside
	// "details", lines after Details in a REST incident's body.
	CustomDetails map[string]string
}

// Incident is what PagerDuty accepted.
type Incident struct {
	// ID, Number and HTMLURL identify the incident. On the Events API path
	// PagerDuty opens incidents asynchronously: when it has not done so
	// by the time the adapter looks, they are empty (link to the service
	// instead) but the page was accepted.
	ID      string
	Number  int
	HTMLURL string
	Title   string
	// Status is triggered, acknowledged or resolved.
	Status    string
	DedupKey  string
	ServiceID string
	// Created is true when this call opened the incident, false when
	// PagerDuty answered with an incident already open for the same dedup
	// key (a double click, a Slack retry, a retry after a lost answer).
	Created bool
	// Via is ViaEvents or ViaREST.
	Via string
}

// Outcome is what Switchboard knows of a page once a trigger has returned.
type Outcome int

// The three outcomes of a trigger.
const (
	// Paged: PagerDuty accepted the page (or said an incident with its
	// dedup key is open).
	Paged Outcome = iota + 1
	// NotPaged: Switchboard knows no incident was opened: the request never
	// reached PagerDuty (connection refused, DNS or TLS failure), or
	// PagerDuty answered that it did not take it (4xx, 429, 500, 503).
	NotPaged
	// Unknown: the request may have reached PagerDuty and no answer said
	// what came of it (a timeout after the request was sent, a connection
	// closed or reset before the answer, a gateway's 502 or 504). The
	// incident has to be looked up by its dedup key.
	Unknown
)

// String names the outcome.
func (o Outcome) String() string {
	switch o {
	case Paged:
		return "paged"
	case NotPaged:
		return "not paged"
	case Unknown:
		return "unknown"
	}
	return "invalid outcome"
}

// ErrUnconfirmed is joined to a trigger's error when the page may have
// reached PagerDuty: its outcome is Unknown, never "not paged".
var ErrUnconfirmed = errors.New("pagerduty did not confirm the page; it may have gone through")

// TriggerOutcome says what a trigger's error means for the page: nil is
// Paged, an error joined with ErrUnconfirmed is Unknown, any other error is
// NotPaged. The adapter decides it once, from every attempt it made;
// callers read it here and nowhere else.
func TriggerOutcome(err error) Outcome {
	switch {
	case err == nil:
		return Paged
	case errors.Is(err, ErrUnconfirmed):
		return Unknown
	}
	return NotPaged
}
