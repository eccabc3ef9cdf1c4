-- The sync and the GitLab webhooks as River jobs.

-- How many syncs of each project have started. A project's sync job is
-- unique by (project, generation) while it waits or runs; a job bumps the
-- generation when it starts, so a push arriving while it runs queues exactly
-- one more job (which reads the latest commit), and every later push waits
-- with that one.
CREATE TABLE repo_sync_gen (
    gitlab_id bigint PRIMARY KEY,
    gen       bigint NOT NULL DEFAULT 0
);

-- A run is a job too: it lists the projects and enqueues a job per repo
-- that needs work; each repo job records what it did once (the ledger
-- below) and the one that finishes the run's work marks it completed.
ALTER TABLE sync_runs DROP CONSTRAINT sync_runs_kind_check;
ALTER TABLE sync_runs ADD CONSTRAINT sync_runs_kind_check CHECK (kind IN ('full', 'incremental', 'verify'));
ALTER TABLE sync_runs
    ADD COLUMN job_id         bigint UNIQUE,
    ADD COLUMN listed         boolean NOT NULL DEFAULT false,
    ADD COLUMN queued         integer NOT NULL DEFAULT 0,
    ADD COLUMN done           integer NOT NULL DEFAULT 0,
    ADD COLUMN unchanged      integer NOT NULL DEFAULT 0,
    ADD COLUMN ignored        integer NOT NULL DEFAULT 0,
    ADD COLUMN already_queued integer NOT NULL DEFAULT 0;

-- What each repo job of a run did, once per repo however often the job ran.
CREATE TABLE sync_run_repos (
    run_id       bigint NOT NULL REFERENCES sync_runs (id) ON DELETE CASCADE,
    gitlab_id    bigint NOT NULL,
    path         text NOT NULL,
    work         text NOT NULL,   -- verified, changed, reread, unchanged, ignored, failed
    outcome      text NOT NULL,   -- the descriptor's status after the job, or failed
    services     integer NOT NULL DEFAULT 0,
    conflicts    integer NOT NULL DEFAULT 0,
    orphaned     integer NOT NULL DEFAULT 0,
    requests     integer NOT NULL DEFAULT 0,
    rate_limited integer NOT NULL DEFAULT 0,
    error        text NOT NULL DEFAULT '',
    PRIMARY KEY (run_id, gitlab_id)
);

-- GitLab's rate limit, shared by every replica: a budget per fixed window
-- (aligned on the epoch, as GitLab's), taken in small batches.
CREATE TABLE gitlab_rate_budget (
    name         text PRIMARY KEY,
    window_start timestamptz NOT NULL,
    used         integer NOT NULL
);

-- gitlab_rate_take grants up to want requests of the window now in
-- progress (by the server's clock) under a limit per window, and says when
-- the window ends.
CREATE FUNCTION gitlab_rate_take(p_name text, p_want integer, p_limit integer, p_window interval,
                                 OUT granted integer, OUT window_end timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
    w_secs double precision := extract(epoch FROM p_window);
    w      timestamptz := to_timestamp(floor(extract(epoch FROM clock_timestamp()) / w_secs) * w_secs);
    ws     timestamptz;
    used_  integer;
BEGIN
    INSERT INTO gitlab_rate_budget (name, window_start, used) VALUES (p_name, w, 0) ON CONFLICT (name) DO NOTHING;
    SELECT b.window_start, b.used INTO ws, used_ FROM gitlab_rate_budget b WHERE b.name = p_name FOR UPDATE;
    IF ws < w THEN
        ws := w;
        used_ := 0;
    END IF;
    granted := greatest(least(p_want, p_limit - used_), 0);
    UPDATE gitlab_rate_budget SET window_start = ws, used = used_ + granted WHERE name = p_name;
    window_end := ws + p_window;
END $$;
