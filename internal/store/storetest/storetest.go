// Package storetest runs store-backed tests on every engine Siyu supports: SQLite always, and
// PostgreSQL when SIYU_TEST_PG holds a DSN. Under CI=true a missing PostgreSQL fails the run
// instead of skipping it, so CI can never go green on SQLite alone.
//
// Each test package that uses it gets one throwaway PostgreSQL database (created in Main, dropped
// when the package's tests end); tests share it and isolate themselves by creating their own
// tenant, which is also how production isolates data. SQLite gets a fresh file per test.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/siyu-scrm/siyu/internal/store"
)

var pg struct {
	mu      sync.Mutex
	inMain  bool
	dsn     string // of the package's throwaway database; "" when PostgreSQL is not configured
	adminDB *sql.DB
	name    string
	db      *store.DB
}

// Main wraps testing.M for packages that use Run: it creates the package's PostgreSQL database
// before the tests and drops it after. Call it from TestMain.
func Main(m *testing.M) {
	pg.inMain = true
	code := m.Run()
	cleanup()
	os.Exit(code)
}

// Run runs fn once per engine as the subtests "sqlite" and "postgres". Each call gets a migrated
// database.
func Run(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) {
		db := Postgres(t)
		if db == nil {
			return
		}
		fn(t, db)
	})
}

// SQLite opens a migrated SQLite database in a fresh temporary directory.
func SQLite(t testing.TB) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx, nil); err != nil {
		t.Fatalf("migrate sqlite: %v", err)
	}
	return db
}

// Postgres returns the package's migrated PostgreSQL database, or skips (fails under CI) when
// SIYU_TEST_PG is not set. It returns nil after a skip.
func Postgres(t testing.TB) *store.DB {
	t.Helper()
	admin := os.Getenv("SIYU_TEST_PG")
	if admin == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true but SIYU_TEST_PG is empty: PostgreSQL tests may not be skipped in CI")
		}
		t.Skip("PostgreSQL tests skipped: set SIYU_TEST_PG to a DSN (e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable)")
		return nil
	}
	if !pg.inMain {
		t.Fatal("storetest: call storetest.Main(m) from TestMain so the throwaway database is dropped")
	}
	pg.mu.Lock()
	defer pg.mu.Unlock()
	if pg.db == nil {
		db, err := createDatabase(admin)
		if err != nil {
			t.Fatalf("postgres: %v", err)
		}
		pg.db = db
	}
	return pg.db
}

func createDatabase(admin string) (*store.DB, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	adminDB, err := sql.Open("pgx", admin)
	if err != nil {
		return nil, fmt.Errorf("open admin connection: %w", err)
	}
	if err := adminDB.PingContext(ctx); err != nil {
		adminDB.Close()
		return nil, fmt.Errorf("connect with SIYU_TEST_PG: %w", err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "siyu_test_" + hex.EncodeToString(b)
	if _, err := adminDB.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		adminDB.Close()
		return nil, fmt.Errorf("create database %s: %w", name, err)
	}
	u, err := url.Parse(admin)
	if err != nil {
		adminDB.Close()
		return nil, fmt.Errorf("parse SIYU_TEST_PG: %w", err)
	}
	u.Path = "/" + name
	pg.adminDB, pg.name, pg.dsn = adminDB, name, u.String()
	db, err := store.Open(ctx, store.Options{URL: pg.dsn})
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx, nil); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// PostgresDSN returns the DSN of the package's throwaway database once Postgres has created it,
// for tests that start a whole server against it.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	if Postgres(t) == nil {
		return ""
	}
	return pg.dsn
}

func cleanup() {
	pg.mu.Lock()
	defer pg.mu.Unlock()
	if pg.db != nil {
		pg.db.Close()
	}
	if pg.adminDB != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := pg.adminDB.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pg.name+" WITH (FORCE)"); err != nil {
			fmt.Fprintf(os.Stderr, "storetest: drop %s: %v\n", pg.name, err)
		}
		pg.adminDB.Close()
	}
}
