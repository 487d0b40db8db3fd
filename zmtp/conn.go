package zmtp

import (
	"bufio"
	"errors"
	"io"
	"log/slog"
	"net"
	"time"
)

// serveConn runs one connection: handshake, then the reader here and the
// writer on its own goroutine, until either fails. It reports whether the
// handshake completed (the dialler then resets its backoff).
// A connection from a listener (l) is registered in its handshake by the
// accept loop already.
func (s *Socket) serveConn(conn net.Conn, ep endpoint, l *listener) bool {
	remote := conn.RemoteAddr().String()
	if l == nil && !s.trackHandshake(conn, nil, true) {
		s.closeConn(conn, ep, remote)
		return false
	}
	if err := s.setBuffers(conn); err != nil {
		s.logConn("zmtp: socket buffer size not applied", ep, remote, err)
	}
	rd := &connReader{conn: conn}
	r := bufio.NewReaderSize(rd, s.cfg.ReadBufferSize)
	info, err := s.runHandshake(conn, r)
	s.endHandshake(conn, err == nil)
	if testHookHandshakeDone != nil {
		testHookHandshakeDone(s)
	}
	if err != nil {
		if s.isStopped() {
			err = ErrClosed
		}
		if s.ctr.reject(err) {
			s.logConn("zmtp: connection refused", ep, remote, err)
		}
		s.closeConn(conn, ep, remote)
		return false
	}
	p := newPeer(s, conn, rd, r, info, remote)
	p.l = l
	s.wantDelivery(p)
	if err := s.claimHeir(p); err != nil {
		s.notAttaching()
		// The ERROR tells the peer why; the refusal stands either way.
		if werr := writeAll(conn, appendError(nil, err.Error())); werr != nil {
			err = errors.Join(err, werr)
		}
		s.ctr.reject(err)
		s.logConn("zmtp: connection refused", ep, remote, err)
		s.closeConn(conn, ep, remote)
		return true
	}
	if !s.attach(p) {
		s.closeConn(conn, ep, remote)
		return true
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.shutdown(p.writeLoop())
	}()
	p.shutdown(p.readLoop())
	<-done
	s.detach(p)
	cause := p.err
	switch {
	case s.isStopped() || errors.Is(cause, ErrClosed):
	case s.ctr.reject(cause):
		s.logConn("zmtp: peer dropped for misbehaviour", ep, remote, cause)
	case errors.Is(cause, io.EOF):
		s.logConnLevel(slog.LevelDebug, "zmtp: peer disconnected", ep, remote, cause)
	default:
		s.logConn("zmtp: connection lost", ep, remote, cause)
	}
	return true
}

func (s *Socket) runHandshake(conn net.Conn, r *bufio.Reader) (peerInfo, error) {
	if err := conn.SetDeadline(time.Now().Add(s.cfg.HandshakeTimeout)); err != nil {
		return peerInfo{}, err
	}
	info, err := handshake(conn, r, &s.cfg, s.typ)
	if err != nil {
		if isTimeout(err) {
			return info, errorf(ErrHandshakeTimeout, "no handshake within %v", s.cfg.HandshakeTimeout)
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			// The peer hung up mid-handshake: most often a peer that
			// refused us, or a port scanner.
			return info, errorf(ErrGreeting, "connection closed during handshake: %v", err)
		}
		return info, err
	}
	return info, conn.SetDeadline(time.Time{})
}

// trackHandshake registers (add) or forgets a connection in its
// handshake, so Close can interrupt it. It returns false if the socket is
// already stopping.
func (s *Socket) trackHandshake(conn net.Conn, l *listener, add bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !add {
		delete(s.hsConns, conn)
		return true
	}
	if s.stopped || l == nil && s.draining {
		return false // draining: no new dialled connection
	}
	if s.hsConns == nil {
		s.hsConns = make(map[net.Conn]handshaking)
	}
	s.hsConns[conn] = handshaking{l: l, since: time.Now()}
	return true
}

// testHookHandshakeDone, set only by tests, runs between a handshake's
// end and the peer's attachment.
var testHookHandshakeDone func(*Socket)

// endHandshake forgets a connection whose handshake ended; one that
// succeeded counts as attaching until attach (or a refusal) settles it,
// so that Drain never sees it in neither state.
func (s *Socket) endHandshake(conn net.Conn, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.hsConns, conn)
	if ok {
		s.attaching++
	}
}

// notAttaching settles an attaching connection that was refused.
func (s *Socket) notAttaching() {
	s.mu.Lock()
	s.attaching--
	s.mu.Unlock()
}

func (s *Socket) isStopped() bool {
	select {
	case <-s.stop:
		return true
	default:
		return false
	}
}

func (s *Socket) closeConn(conn net.Conn, ep endpoint, remote string) {
	if err := conn.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		s.logConn("zmtp: close failed", ep, remote, err)
	}
}

// setBuffers applies SendBufferSize and RecvBufferSize to a TCP connection.
func (s *Socket) setBuffers(conn net.Conn) error {
	tc, ok := conn.(*net.TCPConn)
	if !ok {
		return nil
	}
	var errs []error
	if n := s.cfg.SendBufferSize; n > 0 {
		errs = append(errs, tc.SetWriteBuffer(n))
	}
	if n := s.cfg.RecvBufferSize; n > 0 {
		errs = append(errs, tc.SetReadBuffer(n))
	}
	return errors.Join(errs...)
}
