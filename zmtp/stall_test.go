package zmtp

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"
)

// TestLossyStalledSubscriberHoldsLittle: a lossy subscriber that stopped
// reading keeps a large budget (SendHWMBytes, here 64 MiB) only while its
// connection still takes bytes; once nothing has gone out for stallAfter,
// its queue stays within stalledBytes and the rest is dropped and
// counted, while a subscriber that reads beside it misses nothing.
func TestLossyStalledSubscriberHoldsLittle(t *testing.T) {
	pub := newSock(t, PUB, &Options{SendHWM: 1 << 20, SendHWMBytes: 64 << 20})
	if err := pub.Bind("tcp://127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	ep := pub.Endpoints()[0]
	stalled := stalledSub(t, ep)
	defer stalled.Close()
	reader := newSock(t, SUB, &Options{RecvHWM: 1 << 20})
	if err := reader.Subscribe(nil); err != nil {
		t.Fatal(err)
	}
	if err := reader.Connect(ep); err != nil {
		t.Fatal(err)
	}
	waitSubscribed(t, pub, 2)
	got := make(chan int, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		n := 0
		var m Msg
		for reader.RecvInto(ctx, &m) == nil {
			n++
		}
		got <- n
	}()
	queued := func() (int, uint64) {
		for _, p := range pub.Stats().Peers {
			if p.Remote == stalled.LocalAddr().String() {
				return p.QueuedBytes, p.Dropped
			}
		}
		t.Fatal("the stalled subscriber is gone")
		return 0, 0
	}
	// 8 MiB at once: more than the stalled subscriber's connection takes,
	// accepted into its budget (it has not stalled for long yet).
	sent := 0
	for range 8 << 10 {
		if err := pub.Send(testCtx(t), numbered(sent)); err != nil {
			t.Fatal(err)
		}
		sent++
	}
	if st := pub.Stats(); st.Dropped.QueueFull != 0 {
		t.Fatalf("dropped %d before the subscriber had stalled for %v", st.Dropped.QueueFull, stallAfter)
	}
	// Then a message a millisecond until drops begin: stallAfter after
	// its connection last took bytes.
	start := time.Now()
	for deadline := start.Add(10 * time.Second); pub.Stats().Dropped.QueueFull == 0; {
		if time.Now().After(deadline) {
			t.Fatal("no drop for the stalled subscriber within 10 s")
		}
		if err := pub.Send(testCtx(t), numbered(sent)); err != nil {
			t.Fatal(err)
		}
		sent++
		time.Sleep(time.Millisecond)
	}
	// And 8 MiB more: all dropped for it, its queue no larger.
	for range 8 << 10 {
		if err := pub.Send(testCtx(t), numbered(sent)); err != nil {
			t.Fatal(err)
		}
		sent++
	}
	held, dropped := queued()
	if held > stalledBytes+chunkSize {
		t.Errorf("the stalled subscriber holds %d bytes, want at most %d", held, stalledBytes+chunkSize)
	}
	if dropped < 8<<10 {
		t.Errorf("dropped %d for it, want at least the last 8192", dropped)
	}
	// The reader has everything.
	for deadline := time.Now().Add(10 * time.Second); pub.Stats().Sent < uint64(sent); {
		if time.Now().After(deadline) {
			t.Fatalf("sent %d of %d", pub.Stats().Sent, sent)
		}
		time.Sleep(5 * time.Millisecond)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if reader.Stats().Received >= uint64(sent) || time.Now().After(deadline) {
			break
		}
	}
	cancel()
	if n := <-got; n != sent {
		t.Errorf("the reading subscriber got %d of %d", n, sent)
	}
}

// TestPushSlowPeerLosesNothing: a PUSH peer that stops reading for a
// while (longer than stallAfter, with more than stalledBytes queued) gets
// every message once it reads again: the stalled bound is a lossy
// subscriber's, never a PUSH's (a review found PUSH trimmed by it).
func TestPushSlowPeerLosesNothing(t *testing.T) {
	push := newSock(t, PUSH, &Options{SendHWM: 1 << 20, SendHWMBytes: 64 << 20})
	ep := bindLocal(t, push)
	pull := newSock(t, PULL, &Options{RecvHWM: 16})
	if err := pull.Connect(ep); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); len(push.Stats().Peers) != 1; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no peer")
		}
	}
	done := make(chan int, 1)
	go func() {
		sent := 0
		for range 12 << 10 {
			if err := push.Send(testCtx(t), numbered(sent)); err != nil {
				t.Error(err)
			}
			sent++
		}
		for end := time.Now().Add(2 * time.Second); time.Now().Before(end); {
			if err := push.Send(testCtx(t), numbered(sent)); err != nil {
				t.Error(err)
			}
			sent++
			time.Sleep(time.Millisecond)
		}
		done <- sent
	}()
	time.Sleep(2500 * time.Millisecond) // the reader stays away: the fault under test
	got := 0
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		m, err := pull.Recv(ctx)
		cancel()
		if err != nil {
			break
		}
		if n := msgNo(t, m); n != got {
			t.Fatalf("got message %d, want %d (dropped %+v)", n, got, push.Stats().Dropped)
		}
		got++
	}
	sent := <-done
	if got != sent {
		t.Errorf("received %d of %d; dropped %+v", got, sent, push.Stats().Dropped)
	}
}

// TestLossyFullThenStalledIsTrimmed: a lossy subscriber whose queue
// reached SendHWMBytes before its connection stalled is trimmed to
// stalledBytes once stalled, although Send skips it on its full flag.
func TestLossyFullThenStalledIsTrimmed(t *testing.T) {
	pub := newSock(t, PUB, &Options{SendHWM: 1 << 20, SendHWMBytes: 32 << 20})
	ep := bindLocal(t, pub)
	stalled := stalledSub(t, ep)
	defer stalled.Close()
	waitSubscribed(t, pub, 1)
	big := func(i int) Msg {
		m := numbered(i)
		m[1] = append(m[1], make([]byte, 15<<10)...)
		return m
	}
	sent := 0
	for deadline := time.Now().Add(10 * time.Second); pub.Stats().Dropped.QueueFull == 0; {
		if time.Now().After(deadline) {
			t.Fatal("never full")
		}
		if err := pub.Send(testCtx(t), big(sent)); err != nil {
			t.Fatal(err)
		}
		sent++
	}
	t.Logf("full after %d messages", sent)
	for end := time.Now().Add(2 * time.Second); time.Now().Before(end); time.Sleep(time.Millisecond) {
		if err := pub.Send(testCtx(t), big(sent)); err != nil {
			t.Fatal(err)
		}
		sent++
	}
	for _, p := range pub.Stats().Peers {
		t.Logf("queued %d bytes, dropped %d", p.QueuedBytes, p.Dropped)
		if p.QueuedBytes > stalledBytes+chunkSize {
			t.Errorf("stalled subscriber holds %d bytes, want at most %d", p.QueuedBytes, stalledBytes+chunkSize)
		}
	}
}

// TestXSubStalledUpstreamKeepsSubscription: an XSUB whose upstream PUB
// stops reading for a while: a subscription made meanwhile reaches it
// once it reads again (the stalled trim must not touch an XSUB's queue).
func TestXSubStalledUpstreamKeepsSubscription(t *testing.T) {
	xsub := newSock(t, XSUB, &Options{SendHWM: 1 << 20, SendHWMBytes: 64 << 20})
	ep := bindLocal(t, xsub)
	c := rawDial(t, ep)
	r := rawHandshake(t, c, "PUB")
	for deadline := time.Now().Add(5 * time.Second); len(xsub.Stats().Peers) != 1; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no peer")
		}
	}
	sent := 0
	for range 24 << 10 {
		if err := xsub.Send(testCtx(t), numbered(sent)); err != nil {
			t.Fatal(err)
		}
		sent++
	}
	if err := xsub.Subscribe([]byte("zz")); err != nil {
		t.Fatal(err)
	}
	for end := time.Now().Add(1500 * time.Millisecond); time.Now().Before(end); time.Sleep(time.Millisecond) {
		if err := xsub.Send(testCtx(t), numbered(sent)); err != nil {
			t.Fatal(err)
		}
		sent++
	}
	for range 50 {
		if err := xsub.Send(testCtx(t), numbered(sent)); err != nil {
			t.Fatal(err)
		}
		sent++
		time.Sleep(time.Millisecond)
	}
	t.Logf("sent %d, dropped %+v", sent, xsub.Stats().Dropped)
	if err := c.SetReadDeadline(time.Now().Add(4 * time.Second)); err != nil {
		t.Fatal(err)
	}
	all, rerr := io.ReadAll(r)
	t.Logf("read %d: %v", len(all), rerr)
	if !bytes.Contains(all, append([]byte("\x09SUBSCRIBE"), "zz"...)) {
		t.Errorf("the subscription to zz never reached the upstream (read %d bytes; dropped %+v)", len(all), xsub.Stats().Dropped)
	}
}
