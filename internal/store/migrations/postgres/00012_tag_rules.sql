-- +goose Up
-- Auto-tag rules (自动标签): a rule puts one tag on every customer who meets all its conditions
-- and takes it off those who no longer do. Tags a rule put on are customer_tags rows with source
-- 'rule' and no staff member; tags put on by hand are never touched by a rule.
CREATE TABLE tag_rules (
    id          BIGSERIAL PRIMARY KEY,
    tenant_id   BIGINT NOT NULL REFERENCES tenants (id),
    name        TEXT NOT NULL,
    tag_id      BIGINT NOT NULL REFERENCES tags (id),
    conditions  TEXT NOT NULL,
    enabled     BOOLEAN NOT NULL DEFAULT TRUE,
    matched     BIGINT NOT NULL DEFAULT 0,
    last_run_at TIMESTAMPTZ,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX tag_rules_name ON tag_rules (tenant_id, name);

-- +goose Down
DROP TABLE tag_rules;
