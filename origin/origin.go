// Package origin encodes the origin frame: what only a broker knows of a
// message (the connection it came from, its PLAIN login, when it arrived)
// and the message's place on the link it travels (a broker's archive
// endpoint, or its --upstream connection to another broker), so that a
// message lost on any hop after the first broker is counted exactly,
// whether or not its sender numbers its records.
//
// A broker appends one origin frame to every message it sends on a link,
// after the frames of the hops before it: a message archived by a central
// broker carries the site broker's frame, then the central one's (a
// chain, oldest first). The fan-out carries none: it stays byte-identical
// for third-party subscribers.
//
// The layout (docs/wire.md), all integers big-endian:
//
//	magic      4 bytes  0x00 'L' 'B' 'O'
//	version    1 byte   2
//	link       8 bytes  random, drawn per link when the broker starts
//	seq        8 bytes  1, 2, 3… messages sent on the link, this one included
//	unnumbered 8 bytes  records sent on the link so far, this message's
//	                    included, whose senders do not number them
//	                    (distlog, logbook): what a gap in seq lost of them
//	arrival    8 bytes  Unix time in nanoseconds the first broker read it
//	flags      1 byte   bit 0: the records are numbered (a logbus
//	                    publisher, which declares its stream on connecting)
//	peer       1 byte n, then n bytes: the sender's address ("ip:port";
//	           empty for ipc and inproc)
//	user       1 byte n, then n bytes: its PLAIN user ("" without login)
//
// No payload starts with a NUL byte (a JSON object starts with '{', a
// msgpack record with a map header, a pickle with 0x80), so the magic
// tells the frame from a payload; a reader that finds none has a message
// without origin frames and reads it unchanged.
package origin

import (
	"encoding/binary"
	"time"
)

// Magic starts every origin frame; Version is the layout described in the
// package documentation.
const (
	Magic   = "\x00LBO"
	Version = 2
	// fixed is the size without the two strings' bytes.
	fixed = len(Magic) + 1 + 8 + 8 + 8 + 8 + 1 + 1 + 1
	// MaxSize bounds a frame: both strings at most 255 bytes.
	MaxSize = fixed + 255 + 255
	// MaxHops bounds the chain Split takes off a message.
	MaxHops = 8
)

// Origin is one hop's frame. Peer and User point into the frame they
// were read from.
type Origin struct {
	Link       uint64 // the link (one per broker start and path)
	Seq        uint64 // messages sent on the link, this one included
	Unnumbered uint64 // records from unnumbered senders sent on the link, this message's included
	Arrival    int64  // when the first broker read it, Unix nanoseconds
	Numbered   bool   // its records are numbered by their sender
	Peer       []byte // the sender's address, "ip:port"; empty for ipc and inproc
	User       []byte // the sender's PLAIN user; empty without login
}

// Time returns Arrival as a time.Time.
func (o *Origin) Time() time.Time { return time.Unix(0, o.Arrival) }

// Append appends o's frame to dst. Peer and User are cut at 255 bytes.
func Append(dst []byte, o *Origin) []byte {
	dst = appendFixed(dst, o.Link, o.Seq, o.Unnumbered, o.Arrival, o.Numbered)
	dst = appendShort(dst, o.Peer)
	return appendShort(dst, o.User)
}

// AppendFields is Append for an origin given field by field, as a broker
// has them, without building an Origin (or converting its strings).
func AppendFields(dst []byte, link, seq, unnumbered uint64, arrival int64, numbered bool, peer, user string) []byte {
	dst = appendFixed(dst, link, seq, unnumbered, arrival, numbered)
	dst = appendShort(dst, peer)
	return appendShort(dst, user)
}

func appendFixed(dst []byte, link, seq, unnumbered uint64, arrival int64, numbered bool) []byte {
	dst = append(dst, Magic...)
	dst = append(dst, Version)
	dst = binary.BigEndian.AppendUint64(dst, link)
	dst = binary.BigEndian.AppendUint64(dst, seq)
	dst = binary.BigEndian.AppendUint64(dst, unnumbered)
	dst = binary.BigEndian.AppendUint64(dst, uint64(arrival))
	var flags byte
	if numbered {
		flags |= 1
	}
	return append(dst, flags)
}

func appendShort[S ~string | ~[]byte](dst []byte, s S) []byte {
	s = s[:min(len(s), 255)]
	dst = append(dst, byte(len(s)))
	return append(dst, s...)
}

// Parse reads an origin frame. It reports false for anything else (no
// magic, another version, unknown flags, a wrong length).
func Parse(f []byte, o *Origin) bool {
	if len(f) < fixed || string(f[:len(Magic)]) != Magic || f[len(Magic)] != Version {
		return false
	}
	b := f[len(Magic)+1:]
	o.Link = binary.BigEndian.Uint64(b)
	o.Seq = binary.BigEndian.Uint64(b[8:])
	o.Unnumbered = binary.BigEndian.Uint64(b[16:])
	o.Arrival = int64(binary.BigEndian.Uint64(b[24:]))
	if b[32]&^1 != 0 {
		return false
	}
	o.Numbered = b[32]&1 != 0
	b = b[33:]
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

// Is reports whether f starts like an origin frame (of any version):
// never a payload.
func Is(f []byte) bool { return len(f) >= len(Magic) && string(f[:len(Magic)]) == Magic }

// Split returns the frames of a message without its trailing origin
// frames, and the chain they held, oldest hop first, appended to
// chain[:0] (at most MaxHops: further ones stay in the frames). The
// topic and one payload are never taken: a message of fewer than three
// frames has no chain. Frames that look like origin frames but do not
// parse end the chain.
func Split(frames [][]byte, chain []Origin) ([][]byte, []Origin) {
	chain = chain[:0]
	n := len(frames)
	for n >= 3 && len(chain) < MaxHops {
		var o Origin
		if !Parse(frames[n-1], &o) {
			break
		}
		chain = append(chain, o)
		n--
	}
	// Read back to front: put the oldest hop first.
	for i, j := 0, len(chain)-1; i < j; i, j = i+1, j-1 {
		chain[i], chain[j] = chain[j], chain[i]
	}
	return frames[:n], chain
}

// Handshake properties (ZMTP metadata, RFC 37) the broker reads to fill
// origin frames. The "X-" prefix is what libzmq requires of its own
// ZMQ_METADATA, so Python senders can declare them too.
const (
	// StreamProperty is declared by a sender that numbers its records
	// (stream id and sequence number in each): a logbus publisher, with
	// its stream id in hex.
	StreamProperty = "X-Logbus-Stream"
	// LinkProperty is declared by a broker's --upstream connection, with
	// its link id in hex: the only sender whose origin frames the
	// receiving broker keeps (from anyone else they are taken off).
	LinkProperty = "X-Logbus-Link"
)
