-- Security advisories in the OSV schema (package advisories): the records,
-- every id each is known by, and the packages and ranges each affects, so
-- that "/impact CVE-2021-44228" finds the packages and "which advisories
-- affect log4j-core" is an index lookup.

-- One row per OSV record, the record itself kept whole. A record is
-- replaced only by one with a later modified time.
CREATE TABLE advisories (
    id        text PRIMARY KEY,
    modified  timestamptz NOT NULL,
    published timestamptz,
    withdrawn timestamptz,
    summary   text NOT NULL DEFAULT '',
    record    jsonb NOT NULL,
    loaded_at timestamptz NOT NULL DEFAULT now()
);

-- Every id a record answers to: its own and its aliases (CVE ids are
-- usually aliases of GHSA records), upper-cased so that lookups ignore
-- case. One CVE may be an alias of several records (GHSA, GO, PYSEC).
CREATE TABLE advisory_ids (
    key         text NOT NULL,
    advisory_id text NOT NULL REFERENCES advisories (id) ON DELETE CASCADE,
    PRIMARY KEY (key, advisory_id)
);
CREATE INDEX advisory_ids_advisory_idx ON advisory_ids (advisory_id);

-- The record's affected packages, one row per entry of "affected", in
-- Switchboard's ecosystem names (depfile's: maven, npm, pypi, go, rubygems,
-- cargo, packagist, nuget; others lower-cased) and the name as NameKey
-- normalises it. Ranges and versions are compared in Go, with each
-- ecosystem's ordering; the row is what finds them.
CREATE TABLE advisory_packages (
    advisory_id   text NOT NULL REFERENCES advisories (id) ON DELETE CASCADE,
    idx           integer NOT NULL,
    ecosystem     text NOT NULL,
    name_key      text NOT NULL,
    osv_ecosystem text NOT NULL,
    name          text NOT NULL,
    purl          text NOT NULL DEFAULT '',
    ranges        jsonb NOT NULL DEFAULT '[]',
    versions      text[] NOT NULL DEFAULT '{}',
    PRIMARY KEY (advisory_id, idx)
);
CREATE INDEX advisory_packages_package_idx ON advisory_packages (ecosystem, name_key);
