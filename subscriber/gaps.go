package subscriber

import (
	"github.com/logbus/logbus"
)

// sequencer detects gaps: it checks each numbered record against the
// position of its stream and topic (Positions, bounded by MaxStreams).
type sequencer struct {
	pos *Positions

	Gaps, Missing, Reordered uint64
}

func newSequencer(max int) *sequencer {
	return &sequencer{pos: NewPositions(max)}
}

// check records env's number and returns the gap before it, if any.
// topic must be the message's full topic frame.
func (s *sequencer) check(topicFrame []byte, env *logbus.Envelope) (logbus.Gap, bool) {
	if env.Stream == 0 || env.Seq == 0 {
		return logbus.Gap{}, false // an unnumbered sender (distlog, logbook)
	}
	last, known := s.pos.Advance(env.Stream, topicFrame, env.Seq)
	switch {
	case !known:
		return logbus.Gap{}, false // joined late, or a new stream
	case env.Seq == last+1:
		return logbus.Gap{}, false
	case env.Seq > last+1:
		g := logbus.Gap{Stream: env.Stream, Topic: string(topicFrame), Host: env.Host, PID: env.PID,
			Missing: env.Seq - last - 1, After: last}
		s.Gaps++
		s.Missing += g.Missing
		return g, true
	default:
		s.Reordered++ // a duplicate or a late record: delivered, not counted twice
		return logbus.Gap{}, false
	}
}
