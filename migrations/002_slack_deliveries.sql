-- Slack deliveries already handled (event ids, action ids), so that Slack's
-- retries and double clicks never cause a second effect, whichever replica
-- receives them.
CREATE TABLE slack_deliveries (
    key text PRIMARY KEY,
    at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX slack_deliveries_at_idx ON slack_deliveries (at);
