package zmtp

import "time"

// PeerInfo is what a peer's handshake established. It does not change
// while the connection lasts.
type PeerInfo struct {
	// Remote is the peer's address as the transport gives it
	// ("127.0.0.1:40312"; "" for inproc).
	Remote string
	// SocketType is the peer's Socket-Type property ("SUB", "PUSH", …).
	SocketType string
	// User is the PLAIN user name the peer logged in with; "" without
	// PLAIN.
	User string
	// Properties holds every metadata property of the peer's READY or
	// INITIATE command (RFC 37), names as the peer spelt them; Property
	// looks one up regardless of case.
	Properties map[string]string
}

// Property returns the named metadata property; names compare without
// regard to case, as RFC 37 says.
func (i *PeerInfo) Property(name string) (string, bool) {
	if v, ok := i.Properties[name]; ok {
		return v, true
	}
	for k, v := range i.Properties {
		if equalFold(k, name) {
			return v, true
		}
	}
	return "", false
}

// Delivery is how a PUB or XPUB socket serves one subscriber, decided
// once at the end of its handshake by Options.Delivery.
type Delivery struct {
	// NoDrop makes Send wait for room in this subscriber's full queue
	// instead of dropping its copy (Options.NoDrop for one peer).
	NoDrop bool
	// Heir names the subscriber for Options.Handover: what was queued for
	// it when it went away, and what is sent while it is away, is kept
	// for the next NoDrop subscriber with the same Heir (the same
	// archiver, back). Empty: for the next NoDrop subscriber with an empty
	// Heir, whatever it subscribes to (as with Options.NoDrop alone).
	Heir string
	// QueueMsgs and QueueBytes bound this subscriber's queue. Zero: the
	// socket's SendHWM and SendHWMBytes.
	QueueMsgs, QueueBytes int
}

// delivery is a peer's Delivery with the socket's defaults applied.
type delivery struct {
	noDrop     bool
	heir       string
	queueMsgs  int
	queueBytes int
}

// wantDelivery asks Options.Delivery how p wants to be served (outside
// the socket's lock: it is the application's code).
func (s *Socket) wantDelivery(p *peer) {
	if s.cfg.Delivery != nil && s.typ.publisher() {
		w := s.cfg.Delivery(p.peerInfo())
		p.want = &w
	}
}

// claimHeir lets p, a NoDrop newcomer, take the name (Heir) of a
// connected subscriber only when that one is leaving (it paused, as an
// archiver stopping gracefully does, or its connection has ended): it
// waits, up to HandshakeTimeout, for it to be detached, so that p takes
// over what was kept for it, in order. While that one is alive, two
// subscribers would share one name, and p is refused (ErrHeirInUse). A
// connection whose host died is found dead by heartbeats or
// StallTimeout; its successor's reconnects then get in.
func (s *Socket) claimHeir(p *peer) error {
	if p.want == nil || !p.want.NoDrop || p.want.Heir == "" {
		return nil
	}
	for _, q := range *s.peers.Load() {
		if !q.dl.noDrop || q.dl.heir != p.want.Heir {
			continue
		}
		q.mu.Lock()
		leaving := q.paused || q.dead
		q.mu.Unlock()
		if !leaving {
			return errorf(ErrHeirInUse, "%q is connected from %s", p.want.Heir, q.remote)
		}
		t := time.NewTimer(s.cfg.HandshakeTimeout)
		select {
		case <-q.gone:
		case <-t.C:
		case <-s.stop:
		}
		t.Stop()
	}
	return nil
}

// deliveryForLocked decides how p is served. It holds mu: the count of
// NoDrop subscribers against MaxNoDrop must not race with other
// attaches.
func (s *Socket) deliveryForLocked(p *peer) delivery {
	d := delivery{noDrop: s.cfg.NoDrop, queueMsgs: s.cfg.SendHWM, queueBytes: s.cfg.SendHWMBytes}
	if p.want == nil {
		return d
	}
	want := *p.want
	d.noDrop, d.heir = want.NoDrop, want.Heir
	if want.QueueMsgs > 0 {
		d.queueMsgs = want.QueueMsgs
	}
	if want.QueueBytes > 0 {
		d.queueBytes = want.QueueBytes
	}
	if !d.noDrop {
		return d
	}
	held := 0
	for _, q := range *s.peers.Load() {
		if q.dl.noDrop {
			held++
		}
	}
	for i := range s.orphans {
		if o := &s.orphans[i]; !o.wildcard && o.settled && o.heir != d.heir {
			held++
		}
	}
	if held >= s.cfg.MaxNoDrop {
		// More no-drop subscribers would raise the memory bound the
		// operator set: serve this one like any other, and say so.
		s.ctr.noDropRefused.Add(1)
		if s.cfg.Logger != nil {
			s.cfg.Logger.Warn("zmtp: served without NoDrop: MaxNoDrop reached", "socket", s.typ.String(),
				"remote", p.remote, "heir", d.heir, "max", s.cfg.MaxNoDrop)
		}
		return delivery{queueMsgs: s.cfg.SendHWM, queueBytes: s.cfg.SendHWMBytes}
	}
	return d
}

// stallDeadline is when a write started now must have made progress, or
// the zero time when there is no deadline.
func (p *peer) stallDeadline() time.Time {
	if !p.dl.noDrop || p.s.cfg.StallTimeout <= 0 {
		return time.Time{}
	}
	return time.Now().Add(p.s.cfg.StallTimeout)
}
