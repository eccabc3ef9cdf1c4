-- Coverage over time for the web catalog (issue 15): one row a day with
-- the coverage as the daily digest counts it (active repos, catalogued,
-- without a descriptor, with a broken one, ignored). A River job records
-- it hourly on whichever replica takes the job; the day's latest recording
-- stands. Unlike digest_days, it is kept whether or not a digest is posted.
CREATE TABLE coverage_days (
    day           date PRIMARY KEY,
    recorded_at   timestamptz NOT NULL,
    active_repos  integer NOT NULL,
    catalogued    integer NOT NULL,
    no_descriptor integer NOT NULL,
    broken        integer NOT NULL,
    ignored       integer NOT NULL
);
