-- The service graph (issue 16): what each service's descriptor says it
-- relates to, and what each repo publishes, from which the edges "service
-- S depends on service T" are derived when read (catalog/graph.go):
-- declared edges resolve their references against the services of the
-- moment, and inferred edges join what a repo depends on (dependencies)
-- with what another repo publishes (repo_packages), so that an edge
-- appears and disappears with either side without a sync of the other.

-- service_relations, one row per reference a descriptor service makes, is
-- created by migration 027 (search over the names of the APIs a service
-- provides), which runs first.

-- What a repo publishes, one row per package file that names one: the
-- Maven groupId:artifactId of a pom.xml (groupId inherited from its
-- <parent> when absent), the name of a package.json (not of a workspace
-- root), the module path of a go.mod. source is that file (a path of
-- dependency_files, so that a partial sync replaces them together), line
-- where the name is.
CREATE TABLE repo_packages (
    repo_id   bigint NOT NULL REFERENCES repos (id) ON DELETE CASCADE,
    source    text NOT NULL,
    ecosystem text NOT NULL,
    name      text NOT NULL CHECK (name <> ''),
    line      integer NOT NULL DEFAULT 0,
    PRIMARY KEY (repo_id, source, ecosystem, name)
);
CREATE INDEX repo_packages_name_idx ON repo_packages (lower(name), ecosystem);

-- A Maven dependency whose version a parent POM or imported BOM sets
-- (version_from "groupId:artifactId:version") is an edge to the repo
-- publishing that POM: the few rows that have one, by its groupId:artifactId.
CREATE INDEX dependencies_version_from_idx
    ON dependencies (lower(split_part(version_from, ':', 1) || ':' || split_part(version_from, ':', 2)))
    WHERE version_from <> '';
