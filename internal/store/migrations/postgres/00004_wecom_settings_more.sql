-- +goose Up
-- api_base_url points a tenant at another WeCom API server (the simulator for demos and
-- integration tests); empty means the real one. welcome_text is the default welcome message sent
-- to every new customer until live codes (acquisition) bring their own.
ALTER TABLE tenant_wecom_settings ADD COLUMN api_base_url TEXT NOT NULL DEFAULT '';
ALTER TABLE tenant_wecom_settings ADD COLUMN welcome_text TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE tenant_wecom_settings DROP COLUMN welcome_text;
ALTER TABLE tenant_wecom_settings DROP COLUMN api_base_url;
