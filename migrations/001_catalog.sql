-- The service catalog: teams, people, services, repos, dependencies, audit.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE teams (
    id                          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                        text NOT NULL CHECK (name <> ''),
    title                       text NOT NULL DEFAULT '',
    description                 text NOT NULL DEFAULT '',
    slack_channel               text NOT NULL DEFAULT '',
    gitlab_group                text NOT NULL DEFAULT '',
    pagerduty_escalation_policy text NOT NULL DEFAULT '',
    pagerduty_team              text NOT NULL DEFAULT '',
    created_at                  timestamptz NOT NULL DEFAULT now(),
    updated_at                  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX teams_name_key ON teams (lower(name));

CREATE TABLE people (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name              text NOT NULL DEFAULT '',
    email             text NOT NULL CHECK (email <> ''),
    slack_user_id     text NOT NULL DEFAULT '',
    gitlab_username   text NOT NULL DEFAULT '',
    pagerduty_user_id text NOT NULL DEFAULT '',
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX people_email_key ON people (lower(email));
CREATE INDEX people_slack_user_id_idx ON people (slack_user_id) WHERE slack_user_id <> '';
CREATE INDEX people_gitlab_username_idx ON people (lower(gitlab_username)) WHERE gitlab_username <> '';

-- source says where a membership was learnt (gitlab, pagerduty, descriptor,
-- slack), so that a sync of one source never removes another's.
CREATE TABLE team_members (
    team_id    bigint NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    person_id  bigint NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    source     text NOT NULL,
    role       text NOT NULL DEFAULT '',
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (team_id, person_id, source)
);
CREATE INDEX team_members_person_idx ON team_members (person_id);

CREATE TABLE services (
    id                        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    namespace                 text NOT NULL DEFAULT 'default',
    name                      text NOT NULL CHECK (name <> ''),
    title                     text NOT NULL DEFAULT '',
    description               text NOT NULL DEFAULT '',
    team_id                   bigint REFERENCES teams (id) ON DELETE SET NULL,
    lifecycle                 text NOT NULL DEFAULT '',
    tier                      text NOT NULL DEFAULT '',
    type                      text NOT NULL DEFAULT '',
    language                  text NOT NULL DEFAULT '',
    framework                 text NOT NULL DEFAULT '',
    tags                      text[] NOT NULL DEFAULT '{}',
    slack_channel             text NOT NULL DEFAULT '',
    pagerduty_service_id      text NOT NULL DEFAULT '',
    pagerduty_integration_key text NOT NULL DEFAULT '',
    -- links: [{"kind": "runbook"|"docs"|"dashboard"|"other", "title": "...", "url": "..."}]
    links                     jsonb NOT NULL DEFAULT '[]',
    source                    text NOT NULL CHECK (source IN ('descriptor', 'slack', 'import')),
    status                    text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'orphaned')),
    created_at                timestamptz NOT NULL DEFAULT now(),
    updated_at                timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX services_namespace_name_key ON services (namespace, lower(name));
CREATE INDEX services_lower_name_idx ON services (lower(name));
-- GiST, not GIN: "did you mean" asks for the k nearest names (ORDER BY <->).
CREATE INDEX services_name_trgm_idx ON services USING gist (lower(name) gist_trgm_ops);
CREATE INDEX services_team_idx ON services (team_id);

CREATE TABLE service_aliases (
    service_id bigint NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    alias      text NOT NULL CHECK (alias <> ''),
    PRIMARY KEY (service_id, alias)
);
CREATE INDEX service_aliases_lower_idx ON service_aliases (lower(alias));
CREATE INDEX service_aliases_trgm_idx ON service_aliases USING gist (lower(alias) gist_trgm_ops);

CREATE TABLE repos (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    gitlab_id         bigint UNIQUE,
    path              text NOT NULL CHECK (path <> ''),
    default_branch    text NOT NULL DEFAULT '',
    web_url           text NOT NULL DEFAULT '',
    archived          boolean NOT NULL DEFAULT false,
    forked            boolean NOT NULL DEFAULT false,
    last_activity_at  timestamptz,
    last_commit       text NOT NULL DEFAULT '',
    descriptor_status text NOT NULL DEFAULT 'unknown'
        CHECK (descriptor_status IN ('unknown', 'ok', 'invalid', 'missing', 'template')),
    descriptor_path   text NOT NULL DEFAULT '',
    -- findings: [{"path", "line", "col", "severity", "rule", "message", "fix"}]
    descriptor_errors jsonb NOT NULL DEFAULT '[]',
    sync_error        text NOT NULL DEFAULT '',
    synced_at         timestamptz,
    ignored_reason    text NOT NULL DEFAULT '',
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX repos_path_key ON repos (lower(path));

-- Which service lives in which repo; a monorepo holds several, and a service
-- may span repos. subpath is the folder of the descriptor within the repo.
CREATE TABLE service_repos (
    service_id bigint NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    repo_id    bigint NOT NULL REFERENCES repos (id) ON DELETE CASCADE,
    subpath    text NOT NULL DEFAULT '',
    PRIMARY KEY (service_id, repo_id)
);
CREATE INDEX service_repos_repo_idx ON service_repos (repo_id);

CREATE TABLE dependencies (
    repo_id   bigint NOT NULL REFERENCES repos (id) ON DELETE CASCADE,
    ecosystem text NOT NULL,
    name      text NOT NULL,
    version   text NOT NULL DEFAULT '',
    file      text NOT NULL,
    PRIMARY KEY (repo_id, file, ecosystem, name, version)
);
CREATE INDEX dependencies_name_idx ON dependencies (lower(name));

-- Every change to the catalog and every page: who, when, what, result.
CREATE TABLE audit_log (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at      timestamptz NOT NULL DEFAULT now(),
    actor   text NOT NULL,
    action  text NOT NULL,
    subject text NOT NULL DEFAULT '',
    detail  jsonb NOT NULL DEFAULT '{}',
    result  text NOT NULL DEFAULT 'ok'
);
CREATE INDEX audit_log_at_idx ON audit_log (at);
CREATE INDEX audit_log_subject_idx ON audit_log (subject, at);
