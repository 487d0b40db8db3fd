package zmtp

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Socket is a ZeroMQ socket of one Type. Its methods are safe for
// concurrent use. Create it with NewSocket and release it with Close.
type Socket struct {
	typ Type
	cfg config
	ctr counters

	// peers is the copy-on-write list of connected peers, read without a
	// lock by the send path. Writers hold mu.
	peers atomic.Pointer[[]*peer]
	rr    atomic.Uint32 // PUSH round-robin cursor

	// Close proceeds in two steps. First closed (under mu; no new Bind or
	// Connect) and closing (atomic; Send refuses) are set and queues get
	// the linger time to drain. Then stopped (under mu) and the stop
	// channel end every connection, listener and dialler.
	mu       sync.Mutex
	closed   bool
	stopped  bool
	draining bool // Drain started: no new connections, peers told to stop
	// attaching counts connections past their handshake, not yet attached
	// or refused (see endHandshake).
	attaching int
	pending   []byte // PUSH: encoded messages while no peer can take them
	pendMsgs  int
	// pendReplay: the first pendReplay messages of pending are replay
	// copies (Options.ReplayBytes), written once already.
	pendReplay int
	orphans    []orphan // PUB/XPUB with Handover: queues of departed subscribers
	peerSeq    uint64   // peers attached so far; each peer's id
	listeners  []*listener
	bound      []string
	hsConns    map[net.Conn]handshaking // connections still in their handshake

	ownSubs      atomic.Pointer[subSet] // SUB/XSUB: our subscriptions; writers hold mu
	pendingCount atomic.Int64           // pendMsgs, readable without mu by the fast path
	orphanMsgs   atomic.Int64           // messages in orphans, readable without mu
	keptQueues   atomic.Int64           // len(orphans), readable without mu
	sendSeq      atomic.Uint64          // PUB/XPUB with Handover: Sends so far
	partialBytes atomic.Int64           // charged by unfinished messages (PartialMsgBytes)
	closing      atomic.Bool

	sendWake notifier      // room appeared in a queue, or a peer attached
	shared   sharedEnc     // PUB/XPUB: where Send encodes a message once for all
	born     time.Time     // for mono
	keptWake notifier      // a kept queue was taken, settled or emptied (Handover)
	sendMu   sync.Mutex    // one Send at a time, with Handover (see sendNo)
	waiting  atomic.Int32  // Sends waiting for room (Stats.Waiting)
	inbox    inbox         // received batches waiting for Recv
	recvLock chan struct{} // serializes receivers; a channel so waits honour ctx

	stop chan struct{} // closed when Close starts tearing down connections
	wg   sync.WaitGroup
	once sync.Once
	err  error
}

// NewSocket creates a socket of type t. opts may be nil for defaults.
func NewSocket(t Type, opts *Options) (*Socket, error) {
	if !t.valid() {
		return nil, errorf(ErrNotSupported, "socket type %d", int(t))
	}
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	s := &Socket{
		born:     time.Now(),
		typ:      t,
		cfg:      cfg,
		recvLock: make(chan struct{}, 1),
		stop:     make(chan struct{}),
	}
	s.inbox.kick = make(chan struct{}, 1)
	empty := []*peer{}
	s.peers.Store(&empty)
	s.startHandover()
	return s, nil
}

// Type returns the socket type.
func (s *Socket) Type() Type { return s.typ }

// Bind listens on endpoint and accepts peers on it until Close.
func (s *Socket) Bind(ep string) error {
	if s == nil {
		return ErrClosed
	}
	e, err := parseEndpoint(ep, true)
	if err != nil {
		return err
	}
	ln, err := e.listen()
	if err != nil {
		return errorf(ErrEndpoint, "bind %s: %v", ep, err)
	}
	l := &listener{s: s, ln: ln, ep: e, done: make(chan struct{})}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		if cerr := ln.Close(); cerr != nil {
			return errors.Join(ErrClosed, cerr)
		}
		return ErrClosed
	}
	s.listeners = append(s.listeners, l)
	s.bound = append(s.bound, boundEndpoint(e, ln.Addr()))
	s.wg.Add(1)
	s.mu.Unlock()
	go l.acceptLoop()
	return nil
}

// Addr returns the address of the first bound endpoint, or nil. With port
// 0 it tells the port the system chose.
func (s *Socket) Addr() net.Addr {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.listeners) == 0 {
		return nil
	}
	return s.listeners[0].ln.Addr()
}

// Endpoints returns the bound endpoints with resolved addresses, such as
// "tcp://127.0.0.1:41234", in Bind order. They can be passed to Connect.
func (s *Socket) Endpoints() []string {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.bound...)
}

// Connect dials endpoint in the background and keeps a connection to it
// until Close, redialling with backoff whenever it fails or is lost. It
// returns at once: the peer need not exist yet.
func (s *Socket) Connect(ep string) error {
	if s == nil {
		return ErrClosed
	}
	e, err := parseEndpoint(ep, false)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	s.wg.Add(1)
	go s.dialLoop(e)
	return nil
}

// Close stops the socket. It waits up to Options.Linger for queued
// messages to be written, counts what remains as dropped, closes every
// connection and listener, and waits for the socket's goroutines. It is
// idempotent and safe on a nil *Socket.
func (s *Socket) Close() error {
	if s == nil {
		return nil
	}
	s.once.Do(func() { s.err = s.close() })
	return s.err
}

func (s *Socket) close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.closing.Store(true)
	s.lingerWait()

	var errs []error
	s.mu.Lock()
	s.stopped = true
	close(s.stop)
	for c := range s.hsConns {
		if err := c.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	for _, l := range s.listeners {
		if err := l.ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	s.mu.Unlock()
	for _, p := range *s.peers.Load() {
		p.shutdown(ErrClosed)
	}
	s.wg.Wait()
	s.sendWake.broadcast()

	s.mu.Lock()
	s.ctr.dropLinger.Add(uint64(s.pendMsgs) + uint64(s.orphanMsgs.Load()))
	s.ctr.unconfirmed.Add(uint64(s.pendReplay))
	s.pendReplay = 0
	s.orphans = nil
	s.orphanMsgs.Store(0)
	s.pending, s.pendMsgs = nil, 0
	s.pendingCount.Store(0)
	s.mu.Unlock()
	// Receivers return ErrClosed now that stop is closed; taking their
	// lock waits for one still decoding before its batch is counted.
	s.recvLock <- struct{}{}
	s.ctr.dropUnread.Add(uint64(s.inbox.drain()))
	<-s.recvLock
	return errors.Join(errs...)
}

// lingerWait waits until every queue is empty or the linger time is over.
func (s *Socket) lingerWait() {
	if s.cfg.Linger < 0 {
		return
	}
	deadline := time.NewTimer(s.cfg.Linger)
	defer deadline.Stop()
	for {
		c := s.sendWake.acquire()
		if s.queued() == 0 {
			s.sendWake.release()
			return
		}
		// Writers broadcast when they take a batch; poll as well, since
		// the last write completing does not broadcast.
		tick := time.NewTimer(5 * time.Millisecond)
		select {
		case <-c:
		case <-tick.C:
		case <-deadline.C:
			tick.Stop()
			s.sendWake.release()
			return
		}
		tick.Stop()
		s.sendWake.release()
	}
}

// queued counts messages accepted but not yet written.
func (s *Socket) queued() int {
	n := int(s.pendingCount.Load())
	for _, p := range *s.peers.Load() {
		n += p.queued()
	}
	return n
}

// Stats returns a snapshot of the socket's counters and peers.
func (s *Socket) Stats() Stats {
	if s == nil {
		return Stats{}
	}
	st := s.ctr.snapshot()
	st.Waiting = s.waiting.Load() > 0
	if s.keptQueues.Load() > 0 {
		s.mu.Lock()
		// Expired kept queues go now, not at the next Send: a quiet
		// socket frees them and reports them as they are.
		s.expireLocked(time.Now())
		for i := range s.orphans {
			st.Kept += s.orphans[i].msgs
			st.KeptBytes += len(s.orphans[i].data)
		}
		s.mu.Unlock()
	}
	st.Queued = s.queued() + int(s.orphanMsgs.Load())
	for _, p := range *s.peers.Load() {
		msgs, bytes := p.depth()
		st.Peers = append(st.Peers, PeerStats{
			Remote:      p.remote,
			SocketType:  p.info.socketType,
			Identity:    append([]byte(nil), p.info.identity...),
			Queued:      msgs,
			QueuedBytes: bytes,
			Dropped:     p.dropped.Load(),
			NoDrop:      p.dl.noDrop,
			Heir:        p.dl.heir,
			Prefixes:    p.subs.Load().size(),
		})
	}
	return st
}

// PeerCount returns the number of connected peers (handshake complete).
func (s *Socket) PeerCount() int {
	if s == nil {
		return 0
	}
	return len(*s.peers.Load())
}

// attach adds a peer that completed its handshake. It returns false when
// the socket is closing.
func (s *Socket) attach(p *peer) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.attaching-- // settled here, attached or not
	select {
	case <-s.stop:
		return false
	default:
	}
	if s.typ.subscriber() {
		for _, sub := range s.ownSubs.Load().distinct() {
			p.enqueueSubscription(sub, true)
		}
	}
	s.peerSeq++
	p.id, p.attached = s.peerSeq, time.Now()
	if s.draining {
		// Its handshake ended as Drain began: it stops sending too.
		p.quiet.Store(true)
		kick(p.wake)
	}
	if s.typ.publisher() {
		if s.handover() {
			// Expired kept queues neither count against MaxNoDrop nor
			// go to p.
			s.expireLocked(p.attached)
		}
		p.dl = s.deliveryForLocked(p)
		s.adoptLocked(p)
	}
	old := *s.peers.Load()
	n := make([]*peer, len(old), len(old)+1)
	copy(n, old)
	n = append(n, p)
	s.peers.Store(&n)
	// Published after the peer list: a Send that sees no kept queue left
	// then also sees the heir that took it (see sendFanOut).
	s.keptQueues.Store(int64(len(s.orphans)))
	s.keptWake.broadcast()
	s.ctr.connects.Add(1)
	if s.pendMsgs > 0 {
		kick(p.wake)
	}
	s.sendWake.broadcast()
	return true
}

// detach removes a finished peer and settles its unsent messages: PUSH
// puts them back at the front of the socket queue for the next peer
// (after the replay window of the messages it wrote last, with
// Options.ReplayBytes),
// fan-out types count them as dropped for a disconnected subscriber.
// mono returns the monotonic nanoseconds since the socket was made (a
// peer's progress stamps).
func (s *Socket) mono() int64 { return int64(time.Since(s.born)) }

func (s *Socket) detach(p *peer) {
	// A lossy subscriber's leftover is only counted: a stalled dashboard
	// leaving with megabytes queued costs a scan, not a copy.
	keep := s.typ == PUSH || (s.handover() && p.dl.noDrop)
	leftover, written, left := p.leftover(keep, s.typ.subscriber())
	s.mu.Lock()
	old := *s.peers.Load()
	n := make([]*peer, 0, len(old))
	for _, q := range old {
		if q != p {
			n = append(n, q)
		}
	}
	data, msgs := dataMessages(leftover, s.typ.subscriber(), true)
	msgs += left
	unwritten := msgs
	if s.typ == PUSH && s.cfg.ReplayBytes > 0 {
		// Options.ReplayBytes: what was written last goes again, first;
		// the replay copies it had not written yet lead what it leaves.
		again := 0
		if len(written) > 0 && !s.isStopped() {
			var b []byte
			b, again = dataMessages(written, false, true)
			data = append(b, data...)
			msgs += again
			s.ctr.replayed.Add(uint64(again))
		}
		p.mu.Lock()
		front := p.replayFront
		p.replayFront = 0
		p.mu.Unlock()
		if front == unwritten {
			// Nothing else left: the socket queue's own copies still lead.
			front += s.pendReplay
		}
		s.pendReplay = again + front
	}
	if msgs > 0 {
		if s.typ == PUSH {
			s.pending = append(data, s.pending...)
			s.pendMsgs += msgs
			s.pendingCount.Store(int64(s.pendMsgs))
			s.ctr.requeued.Add(uint64(unwritten))
			for _, q := range n {
				kick(q.wake)
			}
		} else if s.isStopped() {
			s.ctr.dropLinger.Add(uint64(msgs))
		} else if s.handover() && p.dl.noDrop {
			p.mu.Lock()
			seq := p.enqSeq
			p.mu.Unlock()
			s.keepForHeirLocked(p, data, msgs, true, seq)
		} else {
			s.ctr.dropDisconnected.Add(uint64(msgs))
		}
	}
	if s.handover() && p.dl.noDrop {
		s.detachedLocked(p)
	}
	// Removed last, so that whoever sees the peer gone also sees its
	// messages requeued or kept.
	s.peers.Store(&n)
	s.mu.Unlock()
	if s.typ == XPUB && !s.isStopped() {
		s.cancelSubscriptions(p)
	}
	s.ctr.disconnects.Add(1)
	close(p.gone)
	s.sendWake.broadcast()
	s.keptWake.broadcast()
}

// cancelSubscriptions hands the application of an XPUB one cancel
// message per subscription the departed peer still held, so a proxy
// forwarding subscriptions upstream stays balanced.
func (s *Socket) cancelSubscriptions(p *peer) {
	subs := p.subs.Load().list()
	if len(subs) == 0 {
		return
	}
	b := getBatch()
	for _, prefix := range subs {
		b.buf = appendFrameHeader(b.buf, 0, 1+len(prefix))
		b.buf = append(b.buf, 0)
		b.buf = append(b.buf, prefix...)
		b.msgs++
	}
	if !s.deliver(p, b) {
		putBatch(b)
	}
}

// dataMessages extracts the data messages from encoded output, leaving
// out commands and subscription messages, and counts them; with keep
// false it only counts.
func dataMessages(b []byte, skipSubs, keep bool) ([]byte, int) {
	var out []byte
	if keep && len(b) > 0 {
		out = make([]byte, 0, len(b))
	}
	msgs := 0
	for off := 0; off < len(b); {
		end, cmd := nextMsgEnd(b, off)
		if end < 0 {
			break
		}
		if !cmd && !(skipSubs && isSubscriptionMsg(b[off:end])) {
			if keep {
				out = append(out, b[off:end]...)
			}
			msgs++
		}
		off = end
	}
	return out, msgs
}

// logConn reports a connection-level problem, once per connection (once
// per outage for failed dials).
func (s *Socket) logConn(msg string, ep endpoint, remote string, err error) {
	s.logConnLevel(slog.LevelWarn, msg, ep, remote, err)
}

func (s *Socket) logConnLevel(level slog.Level, msg string, ep endpoint, remote string, err error) {
	if s.cfg.Logger == nil {
		return
	}
	s.cfg.Logger.LogAttrs(context.Background(), level, msg,
		slog.String("socket", s.typ.String()),
		slog.String("endpoint", ep.String()),
		slog.String("remote", remote),
		slog.Any("error", err))
}

// isSubscriptionMsg reports whether an encoded message is a ZMTP 3.0
// subscription message (first body byte 1 or 0), as SUB and XSUB send.
func isSubscriptionMsg(enc []byte) bool {
	h, n, err := parseFrameHeader(enc, int64(len(enc)))
	return err == nil && n > 0 && h.size > 0 && len(enc) > n && enc[n] <= 1
}
