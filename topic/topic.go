package topic

import (
	"errors"
	"fmt"
)

// System is the first topic byte: which installation produced the record.
type System byte

// Systems a topic may name.
const (
	Test       System = 'T'
	Staging    System = 'S'
	Production System = 'P'
)

// Kind is the second topic byte: what the payload describes.
type Kind byte

// Kinds a topic may name.
const (
	Log         Kind = 'L'
	Performance Kind = 'P'
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

// Systems, Kinds and Encodings list every valid value, in a stable order.
var (
	Systems   = []System{Test, Staging, Production}
	Kinds     = []Kind{Log, Performance}
	Encodings = []Encoding{JSON, Msgpack, Pickle}
)

// MaxEquipmentLen bounds the equipment suffix.
const MaxEquipmentLen = 128

// MaxLen is the longest valid topic frame.
const MaxLen = 3 + 1 + MaxEquipmentLen + 1

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
	System    System
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
	t.System, t.Kind, t.Encoding = System(b[0]), Kind(b[1]), Encoding(b[2])
	if err := t.checkHead(); err != nil {
		return Topic{}, err
	}
	if len(b) == 3 {
		return t, nil
	}
	if b[3] != '/' || b[len(b)-1] != '/' || len(b) < 6 {
		return Topic{}, fmt.Errorf("%w: want /equipment/ after %q", ErrEquipment, b[:3])
	}
	eq := b[4 : len(b)-1]
	if err := checkEquipment(eq); err != nil {
		return Topic{}, err
	}
	t.Equipment = string(eq)
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

// Valid reports whether s is a known system.
func (s System) Valid() bool { return s == Test || s == Staging || s == Production }

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return k == Log || k == Performance }

// Valid reports whether e is a known encoding.
func (e Encoding) Valid() bool { return e == JSON || e == Msgpack || e == Pickle }

// ValidEquipment reports whether id may be used as an equipment suffix.
// It does not allocate: publishers call it for every record.
func ValidEquipment(id string) bool {
	if len(id) == 0 || len(id) > MaxEquipmentLen || id == "." || id == ".." {
		return false
	}
	for i := 0; i < len(id); i++ {
		if !equipmentByte(id[i]) {
			return false
		}
	}
	return true
}

func checkEquipment[S string | []byte](id S) error {
	if len(id) == 0 || len(id) > MaxEquipmentLen {
		return fmt.Errorf("%w: length %d", ErrEquipment, len(id))
	}
	if string(id) == "." || string(id) == ".." {
		return fmt.Errorf("%w: %q", ErrEquipment, id)
	}
	for i := 0; i < len(id); i++ {
		if !equipmentByte(id[i]) {
			return fmt.Errorf("%w: byte %q", ErrEquipment, id[i])
		}
	}
	return nil
}

func equipmentByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '.' || c == '_' || c == '-'
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
