package zmtp

import "time"

// orphan is what was queued for a PUB/XPUB subscriber that went away,
// kept (Options.Handover) for the next subscriber to connect.
type orphan struct {
	from    uint64 // id of the subscriber it was queued for
	data    []byte // whole data messages, in wire form, oldest first
	msgs    int
	after   uint64 // only peers attached after this one (by id) may take it
	until   time.Time
	settled bool // the subscriber is detached: nothing older can follow
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
	s.orphans = append(s.orphans, orphan{from: p.id, data: data, msgs: msgs, after: s.peerSeq,
		until: time.Now().Add(s.cfg.Handover)})
}

// settleOrphanLocked marks what is kept for p complete. Holds mu.
func (s *Socket) settleOrphanLocked(p *peer) {
	for i := range s.orphans {
		if s.orphans[i].from == p.id {
			s.orphans[i].settled = true
		}
	}
}

// adoptOrphans gives kept queues to the first subscriber that attached
// after their owner left, before anything newer is queued for it (it runs
// on the sending goroutine, ahead of the next message); those kept too
// long are dropped. Messages the heir has not subscribed to are
// dropped as well: they were for the subscriber that left.
func (s *Socket) adoptOrphans(peers []*peer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	keep := s.orphans[:0]
	for _, o := range s.orphans {
		heir := heirOf(peers, o.after)
		// Kept for a subscriber that attaches within Handover; one that
		// did gets them at the next send, however much later that is.
		if (heir == nil || heir.attached.After(o.until)) && now.After(o.until) {
			s.ctr.dropDisconnected.Add(uint64(o.msgs))
			s.orphanMsgs.Add(-int64(o.msgs))
			continue
		}
		if heir == nil || !o.settled {
			keep = append(keep, o)
			continue
		}
		data, n := o.data, o.msgs
		if subs := heir.subs.Load(); !subs.all {
			data, n = subscribedOnly(o.data, subs)
		}
		if n > 0 && !heir.enqueueRaw(data, n) {
			keep = append(keep, o) // it is going away too: wait for another
			continue
		}
		s.ctr.handedOver.Add(uint64(n))
		s.ctr.dropDisconnected.Add(uint64(o.msgs - n))
		s.orphanMsgs.Add(-int64(o.msgs))
	}
	clear(s.orphans[len(keep):])
	s.orphans = keep
}

// heirOf returns the first subscribed peer attached after id.
func heirOf(peers []*peer, id uint64) *peer {
	for _, p := range peers {
		if sub := p.subs.Load(); p.id > id && sub != nil && (sub.all || sub.size() > 0) {
			return p
		}
	}
	return nil
}

// subscribedOnly keeps the messages of data that subs matches.
func subscribedOnly(data []byte, subs *subSet) ([]byte, int) {
	var out []byte
	n := 0
	for off := 0; off < len(data); {
		end, _ := nextMsgEnd(data, off)
		if end < 0 {
			break
		}
		if subs.match(firstFrame(data[off:end])) {
			out = append(out, data[off:end]...)
			n++
		}
		off = end
	}
	return out, n
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
	wake := p.idle
	p.idle = false
	p.mu.Unlock()
	if wake {
		kick(p.wake)
	}
	return true
}
