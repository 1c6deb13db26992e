package store

import (
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
)

// IsRetryable reports whether err is a conflict between concurrent transactions that running the
// same transaction again may resolve: a unique violation (another transaction inserted the same
// key first), or, on PostgreSQL, a deadlock (40P01) or serialization failure (40001). SQLite
// transactions here are serialized (one writer, BEGIN IMMEDIATE), so only the first applies.
func IsRetryable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && (pgErr.Code == "40P01" || pgErr.Code == "40001") {
		return true
	}
	return IsUniqueViolation(err)
}
