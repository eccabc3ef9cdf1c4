package catalog

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchboard-dev/switchboard/scorecard"
	"github.com/switchboard-dev/switchboard/standards"
)

// Incident windows and freshness.
const (
	// IncidentsFullSpan is how far back the first read of PagerDuty's
	// incidents goes, and how long stored incidents are kept (90 days and
	// a margin).
	IncidentsFullSpan = 90 * 24 * time.Hour
	// incidentsKeep is how long a stored incident is kept.
	incidentsKeep = IncidentsFullSpan + 7*24*time.Hour
	// IncidentsOverlap is how far before the end of the last read an
	// incremental read starts again: an incident PagerDuty listed late
	// (clock skew, a slow write) is still read; one read twice is stored
	// once.
	IncidentsOverlap = time.Hour
	// IncidentsStale is how old the last successful read may be before
	// the counts are unknown.
	IncidentsStale = time.Hour
)

// Incident is one PagerDuty incident as stored: what the counts need.
type Incident struct {
	ID          string
	PDServiceID string
	CreatedAt   time.Time
	Urgency     string
	Status      string
	Number      int64
}

// BusinessHours are the organisation's working hours: an incident created
// outside them is "out of hours". Zero value: the standards' defaults
// (standards.DefaultWorkdayStart to DefaultWorkdayEnd, DefaultWeekdays:
// 09:00-18:00, Monday to Friday), UTC.
type BusinessHours struct {
	// Location is the time zone the hours are in (nil: UTC).
	Location *time.Location
	// Start and End are the working day's bounds since local midnight,
	// Start included, End excluded (default 9h and 18h).
	Start, End time.Duration
	// Weekdays are the working days (default Monday to Friday).
	Weekdays []time.Weekday
}

func (b BusinessHours) withDefaults() BusinessHours {
	if b.Location == nil {
		b.Location = time.UTC
	}
	if b.Start == 0 && b.End == 0 {
		b.Start, b.End = standards.DefaultWorkdayStart, standards.DefaultWorkdayEnd
	}
	if len(b.Weekdays) == 0 {
		b.Weekdays = standards.DefaultWeekdays()
	}
	return b
}

// OutOfHours reports whether t falls outside the business hours, in their
// time zone (daylight saving time included).
func (b BusinessHours) OutOfHours(t time.Time) bool {
	b = b.withDefaults()
	l := t.In(b.Location)
	if !slices.Contains(b.Weekdays, l.Weekday()) {
		return true
	}
	since := time.Duration(l.Hour())*time.Hour + time.Duration(l.Minute())*time.Minute + time.Duration(l.Second())*time.Second
	return since < b.Start || since >= b.End
}

// IncidentCount is how many incidents a service had.
type IncidentCount struct {
	Last7, Last30, Last90 int
	// OutOfHours30 are those of the last 30 days created out of hours.
	OutOfHours30 int
}

// IncidentRefreshState is how far the refresh of PagerDuty's incidents
// has got.
type IncidentRefreshState struct {
	// CoveredFrom..CoveredUntil is the span of creation times read
	// completely; both zero before the first full read succeeded.
	CoveredFrom, CoveredUntil time.Time
	// LastSuccess is when the last read succeeded (zero: never).
	LastSuccess time.Time
	// LastError is the last read's error, empty when it succeeded, and
	// LastErrorAt when it failed.
	LastError   string
	LastErrorAt time.Time
	// LastRequests is how many requests the last successful read made.
	LastRequests int
}

// Known reports whether counts from the stored incidents can be trusted
// at now: a full read succeeded and the last success is younger than
// IncidentsStale.
func (st IncidentRefreshState) Known(now time.Time) bool {
	return !st.CoveredUntil.IsZero() && now.Sub(st.LastSuccess) <= IncidentsStale
}

// UnknownReason says, in a short phrase, why the counts are unknown ("" when
// they are known). loc is the time zone times are given in.
func (st IncidentRefreshState) UnknownReason(now time.Time, loc *time.Location) string {
	if st.Known(now) {
		return ""
	}
	if loc == nil {
		loc = time.UTC
	}
	at := func(t time.Time) string {
		l := t.In(loc)
		if now.In(loc).Format(time.DateOnly) == l.Format(time.DateOnly) {
			return l.Format("15:04")
		}
		return l.Format("2 Jan 15:04")
	}
	switch {
	case st.LastSuccess.IsZero() && st.LastErrorAt.IsZero():
		return "not read from PagerDuty yet"
	case st.LastSuccess.IsZero():
		return "PagerDuty has not answered yet (last try " + at(st.LastErrorAt) + ")"
	default:
		return "PagerDuty has not answered since " + at(st.LastSuccess)
	}
}

// IncidentSummary is the incident counts of some services.
type IncidentSummary struct {
	// State is the refresh's; when !State.Known(Now) no count is known.
	State IncidentRefreshState
	// Now is the time the counts are at.
	Now time.Time
	// Location is the business hours' time zone, that of the times in
	// State.UnknownReason.
	Location *time.Location
	// Counts are by catalog service id, for the services linked to a
	// PagerDuty service (a linked service with no incident has a zero
	// count).
	Counts map[int64]IncidentCount
	// Unlinked are the services without a PagerDuty service id: their
	// counts are unknown.
	Unlinked []int64
}

// Known reports whether the counts are known.
func (s IncidentSummary) Known() bool { return s.State.Known(s.Now) }

// incidentBounds are the window starts, from now.
func incidentBounds(now time.Time) (t7, t30, t90 time.Time) {
	return now.Add(-7 * 24 * time.Hour), now.Add(-30 * 24 * time.Hour), now.Add(-90 * 24 * time.Hour)
}

// IncidentRefresh reads the refresh's state.
func (s *Store) IncidentRefresh(ctx context.Context) (IncidentRefreshState, error) {
	var st IncidentRefreshState
	var from, until, success, errAt *time.Time
	err := s.pool.QueryRow(ctx, `
		SELECT covered_from, covered_until, last_success_at, last_error, last_error_at, last_requests
		FROM pd_incident_refresh`).Scan(&from, &until, &success, &st.LastError, &errAt, &st.LastRequests)
	if errors.Is(err, pgx.ErrNoRows) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("incident refresh state: %w", err)
	}
	for _, p := range []struct {
		dst *time.Time
		src *time.Time
	}{{&st.CoveredFrom, from}, {&st.CoveredUntil, until}, {&st.LastSuccess, success}, {&st.LastErrorAt, errAt}} {
		if p.src != nil {
			*p.dst = *p.src
		}
	}
	return st, nil
}

// ClaimIncidentRefresh claims the refresh for replica for lease: false when
// another replica holds an unexpired claim (it is refreshing). The state
// returned says where the read starts.
func (s *Store) ClaimIncidentRefresh(ctx context.Context, replica string, lease time.Duration) (IncidentRefreshState, bool, error) {
	now := s.Now()
	tag, err := s.pool.Exec(ctx, `
		UPDATE pd_incident_refresh SET claimed_by = $1, claimed_until = $2
		WHERE claimed_until IS NULL OR claimed_until < $3 OR claimed_by = $1`, replica, now.Add(lease), now)
	if err != nil {
		return IncidentRefreshState{}, false, fmt.Errorf("claim incident refresh: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return IncidentRefreshState{}, false, nil
	}
	st, err := s.IncidentRefresh(ctx)
	return st, err == nil, err
}

// StoreIncidents stores incidents read from PagerDuty, keyed by their id:
// an incident read again (an overlapping or concurrent read) replaces its
// row, never adds one.
func (s *Store) StoreIncidents(ctx context.Context, incs []Incident) error {
	if len(incs) == 0 {
		return nil
	}
	ids := make([]string, len(incs))
	svcs := make([]string, len(incs))
	created := make([]time.Time, len(incs))
	urg := make([]string, len(incs))
	status := make([]string, len(incs))
	nums := make([]int64, len(incs))
	for i, in := range incs {
		ids[i], svcs[i], created[i], urg[i], status[i], nums[i] = in.ID, in.PDServiceID, in.CreatedAt, in.Urgency, in.Status, in.Number
	}
	_, err := s.pool.Exec(ctx, `
		INSERT INTO pd_incidents AS p (id, pd_service_id, created_at, urgency, status, incident_number, fetched_at)
		SELECT DISTINCT ON (id) id, svc, created, urg, st, num, $7
		FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::bigint[]) AS u(id, svc, created, urg, st, num)
		ORDER BY id
		ON CONFLICT (id) DO UPDATE SET pd_service_id = EXCLUDED.pd_service_id, created_at = EXCLUDED.created_at,
			urgency = EXCLUDED.urgency, status = EXCLUDED.status, incident_number = EXCLUDED.incident_number,
			fetched_at = EXCLUDED.fetched_at`,
		ids, svcs, created, urg, status, nums, s.Now())
	if err != nil {
		return fmt.Errorf("store %d incidents: %w", len(incs), err)
	}
	return nil
}

// FinishIncidentRefresh records the end of replica's read of [from, until)
// and releases its claim. On success the covered span grows to include
// it, and incidents older than the kept span are deleted; on failure the
// error is kept (readErr's text: PagerDuty's errors carry no secrets).
func (s *Store) FinishIncidentRefresh(ctx context.Context, replica string, from, until time.Time, requests int, readErr error) error {
	now := s.Now()
	if readErr != nil {
		// Postgres refuses a text that is not UTF-8 or holds a NUL: an
		// error quoting a response must not stop the failure being
		// recorded (and the claim released). Cut on a character boundary.
		msg := strings.ReplaceAll(strings.ToValidUTF8(readErr.Error(), "\uFFFD"), "\x00", "")
		if len(msg) > 500 {
			msg = strings.ToValidUTF8(msg[:500], "")
		}
		_, err := s.pool.Exec(ctx, `
			UPDATE pd_incident_refresh SET last_error = $2, last_error_at = $3,
				claimed_by = CASE WHEN claimed_by = $1 THEN '' ELSE claimed_by END,
				claimed_until = CASE WHEN claimed_by = $1 THEN NULL ELSE claimed_until END`, replica, msg, now)
		if err != nil {
			return fmt.Errorf("record incident refresh failure: %w", err)
		}
		return nil
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// A full read (or one starting within the covered span) extends
		// it; an incremental read starting after a gap cannot: the caller
		// reads from CoveredUntil - overlap, so there is no gap.
		if _, err := tx.Exec(ctx, `
			UPDATE pd_incident_refresh SET
				covered_from = CASE WHEN covered_from IS NULL OR $2 < covered_from THEN $2 ELSE covered_from END,
				covered_until = CASE WHEN covered_until IS NULL OR $3 > covered_until THEN $3 ELSE covered_until END,
				last_success_at = $4, last_error = '', last_error_at = NULL, last_requests = $5,
				claimed_by = CASE WHEN claimed_by = $1 THEN '' ELSE claimed_by END,
				claimed_until = CASE WHEN claimed_by = $1 THEN NULL ELSE claimed_until END`,
			replica, from, until, now, requests); err != nil {
			return fmt.Errorf("record incident refresh: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM pd_incidents WHERE created_at < $1`, now.Add(-incidentsKeep)); err != nil {
			return fmt.Errorf("prune incidents: %w", err)
		}
		return nil
	})
}

// ServiceIncidents counts the incidents of the last 7, 30 and 90 days of
// services (by catalog id), and those of the last 30 days out of hours.
// Counts are given even when the refresh state says they are unknown: the
// caller decides (IncidentSummary.Known).
func (s *Store) ServiceIncidents(ctx context.Context, serviceIDs []int64, hours BusinessHours) (IncidentSummary, error) {
	now := s.Now()
	st, err := s.IncidentRefresh(ctx)
	if err != nil {
		return IncidentSummary{}, err
	}
	hours = hours.withDefaults()
	sum := IncidentSummary{State: st, Now: now, Location: hours.Location, Counts: map[int64]IncidentCount{}}
	if len(serviceIDs) == 0 {
		return sum, nil
	}
	days := make([]int32, 0, len(hours.Weekdays))
	for _, d := range hours.Weekdays {
		days = append(days, int32(d)) // Postgres' dow: 0 is Sunday, as time.Weekday
	}
	t7, t30, t90 := incidentBounds(now)
	rows, err := s.pool.Query(ctx, `
		SELECT s.id, s.pagerduty_service_id <> '',
		       count(i.id) FILTER (WHERE i.created_at >= $3),
		       count(i.id) FILTER (WHERE i.created_at >= $4),
		       count(i.id) FILTER (WHERE i.created_at >= $4 AND NOT (
		           extract(dow FROM i.created_at AT TIME ZONE $6)::int = ANY($7)
		           AND extract(epoch FROM (i.created_at AT TIME ZONE $6)::time) >= $8
		           AND extract(epoch FROM (i.created_at AT TIME ZONE $6)::time) < $9)),
		       count(i.id)
		FROM services s
		LEFT JOIN pd_incidents i ON s.pagerduty_service_id <> '' AND i.pd_service_id = s.pagerduty_service_id
		     AND i.created_at >= $5 AND i.created_at <= $2
		WHERE s.id = ANY($1)
		GROUP BY s.id`,
		serviceIDs, now, t7, t30, t90, hours.Location.String(), days, int64(hours.Start/time.Second), int64(hours.End/time.Second))
	if err != nil {
		return IncidentSummary{}, fmt.Errorf("count incidents: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var linked bool
		var c IncidentCount
		if err := rows.Scan(&id, &linked, &c.Last7, &c.Last30, &c.OutOfHours30, &c.Last90); err != nil {
			return IncidentSummary{}, fmt.Errorf("count incidents: %w", err)
		}
		if !linked {
			sum.Unlinked = append(sum.Unlinked, id)
			continue
		}
		sum.Counts[id] = c
	}
	if err := rows.Err(); err != nil {
		return IncidentSummary{}, fmt.Errorf("count incidents: %w", err)
	}
	slices.Sort(sum.Unlinked)
	return sum, nil
}

// IncidentCounts counts incidents with the organisation's business hours:
// what /whoowns and /team read.
type IncidentCounts struct {
	Store *Store
	Hours BusinessHours
}

// ServiceIncidents counts the incidents of services (Store.ServiceIncidents).
func (c IncidentCounts) ServiceIncidents(ctx context.Context, serviceIDs []int64) (IncidentSummary, error) {
	return c.Store.ServiceIncidents(ctx, serviceIDs, c.Hours)
}

// NoisyService is a service with its incidents over a period.
type NoisyService struct {
	ServiceID int64
	Ref       string // namespace/name, or name in the default namespace
	Team      string // "" when it has no team
	Incidents int
}

// noisiest reads the services with incidents created in [since, now],
// most first; limit <= 0: all.
func (s *Store) noisiest(ctx context.Context, since, now time.Time, limit int) ([]NoisyService, error) {
	var lim *int
	if limit > 0 {
		lim = &limit
	}
	rows, err := s.pool.Query(ctx, `
		SELECT s.id, s.namespace, s.name, COALESCE(t.name, ''), count(*)
		FROM services s
		JOIN pd_incidents i ON i.pd_service_id = s.pagerduty_service_id
		LEFT JOIN teams t ON t.id = s.team_id
		WHERE s.status = 'active' AND s.pagerduty_service_id <> '' AND i.created_at >= $1 AND i.created_at <= $2
		GROUP BY s.id, s.namespace, s.name, t.name
		ORDER BY count(*) DESC, s.name, s.namespace
		LIMIT $3`, since, now, lim)
	if err != nil {
		return nil, fmt.Errorf("noisiest services: %w", err)
	}
	defer rows.Close()
	var out []NoisyService
	for rows.Next() {
		var n NoisyService
		var ns, name string
		if err := rows.Scan(&n.ServiceID, &ns, &name, &n.Team, &n.Incidents); err != nil {
			return nil, fmt.Errorf("noisiest services: %w", err)
		}
		n.Ref = Service{Namespace: ns, Name: name}.Ref()
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("noisiest services: %w", err)
	}
	return out, nil
}

// NoisyTop is how many of the noisiest services the digest names.
const NoisyTop = 5

// digestNoisyServices reads the services with incidents in the week
// before d.Now (a group's digest keeps those of the teams whose GitLab
// group lies in it), or why they are unknown when PagerDuty's incidents
// were read but are not now known.
func (s *Store) digestNoisyServices(ctx context.Context, d *Digest) error {
	st, err := s.IncidentRefresh(ctx)
	if err != nil {
		return err
	}
	if st.LastSuccess.IsZero() && st.LastErrorAt.IsZero() {
		return nil // PagerDuty's incidents are not read: nothing to say
	}
	if !st.Known(d.Now) {
		d.NoisyUnknown = st.UnknownReason(d.Now, time.UTC)
		return nil
	}
	all, err := s.noisiest(ctx, d.Now.Add(-7*24*time.Hour), d.Now, 0)
	if err != nil {
		return err
	}
	if d.Group != "" {
		inGroup := d.groupTeams()
		all = keepIf(all, func(n NoisyService) bool { return inGroup[strings.ToLower(n.Team)] })
	}
	d.NoisyServices = all
	return nil
}

// String renders the hours, e.g. "09:00-18:00 Mon,Tue,Wed,Thu,Fri Europe/London".
func (b BusinessHours) String() string {
	b = b.withDefaults()
	var days []string
	for _, d := range b.Weekdays {
		days = append(days, d.String()[:3])
	}
	hm := func(d time.Duration) string { return fmt.Sprintf("%02d:%02d", int(d.Hours()), int(d.Minutes())%60) }
	return hm(b.Start) + "-" + hm(b.End) + " " + strings.Join(days, ",") + " " + b.Location.String()
}

// IncidentSource lists PagerDuty's incidents (the pagerduty adapter, through
// a small wrapper): every incident created in [since, until), handed to fn
// page by page; requests is how many requests the read made.
type IncidentSource interface {
	Incidents(ctx context.Context, since, until time.Time, fn func([]Incident) error) (requests int, err error)
}

// IncidentRefreshResult is what one RefreshIncidents did.
type IncidentRefreshResult struct {
	// Claimed is false when another replica was refreshing (nothing done).
	Claimed bool
	// Full is true for a read of the whole IncidentsFullSpan (the first,
	// or after the covered span fell out of it), false for an incremental
	// one.
	Full         bool
	Since, Until time.Time
	Requests     int
	Incidents    int
}

// incidentLease is how long a refresh's claim lasts: a replica that dies
// mid-read lets another take over after it.
const incidentLease = 15 * time.Minute

// RefreshIncidents reads PagerDuty's incidents into the store, claimed for
// replica so that replicas take turns: the first time (or when the last
// read is older than IncidentsFullSpan) every incident of the last
// IncidentsFullSpan, then only those created since the end of the last
// read, less IncidentsOverlap. Counts are computed from the stored
// incidents, so a refresh costs a request per 100 incidents created since
// the last one, whatever the number of services.
func (s *Store) RefreshIncidents(ctx context.Context, src IncidentSource, replica string) (IncidentRefreshResult, error) {
	st, ok, err := s.ClaimIncidentRefresh(ctx, replica, incidentLease)
	if err != nil || !ok {
		return IncidentRefreshResult{}, err
	}
	res := IncidentRefreshResult{Claimed: true, Until: s.Now().Truncate(time.Second)}
	res.Since = st.CoveredUntil.Add(-IncidentsOverlap)
	if st.CoveredUntil.IsZero() || st.CoveredUntil.Before(res.Until.Add(-IncidentsFullSpan)) {
		res.Full, res.Since = true, res.Until.Add(-IncidentsFullSpan)
	}
	res.Requests, err = src.Incidents(ctx, res.Since, res.Until, func(page []Incident) error {
		res.Incidents += len(page)
		return s.StoreIncidents(ctx, page)
	})
	// The outcome is recorded even when ctx ended (a shutdown): it
	// releases the claim.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if ferr := s.FinishIncidentRefresh(fctx, replica, res.Since, res.Until, res.Requests, err); ferr != nil {
		return res, errors.Join(err, ferr)
	}
	if err != nil {
		return res, fmt.Errorf("refresh incidents: %w", err)
	}
	return res, nil
}

// scoreIncidents is the scorecard's incidents_30d of subjects: the
// incidents of the last 30 days, unknown (never 0) when the counts are
// unknown or the service has no PagerDuty service.
func (s *Store) scoreIncidents(ctx context.Context, subs []*subject) (map[int64]scorecard.Value, error) {
	ids := make([]int64, len(subs))
	for i, sub := range subs {
		ids[i] = sub.Service.ID
	}
	sum, err := s.ServiceIncidents(ctx, ids, BusinessHours{})
	if err != nil {
		return nil, err
	}
	out := make(map[int64]scorecard.Value, len(ids))
	reason := sum.State.UnknownReason(sum.Now, time.UTC)
	for _, id := range ids {
		c, ok := sum.Counts[id]
		switch {
		case !ok:
			out[id] = scorecard.UnknownValue(scorecard.KindNumber, "no PagerDuty service")
		case reason != "":
			out[id] = scorecard.UnknownValue(scorecard.KindNumber, "incidents: "+reason)
		default:
			out[id] = scorecard.Number(float64(c.Last30))
		}
	}
	return out, nil
}
