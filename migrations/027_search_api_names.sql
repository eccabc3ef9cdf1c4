-- Search over the names of the APIs a service provides (spec.providesApis):
-- what the service is, in the words its owners chose, so that
-- "payments-api" or "permissions api" finds the service providing it.
-- Consumed APIs are left out: they say what a service uses, not what it
-- is, and would make every consumer of a popular API a hit for its name.
--
-- The references a descriptor makes are stored in service_relations (the
-- service graph's table, issue 16; created here rather than in 028 because
-- this migration's triggers need it). API names join the search document
-- of migration 025 at weight B (with the title and the team: short, chosen
-- words), and service_search.apis keeps them for the "why it matched".
--
-- Concurrency: as in 025, every change goes through
-- service_search_refresh, which locks the service's service_search row
-- before it computes the document in a later statement (a snapshot taken
-- with the lock held): the last transaction to commit computes from
-- everything committed before it. A descriptor applied replaces the
-- service's relations (DELETE then COPY): statement-level triggers refresh
-- each service touched once per statement, in id order (one lock order for
-- all), and only when a providesApi row is among the rows changed.

-- One row per reference a descriptor service makes: spec.dependsOn,
-- spec.dependencyOf (the other way round), spec.consumesApis,
-- spec.providesApis, OpsLevel dependencies. The target is the reference
-- as Backstage resolves it (kind and namespace lower case, the namespace
-- of the declaring entity when none is written); written is the text of
-- the descriptor, file the descriptor it comes from. by_alias: the target
-- may be found by a service alias too (OpsLevel names dependencies by
-- alias). Replaced whenever the descriptor is applied.
CREATE TABLE service_relations (
    service_id       bigint NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    relation         text NOT NULL CHECK (relation IN ('dependsOn', 'dependencyOf', 'consumesApi', 'providesApi')),
    target_kind      text NOT NULL CHECK (target_kind <> ''),
    target_namespace text NOT NULL CHECK (target_namespace <> ''),
    target_name      text NOT NULL CHECK (target_name <> ''),
    written          text NOT NULL,
    file             text NOT NULL DEFAULT '',
    by_alias         boolean NOT NULL DEFAULT false,
    PRIMARY KEY (service_id, relation, target_kind, target_namespace, target_name)
);
CREATE INDEX service_relations_target_idx ON service_relations (target_kind, target_namespace, lower(target_name));

ALTER TABLE service_search ADD COLUMN apis text NOT NULL DEFAULT '';

CREATE OR REPLACE FUNCTION service_search_refresh(sid bigint) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO service_search (service_id) SELECT id FROM services WHERE id = sid
    ON CONFLICT (service_id) DO NOTHING;
    PERFORM 1 FROM service_search WHERE service_id = sid FOR UPDATE;
    -- A new statement: a new snapshot, taken with the lock held.
    UPDATE service_search ss SET doc = d.doc, readme = d.readme, apis = d.apis, updated_at = now()
    FROM (
        SELECT
            setweight(to_tsvector('english', s.name || ' ' ||
                regexp_replace(s.name, '([a-z0-9])([A-Z])', '\1 \2', 'g') || ' ' ||
                coalesce(al.names, '')), 'A') ||
            setweight(to_tsvector('english', s.title || ' ' || coalesce(t.name, '') || ' ' || coalesce(t.title, '') || ' ' ||
                coalesce(ap.names, '')), 'B') ||
            setweight(to_tsvector('english', s.description || ' ' || array_to_string(s.tags, ' ')), 'C') ||
            setweight(to_tsvector('english', coalesce(lk.titles, '') || ' ' || s.language || ' ' ||
                s.framework || ' ' || coalesce(rd.readme, '')), 'D') AS doc,
            coalesce(rd.readme, '') AS readme,
            coalesce(ap.names, '') AS apis
        FROM services s
        LEFT JOIN teams t ON t.id = s.team_id
        LEFT JOIN LATERAL (SELECT string_agg(a.alias, ' ' ORDER BY a.alias) AS names
                           FROM service_aliases a WHERE a.service_id = s.id) al ON true
        LEFT JOIN LATERAL (SELECT string_agg(DISTINCT r.target_name, E'\n' ORDER BY r.target_name) AS names
                           FROM service_relations r
                           WHERE r.service_id = s.id AND r.relation = 'providesApi') ap ON true
        LEFT JOIN LATERAL (SELECT string_agg(l ->> 'title', ' ') AS titles
                           FROM jsonb_array_elements(CASE WHEN jsonb_typeof(s.links) = 'array' THEN s.links ELSE '[]' END) l) lk ON true
        LEFT JOIN LATERAL (SELECT string_agg(r.readme, E'\n' ORDER BY r.id) AS readme
                           FROM service_repos sr JOIN repos r ON r.id = sr.repo_id
                           WHERE sr.service_id = s.id AND r.readme <> '') rd ON true
        WHERE s.id = sid
    ) d
    WHERE ss.service_id = sid;
END $$;

-- The services whose provided APIs a statement changed, each once, in id
-- order. Transition tables: a trigger may have only one event with them.
CREATE FUNCTION service_search_relations_new_trg() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM service_search_refresh(c.service_id)
    FROM (SELECT DISTINCT service_id FROM new_rows WHERE relation = 'providesApi' ORDER BY service_id) c;
    RETURN NULL;
END $$;
CREATE FUNCTION service_search_relations_old_trg() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM service_search_refresh(c.service_id)
    FROM (SELECT DISTINCT service_id FROM old_rows WHERE relation = 'providesApi' ORDER BY service_id) c;
    RETURN NULL;
END $$;
CREATE FUNCTION service_search_relations_upd_trg() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM service_search_refresh(c.service_id)
    FROM (SELECT service_id FROM new_rows WHERE relation = 'providesApi'
          UNION SELECT service_id FROM old_rows WHERE relation = 'providesApi' ORDER BY service_id) c;
    RETURN NULL;
END $$;
CREATE TRIGGER service_search_relations_ins AFTER INSERT ON service_relations
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION service_search_relations_new_trg();
CREATE TRIGGER service_search_relations_del AFTER DELETE ON service_relations
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION service_search_relations_old_trg();
CREATE TRIGGER service_search_relations_upd AFTER UPDATE ON service_relations
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION service_search_relations_upd_trg();
