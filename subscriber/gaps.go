package subscriber

import (
	"github.com/logbus/logbus"
)

// sequencer checks each numbered record against the position of its
// stream and topic (Positions, bounded by MaxStreams): it finds gaps,
// drops duplicates, and lets a late record that fills a reported gap
// through.
//
// Duplicates are expected: a logbus publisher sends its newest records
// again after any reconnect (publisher.Options.ReplayBytes), since it
// cannot know what a broker that went away had passed on. A number at or
// below the stream's position is a duplicate unless it lies in a gap
// reported earlier (the rare record that overtook another across a
// reconnect); the most recent maxHoles such gaps are remembered.
type sequencer struct {
	pos   *Positions
	holes map[posKey][]hole
	order []posKey // streams with holes, oldest first (may repeat)
	nhole int

	Gaps, Missing, Late, Duplicates uint64
}

// hole is a reported gap's numbers not yet received, from..to inclusive.
type hole struct{ from, to uint64 }

// maxHoles bounds the gaps remembered for late records.
const maxHoles = 4096

// verdict says what check made of a record.
type verdict int

const (
	inOrder   verdict = iota // the next number, a stream joining, or unnumbered
	afterGap                 // numbers were skipped: the Gap describes them
	late                     // fills part of a reported gap: delivered, counted
	duplicate                // seen before: to be dropped, counted
)

func newSequencer(max int) *sequencer {
	return &sequencer{pos: NewPositions(max)}
}

// check records env's number and says what it is; for afterGap it also
// returns the gap. topic must be the message's full topic frame.
func (s *sequencer) check(topicFrame []byte, env *logbus.Envelope) (logbus.Gap, verdict) {
	if env.Stream == 0 || env.Seq == 0 {
		return logbus.Gap{}, inOrder // an unnumbered sender (distlog, logbook)
	}
	last, known := s.pos.Advance(env.Stream, topicFrame, env.Seq)
	switch {
	case !known:
		return logbus.Gap{}, inOrder // joined late, or a new stream
	case env.Seq == last+1:
		return logbus.Gap{}, inOrder
	case env.Seq > last+1:
		g := logbus.Gap{Stream: env.Stream, Topic: string(topicFrame), Host: env.Host, PID: env.PID,
			Missing: env.Seq - last - 1, After: last}
		s.Gaps++
		s.Missing += g.Missing
		s.remember(posKey{env.Stream, g.Topic}, hole{last + 1, env.Seq - 1})
		return g, afterGap
	default:
		if s.fill(env.Stream, topicFrame, env.Seq) {
			s.Late++
			return logbus.Gap{}, late
		}
		s.Duplicates++
		return logbus.Gap{}, duplicate
	}
}

// remember keeps a reported gap for late records, forgetting the oldest
// beyond maxHoles. order has one entry per remembered gap (some stale,
// once filled); a stream's gaps are oldest first.
func (s *sequencer) remember(k posKey, h hole) {
	if s.holes == nil {
		s.holes = make(map[posKey][]hole)
	}
	for s.nhole >= maxHoles && len(s.order) > 0 {
		old := s.order[0]
		s.order = s.order[1:]
		if hs := s.holes[old]; len(hs) > 1 {
			s.holes[old] = hs[1:]
			s.nhole--
		} else if len(hs) == 1 {
			delete(s.holes, old)
			s.nhole--
		}
	}
	s.holes[k] = append(s.holes[k], h)
	s.order = append(s.order, k)
	s.nhole++
	if len(s.order) > 2*maxHoles {
		// Mostly stale entries: one per gap still open (the order
		// between streams is lost, not within one).
		s.order = s.order[:0:0]
		for k, hs := range s.holes {
			for range hs {
				s.order = append(s.order, k)
			}
		}
	}
}

// fill reports whether seq lies in a remembered gap of the stream, and
// takes it out of the gap.
func (s *sequencer) fill(stream uint64, topicFrame []byte, seq uint64) bool {
	if len(s.holes) == 0 {
		return false
	}
	k := posKey{stream, string(topicFrame)}
	hs := s.holes[k]
	for i, h := range hs {
		if seq < h.from || seq > h.to {
			continue
		}
		switch {
		case h.from == h.to:
			hs = append(hs[:i], hs[i+1:]...)
			s.nhole--
		case seq == h.from:
			hs[i].from++
		case seq == h.to:
			hs[i].to--
		default:
			hs = append(hs[:i+1], hs[i:]...)
			hs[i].to, hs[i+1].from = seq-1, seq+1
			s.nhole++
		}
		if len(hs) == 0 {
			delete(s.holes, k)
		} else {
			s.holes[k] = hs
		}
		return true
	}
	return false
}
