-- Scorecards (issue 13): each service's current grade, a daily history of
-- levels, the level changes worth telling (a drop is told to the team's
-- channel once), and the PagerDuty facts a periodic refresh reads.

-- The current grade of each service: the level (rank, 1 for the lowest
-- level of the card; 0 when none is reached), the ceiling (the level if
-- every unknown check passed), the whole grade as scorecard.Grade's JSON,
-- and the hash of the card that graded it, so that a changed card
-- re-grades. settled_level is the level last counted as the service's own:
-- a drop caused only by unknown facts (ceiling not below it) leaves it, so
-- that such a dip and its recovery are never told as a drop and a rise.
CREATE TABLE service_grades (
    service_id    bigint PRIMARY KEY REFERENCES services (id) ON DELETE CASCADE,
    level         integer NOT NULL CHECK (level >= 0),
    ceiling       integer NOT NULL CHECK (ceiling >= 0),
    settled_level integer NOT NULL CHECK (settled_level >= 0),
    grade         jsonb NOT NULL,
    card_hash     text NOT NULL,
    graded_at     timestamptz NOT NULL
);
CREATE INDEX service_grades_card_idx ON service_grades (card_hash);

-- One row per service and day (UTC): the level at the day's last grading.
CREATE TABLE service_grade_days (
    service_id bigint NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    day        date NOT NULL,
    level      integer NOT NULL,
    ceiling    integer NOT NULL,
    PRIMARY KEY (service_id, day)
);
CREATE INDEX service_grade_days_day_idx ON service_grade_days (day);

-- A service's settled level moving: a rise, or a drop with a known cause
-- (a failed check; not only unknown facts). A drop is told to the team's
-- channel once however many replicas grade it: the row is written once
-- (the grade's row is locked while it is compared), and one notifier
-- claims it (claimed_at, claimed_by; a claim older than a few minutes is
-- taken over), posts, and marks it notified. channel is where it was told.
CREATE TABLE service_level_changes (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    service_id  bigint NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    at          timestamptz NOT NULL,
    from_level  integer NOT NULL,
    to_level    integer NOT NULL,
    ceiling     integer NOT NULL,
    -- the failed checks that caused a drop (their ids), for the message.
    failed      text[] NOT NULL DEFAULT '{}',
    claimed_at  timestamptz,
    claimed_by  text NOT NULL DEFAULT '',
    notified_at timestamptz,
    channel     text NOT NULL DEFAULT '',
    attempts    integer NOT NULL DEFAULT 0,
    last_error  text NOT NULL DEFAULT ''
);
CREATE INDEX service_level_changes_at_idx ON service_level_changes (at);
CREATE INDEX service_level_changes_service_idx ON service_level_changes (service_id, at);
CREATE INDEX service_level_changes_pending_idx ON service_level_changes (at)
    WHERE notified_at IS NULL AND to_level < from_level;

-- What PagerDuty said at the last successful refresh, per PagerDuty
-- service: its escalation policy, whether someone is on call now at its
-- first level, and how many levels the policy has.
CREATE TABLE pagerduty_facts (
    pagerduty_service_id text PRIMARY KEY,
    policy_id            text NOT NULL DEFAULT '',
    oncall_now           boolean NOT NULL,
    levels               integer NOT NULL,
    fetched_at           timestamptz NOT NULL
);

-- The refresh itself, one row: when it last succeeded and last failed, and
-- why. Facts older than a few refreshes are unknown, never taken as false.
CREATE TABLE pagerduty_refresh (
    id           boolean PRIMARY KEY DEFAULT true CHECK (id),
    succeeded_at timestamptz,
    failed_at    timestamptz,
    last_error   text NOT NULL DEFAULT ''
);
