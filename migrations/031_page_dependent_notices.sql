-- "Tell their channels" on a /page confirmation (issue 16): one notice per
-- page and channel, claimed here before it is posted, so double clicks and
-- several replicas post it once. A failed post can be claimed again; so
-- can one whose sender died (sending for over a minute).
CREATE TABLE page_dependent_notices (
    page_token text NOT NULL REFERENCES pages (token) ON DELETE CASCADE,
    channel    text NOT NULL CHECK (channel <> ''),
    state      text NOT NULL DEFAULT 'sending' CHECK (state IN ('sending', 'sent', 'failed')),
    claimed_at timestamptz NOT NULL DEFAULT now(),
    sent_at    timestamptz,
    error      text NOT NULL DEFAULT '',
    PRIMARY KEY (page_token, channel)
);
