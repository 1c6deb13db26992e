-- +goose Up
-- Failed logins are counted per name typed into the form, whether or not such a user exists, so
-- the lockout answer cannot be used to find out which accounts exist. It is the one table keyed
-- before authentication and so by tenant slug rather than tenant id.
CREATE TABLE login_attempts (
    tenant_slug     TEXT NOT NULL,
    username        TEXT NOT NULL,
    failures        INTEGER NOT NULL DEFAULT 0,
    locked_until    TIMESTAMP,
    last_failure_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_slug, username)
);
ALTER TABLE users DROP COLUMN failed_logins;
ALTER TABLE users DROP COLUMN locked_until;

-- Server-wide facts, e.g. a value sealed with the secret key so a wrong key fails at start rather
-- than when a secret is first needed.
CREATE TABLE server_meta (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- +goose Down
DROP TABLE server_meta;
ALTER TABLE users ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_until TIMESTAMP;
DROP TABLE login_attempts;
