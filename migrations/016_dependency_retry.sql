-- Dependency files whose graph a later sync may complete although nothing
-- in the repo changed (issue 12): a Maven graph left partial because a
-- repository did not answer ('sync': the repo is read again at the next
-- sync, whatever its commit, like a file not read) or because a POM was
-- not found ('daily': read again at the daily verification run only, so
-- that a POM missing for good costs one more try a day, not one a sync).
ALTER TABLE dependency_files ADD COLUMN retry text NOT NULL DEFAULT ''
    CHECK (retry IN ('', 'sync', 'daily'));
-- repos.dependency_files_unread now counts the files retried at the next
-- sync: those not read, and retry = 'sync'.
