package zmtp

// replayWindow keeps the newest messages a PUSH peer wrote
// (Options.ReplayBytes), so that they can be sent again to the next peer
// if this one goes away: what the kernel accepted, a receiver that died
// or restarted may never have read.
//
// It holds pieces that start and end on message boundaries: the
// writer's chunks (a peer's queue keeps every message whole in one
// chunk). The oldest pieces are forgotten once the newer ones alone hold
// the limit, so the window holds at least the limit's worth (when that
// much was written) and at most the limit plus one piece: 64 KiB, or one
// larger message. It never grows with repeated reconnects: what was sent
// again is kept piece by piece like anything else. The writer's chunks
// are kept when at least half full (under load, nearly all of them:
// nothing is copied); smaller pieces are copied, packed, into pooled
// chunks, so a window of small writes costs its bytes, not a chunk per
// write. No large buffer is ever regrown.
type replayWindow struct {
	limit  int
	chunks []*[]byte // packed: all full but the last
	base   int       // offset of chunks[0]'s first byte in the stream written
	start  int       // offset of the oldest byte kept (a write's start)
	end    int       // offset after the newest byte
	ends   []int     // offsets after each piece kept, oldest first, from first
	first  int
}

// add keeps written bytes (whole messages), in pieces of up to a chunk
// at message boundaries.
func (w *replayWindow) add(b []byte) {
	start := 0
	for off := 0; off < len(b); {
		end, _ := nextMsgEnd(b, off)
		if end < 0 {
			end = len(b)
		}
		if end-start > chunkSize && off > start {
			w.put(b[start:off])
			w.closeWrite()
			start = off
		}
		off = end
	}
	w.put(b[start:])
	w.closeWrite()
}

// addSegs keeps a write's bytes, given as the writer's segments (each a
// piece on message boundaries): a private chunk at least half full is
// kept as it is (the writer must not release it: its entry's own is set
// to nil), the rest is copied.
func (w *replayWindow) addSegs(gs []seg) {
	for i, g := range gs {
		if g.sh == nil && len(*g.own) >= chunkSize/2 {
			w.chunks = append(w.chunks, g.own)
			w.end += len(*g.own)
			gs[i].own = nil
		} else {
			w.put(g.bytes())
		}
		w.closeWrite()
	}
}

// release returns a chunk to the pool, if it came from it.
func release(c *[]byte) {
	if cap(*c) == chunkSize {
		*c = (*c)[:0]
		chunkPool.Put(c)
	}
}

// drop empties the window without copying it out (the socket is closing).
func (w *replayWindow) drop() {
	for _, c := range w.chunks {
		release(c)
	}
	w.chunks, w.ends, w.first = nil, w.ends[:0], 0
	w.base, w.start = w.end, w.end
}

// put copies b in.
func (w *replayWindow) put(b []byte) {
	for len(b) > 0 {
		var c *[]byte
		if k := len(w.chunks); k > 0 && len(*w.chunks[k-1]) < cap(*w.chunks[k-1]) {
			c = w.chunks[k-1]
		} else {
			c = chunkPool.Get().(*[]byte)
			*c = (*c)[:0]
			w.chunks = append(w.chunks, c)
		}
		n := min(len(b), cap(*c)-len(*c))
		*c = append(*c, b[:n]...)
		b = b[n:]
		w.end += n
	}
}

// closeWrite ends the piece just put, and forgets the oldest pieces the
// newer ones make unnecessary.
func (w *replayWindow) closeWrite() {
	if len(w.ends) > w.first && w.ends[len(w.ends)-1] == w.end {
		return // an empty write
	}
	w.ends = append(w.ends, w.end)
	for w.first < len(w.ends)-1 && w.end-w.ends[w.first] >= w.limit {
		w.start = w.ends[w.first]
		w.first++
	}
	if w.first > 64 && w.first >= len(w.ends)/2 {
		w.ends = append(w.ends[:0], w.ends[w.first:]...)
		w.first = 0
	}
	for len(w.chunks) > 1 && w.base+len(*w.chunks[0]) <= w.start {
		c := w.chunks[0]
		w.base += len(*c)
		release(c)
		w.chunks[0] = nil
		w.chunks = w.chunks[1:]
	}
}

// take returns the window's bytes (owned by the caller) and empties it.
func (w *replayWindow) take() []byte {
	var out []byte
	if w.end > w.start {
		out = make([]byte, 0, w.end-w.start)
		off := w.base
		for _, c := range w.chunks {
			b := *c
			if off < w.start {
				b = b[min(w.start-off, len(b)):]
			}
			out = append(out, b...)
			off += len(*c)
		}
	}
	w.drop()
	return out
}
