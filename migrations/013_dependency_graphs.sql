-- Dependency graphs (issue 12): each dependency says whether the project
-- asks for it directly or through which chain of packages it comes in, and
-- the line to change; each dependency file the sync chose records what it
-- gave, or why it could not be read, so that an unread file is never taken
-- for "no dependencies".

-- source is the dependency file the row was read from (a lockfile); file
-- and line are where the dependency is declared (for a lockfile's direct
-- dependency, its manifest's line). Rows stored before this migration
-- came from their own file.
ALTER TABLE dependencies
    ADD COLUMN source   text NOT NULL DEFAULT '',
    ADD COLUMN line     integer NOT NULL DEFAULT 0,
    ADD COLUMN direct   boolean NOT NULL DEFAULT false,
    ADD COLUMN via      text[] NOT NULL DEFAULT '{}',
    ADD COLUMN scope    text NOT NULL DEFAULT '',
    -- How advisories name the package (advisories.NameKey): PEP 503 for
    -- PyPI, lower case otherwise.
    ADD COLUMN name_key text GENERATED ALWAYS AS (
        CASE WHEN ecosystem = 'pypi' THEN regexp_replace(lower(name), '[-_.]+', '-', 'g') ELSE lower(name) END) STORED;
UPDATE dependencies SET source = file;
ALTER TABLE dependencies DROP CONSTRAINT dependencies_pkey;
ALTER TABLE dependencies ADD PRIMARY KEY (repo_id, source, ecosystem, name, version);
-- /impact ADVISORY: the distinct versions in use of a package (index
-- only), then the repos using the affected ones.
CREATE INDEX dependencies_name_key_idx ON dependencies (name_key, ecosystem, version) INCLUDE (repo_id);

-- One row per dependency file the last sync of a repo chose to read: what
-- it gave (graph: flat, declared, direct, paths; the manifest read beside a
-- lockfile; a note on what the file could not tell), or why it gave
-- nothing: problem is 'unparsable' (error holds the positioned error),
-- 'not_found' (listed in the tree, 404 at that commit), 'too_large',
-- 'timeout' or 'error'.
CREATE TABLE dependency_files (
    repo_id  bigint NOT NULL REFERENCES repos (id) ON DELETE CASCADE,
    path     text NOT NULL,
    graph    text NOT NULL DEFAULT '',
    manifest text NOT NULL DEFAULT '',
    note     text NOT NULL DEFAULT '',
    problem  text NOT NULL DEFAULT '',
    error    text NOT NULL DEFAULT '',
    PRIMARY KEY (repo_id, path)
);
CREATE INDEX dependency_files_incomplete_idx ON dependency_files (repo_id)
    WHERE problem <> '' OR note <> '' OR graph IN ('flat', 'declared');

-- How many of the repo's dependency files could not be read (not found,
-- too large, timeout): the next sync reads the repo again whatever its
-- commit.
ALTER TABLE repos ADD COLUMN dependency_files_unread integer NOT NULL DEFAULT 0;

-- What each repo's job left unread, for the run's summary.
ALTER TABLE sync_run_repos ADD COLUMN dependency_files_unread integer NOT NULL DEFAULT 0;
