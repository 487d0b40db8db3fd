package reliability

import (
	"syscall"
	"testing"
	"time"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/internal/testsupport"
	"github.com/logbus/logbus/publisher"
)

// restartMidStream publishes a stream through a broker process, stops it
// with sig a third of the way through, starts a new one on the same
// addresses and returns, for the numbered records from the first one the
// subscriber saw to the last: how many were lost, and how many the
// subscriber reported missing and did not receive later.
func restartMidStream(t *testing.T, sig syscall.Signal) (lost, reported uint64, published int) {
	a := newBrokerAddrs(t)
	b := startBroker(t, a)
	sub := newSub(t, a.archive)
	pub := newPub(t, a.ingest, &publisher.Options{QueueRecords: 200000})
	joined(t, pub, sub)
	tl := follow(sub)
	const n = 30000
	var first uint64
	for i := range n {
		pub.Publish(&logbus.Record{Message: "r", Attrs: []logbus.Attr{{Key: "i", Value: logbus.IntValue(int64(i))}}})
		if i == n/3 {
			if err := b.kill(sig); err != nil && sig == syscall.SIGTERM {
				t.Fatalf("broker exit after SIGTERM: %v", err)
			}
			b.start()
		}
		if i%1000 == 999 {
			time.Sleep(time.Millisecond) // a steady stream, not one burst
		}
	}
	// Keep publishing until a record after the stream arrives, so that
	// every loss in the stream is followed by a record that reveals it.
	var last uint64
	testsupport.WaitFor(t, 20*time.Second, "a record after the stream", func() bool {
		r := &logbus.Record{Message: "tail"}
		pub.Publish(r)
		last = r.Seq
		return tl.has(pub.Stream(), last-1)
	})
	tl.stop()
	tl.mu.Lock()
	defer tl.mu.Unlock()
	seqs := tl.seqs[pub.Stream()]
	first = last
	for s := range seqs {
		first = min(first, s)
	}
	var got uint64
	for s := first; s < last; s++ {
		if seqs[s] {
			got++
		}
	}
	if st := pub.Stats(); st.Dropped.QueueFull != 0 {
		t.Fatalf("publisher dropped %d records: the test needs a larger queue", st.Dropped.QueueFull)
	}
	// A record can arrive after a later one across a crash (one sent to
	// the old broker, the next already to the new): the subscriber
	// reports a gap that the late record then fills.
	return (last - first) - got, tl.missing - tl.late, n
}

// TestBrokerKill9LossEqualsGaps: after kill -9 of the broker mid-stream,
// the records lost are exactly the records the subscriber reports missing.
func TestBrokerKill9LossEqualsGaps(t *testing.T) {
	lost, reported, n := restartMidStream(t, syscall.SIGKILL)
	t.Logf("kill -9 mid-stream: %d of %d records lost, %d reported missing", lost, n, reported)
	if lost != reported {
		t.Errorf("lost %d records but gaps report %d", lost, reported)
	}
}

// TestBrokerGracefulRestartLosesNothing: SIGTERM drains publishers into
// the subscribers, and the publishers' queues carry the rest to the new
// broker.
func TestBrokerGracefulRestartLosesNothing(t *testing.T) {
	lost, reported, n := restartMidStream(t, syscall.SIGTERM)
	if lost != 0 || reported != 0 {
		t.Errorf("graceful restart: %d of %d records lost, %d reported missing", lost, n, reported)
	}
}

// TestFiftyPublishers: 50 concurrent publishers through a broker process;
// every record of every stream arrives, without gaps.
func TestFiftyPublishers(t *testing.T) {
	a := newBrokerAddrs(t)
	startBroker(t, a)
	sub := newSub(t, a.archive)
	probe := newPub(t, a.ingest, nil)
	joined(t, probe, sub)
	tl := follow(sub)
	const pubs, per = 50, 400
	ps := make([]*publisher.Publisher, pubs)
	for i := range ps {
		ps[i] = newPub(t, a.ingest, nil)
	}
	done := make(chan struct{})
	for _, p := range ps {
		go func() {
			defer func() { done <- struct{}{} }()
			for range per {
				p.Publish(&logbus.Record{Level: logbus.LevelInfo, Message: "x"})
			}
		}()
	}
	for range ps {
		<-done
	}
	testsupport.WaitFor(t, 30*time.Second, "every record", func() bool {
		for _, p := range ps {
			if tl.received(p.Stream()) < per {
				return false
			}
		}
		return true
	})
	tl.stop()
	if g := tl.gaps(); g != 0 {
		t.Errorf("%d records reported missing", g)
	}
}
