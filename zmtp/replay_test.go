package zmtp

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/logbus/logbus/internal/testsupport"
)

// TestReplayWindowBounds: the window keeps the newest whole writes, at
// least its limit of them and at most the limit plus one write, however
// the writes are sized.
func TestReplayWindowBounds(t *testing.T) {
	for _, limit := range []int{1, 100, 4096} {
		w := &replayWindow{limit: limit}
		var all []byte
		var ends []int // end offset of each write in all
		for i := range 3000 {
			piece := bytes.Repeat([]byte{byte(i)}, 1+i%300)
			a, b := piece[:len(piece)/2], piece[len(piece)/2:]
			w.addSegs([]seg{{own: &a}, {own: &b}}) // two pieces
			all = append(all, a...)
			ends = append(ends, len(all))
			all = append(all, b...)
			ends = append(ends, len(all))
		}
		if held := len(w.chunks) * chunkSize; held > limit+600+2*chunkSize {
			t.Fatalf("limit %d: %d bytes of chunks held", limit, held)
		}
		got := w.take()
		if !bytes.HasSuffix(all, got) {
			t.Fatalf("limit %d: window is not the newest bytes", limit)
		}
		start := len(all) - len(got)
		aligned := start == 0
		for _, e := range ends {
			aligned = aligned || e == start
		}
		if !aligned {
			t.Fatalf("limit %d: window starts inside a piece", limit)
		}
		last := 1 + 2999%300
		if len(got) < limit || len(got) > limit+last+300 {
			t.Fatalf("limit %d: window holds %d bytes", limit, len(got))
		}
		if w.take() != nil {
			t.Fatal("take did not empty the window")
		}
		w.add([]byte("after"))
		if got := w.take(); string(got) != "after" {
			t.Fatalf("after a take: %q", got)
		}
	}
}

// TestPushReplaysAfterLoss: a PULL that closes with messages it never
// read (a broker killed) loses none of them with ReplayBytes: the PUSH
// sends its window again to the next PULL on the endpoint, oldest first,
// ahead of newer messages.
func TestPushReplaysAfterLoss(t *testing.T) {
	for _, tc := range []struct {
		replay, n int
	}{{1 << 20, 1000}, {10 << 10, 1000}} {
		t.Run(fmt.Sprint(tc.replay), func(t *testing.T) {
			ctx := testCtx(t)
			pull := newSock(t, PULL, &Options{RecvHWM: 100000})
			ep := bindLocal(t, pull)
			push := newSock(t, PUSH, &Options{ReplayBytes: tc.replay, ReconnectInterval: 5 * time.Millisecond, ReconnectIntervalMax: 20 * time.Millisecond})
			if err := push.Connect(ep); err != nil {
				t.Fatal(err)
			}
			body := make([]byte, 100)
			send := func(i int) {
				binary.BigEndian.PutUint64(body, uint64(i))
				if err := push.SendFrames(ctx, []byte("T"), body); err != nil {
					t.Fatal(err)
				}
			}
			for i := range tc.n {
				send(i)
				if i%10 == 9 {
					// Many writes, so that a small window forgets some.
					testsupport.WaitFor(t, 10*time.Second, "a write", func() bool { return push.Stats().Sent == uint64(i+1) })
				}
			}
			testsupport.WaitFor(t, 10*time.Second, "every message written", func() bool { return push.Stats().Sent == uint64(tc.n) })
			// Killed with everything unread.
			if err := pull.Close(); err != nil {
				t.Fatal(err)
			}
			testsupport.WaitFor(t, 10*time.Second, "the loss noticed", func() bool { return push.Stats().Disconnects == 1 })
			next := newSock(t, PULL, nil)
			if err := next.Bind(ep); err != nil {
				t.Fatal(err)
			}
			send(tc.n) // a newer message: after the replayed ones
			var got []int
			for {
				m, err := next.Recv(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if len(m) != 2 {
					t.Fatalf("message %d after the loss: %q", len(got), m)
				}
				i := int(binary.BigEndian.Uint64(m[1]))
				got = append(got, i)
				if i == tc.n {
					break
				}
			}
			for k := range got {
				if got[k] != got[0]+k {
					t.Fatalf("replayed out of order: %v", got)
				}
			}
			replayed := len(got) - 1
			msgBytes := 2 + 1 + 2 + 100 // two short frames
			testsupport.WaitFor(t, 5*time.Second, "the newer message counted", func() bool { return push.Stats().Sent == uint64(tc.n+1) })
			if st := push.Stats(); st.Replayed != uint64(replayed) || st.Sent != uint64(tc.n+1) {
				t.Fatalf("Stats.Replayed %d, Sent %d; received %d again, %d sent", st.Replayed, st.Sent, replayed, tc.n+1)
			}
			if replayed*msgBytes < min(tc.replay, tc.n*msgBytes) || replayed*msgBytes > tc.replay+10*msgBytes {
				t.Fatalf("replayed %d messages (%d bytes), window %d", replayed, replayed*msgBytes, tc.replay)
			}
			t.Logf("window %d bytes: %d of %d messages sent again", tc.replay, replayed, tc.n)
		})
	}
}

// TestReplayUnconfirmedAtClose: replay copies that cannot be written
// again before Close (no peer came back) are counted as unconfirmed, and
// Sent counts each message once.
func TestReplayUnconfirmedAtClose(t *testing.T) {
	ctx := testCtx(t)
	pull := newSock(t, PULL, nil)
	ep := bindLocal(t, pull)
	push, err := NewSocket(PUSH, &Options{ReplayBytes: 1 << 20, Linger: -1, ReconnectInterval: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := push.Connect(ep); err != nil {
		t.Fatal(err)
	}
	for range 10 {
		if err := push.SendFrames(ctx, []byte("T"), []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	testsupport.WaitFor(t, 5*time.Second, "written", func() bool { return push.Stats().Sent == 10 })
	if err := pull.Close(); err != nil {
		t.Fatal(err)
	}
	testsupport.WaitFor(t, 5*time.Second, "the loss noticed", func() bool { return push.Stats().Disconnects == 1 })
	if err := push.SendFrames(ctx, []byte("T"), []byte("never written")); err != nil {
		t.Fatal(err)
	}
	if err := push.Close(); err != nil {
		t.Fatal(err)
	}
	st := push.Stats()
	if st.Sent != 10 || st.Replayed != 10 || st.Unconfirmed != 10 || st.Dropped.Linger != 11 {
		t.Fatalf("sent %d replayed %d unconfirmed %d linger %d; want 10 10 10 11", st.Sent, st.Replayed, st.Unconfirmed, st.Dropped.Linger)
	}
}

// TestReplayWindowKeepsFullChunks: the writer's chunks at least half full
// are kept as they are (taken from the writer, not copied), mixed with
// copied small writes, and the window still reads back in order.
func TestReplayWindowKeepsFullChunks(t *testing.T) {
	w := &replayWindow{limit: 3 * chunkSize}
	var all []byte
	for i := range 40 {
		size := 100
		if i%3 != 0 {
			size = chunkSize/2 + i
		}
		c := chunkPool.Get().(*[]byte)
		*c = append((*c)[:0], bytes.Repeat([]byte{byte(i)}, size)...)
		cs := []seg{{own: c}}
		w.addSegs(cs)
		if kept := cs[0].own == nil; kept != (size >= chunkSize/2) {
			t.Fatalf("write %d of %d bytes: kept %v", i, size, kept)
		}
		releaseSegs(cs)
		all = append(all, bytes.Repeat([]byte{byte(i)}, size)...)
	}
	got := w.take()
	if !bytes.HasSuffix(all, got) || len(got) < 3*chunkSize || len(got) > 4*chunkSize+100 {
		t.Fatalf("window of %d bytes is not the newest writes", len(got))
	}
}

// TestReplayBoundedAcrossReconnects: a peer lost again and again, before
// the next one was sent much, replays no more than its window each time
// (what was sent again is kept piece by piece, not as one write).
func TestReplayBoundedAcrossReconnects(t *testing.T) {
	ctx := testCtx(t)
	const window = 64 << 10
	name := "inproc://" + t.Name()
	push := newSock(t, PUSH, &Options{ReplayBytes: window, ReconnectInterval: time.Millisecond, ReconnectIntervalMax: 5 * time.Millisecond})
	if err := push.Connect(name); err != nil {
		t.Fatal(err)
	}
	body := make([]byte, 1000)
	var last uint64
	for round := range 30 {
		pull := newSock(t, PULL, nil)
		if err := pull.Bind(name); err != nil {
			t.Fatal(err)
		}
		for range 20 { // 20 KB: less than the window each round
			if err := push.SendFrames(ctx, []byte("T"), body); err != nil {
				t.Fatal(err)
			}
		}
		// Read what arrives (the replay, then the new messages), then lose
		// the peer.
		want := push.Stats().Replayed - last + 20
		for range want {
			if _, err := pull.Recv(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if err := pull.Close(); err != nil {
			t.Fatal(err)
		}
		testsupport.WaitFor(t, 5*time.Second, "the loss noticed", func() bool { return push.Stats().Disconnects == uint64(round+1) })
		st := push.Stats()
		if sent := (st.Replayed - last) * 1005; sent > window+chunkSize+1005 {
			t.Fatalf("round %d: %d bytes sent again, window %d", round, sent, window)
		}
		last = st.Replayed
	}
}
