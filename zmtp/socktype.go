package zmtp

import "fmt"

// Type is a ZeroMQ socket type.
type Type int

// Supported socket types (RFC 28 PUSH/PULL, RFC 29 PUB/SUB/XPUB/XSUB).
const (
	PUSH Type = iota + 1
	PULL
	PUB
	SUB
	XPUB
	XSUB
)

// String returns the ZMTP name of the type, as sent in Socket-Type.
func (t Type) String() string {
	switch t {
	case PUSH:
		return "PUSH"
	case PULL:
		return "PULL"
	case PUB:
		return "PUB"
	case SUB:
		return "SUB"
	case XPUB:
		return "XPUB"
	case XSUB:
		return "XSUB"
	}
	return fmt.Sprintf("Type(%d)", int(t))
}

func (t Type) valid() bool { return t >= PUSH && t <= XSUB }

// compatible reports whether a peer announcing socket type name may talk to
// a socket of type t (RFC 37 "Socket Compatibility").
func (t Type) compatible(name string) bool {
	switch t {
	case PUSH:
		return name == "PULL"
	case PULL:
		return name == "PUSH"
	case PUB, XPUB:
		return name == "SUB" || name == "XSUB"
	case SUB, XSUB:
		return name == "PUB" || name == "XPUB"
	}
	return false
}

// canSend and canRecv describe the data direction of each type.
func (t Type) canSend() bool { return t == PUSH || t == PUB || t == XPUB || t == XSUB }
func (t Type) canRecv() bool { return t == PULL || t == SUB || t == XSUB || t == XPUB }

// subscriber reports types that send subscriptions upstream.
func (t Type) subscriber() bool { return t == SUB || t == XSUB }

// publisher reports types that serve subscribers.
func (t Type) publisher() bool { return t == PUB || t == XPUB }
