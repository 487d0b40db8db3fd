package topic

import (
	"errors"
	"fmt"

	"github.com/logbus/logbus"
)

// The first topic byte is the system that produced the record: a
// logbus.System ('T' test, 'S' staging, 'P' production).

// Kind is the second topic byte: what the payload describes.
type Kind byte

// Kinds a topic may name.
const (
	Log    Kind = 'L' // a log record (logbus.Record)
	Sample Kind = 'P' // a performance sample (logbus.Sample)
)

// Encoding is the third topic byte: how the payload is encoded.
type Encoding byte

// Encodings a topic may name. Pickle is recognised because real distlog
// clients send it; logbus never produces it.
const (
	JSON    Encoding = 'J'
	Msgpack Encoding = 'M'
	Pickle  Encoding = 'P'
)

// Kinds and Encodings list every valid value, in a stable order
// (logbus.Systems lists the systems).
var (
	Kinds     = []Kind{Log, Sample}
	Encodings = []Encoding{JSON, Msgpack, Pickle}
)

// Rejected is the topic frame of a broker's reports of rejected
// messages (logbus.Rejected; payload codec.AppendRejected). It starts
// with NoticePrefix, which no valid topic does, so no publisher can send
// one: the broker rejects it like any bad topic.
const Rejected = "!rejected"

// NoticePrefix starts the topic frames of messages brokers write
// themselves (Rejected). A subscriber with a topic filter subscribes to
// it too.
const NoticePrefix = "!"

// MaxLen is the longest valid topic frame.
const MaxLen = 3 + 1 + logbus.MaxNameLen + 1

// Errors returned by Parse and Validate.
var (
	ErrLength    = errors.New("topic: bad length")
	ErrSystem    = errors.New("topic: unknown system")
	ErrKind      = errors.New("topic: unknown kind")
	ErrEncoding  = errors.New("topic: unknown encoding")
	ErrEquipment = errors.New("topic: bad equipment suffix")
)

// Topic is the parsed first frame of a message.
type Topic struct {
	System    logbus.System
	Kind      Kind
	Encoding  Encoding
	Equipment string // empty: no suffix
}

// Parse reads a topic frame. It accepts the bare form "PLJ" and the
// suffixed form "PLJ/scope-3/" and rejects anything else with an error
// naming the offending byte.
func Parse(b []byte) (Topic, error) {
	var t Topic
	if len(b) < 3 || len(b) > MaxLen {
		return t, fmt.Errorf("%w: %d bytes", ErrLength, len(b))
	}
	t.System, t.Kind, t.Encoding = logbus.System(b[0]), Kind(b[1]), Encoding(b[2])
	if err := t.checkHead(); err != nil {
		return Topic{}, err
	}
	if len(b) == 3 {
		return t, nil
	}
	if b[3] != '/' || b[len(b)-1] != '/' || len(b) < 6 {
		return Topic{}, fmt.Errorf("%w: want /equipment/ after %q", ErrEquipment, b[:3])
	}
	t.Equipment = string(b[4 : len(b)-1])
	if err := checkEquipment(t.Equipment); err != nil {
		return Topic{}, err
	}
	return t, nil
}

// Validate reports whether t can be formatted as a valid topic frame.
func (t Topic) Validate() error {
	if err := t.checkHead(); err != nil {
		return err
	}
	if t.Equipment == "" {
		return nil
	}
	return checkEquipment(t.Equipment)
}

func (t Topic) checkHead() error {
	if !t.System.Valid() {
		return fmt.Errorf("%w: %q", ErrSystem, byte(t.System))
	}
	if !t.Kind.Valid() {
		return fmt.Errorf("%w: %q", ErrKind, byte(t.Kind))
	}
	if !t.Encoding.Valid() {
		return fmt.Errorf("%w: %q", ErrEncoding, byte(t.Encoding))
	}
	return nil
}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return k == Log || k == Sample }

// Valid reports whether e is a known encoding.
func (e Encoding) Valid() bool { return e == JSON || e == Msgpack || e == Pickle }

// checkEquipment applies the name rule (logbus.ValidName) to an
// equipment suffix.
func checkEquipment(id string) error {
	if err := logbus.CheckName(id); err != nil {
		return fmt.Errorf("%w: %w", ErrEquipment, err)
	}
	return nil
}

// AppendTo appends the wire form of t to dst. It does not validate: call
// Validate first when t comes from outside.
func (t Topic) AppendTo(dst []byte) []byte {
	dst = append(dst, byte(t.System), byte(t.Kind), byte(t.Encoding))
	if t.Equipment != "" {
		dst = append(dst, '/')
		dst = append(dst, t.Equipment...)
		dst = append(dst, '/')
	}
	return dst
}

// String returns the wire form of t.
func (t Topic) String() string { return string(t.AppendTo(make([]byte, 0, 3+len(t.Equipment)+2))) }
