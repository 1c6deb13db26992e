-- +goose Up
-- Acquisition: channels (where customers come from) and what they cost, and channel live codes
-- (渠道活码) — one permanent landing URL routed to many staff. Every scan is counted per code,
-- staff member and day (Asia/Shanghai) in acq_code_daily; every add through a code is one row of
-- acq_code_adds, which later learns whether the customer was lost and how soon.
CREATE TABLE acq_channels (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL REFERENCES tenants (id),
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    tier        TEXT NOT NULL,
    org_unit_id INTEGER NOT NULL REFERENCES org_units (id),
    note        TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX acq_channels_name ON acq_channels (tenant_id, name);

CREATE TABLE acq_channel_spend (
    id         INTEGER PRIMARY KEY,
    tenant_id  INTEGER NOT NULL REFERENCES tenants (id),
    channel_id INTEGER NOT NULL REFERENCES acq_channels (id),
    spent_on   TEXT NOT NULL, -- YYYY-MM-DD, Asia/Shanghai
    amount_fen BIGINT NOT NULL,
    note       TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX acq_channel_spend_channel ON acq_channel_spend (tenant_id, channel_id, spent_on);

-- slug is the permanent landing URL (/l/{slug}), unique across tenants; state ties WeCom adds
-- to the code.
CREATE TABLE acq_live_codes (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL REFERENCES tenants (id),
    channel_id  INTEGER NOT NULL REFERENCES acq_channels (id),
    name        TEXT NOT NULL,
    slug        TEXT NOT NULL UNIQUE,
    state       TEXT NOT NULL,
    strategy    TEXT NOT NULL,
    skip_verify BOOLEAN NOT NULL DEFAULT TRUE,
    tag_ids     TEXT NOT NULL DEFAULT '[]',
    welcome     TEXT NOT NULL DEFAULT '{}',
    group_code  TEXT NOT NULL DEFAULT '',
    expires_at  TIMESTAMP,
    disabled    BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX acq_live_codes_state ON acq_live_codes (tenant_id, state);
CREATE INDEX acq_live_codes_channel ON acq_live_codes (tenant_id, channel_id);

-- The staff of a code. config_id/qr_code are the member's own single-user WeCom contact way for
-- this code (created on first need, state = the row's state); unavailable says why WeCom refused
-- to create it (the member left or lost customer contact), which keeps the member out of routing
-- until the code is saved again.
CREATE TABLE acq_live_code_staff (
    tenant_id   INTEGER NOT NULL REFERENCES tenants (id),
    code_id     INTEGER NOT NULL REFERENCES acq_live_codes (id),
    staff_id    INTEGER NOT NULL REFERENCES staff (id),
    position    INTEGER NOT NULL,
    weight      INTEGER NOT NULL DEFAULT 1,
    daily_cap   INTEGER NOT NULL DEFAULT 0,
    backup      BOOLEAN NOT NULL DEFAULT FALSE,
    schedule    TEXT NOT NULL DEFAULT '[]',
    state       TEXT NOT NULL,
    config_id   TEXT NOT NULL DEFAULT '',
    qr_code     TEXT NOT NULL DEFAULT '',
    unavailable TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (tenant_id, code_id, staff_id)
);
CREATE UNIQUE INDEX acq_live_code_staff_state ON acq_live_code_staff (tenant_id, state);

-- Scans routed per code, staff member (0 = nobody could take it) and day, flushed by each process
-- every 200 ms; adds through the code per staff member and day (the fewest-adds-today strategy
-- reads them).
CREATE TABLE acq_code_daily (
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    code_id   INTEGER NOT NULL REFERENCES acq_live_codes (id),
    staff_id  INTEGER NOT NULL,
    day       TEXT NOT NULL,
    scans     INTEGER NOT NULL DEFAULT 0,
    adds      INTEGER NOT NULL DEFAULT 0,
    -- cap slots reserved by running processes and not routed yet (scans + reserved ≤ daily cap)
    reserved  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, code_id, staff_id, day)
);

-- One row per add attributed to a code; whether the customer was lost since is read from the
-- relation (customer_staff status 'lost' and status_at) when stats are computed.
CREATE TABLE acq_code_adds (
    tenant_id    INTEGER NOT NULL REFERENCES tenants (id),
    code_id      INTEGER NOT NULL REFERENCES acq_live_codes (id),
    customer_id  INTEGER NOT NULL, -- customers may be merged: no foreign key
    wecom_userid TEXT NOT NULL,
    staff_id     INTEGER NOT NULL,
    added_at     TIMESTAMP NOT NULL,
    day          TEXT NOT NULL,
    PRIMARY KEY (tenant_id, code_id, customer_id, wecom_userid, added_at)
);
CREATE INDEX acq_code_adds_relation ON acq_code_adds (tenant_id, customer_id, wecom_userid);
CREATE INDEX acq_code_adds_day ON acq_code_adds (tenant_id, day);

-- +goose Down
DROP TABLE acq_code_adds;
DROP TABLE acq_code_daily;
DROP TABLE acq_live_code_staff;
DROP TABLE acq_live_codes;
DROP TABLE acq_channel_spend;
DROP TABLE acq_channels;
