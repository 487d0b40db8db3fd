package subscriber

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/codec"
	"github.com/logbus/logbus/topic"
	"github.com/logbus/logbus/zmtp"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// pubStandIn is a PUB socket the test drives by hand.
func pubStandIn(t *testing.T) (*zmtp.Socket, string) {
	t.Helper()
	s, err := zmtp.NewSocket(zmtp.PUB, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Bind("tcp://127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s, s.Endpoints()[0]
}

func record(stream, seq uint64, level logbus.Level, equipment, msg string) []byte {
	r := logbus.Record{Envelope: logbus.Envelope{Stream: stream, Seq: seq, Equipment: equipment, Host: "h"}, Level: level, Message: msg}
	return codec.AppendRecordMsgpack(nil, &r)
}

func TestEventsGapsErrorsAndFilters(t *testing.T) {
	pub, ep := pubStandIn(t)
	warn := logbus.LevelWarn
	sub, err := Dial(context.Background(), ep, &Options{
		Filter:   topic.Filter{Systems: []logbus.System{logbus.Production}, Equipments: []string{"scope-3"}},
		MinLevel: &warn,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := sub.Close(); err != nil {
			t.Error(err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	send := func(frames ...[]byte) {
		t.Helper()
		if err := pub.Send(ctx, frames); err != nil {
			t.Fatal(err)
		}
	}
	// Join: PUB delivers only after the subscription arrived.
	for {
		send([]byte("PLM"), record(7, 1, logbus.LevelError, "scope-3", "hello"))
		c2, cancel2 := context.WithTimeout(ctx, 20*time.Millisecond)
		ev, err := sub.Next(c2)
		cancel2()
		if err == nil && ev.Kind == KindRecord {
			break
		}
		if ctx.Err() != nil {
			t.Fatal("never joined")
		}
	}
	// Drain the join probes: they all have seq 1 (reordered, not gaps).
	send([]byte("TLM"), record(7, 1, logbus.LevelError, "scope-3", "other system")) // not subscribed
	send([]byte("PLM"), record(7, 2, logbus.LevelInfo, "scope-3", "below level"))
	send([]byte("PLM"), record(7, 3, logbus.LevelError, "scope-30", "other equipment"))
	send([]byte("PLM"), record(7, 6, logbus.LevelError, "scope-3", "after a gap"))
	send([]byte("PLM"), []byte{0xc1})
	send([]byte("PLM"), record(7, 7, logbus.LevelCritical, "scope-3", "last"))

	var kinds []EventKind
	var msgs []string
	for len(kinds) < 4 {
		ev, err := sub.Next(ctx)
		if err != nil {
			t.Fatalf("after %v: %v", kinds, err)
		}
		if ev.Kind == KindRecord && ev.Record.Message == "hello" {
			continue
		}
		kinds = append(kinds, ev.Kind)
		switch ev.Kind {
		case KindRecord:
			msgs = append(msgs, ev.Record.Message)
		case KindGap:
			if ev.Gap.Missing != 2 || ev.Gap.After != 3 {
				t.Errorf("gap %+v", ev.Gap)
			}
		case KindDecodeError:
			if !errors.Is(ev.Err, codec.ErrMsgpack) {
				t.Errorf("decode error %v", ev.Err)
			}
		}
	}
	want := []EventKind{KindGap, KindRecord, KindDecodeError, KindRecord}
	for i := range want {
		if kinds[i] != want[i] {
			t.Fatalf("events %v, want %v", kinds, want)
		}
	}
	if msgs[0] != "after a gap" || msgs[1] != "last" {
		t.Errorf("records %q", msgs)
	}
	st := sub.Stats()
	if st.Filtered != 2 || st.DecodeErrors != 1 || st.Gaps != 1 || st.Missing != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestDialRejectsBadFilter(t *testing.T) {
	if _, err := Dial(context.Background(), "tcp://127.0.0.1:1", &Options{Filter: topic.Filter{Systems: []logbus.System{'X'}}}); err == nil {
		t.Error("bad filter accepted")
	}
	var s *Subscriber
	if err := s.Close(); err != nil {
		t.Error(err)
	}
}

// TestDecodeAheadKeepsEventsValid: messages are decoded ahead of Next,
// but an event's record is not overwritten while the decoding goroutine
// runs ahead, Stats count only what Next has reached, and Next after
// Close says the subscriber is closed.
func TestDecodeAheadKeepsEventsValid(t *testing.T) {
	pub, ep := pubStandIn(t)
	sub, err := Dial(context.Background(), ep, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for { // join
		if err := pub.Send(ctx, [][]byte{[]byte("PLM"), record(9, 1, logbus.LevelInfo, "", "join")}); err != nil {
			t.Fatal(err)
		}
		c2, cancel2 := context.WithTimeout(ctx, 20*time.Millisecond)
		_, err := sub.Next(c2)
		cancel2()
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatal("never joined")
		}
	}
	for sub.Buffered() > 0 || len(sub.ready) > 0 { // the other join probes
		if _, err := sub.Next(ctx); err != nil {
			t.Fatal(err)
		}
	}
	base := sub.Stats().Messages
	const n = 50
	for i := range n {
		r1 := record(10, uint64(2*i+1), logbus.LevelInfo, "", fmt.Sprintf("m%d-a", i))
		r2 := record(10, uint64(2*i+2), logbus.LevelInfo, "", fmt.Sprintf("m%d-b", i))
		if err := pub.Send(ctx, [][]byte{[]byte("PLM"), r1, r2}); err != nil { // a batch of two
			t.Fatal(err)
		}
	}
	for i := range n {
		for _, part := range []string{"a", "b"} {
			ev, err := sub.Next(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want := fmt.Sprintf("m%d-%s", i, part)
			// Let the decoding goroutine fill every free slot before the
			// record is looked at.
			deadline := time.Now().Add(5 * time.Second)
			for len(sub.ready) < slots-1 && i < n-slots && time.Now().Before(deadline) {
				runtime.Gosched()
			}
			if ev.Kind != KindRecord || ev.Record.Message != want {
				t.Fatalf("event %d%s: %v %+v", i, part, ev.Kind, ev.Record)
			}
			if got := sub.Stats().Messages - base; got != uint64(i+1) {
				t.Fatalf("at message %d Stats counts %d messages", i+1, got)
			}
		}
	}
	if _, ok := sub.TryNext(); ok {
		t.Error("TryNext returned an event that was never sent")
	}
	if err := sub.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := sub.Next(ctx); !errors.Is(err, zmtp.ErrClosed) {
		t.Errorf("Next after Close: %v", err)
	}
	if err := sub.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestNotices: a subscriber with a topic filter still takes the broker's
// reports of rejected messages, and skips (counts) notices of a kind it
// does not know instead of calling them decode errors.
func TestNotices(t *testing.T) {
	pub, ep := pubStandIn(t)
	sub, err := Dial(context.Background(), ep, &Options{Filter: topic.Filter{Systems: []logbus.System{logbus.Test}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := sub.Close(); err != nil {
			t.Error(err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	at := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	rep := codec.AppendRejected(nil, &logbus.Rejected{Summary: true, Peer: "192.0.2.7", Reason: logbus.RejectBadTopic,
		Count: 3, First: at, Last: at, Frames: 2, Bytes: 9, Preview: `["INFO" "x"]`})
	for {
		if err := pub.Send(ctx, zmtp.Msg{[]byte("!future"), []byte("{}")}); err != nil {
			t.Fatal(err)
		}
		if err := pub.Send(ctx, zmtp.Msg{[]byte(topic.Rejected), rep}); err != nil {
			t.Fatal(err)
		}
		c2, cancel2 := context.WithTimeout(ctx, 20*time.Millisecond)
		ev, err := sub.Next(c2)
		cancel2()
		if err == nil {
			if ev.Kind != KindRejected || ev.Rejected.Count != 3 || ev.Rejected.Peer != "192.0.2.7" {
				t.Fatalf("event %v %+v", ev.Kind, ev.Rejected)
			}
			break
		}
		if ctx.Err() != nil {
			t.Fatal("no report through a filtered subscription")
		}
	}
	if st := sub.Stats(); st.UnknownNotices == 0 || st.DecodeErrors != 0 || st.Rejected != 1 {
		t.Errorf("stats %+v", st)
	}
}
