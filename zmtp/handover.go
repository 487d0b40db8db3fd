package zmtp

import (
	"context"
	"errors"
	"slices"
	"time"
)

// orphan is a kept queue (Options.Handover): what was queued for a NoDrop
// subscriber that went away, and what was sent for it since, waiting for
// its heir. The socket starts with a wildcard one, for the first NoDrop
// subscriber.
type orphan struct {
	from     uint64 // id of the subscriber it was queued for (0: wildcard)
	heir     string // that subscriber's Delivery.Heir
	wildcard bool   // kept since the socket started: any NoDrop subscriber takes it
	data     []byte // whole data messages, in wire form, oldest first
	msgs     int
	lastSend uint64 // the newest Send whose message it holds (see sendNo)
	owner    *peer  // the subscriber it was queued for (nil: wildcard)
	settled  bool   // the subscriber is detached: nothing older can follow
	stalled  bool   // it was cut off for stalling: Send does not wait for it
	// Set once settled:
	subs  *subSet // what the subscriber had subscribed to
	until time.Time
}

// wants reports whether a message with this topic is kept for the heir.
func (o *orphan) wants(topic []byte) bool { return o.wildcard || o.subs.match(topic) }

// takenBy reports whether p, a NoDrop subscriber attaching, is o's heir.
func (o *orphan) takenBy(p *peer) bool {
	return o.settled && (o.wildcard || o.heir == p.dl.heir)
}

// handoverState is a peer's part in Options.Handover, guarded by the
// socket's mu.
type handoverState struct {
	detached   bool
	detachedAt time.Time // when it detached
	lastSubs   *subSet   // its subscriptions then
	adopted    bool      // it took over a kept queue
	pausedAt   time.Time // when it paused (see pause); zero while it is not
	// sideSeq: the newest Send whose message it has by a way other than
	// its own queue (the kept queue it took, or a message for the
	// subscriber it succeeds): each Send gives it a message once.
	sideSeq uint64
	// successor took over its kept queue: messages a Send still finds
	// for it (its list of peers read before its detach) go there.
	successor *peer
}

// sendNo identifies a Send to the handover, which must give each heir
// each message once though a message may reach it three ways (the kept
// queue it takes, a Send that still finds its predecessor, a Send that
// read the peer list before it attached): seq numbers the Sends of a
// socket (serialized by sendMu under Handover, so in order); newest is
// the newest peer in the list the Send read. Zero without Handover.
type sendNo struct {
	seq, newest uint64
}

// giveLocked queues m for heir h unless it has it already (see sendNo)
// or the Send serves it directly. Holds mu.
func (s *Socket) giveLocked(h *peer, m Msg, sn sendNo) bool {
	if h.id <= sn.newest || sn.seq <= h.ho.sideSeq {
		return false
	}
	if !h.enqueueRawLocked(appendMsg(nil, m), 1) {
		// h is going away: keep m for h's heir instead.
		if h.ho.successor != nil {
			return s.giveLocked(h.ho.successor, m, sn)
		}
		s.keepForHeirLocked(h, appendMsg(nil, m), 1, false, sn.seq)
	}
	h.ho.sideSeq = sn.seq
	return true
}

func (s *Socket) handover() bool {
	return s.cfg.Handover > 0 && s.typ.publisher() && (s.cfg.NoDrop || s.cfg.Delivery != nil)
}

// startHandover keeps what is sent before the first NoDrop subscriber
// arrives, for it. Called by NewSocket.
func (s *Socket) startHandover() {
	if !s.handover() {
		return
	}
	s.orphans = []orphan{{wildcard: true, settled: true, until: time.Now().Add(s.cfg.Handover)}}
	s.keptQueues.Store(1)
}

// lostPeer settles m, which could not be queued for p because p is going
// away or paused: kept for p's heir, or dropped and counted. It returns
// false, having done nothing, when what is kept for p is at
// HandoverBytes: the caller waits (waitKept), as for a full subscriber.
func (s *Socket) lostPeer(p *peer, m Msg, sn sendNo) bool {
	if !s.handover() || !p.dl.noDrop {
		s.ctr.dropDisconnected.Add(1)
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		s.ctr.dropLinger.Add(1)
		return true
	}
	if h := p.ho.successor; h != nil {
		s.giveLocked(h, m, sn)
		return true
	}
	p.mu.Lock()
	if !p.dead && !p.paused { // resumed meanwhile: it takes m itself
		p.out.appendMsg(m, encodedSize(m))
		p.outMsgs++
		p.enqSeq = max(p.enqSeq, sn.seq)
		p.unlockWake()
		return true
	}
	p.mu.Unlock()
	return s.keepForHeirLocked(p, appendMsg(nil, m), 1, false, sn.seq)
}

// waitKept waits until lostPeer can settle m: p's heir arrives, its kept
// queue expires, or ctx ends.
func (s *Socket) waitKept(ctx context.Context, p *peer, m Msg, sn sendNo) error {
	s.waiting.Add(1)
	defer s.waiting.Add(-1)
	for {
		c := s.keptWake.acquire()
		if s.lostPeer(p, m, sn) {
			s.keptWake.release()
			return nil
		}
		// Expiry is checked by lostPeer; look again at least this often.
		err := s.waitUntil(ctx, c, time.Now().Add(100*time.Millisecond))
		s.keptWake.release()
		if err != nil {
			return err
		}
	}
}

// pause stops sending to p, a NoDrop subscriber that cancelled a
// subscription: an archiver stopping gracefully cancels, reads what is
// already on its way, then disconnects. From now on what it is
// subscribed to is kept for its heir, as if it had left (Send treats it
// as going away), while it reads what it has. It runs on p's reader.
func (p *peer) pause() {
	s := p.s
	s.mu.Lock()
	defer s.mu.Unlock()
	p.mu.Lock()
	if !p.paused {
		p.paused = true
		p.ho.pausedAt = time.Now()
	}
	p.mu.Unlock()
}

// resume undoes pause for a subscriber that subscribes again: what was
// kept for it meanwhile is queued for it, ahead of anything newer.
func (p *peer) resume() {
	s := p.s
	s.mu.Lock()
	defer s.mu.Unlock()
	p.mu.Lock()
	if !p.paused || p.dead {
		p.mu.Unlock()
		return
	}
	p.paused = false
	p.ho.pausedAt = time.Time{}
	for i := range s.orphans {
		if o := &s.orphans[i]; !o.wildcard && !o.settled && o.from == p.id {
			p.out.appendRaw(o.data)
			p.outMsgs += o.msgs
			s.orphanMsgs.Add(-int64(o.msgs))
			s.orphans = slices.Delete(s.orphans, i, i+1)
			s.keptQueues.Store(int64(len(s.orphans)))
			break
		}
	}
	p.unlockWake()
	s.keptWake.broadcast()
}

// keepForHeirLocked adds messages to what is kept for p's heir: older
// ones (its queue, at detach) in front of newer ones (sent while it was
// going away). Newer ones past HandoverBytes are not kept: it returns
// false (the caller waits), unless the subscriber stalled or its kept
// queue has expired, when they are dropped and counted. Holds mu.
func (s *Socket) keepForHeirLocked(p *peer, data []byte, msgs int, older bool, seq uint64) bool {
	for i := range s.orphans {
		if o := &s.orphans[i]; !o.wildcard && o.from == p.id {
			if !older && o.msgs > 0 && len(o.data)+len(data) > s.cfg.HandoverBytes {
				switch {
				case o.stalled || p.probation.Load():
					s.ctr.dropStalled.Add(uint64(msgs))
					return true
				case time.Now().After(s.keptUntilLocked(o, p)):
					s.ctr.dropDisconnected.Add(uint64(msgs))
					return true
				}
				return false
			}
			s.orphanMsgs.Add(int64(msgs))
			o.lastSend = max(o.lastSend, seq)
			if older {
				o.data = append(data, o.data...)
			} else {
				o.data = append(o.data, data...)
			}
			o.msgs += msgs
			return true
		}
	}
	s.orphanMsgs.Add(int64(msgs))
	s.orphans = append(s.orphans, orphan{from: p.id, owner: p, heir: p.dl.heir, data: data, msgs: msgs, lastSend: seq})
	s.keptQueues.Store(int64(len(s.orphans)))
	if p.ho.detached { // a send that found it gone after its detach
		s.settleLocked(&s.orphans[len(s.orphans)-1], p)
	}
	return true
}

// keptUntilLocked is when what is kept for p (o) expires: Handover after
// its detach, or after its pause; a subscriber still detaching has it
// from now. Holds mu.
func (s *Socket) keptUntilLocked(o *orphan, p *peer) time.Time {
	switch {
	case o.settled:
		return o.until
	case !p.ho.pausedAt.IsZero():
		return p.ho.pausedAt.Add(s.cfg.Handover)
	}
	return time.Now().Add(s.cfg.Handover)
}

// detachedLocked records p's detach and settles what is kept for it:
// messages sent from now on are kept for its heir, within Handover.
// Holds mu.
func (s *Socket) detachedLocked(p *peer) {
	p.mu.Lock()
	last := max(p.enqSeq, p.ho.sideSeq)
	p.mu.Unlock()
	for i := range s.orphans {
		if o := &s.orphans[i]; !o.wildcard && o.from == p.id {
			o.lastSend = max(o.lastSend, last)
		}
	}
	p.ho = handoverState{detached: true, detachedAt: time.Now(), lastSubs: p.subs.Load()}
	found := false
	for i := range s.orphans {
		if o := &s.orphans[i]; !o.wildcard && o.from == p.id {
			s.settleLocked(o, p)
			found = true
		}
	}
	if !found { // it left with an empty queue: keep what follows for it
		s.orphans = append(s.orphans, orphan{from: p.id, owner: p, heir: p.dl.heir, lastSend: last})
		s.settleLocked(&s.orphans[len(s.orphans)-1], p)
		s.keptQueues.Store(int64(len(s.orphans)))
	}
}

func (s *Socket) settleLocked(o *orphan, p *peer) {
	o.settled, o.subs = true, p.ho.lastSubs
	o.stalled = errors.Is(p.err, ErrStalled) || p.probation.Load()
	o.until = p.ho.detachedAt.Add(s.cfg.Handover)
}

// adoptLocked gives p, a NoDrop subscriber attaching, the kept queue that
// is its own, ahead of anything newer: p is not yet in the peer list, so
// no Send can reach it first. Until p's own subscriptions arrive it
// keeps those of the subscriber it succeeds, so nothing sent meanwhile
// passes it by. A newcomer takes at most one kept queue: the queues of
// subscribers that left together overlap. Holds mu.
func (s *Socket) adoptLocked(p *peer) {
	if !s.handover() || !p.dl.noDrop {
		return
	}
	for i := range s.orphans {
		o := &s.orphans[i]
		if !o.takenBy(p) {
			continue
		}
		p.mu.Lock()
		p.out.appendRaw(o.data)
		p.outMsgs += o.msgs
		p.mu.Unlock()
		// Until its own subscriptions arrive it has those of the
		// subscriber it succeeds (a copy: its own are added to them), so
		// nothing sent meanwhile passes it by. An XPUB application is not
		// told of these inherited subscriptions.
		subs := o.subs.clone()
		if o.wildcard {
			subs, _ = (*subSet)(nil).with(nil, true)
		}
		if subs.size() > 0 {
			p.subs.Store(subs)
		}
		p.ho.adopted = true
		p.ho.sideSeq = o.lastSend
		if o.owner != nil {
			o.owner.ho.successor = p
		}
		if o.stalled {
			p.probation.Store(true)
		}
		s.ctr.handedOver.Add(uint64(o.msgs))
		s.orphanMsgs.Add(-int64(o.msgs))
		// keptQueues is updated by attach once p is in the peer list.
		s.orphans = slices.Delete(s.orphans, i, i+1)
		return
	}
}

// expireLocked drops the kept queues whose heir did not come within
// Handover. Holds mu.
func (s *Socket) expireLocked(now time.Time) {
	keep := s.orphans[:0]
	for _, o := range s.orphans {
		if o.settled && now.After(o.until) || o.owner != nil && !o.settled && !o.owner.ho.pausedAt.IsZero() &&
			now.After(o.owner.ho.pausedAt.Add(s.cfg.Handover)) {
			if o.msgs > 0 && s.cfg.Logger != nil {
				s.cfg.Logger.Warn("zmtp: kept queue dropped: its subscriber did not come back within Handover",
					"socket", s.typ.String(), "heir", o.heir, "messages", o.msgs, "bytes", len(o.data), "handover", s.cfg.Handover)
			}
			s.ctr.dropDisconnected.Add(uint64(o.msgs))
			s.orphanMsgs.Add(-int64(o.msgs))
			continue
		}
		keep = append(keep, o)
	}
	clear(s.orphans[len(keep):])
	s.orphans = keep
	s.keptQueues.Store(int64(len(s.orphans)))
}

// keepForAbsent adds m to every kept queue that waits for its heir and
// wants it, and to the heirs that took a kept queue after this Send read
// the peer list (served, the list they were not in). A kept queue at
// HandoverBytes makes Send wait until its heir arrives (which takes the
// queue and then the message) or Handover ends. It reports whether anyone kept m.
func (s *Socket) keepForAbsent(ctx context.Context, m Msg, size int, served []*peer, sn sendNo) (bool, error) {
	kept := false
	for {
		// Taken before looking, so that an heir attaching after the look
		// wakes the wait below.
		c := s.keptWake.acquire()
		s.mu.Lock()
		s.expireLocked(time.Now())
		for _, p := range *s.peers.Load() {
			if p.ho.adopted && p.subs.Load().match(m[0]) && s.giveLocked(p, m, sn) {
				kept = true
			}
		}
		var wait time.Time
		for i := range s.orphans {
			o := &s.orphans[i]
			// lastSend marks the queues this Send has settled already,
			// across the waits below.
			if !o.settled || !o.wants(m[0]) || o.lastSend >= sn.seq || wasServed(served, o.from) {
				continue
			}
			if len(o.data)+size > s.cfg.HandoverBytes && o.msgs > 0 {
				switch {
				case o.stalled: // not waited for: it has stopped reading
					s.ctr.dropStalled.Add(1)
					o.lastSend = sn.seq
					continue
				case o.wildcard:
					// Kept for a first subscriber nobody has promised:
					// full, it costs what does not fit, not the bus.
					s.ctr.dropDisconnected.Add(1)
					o.lastSend = sn.seq
					continue
				}
				if wait.IsZero() || o.until.Before(wait) {
					wait = o.until
				}
				continue
			}
			o.data = appendMsg(o.data, m)
			o.msgs++
			o.lastSend = sn.seq
			s.orphanMsgs.Add(1)
			kept = true
		}
		s.mu.Unlock()
		if wait.IsZero() {
			s.keptWake.release()
			return kept, nil
		}
		s.waiting.Add(1)
		err := s.waitUntil(ctx, c, wait)
		s.waiting.Add(-1)
		s.keptWake.release()
		if err != nil {
			return kept, err
		}
	}
}

// waitUntil waits for c (a peer attached or room appeared), until t, ctx
// or Close.
func (s *Socket) waitUntil(ctx context.Context, c <-chan struct{}, t time.Time) error {
	timer := time.NewTimer(time.Until(t) + time.Millisecond)
	defer timer.Stop()
	select {
	case <-c:
	case <-timer.C:
	case <-ctx.Done():
		return ctx.Err()
	case <-s.stop:
		return ErrClosed
	}
	return nil
}

// wasServed reports whether the subscriber with this id was in the peer
// list this Send served: it then had m queued, or kept for its heir by
// lostPeer, already.
func wasServed(served []*peer, id uint64) bool {
	for _, p := range served {
		if p.id == id {
			return true
		}
	}
	return false
}

// enqueueRawLocked queues whole encoded data messages past the queue's
// bounds (they were accepted once already). The caller holds s.mu.
func (p *peer) enqueueRawLocked(data []byte, msgs int) bool {
	p.mu.Lock()
	if p.dead {
		p.mu.Unlock()
		return false
	}
	p.out.appendRaw(data)
	p.outMsgs += msgs
	p.unlockWake()
	return true
}
