-- +goose Up
-- Customer profile fields, per-tenant custom fields, import jobs and the audit log.

-- Base profile fields: birthday as 'YYYY-MM-DD' text (no time zone, no time of day), and the
-- customer-level remark (distinct from each staff member's remark on their relation).
ALTER TABLE customers ADD COLUMN birthday TEXT;
ALTER TABLE customers ADD COLUMN remark TEXT NOT NULL DEFAULT '';

-- A tenant's custom profile fields (自定义字段). key is what APIs and imports use; label is what
-- people see (imports match it too, so it is unique as well). options lists the choices of
-- select and multiselect fields as a JSON array of strings.
CREATE TABLE customer_fields (
    id         INTEGER PRIMARY KEY,
    tenant_id  INTEGER NOT NULL REFERENCES tenants (id),
    key        TEXT NOT NULL,
    label      TEXT NOT NULL,
    type       TEXT NOT NULL,
    options    TEXT NOT NULL DEFAULT '[]',
    sort       INTEGER NOT NULL DEFAULT 0,
    archived   BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX customer_fields_key ON customer_fields (tenant_id, key);
CREATE UNIQUE INDEX customer_fields_label ON customer_fields (tenant_id, label);

-- One value per customer and field, JSON-encoded: "text", 12.5, "2001-02-03", ["a","b"].
CREATE TABLE customer_field_values (
    tenant_id   INTEGER NOT NULL REFERENCES tenants (id),
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    field_id    INTEGER NOT NULL REFERENCES customer_fields (id),
    value       TEXT NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, customer_id, field_id)
);
CREATE INDEX customer_field_values_field ON customer_field_values (tenant_id, field_id);

-- Customer imports: one row per uploaded file; the file itself waits in import_files until it
-- has been imported for real. errors is a JSON array of row errors, capped.
CREATE TABLE import_jobs (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL REFERENCES tenants (id),
    user_id     INTEGER REFERENCES users (id),
    actor       TEXT NOT NULL DEFAULT '',
    kind        TEXT NOT NULL,
    file_name   TEXT NOT NULL,
    format      TEXT NOT NULL,
    mode        TEXT NOT NULL DEFAULT 'all_or_nothing',
    dry_run     BOOLEAN NOT NULL DEFAULT TRUE,
    status      TEXT NOT NULL,
    headers     TEXT NOT NULL DEFAULT '[]',
    mapping     TEXT NOT NULL DEFAULT '[]',
    total       INTEGER NOT NULL DEFAULT 0,
    processed   INTEGER NOT NULL DEFAULT 0,
    ok          INTEGER NOT NULL DEFAULT 0,
    failed      INTEGER NOT NULL DEFAULT 0,
    created     INTEGER NOT NULL DEFAULT 0,
    updated     INTEGER NOT NULL DEFAULT 0,
    unchanged   INTEGER NOT NULL DEFAULT 0,
    errors      TEXT NOT NULL DEFAULT '[]',
    message     TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    started_at  TIMESTAMP,
    finished_at TIMESTAMP
);
CREATE INDEX import_jobs_tenant ON import_jobs (tenant_id, id);

CREATE TABLE import_files (
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    job_id    INTEGER NOT NULL REFERENCES import_jobs (id),
    content   BLOB NOT NULL,
    PRIMARY KEY (tenant_id, job_id)
);

-- Who did what that must be accounted for (exports of personal data first). detail is a JSON
-- object; user_id is empty for API tokens and the CLI, actor says who then.
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    tenant_id  INTEGER NOT NULL REFERENCES tenants (id),
    user_id    INTEGER REFERENCES users (id),
    actor      TEXT NOT NULL DEFAULT '',
    action     TEXT NOT NULL,
    detail     TEXT NOT NULL DEFAULT '{}',
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX audit_log_tenant ON audit_log (tenant_id, id);

-- +goose Down
DROP TABLE audit_log;
DROP TABLE import_files;
DROP TABLE import_jobs;
DROP TABLE customer_field_values;
DROP TABLE customer_fields;
ALTER TABLE customers DROP COLUMN remark;
ALTER TABLE customers DROP COLUMN birthday;
