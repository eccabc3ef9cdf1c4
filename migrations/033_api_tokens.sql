-- API tokens (issue 17): bearer tokens of the JSON API and the MCP server.
-- Only the SHA-256 of a token is kept (hash, 32 bytes): the token itself is
-- shown once, when created. prefix is its first characters, shown in lists
-- so that an admin can tell tokens apart. A name is unique among the
-- tokens not revoked; a revoked token stays, for the audit trail.
-- last_used_at is updated at most once a minute per token.
CREATE TABLE api_tokens (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         text NOT NULL CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    hash         bytea NOT NULL UNIQUE CHECK (length(hash) = 32),
    prefix       text NOT NULL,
    created_by   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz,
    revoked_by   text NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX api_tokens_active_name_key ON api_tokens (lower(name)) WHERE revoked_at IS NULL;
