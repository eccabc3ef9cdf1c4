-- Services registered from Slack (/service add) whose descriptor is still
-- to reach their repo through a merge request. The service is in the
-- catalog from the start; this row tracks the merge request, retried until
-- it is opened.
CREATE TABLE registrations (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    service_id      bigint NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    repo_id         bigint NOT NULL REFERENCES repos (id) ON DELETE CASCADE,
    requested_by    text NOT NULL,
    descriptor      text NOT NULL,
    state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'opened', 'failed')),
    mr_url          text NOT NULL DEFAULT '',
    attempts        integer NOT NULL DEFAULT 0,
    last_error      text NOT NULL DEFAULT '',
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX registrations_due_idx ON registrations (next_attempt_at) WHERE state = 'pending';
