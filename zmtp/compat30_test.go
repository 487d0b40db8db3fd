package zmtp

import (
	"bufio"
	"io"
	"net"
	"testing"
	"time"

	"github.com/logbus/logbus/internal/testsupport"
)

// rawHandshake30 is rawHandshake for a peer announcing ZMTP 3.0.
func rawHandshake30(t *testing.T, c net.Conn, sockType string) *bufio.Reader {
	t.Helper()
	mustWrite(t, c, appendGreeting(nil, greeting{major: 3, minor: 0, mechanism: "NULL"}))
	r := bufio.NewReader(c)
	if _, err := io.ReadFull(r, make([]byte, greetingSize)); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, c, appendCommand(nil, cmdREADY, appendMetadata(nil, property{"Socket-Type", []byte(sockType)})))
	if _, err := readCommandFrame(r); err != nil {
		t.Fatal(err)
	}
	return r
}

// readDataFrame reads one non-command frame.
func readDataFrame(t *testing.T, r *bufio.Reader) []byte {
	t.Helper()
	for {
		var hdr [2]byte
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			t.Fatal(err)
		}
		if hdr[0]&flagLong != 0 {
			t.Fatalf("unexpected long frame")
		}
		body := make([]byte, hdr[1])
		if _, err := io.ReadFull(r, body); err != nil {
			t.Fatal(err)
		}
		if hdr[0]&flagCommand == 0 {
			return body
		}
	}
}

func TestZMTP30Subscriptions(t *testing.T) {
	t.Run("our SUB sends messages to a 3.0 PUB", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		sub := newSock(t, SUB, nil)
		if err := sub.Subscribe([]byte("abc")); err != nil {
			t.Fatal(err)
		}
		if err := sub.Connect("tcp://" + ln.Addr().String()); err != nil {
			t.Fatal(err)
		}
		c, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
			t.Fatal(err)
		}
		r := rawHandshake30(t, c, "PUB")
		if got := readDataFrame(t, r); string(got) != "\x01abc" {
			t.Fatalf("subscription %q", got)
		}
		// And data from the 3.0 publisher is received.
		mustWrite(t, c, appendMsg(nil, Msg{[]byte("abc-1"), []byte("v")}))
		m, err := sub.Recv(testCtx(t))
		if err != nil || string(m[0]) != "abc-1" {
			t.Fatalf("%q %v", m, err)
		}
	})
	t.Run("a 3.0 SUB subscribes to our PUB with messages", func(t *testing.T) {
		pub := newSock(t, PUB, nil)
		ep := bindLocal(t, pub)
		c := rawDial(t, ep)
		r := rawHandshake30(t, c, "SUB")
		mustWrite(t, c, appendMsg(nil, Msg{[]byte("\x01x")}))
		waitSubscribed(t, pub, 1)
		ctx := testCtx(t)
		for _, topic := range []string{"y1", "x1"} {
			if err := pub.SendFrames(ctx, []byte(topic)); err != nil {
				t.Fatal(err)
			}
		}
		if got := readDataFrame(t, r); string(got) != "x1" {
			t.Fatalf("got %q", got)
		}
		// Cancel, then nothing more matches.
		mustWrite(t, c, appendMsg(nil, Msg{[]byte("\x00x")}))
		testsupport.WaitFor(t, 10*time.Second, "cancel", func() bool { return !(*pub.peers.Load())[0].subs.Load().match([]byte("x1")) })
	})
}

func TestHeartbeatRedial(t *testing.T) {
	// A server that completes the handshake and then never speaks again
	// is dropped by the connecting side's heartbeat, which then redials.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	pull := newSock(t, PULL, &Options{
		HeartbeatInterval: 20 * time.Millisecond, HeartbeatTimeout: 40 * time.Millisecond,
		ReconnectInterval: 10 * time.Millisecond,
	})
	if err := pull.Connect("tcp://" + ln.Addr().String()); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		c, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
			t.Fatal(err)
		}
		rawHandshake(t, c, "PUSH")
	}
	testsupport.WaitFor(t, 10*time.Second, "heartbeat drop counted", func() bool { return pull.Stats().Rejected.Heartbeat >= 1 })
}
