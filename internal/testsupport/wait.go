package testsupport

import (
	"bytes"
	"context"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// WaitFor polls cond every 2 ms until it holds, and fails the test
// naming what it waited for once d has passed: how tests wait for a
// state instead of sleeping for it.
func WaitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	if !Eventually(d, cond) {
		t.Fatalf("timed out after %v waiting for %s", d, what)
	}
}

// Eventually polls cond every 2 ms until it holds or d passes, and
// reports whether it held: for a test that explains a failure itself.
func Eventually(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(2 * time.Millisecond)
	}
	return true
}

// LockedBuffer is a bytes.Buffer safe for one writer and concurrent
// readers: a command's output that a test reads while it runs.
type LockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (l *LockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns what was written so far.
func (l *LockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// FreeAddr returns a loopback host:port that nothing listens on (yet):
// an ephemeral port bound and released, for a process started later.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// Probe sends, then waits up to 20 ms for received to report that what
// was sent arrived, again and again until it does or d passes (then the
// test fails, naming what): how a test learns that a subscription has
// reached a PUB socket, which drops what it is sent before.
func Probe(t testing.TB, d time.Duration, what string, send func(), received func(ctx context.Context) bool) {
	t.Helper()
	WaitFor(t, d, what, func() bool {
		send()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		return received(ctx)
	})
}

// LogWriter returns a writer that logs each write on t (until the test
// ends; later writes are dropped, since t.Log must not be called then).
func LogWriter(t testing.TB) io.Writer {
	w := &logWriter{t: t}
	t.Cleanup(func() {
		w.mu.Lock()
		w.done = true
		w.mu.Unlock()
	})
	return w
}

type logWriter struct {
	mu   sync.Mutex
	t    testing.TB
	done bool
}

func (w *logWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}
