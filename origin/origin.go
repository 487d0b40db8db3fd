// Package origin encodes the origin frame: what only the broker knows
// of a message (the connection it came from, its PLAIN login, when it
// arrived, and its place in what the broker has archived), appended as
// one last frame to every message on the broker's archive endpoint, and
// only there: the fan-out stays byte-identical for third-party
// subscribers.
//
// The layout (docs/wire.md), all integers big-endian:
//
//	magic    4 bytes  0x00 'L' 'B' 'O'
//	version  1 byte   1
//	broker   8 bytes  random, drawn when the broker starts
//	seq      8 bytes  1, 2, 3… per broker: messages it has archived
//	arrival  8 bytes  Unix time in nanoseconds the broker read it
//	peer     1 byte n, then n bytes: the sender's address ("ip:port";
//	         empty for ipc and inproc)
//	user     1 byte n, then n bytes: its PLAIN user ("" without login)
//
// No payload starts with a NUL byte (a JSON object starts with '{', a
// msgpack record with a map header, a pickle with 0x80), so the magic
// tells the frame from a payload; a reader that finds none has a message
// from a broker without origin frames and reads it unchanged.
package origin

import (
	"encoding/binary"
	"time"
)

// Magic starts every origin frame; Version is the layout described in the
// package documentation.
const (
	Magic   = "\x00LBO"
	Version = 1
	// fixed is the size without the two strings' bytes.
	fixed = len(Magic) + 1 + 8 + 8 + 8 + 1 + 1
	// MaxSize bounds a frame: both strings at most 255 bytes.
	MaxSize = fixed + 255 + 255
)

// Origin is what the broker knows of one message. Peer and User point
// into the frame they were read from.
type Origin struct {
	Broker  uint64 // the broker instance (changes when it restarts)
	Seq     uint64 // its place among the messages this broker archived
	Arrival int64  // when the broker read it, Unix nanoseconds
	Peer    []byte // the sender's address, "ip:port"; empty for ipc and inproc
	User    []byte // the sender's PLAIN user; empty without login
}

// Time returns Arrival as a time.Time.
func (o *Origin) Time() time.Time { return time.Unix(0, o.Arrival) }

// Append appends o's frame to dst. Peer and User are cut at 255 bytes.
func Append(dst []byte, o *Origin) []byte {
	return AppendFields(dst, o.Broker, o.Seq, o.Arrival, string(o.Peer), string(o.User))
}

// AppendFields appends the frame of an origin given field by field (as
// the broker has them, without building an Origin).
func AppendFields(dst []byte, broker, seq uint64, arrival int64, peer, user string) []byte {
	dst = append(dst, Magic...)
	dst = append(dst, Version)
	dst = binary.BigEndian.AppendUint64(dst, broker)
	dst = binary.BigEndian.AppendUint64(dst, seq)
	dst = binary.BigEndian.AppendUint64(dst, uint64(arrival))
	dst = appendShort(dst, peer)
	return appendShort(dst, user)
}

func appendShort(dst []byte, s string) []byte {
	s = s[:min(len(s), 255)]
	dst = append(dst, byte(len(s)))
	return append(dst, s...)
}

// Parse reads an origin frame. It reports false for anything else (no
// magic, another version, a wrong length).
func Parse(f []byte, o *Origin) bool {
	if len(f) < fixed || string(f[:len(Magic)]) != Magic || f[len(Magic)] != Version {
		return false
	}
	b := f[len(Magic)+1:]
	o.Broker = binary.BigEndian.Uint64(b)
	o.Seq = binary.BigEndian.Uint64(b[8:])
	o.Arrival = int64(binary.BigEndian.Uint64(b[16:]))
	b = b[24:]
	var ok bool
	if o.Peer, b, ok = short(b); !ok {
		return false
	}
	if o.User, b, ok = short(b); !ok {
		return false
	}
	return len(b) == 0
}

func short(b []byte) (s, rest []byte, ok bool) {
	if len(b) < 1 || len(b) < 1+int(b[0]) {
		return nil, nil, false
	}
	n := int(b[0])
	return b[1 : 1+n : 1+n], b[1+n:], true
}

// Split returns the frames of a message without its origin frame, and
// whether it had one (then read into o). A message of one frame has
// none: the origin follows a topic and a payload.
func Split(frames [][]byte, o *Origin) ([][]byte, bool) {
	if n := len(frames); n >= 3 && Parse(frames[n-1], o) {
		return frames[:n-1], true
	}
	return frames, false
}
