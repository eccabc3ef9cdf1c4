package fakepd

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"
)

// MaxSummaryLength is the Events API v2 limit on payload.summary, in
// characters.
const MaxSummaryLength = 1024

// maxDedupKeyLength is the Events API v2 limit on dedup_key.
const maxDedupKeyLength = 255

// eventRequest is an Events API v2 event (see testdata's
// event_request_v2.json).
type eventRequest struct {
	RoutingKey  string `json:"routing_key"`
	EventAction string `json:"event_action"`
	DedupKey    string `json:"dedup_key"`
	Payload     *struct {
		Summary       string `json:"summary"`
		Source        string `json:"source"`
		Severity      string `json:"severity"`
		Component     string `json:"component"`
		Group         string `json:"group"`
		Class         string `json:"class"`
		CustomDetails any    `json:"custom_details"`
	} `json:"payload"`
}

// eventResponse is the Events API v2 answer, success or not.
type eventResponse struct {
	Status   string   `json:"status"`
	Message  string   `json:"message"`
	DedupKey string   `json:"dedup_key,omitempty"`
	Errors   []string `json:"errors,omitempty"`
}

func invalidEvent(w http.ResponseWriter, errs ...string) {
	writeJSON(w, http.StatusBadRequest, eventResponse{Status: "invalid event", Message: "Event object is invalid", Errors: errs})
}

// enqueue is POST /v2/enqueue: validate the event, then trigger (one open
// incident per service and dedup key), acknowledge or resolve.
func (s *Server) enqueue(w http.ResponseWriter, r *http.Request) {
	var ev eventRequest
	if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
		invalidEvent(w, "Event object is not valid JSON")
		return
	}
	var errs []string
	switch {
	case ev.RoutingKey == "":
		errs = append(errs, "'routing_key' is missing or blank")
	case len(ev.RoutingKey) != 32:
		errs = append(errs, "'routing_key' must be 32 characters")
	}
	if !slices.Contains([]string{"trigger", "acknowledge", "resolve"}, ev.EventAction) {
		errs = append(errs, "'event_action' is invalid (must be one of trigger, acknowledge, resolve)")
	}
	if len(ev.DedupKey) > maxDedupKeyLength {
		errs = append(errs, "'dedup_key' is too long (maximum is 255 characters)")
	}
	if ev.EventAction == "trigger" {
		switch p := ev.Payload; {
		case p == nil:
			errs = append(errs, "'payload' is missing or blank")
		default:
			if strings.TrimSpace(p.Summary) == "" {
				errs = append(errs, "'payload.summary' is missing or blank")
			} else if utf8.RuneCountInString(p.Summary) > MaxSummaryLength {
				errs = append(errs, "'payload.summary' is too long (maximum is 1024 characters)")
			}
			if strings.TrimSpace(p.Source) == "" {
				errs = append(errs, "'payload.source' is missing or blank")
			}
			if !slices.Contains([]string{"critical", "error", "warning", "info"}, p.Severity) {
				errs = append(errs, "'payload.severity' is invalid (must be one of critical, error, warning, info)")
			}
		}
	} else if (ev.EventAction == "acknowledge" || ev.EventAction == "resolve") && ev.DedupKey == "" {
		errs = append(errs, "'dedup_key' is missing or blank")
	}
	if len(errs) > 0 {
		invalidEvent(w, errs...)
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	sid, ok := s.byRoutingKey[ev.RoutingKey]
	if !ok {
		invalidEvent(w, "Invalid routing key")
		return
	}
	svc := s.services[sid]
	key := ev.DedupKey
	if key == "" {
		key = newDedupKey()
	}
	inc := s.openIncident(svc.ID, key)
	switch ev.EventAction {
	case "trigger":
		if inc != nil {
			inc.Alerts++ // folded into the open incident: no second page
			break
		}
		urgency := "high"
		if ev.Payload.Severity == "warning" || ev.Payload.Severity == "info" {
			urgency = "low"
		}
		details := ""
		if ev.Payload.CustomDetails != nil {
			if b, err := json.Marshal(ev.Payload.CustomDetails); err == nil {
				details = string(b)
			}
		}
		s.open(svc, ev.Payload.Summary, details, key, urgency, "events", "")
	case "acknowledge":
		if inc != nil {
			inc.Status = "acknowledged"
		}
	case "resolve":
		if inc != nil {
			inc.Status = "resolved"
		}
	}
	writeJSON(w, http.StatusAccepted, eventResponse{Status: "success", Message: "Event processed", DedupKey: key})
}

// newDedupKey is the key PagerDuty makes up for a trigger without one.
func newDedupKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
