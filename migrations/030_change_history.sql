-- What changed, for /changes and the /page confirmation (issue 16): merged
-- merge requests, direct pushes to the default branch and deployments,
-- recorded from GitLab's webhooks and backfilled by the sync, and catalog
-- changes (owner, tier) recorded by a trigger whatever wrote them.

-- A GitLab change is keyed by its project and its id there (kind, ref):
-- a merge request's iid, a deployment's id, a push's head commit. The
-- webhook and the backfill of one change, and several replicas receiving
-- it, write one row. project_id is GitLab's (repos.gitlab_id), not a
-- foreign key: a hook may arrive before the project's first sync.
-- A catalog change has no project: service_id says whose it is.
CREATE TABLE changes (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind            text NOT NULL CHECK (kind IN ('merge_request', 'push', 'deployment', 'catalog')),
    project_id      bigint,
    service_id      bigint REFERENCES services (id) ON DELETE CASCADE,
    ref             text NOT NULL CHECK (ref <> ''),
    at              timestamptz NOT NULL,
    author_name     text NOT NULL DEFAULT '',
    author_username text NOT NULL DEFAULT '',
    title           text NOT NULL DEFAULT '',
    web_url         text NOT NULL DEFAULT '',
    -- environment and status: a deployment's (status success or failed).
    environment     text NOT NULL DEFAULT '',
    status          text NOT NULL DEFAULT '',
    -- sha: a push's head commit, a merge request's merge (or squash) commit.
    sha             text NOT NULL DEFAULT '',
    source          text NOT NULL CHECK (source IN ('webhook', 'sync', 'catalog')),
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'catalog') = (project_id IS NULL)),
    CHECK (kind <> 'catalog' OR service_id IS NOT NULL)
);
CREATE UNIQUE INDEX changes_gitlab_key ON changes (project_id, kind, ref) WHERE project_id IS NOT NULL;
CREATE INDEX changes_project_at_idx ON changes (project_id, at DESC) WHERE project_id IS NOT NULL;
CREATE INDEX changes_service_at_idx ON changes (service_id, at DESC) WHERE service_id IS NOT NULL;

-- The commits merged merge requests brought to the default branch (merge
-- commit, squash commit, head of the source branch): a push whose head is
-- one of them is the merge itself, not a direct push, whichever of the
-- two was recorded first. Read when answering, never when writing, so the
-- order webhooks and backfills arrive in does not matter.
CREATE TABLE change_merge_commits (
    project_id bigint NOT NULL,
    sha        text NOT NULL CHECK (sha <> ''),
    PRIMARY KEY (project_id, sha)
);

-- How far each project's history was backfilled, per kind: a listing
-- that failed leaves its watermark where it was (the next sync asks again
-- from there). NULL: never (the first backfill goes 30 days back).
CREATE TABLE change_watermarks (
    project_id     bigint PRIMARY KEY,
    merges_at      timestamptz,
    deployments_at timestamptz,
    pushes_at      timestamptz,
    -- problem: why the last backfill was partial ('' when it was not).
    problem        text NOT NULL DEFAULT '',
    updated_at     timestamptz NOT NULL DEFAULT now()
);

-- Owner and tier changes, whoever wrote them (the sync applying a
-- descriptor, /service edit): one row per change.
CREATE FUNCTION record_catalog_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    link text := coalesce((SELECT r.web_url FROM service_repos sr JOIN repos r ON r.id = sr.repo_id
                           WHERE sr.service_id = NEW.id ORDER BY r.id LIMIT 1), '');
    actor text := coalesce(current_setting('switchboard.actor', true), '');
BEGIN
    IF NEW.team_id IS DISTINCT FROM OLD.team_id THEN
        INSERT INTO changes (kind, service_id, ref, at, title, web_url, author_username, source)
        VALUES ('catalog', NEW.id, 'owner', now(),
                'owner: ' || coalesce((SELECT name FROM teams WHERE id = OLD.team_id), 'none') || ' → ' ||
                coalesce((SELECT name FROM teams WHERE id = NEW.team_id), 'none'), link, actor, 'catalog');
    END IF;
    IF NEW.tier IS DISTINCT FROM OLD.tier THEN
        INSERT INTO changes (kind, service_id, ref, at, title, web_url, author_username, source)
        VALUES ('catalog', NEW.id, 'tier', now(),
                'tier: ' || coalesce(nullif(OLD.tier, ''), 'none') || ' → ' || coalesce(nullif(NEW.tier, ''), 'none'),
                link, actor, 'catalog');
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER services_record_catalog_change AFTER UPDATE OF team_id, tier ON services
    FOR EACH ROW WHEN (OLD.team_id IS DISTINCT FROM NEW.team_id OR OLD.tier IS DISTINCT FROM NEW.tier)
    EXECUTE FUNCTION record_catalog_change();
