package subscriber

import (
	"github.com/logbus/logbus"
	"github.com/logbus/logbus/origin"
)

// LinkPosition is where a consumer stood on one link (package origin):
// the last message number it handled, and the link's count of records
// from unnumbered senders up to it.
type LinkPosition struct {
	Link, Seq, Unnumbered uint64
}

// linker follows the numbers of the links messages came through, for a
// subscriber that takes every message of a broker's archive (a filter
// would make every skipped message look lost). It reports each hop's
// gaps, and finds duplicates: copies a broker's upstream link sent again
// after a reconnect, which an upstream broker that restarted could not
// drop itself.
//
// A message lost on a later hop skipped numbers on the earlier hops too:
// an earlier hop's gap in the same message is reported less what the
// later hop's gap already counts. Exact when one downstream broker feeds
// the link (one site); with several, a loss on both hops at once can be
// under-counted on the earlier hop, never counted twice.
type linker struct {
	m map[uint64]LinkPosition

	Gaps, Messages, Unnumbered, Duplicates uint64
}

// maxLinks bounds the links followed; past it, all are forgotten and
// rejoin (no gap is reported at a join).
const maxLinks = 4096

func (l *linker) seed(ps []LinkPosition) {
	for _, p := range ps {
		if p.Link != 0 && len(l.m) < maxLinks {
			l.m[p.Link] = p
		}
	}
}

// check follows chain (oldest hop first) for a message of records
// records and appends its gaps to gaps. It reports false for a duplicate,
// to be dropped.
func (l *linker) check(chain []origin.Origin, records int, gaps []logbus.LinkGap) ([]logbus.LinkGap, bool) {
	var counted logbus.LinkGap // what a later hop's gap counted
	for i := len(chain) - 1; i >= 0; i-- {
		o := &chain[i]
		own := uint64(0)
		if !o.Numbered {
			own = uint64(records)
		}
		st, known := l.m[o.Link]
		switch {
		case !known || o.Seq == st.Seq+1:
		case o.Seq <= st.Seq:
			l.Duplicates++
			return gaps, false
		default:
			g := logbus.LinkGap{Link: o.Link, Hop: len(chain) - 1 - i, Messages: o.Seq - st.Seq - 1, After: st.Seq}
			if before := o.Unnumbered - min(own, o.Unnumbered); before > st.Unnumbered {
				g.Unnumbered = before - st.Unnumbered
			}
			if counted.Messages > 0 {
				g.Messages -= min(g.Messages, counted.Messages)
				g.Unnumbered -= min(g.Unnumbered, counted.Unnumbered)
			} else {
				counted = g
			}
			if g.Messages > 0 {
				gaps = append(gaps, g)
				l.Gaps++
				l.Messages += g.Messages
				l.Unnumbered += g.Unnumbered
			}
		}
		if !known && len(l.m) >= maxLinks {
			clear(l.m)
		}
		l.m[o.Link] = LinkPosition{Link: o.Link, Seq: o.Seq, Unnumbered: o.Unnumbered}
	}
	return gaps, true
}
