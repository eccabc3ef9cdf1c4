-- Pages requested from Slack with /page. A page is a pending confirmation
-- until its requester clicks Page or Cancel; it is kept here, not in a
-- replica's memory, so that any replica can confirm it and a restart loses
-- nothing. Its state moves pending -> sending -> sent | failed once (an
-- UPDATE ... WHERE state = 'pending'), so one click is one page; the dedup
-- key sent to PagerDuty is derived from the token, so a retry of the same
-- page never opens a second incident.
CREATE TABLE pages (
    token              text PRIMARY KEY CHECK (token <> ''),
    service_id         bigint NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    -- service_ref is the service's namespace/name when the page was asked.
    service_ref        text NOT NULL,
    requester_slack_id text NOT NULL,
    requester_name     text NOT NULL DEFAULT '',
    requester_email    text NOT NULL DEFAULT '',
    channel_id         text NOT NULL DEFAULT '',
    message            text NOT NULL CHECK (message <> ''),
    dedup_key          text NOT NULL UNIQUE,
    -- on_call: who was on call at level 1 when the page was asked or sent:
    -- [{"name": "...", "slack_user_id": "..."}].
    on_call            jsonb NOT NULL DEFAULT '[]',
    -- acknowledged_token: the recent page of the same service that the
    -- requester was shown and chose to page again after.
    acknowledged_token text NOT NULL DEFAULT '',
    state              text NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'cancelled', 'expired')),
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    sent_at            timestamptz,
    incident_id        text NOT NULL DEFAULT '',
    incident_number    integer NOT NULL DEFAULT 0,
    incident_url       text NOT NULL DEFAULT '',
    via                text NOT NULL DEFAULT '',
    error              text NOT NULL DEFAULT ''
);
-- "Was this service paged in the last five minutes?"
CREATE INDEX pages_service_sent_idx ON pages (service_id, sent_at DESC) WHERE state = 'sent';
CREATE INDEX pages_created_at_idx ON pages (created_at);
