package zmtp

import (
	"context"
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
