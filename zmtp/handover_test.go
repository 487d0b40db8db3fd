package zmtp

import (
	"context"
	"fmt"
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
