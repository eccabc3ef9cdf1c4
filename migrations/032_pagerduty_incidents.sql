-- PagerDuty incidents (issue 16): the account's incidents of the last 90
-- days and more, read by a periodic refresh, from which /whoowns, /team, the
-- digest and the scorecard's incidents_30d count. Keyed by PagerDuty's
-- incident id, so that an overlapping or concurrent refresh never counts an
-- incident twice.
CREATE TABLE pd_incidents (
    id              text PRIMARY KEY,
    pd_service_id   text NOT NULL,
    created_at      timestamptz NOT NULL,
    urgency         text NOT NULL DEFAULT '',
    status          text NOT NULL DEFAULT '',
    incident_number bigint NOT NULL DEFAULT 0,
    fetched_at      timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX pd_incidents_service_created ON pd_incidents (pd_service_id, created_at);
CREATE INDEX pd_incidents_created ON pd_incidents (created_at);

-- One row: how far the refresh has read, and who is reading now.
CREATE TABLE pd_incident_refresh (
    singleton       boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    -- covered_from..covered_until is the span of creation times read
    -- completely; NULL before the first full read succeeded.
    covered_from    timestamptz,
    covered_until   timestamptz,
    last_success_at timestamptz,
    last_error      text NOT NULL DEFAULT '',
    last_error_at   timestamptz,
    last_requests   integer NOT NULL DEFAULT 0,
    claimed_by      text NOT NULL DEFAULT '',
    claimed_until   timestamptz
);

INSERT INTO pd_incident_refresh (singleton) VALUES (true);
