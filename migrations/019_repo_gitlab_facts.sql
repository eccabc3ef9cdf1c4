-- GitLab facts of each repo the scorecard reads (issue 13): the last merge
-- request merged into the default branch, and whether the default branch
-- is protected. Read by the sync with each repo it reads (not for a repo
-- whose activity has not moved). A read that failed leaves the fact
-- unknown, with why, and is not a failure of the sync.

-- last_merge_read_at: when the last merge was last read successfully
-- (NULL: never). last_merge_at NULL with it set: no merge request was ever
-- merged into the default branch. last_merge_error: why the last read
-- failed ('' when it did not): the fact is then unknown. iid, author and
-- url say which merge request it was.
ALTER TABLE repos
    ADD COLUMN last_merge_at          timestamptz,
    ADD COLUMN last_merge_iid         bigint,
    ADD COLUMN last_merge_author      text NOT NULL DEFAULT '',
    ADD COLUMN last_merge_url         text NOT NULL DEFAULT '',
    ADD COLUMN last_merge_read_at     timestamptz,
    ADD COLUMN last_merge_error       text NOT NULL DEFAULT '',
-- default_branch_protected: NULL when unknown (never read, or the read
-- failed: protection_error says why; a token that may not read it is
-- unknown, never false).
    ADD COLUMN default_branch_protected boolean,
    ADD COLUMN protection_read_at       timestamptz,
    ADD COLUMN protection_error         text NOT NULL DEFAULT '';
