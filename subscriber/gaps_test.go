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
		{topicA, 1, 44, 0}, // late duplicate of the old stream: reordered, not a gap
		{topicA, 1, 46, 0},
		{topicA, 0, 0, 0}, // unnumbered sender
		{topicA, 1, 50, 3},
	}
	for i, st := range steps {
		g, gap := s.check(st.topic, env(st.stream, st.seq))
		if gap != (st.missing > 0) || g.Missing != st.missing {
			t.Fatalf("step %d: gap=%v %+v, want missing %d", i, gap, g, st.missing)
		}
		if gap && (g.Host != "h" || g.PID != 9 || g.Stream != st.stream || g.Topic != string(st.topic) || g.After != st.seq-st.missing-1) {
			t.Errorf("step %d: gap details %+v", i, g)
		}
	}
	if s.Gaps != 2 || s.Missing != 5 || s.Reordered != 1 {
		t.Errorf("counters gaps %d missing %d reordered %d", s.Gaps, s.Missing, s.Reordered)
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
	if _, gap := s.check([]byte("PLM"), &logbus.Envelope{Stream: 1000, Seq: 3}); !gap {
		t.Error("recent stream was forgotten")
	}
}

func TestSequencerSeeded(t *testing.T) {
	s := newSequencer(10)
	s.pos.Seed([]Position{{Stream: 5, Topic: "PLM", Seq: 100}, {Stream: 6, Topic: "PLM", Seq: 7}, {Stream: 0, Topic: "PLM", Seq: 3}})
	if g, gap := s.check([]byte("PLM"), &logbus.Envelope{Stream: 5, Seq: 104, Host: "h"}); !gap || g.Missing != 3 || g.After != 100 {
		t.Errorf("seeded stream: gap %v %+v, want 3 missing after 100", gap, g)
	}
	if _, gap := s.check([]byte("PLM"), &logbus.Envelope{Stream: 6, Seq: 8}); gap {
		t.Error("a stream continuing from its position reported a gap")
	}
	if _, gap := s.check([]byte("TLM"), &logbus.Envelope{Stream: 5, Seq: 50}); gap {
		t.Error("another topic of the stream is not seeded: it joins late")
	}
}
