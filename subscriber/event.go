package subscriber

import (
	"fmt"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/origin"
	"github.com/logbus/logbus/topic"
)

// EventKind says what an Event carries.
type EventKind int

// The kinds of Event.
const (
	KindRecord      EventKind = iota + 1 // Record is set
	KindSample                           // Sample is set
	KindGap                              // Gap is set: records were lost before the next one
	KindDecodeError                      // Err is set: a message or payload could not be decoded
	KindLinkGap                          // LinkGap is set: messages were lost on a hop after a broker
	KindRejected                         // Rejected is set: the broker's report of messages it rejected
)

func (k EventKind) String() string {
	switch k {
	case KindRecord:
		return "record"
	case KindSample:
		return "sample"
	case KindGap:
		return "gap"
	case KindDecodeError:
		return "decode-error"
	case KindLinkGap:
		return "link-gap"
	case KindRejected:
		return "rejected"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Event is one thing the subscriber has to say. Record and Sample point
// into the subscriber's buffers and stay valid until the next call to
// Next; copy what must outlive it.
type Event struct {
	Kind   EventKind
	Topic  topic.Topic // the message's topic (zero when it did not parse)
	Record *logbus.Record
	Sample *logbus.Sample
	Gap    logbus.Gap
	// LinkGap, for KindLinkGap, reports messages lost on a hop after a
	// broker (see logbus.LinkGap), before the message carrying Origin.
	LinkGap logbus.LinkGap
	// Rejected, for KindRejected, is a broker's report of messages it
	// rejected at ingest (a copy of one, or a summary per peer). Valid,
	// like Record, until the next call to Next.
	Rejected *logbus.Rejected
	Err      error
	// Origin is what the broker recorded of the message (the sender's
	// address and login, the arrival time, its number on the link it came
	// by); only messages from a broker's archive endpoint carry it, nil
	// otherwise. A message that came through several brokers carries one
	// frame per hop: Origin is the last.
	// Valid, like Record, until the next call to Next.
	Origin *origin.Origin
}
