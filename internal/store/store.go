// Package store opens Siyu's database — embedded SQLite or PostgreSQL — applies the embedded
// migrations, and gives the domain packages one way to run SQL on either engine: statements are
// written once with `?` placeholders and rebound for PostgreSQL here.
//
// It holds no business rules and knows no table but goose's. Domain packages keep their own SQL.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// Dialect names the SQL engine behind a DB.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Options say which database to open. URL (postgres://…) wins over DataDir.
type Options struct {
	// DataDir holds the SQLite database file siyu.db when URL is empty.
	DataDir string
	// URL is a PostgreSQL connection URL.
	URL string
	// ReadConns bounds the SQLite reader pool; 0 means 2×GOMAXPROCS.
	ReadConns int
}

// DB is an open database: a writer and a reader pool. On SQLite the writer is a single connection,
// because SQLite allows one writer at a time and queuing in Go is cheaper than busy-waiting in
// SQLite; on PostgreSQL both are the same pool.
type DB struct {
	dialect Dialect
	write   *sql.DB
	read    *sql.DB
	binds   sync.Map // query text -> rebound text (PostgreSQL only)
	nbinds  atomic.Int64
	stmts   sync.Map // SQLite: stmtKey -> *sql.Stmt
	nstmts  atomic.Int64
	warming sync.Map // SQLite: query text -> struct{}, statements being prepared for transactions
}

// stmtKey names a cached statement: the pool it was prepared on and its text.
type stmtKey struct {
	pool *sql.DB
	q    string
}

// maxStmts bounds the SQLite statement cache. Parsing SQL is a fifth of SQLite's CPU time on the
// callback path, and neither database/sql nor the driver caches statements; pgx caches its own.
const maxStmts = 1024

// cacheable leaves out statements with many placeholders (long IN lists, batch inserts): each
// length would be a new entry, filling the cache with one-offs. Short ones are cached — the
// one-customer IN lists of the WeCom add path are its most frequent statements — and maxStmts
// bounds the variety.
func cacheable(q string) bool {
	return strings.Count(q, "?") <= 24
}

// stmt returns a prepared statement for q on pool, or nil when it should run unprepared
// (PostgreSQL, a full cache, or a failed prepare — the plain call then reports the error).
func (db *DB) stmt(ctx context.Context, pool *sql.DB, q string) *sql.Stmt {
	if db.dialect != SQLite || !cacheable(q) {
		return nil
	}
	k := stmtKey{pool, q}
	if v, ok := db.stmts.Load(k); ok {
		return v.(*sql.Stmt)
	}
	if db.nstmts.Load() >= maxStmts {
		return nil
	}
	st, err := pool.PrepareContext(ctx, q)
	if err != nil {
		return nil
	}
	if v, loaded := db.stmts.LoadOrStore(k, st); loaded {
		st.Close()
		return v.(*sql.Stmt)
	}
	db.nstmts.Add(1)
	return st
}

// maxBinds bounds the rebind cache: queries built with a variable number of placeholders
// (IN lists, batch inserts) would otherwise grow it forever.
const maxBinds = 4096

// Open opens the database described by opts. It does not migrate; call Migrate.
func Open(ctx context.Context, opts Options) (*DB, error) {
	if opts.URL != "" {
		return openPostgres(ctx, opts.URL)
	}
	return openSQLite(ctx, opts)
}

func openPostgres(ctx context.Context, dsn string) (*DB, error) {
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return nil, fmt.Errorf("store: database URL must start with postgres:// (got %q)", redact(dsn))
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("store: postgres URL %s: %w", redact(dsn), err)
	}
	// Times are UTC everywhere (SQLite returns what was stored, in UTC); without this pgx would
	// scan timestamptz into the server's local zone.
	pool := stdlib.OpenDB(*cfg, stdlib.OptionAfterConnect(func(_ context.Context, conn *pgx.Conn) error {
		conn.TypeMap().RegisterType(&pgtype.Type{Name: "timestamptz", OID: pgtype.TimestamptzOID,
			Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC}})
		return nil
	}))
	pool.SetMaxOpenConns(32)
	pool.SetMaxIdleConns(16)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: connect to postgres %s: %w", redact(dsn), err)
	}
	return &DB{dialect: Postgres, write: pool, read: pool}, nil
}

func openSQLite(ctx context.Context, opts Options) (*DB, error) {
	dir := opts.DataDir
	if dir == "" {
		dir = "data"
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("store: create data dir: %w", err)
	}
	path := filepath.Join(dir, "siyu.db")
	// Pragmas travel in the DSN so every pooled connection gets them, not only the first.
	pragmas := "_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(ON)" +
		"&_pragma=synchronous(NORMAL)&_time_format=sqlite"
	write, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetConnMaxIdleTime(0)
	// The writer creates the file and switches it to WAL before any reader opens it.
	if err := write.PingContext(ctx); err != nil {
		write.Close()
		return nil, fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	read, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+"&mode=ro")
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("store: open sqlite readers %s: %w", path, err)
	}
	n := opts.ReadConns
	if n <= 0 {
		n = 2 * runtime.GOMAXPROCS(0)
	}
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	return &DB{dialect: SQLite, write: write, read: read}, nil
}

// Close closes both pools.
func (db *DB) Close() error {
	db.stmts.Range(func(_, v any) bool { v.(*sql.Stmt).Close(); return true })
	err := db.write.Close()
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	return err
}

// Dialect reports the engine.
func (db *DB) Dialect() Dialect { return db.dialect }

// Ping checks that the database answers; /readyz uses it.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.read.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	var one int
	if err := db.read.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("store: ping query: %w", err)
	}
	return nil
}

// SQL returns the writer pool, for tools (migrations, benchmarks) that need database/sql itself.
func (db *DB) SQL() *sql.DB { return db.write }

// Querier runs SQL written with `?` placeholders. *DB and *Tx satisfy it, so store code runs the
// same inside and outside a transaction.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// ExecContext runs a write on the writer.
func (db *DB) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if st := db.stmt(ctx, db.write, q); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return db.write.ExecContext(ctx, db.rebind(q), args...)
}

// QueryContext runs a read on the reader pool.
func (db *DB) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := db.stmt(ctx, db.read, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return db.read.QueryContext(ctx, db.rebind(q), args...)
}

// QueryRowContext runs a one-row read on the reader pool. A statement with RETURNING writes, so
// it must go through ExecReturning or a transaction instead.
func (db *DB) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if st := db.stmt(ctx, db.read, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return db.read.QueryRowContext(ctx, db.rebind(q), args...)
}

// Tx is a transaction on the writer.
type Tx struct {
	tx *sql.Tx
	db *DB
}

// A transaction runs on the writer connection, where a cached statement is already prepared;
// database/sql reuses it for the transaction instead of preparing again. A transaction holds the
// only writer connection, so it must never prepare on the pool itself: a miss runs unprepared and
// the statement is prepared in the background once the connection is free.
func (t *Tx) cached(q string) *sql.Stmt {
	db := t.db
	if db.dialect != SQLite {
		return nil
	}
	if v, ok := db.stmts.Load(stmtKey{db.write, q}); ok {
		return v.(*sql.Stmt)
	}
	if db.nstmts.Load() < maxStmts && cacheable(q) {
		if _, busy := db.warming.LoadOrStore(q, struct{}{}); !busy {
			go func() {
				defer db.warming.Delete(q)
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				db.stmt(ctx, db.write, q)
			}()
		}
	}
	return nil
}

func (t *Tx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if st := t.cached(q); st != nil {
		return t.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, t.db.rebind(q), args...)
}

func (t *Tx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := t.cached(q); st != nil {
		return t.tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, t.db.rebind(q), args...)
}

func (t *Tx) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if st := t.cached(q); st != nil {
		return t.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, t.db.rebind(q), args...)
}

// Dialect reports the engine of the transaction's database.
func (t *Tx) Dialect() Dialect { return t.db.dialect }

// InTx runs fn in a transaction on the writer and commits when fn returns nil. On SQLite the
// transaction begins IMMEDIATE, so it holds the write lock from the start and never fails late
// with SQLITE_BUSY on upgrade.
func (db *DB) InTx(ctx context.Context, fn func(tx *Tx) error) (err error) {
	sqlTx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	tx := &Tx{tx: sqlTx, db: db}
	defer func() {
		if p := recover(); p != nil {
			_ = sqlTx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = sqlTx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	if err = sqlTx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// rebind turns `?` placeholders into `$1…$n` for PostgreSQL, leaving quoted text alone.
func (db *DB) rebind(q string) string {
	if db.dialect != Postgres {
		return q
	}
	if v, ok := db.binds.Load(q); ok {
		return v.(string)
	}
	out := Rebind(q)
	if db.nbinds.Load() < maxBinds {
		if _, loaded := db.binds.LoadOrStore(q, out); !loaded {
			db.nbinds.Add(1)
		}
	}
	return out
}

// Rebind rewrites `?` placeholders as `$1…$n`, skipping string literals, quoted identifiers and
// line comments, where a `?` is text rather than a parameter. It does not understand block
// comments, dollar-quoted strings or PostgreSQL's JSONB `?` operators: write those without `?`.
func Rebind(q string) string {
	var b strings.Builder
	b.Grow(len(q) + 8)
	n := 0
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(q) {
				if q[j] == c {
					if j+1 < len(q) && q[j+1] == c { // doubled quote escapes itself
						j += 2
						continue
					}
					break
				}
				j++
			}
			if j >= len(q) {
				j = len(q) - 1
			}
			b.WriteString(q[i : j+1])
			i = j
		case c == '-' && i+1 < len(q) && q[i+1] == '-':
			j := strings.IndexByte(q[i:], '\n')
			if j < 0 {
				j = len(q) - i - 1
			}
			b.WriteString(q[i : i+j+1])
			i += j
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

// redact hides the password of a connection URL for logs and errors.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparseable URL)"
	}
	return u.Redacted()
}
