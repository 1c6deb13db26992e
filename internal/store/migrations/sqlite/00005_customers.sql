-- +goose Up
-- One customer per person per tenant; identities (WeCom external_userid, unionid, phone, …) point
-- at it. Later capabilities add columns and tables around these.
CREATE TABLE customers (
    id             INTEGER PRIMARY KEY,
    tenant_id      INTEGER NOT NULL REFERENCES tenants (id),
    name           TEXT NOT NULL DEFAULT '',
    avatar         TEXT NOT NULL DEFAULT '',
    gender         INTEGER NOT NULL DEFAULT 0,
    kind           INTEGER NOT NULL DEFAULT 1,
    corp_name      TEXT NOT NULL DEFAULT '',
    first_added_at TIMESTAMP,
    first_state    TEXT NOT NULL DEFAULT '',
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL
);
CREATE INDEX customers_tenant ON customers (tenant_id, id);

CREATE TABLE customer_identities (
    tenant_id   INTEGER NOT NULL REFERENCES tenants (id),
    kind        TEXT NOT NULL,
    value       TEXT NOT NULL,
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    created_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, kind, value)
);
CREATE INDEX customer_identities_customer ON customer_identities (tenant_id, customer_id);

-- A customer's relation with one staff member (添加了哪位员工): who, when, through which code.
CREATE TABLE customer_staff (
    tenant_id    INTEGER NOT NULL REFERENCES tenants (id),
    customer_id  INTEGER NOT NULL REFERENCES customers (id),
    wecom_userid TEXT NOT NULL,
    staff_id     INTEGER REFERENCES staff (id),
    remark       TEXT NOT NULL DEFAULT '',
    description  TEXT NOT NULL DEFAULT '',
    state        TEXT NOT NULL DEFAULT '',
    add_way      INTEGER NOT NULL DEFAULT 0,
    added_at     TIMESTAMP NOT NULL,
    status       TEXT NOT NULL DEFAULT 'active',
    status_at    TIMESTAMP NOT NULL,
    -- when WeCom last confirmed the relation (event or full sync); a full sync ends the ones it
    -- did not see
    synced_at    TIMESTAMP,
    PRIMARY KEY (tenant_id, customer_id, wecom_userid)
);
CREATE INDEX customer_staff_staff ON customer_staff (tenant_id, staff_id);
CREATE INDEX customer_staff_state ON customer_staff (tenant_id, state);

-- Everything that happens to a customer, in order; dedup_key makes re-processing a no-op.
CREATE TABLE customer_events (
    id           INTEGER PRIMARY KEY,
    tenant_id    INTEGER NOT NULL REFERENCES tenants (id),
    customer_id  INTEGER NOT NULL REFERENCES customers (id),
    kind         TEXT NOT NULL,
    wecom_userid TEXT NOT NULL DEFAULT '',
    detail       TEXT NOT NULL DEFAULT '{}',
    dedup_key    TEXT NOT NULL,
    occurred_at  TIMESTAMP NOT NULL,
    created_at   TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX customer_events_dedup ON customer_events (tenant_id, dedup_key);
CREATE INDEX customer_events_customer ON customer_events (tenant_id, customer_id, occurred_at);

CREATE TABLE tag_groups (
    id             INTEGER PRIMARY KEY,
    tenant_id      INTEGER NOT NULL REFERENCES tenants (id),
    wecom_group_id TEXT NOT NULL,
    name           TEXT NOT NULL,
    sort           INTEGER NOT NULL DEFAULT 0,
    deleted        BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at     TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX tag_groups_wecom ON tag_groups (tenant_id, wecom_group_id);

CREATE TABLE tags (
    id           INTEGER PRIMARY KEY,
    tenant_id    INTEGER NOT NULL REFERENCES tenants (id),
    group_id     INTEGER NOT NULL REFERENCES tag_groups (id),
    wecom_tag_id TEXT NOT NULL,
    name         TEXT NOT NULL,
    sort         INTEGER NOT NULL DEFAULT 0,
    deleted      BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at   TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX tags_wecom ON tags (tenant_id, wecom_tag_id);

CREATE TABLE customer_tags (
    tenant_id    INTEGER NOT NULL REFERENCES tenants (id),
    customer_id  INTEGER NOT NULL REFERENCES customers (id),
    tag_id       INTEGER NOT NULL REFERENCES tags (id),
    wecom_userid TEXT NOT NULL DEFAULT '',
    source       TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, customer_id, tag_id, wecom_userid)
);

CREATE TABLE customer_groups (
    id           INTEGER PRIMARY KEY,
    tenant_id    INTEGER NOT NULL REFERENCES tenants (id),
    chat_id      TEXT NOT NULL,
    name         TEXT NOT NULL DEFAULT '',
    owner_userid TEXT NOT NULL DEFAULT '',
    notice       TEXT NOT NULL DEFAULT '',
    member_count INTEGER NOT NULL DEFAULT 0,
    status       TEXT NOT NULL DEFAULT 'active',
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX customer_groups_chat ON customer_groups (tenant_id, chat_id);

CREATE TABLE customer_group_members (
    tenant_id     INTEGER NOT NULL REFERENCES tenants (id),
    group_id      INTEGER NOT NULL REFERENCES customer_groups (id),
    member_userid TEXT NOT NULL,
    member_type   INTEGER NOT NULL,
    customer_id   INTEGER REFERENCES customers (id),
    join_time     TIMESTAMP NOT NULL,
    join_scene    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, group_id, member_userid)
);
CREATE INDEX customer_group_members_customer ON customer_group_members (tenant_id, customer_id);

-- Where a WeCom department lives in the org tree, for sync.
ALTER TABLE org_units ADD COLUMN wecom_dept_id INTEGER;
CREATE UNIQUE INDEX org_units_wecom_dept ON org_units (tenant_id, wecom_dept_id) WHERE wecom_dept_id IS NOT NULL;

-- Full syncs: resumable, one stage and cursor at a time.
CREATE TABLE wecom_sync_runs (
    id            INTEGER PRIMARY KEY,
    tenant_id     INTEGER NOT NULL REFERENCES tenants (id),
    trigger       TEXT NOT NULL,
    status        TEXT NOT NULL,
    stage         TEXT NOT NULL,
    cursor        TEXT NOT NULL DEFAULT '',
    counts        TEXT NOT NULL DEFAULT '{}',
    last_error    TEXT NOT NULL DEFAULT '',
    attempts      INTEGER NOT NULL DEFAULT 0,
    claim_token   TEXT NOT NULL DEFAULT '',
    claimed_until TIMESTAMP,
    started_at    TIMESTAMP NOT NULL,
    finished_at   TIMESTAMP
);
CREATE INDEX wecom_sync_runs_tenant ON wecom_sync_runs (tenant_id, id);
CREATE UNIQUE INDEX wecom_sync_runs_one_running ON wecom_sync_runs (tenant_id) WHERE status = 'running';

-- +goose Down
DROP TABLE wecom_sync_runs;
DROP INDEX org_units_wecom_dept;
ALTER TABLE org_units DROP COLUMN wecom_dept_id;
DROP TABLE customer_group_members;
DROP TABLE customer_groups;
DROP TABLE customer_tags;
DROP TABLE tags;
DROP TABLE tag_groups;
DROP TABLE customer_events;
DROP TABLE customer_staff;
DROP TABLE customer_identities;
DROP TABLE customers;
