-- +goose Up
-- Console notifications: one row per recipient user. dedup_key makes an alert raised twice (an
-- event processed again) one notification.
CREATE TABLE notifications (
    id         BIGSERIAL PRIMARY KEY,
    tenant_id  BIGINT NOT NULL REFERENCES tenants (id),
    user_id    BIGINT NOT NULL REFERENCES users (id),
    kind       TEXT NOT NULL,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL DEFAULT '',
    link       TEXT NOT NULL DEFAULT '',
    data       TEXT NOT NULL DEFAULT '{}',
    dedup_key  TEXT NOT NULL,
    read_at    TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX notifications_dedup ON notifications (tenant_id, user_id, dedup_key);
CREATE INDEX notifications_user ON notifications (tenant_id, user_id, id);
CREATE INDEX notifications_unread ON notifications (tenant_id, user_id) WHERE read_at IS NULL;

-- WeCom app messages (message/send) waiting to go out, sent, or given up on: the table is the
-- queue, retried with growing delays.
CREATE TABLE wecom_message_jobs (
    id              BIGSERIAL PRIMARY KEY,
    tenant_id       BIGINT NOT NULL REFERENCES tenants (id),
    dedup_key       TEXT NOT NULL,
    kind            TEXT NOT NULL,
    touser          TEXT NOT NULL,
    content         TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    claimed_until   TIMESTAMPTZ,
    claim_token     TEXT NOT NULL DEFAULT '',
    errcode         INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    msgid           TEXT NOT NULL DEFAULT '',
    invalid_user    TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL,
    sent_at         TIMESTAMPTZ
);
CREATE UNIQUE INDEX wecom_message_jobs_dedup ON wecom_message_jobs (tenant_id, dedup_key);
CREATE INDEX wecom_message_jobs_due ON wecom_message_jobs (next_attempt_at) WHERE status IN ('pending', 'sending');

-- Customer inheritance (在职继承 / 离职继承): a job moving customers from one staff member to
-- another through WeCom's transfer APIs, with one item per customer.
CREATE TABLE customer_transfers (
    id              BIGSERIAL PRIMARY KEY,
    tenant_id       BIGINT NOT NULL REFERENCES tenants (id),
    kind            TEXT NOT NULL,
    from_staff_id   BIGINT NOT NULL REFERENCES staff (id),
    to_staff_id     BIGINT NOT NULL REFERENCES staff (id),
    handover_userid TEXT NOT NULL,
    takeover_userid TEXT NOT NULL,
    message         TEXT NOT NULL DEFAULT '',
    created_by      BIGINT REFERENCES users (id),
    status          TEXT NOT NULL DEFAULT 'running',
    next_run_at     TIMESTAMPTZ NOT NULL,
    claimed_until   TIMESTAMPTZ,
    claim_token     TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    finished_at     TIMESTAMPTZ
);
CREATE INDEX customer_transfers_tenant ON customer_transfers (tenant_id, id);
CREATE INDEX customer_transfers_due ON customer_transfers (next_run_at) WHERE status = 'running';

CREATE TABLE customer_transfer_items (
    tenant_id       BIGINT NOT NULL REFERENCES tenants (id),
    transfer_id     BIGINT NOT NULL REFERENCES customer_transfers (id),
    customer_id     BIGINT NOT NULL REFERENCES customers (id),
    external_userid TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending',
    errcode         INTEGER NOT NULL DEFAULT 0,
    error           TEXT NOT NULL DEFAULT '',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_check_at   TIMESTAMPTZ NOT NULL,
    submitted_at    TIMESTAMPTZ,
    takeover_at     TIMESTAMPTZ,
    updated_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, transfer_id, customer_id)
);
-- A customer is in at most one unfinished transfer (WeCom answers 40129 for a second one).
CREATE UNIQUE INDEX customer_transfer_items_open ON customer_transfer_items (tenant_id, customer_id) WHERE status IN ('pending', 'waiting');

-- +goose Down
DROP TABLE customer_transfer_items;
DROP TABLE customer_transfers;
DROP TABLE wecom_message_jobs;
DROP TABLE notifications;
