package zmtp

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/logbus/logbus/internal/testsupport"
)

func payloadIndex(t *testing.T, m Msg) uint64 {
	t.Helper()
	if len(m) != 2 || len(m[1]) < 8 {
		t.Fatalf("unexpected message %q", m)
	}
	return binary.BigEndian.Uint64(m[1])
}

func mkPayload(i, size int) []byte {
	b := make([]byte, max(size, 8))
	binary.BigEndian.PutUint64(b, uint64(i))
	return b
}

func TestLibzmqPushToPull(t *testing.T) {
	for _, bind := range []string{"ours", "theirs"} {
		t.Run("bind="+bind, func(t *testing.T) {
			ctx := testCtx(t)
			pull := newSock(t, PULL, nil)
			const n = 3000
			if bind == "ours" {
				ep := bindLocal(t, pull)
				startPy(t, "--role", "push", "--connect", ep, "--count", strconv.Itoa(n), "--size", "200")
			} else {
				py := startPy(t, "--role", "push", "--bind", "tcp://127.0.0.1:*", "--count", strconv.Itoa(n), "--size", "200")
				ep := py.expect("EP")[1]
				if err := pull.Connect(ep); err != nil {
					t.Fatal(err)
				}
			}
			for i := 0; i < n; i++ {
				m, err := pull.Recv(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if got := payloadIndex(t, m); got != uint64(i) || string(m[0]) != "T" || len(m[1]) != 200 {
					t.Fatalf("message %d: index %d topic %q len %d", i, got, m[0], len(m[1]))
				}
			}
		})
	}
}

func TestPushToLibzmqPull(t *testing.T) {
	for _, bind := range []string{"ours", "theirs"} {
		t.Run("bind="+bind, func(t *testing.T) {
			ctx := testCtx(t)
			push := newSock(t, PUSH, nil)
			const n = 3000
			var py *pyPeer
			if bind == "ours" {
				ep := bindLocal(t, push)
				py = startPy(t, "--role", "pull", "--connect", ep, "--count", strconv.Itoa(n), "--size", "200")
			} else {
				py = startPy(t, "--role", "pull", "--bind", "tcp://127.0.0.1:*", "--count", strconv.Itoa(n), "--size", "200")
				if err := push.Connect(py.expect("EP")[1]); err != nil {
					t.Fatal(err)
				}
			}
			for i := 0; i < n; i++ {
				if err := push.SendFrames(ctx, []byte("T"), mkPayload(i, 200)); err != nil {
					t.Fatal(err)
				}
			}
			py.expect("OK")
		})
	}
}

func TestLibzmqPubToSub(t *testing.T) {
	ctx := testCtx(t)
	py := startPy(t, "--role", "pub", "--bind", "tcp://127.0.0.1:*", "--wait-subs", "2",
		"--topic", "A1", "--topic", "B1", "--topic", "C1", "--count", "300", "--size", "50")
	ep := py.expect("EP")[1]
	sub := newSock(t, SUB, nil)
	for _, p := range []string{"A", "B"} {
		if err := sub.Subscribe([]byte(p)); err != nil {
			t.Fatal(err)
		}
	}
	if err := sub.Connect(ep); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for i := 0; i < 2; i++ {
		f := py.expect("SUB")
		if f[1] != "01" {
			t.Fatalf("subscription line %q", f)
		}
		got[f[2]] = true
	}
	if !got["A"] || !got["B"] {
		t.Fatalf("libzmq saw subscriptions %v", got)
	}
	py.expect("DONE")
	for i := 0; i < 200; i++ {
		m, err := sub.Recv(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(m[0], []byte("A")) && !bytes.HasPrefix(m[0], []byte("B")) {
			t.Fatalf("unsubscribed topic %q", m[0])
		}
	}
}

// waitSubscribed waits until every peer of a PUB/XPUB has sent at least one
// subscription.
func waitSubscribed(t *testing.T, pub *Socket, peers int) {
	t.Helper()
	testsupport.WaitFor(t, 10*time.Second, "subscriptions", func() bool {
		ps := *pub.peers.Load()
		if len(ps) != peers {
			return false
		}
		for _, p := range ps {
			if p.subs.Load() == nil {
				return false
			}
		}
		return true
	})
}

func TestPubToLibzmqSub(t *testing.T) {
	ctx := testCtx(t)
	pub := newSock(t, PUB, nil)
	ep := bindLocal(t, pub)
	py := startPy(t, "--role", "sub", "--connect", ep, "--prefix", "A", "--count", "100")
	py.expect("CONNECTING")
	waitSubscribed(t, pub, 1)
	for i := 0; i < 100; i++ {
		for _, topic := range []string{"B-x", "A-x"} {
			if err := pub.SendFrames(ctx, []byte(topic), mkPayload(i, 16)); err != nil {
				t.Fatal(err)
			}
		}
	}
	py.expect("OK")
	testsupport.WaitFor(t, 10*time.Second, "sent counter", func() bool { return pub.Stats().Sent == 100 })
	if st := pub.Stats(); st.NoSubscriber != 100 {
		t.Fatalf("stats %+v", st)
	}
}

func TestXPubXSubLibzmq(t *testing.T) {
	t.Run("our XPUB, libzmq XSUB", func(t *testing.T) {
		ctx := testCtx(t)
		xpub := newSock(t, XPUB, nil)
		ep := bindLocal(t, xpub)
		py := startPy(t, "--role", "xsub", "--connect", ep, "--prefix", "Q", "--count", "10")
		m, err := xpub.Recv(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(m) != 1 || string(m[0]) != "\x01Q" {
			t.Fatalf("subscription message %q", m)
		}
		for i := 0; i < 10; i++ {
			if err := xpub.SendFrames(ctx, []byte("Z"), []byte("no")); err != nil {
				t.Fatal(err)
			}
			if err := xpub.SendFrames(ctx, []byte("Q1"), []byte("yes")); err != nil {
				t.Fatal(err)
			}
		}
		py.expect("OK")
	})
	t.Run("libzmq XPUB, our XSUB", func(t *testing.T) {
		ctx := testCtx(t)
		py := startPy(t, "--role", "xpub", "--bind", "tcp://127.0.0.1:*", "--wait-subs", "1",
			"--topic", "R1", "--topic", "S1", "--count", "20")
		ep := py.expect("EP")[1]
		xsub := newSock(t, XSUB, nil)
		if err := xsub.Connect(ep); err != nil {
			t.Fatal(err)
		}
		if err := xsub.SendFrames(ctx, []byte("\x01R")); err != nil {
			t.Fatal(err)
		}
		if f := py.expect("SUB"); f[1] != "01" || f[2] != "R" {
			t.Fatalf("libzmq saw %q", f)
		}
		py.expect("DONE")
		for i := 0; i < 10; i++ {
			m, err := xsub.Recv(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if string(m[0]) != "R1" {
				t.Fatalf("topic %q", m[0])
			}
		}
	})
}

func TestLibzmqHeartbeats(t *testing.T) {
	// libzmq sends PINGs every 50 ms with a TTL and a timeout; we must
	// answer them, keep them out of the data stream, and send our own,
	// and neither side may drop the link while messages trickle.
	ctx := testCtx(t)
	const n = 50
	// Generous timeouts (libzmq: 10 intervals, TTL 20) so a loaded CI
	// machine does not make either side give up.
	hb := &Options{HeartbeatInterval: 50 * time.Millisecond, HeartbeatTimeout: time.Second, HeartbeatTTL: 2 * time.Second}
	pyPull := startPy(t, "--role", "pull", "--bind", "tcp://127.0.0.1:*", "--count", strconv.Itoa(n), "--size", "20", "--hb-ivl", "50")
	push := newSock(t, PUSH, hb)
	if err := push.Connect(pyPull.expect("EP")[1]); err != nil {
		t.Fatal(err)
	}
	pyPush := startPy(t, "--role", "push", "--bind", "tcp://127.0.0.1:*", "--count", strconv.Itoa(n), "--size", "20", "--hb-ivl", "50")
	pull := newSock(t, PULL, nil)
	if err := pull.Connect(pyPush.expect("EP")[1]); err != nil {
		t.Fatal(err)
	}
	testsupport.WaitFor(t, 10*time.Second, "connections", func() bool { return push.PeerCount() == 1 && pull.PeerCount() == 1 })
	// Trickle over several heartbeat intervals.
	for i := 0; i < n; i++ {
		if err := push.SendFrames(ctx, []byte("T"), mkPayload(i, 20)); err != nil {
			t.Fatal(err)
		}
		if i%10 == 9 {
			// Idle gaps longer than the interval, so that PINGs and
			// PONGs cross while no data flows. This paces the sender;
			// it does not wait for a state.
			time.Sleep(120 * time.Millisecond)
		}
	}
	pyPull.expect("OK")
	for i := 0; i < n; i++ {
		m, err := pull.Recv(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if payloadIndex(t, m) != uint64(i) {
			t.Fatalf("message %d out of order", i)
		}
	}
	// Our PULL sends nothing but PONGs: once libzmq has pinged it for
	// longer than its 500 ms heartbeat timeout, the link proves the PONGs
	// count as traffic.
	testsupport.WaitFor(t, 10*time.Second, "libzmq PINGs over a timeout period", func() bool {
		ps := *pull.peers.Load()
		return len(ps) == 1 && ps[0].pingsIn.Load() >= 14
	})
	for _, s := range []*Socket{push, pull} {
		st := s.Stats()
		if st.Disconnects != 0 || st.Rejected.Total() != 0 || st.Connects != 1 {
			t.Fatalf("%s: heartbeats broke the link: %+v", s.Type(), st)
		}
	}
}

func TestLibzmqLargeMessage(t *testing.T) {
	const size = DefaultMaxMsgSize - 1 // plus the 1-byte topic: exactly the limit
	t.Run("to libzmq", func(t *testing.T) {
		ctx := testCtx(t)
		push := newSock(t, PUSH, nil)
		py := startPy(t, "--role", "pull", "--bind", "tcp://127.0.0.1:*", "--count", "2", "--size", strconv.Itoa(size))
		if err := push.Connect(py.expect("EP")[1]); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 2; i++ {
			if err := push.SendFrames(ctx, []byte("T"), mkPayload(i, size)); err != nil {
				t.Fatal(err)
			}
		}
		py.expect("OK")
	})
	t.Run("from libzmq", func(t *testing.T) {
		ctx := testCtx(t)
		pull := newSock(t, PULL, nil)
		ep := bindLocal(t, pull)
		startPy(t, "--role", "push", "--connect", ep, "--count", "2", "--size", strconv.Itoa(size))
		for i := 0; i < 2; i++ {
			m, err := pull.Recv(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if payloadIndex(t, m) != uint64(i) || len(m[1]) != size {
				t.Fatalf("message %d: %d bytes", i, len(m[1]))
			}
		}
	})
}

func TestLibzmqPlain(t *testing.T) {
	auth := func(user, pass string, _ net.Addr) error {
		if user == "lab" && pass == "secret" {
			return nil
		}
		return fmt.Errorf("bad credentials for %q", user)
	}
	t.Run("our server accepts", func(t *testing.T) {
		ctx := testCtx(t)
		pull := newSock(t, PULL, &Options{PlainAuth: auth})
		ep := bindLocal(t, pull)
		startPy(t, "--role", "push", "--connect", ep, "--count", "5", "--plain-user", "lab", "--plain-pass", "secret")
		for i := 0; i < 5; i++ {
			if _, err := pull.Recv(ctx); err != nil {
				t.Fatal(err)
			}
		}
	})
	t.Run("our server refuses", func(t *testing.T) {
		pull := newSock(t, PULL, &Options{PlainAuth: auth})
		ep := bindLocal(t, pull)
		startPy(t, "--role", "push", "--connect", ep, "--count", "5", "--plain-user", "lab", "--plain-pass", "wrong", "--timeout", "2")
		testsupport.WaitFor(t, 10*time.Second, "auth rejection", func() bool { return pull.Stats().Rejected.Auth > 0 })
		if st := pull.Stats(); st.Connects != 0 {
			t.Fatalf("refused peer connected: %+v", st)
		}
	})
	t.Run("libzmq server accepts", func(t *testing.T) {
		ctx := testCtx(t)
		py := startPy(t, "--role", "pull", "--bind", "tcp://127.0.0.1:*", "--count", "5",
			"--plain-server", "--accept-user", "lab", "--accept-pass", "secret")
		push := newSock(t, PUSH, &Options{PlainUsername: "lab", PlainPassword: "secret"})
		if err := push.Connect(py.expect("EP")[1]); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 5; i++ {
			if err := push.SendFrames(ctx, []byte("T"), mkPayload(i, 16)); err != nil {
				t.Fatal(err)
			}
		}
		py.expect("OK")
	})
	t.Run("libzmq server refuses", func(t *testing.T) {
		py := startPy(t, "--role", "pull", "--bind", "tcp://127.0.0.1:*", "--count", "5", "--timeout", "2",
			"--plain-server", "--accept-user", "lab", "--accept-pass", "secret")
		push := newSock(t, PUSH, &Options{PlainUsername: "lab", PlainPassword: "nope", Linger: -1})
		if err := push.Connect(py.expect("EP")[1]); err != nil {
			t.Fatal(err)
		}
		testsupport.WaitFor(t, 10*time.Second, "auth rejection", func() bool { return push.Stats().Rejected.Auth > 0 })
		if st := push.Stats(); st.Connects != 0 {
			t.Fatalf("refused client connected: %+v", st)
		}
	})
}

func TestPushSurvivesLibzmqRestart(t *testing.T) {
	// A libzmq PULL takes the first batch and exits; what our PUSH sends
	// while it is gone reaches its successor on the same address.
	ctx := testCtx(t)
	ep := deadEndpoint(t)
	push := newSock(t, PUSH, &Options{ReconnectInterval: 10 * time.Millisecond, ReconnectIntervalMax: 50 * time.Millisecond})
	if err := push.Connect(ep); err != nil {
		t.Fatal(err)
	}
	const n = 200
	send := func(from int) {
		for i := from; i < from+n; i++ {
			if err := push.SendFrames(ctx, []byte("T"), mkPayload(i, 32)); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The script checks indices from 0, so each instance gets a run
	// starting at 0: the second run is sent during the outage.
	first := startPy(t, "--role", "pull", "--bind", ep, "--count", strconv.Itoa(n), "--size", "32")
	first.expect("EP")
	send(0)
	first.expect("OK")
	first.stop()
	testsupport.WaitFor(t, 10*time.Second, "disconnect noticed", func() bool { return push.PeerCount() == 0 })
	send(0)
	if q := push.Stats().Queued; q != n {
		t.Fatalf("queued during outage: %d", q)
	}
	second := startPy(t, "--role", "pull", "--bind", ep, "--count", strconv.Itoa(n), "--size", "32")
	second.expect("EP")
	second.expect("OK")
	if st := push.Stats(); st.Connects != 2 || st.Dropped.Total() != 0 {
		t.Fatalf("stats %+v", st)
	}
}
