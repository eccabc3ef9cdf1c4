-- /impact (issue 12): the answer says how many repos' graphs are incomplete
-- for the ecosystems asked about, which asks, for each dependency file
-- that leaves a graph incomplete, whether it holds a dependency of those
-- ecosystems. The primary key (repo_id, source, ecosystem, name, version)
-- can tell, but it is the largest index of the table (every name and
-- version); this one holds one deduplicated entry per file and ecosystem
-- (a few MB for 6,000 repos of 150 dependencies, against ~90 MB), so the
-- probe stays in cache and costs a few microseconds.
CREATE INDEX dependencies_source_ecosystem_idx ON dependencies (repo_id, source, ecosystem);
