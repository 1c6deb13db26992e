package acquisition

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/siyu-scrm/siyu/internal/store"
)

// router routes scans in memory and keeps the database the authority on counts and caps:
//
//   - Scans routed by this process are counted in memory and flushed to acq_code_daily every
//     flushEvery (and at Close, so a graceful shutdown loses nothing; a crash loses at most the
//     last flushEvery of counts).
//   - A member with a daily cap takes scans only from slots this process reserved in the database
//     (acq_code_daily.reserved, bumped atomically under the cap: scans + reserved ≤ cap), a few at
//     a time; reserved slots a process did not use are handed back when it closes. So caps are
//     never exceeded, between concurrent scans in one process (the code's mutex) or across
//     replicas (the reservation), and the hot path of a scan touches the database only to
//     reserve slots. With several replicas a member may reach their cap a little later than
//     demand would allow (slots another replica holds wait for its next scans), never earlier.
//   - Each flush also reads the day's counters back, so what other replicas routed and the adds
//     counted in the meantime steer the strategies here.
type router struct {
	s       *Service
	mu      sync.Mutex
	codes   map[int64]*codeCounters
	closed  bool
	once    sync.Once
	started atomic.Bool
	stop    chan struct{}
	done    chan struct{}
	refills sync.WaitGroup
	// flushing serialises flushes: a Flush that found nothing left to write because the
	// background flush had just taken it must still wait until that write is committed.
	flushing sync.Mutex
}

// flushEvery is how often routed scans are written and counters refreshed.
const flushEvery = 200 * time.Millisecond

// leaseSize is the most capped slots a process reserves at a time.
const leaseSize = 16

type codeCounters struct {
	mu       sync.Mutex
	tenantID int64
	codeID   int64
	day      string
	loaded   bool
	staff    map[int64]*staffCounter // staff id (0 = nobody could take the scan)
}

type staffCounter struct {
	base     int // scans in the database at the last refresh
	local    int // routed here since the last flush
	inflight int // routed here and being written by a flush now
	adds     int // adds through the code today
	taken    int // scans + reserved in the database at the last refresh or reservation
	lease    int // reserved slots not used yet
	leased   int // slots of the leases used since the last flush (reserved → scans at flush)
	// refilling is set while a reservation is fetched in the background; its result arrives on
	// refillCh and is taken under the code's lock.
	refilling bool
	refillCh  chan refillResult
}

type refillResult struct {
	n, taken int
	err      error
}

// takeRefill applies the background reservation's result: waiting for it with wait, else only
// when it has arrived. cc.mu is held.
func (c *staffCounter) takeRefill(wait bool) error {
	if !c.refilling {
		return nil
	}
	var res refillResult
	if wait {
		res = <-c.refillCh
	} else {
		select {
		case res = <-c.refillCh:
		default:
			return nil
		}
	}
	c.refilling = false
	if res.err != nil {
		return res.err
	}
	c.lease += res.n
	c.taken = max(c.taken, res.taken)
	return nil
}

func newRouter(s *Service) *router {
	return &router{s: s, codes: map[int64]*codeCounters{}, stop: make(chan struct{}), done: make(chan struct{})}
}

func (r *router) counters(cfg *codeConfig) (*codeCounters, error) {
	r.once.Do(func() { r.started.Store(true); go r.run() })
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, errClosed
	}
	cc := r.codes[cfg.id]
	if cc == nil {
		cc = &codeCounters{tenantID: cfg.tenantID, codeID: cfg.id, staff: map[int64]*staffCounter{}}
		r.codes[cfg.id] = cc
	}
	return cc, nil
}

func (cc *codeCounters) of(staffID int64) *staffCounter {
	c := cc.staff[staffID]
	if c == nil {
		c = &staffCounter{}
		cc.staff[staffID] = c
	}
	return c
}

// route picks the staff member for one scan of cfg at the time at; it returns their index in
// cfg.staff, or -1 when nobody can take the scan (counted as staff 0).
func (r *router) route(ctx context.Context, cfg *codeConfig, at time.Time) (int, error) {
	cc, err := r.counters(cfg)
	if err != nil {
		return -1, err
	}
	day := Day(at)
	cc.mu.Lock()
	if cc.loaded && day < cc.day {
		day = cc.day // a scan from just before midnight, routed after: it counts on the new day
	}
	if cc.loaded && cc.day != day {
		// Midnight: the old day's counts and leases go back first.
		cc.mu.Unlock()
		if err := r.s.flushCode(ctx, cc, true); err != nil {
			return -1, err
		}
		cc.mu.Lock()
		if cc.day != day {
			cc.loaded = false
		}
	}
	defer cc.mu.Unlock()
	if !cc.loaded {
		cc.day, cc.staff = day, map[int64]*staffCounter{}
		if err := r.s.refresh(ctx, cc); err != nil {
			return -1, err
		}
		cc.loaded = true
	}
	cands := make([]candidate, len(cfg.staff))
	for i, m := range cfg.staff {
		c := cc.of(m.staffID)
		cands[i] = candidate{StaffID: m.staffID, Weight: m.weight, Backup: m.backup, Available: m.available,
			OnDuty: OnDuty(m.schedule, at), Scans: c.base + c.inflight + c.local, Adds: c.adds}
		if m.cap > 0 && !m.backup && c.lease == 0 && c.taken >= m.cap {
			cands[i].Available = false // capped: no slot left here or in the database
		}
	}
	for {
		i := pick(cfg.strategy, cands)
		if i < 0 {
			cc.of(0).local++
			return -1, nil
		}
		m, c := cfg.staff[i], cc.of(cfg.staff[i].staffID)
		if m.cap > 0 && !m.backup {
			if err := c.takeRefill(c.lease == 0); err != nil {
				r.s.log.Warn("live-code cap slots not reserved", "code", cc.codeID, "staff", m.staffID, "err", err)
			}
			if c.lease == 0 {
				n, taken, err := r.s.reserve(ctx, cc.tenantID, cc.codeID, m.staffID, cc.day, m.cap)
				if err != nil {
					return -1, err
				}
				c.lease, c.taken = c.lease+n, taken
				if c.lease == 0 {
					cands[i].Available = false // the cap is reached (by us or another replica)
					continue
				}
			}
			c.lease--
			c.leased++
			if c.lease <= leaseSize/4 && !c.refilling && c.taken < m.cap {
				// Fetch the next slots before these run out, off the scan's path.
				c.refilling = true
				if c.refillCh == nil {
					c.refillCh = make(chan refillResult, 1)
				}
				r.refills.Add(1)
				go r.refill(cc, m.staffID, cc.day, m.cap, c.refillCh)
			}
		}
		c.local++
		return i, nil
	}
}

// refill reserves more slots for a capped member in the background; route takes the result.
func (r *router) refill(cc *codeCounters, staffID int64, day string, limit int, out chan<- refillResult) {
	defer r.refills.Done()
	n, taken, err := r.s.reserve(context.Background(), cc.tenantID, cc.codeID, staffID, day, limit)
	out <- refillResult{n: n, taken: taken, err: err}
}

// unroute takes back a scan routed to a member whose contact way WeCom then refused.
func (r *router) unroute(cfg *codeConfig, i int) {
	r.mu.Lock()
	cc := r.codes[cfg.id]
	r.mu.Unlock()
	if cc == nil {
		return
	}
	cc.mu.Lock()
	defer cc.mu.Unlock()
	m := cfg.staff[i]
	c := cc.of(m.staffID)
	if c.local > 0 {
		c.local--
		if m.cap > 0 && !m.backup && c.leased > 0 {
			c.leased--
			c.lease++
		}
	}
}

// noteAdd counts an add in this process at once (other replicas see it at their next refresh).
func (r *router) noteAdd(codeID, staffID int64, day string) {
	r.mu.Lock()
	cc := r.codes[codeID]
	r.mu.Unlock()
	if cc == nil {
		return
	}
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.loaded && cc.day == day {
		cc.of(staffID).adds++
	}
}

func (r *router) run() {
	defer close(r.done)
	t := time.NewTicker(flushEvery)
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
			if err := r.flush(context.Background(), false); err != nil {
				r.s.log.Warn("live-code scan counts not flushed; retrying", "err", err)
			}
		}
	}
}

// flush writes every code's routed scans and reads the counters back (with final, it hands
// unused reservations back instead). The database is written and read outside the code's lock,
// so scans go on being routed meanwhile.
func (r *router) flush(ctx context.Context, final bool) error {
	r.flushing.Lock()
	defer r.flushing.Unlock()
	r.mu.Lock()
	codes := make([]*codeCounters, 0, len(r.codes))
	for _, cc := range r.codes {
		codes = append(codes, cc)
	}
	r.mu.Unlock()
	var errs []error
	for _, cc := range codes {
		if err := r.s.flushCode(ctx, cc, final); err != nil {
			var n int
			if qerr := r.s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM acq_live_codes WHERE tenant_id = ? AND id = ?`, cc.tenantID, cc.codeID).Scan(&n); qerr == nil && n == 0 {
				// Deleted (another replica routed a scan to it from a stale cache): nothing to keep.
				r.mu.Lock()
				delete(r.codes, cc.codeID)
				r.mu.Unlock()
				continue
			}
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// close stops the flusher, writes the last counts and returns unused reservations.
func (r *router) close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	r.mu.Unlock()
	r.once.Do(func() {})
	if !r.started.Load() {
		return nil
	}
	close(r.stop)
	<-r.done
	r.refills.Wait() // their slots are handed back with the rest
	return r.flush(context.Background(), true)
}

// flushCode writes a code's routed scans of its day — scans += routed, reserved -= the leased
// slots used (and, with final, the unused ones too) — then, unless final, reads the day's
// counters back. cc.mu must not be held.
func (s *Service) flushCode(ctx context.Context, cc *codeCounters, final bool) error {
	type delta struct {
		staffID         int64
		scans, released int
	}
	cc.mu.Lock()
	if !cc.loaded {
		cc.mu.Unlock()
		return nil
	}
	day := cc.day
	var ds []delta
	for sid, c := range cc.staff {
		if final {
			_ = c.takeRefill(false) // refills have finished (close waited): their slots go back too
		}
		d := delta{staffID: sid, scans: c.local, released: c.leased}
		if final {
			d.released += c.lease
			c.lease = 0
		}
		c.inflight += c.local
		c.local, c.leased = 0, 0
		if d.scans != 0 || d.released != 0 {
			ds = append(ds, d)
		}
	}
	cc.mu.Unlock()
	type counts struct{ scans, reserved, adds int }
	read := map[int64]counts{}
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		for _, d := range ds {
			if _, err := tx.ExecContext(ctx, `INSERT INTO acq_code_daily (tenant_id, code_id, staff_id, day, scans, adds, reserved) VALUES (?, ?, ?, ?, ?, 0, 0)
				ON CONFLICT (tenant_id, code_id, staff_id, day) DO UPDATE SET scans = acq_code_daily.scans + excluded.scans,
				reserved = CASE WHEN acq_code_daily.reserved > ? THEN acq_code_daily.reserved - ? ELSE 0 END`,
				cc.tenantID, cc.codeID, d.staffID, day, d.scans, d.released, d.released); err != nil {
				return err
			}
		}
		if final {
			return nil
		}
		rows, err := tx.QueryContext(ctx, `SELECT staff_id, scans, reserved, adds FROM acq_code_daily WHERE tenant_id = ? AND code_id = ? AND day = ?`,
			cc.tenantID, cc.codeID, day)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var sid int64
			var c counts
			if err := rows.Scan(&sid, &c.scans, &c.reserved, &c.adds); err != nil {
				return err
			}
			read[sid] = c
		}
		return rows.Err()
	})
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.day != day {
		// The day turned meanwhile and the new day's counters were loaded fresh; a failed write
		// of the old day's last scans can only be logged.
		if err != nil {
			return fmt.Errorf("acquisition: flush scans of code %d for %s: %w", cc.codeID, day, err)
		}
		return nil
	}
	for _, d := range ds {
		c := cc.of(d.staffID)
		c.inflight -= d.scans
		if err != nil { // not written: the next flush writes them
			c.local += d.scans
			c.leased += d.released
		}
	}
	if err != nil {
		return fmt.Errorf("acquisition: flush scans of code %d: %w", cc.codeID, err)
	}
	for sid, n := range read {
		c := cc.of(sid)
		c.base, c.adds, c.taken = n.scans, n.adds, n.scans+n.reserved
	}
	return nil
}

// refresh reads a code's counters of its day. cc.mu is held.
func (s *Service) refresh(ctx context.Context, cc *codeCounters) error {
	rows, err := s.db.QueryContext(ctx, `SELECT staff_id, scans, reserved, adds FROM acq_code_daily WHERE tenant_id = ? AND code_id = ? AND day = ?`,
		cc.tenantID, cc.codeID, cc.day)
	if err != nil {
		return fmt.Errorf("acquisition: counters of code %d: %w", cc.codeID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var sid int64
		var scans, reserved, adds int
		if err := rows.Scan(&sid, &scans, &reserved, &adds); err != nil {
			return err
		}
		c := cc.of(sid)
		c.base, c.adds, c.taken = scans, adds, scans+reserved
	}
	return rows.Err()
}

// reserve takes some of a capped member's remaining slots of the day (a quarter of them, at most
// leaseSize); it returns how many it got (0 when the cap is reached) and scans + reserved after it.
func (s *Service) reserve(ctx context.Context, tenantID, codeID, staffID int64, day string, limit int) (int, int, error) {
	var got, taken int
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO acq_code_daily (tenant_id, code_id, staff_id, day, scans, adds, reserved) VALUES (?, ?, ?, ?, 0, 0, 0)
			ON CONFLICT (tenant_id, code_id, staff_id, day) DO NOTHING`, tenantID, codeID, staffID, day); err != nil {
			return err
		}
		lock := ""
		if tx.Dialect() == store.Postgres {
			lock = " FOR UPDATE"
		}
		var scans, reserved int
		if err := tx.QueryRowContext(ctx, `SELECT scans, reserved FROM acq_code_daily WHERE tenant_id = ? AND code_id = ? AND staff_id = ? AND day = ?`+lock,
			tenantID, codeID, staffID, day).Scan(&scans, &reserved); err != nil {
			return err
		}
		// Our own unflushed scans of this member came from earlier leases, already in reserved.
		// A quarter of what is left (at most leaseSize): near the cap, slots held by one replica
		// and not used yet cannot keep another from the member for long.
		rem := limit - scans - reserved
		if rem <= 0 {
			got, taken = 0, scans+reserved
			return nil
		}
		got = min(leaseSize, max(1, rem/4))
		taken = scans + reserved + got
		_, err := tx.ExecContext(ctx, `UPDATE acq_code_daily SET reserved = reserved + ? WHERE tenant_id = ? AND code_id = ? AND staff_id = ? AND day = ?`,
			got, tenantID, codeID, staffID, day)
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		err = fmt.Errorf("counter row vanished")
	}
	if err != nil {
		return 0, 0, fmt.Errorf("acquisition: reserve scans of %d on code %d: %w", staffID, codeID, err)
	}
	return got, taken, nil
}

// Flush writes the scans routed so far (tests and benchmarks read the counts right after).
func (s *Service) Flush(ctx context.Context) error { return s.scans.flush(ctx, false) }
