-- +goose Up
-- Predicted customer value: the BG/NBD and Gamma-Gamma models fitted on a tenant's orders
-- (clv_fits, one row per tenant, replaced by each fit) and what they say of each customer
-- (customer_predictions, replaced wholesale by each fit: derived data, never edited).
CREATE TABLE clv_fits (
    tenant_id     INTEGER PRIMARY KEY REFERENCES tenants (id),
    unit          TEXT NOT NULL,
    horizon_days  INTEGER NOT NULL,
    customers     INTEGER NOT NULL,
    repeaters     INTEGER NOT NULL,
    params        TEXT NOT NULL,
    fitted_at     TIMESTAMP NOT NULL
);

CREATE TABLE customer_predictions (
    tenant_id           INTEGER NOT NULL REFERENCES tenants (id),
    customer_id         INTEGER NOT NULL,
    p_alive             REAL NOT NULL,
    expected_purchases  REAL NOT NULL,
    predicted_value_fen INTEGER NOT NULL,
    predicted_at        TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, customer_id)
);
CREATE INDEX customer_predictions_value ON customer_predictions (tenant_id, predicted_value_fen);

-- +goose Down
DROP TABLE customer_predictions;
DROP TABLE clv_fits;
