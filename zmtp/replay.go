package zmtp

// replayWindow keeps the newest messages a PUSH peer wrote
// (Options.ReplayBytes), so that they can be sent again to the next peer
// if this one goes away: what the kernel accepted, a receiver that died
// or restarted may never have read.
//
// It holds whole writes: each write starts and ends on a message
// boundary, so the window does too. The oldest writes are forgotten once
// the newer ones alone hold the limit; the window therefore holds at
// least the limit's worth (when that much was written) and at most the
// limit plus one write. The bytes are copied into one buffer that is
// compacted as it is consumed, so a window of small writes costs its
// bytes and no more (keeping the writer's 64 KiB chunks would cost a
// chunk per write).
type replayWindow struct {
	limit int
	buf   []byte // live bytes are buf[start:]
	start int
	segs  []int // lengths of the writes in buf[start:], oldest first
	first int   // index in segs of the oldest live write
}

// add keeps one write's bytes.
func (w *replayWindow) add(b []byte) {
	w.buf = append(w.buf, b...)
	w.end(len(b))
}

// addChunks keeps one write's bytes, given as the writer's chunks.
func (w *replayWindow) addChunks(cs []*[]byte) {
	n := 0
	for _, c := range cs {
		w.buf = append(w.buf, *c...)
		n += len(*c)
	}
	w.end(n)
}

// end closes a write of n bytes just appended, and forgets the oldest
// writes the newer ones make unnecessary.
func (w *replayWindow) end(n int) {
	if n == 0 {
		return
	}
	w.segs = append(w.segs, n)
	for live := len(w.buf) - w.start; w.first < len(w.segs)-1 && live-w.segs[w.first] >= w.limit; w.first++ {
		live -= w.segs[w.first]
		w.start += w.segs[w.first]
	}
	// Compact once the dead front is as large as the live part: each byte
	// is moved at most about once.
	if w.start > 0 && w.start >= len(w.buf)-w.start {
		w.buf = append(w.buf[:0], w.buf[w.start:]...)
		w.start = 0
		w.segs = append(w.segs[:0], w.segs[w.first:]...)
		w.first = 0
	}
}

// take returns the window's bytes (owned by the caller) and empties it.
func (w *replayWindow) take() []byte {
	if len(w.buf) == w.start {
		return nil
	}
	out := append([]byte(nil), w.buf[w.start:]...)
	w.buf, w.start, w.segs, w.first = w.buf[:0], 0, w.segs[:0], 0
	return out
}
