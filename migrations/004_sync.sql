-- What the GitLab sync records beyond the repo itself.

-- Every path of every repo's default branch, so that "which repos contain
-- log4j2.xml" is a query.
CREATE TABLE repo_files (
    repo_id bigint NOT NULL REFERENCES repos (id) ON DELETE CASCADE,
    path    text NOT NULL,
    name    text GENERATED ALWAYS AS (regexp_replace(path, '^.*/', '')) STORED,
    PRIMARY KEY (repo_id, path)
);
CREATE INDEX repo_files_name_idx ON repo_files (lower(name));

-- Service names this repo's descriptor claims that another repo already
-- holds (the first keeps it): [{"service": "ns/name", "repo": "group/other"}].
ALTER TABLE repos ADD COLUMN conflicts jsonb NOT NULL DEFAULT '[]';
-- A project GitLab reports destroyed: kept, with when, rather than dropped.
ALTER TABLE repos ADD COLUMN deleted_at timestamptz;

-- One row per sync run: what it saw and what it cost.
CREATE TABLE sync_runs (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind         text NOT NULL CHECK (kind IN ('full', 'incremental')),
    started_at   timestamptz NOT NULL,
    finished_at  timestamptz,
    completed    boolean NOT NULL DEFAULT false,
    repos_seen   integer NOT NULL DEFAULT 0,
    catalogued   integer NOT NULL DEFAULT 0,
    invalid      integer NOT NULL DEFAULT 0,
    missing      integer NOT NULL DEFAULT 0,
    templates    integer NOT NULL DEFAULT 0,
    conflicts    integer NOT NULL DEFAULT 0,
    failed       integer NOT NULL DEFAULT 0,
    requests     integer NOT NULL DEFAULT 0,
    rate_limited integer NOT NULL DEFAULT 0,
    error        text NOT NULL DEFAULT ''
);

-- The artifact part of a dependency's name, so that "log4j-core" finds
-- "org.apache.logging.log4j:log4j-core" through an index.
ALTER TABLE dependencies ADD COLUMN artifact text GENERATED ALWAYS AS (lower(regexp_replace(name, '^.*:', ''))) STORED;
CREATE INDEX dependencies_artifact_idx ON dependencies (artifact);
