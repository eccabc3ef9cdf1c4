package fakepd

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"time"
)

// MaxPaginated is how far PagerDuty's classic pagination reaches: a list
// request whose offset+limit exceeds it is answered 400.
const MaxPaginated = 10000

// maxDateRange is the widest since..until PagerDuty accepts on GET
// /incidents (6 months).
const maxDateRange = 183 * 24 * time.Hour

// AddIncidentHistory records past incidents, as PagerDuty would list them:
// ID, ServiceID (a known service) and CreatedAt are required; Status
// defaults to resolved, Urgency to high, Title to "Incident N". An ID
// already known replaces the incident.
func (s *Server) AddIncidentHistory(incs ...Incident) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	byID := make(map[string]int, len(s.incidents))
	for i, inc := range s.incidents {
		byID[inc.ID] = i
	}
	for _, in := range incs {
		if in.ID == "" || in.CreatedAt.IsZero() {
			return fmt.Errorf("add incident %q: id and created_at are required", in.ID)
		}
		if _, ok := s.services[in.ServiceID]; !ok {
			return fmt.Errorf("add incident %q: unknown service %q", in.ID, in.ServiceID)
		}
		in.Status = cmp.Or(in.Status, "resolved")
		in.Urgency = cmp.Or(in.Urgency, "high")
		in.Via = cmp.Or(in.Via, "events")
		in.Alerts = max(in.Alerts, 1)
		if in.Number == 0 {
			in.Number = len(s.incidents) + 1
		}
		in.Title = cmp.Or(in.Title, fmt.Sprintf("Incident %d", in.Number))
		if i, ok := byID[in.ID]; ok {
			s.incidents[i] = &in
			continue
		}
		byID[in.ID] = len(s.incidents)
		s.incidents = append(s.incidents, &in)
	}
	s.sortedIncidents = nil
	return nil
}

// byCreated is the incidents sorted by creation time (then number), rebuilt
// when incidents were added; s.mu is held.
func (s *Server) byCreated() []*Incident {
	if len(s.sortedIncidents) != len(s.incidents) {
		s.sortedIncidents = slices.Clone(s.incidents)
		slices.SortStableFunc(s.sortedIncidents, func(a, b *Incident) int {
			return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.Number, b.Number))
		})
	}
	return s.sortedIncidents
}

// listIncidents is GET /incidents: filtered by incident_key, statuses[],
// service_ids[], urgencies[] and the since..until range of creation times
// (when either is given; at most 6 months wide), oldest first (sort_by
// created_at:desc reverses), with classic pagination up to MaxPaginated
// records. time_zone must be a time zone and renders created_at in it.
// Without since and until every incident is listed (PagerDuty lists the
// last month then; the fake's callers that omit them look up incidents
// just opened).
func (s *Server) listIncidents(w http.ResponseWriter, r *http.Request) {
	p, ok := s.pageOrError(w, r)
	if !ok {
		return
	}
	if p.offset+p.limit > MaxPaginated {
		writeError(w, http.StatusBadRequest, 2001, "Invalid Input Provided",
			fmt.Sprintf("Offset must be less than %d minus limit; narrow the request with since and until", MaxPaginated))
		return
	}
	q := r.URL.Query()
	loc := time.UTC
	if tz := q.Get("time_zone"); tz != "" {
		l, err := time.LoadLocation(tz)
		if err != nil || tz == "Local" {
			writeError(w, http.StatusBadRequest, 2001, "Invalid Input Provided", "Time zone is invalid.")
			return
		}
		loc = l
	}
	since, until, err := dateRange(q.Get("since"), q.Get("until"))
	if err != nil {
		writeError(w, http.StatusBadRequest, 2001, "Invalid Input Provided", err.Error())
		return
	}
	key, statuses, serviceIDs, urgencies := q.Get("incident_key"), listParam(q, "statuses"), listParam(q, "service_ids"), listParam(q, "urgencies")
	s.mu.Lock()
	defer s.mu.Unlock()
	all := s.byCreated()
	lo, hi := 0, len(all)
	if !since.IsZero() {
		lo = sort.Search(len(all), func(i int) bool { return !all[i].CreatedAt.Before(since) })
	}
	if !until.IsZero() {
		hi = sort.Search(len(all), func(i int) bool { return !all[i].CreatedAt.Before(until) })
	}
	var match []*Incident
	if lo < hi {
		for _, inc := range all[lo:hi] {
			if (key != "" && inc.IncidentKey != key) ||
				(len(statuses) > 0 && !slices.Contains(statuses, inc.Status)) ||
				(len(serviceIDs) > 0 && !slices.Contains(serviceIDs, inc.ServiceID)) ||
				(len(urgencies) > 0 && !slices.Contains(urgencies, inc.Urgency)) {
				continue
			}
			match = append(match, inc)
		}
	}
	if q.Get("sort_by") == "created_at:desc" {
		slices.Reverse(match)
	}
	// Only the page is rendered: the filter above is cheap, the rendering
	// (on-calls of open incidents) is not.
	start := min(p.offset, len(match))
	end := min(start+p.limit, len(match))
	out := make([]incidentJSON, 0, end-start)
	for _, inc := range match[start:end] {
		j := s.incidentJSON(inc)
		j.CreatedAt = inc.CreatedAt.In(loc).Format(time.RFC3339)
		out = append(out, j)
	}
	body := map[string]any{"incidents": out, "limit": p.limit, "offset": p.offset, "more": end < len(match), "total": nil}
	if p.total {
		body["total"] = len(match)
	}
	writeJSON(w, http.StatusOK, body)
}

// dateRange reads since and until (ISO 8601); when only one is given the
// other is a month away, as PagerDuty's default range is.
func dateRange(sinceS, untilS string) (since, until time.Time, err error) {
	parse := func(name, v string) (time.Time, error) {
		if v == "" {
			return time.Time{}, nil
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return time.Time{}, fmt.Errorf("%s %q is not an ISO 8601 date", name, v)
		}
		return t, nil
	}
	if since, err = parse("since", sinceS); err != nil {
		return
	}
	if until, err = parse("until", untilS); err != nil {
		return
	}
	switch {
	case since.IsZero() && until.IsZero():
		return
	case since.IsZero():
		since = until.AddDate(0, -1, 0)
	case until.IsZero():
		until = since.AddDate(0, 1, 0)
	}
	if until.Before(since) {
		return since, until, fmt.Errorf("since must be before until")
	}
	if until.Sub(since) > maxDateRange {
		return since, until, fmt.Errorf("Date range is too large. Maximum range is 6 months")
	}
	return
}
