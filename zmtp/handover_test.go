package zmtp

import (
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"testing"
	"time"
)

// TestHandoverToNextSubscriber: with NoDrop and Handover, what was queued
// for a subscriber that went away reaches the next subscriber to connect,
// ahead of newer messages and without holes.
func TestHandoverToNextSubscriber(t *testing.T) {
	const hwm = 50
	// Small kernel buffers, so that the queue stays full once it is.
	pub := newSock(t, PUB, &Options{NoDrop: true, Handover: 10 * time.Second, SendHWM: hwm, SendBufferSize: 8 << 10})
	ep := bindLocal(t, pub)
	a := rawDial(t, ep)
	if err := a.(*net.TCPConn).SetReadBuffer(8 << 10); err != nil {
		t.Fatal(err)
	}
	rawHandshake(t, a, "SUB")
	mustWrite(t, a, appendCommand(nil, cmdSUBSCRIBE))
	waitSubscribed(t, pub, 1)

	// Fill the kernel buffers and then the queue: the sender blocks.
	ctx, cancel := context.WithCancel(testCtx(t))
	sent := make(chan int, 1)
	go func() {
		payload := make([]byte, 1000)
		i := 0
		for ; ; i++ {
			copy(payload, fmt.Sprintf("%08d", i))
			if pub.Send(ctx, Msg{[]byte("T"), payload}) != nil {
				break
			}
		}
		sent <- i // messages 0..i-1 were accepted
	}()
	waitFor(t, "a full queue", func() bool {
		st := pub.Stats()
		return len(st.Peers) == 1 && st.Peers[0].Queued >= hwm
	})
	cancel()
	n := <-sent
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the subscriber gone", func() bool { return pub.PeerCount() == 0 })
	kept := pub.Stats().Queued
	if kept < hwm {
		t.Fatalf("%d messages kept, want at least the %d queued: %+v", kept, hwm, pub.Stats())
	}

	b := newSock(t, SUB, &Options{RecvHWM: 100000})
	if err := b.Subscribe(nil); err != nil {
		t.Fatal(err)
	}
	if err := b.Connect(ep); err != nil {
		t.Fatal(err)
	}
	waitSubscribed(t, pub, 1)
	after := make([]byte, 1000)
	copy(after, fmt.Sprintf("%08d", n))
	if err := pub.Send(testCtx(t), Msg{[]byte("T"), after}); err != nil {
		t.Fatal(err)
	}
	first, prev := -1, -1
	for prev != n {
		m, err := b.Recv(testCtx(t))
		if err != nil {
			t.Fatalf("after %d: %v", prev, err)
		}
		i, err := strconv.Atoi(string(m[1][:8]))
		if err != nil {
			t.Fatal(err)
		}
		if first < 0 {
			first = i
		} else if i != prev+1 {
			t.Fatalf("message %d after %d", i, prev)
		}
		prev = i
	}
	st := pub.Stats()
	t.Logf("%d sent to the first subscriber, %d handed to the next (%d..%d)", n, n-first, first, n-1)
	if n-first != kept || st.HandedOver != uint64(kept) || st.Dropped.Disconnected != 0 {
		t.Errorf("handed over %d (counter %d), dropped %d", n-first, st.HandedOver, st.Dropped.Disconnected)
	}
}

// TestHandoverExpires: kept messages nobody claims within Handover are
// dropped and counted.
func TestHandoverExpires(t *testing.T) {
	pub := newSock(t, PUB, &Options{NoDrop: true, Handover: 50 * time.Millisecond, SendHWM: 10, SendBufferSize: 8 << 10})
	ep := bindLocal(t, pub)
	a := rawDial(t, ep)
	if err := a.(*net.TCPConn).SetReadBuffer(8 << 10); err != nil {
		t.Fatal(err)
	}
	rawHandshake(t, a, "SUB")
	mustWrite(t, a, appendCommand(nil, cmdSUBSCRIBE))
	waitSubscribed(t, pub, 1)
	ctx, cancel := context.WithCancel(testCtx(t))
	done := make(chan struct{})
	go func() {
		defer close(done)
		for pub.Send(ctx, Msg{[]byte("T"), make([]byte, 1000)}) == nil {
		}
	}()
	waitFor(t, "a full queue", func() bool {
		st := pub.Stats()
		return len(st.Peers) == 1 && st.Peers[0].Queued >= 10
	})
	cancel()
	<-done
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the subscriber gone", func() bool { return pub.PeerCount() == 0 })
	kept := pub.Stats().Queued
	if kept < 10 {
		t.Fatalf("%d messages kept, want at least the 10 queued", kept)
	}
	deadline := time.Now().Add(50 * time.Millisecond)
	for time.Now().Before(deadline) { // let Handover pass; Send settles what expired
		time.Sleep(10 * time.Millisecond)
	}
	if err := pub.Send(testCtx(t), Msg{[]byte("T")}); err != nil {
		t.Fatal(err)
	}
	st := pub.Stats()
	if st.Queued != 0 || st.Dropped.Disconnected != uint64(kept) || st.HandedOver != 0 {
		t.Errorf("kept %d: now queued %d, dropped %d, handed over %d", kept, st.Queued, st.Dropped.Disconnected, st.HandedOver)
	}
}

// fill starts a sender that blocks once the stalled subscribers' queues
// are full; stop ends it and returns how many messages were accepted.
func fill(t *testing.T, pub *Socket) (stop func() int) {
	ctx, cancel := context.WithCancel(testCtx(t))
	sent := make(chan int, 1)
	go func() {
		payload := make([]byte, 1000)
		i := 0
		for ; ; i++ {
			copy(payload, fmt.Sprintf("%08d", i))
			if pub.Send(ctx, Msg{[]byte("T"), payload}) != nil {
				break
			}
		}
		sent <- i
	}()
	return func() int { cancel(); return <-sent }
}

func stalledSub(t *testing.T, ep string) net.Conn {
	c := rawDial(t, ep)
	if err := c.(*net.TCPConn).SetReadBuffer(8 << 10); err != nil {
		t.Fatal(err)
	}
	rawHandshake(t, c, "SUB")
	mustWrite(t, c, appendCommand(nil, cmdSUBSCRIBE))
	return c
}

// TestHandoverOneQueuePerHeir: two subscribers that leave together had
// the same messages queued; the next subscriber takes one queue, not
// both, so it receives nothing twice.
func TestHandoverOneQueuePerHeir(t *testing.T) {
	pub := newSock(t, PUB, &Options{NoDrop: true, Handover: 10 * time.Second, SendHWM: 20, SendBufferSize: 8 << 10})
	ep := bindLocal(t, pub)
	a, b := stalledSub(t, ep), stalledSub(t, ep)
	waitSubscribed(t, pub, 2)
	stop := fill(t, pub)
	waitFor(t, "full queues", func() bool {
		st := pub.Stats()
		return len(st.Peers) == 2 && st.Peers[0].Queued >= 20 && st.Peers[1].Queued >= 20
	})
	n := stop()
	for _, c := range []net.Conn{a, b} {
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "both gone", func() bool { return pub.PeerCount() == 0 })
	heir := newSock(t, SUB, &Options{RecvHWM: 100000})
	if err := heir.Subscribe(nil); err != nil {
		t.Fatal(err)
	}
	if err := heir.Connect(ep); err != nil {
		t.Fatal(err)
	}
	waitSubscribed(t, pub, 1)
	last := make([]byte, 1000)
	copy(last, fmt.Sprintf("%08d", n))
	if err := pub.Send(testCtx(t), Msg{[]byte("T"), last}); err != nil {
		t.Fatal(err)
	}
	prev := -1
	for prev != n {
		m, err := heir.Recv(testCtx(t))
		if err != nil {
			t.Fatal(err)
		}
		i, err := strconv.Atoi(string(m[1][:8]))
		if err != nil {
			t.Fatal(err)
		}
		if prev >= 0 && i != prev+1 {
			t.Fatalf("message %d after %d", i, prev)
		}
		prev = i
	}
	if st := pub.Stats(); st.HandedOver == 0 || st.Queued == 0 {
		t.Errorf("handed over %d, still kept %d (the other queue, for another heir)", st.HandedOver, st.Queued)
	}
}

// TestHandoverAfterDetach: a send that reaches a subscriber only after it
// detached (its list of peers was read before) keeps the message for the
// heir too; nothing is left behind.
func TestHandoverAfterDetach(t *testing.T) {
	pub := newSock(t, PUB, &Options{NoDrop: true, Handover: 10 * time.Second, SendHWM: 5, SendBufferSize: 8 << 10})
	ep := bindLocal(t, pub)
	x := stalledSub(t, ep) // blocks the sender
	waitSubscribed(t, pub, 1)
	a := newSock(t, SUB, nil) // reads everything, then leaves with an empty queue
	if err := a.Subscribe(nil); err != nil {
		t.Fatal(err)
	}
	if err := a.Connect(ep); err != nil {
		t.Fatal(err)
	}
	waitSubscribed(t, pub, 2)
	go func() {
		for {
			if _, err := a.Recv(context.Background()); err != nil {
				return
			}
		}
	}()
	stop := fill(t, pub)
	waitFor(t, "x full", func() bool {
		st := pub.Stats()
		return len(st.Peers) == 2 && st.Peers[0].Queued >= 5
	})
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a gone", func() bool { return pub.PeerCount() == 1 })
	go func() { // x reads again: the sender moves on and finds a gone
		if _, err := io.Copy(io.Discard, x); err != nil {
			return
		}
	}()
	waitFor(t, "a message for a, after it left", func() bool { return pub.orphanMsgs.Load() > 0 })
	stop()
	heir := newSock(t, SUB, &Options{RecvHWM: 100000})
	if err := heir.Subscribe(nil); err != nil {
		t.Fatal(err)
	}
	if err := heir.Connect(ep); err != nil {
		t.Fatal(err)
	}
	waitSubscribed(t, pub, 2)
	waitFor(t, "nothing kept", func() bool {
		if err := pub.Send(testCtx(t), Msg{[]byte("T")}); err != nil {
			t.Fatal(err)
		}
		return pub.orphanMsgs.Load() == 0
	})
	if st := pub.Stats(); st.HandedOver == 0 {
		t.Errorf("nothing handed over: %+v", st.Dropped)
	}
}
