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
	Err    error
	// Origin is what the broker recorded of the message (the sender's
	// address and login, the arrival time, the archive's sequence); only
	// messages from a broker's archive endpoint carry it, nil otherwise.
	// Valid, like Record, until the next call to Next.
	Origin *origin.Origin
}
