package testsupport

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"sync/atomic"
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

// FreeAddr returns a loopback host:port that nothing listens on (yet),
// for a process started later or restarted on it. It is drawn below the
// range the kernel takes source ports of outgoing connections from
// (32768 and up on Linux by default, 49152 and up elsewhere): a port
// from that range, released, can be taken by any connection's source
// port before the daemon binds it (seen as "address already in use" in
// the fault matrix). Each candidate is bound and released to check it.
func FreeAddr(t testing.TB) string {
	t.Helper()
	for range 100 {
		port := 20000 + freePorts.Add(1)%12000
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue // taken: another
		}
		addr := l.Addr().String()
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		return addr
	}
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

// freePorts spreads FreeAddr's candidates: a process-wide counter from a
// random start, so that test binaries running at once rarely try the same.
var freePorts = func() *atomic.Uint32 {
	var c atomic.Uint32
	c.Store(uint32(rand.IntN(12000)))
	return &c
}()

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
