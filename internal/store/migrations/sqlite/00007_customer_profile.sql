-- +goose Up
-- Customer profiles: merges (with what moved, so a merge can be split again) and notes /
-- follow-up records.

-- A customer merged into another keeps its row (so a split restores it as it was, columns other
-- capabilities added included); merged_into points at the customer that absorbed it. Lists and
-- lookups skip merged customers.
-- (No foreign key here: SQLite cannot drop a column that has one.)
ALTER TABLE customers ADD COLUMN merged_into INTEGER;

-- One merge of from_id into into_id. moved is a JSON object {table: [[key values…], …]} of the
-- rows that moved from from_id to into_id, so a split moves exactly those back; into_before holds
-- what the merge changed on into_id itself.
CREATE TABLE customer_merges (
    id             INTEGER PRIMARY KEY,
    tenant_id      INTEGER NOT NULL REFERENCES tenants (id),
    into_id        INTEGER NOT NULL REFERENCES customers (id),
    from_id        INTEGER NOT NULL REFERENCES customers (id),
    auto           BOOLEAN NOT NULL DEFAULT FALSE,
    reason         TEXT NOT NULL DEFAULT '',
    moved          TEXT NOT NULL DEFAULT '{}',
    into_before    TEXT NOT NULL DEFAULT '{}',
    merged_by      TEXT NOT NULL DEFAULT '',
    created_at     TIMESTAMP NOT NULL,
    split_at       TIMESTAMP,
    split_by       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX customer_merges_into ON customer_merges (tenant_id, into_id, id);
CREATE INDEX customer_merges_from ON customer_merges (tenant_id, from_id, id);

-- Notes and follow-up records (跟进记录) on a customer; each is also on the timeline.
CREATE TABLE customer_notes (
    id                INTEGER PRIMARY KEY,
    tenant_id         INTEGER NOT NULL REFERENCES tenants (id),
    customer_id       INTEGER NOT NULL REFERENCES customers (id),
    author_user_id    INTEGER REFERENCES users (id),
    author_staff_id   INTEGER REFERENCES staff (id),
    author_name       TEXT NOT NULL DEFAULT '',
    kind              TEXT NOT NULL,
    content           TEXT NOT NULL,
    method            TEXT NOT NULL DEFAULT '',
    next_follow_up_at TIMESTAMP,
    created_at        TIMESTAMP NOT NULL
);
CREATE INDEX customer_notes_customer ON customer_notes (tenant_id, customer_id, id);
CREATE INDEX customer_notes_next ON customer_notes (tenant_id, next_follow_up_at) WHERE next_follow_up_at IS NOT NULL;

-- +goose Down
DROP TABLE customer_notes;
DROP TABLE customer_merges;
ALTER TABLE customers DROP COLUMN merged_into;
