-- +goose Up
-- Customer list and search at scale (issue #4). One search row per customer holds what the list
-- sorts on and the keyword document; customer_search_terms is an inverted index of the same
-- tokens (every suffix of the name and remarks, pinyin and initials from each syllable, reversed
-- phone digits), so "keyword is a prefix of a token" — substring search on Chinese text, pinyin
-- and initials, phone suffix — is one range scan on the index, on both engines. Both are
-- maintained by customer.RefreshSearch in the transaction that changes what they are built from.
CREATE TABLE customer_search (
    tenant_id      INTEGER NOT NULL REFERENCES tenants (id),
    customer_id    INTEGER NOT NULL,
    -- ' token token … ': the terms below, for checking a candidate row with LIKE '% kw%'
    doc            TEXT NOT NULL DEFAULT '',
    -- sort keys: name in pinyin order, when the customer was added, latest timeline activity
    name_key       TEXT NOT NULL DEFAULT '',
    added_at       TIMESTAMP NOT NULL,
    last_active_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, customer_id)
) WITHOUT ROWID;
CREATE INDEX customer_search_added ON customer_search (tenant_id, added_at, customer_id);
CREATE INDEX customer_search_name ON customer_search (tenant_id, name_key, customer_id);
CREATE INDEX customer_search_active ON customer_search (tenant_id, last_active_at, customer_id);

CREATE TABLE customer_search_terms (
    tenant_id   INTEGER NOT NULL,
    term        TEXT NOT NULL,
    customer_id INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, term, customer_id)
) WITHOUT ROWID;

-- Tag filters find a tag's customers without scanning every customer.
CREATE INDEX customer_tags_tag ON customer_tags (tenant_id, tag_id, customer_id, wecom_userid);
-- Channel filter (first added through a live-code state).
CREATE INDEX customers_first_state ON customers (tenant_id, first_state, id);

-- The follow-up owner (跟进人): the staff member responsible for a customer in Siyu, set by bulk
-- assignment. It is not a WeCom relation (moving those is inheritance, 继承).
ALTER TABLE customers ADD COLUMN owner_staff_id INTEGER REFERENCES staff (id);
CREATE INDEX customers_owner ON customers (tenant_id, owner_staff_id, id);

-- Customers that exist already get a row now (name only); the server fills in pinyin, remarks and
-- phones on start (customer.RepairSearch).
INSERT INTO customer_search (tenant_id, customer_id, doc, name_key, added_at, last_active_at)
SELECT tenant_id, id, '', '', COALESCE(first_added_at, created_at), COALESCE(first_added_at, created_at) FROM customers;

-- +goose Down
DROP INDEX customers_owner;
ALTER TABLE customers DROP COLUMN owner_staff_id;
DROP INDEX customers_first_state;
DROP INDEX customer_tags_tag;
DROP TABLE customer_search_terms;
DROP TABLE customer_search;
