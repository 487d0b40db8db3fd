package zmtp

import (
	"context"
	"encoding/binary"
	"errors"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// drainRun is one receiving socket's life in a hand-over: it reads until
// it holds at least stopAt messages, drains while it keeps reading, and
// returns; got counts every message index received.
func drainRun(t *testing.T, ctx context.Context, pull *Socket, got []int, stopAt int) (drained time.Duration) {
	t.Helper()
	var m Msg
	recv := func(ctx context.Context) bool {
		if err := pull.RecvInto(ctx, &m); err != nil {
			return false
		}
		if len(m) != 2 || len(m[1]) != 8 {
			t.Errorf("malformed message %q", m)
			return true
		}
		got[binary.BigEndian.Uint64(m[1])]++
		return true
	}
	n := 0
	for n < stopAt && recv(ctx) {
		n++
	}
	start := time.Now()
	done := make(chan error, 1)
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	go func() { done <- pull.Drain(dctx) }()
	// Keep reading while the peers finish: a reader blocked on a full
	// queue would never see their goodbye.
	rctx, rcancel := context.WithCancel(ctx)
	defer rcancel()
	reading := make(chan struct{})
	go func() {
		defer close(reading)
		for recv(rctx) {
		}
	}()
	if err := <-done; err != nil {
		t.Fatalf("Drain: %v", err)
	}
	drained = time.Since(start)
	rcancel()
	<-reading
	// What the last peers wrote is in the queue: read it without waiting.
	for recv(cancelledCtx) {
	}
	return drained
}

// TestDrainHandsOverWithoutLoss: a PULL that drains mid-stream and a new
// PULL bound on the same endpoint receive, between them, every message a
// PUSH sent, each once, on every transport.
func TestDrainHandsOverWithoutLoss(t *testing.T) {
	for _, tr := range []string{"tcp", "ipc", "inproc"} {
		t.Run(tr, func(t *testing.T) {
			if tr == "ipc" && runtime.GOOS == "windows" {
				t.Skip("no ipc on Windows")
			}
			ctx := testCtx(t)
			pull := newSock(t, PULL, &Options{RecvHWM: 100})
			var ep string
			switch tr {
			case "tcp":
				ep = bindLocal(t, pull)
			case "ipc":
				ep = "ipc://" + filepath.Join(t.TempDir(), "sock")
			case "inproc":
				ep = "inproc://" + strings.ReplaceAll(t.Name(), "/", "-")
			}
			if tr != "tcp" {
				if err := pull.Bind(ep); err != nil {
					t.Fatal(err)
				}
			}
			push := newSock(t, PUSH, &Options{ReconnectInterval: 5 * time.Millisecond, ReconnectIntervalMax: 20 * time.Millisecond})
			if err := push.Connect(ep); err != nil {
				t.Fatal(err)
			}
			const n = 100000
			sent := make(chan error, 1)
			go func() {
				var b [8]byte
				for i := range n {
					binary.BigEndian.PutUint64(b[:], uint64(i))
					if err := push.SendFrames(ctx, []byte("T"), b[:]); err != nil {
						sent <- err
						return
					}
				}
				sent <- nil
			}()
			got := make([]int, n)
			took := drainRun(t, ctx, pull, got, n/4)
			if err := pull.Close(); err != nil {
				t.Fatal(err)
			}
			next := newSock(t, PULL, nil)
			if err := next.Bind(ep); err != nil {
				t.Fatal(err)
			}
			var m Msg
			total := 0
			for _, c := range got {
				total += c
			}
			for total < n {
				if err := next.RecvInto(ctx, &m); err != nil {
					break
				}
				got[binary.BigEndian.Uint64(m[1])]++
				total++
			}
			if err := <-sent; err != nil {
				t.Fatal(err)
			}
			lost, dup := 0, 0
			for _, c := range got {
				if c == 0 {
					lost++
				}
				dup += max(c-1, 0)
			}
			t.Logf("%s: drain took %v; push requeued %d", tr, took, push.Stats().Requeued)
			if lost != 0 || dup != 0 {
				t.Fatalf("%d of %d messages lost, %d duplicated", lost, n, dup)
			}
		})
	}
}

// TestDrainRefusals: sockets that do not receive cannot drain; a closed
// one says so.
func TestDrainRefusals(t *testing.T) {
	push := newSock(t, PUSH, nil)
	if err := push.Drain(context.Background()); !errors.Is(err, ErrNotSupported) {
		t.Fatalf("PUSH Drain: %v", err)
	}
	pull := newSock(t, PULL, nil)
	if err := pull.Close(); err != nil {
		t.Fatal(err)
	}
	if err := pull.Drain(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Drain after Close: %v", err)
	}
}

// TestDrainStopsAccepting: once draining, a socket takes no new
// connection: the dialler is refused and keeps its messages.
func TestDrainStopsAccepting(t *testing.T) {
	ctx := testCtx(t)
	pull := newSock(t, PULL, nil)
	ep := bindLocal(t, pull)
	if err := pull.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	push := newSock(t, PUSH, &Options{ReconnectInterval: 5 * time.Millisecond})
	if err := push.Connect(ep); err != nil {
		t.Fatal(err)
	}
	if err := push.SendFrames(ctx, []byte("kept")); err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if m, err := pull.Recv(rctx); err == nil {
		t.Fatalf("a draining socket received %q", m)
	}
	if st := push.Stats(); st.Queued != 1 || push.PeerCount() != 0 {
		t.Fatalf("pusher: %d queued, %d peers", st.Queued, push.PeerCount())
	}
}

// TestDrainLibzmqPush: a libzmq PUSH (pyzmq; what distlog and logbook
// clients use) takes the half-close as the end of its connection and
// sends what it had not written to the socket bound next on the same
// endpoint. Nothing is repeated; at most one message is lost: the one
// libzmq was writing when it saw the end, whose rest it discards (its
// encoder's message is gone from its queue by then). Our PUSH sends such
// a message again whole.
func TestDrainLibzmqPush(t *testing.T) {
	ctx := testCtx(t)
	pull := newSock(t, PULL, &Options{RecvHWM: 100})
	ep := bindLocal(t, pull)
	const n = 100000
	py := startPy(t, "--role", "push", "--connect", ep, "--count", "100000", "--size", "8")
	t.Cleanup(py.stop)
	got := make([]int, n)
	drainRun(t, ctx, pull, got, n/4)
	if err := pull.Close(); err != nil {
		t.Fatal(err)
	}
	next := newSock(t, PULL, nil)
	if err := next.Bind(ep); err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, c := range got {
		total += c
	}
	var m Msg
	for total < n {
		if err := next.RecvInto(ctx, &m); err != nil {
			break
		}
		got[binary.BigEndian.Uint64(m[1])]++
		total++
	}
	py.expect("DONE")
	lost, dup := 0, 0
	for _, c := range got {
		if c == 0 {
			lost++
		}
		dup += max(c-1, 0)
	}
	if lost > 1 || dup != 0 {
		t.Fatalf("%d of %d messages lost, %d duplicated", lost, n, dup)
	}
	t.Logf("%d of %d lost", lost, n)
}

// TestDrainWaitsForAttaching: a connection whose handshake has ended but
// that is not attached yet is waited for like a peer: Drain does not
// return before it has hung up, and what it sent is read.
func TestDrainWaitsForAttaching(t *testing.T) {
	ctx := testCtx(t)
	pull := newSock(t, PULL, nil)
	ep := bindLocal(t, pull)
	inGap := make(chan struct{})
	release := make(chan struct{})
	testHookHandshakeDone = func(s *Socket) {
		if s != pull {
			return
		}
		select {
		case inGap <- struct{}{}:
			<-release
		default:
		}
	}
	t.Cleanup(func() { testHookHandshakeDone = nil })
	push := newSock(t, PUSH, nil)
	if err := push.Connect(ep); err != nil {
		t.Fatal(err)
	}
	if err := push.SendFrames(ctx, []byte("T"), []byte("sent in the gap")); err != nil {
		t.Fatal(err)
	}
	<-inGap // the pull's side of the connection is between handshake and attach
	drained := make(chan error, 1)
	go func() { drained <- pull.Drain(ctx) }()
	select {
	case err := <-drained:
		t.Fatalf("Drain returned (%v) while a connection was attaching", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	m, err := pull.Recv(ctx)
	if err != nil || string(m[1]) != "sent in the gap" {
		t.Fatalf("the attaching peer's message: %q %v", m, err)
	}
	if err := <-drained; err != nil {
		t.Fatal(err)
	}
}
