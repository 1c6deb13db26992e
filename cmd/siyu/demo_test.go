package main

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

// bannerWriter collects a command's output and signals when the demo banner is complete.
type bannerWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	once  sync.Once
	ready chan struct{}
}

func (w *bannerWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, err := w.buf.Write(p)
	if strings.Contains(w.buf.String(), "Stop with Ctrl-C") {
		w.once.Do(func() { close(w.ready) })
	}
	return n, err
}

func (w *bannerWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// TestDemoCommand starts `siyu demo` with its simulator and crowd, lets the crowd run for a
// moment, and stops it like Ctrl-C does: the command must print the simulator and exit cleanly.
func TestDemoCommand(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &bannerWriter{ready: make(chan struct{})}
	var errOut bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"demo", "--data", t.TempDir(), "--addr", "127.0.0.1:0", "--log-level", "error", "--seed", "3"},
			strings.NewReader(""), out, &errOut)
	}()
	select {
	case <-out.ready:
	case code := <-done:
		t.Fatalf("siyu demo exited with %d before printing its banner: %s %s", code, out.String(), errOut.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("no banner after 60 s: %s", out.String())
	}
	banner := out.String()
	for _, want := range []string{"username  admin", "WeCom simulator  http://127.0.0.1:", "seed 3"} {
		if !strings.Contains(banner, want) {
			t.Errorf("banner lacks %q:\n%s", want, banner)
		}
	}
	time.Sleep(1500 * time.Millisecond) // the burst is under way
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("siyu demo exited with %d after Ctrl-C: %s", code, errOut.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("siyu demo did not stop within 30 s of Ctrl-C")
	}
}
