-- +goose Up
-- Group live codes (群活码): one permanent landing URL (/l/g/{slug}) over an ordered list of
-- customer groups, served by one WeCom group join way (scene 2, state = the code's state) whose
-- chat_id_list Siyu keeps pointed at the current group and the next ones (at most 5). A group is
-- full at 200 members (customer_groups.member_count, kept by sync and events); with auto_create
-- WeCom creates "room_base_name + room_base_id" when the listed groups are full.
CREATE TABLE acq_group_codes (
    id             INTEGER PRIMARY KEY,
    tenant_id      INTEGER NOT NULL REFERENCES tenants (id),
    org_unit_id    INTEGER NOT NULL REFERENCES org_units (id),
    name           TEXT NOT NULL,
    slug           TEXT NOT NULL UNIQUE,
    state          TEXT NOT NULL,
    auto_create    BOOLEAN NOT NULL DEFAULT FALSE,
    room_base_name TEXT NOT NULL DEFAULT '',
    room_base_id   INTEGER NOT NULL DEFAULT 1,
    config_id      TEXT NOT NULL DEFAULT '',
    qr_code        TEXT NOT NULL DEFAULT '',
    way_chats      TEXT NOT NULL DEFAULT '', -- the join way's chat_id_list as last written, comma-joined
    disabled       BOOLEAN NOT NULL DEFAULT FALSE,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX acq_group_codes_state ON acq_group_codes (tenant_id, state);

-- The ordered groups of a group code (groups WeCom auto-created are appended).
CREATE TABLE acq_group_code_chats (
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    code_id   INTEGER NOT NULL REFERENCES acq_group_codes (id),
    chat_id   TEXT NOT NULL,
    position  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, code_id, chat_id)
);

-- The join way's state a member joined through (groupchat/get member_list[].state), so joins
-- are attributed to group codes.
ALTER TABLE customer_group_members ADD COLUMN join_state TEXT NOT NULL DEFAULT '';

-- Store codes (门店活码): a channel live code per store whose staff are the store's active
-- guides, with the city the store finder (/l/stores/{tenant}) lists it under.
CREATE TABLE acq_store_codes (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL REFERENCES tenants (id),
    org_unit_id INTEGER NOT NULL REFERENCES org_units (id),
    code_id     INTEGER NOT NULL REFERENCES acq_live_codes (id),
    city        TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX acq_store_codes_unit ON acq_store_codes (tenant_id, org_unit_id);
CREATE UNIQUE INDEX acq_store_codes_code ON acq_store_codes (tenant_id, code_id);
CREATE INDEX acq_store_codes_city ON acq_store_codes (tenant_id, city);

-- +goose Down
DROP TABLE acq_store_codes;
ALTER TABLE customer_group_members DROP COLUMN join_state;
DROP TABLE acq_group_code_chats;
DROP TABLE acq_group_codes;
