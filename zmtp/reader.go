package zmtp

import (
	"encoding/binary"
	"errors"
	"io"
	"time"
)

const (
	// flushBatchBytes hands a batch to the socket once it holds this much,
	// even if more input is already buffered.
	flushBatchBytes = 64 << 10
	// readChunk bounds how much memory a frame body reserves ahead of the
	// bytes actually received, so a header declaring a large frame costs
	// only what the peer really sends.
	readChunk = 64 << 10
	// maxFrameOverhead bounds the frame headers of one message beyond
	// MaxMsgSize: 32768 empty frames, far more than any real message.
	maxFrameOverhead = 64 << 10
)

// readLoop decodes frames until the connection fails. Complete data
// messages are appended, still in wire form, to a batch that goes to the
// socket's inbox when the input buffer runs dry; commands are handled here.
func (p *peer) readLoop() (err error) {
	s := p.s
	r := p.r
	limit := s.cfg.MaxMsgSize
	if iv := s.cfg.HeartbeatInterval; iv > 0 {
		p.rd.timeout = iv + s.cfg.HeartbeatTimeout
	}
	b := getBatch()
	msgStart := 0
	partial := false // a frame or message has begun and not ended
	defer func() {
		// Complete messages already read are delivered, not lost; a
		// partial message is discarded, as the peer never finished it.
		p.releasePartial()
		b.buf = b.buf[:msgStart]
		if !s.deliver(p, b) {
			putBatch(b)
		}
		switch {
		case isTimeout(err) && p.rd.timeout > 0:
			err = errorf(ErrHeartbeat, "nothing received for %v", p.rd.timeout)
		case partial && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)):
			err = errorf(ErrProtocol, "connection closed inside a frame or message: %v", err)
		}
	}()
	var msgSize, overhead uint64
	inMsg := false
	var hdr [8]byte
	for {
		if !inMsg {
			msgStart = len(b.buf)
			if msgStart > 0 && (r.Buffered() == 0 || msgStart >= flushBatchBytes) {
				if s.deliver(p, b) {
					b = getBatch()
				} else {
					b.buf = b.buf[:0]
				}
				msgStart = 0
			}
			if err := p.waitRecvRoom(); err != nil {
				return err
			}
		}
		flags, err := r.ReadByte()
		if err != nil {
			return err
		}
		partial = true
		if err := checkFlags(flags); err != nil {
			return err
		}
		var size uint64
		if flags&flagLong != 0 {
			if _, err := io.ReadFull(r, hdr[:8]); err != nil {
				return err
			}
			size = binary.BigEndian.Uint64(hdr[:8])
		} else {
			c, err := r.ReadByte()
			if err != nil {
				return err
			}
			size = uint64(c)
		}
		if flags&flagCommand != 0 {
			if inMsg {
				return errorf(ErrProtocol, "command inside a multi-frame message")
			}
			if size > maxCommandSize {
				return errorf(ErrTooLarge, "command of %d bytes", size)
			}
			if cap(p.cmdBuf) < int(size) {
				p.cmdBuf = make([]byte, size)
			}
			p.cmdBuf = p.cmdBuf[:size]
			if _, err := io.ReadFull(r, p.cmdBuf); err != nil {
				return err
			}
			if err := p.handleCommand(p.cmdBuf, b); err != nil {
				return err
			}
			msgStart = len(b.buf)
			partial = false
			continue
		}
		if size > uint64(limit)-msgSize {
			return errorf(ErrTooLarge, "message of at least %d bytes, limit %d", msgSize+size, limit)
		}
		// Frame headers count too, against a small allowance, so that a
		// message of endless empty frames cannot grow the batch forever.
		if overhead += uint64(frameHeaderSize(int(size))); overhead > maxFrameOverhead {
			return errorf(ErrTooLarge, "message with more than %d bytes of frame headers", maxFrameOverhead)
		}
		if n := int(size); n <= r.Buffered() {
			b.reserve(n + 9)
		}
		b.buf = appendFrameHeader(b.buf, flags&flagMore, int(size))
		if n := int(size); n <= r.Buffered() {
			// The common case: the body is already buffered; copy it
			// straight out of the reader's buffer.
			body, err := r.Peek(n)
			if err != nil {
				return err
			}
			b.buf = append(b.buf, body...)
			if _, err := r.Discard(n); err != nil {
				return err
			}
			if flags&flagMore != 0 || inMsg {
				if err := p.chargePartial(len(b.buf) - msgStart); err != nil {
					return err
				}
			}
		} else if err := p.readBody(b, n, msgStart); err != nil {
			return err
		}
		msgSize += size
		inMsg = flags&flagMore != 0
		if !inMsg {
			partial = false
			msgSize, overhead = 0, 0
			p.releasePartial()
			if err := p.finishMsg(b, msgStart); err != nil {
				return err
			}
		}
	}
}

// readBody reads a frame body that is not yet buffered, reserving memory
// in readChunk steps as the bytes arrive, each charged to the socket's
// PartialMsgBytes first.
func (p *peer) readBody(b *batch, size, msgStart int) error {
	r := p.r
	for rem := size; rem > 0; {
		n := min(rem, readChunk)
		l := len(b.buf)
		if err := p.chargePartial(l + n - msgStart); err != nil {
			return err
		}
		b.reserve(n)
		b.buf = b.buf[:l+n]
		if _, err := io.ReadFull(r, b.buf[l:]); err != nil {
			b.buf = b.buf[:l]
			return err
		}
		rem -= n
	}
	return nil
}

// chargePartial accounts for the message being read, n bytes so far:
// what exceeds the read buffer is charged to the socket's
// PartialMsgBytes, shared by its peers, so that many peers each sending
// most of a large message and never finishing it cannot hold more than
// that between them. The peer that would exceed it is disconnected
// (ErrTooLarge).
func (p *peer) chargePartial(n int) error {
	over := int64(n - p.s.cfg.ReadBufferSize)
	if over <= p.partial {
		return nil
	}
	add := over - p.partial
	if p.s.partialBytes.Add(add) > int64(p.s.cfg.PartialMsgBytes) {
		p.s.partialBytes.Add(-add)
		return errorf(ErrTooLarge, "unfinished messages of all peers would hold more than %d bytes", p.s.cfg.PartialMsgBytes)
	}
	p.partial = over
	return nil
}

// releasePartial returns the message's charge: it is complete (its
// memory now counts against the receive bound) or abandoned.
func (p *peer) releasePartial() {
	if p.partial > 0 {
		p.s.partialBytes.Add(-p.partial)
		p.partial = 0
	}
}

// reserve makes room for n more bytes. Batches start at their hand-over
// size (flushBatchBytes, see batchPool), so only a large message makes
// one grow, and then it at least doubles: growing by append's small steps
// copied every busy peer's input several times over, which cost a broker
// with many publishers half of its CPU.
func (b *batch) reserve(n int) {
	if cap(b.buf)-len(b.buf) >= n {
		return
	}
	c := max(2*cap(b.buf), len(b.buf)+n, flushBatchBytes+n)
	nb := make([]byte, len(b.buf), c)
	copy(nb, b.buf)
	b.buf = nb
}

// finishMsg applies the socket type's rules to the message just read at
// b.buf[start:]: it is kept (b.msgs++) or removed from the batch.
func (p *peer) finishMsg(b *batch, start int) error {
	s := p.s
	enc := b.buf[start:]
	switch s.typ {
	case SUB:
		if !s.ownSubs.Load().match(firstFrame(enc)) {
			b.buf = b.buf[:start]
			s.ctr.filtered.Add(1)
			return nil
		}
	case PUB, XPUB:
		// Subscribers send only subscriptions; in ZMTP 3.0 they are
		// messages whose first byte is 1 (subscribe) or 0 (cancel).
		body, single := firstFrameSingle(enc)
		if single && len(body) > 0 && body[0] <= 1 {
			if err := p.applySubscription(body[1:], body[0] == 1); err != nil {
				b.buf = b.buf[:start]
				return err
			}
		}
		if s.typ == PUB {
			b.buf = b.buf[:start]
			return nil
		}
	}
	b.msgs++
	return nil
}

// maxPeerSubscriptions and maxPeerSubscriptionBytes bound the distinct
// prefixes one subscriber may hold, in number and in bytes, so a hostile
// peer cannot grow a publisher's memory or matching cost without limit:
// the set costs at most about twice the bytes (the prefixes and the
// counts' keys), 2 MiB a subscriber, while 4096 topic prefixes of up to
// 256 bytes each stay allowed.
const (
	maxPeerSubscriptions     = 4096
	maxPeerSubscriptionBytes = 1 << 20
)

// applySubscription updates this subscriber's prefix set. A NoDrop
// subscriber with Handover does not cancel: its first cancel pauses it
// (see pause).
func (p *peer) applySubscription(prefix []byte, add bool) error {
	if p.dl.noDrop && p.s.handover() {
		if !add {
			p.pause()
			return nil
		}
		p.resume()
	}
	cur := p.subs.Load()
	if add && (cur == nil || cur.counts[string(prefix)] == 0) {
		if cur.size() >= maxPeerSubscriptions {
			return errorf(ErrTooLarge, "more than %d subscriptions", maxPeerSubscriptions)
		}
		if cur.byteSize()+len(prefix) > maxPeerSubscriptionBytes {
			return errorf(ErrTooLarge, "subscriptions of more than %d bytes", maxPeerSubscriptionBytes)
		}
	}
	if next, _ := cur.with(prefix, add); next != p.subs.Load() {
		p.subs.Store(next)
	}
	return nil
}

// handleCommand processes a command received after the handshake.
func (p *peer) handleCommand(body []byte, b *batch) error {
	c, err := parseCommand(body)
	if err != nil {
		return err
	}
	switch c.name {
	case cmdPING:
		ttl, pctx, err := parsePing(c.data)
		if err != nil {
			return err
		}
		p.pingsIn.Add(1)
		if ttl > 0 {
			d := time.Duration(ttl) * 100 * time.Millisecond
			if p.rd.timeout == 0 || d < p.rd.timeout {
				p.rd.timeout = d
			}
		}
		var echo [maxPingContext]byte
		n := copy(echo[:], pctx)
		// A peer that pings but never reads must not grow our queue: a
		// PONG only proves liveness, so one is skipped while the queue is
		// already long (the peer learns we are alive from the data).
		p.enqueueControlBounded(func(out []byte) []byte { return appendCommand(out, cmdPONG, echo[:n]) })
	case cmdPONG:
	case cmdERROR:
		return errorf(ErrPeerError, "%s", parseError(c.data))
	case cmdSUBSCRIBE, cmdCANCEL:
		add := c.name == cmdSUBSCRIBE
		switch p.s.typ {
		case PUB:
			return p.applySubscription(c.data, add)
		case XPUB:
			if err := p.applySubscription(c.data, add); err != nil {
				return err
			}
			// The application sees the 3.0 message form either way.
			var flag byte
			if add {
				flag = 1
			}
			b.buf = appendFrameHeader(b.buf, 0, 1+len(c.data))
			b.buf = append(b.buf, flag)
			b.buf = append(b.buf, c.data...)
			b.msgs++
		}
	case cmdREADY, cmdHELLO, cmdWELCOME, cmdINITIATE:
		return errorf(ErrProtocol, "%s after handshake", c.name)
	default:
		// RFC 37 lets a peer ignore commands it does not know.
	}
	return nil
}

// waitRecvRoom blocks the reader while this peer already has RecvHWM
// messages or RecvHWMBytes bytes waiting for Recv: TCP flow control then
// slows the sender down instead of memory growing.
func (p *peer) waitRecvRoom() error {
	cfg := &p.s.cfg
	full := func() bool {
		return p.inMsgs.Load() >= int64(cfg.RecvHWM) || p.inBytes.Load() >= int64(cfg.RecvHWMBytes)
	}
	for full() {
		p.inWaiting.Store(true)
		if !full() {
			p.inWaiting.Store(false)
			break
		}
		select {
		case <-p.inSpace:
		case <-p.done:
			p.inWaiting.Store(false)
			return errors.Join(ErrClosed, p.err)
		}
		p.inWaiting.Store(false)
	}
	return nil
}

// firstFrame returns the body of the first frame of an encoded message.
func firstFrame(enc []byte) []byte {
	body, _ := firstFrameSingle(enc)
	return body
}

// firstFrameSingle also reports whether the message has just one frame.
func firstFrameSingle(enc []byte) ([]byte, bool) {
	h, n, err := parseFrameHeader(enc, int64(len(enc)))
	if err != nil || n == 0 || n+int(h.size) > len(enc) {
		return nil, false
	}
	return enc[n : n+int(h.size)], !h.more()
}
