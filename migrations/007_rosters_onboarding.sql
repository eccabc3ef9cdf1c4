-- Team rosters and onboarding.

-- "Did you mean" over team names (/team, /onboard): the nearest names by
-- trigram distance.
CREATE INDEX teams_name_trgm_idx ON teams USING gist (lower(name) gist_trgm_ops);

-- Someone being onboarded to a team with /onboard: who started it and when.
-- A person may be onboarded to several teams; starting again keeps the
-- first start and the checklist.
CREATE TABLE onboarding (
    person_id       bigint NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    team_id         bigint NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    -- started_by is the Slack user id (or, outside Slack, the email) of who
    -- ran /onboard; started_by_name their name when known.
    started_by      text NOT NULL DEFAULT '',
    started_by_name text NOT NULL DEFAULT '',
    started_at      timestamptz NOT NULL,
    -- sent_at is when the welcome message was last sent to the person.
    sent_at         timestamptz,
    PRIMARY KEY (person_id, team_id)
);
CREATE INDEX onboarding_started_by_idx ON onboarding (started_by) WHERE started_by <> '';

-- The checklist items a person has done. item_id is the item's id from the
-- standards file's onboarding checklist; an item not here is not done. The
-- checklist is the person's, whatever team they are onboarded to.
CREATE TABLE onboarding_items (
    person_id bigint NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    item_id   text NOT NULL CHECK (item_id <> ''),
    done_at   timestamptz NOT NULL,
    -- done_by is the Slack user id (or email) of who ticked it: the person,
    -- or someone ticking it for them.
    done_by   text NOT NULL DEFAULT '',
    PRIMARY KEY (person_id, item_id)
);
