package subscriber

import (
	"testing"

	"github.com/logbus/logbus"
)

func TestSequencer(t *testing.T) {
	s := newSequencer(100)
	topicA, topicB := []byte("PLM"), []byte("PLM/scope-3/")
	env := func(stream, seq uint64) *logbus.Envelope {
		return &logbus.Envelope{Stream: stream, Seq: seq, Host: "h", PID: 9}
	}
	steps := []struct {
		topic   []byte
		stream  uint64
		seq     uint64
		missing uint64 // 0: no gap expected
	}{
		{topicA, 1, 41, 0}, // joined late: not a gap
		{topicA, 1, 42, 0},
		{topicA, 1, 45, 2}, // 43, 44 lost
		{topicB, 1, 1, 0},  // another topic of the same stream counts on its own
		{topicB, 1, 2, 0},
		{topicA, 2, 1, 0},  // the publisher restarted: a new stream
		{topicA, 1, 44, 0}, // late: fills part of the gap
		{topicA, 1, 44, 0}, // now a duplicate
		{topicA, 1, 42, 0}, // a duplicate
		{topicA, 1, 46, 0},
		{topicA, 0, 0, 0}, // unnumbered sender
		{topicA, 1, 50, 3},
	}
	for i, st := range steps {
		g, v := s.check(st.topic, env(st.stream, st.seq))
		gap := v == afterGap
		if gap != (st.missing > 0) || g.Missing != st.missing {
			t.Fatalf("step %d: gap=%v %+v, want missing %d", i, gap, g, st.missing)
		}
		if gap && (g.Host != "h" || g.PID != 9 || g.Stream != st.stream || g.Topic != string(st.topic) || g.After != st.seq-st.missing-1) {
			t.Errorf("step %d: gap details %+v", i, g)
		}
	}
	if s.Gaps != 2 || s.Missing != 5 || s.Late != 1 || s.Duplicates != 2 {
		t.Errorf("counters gaps %d missing %d late %d duplicates %d", s.Gaps, s.Missing, s.Late, s.Duplicates)
	}
}

func TestSequencerBounded(t *testing.T) {
	s := newSequencer(10)
	for i := range uint64(1000) {
		s.check([]byte("PLM"), &logbus.Envelope{Stream: i + 1, Seq: 1})
		if s.pos.Len() > 10 {
			t.Fatalf("tracking %d streams, bound 10", s.pos.Len())
		}
	}
	// The most recent stream is still tracked: its next record is checked.
	if _, v := s.check([]byte("PLM"), &logbus.Envelope{Stream: 1000, Seq: 3}); v != afterGap {
		t.Error("recent stream was forgotten")
	}
}

func TestSequencerSeeded(t *testing.T) {
	s := newSequencer(10)
	s.pos.Seed([]Position{{Stream: 5, Topic: "PLM", Seq: 100}, {Stream: 6, Topic: "PLM", Seq: 7}, {Stream: 0, Topic: "PLM", Seq: 3}})
	if g, v := s.check([]byte("PLM"), &logbus.Envelope{Stream: 5, Seq: 104, Host: "h"}); v != afterGap || g.Missing != 3 || g.After != 100 {
		t.Errorf("seeded stream: %v %+v, want 3 missing after 100", v, g)
	}
	if _, v := s.check([]byte("PLM"), &logbus.Envelope{Stream: 6, Seq: 8}); v != inOrder {
		t.Error("a stream continuing from its position reported a gap")
	}
	if _, v := s.check([]byte("PLM"), &logbus.Envelope{Stream: 6, Seq: 5}); v != duplicate {
		t.Error("a number below a seeded position is not a duplicate")
	}
	if _, v := s.check([]byte("TLM"), &logbus.Envelope{Stream: 5, Seq: 50}); v != inOrder {
		t.Error("another topic of the stream is not seeded: it joins late")
	}
}

// TestSequencerHolesBounded: late records are recognised only for the
// newest maxHoles gaps; older ones count as duplicates, and the memory
// stays bounded.
func TestSequencerHolesBounded(t *testing.T) {
	s := newSequencer(100)
	topic := []byte("PLM")
	for i := range uint64(3 * maxHoles) {
		s.check(topic, &logbus.Envelope{Stream: 1, Seq: 3*i + 1})
	}
	if s.nhole > maxHoles || len(s.order) > 2*maxHoles+1 {
		t.Fatalf("%d holes, %d order entries, bound %d", s.nhole, len(s.order), maxHoles)
	}
	if _, v := s.check(topic, &logbus.Envelope{Stream: 1, Seq: 2}); v != duplicate {
		t.Errorf("a number in a forgotten gap: %v, want duplicate", v)
	}
	newest := 3*(3*maxHoles-1) + 1
	if _, v := s.check(topic, &logbus.Envelope{Stream: 1, Seq: uint64(newest - 1)}); v != late {
		t.Errorf("a number in the newest gap: %v, want late", v)
	}
	if _, v := s.check(topic, &logbus.Envelope{Stream: 1, Seq: uint64(newest - 1)}); v != duplicate {
		t.Errorf("the same number again: %v, want duplicate", v)
	}
}
