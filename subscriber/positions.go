package subscriber

import "iter"

// Position is where one publisher stream stood on one topic: the last
// sequence number a consumer handled.
type Position struct {
	Stream uint64
	Topic  string // the full topic frame, equipment suffix included
	Seq    uint64
}

// Positions is the one record of where publisher streams stand: per
// stream and topic frame, the highest sequence number seen. The
// subscriber's gap detection keeps one for what it received; the file
// sink keeps one for what it wrote, which it saves in its positions file
// and resumes from (Options.Resume).
//
// It is bounded: holding its limit of streams, it forgets the half idle longest
// before it takes a new one (a forgotten stream that speaks again is new
// to it: "joined late"). Idleness is counted in calls to Advance, not in
// time: a logical clock orders streams by last use exactly as well, and
// reading the real clock for every record was a measurable share of a
// file sink's work. The zero value is not usable; it is not safe for
// concurrent use.
type Positions struct {
	m    map[posKey]*posState
	max  int
	tick uint64 // calls to Advance so far
}

type posKey struct {
	stream uint64
	topic  string
}

type posState struct {
	seq  uint64
	seen uint64 // tick of the last Advance
}

// NewPositions returns an empty Positions tracking at most limit streams
// (at least 1).
func NewPositions(limit int) *Positions {
	return &Positions{m: make(map[posKey]*posState), max: max(limit, 1)}
}

// Advance notes seq for stream on topicFrame and returns where the
// stream stood before: its highest number, and false when it was not
// tracked (new, or forgotten). The position only moves forward: a late
// or repeated number leaves it. Looking up a tracked stream does not
// allocate.
func (p *Positions) Advance(stream uint64, topicFrame []byte, seq uint64) (last uint64, known bool) {
	p.tick++
	if st, ok := p.m[posKey{stream, string(topicFrame)}]; ok { // no allocation for the lookup
		st.seen = p.tick
		last = st.seq
		st.seq = max(st.seq, seq)
		return last, true
	}
	if len(p.m) >= p.max {
		p.evict()
	}
	p.m[posKey{stream, string(topicFrame)}] = &posState{seq: seq, seen: p.tick}
	return 0, false
}

// Seed starts tracking ps (up to the bound) as if their numbers had just
// been seen, in order: each takes its own turn of the clock, so a full
// table of seeded streams still forgets only half of them. A stream given
// twice keeps the higher number; zero streams or numbers are skipped.
func (p *Positions) Seed(ps []Position) {
	for _, q := range ps {
		p.tick++
		if q.Stream == 0 || q.Seq == 0 {
			continue
		}
		k := posKey{q.Stream, q.Topic}
		if st, ok := p.m[k]; ok {
			st.seq = max(st.seq, q.Seq)
			continue
		}
		if len(p.m) >= p.max {
			return
		}
		p.m[k] = &posState{seq: q.Seq, seen: p.tick}
	}
}

// Len returns how many streams are tracked.
func (p *Positions) Len() int { return len(p.m) }

// All yields every tracked position, in no particular order.
func (p *Positions) All() iter.Seq[Position] {
	return func(yield func(Position) bool) {
		for k, st := range p.m {
			if !yield(Position{Stream: k.stream, Topic: k.topic, Seq: st.seq}) {
				return
			}
		}
	}
}

// evict forgets the streams idle at least as long as the mean: about
// half of them, found in one pass without sorting.
func (p *Positions) evict() {
	var total uint64
	now := p.tick
	for _, st := range p.m {
		total += now - st.seen
	}
	mean := total / uint64(len(p.m))
	for k, st := range p.m {
		if now-st.seen >= mean {
			delete(p.m, k)
		}
	}
}
