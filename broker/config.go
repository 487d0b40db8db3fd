package broker

import (
	"log/slog"
	"time"

	"github.com/logbus/logbus/internal/defaults"
)

// Config configures a Broker. A nil *Config, and every zero field, means
// the default.
type Config struct {
	// Ingest is where publishers connect (PULL). Default
	// tcp://127.0.0.1:5010.
	Ingest string
	// Fanout is the lossy publish endpoint for dashboards. Default
	// tcp://127.0.0.1:5011.
	Fanout string
	// Archive is the no-drop publish endpoint for file sinks. Default
	// tcp://127.0.0.1:5014; "-" disables it.
	Archive string
	// IngestUsers, when not empty, makes publishers authenticate with
	// ZMTP PLAIN as one of these users (name to password); others are
	// refused and counted (Stats.Ingest.Rejected.Auth). Default: none.
	IngestUsers map[string]string
	// FanoutLogbook, when set, binds a PUB endpoint that sends every log
	// record as logbook's single JSON frame, for unchanged logbook
	// ZeroMQSubscriber dashboards (logbook.go). Default: off.
	FanoutLogbook string
	// FanoutLogbookQueue bounds the log messages waiting to be re-encoded
	// for it; beyond, they are dropped and counted. Default 10000.
	FanoutLogbookQueue int
	// Upstream, when set, is another broker's ingest to forward to.
	Upstream string
	// UpstreamUsername and UpstreamPassword authenticate with the upstream
	// broker when it requires PLAIN.
	UpstreamUsername, UpstreamPassword string
	// UpstreamPrefixes limits forwarding to topics starting with one of
	// them (e.g. "P" for production). Default: everything.
	UpstreamPrefixes []string
	// SingleFrameTopic is the topic given to single-frame JSON messages.
	// Default "PLJ".
	SingleFrameTopic string
	// FanoutQueue bounds each dashboard's queue, in messages.
	// Default 100000.
	FanoutQueue int
	// FanoutQueueBytes bounds, in bytes, the memory each dashboard's queue
	// keeps alive (the fan-out's subscribers share the encoded messages:
	// dashboards that lag behind the same messages hold them once). It is
	// what absorbs a burst for a dashboard that keeps up on average; beyond
	// it messages are dropped for that dashboard and counted. The same
	// bound applies to the logbook fan-out and to the archive endpoint's
	// subscribers that are not archivers. Default 64 MiB (as nats-server
	// lets a client's pending data grow); dashboards that each lag at a
	// different place hold up to this much each, and one whose connection
	// has taken nothing for a second at most 8 MiB (zmtp's stalled bound).
	FanoutQueueBytes int
	// ArchiveQueue bounds each connected archiver's queue, in messages
	// (and 4 MiB); beyond it the broker waits for it (back-pressure).
	// Default 10000.
	ArchiveQueue int
	// ArchiveHold bounds, in bytes, what is kept for each absent archiver
	// (ArchiveGrace). When it is full the broker waits, as for a full
	// queue; the fan-out never waits otherwise. Memory: at most
	// MaxArchivers × (ArchiveHold + 4 MiB). Default 64 MiB.
	ArchiveHold int
	// ArchiveGrace is how long the broker keeps messages for an archiver
	// that is absent: the first one, after the broker starts, and each
	// named archiver that went away (a file sink restarting), so that it
	// misses nothing when it returns under its name. After it, what was
	// kept is dropped and counted. Default 10 s.
	ArchiveGrace time.Duration
	// ArchiveStallTimeout disconnects an archiver whose connection takes
	// nothing for this long while messages wait for it (a stalled file
	// sink, a hung disk): what it had queued is kept for its return, and
	// the broker stops waiting for it. Default 10 s.
	ArchiveStallTimeout time.Duration
	// MaxArchivers bounds the named archivers served without loss
	// (connected, or absent within ArchiveGrace). Beyond it an archiver is
	// served like a dashboard and counted. Default 4.
	MaxArchivers int
	// ArchiveUsers, when not empty, makes every archive subscriber log in
	// with ZMTP PLAIN as one of these users (name to password); the user
	// name is then the archiver's name. Default: none, and a subscriber is
	// an archiver when it declares a name (ArchiverProperty).
	ArchiveUsers map[string]string
	// UpstreamQueue and UpstreamHold bound, in messages and bytes, what
	// waits for the upstream broker (while it restarts, say); beyond
	// them messages are dropped, counted, and reported by the upstream
	// side as a gap in this link's numbers. Defaults 100000 and 64 MiB.
	UpstreamQueue int
	UpstreamHold  int
	// IngestQueue bounds, per publisher, messages read ahead of the
	// forwarding loop. Default 1000.
	IngestQueue int
	// MaxMessageSize is the largest message accepted, checked before
	// reading it. Default 16 MiB.
	MaxMessageSize int64
	// MaxPeers bounds the connections of each endpoint. Default 1024.
	MaxPeers int
	// HandshakeTimeout bounds a new connection's ZMTP handshake.
	// Default 10 s.
	HandshakeTimeout time.Duration
	// DrainTimeout bounds the shutdown: reading what publishers still send
	// and flushing subscriber queues. Default 5 s.
	DrainTimeout time.Duration
	// RejectReportInterval paces the summaries of rejected messages
	// (logbus.Rejected): one per peer and reason per interval while
	// rejections go on; an interval without one ends the episode.
	// Default 5 s.
	RejectReportInterval time.Duration
	// RejectCopyRate bounds the copies of rejected messages sent to
	// archivers, per second (and in a burst); the rest are counted in the
	// summaries. Default 10 (at most ~40 KiB/s of REJECTED lines in a file
	// sink's central log); negative: no copies.
	RejectCopyRate int
	// Logger receives connection problems and shutdown progress.
	// Default: discarded.
	Logger *slog.Logger
}

// Defaults of Config.
const (
	DefaultIngest  = "tcp://127.0.0.1:5010"
	DefaultFanout  = "tcp://127.0.0.1:5011"
	DefaultArchive = "tcp://127.0.0.1:5014"
)

// DefaultConfig returns the configuration a broker has when nothing is
// set: the one source of the defaults that the flags, the YAML files
// (configs/broker.yaml), logbus up and the tests start from. A zero field
// of a Config given to New takes its value from here.
func DefaultConfig() Config {
	return Config{
		Ingest:               DefaultIngest,
		Fanout:               DefaultFanout,
		Archive:              DefaultArchive,
		SingleFrameTopic:     "PLJ",
		FanoutQueue:          100000,
		FanoutQueueBytes:     64 << 20,
		ArchiveQueue:         10000,
		ArchiveHold:          64 << 20,
		UpstreamQueue:        100000,
		UpstreamHold:         64 << 20,
		IngestQueue:          1000,
		MaxPeers:             1024,
		MaxMessageSize:       16 << 20,
		HandshakeTimeout:     10 * time.Second,
		ArchiveGrace:         10 * time.Second,
		ArchiveStallTimeout:  10 * time.Second,
		MaxArchivers:         4,
		DrainTimeout:         5 * time.Second,
		RejectReportInterval: 5 * time.Second,
		FanoutLogbookQueue:   10000,
		RejectCopyRate:       10,
	}
}

func (c *Config) withDefaults() Config {
	var r Config
	if c != nil {
		r = *c
	}
	d := DefaultConfig()
	defaults.Fill(&r.Ingest, d.Ingest)
	defaults.Fill(&r.Fanout, d.Fanout)
	defaults.Fill(&r.Archive, d.Archive)
	defaults.Fill(&r.SingleFrameTopic, d.SingleFrameTopic)
	defaults.Fill(&r.FanoutQueue, d.FanoutQueue)
	defaults.Fill(&r.FanoutQueueBytes, d.FanoutQueueBytes)
	defaults.Fill(&r.ArchiveQueue, d.ArchiveQueue)
	defaults.Fill(&r.UpstreamQueue, d.UpstreamQueue)
	defaults.Fill(&r.UpstreamHold, d.UpstreamHold)
	defaults.Fill(&r.IngestQueue, d.IngestQueue)
	defaults.Fill(&r.MaxPeers, d.MaxPeers)
	defaults.Fill(&r.MaxMessageSize, d.MaxMessageSize)
	defaults.Fill(&r.HandshakeTimeout, d.HandshakeTimeout)
	defaults.Fill(&r.ArchiveGrace, d.ArchiveGrace)
	defaults.Fill(&r.ArchiveHold, d.ArchiveHold)
	defaults.Fill(&r.ArchiveStallTimeout, d.ArchiveStallTimeout)
	defaults.Fill(&r.MaxArchivers, d.MaxArchivers)
	defaults.Fill(&r.DrainTimeout, d.DrainTimeout)
	defaults.Fill(&r.RejectReportInterval, d.RejectReportInterval)
	defaults.Fill(&r.FanoutLogbookQueue, d.FanoutLogbookQueue)
	if r.RejectCopyRate == 0 { // negative means none: not Fill's rule
		r.RejectCopyRate = d.RejectCopyRate
	}
	if r.Logger == nil {
		r.Logger = slog.New(slog.DiscardHandler)
	}
	return r
}
