package zmtp

import (
	"errors"
	"net"
	"sync/atomic"
	"time"
)

// listener accepts peers on one bound endpoint.
type listener struct {
	s      *Socket
	ln     net.Listener
	ep     endpoint
	active atomic.Int32
	done   chan struct{} // closed when the accept loop has ended
}

func (l *listener) acceptLoop() {
	s := l.s
	defer s.wg.Done()
	defer close(l.done)
	for {
		conn, err := l.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || s.isStopped() {
				return
			}
			// Out of file descriptors and the like: wait a little
			// rather than spin.
			s.logConn("zmtp: accept failed", l.ep, "", err)
			t := time.NewTimer(50 * time.Millisecond)
			select {
			case <-t.C:
			case <-s.stop:
				t.Stop()
				return
			}
			continue
		}
		if int(l.active.Load()) >= s.cfg.MaxPeers && !s.evictFor(l) {
			s.ctr.reject(ErrPeerLimit)
			s.logConn("zmtp: connection refused", l.ep, conn.RemoteAddr().String(), ErrPeerLimit)
			s.closeConn(conn, l.ep, "")
			continue
		}
		l.active.Add(1)
		// Registered before its goroutine runs, so that the next accept
		// at the cap can evict it rather than an established peer.
		if !s.trackHandshake(conn, l, true) {
			l.active.Add(-1)
			s.closeConn(conn, l.ep, "")
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer l.active.Add(-1)
			s.serveConn(conn, l.ep, l)
		}()
	}
}
