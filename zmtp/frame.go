package zmtp

import (
	"encoding/binary"
	"slices"
)

// Frame flag bits (RFC 37 "Framing"). The remaining bits are reserved and
// must be zero.
const (
	flagMore     = 0x01
	flagLong     = 0x02
	flagCommand  = 0x04
	flagReserved = 0xF8
)

// maxShortSize is the largest body a short (one size byte) frame carries.
const maxShortSize = 255

// frameHeaderSize returns the encoded header length of a frame of size n.
func frameHeaderSize(n int) int {
	if n > maxShortSize {
		return 9
	}
	return 2
}

// appendFrameHeader appends a frame header for a body of n bytes.
func appendFrameHeader(dst []byte, flags byte, n int) []byte {
	if n > maxShortSize {
		dst = append(dst, flags|flagLong, 0, 0, 0, 0, 0, 0, 0, 0)
		binary.BigEndian.PutUint64(dst[len(dst)-8:], uint64(n))
		return dst
	}
	return append(dst, flags, byte(n))
}

// appendFrame appends a complete frame.
func appendFrame(dst []byte, flags byte, body []byte) []byte {
	dst = appendFrameHeader(dst, flags, len(body))
	return append(dst, body...)
}

// appendMsg appends every frame of m, with MORE on all but the last. A
// queue buffer that must grow doubles: append alone grows large slices by
// a quarter at a time, and a backlog of megabytes would be copied over and
// over.
func appendMsg(dst []byte, m Msg) []byte {
	if need := encodedSize(m); cap(dst)-len(dst) < need {
		dst = slices.Grow(dst, max(need, len(dst)))
	}
	last := len(m) - 1
	for i, f := range m {
		var flags byte
		if i != last {
			flags = flagMore
		}
		dst = appendFrame(dst, flags, f)
	}
	return dst
}

// encodedSize returns the wire length of m.
func encodedSize(m Msg) int {
	n := 0
	for _, f := range m {
		n += frameHeaderSize(len(f)) + len(f)
	}
	return n
}

// frameHeader is a decoded frame header.
type frameHeader struct {
	flags byte
	size  uint64
}

func (h frameHeader) more() bool    { return h.flags&flagMore != 0 }
func (h frameHeader) command() bool { return h.flags&flagCommand != 0 }

// checkFlags validates the flags byte of a frame header.
func checkFlags(flags byte) error {
	if flags&flagReserved != 0 {
		return errorf(ErrProtocol, "reserved frame flag bits set (0x%02x)", flags)
	}
	if flags&flagCommand != 0 && flags&flagMore != 0 {
		return errorf(ErrProtocol, "command frame with MORE flag")
	}
	return nil
}

// parseFrameHeader decodes a frame header at the start of b. It returns the
// header and its length, or n == 0 when b is too short to hold it. The
// declared size is checked against limit before the caller reserves any
// memory for the body.
func parseFrameHeader(b []byte, limit int64) (h frameHeader, n int, err error) {
	if len(b) < 1 {
		return h, 0, nil
	}
	h.flags = b[0]
	if err := checkFlags(h.flags); err != nil {
		return h, 0, err
	}
	if h.flags&flagLong != 0 {
		if len(b) < 9 {
			return h, 0, nil
		}
		h.size = binary.BigEndian.Uint64(b[1:9])
		n = 9
	} else {
		if len(b) < 2 {
			return h, 0, nil
		}
		h.size = uint64(b[1])
		n = 2
	}
	if h.size > uint64(limit) {
		return h, 0, errorf(ErrTooLarge, "frame declares %d bytes, limit %d", h.size, limit)
	}
	return h, n, nil
}

// nextMsgEnd scans wire-encoded data frames in b starting at off and
// returns the offset just past the end of the first complete message and
// whether that message was a command (commands are single frames). It
// returns -1 when b holds no complete message. b is trusted: it was
// produced by this package.
func nextMsgEnd(b []byte, off int) (end int, command bool) {
	for off < len(b) {
		h, n, err := parseFrameHeader(b[off:], int64(len(b)))
		if n == 0 || err != nil {
			return -1, false
		}
		off += n + int(h.size)
		if off > len(b) {
			return -1, false
		}
		if h.command() {
			return off, true
		}
		if !h.more() {
			return off, false
		}
	}
	return -1, false
}
