package publisher

import (
	"io"
	"os"
	"time"

	"github.com/logbus/logbus"
	"github.com/logbus/logbus/topic"
)

// DefaultEndpoint is where the broker's ingest listens by default.
const DefaultEndpoint = "tcp://127.0.0.1:5010"

// DefaultReplayBytes is Options.ReplayBytes's default.
const DefaultReplayBytes = 4 << 20

// Options configure a Publisher. A nil *Options, and every zero field,
// means the default.
type Options struct {
	// System is the topic's system byte. Default logbus.Production.
	System logbus.System
	// Encoding of payloads: topic.Msgpack (default) or topic.JSON.
	Encoding topic.Encoding
	// QueueRecords bounds the records waiting for the sender: with
	// QueueBytes, what a broker restart may take without loss (20 s at
	// 5,000 records/s). Default 100000.
	QueueRecords int
	// QueueBytes bounds the encoded bytes waiting for the sender.
	// Default 16 MiB.
	QueueBytes int
	// Batch is the most records sent in one message when several of the
	// same topic are waiting (a message is the topic frame and one frame
	// per record; see docs/wire.md). 1 sends every record alone.
	// Default 64.
	Batch int
	// Host names this machine in every record. Default os.Hostname(),
	// resolved once.
	Host string
	// PlainUsername and PlainPassword authenticate with ZMTP's PLAIN
	// mechanism when PlainUsername is set.
	PlainUsername, PlainPassword string
	// Fallback receives a one-line drop report whenever the bus cannot:
	// while no broker is connected, when a report cannot be queued, and
	// at Close for what was lost there. Default os.Stderr; set
	// io.Discard to silence it.
	Fallback io.Writer
	// ReplayBytes bounds the replay window: the newest records written to
	// the broker, kept after they were written and sent again, before
	// anything newer, after every reconnect (a broker can go away with
	// records it had read but not yet passed on; ZMTP has no
	// acknowledgement to tell which). Subscribers and the file sink drop
	// the copies they already have by stream, topic and sequence number.
	// The window holds at least ReplayBytes of encoded records (whole
	// messages) and at most ReplayBytes plus 64 KiB (or one larger record);
	// at the default, about 25,000 records of 150 bytes. Default 4 MiB;
	// negative: off.
	ReplayBytes int
	// ReconnectInterval is the first delay before redialling a lost
	// broker; it backs off up to ReconnectIntervalMax, so that a
	// restarted broker is found within about a second.
	// Defaults 100 ms and 1 s.
	ReconnectInterval, ReconnectIntervalMax time.Duration
}

func (o *Options) withDefaults() Options {
	var r Options
	if o != nil {
		r = *o
	}
	if r.System == 0 {
		r.System = logbus.Production
	}
	if r.Encoding == 0 {
		r.Encoding = topic.Msgpack
	}
	if r.QueueRecords <= 0 {
		r.QueueRecords = 100000
	}
	if r.Batch <= 0 {
		r.Batch = 64
	}
	if r.QueueBytes <= 0 {
		r.QueueBytes = 16 << 20
	}
	if r.ReconnectIntervalMax <= 0 {
		r.ReconnectIntervalMax = time.Second
	}
	if r.Fallback == nil {
		r.Fallback = os.Stderr
	}
	if r.ReplayBytes == 0 {
		r.ReplayBytes = DefaultReplayBytes
	}
	return r
}
