-- +goose Up
-- Batch add by phone (手机号批量加好友): an imported list of phone numbers handed to staff as daily
-- tasks within a per-staff daily cap; a task is added when a customer with that phone identity
-- gets a relation with the task's staff member after the task was assigned.
CREATE TABLE acq_phone_lists (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL REFERENCES tenants (id),
    name        TEXT NOT NULL,
    daily_cap   INTEGER NOT NULL,
    expire_days INTEGER NOT NULL,
    created_by  TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX acq_phone_lists_name ON acq_phone_lists (tenant_id, name);

-- status: pending, requested (the staff member sent the request), added, failed, expired.
-- due_day is the day (Asia/Shanghai, YYYY-MM-DD) the task is the staff member's to do.
CREATE TABLE acq_phone_tasks (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL REFERENCES tenants (id),
    list_id     INTEGER NOT NULL REFERENCES acq_phone_lists (id),
    phone       TEXT NOT NULL, -- E.164
    name        TEXT NOT NULL DEFAULT '',
    remark      TEXT NOT NULL DEFAULT '',
    staff_id    INTEGER NOT NULL REFERENCES staff (id),
    due_day     TEXT NOT NULL,
    expires_on  TEXT NOT NULL, -- an open task after this day is expired
    status      TEXT NOT NULL DEFAULT 'pending',
    reason      TEXT NOT NULL DEFAULT '',
    customer_id INTEGER, -- set when added; customers may be merged: no foreign key
    assigned_at TIMESTAMP NOT NULL,
    done_at     TIMESTAMP,
    updated_at  TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX acq_phone_tasks_phone ON acq_phone_tasks (tenant_id, list_id, phone);
CREATE INDEX acq_phone_tasks_staff_day ON acq_phone_tasks (tenant_id, staff_id, due_day);
-- The periodic pass: open tasks past their expiry, and tasks still watched for adds (by status,
-- expiry day within the last 30 days).
CREATE INDEX acq_phone_tasks_status ON acq_phone_tasks (status, expires_on);

-- Package cards (包裹卡): print batches of a live code's card. Each batch prints the code's landing
-- URL with ?b={batch_no}, so a later scan record can tell batches apart; the landing page ignores it.
CREATE TABLE acq_card_batches (
    id         INTEGER PRIMARY KEY,
    tenant_id  INTEGER NOT NULL REFERENCES tenants (id),
    code_id    INTEGER NOT NULL REFERENCES acq_live_codes (id),
    name       TEXT NOT NULL,
    batch_no   TEXT NOT NULL,
    headline   TEXT NOT NULL DEFAULT '',
    card_count INTEGER NOT NULL,
    card_size  TEXT NOT NULL, -- 90x54 (business card) or 100x150 (parcel label), in mm
    per_page   INTEGER NOT NULL, -- cards per A4 sheet
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX acq_card_batches_no ON acq_card_batches (tenant_id, batch_no);

-- +goose Down
DROP TABLE acq_card_batches;
DROP TABLE acq_phone_tasks;
DROP TABLE acq_phone_lists;
