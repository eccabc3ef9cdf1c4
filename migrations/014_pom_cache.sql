-- POMs fetched from Maven repositories (package maven), shared by every
-- replica. A released POM never changes: each coordinate is fetched once,
-- ever. SNAPSHOT POMs are never stored.
--
-- A row is first inserted as a claim (pom NULL) by the replica that fetches
-- the POM (INSERT ... ON CONFLICT DO NOTHING): another replica that needs
-- it waits for the row to be filled instead of fetching too. A failed
-- fetch deletes its claim; a claim older than a minute is taken over.
CREATE TABLE pom_cache (
    coordinate text PRIMARY KEY,            -- groupId:artifactId:version
    pom        bytea,                       -- NULL while claimed
    claimed_at timestamptz NOT NULL DEFAULT now(),
    fetched_at timestamptz,
    fetches    integer NOT NULL DEFAULT 0   -- fetches made for this row: 1 once filled
);
