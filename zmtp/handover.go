package zmtp

import "time"

// orphan is what was queued for a PUB/XPUB subscriber that went away,
// kept (Options.Handover) for the next subscriber to connect.
type orphan struct {
	from    uint64 // id of the subscriber it was queued for
	data    []byte // whole data messages, in wire form, oldest first
	msgs    int
	settled bool // the subscriber is detached: nothing older can follow
	// Set once settled:
	subs  *subSet // what the subscriber had subscribed to
	after uint64  // only peers attached after its detach may take it
	until time.Time
}

// handoverState is a peer's part in Options.Handover, guarded by the
// socket's mu.
type handoverState struct {
	detached   bool
	detachSeq  uint64    // the socket's peerSeq when it detached
	detachedAt time.Time // when it detached
	lastSubs   *subSet   // its subscriptions then
	adopted    bool      // it took over a departed subscriber's queue
}

func (s *Socket) handover() bool { return s.cfg.NoDrop && s.cfg.Handover > 0 }

// lostPeer settles m, which could not be queued for p because p is going
// away: kept for p's heir, or dropped.
func (s *Socket) lostPeer(p *peer, m Msg) {
	if !s.handover() {
		s.ctr.dropDisconnected.Add(1)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		s.ctr.dropLinger.Add(1)
		return
	}
	s.keepForHeirLocked(p, appendMsg(nil, m), 1, false)
}

// keepForHeirLocked adds messages to what is kept for p's heir: older
// ones (its queue, at detach) in front of newer ones (sent while it was
// going away). Holds mu.
func (s *Socket) keepForHeirLocked(p *peer, data []byte, msgs int, older bool) {
	s.orphanMsgs.Add(int64(msgs))
	for i := range s.orphans {
		if o := &s.orphans[i]; o.from == p.id {
			if older {
				o.data = append(data, o.data...)
			} else {
				o.data = append(o.data, data...)
			}
			o.msgs += msgs
			return
		}
	}
	s.orphans = append(s.orphans, orphan{from: p.id, data: data, msgs: msgs})
	if p.ho.detached { // a send that found it gone after its detach
		s.settleLocked(&s.orphans[len(s.orphans)-1], p)
	}
}

// detachedLocked records p's detach and settles what is kept for it: only
// peers attached from now on may take it, and only within Handover.
// Holds mu.
func (s *Socket) detachedLocked(p *peer) {
	p.ho = handoverState{detached: true, detachSeq: s.peerSeq, detachedAt: time.Now(), lastSubs: p.subs.Load()}
	for i := range s.orphans {
		if s.orphans[i].from == p.id {
			s.settleLocked(&s.orphans[i], p)
		}
	}
}

func (s *Socket) settleLocked(o *orphan, p *peer) {
	o.settled, o.subs, o.after = true, p.ho.lastSubs, p.ho.detachSeq
	o.until = p.ho.detachedAt.Add(s.cfg.Handover)
}

// adoptOrphans gives each kept queue to a subscriber that attached after
// its owner left with the same subscriptions, before anything newer is
// queued for it (it runs on the sending goroutine, ahead of the next
// message). A subscriber takes at most one: the queues of subscribers
// that left together overlap. Queues nobody took within Handover are
// dropped.
func (s *Socket) adoptOrphans(peers []*peer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	keep := s.orphans[:0]
	for _, o := range s.orphans {
		if !o.settled {
			keep = append(keep, o)
			continue
		}
		heir := heirOf(peers, &o)
		// Kept for a subscriber that attaches within Handover; one that
		// did gets them at the next send, however much later that is.
		if (heir == nil || heir.attached.After(o.until)) && now.After(o.until) {
			s.ctr.dropDisconnected.Add(uint64(o.msgs))
			s.orphanMsgs.Add(-int64(o.msgs))
			continue
		}
		if heir == nil || !heir.enqueueRaw(o.data, o.msgs) {
			keep = append(keep, o)
			continue
		}
		heir.ho.adopted = true
		s.ctr.handedOver.Add(uint64(o.msgs))
		s.orphanMsgs.Add(-int64(o.msgs))
	}
	clear(s.orphans[len(keep):])
	s.orphans = keep
}

// heirOf returns the first peer attached after o's owner left, with the
// same subscriptions, that has not taken over another queue.
func heirOf(peers []*peer, o *orphan) *peer {
	for _, p := range peers {
		if p.id > o.after && !p.ho.adopted && sameSubs(p.subs.Load(), o.subs) {
			return p
		}
	}
	return nil
}

// sameSubs reports whether a and b hold the same distinct prefixes.
func sameSubs(a, b *subSet) bool {
	if a.size() == 0 || a.size() != b.size() || a.all != b.all {
		return false
	}
outer:
	for _, p := range a.prefixes {
		for _, q := range b.prefixes {
			if string(p) == string(q) {
				continue outer
			}
		}
		return false
	}
	return true
}

// enqueueRaw queues whole encoded data messages past the queue's bounds
// (they were accepted once already). It returns false if the peer is
// going away.
func (p *peer) enqueueRaw(data []byte, msgs int) bool {
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
