-- +goose Up
-- Short links and SMS campaigns. A link points at a live code for a channel (and belongs to a
-- campaign when the campaign made it); every recipient of a link has their own token (/s/{token})
-- whose clicks are counted, and — in a campaign — their own send status. Opted-out phones
-- (回T退订) are never sent to again. Provider credentials are sealed like WeCom secrets.
CREATE TABLE sms_settings (
    tenant_id       BIGINT PRIMARY KEY REFERENCES tenants (id),
    provider        TEXT NOT NULL, -- log, aliyun or tencent
    access_key_id   TEXT NOT NULL DEFAULT '',
    secret_enc      TEXT NOT NULL DEFAULT '',
    sign_name       TEXT NOT NULL DEFAULT '',
    template_code   TEXT NOT NULL DEFAULT '',
    sdk_app_id      TEXT NOT NULL DEFAULT '',
    region          TEXT NOT NULL DEFAULT '',
    endpoint        TEXT NOT NULL DEFAULT '',
    rate_per_second INTEGER NOT NULL DEFAULT 10,
    updated_at      TIMESTAMPTZ NOT NULL
);

CREATE TABLE sms_campaigns (
    id          BIGSERIAL PRIMARY KEY,
    tenant_id   BIGINT NOT NULL REFERENCES tenants (id),
    name        TEXT NOT NULL,
    template    TEXT NOT NULL,
    base_url    TEXT NOT NULL,
    status      TEXT NOT NULL, -- sending, done, cancelled
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    -- the Idempotency-Key of the request that created it: a retried create sends nothing twice
    idem_key    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sms_campaigns_status ON sms_campaigns (status, id);
CREATE UNIQUE INDEX sms_campaigns_idem ON sms_campaigns (tenant_id, idem_key) WHERE idem_key <> '';

CREATE TABLE sms_links (
    id          BIGSERIAL PRIMARY KEY,
    tenant_id   BIGINT NOT NULL REFERENCES tenants (id),
    name        TEXT NOT NULL,
    channel_id  BIGINT NOT NULL REFERENCES acq_channels (id),
    code_id     BIGINT NOT NULL REFERENCES acq_live_codes (id),
    campaign_id BIGINT REFERENCES sms_campaigns (id),
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX sms_links_tenant ON sms_links (tenant_id, id);
CREATE UNIQUE INDEX sms_links_campaign ON sms_links (campaign_id);

-- status: '' for a recipient of a link without a campaign; pending, sending (claimed by the
-- worker), sent, failed or opted_out in a campaign.
CREATE TABLE sms_recipients (
    id             BIGSERIAL PRIMARY KEY,
    tenant_id      BIGINT NOT NULL REFERENCES tenants (id),
    link_id        BIGINT NOT NULL REFERENCES sms_links (id),
    campaign_id    BIGINT REFERENCES sms_campaigns (id),
    phone          TEXT NOT NULL,
    name           TEXT NOT NULL DEFAULT '',
    token          TEXT NOT NULL UNIQUE,
    status         TEXT NOT NULL DEFAULT '',
    attempts       INTEGER NOT NULL DEFAULT 0,
    error          TEXT NOT NULL DEFAULT '',
    provider_id    TEXT NOT NULL DEFAULT '',
    next_at        TIMESTAMPTZ,
    sent_at        TIMESTAMPTZ,
    clicks         INTEGER NOT NULL DEFAULT 0,
    first_click_at TIMESTAMPTZ,
    last_click_at  TIMESTAMPTZ,
    click_userid   TEXT NOT NULL DEFAULT '',
    created_at     TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX sms_recipients_phone ON sms_recipients (link_id, phone);
CREATE INDEX sms_recipients_campaign ON sms_recipients (campaign_id, status, next_at);
CREATE INDEX sms_recipients_tenant_phone ON sms_recipients (tenant_id, phone);

CREATE TABLE sms_optouts (
    tenant_id  BIGINT NOT NULL REFERENCES tenants (id),
    phone      TEXT NOT NULL,
    source     TEXT NOT NULL, -- reply (回T) or manual
    content    TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, phone)
);

-- +goose Down
DROP TABLE sms_optouts;
DROP TABLE sms_recipients;
DROP TABLE sms_links;
DROP TABLE sms_campaigns;
DROP TABLE sms_settings;
