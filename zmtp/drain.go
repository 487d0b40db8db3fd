package zmtp

import (
	"context"
	"errors"
	"net"
	"time"
)

// Drain ends a receiving socket's input without losing what its peers
// already sent, for a graceful stop (a broker's SIGTERM). It closes the
// socket's listeners, so no new connection arrives, stops redialling
// connect endpoints, and shuts the writing half of every connection
// (TCP and IPC half-close; inproc alike). A ZMTP peer reads that as the
// end of the connection: it stops writing and hangs up after what it had
// already written, which this socket still reads to the end. A PUSH peer
// (ours or libzmq's) keeps the messages it had not written for its next
// connection.
//
// Connections still in their handshake are let finish and told at once
// (their peer may already have sent messages). Drain returns nil once
// every peer has hung up, or ctx's error when it ends first (those peers
// are then cut off by Close), joined with a listener's close error. What was received
// stays readable with Recv until Close. Only socket types that receive
// (PULL, SUB, XSUB, XPUB) can drain; others get ErrNotSupported, a
// closed socket ErrClosed.
func (s *Socket) Drain(ctx context.Context) error {
	if s == nil {
		return ErrClosed
	}
	if !s.typ.canRecv() {
		return errorf(ErrNotSupported, "Drain on %s", s.typ)
	}
	var errs []error
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return ErrClosed
	}
	s.draining = true
	listeners := s.listeners
	for _, l := range listeners {
		if err := l.ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	// Connections still in their handshake are let finish: the peer may
	// have had our READY and sent messages already. They are told to
	// stop as they attach.
	for _, p := range *s.peers.Load() {
		p.quiet.Store(true)
		kick(p.wake)
	}
	s.mu.Unlock()
	// A connection accepted just before its listener closed is in its
	// handshake once the accept loop has ended.
	for _, l := range listeners {
		select {
		case <-l.done:
		case <-ctx.Done():
			return errors.Join(append(errs, ctx.Err())...)
		}
	}
	// Detach broadcasts sendWake; the tick covers a wake-up missed
	// between reading the count and waiting, and handshakes ending.
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		c := s.sendWake.acquire()
		if s.connections() == 0 {
			s.sendWake.release()
			return errors.Join(errs...)
		}
		select {
		case <-c:
		case <-tick.C:
		case <-ctx.Done():
			s.sendWake.release()
			return errors.Join(append(errs, ctx.Err())...)
		case <-s.stop:
			s.sendWake.release()
			return ErrClosed
		}
		s.sendWake.release()
	}
}

// connections counts peers, connections in their handshake and those
// between the two, in one look.
func (s *Socket) connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(*s.peers.Load()) + len(s.hsConns) + s.attaching
}

// isDraining reports whether Drain has started.
func (s *Socket) isDraining() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.draining
}
