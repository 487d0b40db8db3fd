package zmtp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/logbus/logbus/internal/testsupport"
)

func TestConnectBeforeBindAndReconnect(t *testing.T) {
	// The PUSH side connects before anything listens, the PULL restarts
	// mid-stream, and messages sent during the outage arrive afterwards,
	// in order and exactly once.
	ctx := testCtx(t)
	ep := deadEndpoint(t)
	push := newSock(t, PUSH, &Options{ReconnectInterval: 10 * time.Millisecond, ReconnectIntervalMax: 40 * time.Millisecond})
	if err := push.Connect(ep); err != nil {
		t.Fatal(err)
	}
	const n = 300
	send := func(from, to int) {
		for i := from; i < to; i++ {
			if err := push.SendFrames(ctx, []byte("T"), mkPayload(i, 32)); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Queued while nothing listens.
	send(0, n)
	if q := push.Stats().Queued; q != n {
		t.Fatalf("queued %d, want %d", q, n)
	}
	recvRange := func(s *Socket, from, to int) {
		t.Helper()
		for i := from; i < to; i++ {
			m, err := s.Recv(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got := payloadIndex(t, m); got != uint64(i) {
				t.Fatalf("got message %d, want %d", got, i)
			}
		}
	}
	pull1, err := NewSocket(PULL, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := pull1.Bind(ep); err != nil {
		t.Fatal(err)
	}
	recvRange(pull1, 0, n)
	send(n, 2*n)
	recvRange(pull1, n, 2*n)
	// The receiver goes away.
	if err := pull1.Close(); err != nil {
		t.Fatal(err)
	}
	testsupport.WaitFor(t, 10*time.Second, "disconnect noticed", func() bool { return push.PeerCount() == 0 })
	send(2*n, 3*n)
	if q := push.Stats().Queued; q != n {
		t.Fatalf("queued during outage %d, want %d", q, n)
	}
	pull2 := newSock(t, PULL, nil)
	if err := pull2.Bind(ep); err != nil {
		t.Fatal(err)
	}
	recvRange(pull2, 2*n, 3*n)
	send(3*n, 4*n)
	recvRange(pull2, 3*n, 4*n)
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if m, err := pull2.Recv(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("duplicate or extra message %q (%v)", m, err)
	}
	testsupport.WaitFor(t, 10*time.Second, "sent counter", func() bool { return push.Stats().Sent == 4*n })
	if st := push.Stats(); st.Dropped.Total() != 0 || st.Connects != 2 {
		t.Fatalf("push stats %+v", st)
	}
}

func TestPushRoundRobin(t *testing.T) {
	ctx := testCtx(t)
	push := newSock(t, PUSH, nil)
	ep := bindLocal(t, push)
	pulls := []*Socket{newSock(t, PULL, nil), newSock(t, PULL, nil)}
	for _, p := range pulls {
		if err := p.Connect(ep); err != nil {
			t.Fatal(err)
		}
	}
	testsupport.WaitFor(t, 10*time.Second, "two peers", func() bool { return push.PeerCount() == 2 })
	const n = 1000
	for i := 0; i < n; i++ {
		if err := push.SendFrames(ctx, []byte("T"), mkPayload(i, 8)); err != nil {
			t.Fatal(err)
		}
	}
	seen := make(map[uint64]bool)
	counts := make([]int, 2)
	for len(seen) < n {
		for j, p := range pulls {
			short, cancel := context.WithTimeout(ctx, 5*time.Millisecond)
			m, err := p.Recv(short)
			cancel()
			if errors.Is(err, context.DeadlineExceeded) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			i := payloadIndex(t, m)
			if seen[i] {
				t.Fatalf("message %d delivered twice", i)
			}
			seen[i] = true
			counts[j]++
		}
	}
	if counts[0] != n/2 || counts[1] != n/2 {
		t.Fatalf("not round-robin: %v", counts)
	}
}

func TestSendCopiesCallerBuffer(t *testing.T) {
	ctx := testCtx(t)
	for _, typ := range []Type{PUSH, PUB} {
		t.Run(typ.String(), func(t *testing.T) {
			// NoDrop: this test wants every message, not PUB's lossy default.
			snd := newSock(t, typ, &Options{NoDrop: true})
			ep := bindLocal(t, snd)
			rcvT := PULL
			if typ == PUB {
				rcvT = SUB
			}
			rcv := newSock(t, rcvT, nil)
			if typ == PUB {
				if err := rcv.Subscribe(nil); err != nil {
					t.Fatal(err)
				}
			}
			if err := rcv.Connect(ep); err != nil {
				t.Fatal(err)
			}
			if typ == PUB {
				waitSubscribed(t, snd, 1)
			} else {
				testsupport.WaitFor(t, 10*time.Second, "peer", func() bool { return snd.PeerCount() == 1 })
			}
			buf := make([]byte, 64)
			const n = 2000
			for i := 0; i < n; i++ {
				copy(buf, fmt.Sprintf("%08d", i))
				if err := snd.SendFrames(ctx, []byte("T"), buf); err != nil {
					t.Fatal(err)
				}
				copy(buf, "XXXXXXXX") // reuse must not show in what was sent
			}
			for i := 0; i < n; i++ {
				m, err := rcv.Recv(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if want := fmt.Sprintf("%08d", i); string(m[1][:8]) != want {
					t.Fatalf("message %d corrupted: %q", i, m[1][:8])
				}
			}
		})
	}
}

func TestPubSlowSubscriberDoesNotStallOthers(t *testing.T) {
	ctx := testCtx(t)
	pub := newSock(t, PUB, &Options{SendHWM: 100})
	ep := bindLocal(t, pub)
	// A subscriber that subscribes to everything and never reads.
	stalled := rawDial(t, ep)
	rawHandshake(t, stalled, "SUB")
	mustWrite(t, stalled, appendCommand(nil, cmdSUBSCRIBE))
	// The healthy subscriber is read only at the end: it must be able to
	// hold everything.
	healthy := newSock(t, SUB, &Options{RecvHWM: 100000, RecvHWMBytes: 1 << 30})
	if err := healthy.Subscribe(nil); err != nil {
		t.Fatal(err)
	}
	if err := healthy.Connect(ep); err != nil {
		t.Fatal(err)
	}
	waitSubscribed(t, pub, 2)
	const n = 20000
	payload := make([]byte, 1000)
	for i := 0; i < n; i++ {
		binaryIndex(payload, i)
		if err := pub.SendFrames(ctx, []byte("T"), payload); err != nil {
			t.Fatal(err)
		}
		if i%50 == 49 {
			// Pace like a real publisher: let the healthy subscriber's
			// queue drain, which it can only do if the stalled one does
			// not hold it up.
			testsupport.WaitFor(t, 10*time.Second, "healthy queue drained", func() bool {
				for _, p := range pub.Stats().Peers {
					if p.Remote != stalled.LocalAddr().String() && p.Queued == 0 {
						return true
					}
				}
				return false
			})
		}
	}
	var st Stats
	testsupport.WaitFor(t, 10*time.Second, "queues drained or stuck", func() bool {
		st = pub.Stats()
		return len(st.Peers) == 2
	})
	var stalledDrops, healthyDrops uint64
	for _, p := range st.Peers {
		if p.Remote == stalled.LocalAddr().String() {
			stalledDrops = p.Dropped
		} else {
			healthyDrops = p.Dropped
		}
	}
	if healthyDrops != 0 {
		t.Fatalf("healthy subscriber lost %d messages", healthyDrops)
	}
	if stalledDrops == 0 {
		t.Fatalf("stalled subscriber had no drops: %+v", st)
	}
	received := 0
	for uint64(received)+healthyDrops < n {
		if _, err := healthy.Recv(ctx); err != nil {
			t.Fatalf("healthy got %d of %d (dropped %d): %v", received, n, healthyDrops, err)
		}
		received++
	}
	if st.Dropped.QueueFull != stalledDrops+healthyDrops {
		t.Fatalf("total drops %d != per-peer %d+%d", st.Dropped.QueueFull, stalledDrops, healthyDrops)
	}
	t.Logf("healthy received %d, dropped %d; stalled dropped %d", received, healthyDrops, stalledDrops)
}

func binaryIndex(b []byte, i int) { copy(b, fmt.Sprintf("%08d", i)) }

func TestPubNoDropBlocks(t *testing.T) {
	pub := newSock(t, PUB, &Options{SendHWM: 10, NoDrop: true, SendHWMBytes: 1 << 10})
	ep := bindLocal(t, pub)
	stalled := rawDial(t, ep)
	rawHandshake(t, stalled, "SUB")
	mustWrite(t, stalled, appendCommand(nil, cmdSUBSCRIBE))
	waitSubscribed(t, pub, 1)
	ctx, cancel := context.WithTimeout(testCtx(t), 300*time.Millisecond)
	defer cancel()
	payload := make([]byte, 64<<10)
	var err error
	for i := 0; i < 10000 && err == nil; i++ {
		err = pub.SendFrames(ctx, []byte("T"), payload)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("NoDrop send to a stalled subscriber: %v", err)
	}
	if st := pub.Stats(); st.Dropped.Total() != 0 {
		t.Fatalf("NoDrop dropped: %+v", st.Dropped)
	}
}

func TestCloseCountsLinger(t *testing.T) {
	ctx := testCtx(t)
	push, err := NewSocket(PUSH, &Options{Linger: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := push.Connect(deadEndpoint(t)); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		if err := push.SendFrames(ctx, []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	if err := push.Close(); err != nil {
		t.Fatal(err)
	}
	if err := push.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if st := push.Stats(); st.Dropped.Linger != 5 || st.Queued != 0 {
		t.Fatalf("stats %+v", st)
	}
	if err := push.SendFrames(ctx, []byte("x")); !errors.Is(err, ErrClosed) {
		t.Fatalf("send after close: %v", err)
	}
	var nilSock *Socket
	if err := nilSock.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestPushQueueBoundWhileDisconnected(t *testing.T) {
	push := newSock(t, PUSH, &Options{SendHWM: 3, Linger: -1})
	if err := push.Connect(deadEndpoint(t)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(testCtx(t), 50*time.Millisecond)
	defer cancel()
	for i := 0; i < 3; i++ {
		if err := push.SendFrames(ctx, []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	if err := push.SendFrames(ctx, []byte("x")); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("fourth send: %v", err)
	}
	if err := push.TrySend(Msg{[]byte("x")}); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("TrySend on a full queue: %v", err)
	}
	if st := push.Stats(); st.Queued != 3 {
		t.Fatalf("queued %d", st.Queued)
	}
}

func TestXPubXSubProxy(t *testing.T) {
	// SUB -> XPUB | proxy | XSUB -> PUB: subscriptions travel upstream
	// through the application, data travels down.
	ctx := testCtx(t)
	pub := newSock(t, PUB, nil)
	pubEP := bindLocal(t, pub)
	xsub := newSock(t, XSUB, nil)
	if err := xsub.Connect(pubEP); err != nil {
		t.Fatal(err)
	}
	xpub := newSock(t, XPUB, nil)
	xpubEP := bindLocal(t, xpub)
	sub := newSock(t, SUB, nil)
	if err := sub.Subscribe([]byte("news")); err != nil {
		t.Fatal(err)
	}
	if err := sub.Connect(xpubEP); err != nil {
		t.Fatal(err)
	}
	m, err := xpub.Recv(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 1 || string(m[0]) != "\x01news" {
		t.Fatalf("xpub got %q", m)
	}
	if err := xsub.Send(ctx, m); err != nil {
		t.Fatal(err)
	}
	waitSubscribed(t, pub, 1)
	for _, topic := range []string{"sport", "news-1"} {
		if err := pub.SendFrames(ctx, []byte(topic), []byte("body")); err != nil {
			t.Fatal(err)
		}
	}
	m, err = xsub.Recv(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if string(m[0]) != "news-1" {
		t.Fatalf("xsub got %q", m)
	}
	if err := xpub.Send(ctx, m); err != nil {
		t.Fatal(err)
	}
	m, err = sub.Recv(ctx)
	if err != nil || string(m[0]) != "news-1" || string(m[1]) != "body" {
		t.Fatalf("sub got %q %v", m, err)
	}
}

func TestSubResubscribesAfterReconnect(t *testing.T) {
	ctx := testCtx(t)
	pub1, err := NewSocket(PUB, nil)
	if err != nil {
		t.Fatal(err)
	}
	ep := bindLocal(t, pub1)
	sub := newSock(t, SUB, &Options{ReconnectInterval: 10 * time.Millisecond, ReconnectIntervalMax: 20 * time.Millisecond})
	if err := sub.Subscribe([]byte("k")); err != nil {
		t.Fatal(err)
	}
	if err := sub.Connect(ep); err != nil {
		t.Fatal(err)
	}
	waitSubscribed(t, pub1, 1)
	if err := pub1.Close(); err != nil {
		t.Fatal(err)
	}
	pub2 := newSock(t, PUB, nil)
	if err := pub2.Bind(ep); err != nil {
		t.Fatal(err)
	}
	waitSubscribed(t, pub2, 1)
	if err := pub2.SendFrames(ctx, []byte("k1"), []byte("v")); err != nil {
		t.Fatal(err)
	}
	if m, err := sub.Recv(ctx); err != nil || string(m[0]) != "k1" {
		t.Fatalf("%q %v", m, err)
	}
}

func TestPlainBetweenOurSockets(t *testing.T) {
	ctx := testCtx(t)
	auth := func(user, pass string, _ net.Addr) error {
		if user == "u" && pass == "p" {
			return nil
		}
		return errors.New("no")
	}
	pull := newSock(t, PULL, &Options{PlainAuth: auth})
	ep := bindLocal(t, pull)
	bad := newSock(t, PUSH, &Options{PlainUsername: "u", PlainPassword: "x", Linger: -1})
	if err := bad.Connect(ep); err != nil {
		t.Fatal(err)
	}
	testsupport.WaitFor(t, 10*time.Second, "refusal on both sides", func() bool {
		return bad.Stats().Rejected.Auth > 0 && pull.Stats().Rejected.Auth > 0
	})
	good := newSock(t, PUSH, &Options{PlainUsername: "u", PlainPassword: "p"})
	if err := good.Connect(ep); err != nil {
		t.Fatal(err)
	}
	if err := good.SendFrames(ctx, []byte("hi")); err != nil {
		t.Fatal(err)
	}
	if m, err := pull.Recv(ctx); err != nil || string(m[0]) != "hi" {
		t.Fatalf("%q %v", m, err)
	}
	// A NULL client cannot reach a PLAIN server.
	null := newSock(t, PUSH, &Options{Linger: -1})
	if err := null.Connect(ep); err != nil {
		t.Fatal(err)
	}
	testsupport.WaitFor(t, 10*time.Second, "mechanism mismatch", func() bool { return null.Stats().Rejected.Mechanism > 0 })
}

func TestIdentityAndPeerStats(t *testing.T) {
	pull := newSock(t, PULL, nil)
	ep := bindLocal(t, pull)
	push := newSock(t, PUSH, &Options{Identity: []byte("scope-3")})
	if err := push.Connect(ep); err != nil {
		t.Fatal(err)
	}
	testsupport.WaitFor(t, 10*time.Second, "peer", func() bool { return pull.PeerCount() == 1 })
	st := pull.Stats()
	if st.Peers[0].SocketType != "PUSH" || !bytes.Equal(st.Peers[0].Identity, []byte("scope-3")) {
		t.Fatalf("peer stats %+v", st.Peers[0])
	}
}

func TestIPv6(t *testing.T) {
	ctx := testCtx(t)
	pull6 := newSock(t, PULL, nil)
	if err := pull6.Bind("tcp://[::1]:0"); err != nil {
		t.Skipf("SKIP: no IPv6 loopback: %v", err)
	}
	if _, ok := pull6.Addr().(*net.TCPAddr); !ok {
		t.Fatalf("Addr %v", pull6.Addr())
	}
	push6 := newSock(t, PUSH, nil)
	if err := push6.Connect(pull6.Endpoints()[0]); err != nil {
		t.Fatal(err)
	}
	if err := push6.SendFrames(ctx, []byte("v6")); err != nil {
		t.Fatal(err)
	}
	if m, err := pull6.Recv(ctx); err != nil || string(m[0]) != "v6" {
		t.Fatalf("%q %v", m, err)
	}
}

func TestIPC(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("SKIP: ipc is Unix-only")
	}
	ctx := testCtx(t)
	dir, err := os.MkdirTemp("", "zmtp")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	ep := "ipc://" + filepath.Join(dir, "sock")
	pull := newSock(t, PULL, nil)
	if err := pull.Bind(ep); err != nil {
		t.Fatal(err)
	}
	push := newSock(t, PUSH, nil)
	if err := push.Connect(ep); err != nil {
		t.Fatal(err)
	}
	if err := push.SendFrames(ctx, []byte("over ipc")); err != nil {
		t.Fatal(err)
	}
	if m, err := pull.Recv(ctx); err != nil || string(m[0]) != "over ipc" {
		t.Fatalf("%q %v", m, err)
	}
}

func TestWrongDirection(t *testing.T) {
	ctx := testCtx(t)
	pull := newSock(t, PULL, nil)
	if err := pull.SendFrames(ctx, []byte("x")); !errors.Is(err, ErrNotSupported) {
		t.Fatalf("PULL send: %v", err)
	}
	push := newSock(t, PUSH, nil)
	if _, err := push.Recv(ctx); !errors.Is(err, ErrNotSupported) {
		t.Fatalf("PUSH recv: %v", err)
	}
	if err := push.Send(ctx, nil); !errors.Is(err, ErrEmptyMsg) {
		t.Fatalf("empty send: %v", err)
	}
	if err := push.Subscribe([]byte("x")); !errors.Is(err, ErrNotSupported) {
		t.Fatalf("PUSH subscribe: %v", err)
	}
	if _, err := NewSocket(Type(99), nil); !errors.Is(err, ErrNotSupported) {
		t.Fatalf("bad type: %v", err)
	}
	if err := push.Bind("tcp://nonsense"); !errors.Is(err, ErrEndpoint) {
		t.Fatalf("bad endpoint: %v", err)
	}
	big := make([]byte, DefaultMaxMsgSize+1)
	if err := push.SendFrames(ctx, big); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversized send: %v", err)
	}
}

func TestSendAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("SKIP: allocation counts are not meaningful under the race detector")
	}
	ctx := testCtx(t)
	pull := newSock(t, PULL, &Options{RecvHWM: 1 << 20, RecvHWMBytes: 1 << 30})
	ep := bindLocal(t, pull)
	push := newSock(t, PUSH, &Options{SendHWM: 1 << 20, SendHWMBytes: 1 << 30})
	if err := push.Connect(ep); err != nil {
		t.Fatal(err)
	}
	testsupport.WaitFor(t, 10*time.Second, "peer", func() bool { return push.PeerCount() == 1 })
	done := make(chan struct{})
	go func() {
		defer close(done)
		var m Msg
		for {
			if err := pull.RecvInto(ctx, &m); err != nil {
				return
			}
		}
	}()
	m := Msg{benchTopic, benchPayload}
	send := func() {
		if err := push.Send(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 20000; i++ {
		send()
	}
	if a := testing.AllocsPerRun(5000, send); a != 0 {
		t.Fatalf("Send allocates %.2f per message", a)
	}
	if err := pull.Close(); err != nil {
		t.Fatal(err)
	}
	<-done
}

func TestXPubCancelsOnDisconnect(t *testing.T) {
	ctx := testCtx(t)
	xpub := newSock(t, XPUB, nil)
	ep := bindLocal(t, xpub)
	sub, err := NewSocket(SUB, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := sub.Subscribe([]byte("w")); err != nil {
		t.Fatal(err)
	}
	if err := sub.Connect(ep); err != nil {
		t.Fatal(err)
	}
	if m, err := xpub.Recv(ctx); err != nil || string(m[0]) != "\x01w" {
		t.Fatalf("%q %v", m, err)
	}
	if err := sub.Close(); err != nil {
		t.Fatal(err)
	}
	if m, err := xpub.Recv(ctx); err != nil || string(m[0]) != "\x00w" {
		t.Fatalf("expected a cancel for the departed subscriber, got %q %v", m, err)
	}
}

func TestInproc(t *testing.T) {
	ctx := testCtx(t)
	push := newSock(t, PUSH, &Options{ReconnectInterval: 5 * time.Millisecond})
	// Connect first: the name is not bound yet.
	if err := push.Connect("inproc://stage"); err != nil {
		t.Fatal(err)
	}
	pull := newSock(t, PULL, nil)
	if err := pull.Bind("inproc://stage"); err != nil {
		t.Fatal(err)
	}
	if err := newSock(t, PULL, nil).Bind("inproc://stage"); !errors.Is(err, ErrEndpoint) {
		t.Fatalf("second bind: %v", err)
	}
	for i := 0; i < 100; i++ {
		if err := push.SendFrames(ctx, []byte("T"), mkPayload(i, 8)); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 100; i++ {
		m, err := pull.Recv(ctx)
		if err != nil || payloadIndex(t, m) != uint64(i) {
			t.Fatalf("%d: %q %v", i, m, err)
		}
	}
	if got := pull.Endpoints()[0]; got != "inproc://stage" {
		t.Fatalf("endpoint %q", got)
	}
}

func TestConcurrentSendRecv(t *testing.T) {
	// Several senders on one PUSH, two PULLs with two receivers each:
	// every message arrives exactly once.
	ctx := testCtx(t)
	push := newSock(t, PUSH, nil)
	ep := bindLocal(t, push)
	pulls := []*Socket{newSock(t, PULL, nil), newSock(t, PULL, nil)}
	for _, p := range pulls {
		if err := p.Connect(ep); err != nil {
			t.Fatal(err)
		}
	}
	testsupport.WaitFor(t, 10*time.Second, "peers", func() bool { return push.PeerCount() == 2 })
	const senders, per = 4, 2000
	errc := make(chan error, senders)
	for g := 0; g < senders; g++ {
		go func(g int) {
			for i := 0; i < per; i++ {
				if err := push.SendFrames(ctx, []byte("T"), mkPayload(g*per+i, 8)); err != nil {
					errc <- err
					return
				}
			}
			errc <- nil
		}(g)
	}
	got := make(chan uint64, senders*per)
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	recvDone := make(chan struct{}, 4)
	for _, p := range pulls {
		for k := 0; k < 2; k++ {
			go func(p *Socket) {
				defer func() { recvDone <- struct{}{} }()
				var m Msg
				for {
					if err := p.RecvInto(rctx, &m); err != nil {
						return
					}
					got <- binaryBE(m[1])
				}
			}(p)
		}
	}
	for g := 0; g < senders; g++ {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	seen := make(map[uint64]bool)
	for len(seen) < senders*per {
		select {
		case i := <-got:
			if seen[i] {
				t.Fatalf("message %d twice", i)
			}
			seen[i] = true
		case <-ctx.Done():
			t.Fatalf("received %d of %d", len(seen), senders*per)
		}
	}
	cancel()
	for i := 0; i < 4; i++ {
		<-recvDone
	}
}

func binaryBE(b []byte) uint64 {
	var v uint64
	for _, c := range b[:8] {
		v = v<<8 | uint64(c)
	}
	return v
}

func TestCloseAccountsForEveryMessage(t *testing.T) {
	// Against a peer that never reads, every accepted message ends up
	// written to the connection, dropped because the queue was full, or
	// dropped at Close after the linger: the counters add up.
	for _, typ := range []Type{PUB, PUSH} {
		t.Run(typ.String(), func(t *testing.T) {
			s, err := NewSocket(typ, &Options{SendHWM: 100, Linger: 50 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			ep := bindLocal(t, s)
			c := rawDial(t, ep)
			peerType := "PULL"
			if typ == PUB {
				peerType = "SUB"
			}
			rawHandshake(t, c, peerType)
			if typ == PUB {
				mustWrite(t, c, appendCommand(nil, cmdSUBSCRIBE))
				waitSubscribed(t, s, 1)
			} else {
				testsupport.WaitFor(t, 10*time.Second, "peer", func() bool { return s.PeerCount() == 1 })
			}
			payload := make([]byte, 4096)
			accepted := uint64(0)
			for i := 0; i < 5000; i++ {
				if err := s.TrySend(Msg{[]byte("T"), payload}); err != nil {
					if errors.Is(err, ErrQueueFull) {
						continue
					}
					t.Fatal(err)
				}
				accepted++
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			st := s.Stats()
			if got := st.Sent + st.Dropped.Total(); got != accepted {
				t.Fatalf("accepted %d, accounted %d: %+v", accepted, got, st)
			}
			t.Logf("accepted %d: sent %d, dropped %+v", accepted, st.Sent, st.Dropped)
		})
	}
}

func TestPullFairQueue(t *testing.T) {
	// A peer flooding a PULL does not starve a quiet one: the quiet
	// peer's messages come through while the flood is still arriving.
	ctx := testCtx(t)
	pull := newSock(t, PULL, &Options{RecvHWM: 100})
	ep := bindLocal(t, pull)
	flood := newSock(t, PUSH, &Options{Linger: -1})
	quiet := newSock(t, PUSH, nil)
	for _, s := range []*Socket{flood, quiet} {
		if err := s.Connect(ep); err != nil {
			t.Fatal(err)
		}
	}
	testsupport.WaitFor(t, 10*time.Second, "peers", func() bool { return pull.PeerCount() == 2 })
	const floodN = 50000
	floodCtx, stopFlood := context.WithCancel(ctx)
	defer stopFlood()
	floodDone := make(chan struct{})
	go func() {
		defer close(floodDone)
		for i := 0; i < floodN; i++ {
			if err := flood.SendFrames(floodCtx, []byte("F"), make([]byte, 100)); err != nil {
				return
			}
		}
	}()
	// Let the flood fill the PULL's queue for that peer first.
	testsupport.WaitFor(t, 10*time.Second, "flood queued", func() bool { return pull.inboxLen() > 0 })
	for i := 0; i < 10; i++ {
		if err := quiet.SendFrames(ctx, []byte("Q"), []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	// Both peers now have messages waiting at the PULL (the flood is held
	// back by the PULL's bound): from here on it is the PULL's turn-taking
	// that is tested, not how soon the quiet sender was scheduled.
	testsupport.WaitFor(t, 10*time.Second, "quiet messages written", func() bool { return quiet.Stats().Sent == 10 })
	floods, quiets := 0, 0
	var m Msg
	for quiets < 10 {
		if err := pull.RecvInto(ctx, &m); err != nil {
			t.Fatal(err)
		}
		if string(m[0]) == "Q" {
			quiets++
		} else {
			floods++
		}
	}
	if floods >= floodN/2 {
		t.Fatalf("quiet peer starved: its messages came after %d flood messages", floods)
	}
	t.Logf("quiet peer's 10 messages arrived after %d of %d flood messages", floods, floodN)
	stopFlood()
	<-floodDone
}

// inboxLen is a test probe: batches waiting for Recv.
func (s *Socket) inboxLen() int {
	s.inbox.mu.Lock()
	defer s.inbox.mu.Unlock()
	return len(s.inbox.q) - s.inbox.head
}

func TestSocketBufferSizes(t *testing.T) {
	// Small kernel buffers bound what is in flight: against a peer that
	// never reads, a NoDrop PUB with tiny buffers blocks after little data.
	pub := newSock(t, PUB, &Options{SendHWM: 1, NoDrop: true, SendBufferSize: 4096, Linger: -1})
	ep := bindLocal(t, pub)
	c := rawDial(t, ep)
	if tc, ok := c.(*net.TCPConn); ok {
		if err := tc.SetReadBuffer(4096); err != nil {
			t.Fatal(err)
		}
	}
	rawHandshake(t, c, "SUB")
	mustWrite(t, c, appendCommand(nil, cmdSUBSCRIBE))
	waitSubscribed(t, pub, 1)
	ctx, cancel := context.WithTimeout(testCtx(t), 200*time.Millisecond)
	defer cancel()
	payload := make([]byte, 1024)
	sent := 0
	for ; sent < 100000; sent++ {
		if err := pub.SendFrames(ctx, []byte("T"), payload); err != nil {
			break
		}
	}
	// Default Linux buffers would take several MiB; these take a few
	// dozen KiB at most.
	if sent > 2000 {
		t.Fatalf("%d KiB went into a connection with 4 KiB buffers", sent)
	}
	t.Logf("blocked after %d messages of 1 KiB", sent)
}
