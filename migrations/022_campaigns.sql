-- Campaigns (issue 14): a condition every matching service must come to
-- hold ("log4j-core <2.17.1" gone, a scorecard check passed, a file
-- present), tracked by the sync. condition and filter are the
-- catalog.CampaignCondition and CampaignFilter as JSON; reminders are
-- the durations before the deadline, in seconds.
CREATE TABLE campaigns (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name            text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9-]*$'),
    title           text NOT NULL,
    condition       jsonb NOT NULL,
    filter          jsonb NOT NULL DEFAULT '{}',
    deadline        timestamptz NOT NULL,
    updates_channel text NOT NULL DEFAULT '',
    reminders       bigint[] NOT NULL DEFAULT '{}',
    created_by      text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    closed_at       timestamptz
);
CREATE INDEX campaigns_open_idx ON campaigns (id) WHERE closed_at IS NULL;

-- Each service in a campaign: open until the condition holds for it,
-- done while it holds, or wontfix (with the reason) as a team decided.
-- where_ is the file:line to change, fix_to the version to move to;
-- changed is when the status last changed.
CREATE TABLE campaign_services (
    campaign_id bigint NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    service_id  bigint NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    status      text NOT NULL CHECK (status IN ('open', 'done', 'wontfix')),
    reason      text NOT NULL DEFAULT '',
    where_      text NOT NULL DEFAULT '',
    fix_to      text NOT NULL DEFAULT '',
    changed     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (campaign_id, service_id)
);
CREATE INDEX campaign_services_service_idx ON campaign_services (service_id);

-- The burn-down: the services left open at the end of each day (the last
-- count recorded that day, UTC).
CREATE TABLE campaign_days (
    campaign_id bigint NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    day         date NOT NULL,
    remaining   integer NOT NULL CHECK (remaining >= 0),
    PRIMARY KEY (campaign_id, day)
);
