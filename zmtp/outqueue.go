package zmtp

import (
	"net"
	"sync"
)

// chunkSize is the size of the buffers a peer's output is queued in.
const chunkSize = 64 << 10

// chunkPool holds empty chunks shared by every peer of every socket, so a
// backlog takes memory only while it lasts.
var chunkPool = sync.Pool{New: func() any {
	b := make([]byte, 0, chunkSize)
	return &b
}}

// outQueue is a peer's encoded output, waiting for its writer, in a list
// of chunks rather than one contiguous buffer: a backlog of megabytes
// then grows without being copied, the writer hands every chunk to the
// kernel in one vectored write, and the memory goes back to the pool as
// soon as it is written. A message queued by Send never straddles chunks
// (one larger than a chunk gets a chunk of its own); bytes requeued from
// a lost peer may, which only the vectored write sees.
type outQueue struct {
	chunks []*[]byte
	bytes  int
}

// room returns the last chunk if it has n bytes free, or starts a new one.
func (q *outQueue) room(n int) *[]byte {
	if k := len(q.chunks); k > 0 {
		if c := q.chunks[k-1]; cap(*c)-len(*c) >= n {
			return c
		}
	}
	var c *[]byte
	if n > chunkSize {
		b := make([]byte, 0, n)
		c = &b
	} else {
		c = chunkPool.Get().(*[]byte)
	}
	q.chunks = append(q.chunks, c)
	return c
}

// appendMsg queues m; size is its encoded length.
func (q *outQueue) appendMsg(m Msg, size int) {
	c := q.room(size)
	n := len(*c)
	*c = appendMsg(*c, m)
	q.bytes += len(*c) - n
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

// take moves the queued chunks out, leaving the queue empty; spare is a
// list to reuse for the next chunks.
func (q *outQueue) take(spare []*[]byte) []*[]byte {
	cs := q.chunks
	q.chunks, q.bytes = spare[:0], 0
	return cs
}

// flatten returns the bytes of cs as one slice (after a failed write,
// where the unsent messages must be found).
func flatten(cs []*[]byte) []byte {
	n := 0
	for _, c := range cs {
		n += len(*c)
	}
	out := make([]byte, 0, n)
	for _, c := range cs {
		out = append(out, *c...)
	}
	return out
}

// writeChunks writes cs to conn, vectored when conn supports it; the
// caller releases the chunks afterwards. vec is scratch for the vector.
func writeChunks(conn net.Conn, cs []*[]byte, vec net.Buffers) (int64, net.Buffers, error) {
	vec = vec[:0]
	for _, c := range cs {
		vec = append(vec, *c)
	}
	all := vec
	n, err := all.WriteTo(conn) // consumes all, not vec's backing array
	clear(vec)                  // drop references to pooled chunks
	return n, vec[:0], err
}

// releaseChunks returns cs to the pool and clears the list.
func releaseChunks(cs []*[]byte) {
	for i, c := range cs {
		if c == nil {
			continue // kept by a replay window
		}
		if cap(*c) == chunkSize {
			*c = (*c)[:0]
			chunkPool.Put(c)
		}
		cs[i] = nil
	}
}
