package zmtp

import (
	"sync"
)

// batch is a run of complete messages, in wire form, read from one peer.
type batch struct {
	buf   []byte
	off   int // next message to hand out
	msgs  int
	taken int
	peer  *peer
	cost  int64 // charged to the peer's receive bound: the buffer's capacity
}

// Batches are read into buffers of at least flushBatchBytes, so a busy
// peer's batch never has to grow; only such buffers, up to
// maxPooledBatch, are pooled. Larger ones (grown for a large message) and
// the exact-size copies deliver makes go to the collector.
const maxPooledBatch = 256 << 10

var batchPool = sync.Pool{New: func() any { return &batch{buf: make([]byte, 0, flushBatchBytes+16<<10)} }}

func getBatch() *batch { return batchPool.Get().(*batch) }

func putBatch(b *batch) {
	if c := cap(b.buf); c < flushBatchBytes || c > maxPooledBatch {
		return
	}
	b.buf, b.off, b.msgs, b.taken, b.peer, b.cost = b.buf[:0], 0, 0, 0, nil, 0
	batchPool.Put(b)
}

// inbox is the queue of batches between readers and Recv. A batch is
// released, and its peer's receive bound credited, only when Recv has
// taken its last message.
type inbox struct {
	mu   sync.Mutex
	q    []*batch
	head int
	kick chan struct{} // capacity 1: a batch arrived
	cur  *batch        // being consumed; owned by the holder of recvLock
}

func (ib *inbox) push(b *batch) {
	ib.mu.Lock()
	ib.q = append(ib.q, b)
	ib.mu.Unlock()
	kick(ib.kick)
}

func (ib *inbox) pop() *batch {
	ib.mu.Lock()
	defer ib.mu.Unlock()
	if ib.head == len(ib.q) {
		return nil
	}
	b := ib.q[ib.head]
	ib.q[ib.head] = nil
	ib.head++
	if ib.head == len(ib.q) {
		ib.q, ib.head = ib.q[:0], 0
	}
	return b
}

// drain discards everything queued and returns the number of messages.
func (ib *inbox) drain() int {
	n := 0
	if ib.cur != nil {
		n += ib.cur.msgs - ib.cur.taken
		ib.cur = nil
	}
	for b := ib.pop(); b != nil; b = ib.pop() {
		n += b.msgs
	}
	return n
}

// deliver hands a batch's messages to the inbox. It returns true when it
// took b, false when the caller keeps b: b held no message, or b was
// mostly empty and its messages went in a copy of their own size, b being
// emptied for reuse. The copy keeps the receive bound, which counts buffer
// capacity, about what the messages weigh: a peer that sends a little at a
// time neither pins large buffers nor has its queue cut short.
func (s *Socket) deliver(p *peer, b *batch) bool {
	if b.msgs == 0 {
		return false
	}
	if len(b.buf) < cap(b.buf)/4 {
		c := &batch{buf: append(make([]byte, 0, len(b.buf)), b.buf...), msgs: b.msgs}
		b.buf, b.msgs = b.buf[:0], 0
		s.deliver(p, c)
		return false
	}
	b.peer = p
	b.cost = int64(cap(b.buf))
	p.inBytes.Add(b.cost)
	p.inMsgs.Add(int64(b.msgs))
	s.inbox.push(b)
	return true
}

// release returns a consumed batch and credits its peer's receive bound.
func (s *Socket) release(b *batch) {
	p := b.peer
	p.inBytes.Add(-b.cost)
	p.inMsgs.Add(-int64(b.msgs))
	if p.inWaiting.Load() {
		kick(p.inSpace)
	}
	putBatch(b)
}
