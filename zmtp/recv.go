package zmtp

import (
	"context"
)

// Recv returns the next message, waiting until one arrives, ctx is done
// or the socket is closed. The returned frames are newly allocated and
// owned by the caller. Peers are served in turn, batch by batch, so one
// busy peer cannot starve the others (fair queueing).
func (s *Socket) Recv(ctx context.Context) (Msg, error) {
	var m Msg
	err := s.recv(ctx, &m, true)
	return m, err
}

// RecvInto is Recv reusing the frames of *m: frame buffers large enough
// are overwritten in place, so a loop calling RecvInto with the same Msg
// does not allocate in steady state. The previous contents of *m are
// invalidated; do not retain its frames across calls.
func (s *Socket) RecvInto(ctx context.Context, m *Msg) error {
	_, err := s.recvFrom(ctx, m, false)
	return err
}

// RecvFrom is RecvInto that also tells which peer sent the message: what
// its handshake established (shared and never modified; do not modify
// it). A broker uses it to record where a message came from.
func (s *Socket) RecvFrom(ctx context.Context, m *Msg) (*PeerInfo, error) {
	return s.recvFrom(ctx, m, false)
}

func (s *Socket) recv(ctx context.Context, m *Msg, fresh bool) error {
	_, err := s.recvFrom(ctx, m, fresh)
	return err
}

func (s *Socket) recvFrom(ctx context.Context, m *Msg, fresh bool) (*PeerInfo, error) {
	if s == nil {
		return nil, ErrClosed
	}
	if !s.typ.canRecv() {
		return nil, errorf(ErrNotSupported, "Recv on %s", s.typ)
	}
	select {
	case s.recvLock <- struct{}{}:
	default:
		select {
		case s.recvLock <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-s.stop:
			return nil, ErrClosed
		}
	}
	defer func() { <-s.recvLock }()
	enc, err := s.nextEncoded(ctx)
	if err != nil {
		return nil, err
	}
	if fresh {
		*m = decodeFresh(enc)
	} else {
		*m = decodeInto(*m, enc)
	}
	s.ctr.received.Add(1)
	return s.inbox.cur.peer.public(), nil
}

// nextEncoded returns the next message in wire form. The slice stays
// valid until the next call; the caller holds recvLock.
func (s *Socket) nextEncoded(ctx context.Context) ([]byte, error) {
	ib := &s.inbox
	for {
		if b := ib.cur; b != nil {
			if b.off < len(b.buf) {
				end, _ := nextMsgEnd(b.buf, b.off)
				enc := b.buf[b.off:end]
				b.off = end
				b.taken++
				return enc, nil
			}
			ib.cur = nil
			s.release(b)
		}
		if b := ib.pop(); b != nil {
			ib.cur = b
			continue
		}
		select {
		case <-s.stop:
			return nil, ErrClosed
		default:
		}
		select {
		case <-ib.kick:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-s.stop:
			return nil, ErrClosed
		}
	}
}

// decodeFresh decodes an encoded message into one new allocation.
func decodeFresh(enc []byte) Msg {
	frames, total := 0, 0
	for off := 0; off < len(enc); {
		h, n, _ := parseFrameHeader(enc[off:], int64(len(enc)))
		frames++
		total += int(h.size)
		off += n + int(h.size)
	}
	buf := make([]byte, total)
	m := make(Msg, 0, frames)
	pos := 0
	for off := 0; off < len(enc); {
		h, n, _ := parseFrameHeader(enc[off:], int64(len(enc)))
		sz := int(h.size)
		f := buf[pos : pos+sz : pos+sz]
		copy(f, enc[off+n:off+n+sz])
		m = append(m, f)
		pos += sz
		off += n + sz
	}
	return m
}

// decodeInto decodes an encoded message reusing dst's frame buffers.
func decodeInto(dst Msg, enc []byte) Msg {
	full := dst[:cap(dst)]
	out := dst[:0]
	i := 0
	for off := 0; off < len(enc); {
		h, n, _ := parseFrameHeader(enc[off:], int64(len(enc)))
		sz := int(h.size)
		var f []byte
		if i < len(full) && cap(full[i]) >= sz {
			f = full[i][:sz]
		} else {
			f = make([]byte, sz, max(sz, 64))
		}
		copy(f, enc[off+n:off+n+sz])
		out = append(out, f)
		i++
		off += n + sz
	}
	return out
}
