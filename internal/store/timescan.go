package store

import (
	"fmt"
	"time"
)

// Time scans a timestamp that may come back as text: SQLite keeps the declared type of a column
// but not of an expression, so MIN(paid_at) or a CASE over a TIMESTAMP column arrives as the
// stored string. It accepts NULL (Valid false), time.Time (PostgreSQL, plain SQLite columns) and
// the text layouts this package writes. The value is always UTC.
type Time struct {
	Time  time.Time
	Valid bool
}

// storedLayouts are the text forms of a timestamp: modernc's _time_format=sqlite first.
var storedLayouts = []string{"2006-01-02 15:04:05.999999999-07:00", time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999"}

// Scan implements sql.Scanner.
func (t *Time) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*t = Time{}
		return nil
	case time.Time:
		*t = Time{Time: x.UTC(), Valid: true}
		return nil
	case string:
		return t.parse(x)
	case []byte:
		return t.parse(string(x))
	}
	return fmt.Errorf("store: cannot scan %T as a timestamp", v)
}

func (t *Time) parse(s string) error {
	for _, layout := range storedLayouts {
		if p, err := time.Parse(layout, s); err == nil {
			*t = Time{Time: p.UTC(), Valid: true}
			return nil
		}
	}
	return fmt.Errorf("store: unreadable timestamp %q", s)
}
