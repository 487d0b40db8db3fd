// Package publisher puts a program's log records and performance samples
// on the logbus broker.
//
// A Publisher owns one ZeroMQ PUSH connection and one sender goroutine.
// Records are encoded by the caller into pooled buffers and handed to a
// bounded queue; the caller never waits on the network. When the queue is
// full the record is dropped and counted (or, by option, the caller waits
// a bounded time), and the publisher reports the drops itself: a WARN
// record on the bus a tenth of a second after the first drop of a burst,
// then at most one a second while drops go on, and the last one at Close.
// Reports travel on a stream of their own (they need no room in the full
// queue, and a lost report shows as a gap); while no broker is connected
// they are also written to Options.Fallback (stderr), and Close returns
// ErrDropped for whatever the bus could not be told.
//
// Each Publisher draws a random stream id and numbers its records per
// topic, so subscribers can tell transport loss (a gap) from records they
// filtered out, and a restarted publisher (a new stream) from a gap.
// Records dropped in the publisher's own queue are not gaps: they are
// reported by the WARN record and in Stats. After every reconnect the
// newest records already written are sent again (Options.ReplayBytes),
// since a broker that went away may not have passed them on; subscribers
// drop the copies they already have.
//
// Handler adapts a Publisher to log/slog. WorkerHandler and Relay are the
// two halves of the worker pattern: a subprocess writes one worker line
// (a JSON object, dialect.AppendWorkerLine) per record on stderr, its
// parent relays the lines to the broker.
package publisher
