package zmtp

import (
	"net"
	"sync"
	"sync/atomic"
)

// chunkSize is the size of the buffers a peer's output is queued in.
const chunkSize = 64 << 10

// chunkPool holds empty chunks shared by every peer of every socket, so a
// backlog takes memory only while it lasts.
var chunkPool = sync.Pool{New: func() any {
	b := make([]byte, 0, chunkSize)
	return &b
}}

// sharedBuf is a buffer of encoded messages that several subscribers'
// queues point into: a PUB encodes a message once, and each subscriber
// that takes it holds a reference instead of a copy. Fifty dashboards
// that stopped reading then hold the same few megabytes, not fifty
// copies, and a message costs each subscriber a few words, not a memmove.
// base never changes once made (its length is its capacity); the socket
// writes each message once, past what it handed out, and readers only
// read the ranges they were given. refs counts the holders: the socket
// while it still writes into the buffer, each Send while it hands a
// message out, and each queued or written segment; the last one returns
// a pooled buffer to chunkPool.
type sharedBuf struct {
	base   []byte
	pooled *[]byte // base's pool entry, or nil for a buffer of one large message
	refs   atomic.Int32
}

// release drops one reference.
func (b *sharedBuf) release() {
	if b.refs.Add(-1) == 0 && b.pooled != nil {
		*b.pooled = (*b.pooled)[:0]
		chunkPool.Put(b.pooled)
	}
}

// sharedEnc is where a PUB encodes each message once, into the buffer
// its subscribers' queues then refer to.
type sharedEnc struct {
	mu   sync.Mutex
	cur  *sharedBuf
	used int
}

// encode writes m (size encoded bytes) and returns where, holding one
// reference for the caller, who releases it once every subscriber has
// taken its own. A message larger than a chunk gets a buffer of its own.
func (e *sharedEnc) encode(m Msg, size int) (*sharedBuf, int, int) {
	if size > chunkSize {
		b := &sharedBuf{base: appendMsg(make([]byte, 0, size), m)}
		b.refs.Store(1)
		return b, 0, len(b.base)
	}
	e.mu.Lock()
	if e.cur == nil || e.used+size > len(e.cur.base) {
		if e.cur != nil {
			e.cur.release() // the socket's own reference
		}
		c := chunkPool.Get().(*[]byte)
		b := &sharedBuf{base: (*c)[:cap(*c):cap(*c)], pooled: c}
		b.refs.Store(1)
		e.cur, e.used = b, 0
	}
	b, off := e.cur, e.used
	appendMsg(b.base[off:off], m)
	e.used += size
	b.refs.Add(1)
	e.mu.Unlock()
	return b, off, off + size
}

// seg is one piece of a peer's queue, starting and ending on message
// boundaries: a private chunk the queue appends to (sh nil; its bytes
// *own), or the range [off, end) of a shared buffer.
type seg struct {
	own      *[]byte
	sh       *sharedBuf
	off, end int
}

// bytes returns the segment's bytes.
func (g seg) bytes() []byte {
	if g.sh != nil {
		return g.sh.base[g.off:g.end:g.end]
	}
	return *g.own
}

// outQueue is a peer's encoded output, waiting for its writer, in a list
// of segments rather than one contiguous buffer: a backlog of megabytes
// then grows without being copied, the writer hands every segment to the
// kernel in one vectored write, and the memory goes back to the pool as
// soon as it is written. A message queued by Send never straddles
// segments (one larger than a chunk gets a chunk of its own); bytes
// requeued from a lost peer may, which only the vectored write sees.
//
// bytes is the memory the queue holds: its private chunks' bytes and, for
// a shared buffer, all of it from the first message it refers to
// (appendShared), so that a subscriber's queue bound is a bound on the
// memory it keeps alive.
type outQueue struct {
	segs  []seg
	bytes int
}

// room returns the last segment's chunk if it is private with n bytes
// free, or starts a new private chunk.
func (q *outQueue) room(n int) *[]byte {
	if k := len(q.segs); k > 0 {
		if g := q.segs[k-1]; g.sh == nil && cap(*g.own)-len(*g.own) >= n {
			return g.own
		}
	}
	var c *[]byte
	if n > chunkSize {
		b := make([]byte, 0, n)
		c = &b
	} else {
		c = chunkPool.Get().(*[]byte)
	}
	q.segs = append(q.segs, seg{own: c})
	return c
}

// appendMsg queues m; size is its encoded length.
func (q *outQueue) appendMsg(m Msg, size int) {
	c := q.room(size)
	n := len(*c)
	*c = appendMsg(*c, m)
	q.bytes += len(*c) - n
}

// appendShared queues the message encoded at [off, end) of sh and returns
// what that added to q.bytes. A message that continues the last segment
// extends it (nothing more is held); one at the start of a buffer starts
// a segment, holding the whole buffer; any other (a subscriber taking a
// few topics out of a busy stream) is copied, so that a small message
// never keeps a whole buffer alive.
func (q *outQueue) appendShared(sh *sharedBuf, off, end int) int {
	if k := len(q.segs); k > 0 {
		if g := &q.segs[k-1]; g.sh == sh && g.end == off {
			g.end = end
			return 0
		}
	}
	if off == 0 {
		sh.refs.Add(1)
		q.segs = append(q.segs, seg{sh: sh, off: off, end: end})
		q.bytes += len(sh.base)
		return len(sh.base)
	}
	b := sh.base[off:end]
	c := q.room(len(b))
	*c = append(*c, b...)
	q.bytes += len(b)
	return len(b)
}

// charge returns what appendShared would add to q.bytes.
func (q *outQueue) charge(sh *sharedBuf, off, end int) int {
	if k := len(q.segs); k > 0 {
		if g := q.segs[k-1]; g.sh == sh && g.end == off {
			return 0
		}
	}
	if off == 0 {
		return len(sh.base)
	}
	return end - off
}

// appendControl queues what fn appends (a command or subscription). fn may
// outgrow the room reserved; the chunk then grows like any slice.
func (q *outQueue) appendControl(fn func([]byte) []byte) {
	c := q.room(512)
	n := len(*c)
	*c = fn(*c)
	q.bytes += len(*c) - n
}

// appendRaw queues bytes already encoded (whole messages), each message
// whole in one chunk, so that every chunk starts and ends on a message
// boundary (a replay window keeps and forgets whole chunks).
func (q *outQueue) appendRaw(b []byte) {
	for off := 0; off < len(b); {
		end, _ := nextMsgEnd(b, off)
		if end < 0 {
			end = len(b) // not a whole message: cannot happen, kept as is
		}
		c := q.room(end - off)
		*c = append(*c, b[off:end]...)
		q.bytes += end - off
		off = end
	}
}

// held returns what the segment counts in outQueue.bytes: a private
// chunk's bytes, or a shared buffer whole.
func (g seg) held() int {
	if g.sh != nil {
		return len(g.sh.base)
	}
	return len(*g.own)
}

// takeUpTo moves the oldest segments out, at least one and up to max
// bytes held, leaving the rest queued (all of them if they fit).
func (q *outQueue) takeUpTo(spare []seg, max int) []seg {
	n, sum := 0, 0
	for n < len(q.segs) && (n == 0 || sum+q.segs[n].held() <= max) {
		sum += q.segs[n].held()
		n++
	}
	if n == len(q.segs) {
		return q.take(spare)
	}
	gs := append(spare[:0], q.segs[:n]...)
	k := copy(q.segs, q.segs[n:])
	clear(q.segs[k:])
	q.segs = q.segs[:k]
	q.bytes -= sum
	return gs
}

// take moves the queued segments out, leaving the queue empty; spare is a
// list to reuse for the next segments.
func (q *outQueue) take(spare []seg) []seg {
	gs := q.segs
	q.segs, q.bytes = spare[:0], 0
	return gs
}

// flatten returns the bytes of gs as one slice (after a failed write,
// where the unsent messages must be found).
func flatten(gs []seg) []byte {
	n := 0
	for _, g := range gs {
		n += len(g.bytes())
	}
	out := make([]byte, 0, n)
	for _, g := range gs {
		out = append(out, g.bytes()...)
	}
	return out
}

// writeSegs writes gs to conn, vectored when conn supports it; the
// caller releases the segments afterwards. vec is scratch for the vector.
func writeSegs(conn net.Conn, gs []seg, vec net.Buffers) (int64, net.Buffers, error) {
	vec = vec[:0]
	for _, g := range gs {
		vec = append(vec, g.bytes())
	}
	all := vec
	n, err := all.WriteTo(conn) // consumes all, not vec's backing array
	clear(vec)                  // drop references to pooled chunks
	return n, vec[:0], err
}

// releaseSegs returns gs's private chunks to the pool, drops their
// references to shared buffers, and clears the list.
func releaseSegs(gs []seg) {
	for i, g := range gs {
		switch {
		case g.sh != nil:
			g.sh.release()
		case g.own == nil: // kept by a replay window
		case cap(*g.own) == chunkSize:
			*g.own = (*g.own)[:0]
			chunkPool.Put(g.own)
		}
		gs[i] = seg{}
	}
}
