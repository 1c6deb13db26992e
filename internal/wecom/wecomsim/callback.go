package wecomsim

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/siyu-scrm/siyu/internal/wecom"
)

// Delivery outcomes of an EventRecord.
const (
	DeliveryNone      = "no_callback" // no callback URL configured when the event happened
	DeliveryQueued    = "queued"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed" // every attempt failed
)

// maxEventLog bounds the in-memory event log.
const maxEventLog = 5000

// EventRecord is an event the simulator emitted and what became of its delivery.
type EventRecord struct {
	ID         int64     `json:"id"`
	Event      string    `json:"event"`
	ChangeType string    `json:"change_type"`
	CreateTime int64     `json:"create_time"`
	XML        string    `json:"xml"`
	Status     string    `json:"status"`
	Attempts   []Attempt `json:"attempts,omitempty"`
}

// Attempt is one delivery of an event.
type Attempt struct {
	At         time.Time `json:"at"`
	StatusCode int       `json:"status_code,omitempty"`
	Error      string    `json:"error,omitempty"`
	Took       string    `json:"took"`
}

// field is one element of an event's XML; strings become CDATA, integers plain text and
// []string a list of <Item>s.
type field struct {
	k string
	v any
}

func f(k string, v any) field { return field{k, v} }

func cdataEscape(s string) string {
	// "]]>" cannot appear inside CDATA; split it across two sections.
	return strings.ReplaceAll(s, "]]>", "]]]]><![CDATA[>")
}

func buildXML(fields []field) []byte {
	var b bytes.Buffer
	b.WriteString("<xml>")
	for _, fl := range fields {
		b.WriteString("<" + fl.k + ">")
		switch v := fl.v.(type) {
		case string:
			b.WriteString("<![CDATA[" + cdataEscape(v) + "]]>")
		case int:
			b.WriteString(strconv.Itoa(v))
		case int64:
			b.WriteString(strconv.FormatInt(v, 10))
		case []string:
			for _, it := range v {
				b.WriteString("<Item><![CDATA[" + cdataEscape(it) + "]]></Item>")
			}
		default:
			b.WriteString("<![CDATA[" + cdataEscape(fmt.Sprint(v)) + "]]>")
		}
		b.WriteString("</" + fl.k + ">")
	}
	b.WriteString("</xml>")
	return b.Bytes()
}

// emit records an event and, when a callback is configured, queues its delivery; s.mu is held.
func (s *Sim) emit(event, changeType string, fields ...field) *EventRecord {
	now := s.now().Unix()
	all := append([]field{
		f("ToUserName", s.cfg.CorpID),
		f("FromUserName", "sys"),
		f("CreateTime", now),
		f("MsgType", "event"),
		f("Event", event),
		f("ChangeType", changeType),
	}, fields...)
	s.eventSeq++
	rec := &EventRecord{ID: s.eventSeq, Event: event, ChangeType: changeType, CreateTime: now, XML: string(buildXML(all)), Status: DeliveryNone}
	s.events = append(s.events, rec)
	if len(s.events) > maxEventLog {
		s.events = s.events[len(s.events)-maxEventLog:]
	}
	if s.crypter == nil || s.closed {
		return rec
	}
	sealed, err := s.crypter.SealMessage([]byte(rec.XML), s.cfg.CorpID, s.cfg.AgentID)
	if err != nil {
		rec.Status = DeliveryFailed
		rec.Attempts = append(rec.Attempts, Attempt{At: s.now(), Error: err.Error()})
		return rec
	}
	target, err := sealed.URL(s.callback.URL)
	if err != nil {
		rec.Status = DeliveryFailed
		rec.Attempts = append(rec.Attempts, Attempt{At: s.now(), Error: err.Error()})
		return rec
	}
	rec.Status = DeliveryQueued
	s.enqueue(&delivery{rec: rec, target: target, body: sealed.Body})
	return rec
}

type delivery struct {
	rec    *EventRecord
	target string
	body   []byte
}

// enqueue queues a delivery and starts a worker if fewer than CallbackConcurrency run; s.mu is
// held (and qmu taken after it).
func (s *Sim) enqueue(d *delivery) {
	s.wg.Add(1)
	s.qmu.Lock()
	defer s.qmu.Unlock()
	s.queue = append(s.queue, d)
	if s.workers < s.cfg.CallbackConcurrency {
		s.workers++
		go s.worker()
	}
	s.qcond.Signal()
}

// worker delivers queued events one at a time until the simulator closes.
func (s *Sim) worker() {
	for {
		s.qmu.Lock()
		for len(s.queue) == 0 && s.ctx.Err() == nil {
			s.qcond.Wait()
		}
		if s.ctx.Err() != nil {
			rest := s.queue
			s.queue = nil
			s.qmu.Unlock()
			// Never take mu while holding qmu.
			s.mu.Lock()
			for _, d := range rest {
				d.rec.Status = DeliveryFailed
			}
			s.mu.Unlock()
			for range rest {
				s.wg.Done()
			}
			return
		}
		d := s.queue[0]
		s.queue = s.queue[1:]
		s.qmu.Unlock()
		s.deliver(d.rec, d.target, d.body)
	}
}

// deliver POSTs one event, re-delivering when no 200 comes back within the timeout, up to
// CallbackAttempts deliveries in all (WeCom: 5 s, three times). The same signed envelope is
// re-sent each time, as a retry of the same request.
func (s *Sim) deliver(rec *EventRecord, target string, body []byte) {
	defer s.wg.Done()
	for attempt := 1; attempt <= s.cfg.CallbackAttempts; attempt++ {
		start := time.Now()
		code, err := s.post(target, body)
		a := Attempt{At: start, StatusCode: code, Took: time.Since(start).Round(time.Millisecond).String()}
		if err != nil {
			a.Error = err.Error()
		}
		ok := err == nil && code == http.StatusOK
		s.mu.Lock()
		rec.Attempts = append(rec.Attempts, a)
		if ok {
			rec.Status = DeliveryDelivered
		} else if attempt == s.cfg.CallbackAttempts {
			rec.Status = DeliveryFailed
		}
		s.mu.Unlock()
		if ok {
			return
		}
		s.log.Warn("callback delivery failed", slog.Int64("event", rec.ID), slog.String("change_type", rec.ChangeType),
			slog.Int("attempt", attempt), slog.Int("status", code), slog.Any("err", err))
		if attempt < s.cfg.CallbackAttempts {
			select {
			case <-s.ctx.Done():
				s.mu.Lock()
				rec.Status = DeliveryFailed
				s.mu.Unlock()
				return
			case <-time.After(s.cfg.CallbackRetryDelay):
			}
		}
		if s.ctx.Err() != nil {
			s.mu.Lock()
			rec.Status = DeliveryFailed
			s.mu.Unlock()
			return
		}
	}
}

func (s *Sim) post(target string, body []byte) (int, error) {
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.CallbackTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.Header.Set("User-Agent", "Mozilla/4.0 (wecomsim)")
	resp, err := s.cfg.CallbackClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	// Reading the answer is part of the exchange the timeout covers.
	if _, err := io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)); err != nil {
		return resp.StatusCode, err
	}
	return resp.StatusCode, nil
}

func (s *Sim) newCrypter(cb CallbackConfig) (*wecom.Crypter, error) {
	if cb.URL == "" {
		return nil, nil
	}
	if _, err := url.ParseRequestURI(cb.URL); err != nil {
		return nil, fmt.Errorf("%w: callback url: %v", ErrInvalid, err)
	}
	c, err := wecom.NewCrypter(cb.Token, cb.EncodingAESKey, s.cfg.CorpID, wecom.WithClock(s.cfg.Now))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return c, nil
}

// SetCallback sets (or, with an empty URL, clears) the callback configuration. With verify,
// it first does what WeCom does when the admin saves the URL: a signed GET with an encrypted
// echostr, which must be answered with the bare plaintext.
func (s *Sim) SetCallback(ctx context.Context, cb CallbackConfig, verify bool) error {
	c, err := s.newCrypter(cb)
	if err != nil {
		return err
	}
	if c != nil && verify {
		if err := s.verifyURL(ctx, c, cb.URL); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.callback, s.crypter = cb, c
	return nil
}

func (s *Sim) verifyURL(ctx context.Context, c *wecom.Crypter, target string) error {
	s.mu.Lock()
	echo := s.newID("", 19, "0123456789")
	s.mu.Unlock()
	q, err := c.SealEcho(echo)
	if err != nil {
		return err
	}
	u, err := url.Parse(target)
	if err != nil {
		return fmt.Errorf("%w: callback url: %v", ErrInvalid, err)
	}
	uq := u.Query()
	for k, v := range q {
		uq[k] = v
	}
	u.RawQuery = uq.Encode()
	ctx, cancel := context.WithTimeout(ctx, s.cfg.CallbackTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	resp, err := s.cfg.CallbackClient.Do(req)
	if err != nil {
		return fmt.Errorf("%w: callback url verification: %v", ErrInvalid, err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK || string(got) != echo {
		return fmt.Errorf("%w: callback url verification failed (errcode %d): status %d, body %q, want the bare echostr %q",
			ErrInvalid, 40057, resp.StatusCode, got, echo)
	}
	return nil
}

// Events returns the event log (most recent last).
func (s *Sim) Events() []EventRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]EventRecord, len(s.events))
	for i, e := range s.events {
		out[i] = *e
		out[i].Attempts = append([]Attempt(nil), e.Attempts...)
	}
	return out
}

type fault struct {
	Path    string `json:"path"`
	ErrCode int    `json:"errcode"`
	Count   int    `json:"count"`
}

// InjectFault makes the next count calls of an endpoint (e.g. "externalcontact/get", or "*"
// for any) answer errcode, to exercise a client's retry and refresh rules (-1, 45009, 42001…).
func (s *Sim) InjectFault(path string, errcode, count int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &fault{Path: strings.TrimPrefix(path, "/cgi-bin/"), ErrCode: errcode, Count: count})
}

// takeFault consumes a matching fault and returns its errcode (0 if none); s.mu is held.
func (s *Sim) takeFault(path string) int {
	for i, ft := range s.faults {
		if ft.Count > 0 && (ft.Path == path || ft.Path == "*") {
			ft.Count--
			code := ft.ErrCode
			if ft.Count == 0 {
				s.faults = append(s.faults[:i], s.faults[i+1:]...)
			}
			return code
		}
	}
	return 0
}
