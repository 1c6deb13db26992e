-- +goose Up
-- Access tokens and JS-SDK tickets shared by every replica (WeCom limits gettoken calls).
CREATE TABLE wecom_tokens (
    tenant_id  INTEGER NOT NULL REFERENCES tenants (id),
    key        TEXT NOT NULL,
    token_enc  TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, key)
);

-- Raw callbacks, stored before they are acknowledged and processed from here: the table is the
-- queue. dedup_key makes WeCom's re-deliveries no-ops.
CREATE TABLE wecom_events (
    id            INTEGER PRIMARY KEY,
    tenant_id     INTEGER NOT NULL REFERENCES tenants (id),
    dedup_key     TEXT NOT NULL,
    event         TEXT NOT NULL,
    change_type   TEXT NOT NULL,
    payload       TEXT NOT NULL,
    received_at   TIMESTAMP NOT NULL,
    status        TEXT NOT NULL DEFAULT 'pending',
    attempts      INTEGER NOT NULL DEFAULT 0,
    claim_token   TEXT NOT NULL DEFAULT '',
    claimed_until TIMESTAMP,
    processed_at  TIMESTAMP,
    last_error    TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX wecom_events_dedup ON wecom_events (tenant_id, dedup_key);
CREATE INDEX wecom_events_queue ON wecom_events (status, id);
CREATE INDEX wecom_events_tenant ON wecom_events (tenant_id, id);

-- +goose Down
DROP TABLE wecom_events;
DROP TABLE wecom_tokens;
