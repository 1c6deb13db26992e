-- +goose Up
-- Orders from every sales channel (Tmall, Taobao, JD, Youzan, Douyin, POS, the brand's mall, …),
-- one row per (tenant, source, external id). customer_id is NULL until one of the buyer's
-- identities (phone, platform nick) belongs to a customer; it has no foreign key on purpose: a
-- customer merge may delete the merged-away customer, and the bind pass re-points its orders.
CREATE TABLE orders (
    id             INTEGER PRIMARY KEY,
    tenant_id      INTEGER NOT NULL REFERENCES tenants (id),
    source         TEXT NOT NULL,
    external_id    TEXT NOT NULL,
    customer_id    INTEGER,
    buyer_phone    TEXT NOT NULL DEFAULT '',
    buyer_nick     TEXT NOT NULL DEFAULT '',
    status         TEXT NOT NULL,
    total_fen      INTEGER NOT NULL,
    discount_fen   INTEGER NOT NULL DEFAULT 0,
    paid_fen       INTEGER NOT NULL,
    refund_fen     INTEGER NOT NULL DEFAULT 0,
    item_count     INTEGER NOT NULL DEFAULT 0,
    store_unit_id  INTEGER REFERENCES org_units (id),
    guide_staff_id INTEGER REFERENCES staff (id),
    guide_given    BOOLEAN NOT NULL DEFAULT FALSE,
    channel        TEXT NOT NULL DEFAULT '',
    campaign       TEXT NOT NULL DEFAULT '',
    ordered_at     TIMESTAMP NOT NULL,
    paid_at        TIMESTAMP NOT NULL,
    refunded_at    TIMESTAMP,
    content_hash   TEXT NOT NULL,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX orders_external ON orders (tenant_id, source, external_id);
-- RFM and metrics aggregate per customer straight off this index (covering, in customer order).
CREATE INDEX orders_customer ON orders (tenant_id, customer_id, paid_at, paid_fen, refund_fen, total_fen, discount_fen);
CREATE INDEX orders_paid ON orders (tenant_id, paid_at);
CREATE INDEX orders_unbound_phone ON orders (tenant_id, buyer_phone) WHERE customer_id IS NULL;
CREATE INDEX orders_unbound_nick ON orders (tenant_id, buyer_nick) WHERE customer_id IS NULL;

CREATE TABLE order_items (
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    order_id  INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    line      INTEGER NOT NULL,
    sku       TEXT NOT NULL DEFAULT '',
    name      TEXT NOT NULL DEFAULT '',
    qty       INTEGER NOT NULL,
    price_fen INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, order_id, line)
);

-- Idempotency-Key of API ingests: the same key with the same body answers the same order.
CREATE TABLE order_idempotency (
    tenant_id    INTEGER NOT NULL REFERENCES tenants (id),
    idem_key     TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    response     TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, idem_key)
);

-- Per-tenant order settings: value rules (RFM bins and window, lifecycle and value-class rules,
-- JSON) and the sealed webhook secret.
CREATE TABLE order_settings (
    tenant_id          INTEGER PRIMARY KEY REFERENCES tenants (id),
    rules              TEXT NOT NULL DEFAULT '{}',
    webhook_secret_enc TEXT NOT NULL DEFAULT '',
    updated_at         TIMESTAMP NOT NULL
);

-- One row per customer with orders: what they bought and what they are worth.
CREATE TABLE customer_metrics (
    tenant_id      INTEGER NOT NULL REFERENCES tenants (id),
    customer_id    INTEGER NOT NULL,
    first_order_at TIMESTAMP NOT NULL,
    last_order_at  TIMESTAMP NOT NULL,
    orders         INTEGER NOT NULL,
    paid_fen       INTEGER NOT NULL,
    refund_fen     INTEGER NOT NULL,
    refunds        INTEGER NOT NULL,
    spend_fen      INTEGER NOT NULL,
    aov_fen        INTEGER NOT NULL,
    interval_days  REAL,
    coupon_orders  INTEGER NOT NULL DEFAULT 0,
    r_score        INTEGER NOT NULL DEFAULT 0,
    f_score        INTEGER NOT NULL DEFAULT 0,
    m_score        INTEGER NOT NULL DEFAULT 0,
    segment        TEXT NOT NULL DEFAULT '',
    stage          TEXT NOT NULL DEFAULT '',
    value_class    TEXT NOT NULL DEFAULT '',
    scored_at      TIMESTAMP,
    updated_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, customer_id)
);
CREATE INDEX customer_metrics_segment ON customer_metrics (tenant_id, segment);
CREATE INDEX customer_metrics_stage ON customer_metrics (tenant_id, stage);

-- Lifecycle transitions (初始期 → 信任期 → 衰退期 → 流失 …), newest last.
CREATE TABLE customer_lifecycle_history (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL REFERENCES tenants (id),
    customer_id INTEGER NOT NULL,
    from_stage  TEXT NOT NULL,
    to_stage    TEXT NOT NULL,
    changed_at  TIMESTAMP NOT NULL
);
CREATE INDEX customer_lifecycle_history_customer ON customer_lifecycle_history (tenant_id, customer_id, id);

-- +goose Down
DROP TABLE customer_lifecycle_history;
DROP TABLE customer_metrics;
DROP TABLE order_settings;
DROP TABLE order_idempotency;
DROP TABLE order_items;
DROP TABLE orders;
