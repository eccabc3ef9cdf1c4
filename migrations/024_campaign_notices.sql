-- A campaign's one-off notices (issue 14): each reminder to each team with
-- services left (kind 'reminder:<seconds before the deadline>'), and the
-- final report (kind 'report', team ''). A replica claims a notice by
-- inserting its row, so that it is sent exactly once across replicas; a
-- failed send deletes the row, to be claimed again.
CREATE TABLE campaign_notices (
    campaign_id bigint NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    kind        text NOT NULL,
    team        text NOT NULL DEFAULT '',
    claimed_by  text NOT NULL,
    claimed_at  timestamptz NOT NULL,
    sent_at     timestamptz,
    PRIMARY KEY (campaign_id, kind, team)
);
