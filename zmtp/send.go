package zmtp

import (
	"context"
	"errors"
)

// Send queues m for delivery and returns once it is queued: Send copies
// the frames, so the caller may reuse or modify them as soon as Send
// returns. It waits, until ctx is done, only when the message cannot be
// queued under the socket's rules:
//
//   - PUSH hands each message to the next connected peer with room
//     (round-robin). While no peer is connected it keeps up to SendHWM
//     messages (and SendHWMBytes) itself; beyond that, or when every peer
//     is full, Send waits.
//   - PUB and XPUB copy the message to every subscriber whose prefixes
//     match the first frame. A subscriber with a full queue misses the
//     message, counted in Stats (per peer and in total), unless
//     Options.NoDrop is set, in which case Send waits for room; if ctx
//     ends while waiting the error is returned and the subscribers already
//     served keep their copy.
//   - XSUB treats a message whose first frame starts with byte 1 or 0 as
//     a subscribe or cancel (like Subscribe/Unsubscribe) and sends any
//     other message to every peer.
//
// A nil error means the message was accepted: it will be written, or
// counted in Stats.Dropped.
func (s *Socket) Send(ctx context.Context, m Msg) error {
	if s == nil {
		return ErrClosed
	}
	if len(m) == 0 {
		return ErrEmptyMsg
	}
	if !s.typ.canSend() {
		return errorf(ErrNotSupported, "Send on %s", s.typ)
	}
	if s.closing.Load() {
		return ErrClosed
	}
	if int64(m.Size()) > s.cfg.MaxMsgSize {
		return errorf(ErrTooLarge, "message of %d bytes, limit %d", m.Size(), s.cfg.MaxMsgSize)
	}
	size := encodedSize(m)
	switch s.typ {
	case PUSH:
		return s.sendPush(ctx, m, size)
	case XSUB:
		if len(m) == 1 && len(m[0]) > 0 && m[0][0] <= 1 {
			return s.subscribe(m[0][1:], m[0][0] == 1)
		}
		return s.sendFanOut(ctx, m, size, false)
	default:
		return s.sendFanOut(ctx, m, size, true)
	}
}

// TrySend is Send that never waits: where Send would wait for room it
// returns ErrQueueFull instead (for PUB with NoDrop, subscribers before the
// full one keep their copy).
func (s *Socket) TrySend(m Msg) error {
	err := s.Send(cancelledCtx, m)
	if errors.Is(err, context.Canceled) {
		return ErrQueueFull
	}
	return err
}

// cancelledCtx makes every wait in Send give up at once.
var cancelledCtx = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()

// SendFrames is Send for a message given as separate frames.
func (s *Socket) SendFrames(ctx context.Context, frames ...[]byte) error {
	return s.Send(ctx, Msg(frames))
}

func (s *Socket) sendPush(ctx context.Context, m Msg, size int) error {
	if s.tryPush(m, size) {
		return nil
	}
	for {
		c := s.sendWake.acquire()
		if s.tryPush(m, size) {
			s.sendWake.release()
			return nil
		}
		select {
		case <-c:
		case <-ctx.Done():
			s.sendWake.release()
			return ctx.Err()
		case <-s.stop:
			s.sendWake.release()
			return ErrClosed
		}
		s.sendWake.release()
		if s.closing.Load() {
			return ErrClosed
		}
	}
}

// tryPush queues m without waiting. Messages go straight to a peer only
// while the socket's own queue is empty, which keeps messages queued
// during an outage ahead of newer ones. A peer that has died but is not
// yet detached takes nothing: the message goes to the socket's queue, as
// when no peer is connected, rather than being refused.
func (s *Socket) tryPush(m Msg, size int) bool {
	for attempt := 0; ; attempt++ {
		if s.pendingCount.Load() == 0 {
			switch s.pushDirect(m, size) {
			case enqOK:
				return true
			case enqFull:
				return false
			}
		}
		s.mu.Lock()
		if s.pendMsgs == 0 && attempt < 2 && anyLive(*s.peers.Load()) {
			// A peer attached meanwhile: the direct path.
			s.mu.Unlock()
			continue
		}
		if s.pendMsgs > 0 && (s.pendMsgs >= s.cfg.SendHWM || len(s.pending)+size > s.cfg.SendHWMBytes) {
			s.mu.Unlock()
			return false
		}
		s.pending = appendMsg(s.pending, m)
		s.pendMsgs++
		s.pendingCount.Store(int64(s.pendMsgs))
		for _, p := range *s.peers.Load() {
			kick(p.wake)
		}
		s.mu.Unlock()
		return true
	}
}

// pushDirect offers m to the peers in turn (round-robin): enqOK when one
// took it, enqFull when a live one was full, enqDead when none is alive.
func (s *Socket) pushDirect(m Msg, size int) int {
	peers := *s.peers.Load()
	n := len(peers)
	if n == 1 {
		return peers[0].tryEnqueue(m, size, 0)
	}
	res := enqDead
	start := int(s.rr.Add(1))
	for i := 0; i < n; i++ {
		switch peers[(start+i)%n].tryEnqueue(m, size, 0) {
		case enqOK:
			return enqOK
		case enqFull:
			res = enqFull
		}
	}
	return res
}

// anyLive reports whether a peer of ps can still take messages.
func anyLive(ps []*peer) bool {
	for _, p := range ps {
		p.mu.Lock()
		dead := p.dead
		p.mu.Unlock()
		if !dead {
			return true
		}
	}
	return false
}

// maxRetainedBuf is the largest PUSH queue buffer kept for reuse once
// drained; a larger one (after an outage with a big backlog) goes to the
// collector, so an idle socket does not pin memory.
const maxRetainedBuf = 4 << 20

// drainPendingTo moves the socket's queue to an idle peer's queue.
func (s *Socket) drainPendingTo(p *peer) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pendMsgs == 0 {
		return false
	}
	p.mu.Lock()
	if p.dead {
		p.mu.Unlock()
		return false
	}
	p.out.appendRaw(s.pending)
	p.outMsgs += s.pendMsgs
	p.replayFront += s.pendReplay // its data queue was empty: they lead it
	p.mu.Unlock()
	s.pendReplay = 0
	if cap(s.pending) > maxRetainedBuf {
		s.pending = nil
	} else {
		s.pending = s.pending[:0]
	}
	s.pendMsgs = 0
	s.pendingCount.Store(0)
	s.sendWake.broadcast()
	return true
}

// keptAndPeers reads whether queues are kept for absent subscribers, and
// the peer list, consistently: attach publishes the peer list before the
// kept count (an heir that took the last kept queue is listed), detach
// the other way round (a departed subscriber's kept queue is counted
// before it leaves the list). Reading the list on both sides of the count
// and again until it did not change covers both.
func (s *Socket) keptAndPeers() (bool, []*peer) {
	list := s.peers.Load()
	for {
		kept := s.keptQueues.Load() > 0
		again := s.peers.Load()
		if again == list {
			return kept, *list
		}
		list = again
	}
}

func (s *Socket) sendFanOut(ctx context.Context, m Msg, size int, filter bool) error {
	var sn sendNo
	handover := s.handover()
	if handover {
		// Handover numbers Sends and gives each heir each message once:
		// that takes one Send at a time.
		s.sendMu.Lock()
		defer s.sendMu.Unlock()
	}
	kept, peers := s.keptAndPeers()
	if handover {
		sn = sendNo{seq: s.sendSeq.Add(1)}
		if n := len(peers); n > 0 {
			sn.newest = peers[n-1].id
		}
	}
	// The message is encoded once, when a first subscriber takes it, into
	// a buffer every subscriber's queue refers to (sharedBuf).
	var sh *sharedBuf
	var off, end int
	matched, full := 0, uint64(0)
	defer func() {
		if full > 0 {
			s.ctr.dropFull.Add(full)
		}
		if sh != nil {
			sh.release()
		}
	}()
	for _, p := range peers {
		if filter && !p.subs.Load().match(m[0]) {
			continue
		}
		matched++
		if p.full.Load() && !p.dl.noDrop {
			if p.lossy() && !p.trimmed.Load() && p.stuck() && p.mu.TryLock() {
				p.trimLocked()
				p.trimmed.Store(true)
				p.mu.Unlock()
			}
			p.dropped.Add(1)
			full++
			continue
		}
		var r int
		if len(peers) == 1 {
			// One subscriber (an archive with its archiver): a copy into
			// its own queue costs less than a shared buffer's lock and
			// reference counts.
			r = p.tryEnqueue(m, size, sn.seq)
		} else {
			if sh == nil {
				sh, off, end = s.shared.encode(m, size)
			}
			r = p.tryEnqueueShared(sh, off, end, sn.seq)
		}
		switch r {
		case enqOK:
		case enqDead:
			if !s.lostPeer(p, m, sn) {
				if err := s.waitKept(ctx, p, m, sn); err != nil {
					return err
				}
			}
		case enqFull:
			if !p.dl.noDrop {
				p.dropped.Add(1)
				full++
				continue
			}
			if p.probation.Load() {
				p.dropped.Add(1)
				s.ctr.dropStalled.Add(1)
				continue
			}
			if err := s.waitPeer(ctx, p, m, size, sh, off, end, sn); err != nil {
				return err
			}
		}
	}
	if kept {
		held, err := s.keepForAbsent(ctx, m, size, peers, sn)
		if held {
			matched++
		}
		if err != nil {
			return err
		}
	}
	if matched == 0 {
		s.ctr.noSubscriber.Add(1)
	}
	return nil
}

// waitPeer waits for room in one subscriber's queue (NoDrop mode), for
// m encoded at [off, end) of sh, or for m itself when sh is nil.
func (s *Socket) waitPeer(ctx context.Context, p *peer, m Msg, size int, sh *sharedBuf, off, end int, sn sendNo) error {
	s.waiting.Add(1)
	defer s.waiting.Add(-1)
	for {
		c := s.sendWake.acquire()
		r := 0
		if sh != nil {
			r = p.tryEnqueueShared(sh, off, end, sn.seq)
		} else {
			r = p.tryEnqueue(m, size, sn.seq)
		}
		switch r {
		case enqOK:
			s.sendWake.release()
			return nil
		case enqDead:
			s.sendWake.release()
			if !s.lostPeer(p, m, sn) {
				return s.waitKept(ctx, p, m, sn)
			}
			return nil
		}
		select {
		case <-c:
		case <-p.done:
		case <-ctx.Done():
			s.sendWake.release()
			return ctx.Err()
		case <-s.stop:
			s.sendWake.release()
			return ErrClosed
		}
		s.sendWake.release()
	}
}

// Subscribe adds a prefix filter (SUB, XSUB). The empty prefix matches
// every message. Subscriptions are sent to every connected peer and again
// to every peer that connects or reconnects later.
func (s *Socket) Subscribe(prefix []byte) error { return s.subscribeChecked(prefix, true) }

// Unsubscribe removes one Subscribe of prefix.
func (s *Socket) Unsubscribe(prefix []byte) error { return s.subscribeChecked(prefix, false) }

func (s *Socket) subscribeChecked(prefix []byte, add bool) error {
	if s == nil || s.closing.Load() {
		return ErrClosed
	}
	if !s.typ.subscriber() {
		return errorf(ErrNotSupported, "subscriptions on %s", s.typ)
	}
	if len(prefix) > maxCommandSize-16 {
		return errorf(ErrTooLarge, "subscription of %d bytes", len(prefix))
	}
	return s.subscribe(prefix, add)
}

// subscribe updates our subscriptions and tells peers when the set of
// distinct prefixes changed (a prefix subscribed twice is sent once, and
// cancelled upstream only when its last Subscribe is undone).
func (s *Socket) subscribe(prefix []byte, add bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	next, changed := s.ownSubs.Load().with(prefix, add)
	s.ownSubs.Store(next)
	if changed {
		for _, p := range *s.peers.Load() {
			p.enqueueSubscription(prefix, add)
		}
	}
	return nil
}
