-- +goose Up
CREATE TABLE tenants (
    id         INTEGER PRIMARY KEY,
    slug       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- path is the materialised path of ids ("/1/4/9/"), so a subtree is one prefix match.
CREATE TABLE org_units (
    id         INTEGER PRIMARY KEY,
    tenant_id  INTEGER NOT NULL REFERENCES tenants (id),
    parent_id  INTEGER REFERENCES org_units (id),
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL,
    path       TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX org_units_tenant_path ON org_units (tenant_id, path);
CREATE UNIQUE INDEX org_units_tenant_parent_name ON org_units (tenant_id, parent_id, name);
CREATE UNIQUE INDEX org_units_tenant_root ON org_units (tenant_id) WHERE parent_id IS NULL;

CREATE TABLE staff (
    id           INTEGER PRIMARY KEY,
    tenant_id    INTEGER NOT NULL REFERENCES tenants (id),
    org_unit_id  INTEGER NOT NULL REFERENCES org_units (id),
    name         TEXT NOT NULL,
    mobile       TEXT NOT NULL DEFAULT '',
    wecom_userid TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL DEFAULT 'active',
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);
CREATE INDEX staff_tenant_unit ON staff (tenant_id, org_unit_id);
CREATE UNIQUE INDEX staff_tenant_wecom ON staff (tenant_id, wecom_userid) WHERE wecom_userid <> '';
CREATE UNIQUE INDEX staff_tenant_mobile ON staff (tenant_id, mobile) WHERE mobile <> '';

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    tenant_id     INTEGER NOT NULL REFERENCES tenants (id),
    username      TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL,
    staff_id      INTEGER REFERENCES staff (id),
    org_unit_id   INTEGER REFERENCES org_units (id),
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until  TIMESTAMP,
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX users_tenant_username ON users (tenant_id, username);

-- Only a hash of the session id is stored, so a database leak does not leak live sessions.
CREATE TABLE sessions (
    id_hash      TEXT PRIMARY KEY,
    tenant_id    INTEGER NOT NULL REFERENCES tenants (id),
    user_id      INTEGER NOT NULL REFERENCES users (id),
    csrf_token   TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL
);
CREATE INDEX sessions_tenant_user ON sessions (tenant_id, user_id);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    tenant_id    INTEGER NOT NULL REFERENCES tenants (id),
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    prefix       TEXT NOT NULL,
    role         TEXT NOT NULL,
    staff_id     INTEGER REFERENCES staff (id),
    org_unit_id  INTEGER REFERENCES org_units (id),
    created_by   INTEGER REFERENCES users (id),
    created_at   TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at   TIMESTAMP
);
CREATE INDEX api_tokens_tenant ON api_tokens (tenant_id, id);

-- Secrets are sealed with AES-GCM under the server's secret key before they reach this table.
CREATE TABLE tenant_wecom_settings (
    tenant_id          INTEGER PRIMARY KEY REFERENCES tenants (id),
    corp_id            TEXT NOT NULL DEFAULT '',
    agent_id           TEXT NOT NULL DEFAULT '',
    contact_secret_enc TEXT NOT NULL DEFAULT '',
    app_secret_enc     TEXT NOT NULL DEFAULT '',
    callback_token_enc TEXT NOT NULL DEFAULT '',
    aes_key_enc        TEXT NOT NULL DEFAULT '',
    updated_at         TIMESTAMP NOT NULL
);

-- +goose Down
DROP TABLE tenant_wecom_settings;
DROP TABLE api_tokens;
DROP TABLE sessions;
DROP TABLE users;
DROP TABLE staff;
DROP TABLE org_units;
DROP TABLE tenants;
