-- Full-text search over the catalog (issue 15).
--
-- Each service has one row in service_search: a weighted tsvector of
-- everything a person might remember about it, kept current by triggers on
-- every table it is made of (services, service_aliases, teams, repos,
-- service_repos), so that no write path of the Go code can forget it.
--
-- Weights (ts_rank's A..D, 1.0 / 0.4 / 0.2 / 0.1):
--   A  the name (also split at camelCase) and aliases: what people call it;
--   B  the title and the owning team's name and title: short, chosen words;
--   C  the description and tags: one or two sentences the owners wrote;
--   D  link titles, language, framework, and the first paragraph of the
--      README of each of its repos: longest and least curated.
-- API names (providesApis) are not stored by the catalog yet, so they are
-- not part of it.
--
-- Concurrency: several replicas sync at once, and the pieces of one
-- service's document change in different transactions (a repo's README in
-- one sync job, the service's aliases in another, a team's rename in a
-- third). service_search_refresh takes the row lock of the service's
-- service_search row first and computes the document in a later statement:
-- under READ COMMITTED that statement's snapshot is taken after the lock
-- was granted, so it sees every transaction that refreshed the row before
-- it committed; the last to commit always computes from everything
-- committed before it plus its own changes. No lost update.

-- The first prose paragraph of the repo's README, read at sync.
-- readme_path is the README file it came from: NULL when the sync has not
-- looked for one yet (repos synced before this migration), '' when the
-- repo has none.
ALTER TABLE repos ADD COLUMN readme text NOT NULL DEFAULT '';
ALTER TABLE repos ADD COLUMN readme_path text;

CREATE TABLE service_search (
    service_id bigint PRIMARY KEY REFERENCES services (id) ON DELETE CASCADE,
    doc        tsvector NOT NULL DEFAULT ''::tsvector,
    -- The README paragraphs that went into doc, for the "why it matched".
    readme     text NOT NULL DEFAULT '',
    updated_at timestamptz NOT NULL DEFAULT now()
);
-- fastupdate off: documents change a few at a time (a sync, an edit) and
-- are read on every search; with a pending list, the planner (rightly)
-- prices the index above a scan of the whole table until a vacuum.
CREATE INDEX service_search_doc_idx ON service_search USING gin (doc) WITH (fastupdate = off);

CREATE FUNCTION service_search_refresh(sid bigint) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO service_search (service_id) SELECT id FROM services WHERE id = sid
    ON CONFLICT (service_id) DO NOTHING;
    PERFORM 1 FROM service_search WHERE service_id = sid FOR UPDATE;
    -- A new statement: a new snapshot, taken with the lock held.
    UPDATE service_search ss SET doc = d.doc, readme = d.readme, updated_at = now()
    FROM (
        SELECT
            setweight(to_tsvector('english', s.name || ' ' ||
                regexp_replace(s.name, '([a-z0-9])([A-Z])', '\1 \2', 'g') || ' ' ||
                coalesce(al.names, '')), 'A') ||
            setweight(to_tsvector('english', s.title || ' ' || coalesce(t.name, '') || ' ' || coalesce(t.title, '')), 'B') ||
            setweight(to_tsvector('english', s.description || ' ' || array_to_string(s.tags, ' ')), 'C') ||
            setweight(to_tsvector('english', coalesce(lk.titles, '') || ' ' || s.language || ' ' ||
                s.framework || ' ' || coalesce(rd.readme, '')), 'D') AS doc,
            coalesce(rd.readme, '') AS readme
        FROM services s
        LEFT JOIN teams t ON t.id = s.team_id
        LEFT JOIN LATERAL (SELECT string_agg(a.alias, ' ' ORDER BY a.alias) AS names
                           FROM service_aliases a WHERE a.service_id = s.id) al ON true
        LEFT JOIN LATERAL (SELECT string_agg(l ->> 'title', ' ') AS titles
                           FROM jsonb_array_elements(CASE WHEN jsonb_typeof(s.links) = 'array' THEN s.links ELSE '[]' END) l) lk ON true
        LEFT JOIN LATERAL (SELECT string_agg(r.readme, E'\n' ORDER BY r.id) AS readme
                           FROM service_repos sr JOIN repos r ON r.id = sr.repo_id
                           WHERE sr.service_id = s.id AND r.readme <> '') rd ON true
        WHERE s.id = sid
    ) d
    WHERE ss.service_id = sid;
END $$;

CREATE FUNCTION service_search_services_trg() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM service_search_refresh(NEW.id);
    RETURN NULL;
END $$;
CREATE TRIGGER service_search_services AFTER INSERT OR UPDATE OF name, title, description, team_id, tags, links, language, framework
    ON services FOR EACH ROW EXECUTE FUNCTION service_search_services_trg();

-- For service_aliases and service_repos: the service of the row changed.
CREATE FUNCTION service_search_child_trg() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM service_search_refresh(OLD.service_id);
    END IF;
    IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW.service_id <> OLD.service_id) THEN
        PERFORM service_search_refresh(NEW.service_id);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER service_search_aliases AFTER INSERT OR UPDATE OR DELETE
    ON service_aliases FOR EACH ROW EXECUTE FUNCTION service_search_child_trg();
CREATE TRIGGER service_search_repos_link AFTER INSERT OR UPDATE OR DELETE
    ON service_repos FOR EACH ROW EXECUTE FUNCTION service_search_child_trg();

-- A team renamed: its services, in id order (one lock order for all).
CREATE FUNCTION service_search_teams_trg() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM service_search_refresh(s.id) FROM (SELECT id FROM services WHERE team_id = NEW.id ORDER BY id) s;
    RETURN NULL;
END $$;
CREATE TRIGGER service_search_teams AFTER UPDATE OF name, title ON teams FOR EACH ROW
    WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.title IS DISTINCT FROM NEW.title)
    EXECUTE FUNCTION service_search_teams_trg();

-- A repo's README paragraph changed: the services it holds.
CREATE FUNCTION service_search_readme_trg() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM service_search_refresh(sr.service_id)
    FROM (SELECT service_id FROM service_repos WHERE repo_id = NEW.id ORDER BY service_id) sr;
    RETURN NULL;
END $$;
CREATE TRIGGER service_search_readme AFTER UPDATE OF readme ON repos FOR EACH ROW
    WHEN (OLD.readme IS DISTINCT FROM NEW.readme)
    EXECUTE FUNCTION service_search_readme_trg();

-- Every service already in the catalog.
SELECT service_search_refresh(id) FROM services ORDER BY id;
