-- Each team's message about a campaign (issue 14): posted once in the
-- team's channel, then kept up to date in place (chat.update). A replica
-- claims the post (claimed_by, claimed_at) so that two replicas do not
-- both post; ts is the message's once posted, hash the hash of the text
-- last posted or updated (an unchanged message is not updated).
CREATE TABLE campaign_messages (
    campaign_id bigint NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    team        text NOT NULL,
    channel     text NOT NULL DEFAULT '',
    ts          text NOT NULL DEFAULT '',
    hash        text NOT NULL DEFAULT '',
    claimed_by  text NOT NULL DEFAULT '',
    claimed_at  timestamptz,
    posted_at   timestamptz,
    updated_at  timestamptz,
    last_error  text NOT NULL DEFAULT '',
    PRIMARY KEY (campaign_id, team)
);
