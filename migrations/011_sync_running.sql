-- The job syncing each project now, if any: a second job of the project
-- waits while this one is running (a lookup by primary key, where scanning
-- the running jobs' arguments cost a millisecond a repo).
ALTER TABLE repo_sync_gen ADD COLUMN running_job bigint;
