package zmtp

import (
	"net"
	"time"
)

// evictMinAge is how long a connection in its handshake is safe from
// eviction.
const evictMinAge = 250 * time.Millisecond

// handshaking is a connection still in its handshake: which listener
// accepted it (nil when dialled) and since when.
type handshaking struct {
	l     *listener
	since time.Time
}

// evictFor makes room on l, at its MaxPeers, for a new connection, as
// Options.MaxPeers says: the oldest connection still in its handshake
// (a slow or idle stranger: it has proved nothing yet), else the oldest
// peer that has sent nothing since its handshake (a dashboard subscribes,
// a publisher sends), else the peer silent longest; never a NoDrop
// subscriber. It reports whether it evicted one. The evicted connection
// ends on its own goroutine, so l serves MaxPeers plus those evictions
// in flight for a moment.
func (s *Socket) evictFor(l *listener) bool {
	// A handshake younger than evictMinAge is not evicted: a legitimate
	// peer gets the time to finish it however fast strangers reconnect;
	// once attached it is the youngest of the silent, and the first to
	// send leaves them behind.
	old := time.Now().Add(-evictMinAge)
	s.mu.Lock()
	var oldest net.Conn
	var since time.Time
	for c, h := range s.hsConns {
		if h.l == l && h.since.Before(old) && (oldest == nil || h.since.Before(since)) {
			oldest, since = c, h.since
		}
	}
	if oldest != nil {
		delete(s.hsConns, oldest)
	}
	s.mu.Unlock()
	if oldest != nil {
		s.ctr.rejEvicted.Add(1)
		s.logConn("zmtp: connection evicted", l.ep, oldest.RemoteAddr().String(), errorf(ErrEvicted, "still in its handshake after %v", time.Since(since).Round(time.Millisecond)))
		s.closeConn(oldest, l.ep, "")
		return true
	}
	var victim *peer
	var vSilent bool
	var vLast int64
	for _, p := range *s.peers.Load() {
		if p.l != l || p.dl.noDrop {
			continue
		}
		select {
		case <-p.done: // already on its way out: evicting it again frees nothing
			continue
		default:
		}
		last := p.rd.lastRead.Load()
		silent := last <= p.attached.UnixNano()
		if silent {
			last = p.attached.UnixNano()
		}
		if victim == nil || silent && !vSilent || silent == vSilent && last < vLast {
			victim, vSilent, vLast = p, silent, last
		}
	}
	if victim == nil {
		return false
	}
	what := "silent for"
	if vSilent {
		what = "nothing sent since its handshake,"
	}
	victim.shutdown(errorf(ErrEvicted, "%s %v", what, time.Since(time.Unix(0, vLast)).Round(time.Millisecond)))
	return true
}
