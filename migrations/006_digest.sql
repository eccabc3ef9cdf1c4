-- The daily digest. One row per day a digest is due, so that it is posted
-- once whichever replica gets there first: a replica claims the day
-- (claimed_at), posts, records each channel as it goes (posted_channels, so
-- a retry after a partial failure posts only the rest) and marks the day
-- posted. A claim whose replica died is taken over once it is older than a
-- few minutes; a failed post leaves the day unposted, to be retried. The
-- coverage the digest showed is kept with the day, so that the next digest
-- shows the change and a trend.
CREATE TABLE digest_days (
    day             date PRIMARY KEY,
    -- due_at is the scheduled time the day's digest was due.
    due_at          timestamptz NOT NULL,
    claimed_at      timestamptz,
    claimed_by      text NOT NULL DEFAULT '',
    posted_at       timestamptz,
    posted_channels text[] NOT NULL DEFAULT '{}',
    attempts        integer NOT NULL DEFAULT 0,
    failed_at       timestamptz,
    last_error      text NOT NULL DEFAULT '',
    -- Coverage when posted: active repos, catalogued, without a
    -- descriptor, with a broken one, ignored.
    active_repos    integer NOT NULL DEFAULT 0,
    catalogued      integer NOT NULL DEFAULT 0,
    no_descriptor   integer NOT NULL DEFAULT 0,
    broken          integer NOT NULL DEFAULT 0,
    ignored         integer NOT NULL DEFAULT 0,
    -- The same by team and by GitLab group (subgroups included):
    -- {"payments": {"active": 10, "catalogued": 8, ...}}.
    teams           jsonb NOT NULL DEFAULT '{}',
    groups          jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX digest_days_posted_idx ON digest_days (day DESC) WHERE posted_at IS NOT NULL;

-- Who ignored a repo (ignored_reason says why), and when.
ALTER TABLE repos ADD COLUMN ignored_by text NOT NULL DEFAULT '';
ALTER TABLE repos ADD COLUMN ignored_at timestamptz;
