package subscriber

import "github.com/logbus/logbus"

// sequencer tracks the last sequence number per (stream, topic). Its size
// is bounded: when it holds maxStreams entries, those idle longest are
// forgotten (a forgotten stream that speaks again is "joined late").
//
// Idleness is measured in messages checked, not in time: a logical clock
// orders streams by last use exactly as well, and reading the real clock
// for every message was a measurable share of a file sink's work.
type sequencer struct {
	last       map[seqKey]*seqState
	maxStreams int
	tick       uint64 // messages checked so far

	Gaps, Missing, Reordered uint64
}

type seqKey struct {
	stream uint64
	topic  string
}

type seqState struct {
	seq  uint64
	seen uint64 // tick of the last message
}

func newSequencer(max int) *sequencer {
	return &sequencer{last: make(map[seqKey]*seqState), maxStreams: max}
}

// check records env's number and returns the gap before it, if any.
// topic must be the message's full topic frame.
func (s *sequencer) check(topicFrame []byte, env *logbus.Envelope) (logbus.Gap, bool) {
	if env.Stream == 0 || env.Seq == 0 {
		return logbus.Gap{}, false // an unnumbered sender (Python clients)
	}
	st, ok := s.last[seqKey{env.Stream, string(topicFrame)}] // no allocation for the lookup
	s.tick++
	now := s.tick
	if !ok {
		if len(s.last) >= s.maxStreams {
			s.evict()
		}
		s.last[seqKey{env.Stream, string(topicFrame)}] = &seqState{seq: env.Seq, seen: now}
		return logbus.Gap{}, false // joined late, or a new stream
	}
	st.seen = now
	switch {
	case env.Seq == st.seq+1:
		st.seq = env.Seq
		return logbus.Gap{}, false
	case env.Seq > st.seq+1:
		g := logbus.Gap{Stream: env.Stream, Topic: string(topicFrame), Host: env.Host, PID: env.PID,
			Missing: env.Seq - st.seq - 1, After: st.seq}
		st.seq = env.Seq
		s.Gaps++
		s.Missing += g.Missing
		return g, true
	default:
		s.Reordered++ // a duplicate or a late record: delivered, not counted twice
		return logbus.Gap{}, false
	}
}

// evict forgets the half of the streams idle longest.
func (s *sequencer) evict() {
	var total uint64
	now := s.tick
	for _, st := range s.last {
		total += now - st.seen
	}
	mean := total / uint64(len(s.last))
	for k, st := range s.last {
		if now-st.seen >= mean {
			delete(s.last, k)
		}
	}
}

// Position is where one publisher stream stood on one topic: the last
// sequence number a consumer handled.
type Position struct {
	Stream uint64
	Topic  string // the full topic frame, equipment suffix included
	Seq    uint64
}

// seed starts tracking the given positions (up to the bound), as if their
// records had just been received.
func (s *sequencer) seed(ps []Position) {
	for _, p := range ps {
		if len(s.last) >= s.maxStreams {
			return
		}
		if p.Stream == 0 || p.Seq == 0 {
			continue
		}
		k := seqKey{p.Stream, p.Topic}
		if st, ok := s.last[k]; ok {
			st.seq = max(st.seq, p.Seq)
			continue
		}
		s.last[k] = &seqState{seq: p.Seq}
	}
}
