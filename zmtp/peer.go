package zmtp

import (
	"bufio"
	"encoding/binary"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// peer is one connection that completed its handshake. Its writer
// goroutine owns conn writes; its reader goroutine owns rd and r.
type peer struct {
	s         *Socket
	conn      net.Conn
	rd        *connReader
	r         *bufio.Reader
	info      peerInfo
	remote    string
	is31      bool
	id        uint64    // order of attachment, for Options.Handover
	attached  time.Time // when it attached, for Options.Handover
	ho        handoverState
	l         *listener // the listener that accepted it; nil when dialled
	dl        delivery  // PUB/XPUB: how it is served; set before it is attached
	want      *Delivery // what Options.Delivery asked for it; nil without one
	pinfo     *PeerInfo // see peerInfo
	pinfoOnce sync.Once
	gone      chan struct{} // closed once it is detached

	mu      sync.Mutex
	out     outQueue // encoded messages and commands waiting for the writer
	outMsgs int      // data messages in out
	spare   []seg    // the writer's previous segment list, reused for out
	writing int      // data messages in the write in progress
	idle    bool     // the writer is waiting for work
	dead    bool     // no more messages may be queued
	paused  bool     // NoDrop subscriber stopping: what it wants is kept for its heir
	enqSeq  uint64   // PUB/XPUB with Handover: the Send that queued the newest message
	tail    []byte   // unwritten bytes after a failed write
	// replay: PUSH with Options.ReplayBytes, what was written last; the
	// writer's until both loops end, then leftover's.
	replay *replayWindow
	// replayFront: the first replayFront data messages of out are replay
	// copies (written to an earlier peer); under mu.
	replayFront int

	wake chan struct{} // capacity 1: work for the writer
	done chan struct{} // closed by shutdown
	once sync.Once
	err  error // first error; set before done is closed

	subs    atomic.Pointer[subSet] // PUB/XPUB: this subscriber's prefixes
	dropped atomic.Uint64          // PUB/XPUB: queue-full drops
	// full: a lossy Send found the queue full; the writer clears it when
	// it takes the queue. Until then Send drops for this subscriber
	// without taking its lock: a stalled dashboard costs each message an
	// atomic load, not a lock round trip (BenchmarkBrokerThroughput's
	// stalled=50 against stuck=0).
	full atomic.Bool
	// trimmed: while full, the stalled queue was trimmed already.
	trimmed atomic.Bool
	// progress is when the connection last took bytes (monotonic
	// nanoseconds since the socket was made), or the writer last found
	// nothing to write: a lossy subscriber whose writer has been stuck in
	// one write since longer than stallAfter keeps at most stalledBytes.
	progress atomic.Int64
	// probation: it took over the queue of a subscriber cut off for
	// stalling, and is not waited for until it has emptied its queue once.
	probation atomic.Bool

	inBytes   atomic.Int64 // bytes delivered to the inbox, not yet consumed
	inMsgs    atomic.Int64
	inWaiting atomic.Bool
	inSpace   chan struct{} // capacity 1: Recv consumed a batch

	cmdBuf  []byte // reader-owned scratch for command frames
	partial int64  // reader-owned: bytes charged to the socket's PartialMsgBytes

	pingsIn atomic.Uint64 // PINGs received (observed by tests)

	// quiet: the socket is draining (Socket.Drain): the writer shuts the
	// connection's writing half and writes nothing more.
	quiet atomic.Bool
}

func newPeer(s *Socket, conn net.Conn, rd *connReader, r *bufio.Reader, info peerInfo, remote string) *peer {
	return &peer{
		s:       s,
		conn:    conn,
		rd:      rd,
		r:       r,
		info:    info,
		remote:  remote,
		is31:    info.greeting.is31(),
		wake:    make(chan struct{}, 1),
		done:    make(chan struct{}),
		gone:    make(chan struct{}),
		inSpace: make(chan struct{}, 1),
		dl:      delivery{noDrop: s.cfg.NoDrop, queueMsgs: s.cfg.SendHWM, queueBytes: s.cfg.SendHWMBytes},
		replay:  newReplay(s),
	}
}

// stalledBytes and stallAfter bound a lossy subscriber that stopped
// reading: once its connection has taken nothing for stallAfter while
// its queue holds more than stalledBytes, Send drops for it instead of
// filling its queue to SendHWMBytes. A subscriber that reads at least
// a megabyte a second (a stallWrite piece a second) keeps the whole
// budget to absorb a burst; one that stopped (a dashboard's laptop
// asleep) holds a few megabytes queued and at most lossyTake in its
// connection's write.
const (
	stalledBytes = 4 << 20
	stallAfter   = time.Second
	lossyTake    = 4 << 20
)

// lossy reports whether p is a subscriber served with drops: its writer
// writes in pieces (so progress is seen) and takes at most lossyTake at
// a time (so a stalled write pins little).
func (p *peer) lossy() bool { return p.s.typ.publisher() && !p.dl.noDrop }

// trimLocked drops, newest first, what a stalled lossy subscriber holds
// queued beyond stalledBytes (its queue may have grown to SendHWMBytes
// before it stalled), counting the messages as dropped for a full queue.
// Under mu.
func (p *peer) trimLocked() {
	limit := min(stalledBytes, p.dl.queueBytes)
	if p.writing == 0 || p.out.bytes <= limit || !p.stuck() {
		return
	}
	msgs := 0
	for k := len(p.out.segs); k > 0 && p.out.bytes > limit; k-- {
		g := p.out.segs[k-1]
		_, n := dataMessages(g.bytes(), false, false)
		msgs += n
		p.out.bytes -= g.held()
		releaseSegs(p.out.segs[k-1 : k])
		p.out.segs = p.out.segs[:k-1]
	}
	p.outMsgs -= msgs
	p.dropped.Add(uint64(msgs))
	p.s.ctr.dropFull.Add(uint64(msgs))
}

// stalledLocked reports whether a lossy subscriber's queue, grown by
// more bytes, is past stalledBytes while its connection takes nothing.
// Under mu.
func (p *peer) stalledLocked(more int) bool {
	return p.writing > 0 && p.out.bytes+more > min(stalledBytes, p.dl.queueBytes) && p.stuck()
}

// stuck reports whether the connection has taken nothing for stallAfter.
func (p *peer) stuck() bool { return p.s.mono()-p.progress.Load() > int64(stallAfter) }

func newReplay(s *Socket) *replayWindow {
	if s.typ != PUSH || s.cfg.ReplayBytes <= 0 {
		return nil
	}
	return &replayWindow{limit: s.cfg.ReplayBytes}
}

// peerInfo returns what the handshake established, for Options.Delivery
// and RecvFrom: made once, shared, never modified.
func (p *peer) peerInfo() *PeerInfo {
	p.pinfoOnce.Do(func() {
		i := &PeerInfo{Remote: p.remote, SocketType: p.info.socketType, User: p.info.username,
			Properties: make(map[string]string, len(p.info.props))}
		for _, pr := range p.info.props {
			i.Properties[pr.name] = string(pr.value)
		}
		p.pinfo = i
	})
	return p.pinfo
}

// public is peerInfo for a peer that may be nil (a batch of our own).
func (p *peer) public() *PeerInfo {
	if p == nil {
		return nil
	}
	return p.peerInfo()
}

// shutdown ends the connection once, remembering the first cause.
func (p *peer) shutdown(err error) {
	p.once.Do(func() {
		p.mu.Lock()
		p.dead = true
		p.mu.Unlock()
		// Closing unblocks the reader and writer; its own error adds
		// nothing to a cause already known.
		if cerr := p.conn.Close(); cerr != nil && err == nil {
			err = cerr
		}
		p.err = err
		close(p.done)
	})
}

// queued returns the data messages waiting for or in the writer.
func (p *peer) queued() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.outMsgs + p.writing
}

// depth returns the data messages waiting for or in the writer, and the
// encoded bytes still waiting for it.
func (p *peer) depth() (msgs, bytes int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.outMsgs + p.writing, p.out.bytes
}

// enqueue result codes.
const (
	enqOK = iota
	enqFull
	enqDead
)

// tryEnqueue copies m into the peer's queue unless the queue is at its
// bound. An empty queue always takes one message, so a message larger than
// SendHWMBytes still moves.
func (p *peer) tryEnqueue(m Msg, size int, seq uint64) int {
	p.mu.Lock()
	if r := p.admitLocked(size); r != enqOK {
		return r
	}
	p.out.appendMsg(m, size)
	p.queuedLocked(seq)
	return enqOK
}

// tryEnqueueShared is tryEnqueue for a message a PUB encoded once, at
// [off, end) of sh (outQueue.appendShared).
func (p *peer) tryEnqueueShared(sh *sharedBuf, off, end int, seq uint64) int {
	p.mu.Lock()
	if r := p.admitLocked(p.out.charge(sh, off, end)); r != enqOK {
		return r
	}
	p.out.appendShared(sh, off, end)
	p.queuedLocked(seq)
	return enqOK
}

// admitLocked decides, under mu, whether a message adding charge bytes to
// the queue may be queued: enqOK with mu still held, or enqDead or
// enqFull with mu released. A lossy subscriber found full is flagged (Send
// then skips it without the lock) and, if stalled, trimmed.
func (p *peer) admitLocked(charge int) int {
	if p.dead || p.paused {
		p.mu.Unlock()
		return enqDead
	}
	lossy := p.lossy()
	if p.outMsgs > 0 && (p.outMsgs >= p.dl.queueMsgs || p.out.bytes+charge > p.dl.queueBytes ||
		(lossy && p.stalledLocked(charge))) {
		if lossy {
			p.full.Store(true)
			p.trimLocked()
		}
		p.mu.Unlock()
		return enqFull
	}
	return enqOK
}

// queuedLocked counts a message just queued and releases mu.
func (p *peer) queuedLocked(seq uint64) {
	p.outMsgs++
	p.enqSeq = seq
	p.unlockWake()
}

// unlockWake releases mu, waking the writer if it was waiting for work.
func (p *peer) unlockWake() {
	wake := p.idle
	p.idle = false
	p.mu.Unlock()
	if wake {
		kick(p.wake)
	}
}

// enqueueControl queues protocol traffic (commands, subscriptions) that is
// not subject to the message bounds.
func (p *peer) enqueueControl(fn func([]byte) []byte) {
	p.mu.Lock()
	if p.dead {
		p.mu.Unlock()
		return
	}
	p.out.appendControl(fn)
	p.unlockWake()
}

// enqueueControlBounded is enqueueControl for optional traffic: it is
// skipped while the queue already holds more than SendHWMBytes.
func (p *peer) enqueueControlBounded(fn func([]byte) []byte) {
	p.mu.Lock()
	full := p.out.bytes > p.dl.queueBytes
	p.mu.Unlock()
	if !full {
		p.enqueueControl(fn)
	}
}

// enqueueSubscription sends a subscribe or cancel: a command to 3.1 peers,
// a message whose first byte is 1 or 0 to 3.0 peers.
func (p *peer) enqueueSubscription(prefix []byte, add bool) {
	p.enqueueControl(func(b []byte) []byte {
		if p.is31 {
			name := cmdCANCEL
			if add {
				name = cmdSUBSCRIBE
			}
			return appendCommand(b, name, prefix)
		}
		var flag byte
		if add {
			flag = 1
		}
		b = appendFrameHeader(b, 0, 1+len(prefix))
		b = append(b, flag)
		return append(b, prefix...)
	})
}

func (p *peer) enqueuePing() {
	ttl := p.s.cfg.HeartbeatTTL / (100 * time.Millisecond)
	if ttl > 0xFFFF {
		ttl = 0xFFFF
	}
	var data [2]byte
	binary.BigEndian.PutUint16(data[:], uint16(ttl))
	p.enqueueControl(func(b []byte) []byte { return appendCommand(b, cmdPING, data[:]) })
}

// writeLoop hands everything queued to the kernel, one vectored write per
// batch: while a write is in progress Send keeps appending to fresh
// chunks, so under load many messages share each system call.
func (p *peer) writeLoop() error {
	var tick <-chan time.Time
	if iv := p.s.cfg.HeartbeatInterval; iv > 0 {
		t := time.NewTicker(iv)
		defer t.Stop()
		tick = t.C
	}
	push := p.s.typ == PUSH
	var vec net.Buffers
	for {
		select {
		case <-tick:
			p.enqueuePing()
		default:
		}
		p.mu.Lock()
		for p.out.bytes == 0 || p.quiet.Load() {
			p.idle = true
			if p.lossy() {
				p.progress.Store(p.s.mono())
			}
			p.mu.Unlock()
			if p.quiet.Load() {
				return p.halfClose()
			}
			if push && p.s.pendingCount.Load() > 0 && p.s.drainPendingTo(p) {
				p.mu.Lock()
				continue
			}
			select {
			case <-p.wake:
			case <-tick:
				p.enqueuePing()
			case <-p.done:
				return nil
			}
			p.mu.Lock()
		}
		p.idle = false
		if p.lossy() {
			p.progress.Store(p.s.mono()) // the last write, if any, completed
		}
		var gs []seg
		var msgs int
		if p.lossy() && p.out.bytes > lossyTake {
			// A backlog: the oldest lossyTake bytes, so that a write that
			// stalls pins no more.
			gs = p.out.takeUpTo(p.spare, lossyTake)
			for _, g := range gs {
				_, n := dataMessages(g.bytes(), false, false)
				msgs += n
			}
			p.outMsgs -= msgs
		} else {
			msgs = p.outMsgs
			gs = p.out.take(p.spare)
			p.outMsgs = 0
		}
		p.spare = nil
		if p.full.Load() {
			p.full.Store(false)
			p.trimmed.Store(false)
		}
		p.writing = msgs
		p.mu.Unlock()
		p.s.sendWake.broadcast()

		var n int64
		var err error
		n, vec, err = p.write(gs, vec)
		if err != nil {
			buf := flatten(gs)
			releaseSegs(gs)
			p.mu.Lock()
			p.writing = 0
			p.tail = unsentTail(buf, int(n))
			p.mu.Unlock()
			if n > 0 {
				written := buf[:len(buf)-len(p.tail)]
				p.countSent(countData(written))
				if p.replay != nil {
					p.replay.add(written)
				}
			}
			return err
		}
		if p.replay != nil {
			p.replay.addSegs(gs)
		}
		releaseSegs(gs)
		p.mu.Lock()
		p.writing = 0
		p.spare = gs[:0]
		if p.out.bytes == 0 && p.probation.Load() {
			p.probation.Store(false) // it reads again
		}
		p.mu.Unlock()
		p.countSent(msgs)
	}
}

// countSent counts msgs data messages written, each once: replay copies
// were counted when first written.
func (p *peer) countSent(msgs int) {
	if p.replay != nil {
		p.mu.Lock()
		again := min(p.replayFront, msgs)
		p.replayFront -= again
		p.mu.Unlock()
		msgs -= again
	}
	p.s.ctr.sent.Add(uint64(msgs))
}

// halfClose ends the writing half of the connection for Socket.Drain
// and waits, writing nothing more, until the reader has read the peer's
// last bytes and the connection is shut down. A connection without a
// writing half to close (none of the transports here) only stops writing.
func (p *peer) halfClose() error {
	if cw, ok := p.conn.(interface{ CloseWrite() error }); ok {
		if err := cw.CloseWrite(); err != nil {
			return err
		}
	}
	<-p.done
	return nil
}

// stallWrite is the most a write may carry when StallTimeout applies, or
// for a lossy subscriber: each such write must complete within the
// timeout, and each one completed is progress (peer.progress).
const stallWrite = 1 << 20

// write hands gs to the connection. For a NoDrop subscriber under
// Options.StallTimeout, and for a lossy subscriber, it writes at most
// stallWrite bytes at a time, so a subscriber that stops reading is
// noticed whatever the size of its backlog: the first is cut off when a
// piece misses the timeout, the second keeps only stalledBytes queued
// while no piece completes (peer.stalledLocked).
func (p *peer) write(gs []seg, vec net.Buffers) (int64, net.Buffers, error) {
	deadline, lossy := !p.stallDeadline().IsZero(), p.lossy()
	if !deadline && !lossy {
		return writeSegs(p.conn, gs, vec)
	}
	setDeadline := func() error {
		if !deadline {
			return nil
		}
		return p.conn.SetWriteDeadline(p.stallDeadline())
	}
	stalled := func(err error) error {
		if isTimeout(err) {
			return errorf(ErrStalled, "no write progress for %v", p.s.cfg.StallTimeout)
		}
		return err
	}
	var total int64
	for len(gs) > 0 {
		if big := gs[0].bytes(); len(big) > stallWrite {
			// One message larger than a write: in pieces, each in time.
			for off := 0; off < len(big); {
				if err := setDeadline(); err != nil {
					return total, vec, err
				}
				n, err := p.conn.Write(big[off:min(off+stallWrite, len(big))])
				total += int64(n)
				off += n
				if err != nil {
					return total, vec, stalled(err)
				}
				if lossy {
					p.progress.Store(p.s.mono())
				}
			}
			gs = gs[1:]
			continue
		}
		k, size := 0, 0
		for k < len(gs) && (k == 0 || size+len(gs[k].bytes()) <= stallWrite) {
			size += len(gs[k].bytes())
			k++
		}
		if err := setDeadline(); err != nil {
			return total, vec, err
		}
		n, v, err := writeSegs(p.conn, gs[:k], vec)
		total, vec = total+n, v
		if err != nil {
			return total, vec, stalled(err)
		}
		if lossy {
			p.progress.Store(p.s.mono())
		}
		gs = gs[k:]
	}
	return total, vec, nil
}

// leftover returns, after both loops ended, every byte that was queued but
// not written, and the replay window (PUSH with Options.ReplayBytes):
// the messages last written. With keep false (a lossy subscriber, whose
// queue is only counted) it returns the number of data messages left
// instead of their bytes, without copying them out.
func (p *peer) leftover(keep, skipSubs bool) (unwritten, written []byte, left int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	gs := p.out.take(nil)
	if keep {
		unwritten = append(p.tail, flatten(gs)...)
	} else {
		_, left = dataMessages(p.tail, skipSubs, false)
		for _, g := range gs {
			_, n := dataMessages(g.bytes(), skipSubs, false)
			left += n
		}
	}
	releaseSegs(gs)
	p.tail, p.outMsgs = nil, 0
	if p.replay != nil {
		if p.s.isStopped() {
			p.replay.drop() // closing: nothing goes again
		} else {
			written = p.replay.take()
		}
	}
	return unwritten, written, left
}

// unsentTail returns the messages of buf not completely written in its
// first n bytes. A partly written message is returned whole: the peer
// cannot have received it, so sending it again is not a duplicate.
func unsentTail(buf []byte, n int) []byte {
	off := 0
	for off < len(buf) {
		end, _ := nextMsgEnd(buf, off)
		if end < 0 || end > n {
			break
		}
		off = end
	}
	return append([]byte(nil), buf[off:]...)
}

// countData counts complete data messages in encoded output.
func countData(b []byte) int {
	c := 0
	for off := 0; off < len(b); {
		end, cmd := nextMsgEnd(b, off)
		if end < 0 {
			break
		}
		if !cmd {
			c++
		}
		off = end
	}
	return c
}

// connReader applies the heartbeat read deadline to every read the
// buffered reader makes, so a silent peer is noticed without a timer
// goroutine per connection.
type connReader struct {
	conn    net.Conn
	timeout time.Duration // reader goroutine only
	// lastRead is when the peer last sent anything (Unix nanoseconds),
	// for eviction at MaxPeers: read by the accepting goroutine.
	lastRead atomic.Int64
}

func (c *connReader) Read(b []byte) (int, error) {
	if c.timeout > 0 {
		if err := c.conn.SetReadDeadline(time.Now().Add(c.timeout)); err != nil {
			return 0, err
		}
	}
	n, err := c.conn.Read(b)
	if n > 0 {
		c.lastRead.Store(time.Now().UnixNano())
	}
	return n, err
}
